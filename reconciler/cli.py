"""Command line: parses arguments, calls one command function, maps errors to exit codes.

This is the only place where exceptions become exit codes and messages (docs/commands.md#exit-codes).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reconciler import __version__, reports
from reconciler.errors import EXIT_ERROR, EXIT_INTERRUPTED, Problem, UserError
from reconciler.model import builds
from reconciler.model.facts import CLOUDS
from reconciler.options import DEFAULT_WAIT_TIMEOUT, KNOWN_TARGETS, TARGET_ENV, WAIT_ENV, WAVES

if TYPE_CHECKING:
    from reconciler.running import runner

DEFAULT_WAIT = DEFAULT_WAIT_TIMEOUT


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, given the terminal's width: argparse would import shutil (and with it
    bz2, lzma, fnmatch) on every start-up to learn it, for every command, help or not."""

    def __init__(self, prog: str) -> None:
        columns = 80
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        super().__init__(prog, width=max(columns - 2, 40))


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a user error (exit 1), not exit 2: 2 means drift."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message} (see --help)")


EXAMPLES = {
    "validate": "reconciler validate states/",
    "plan": "reconciler plan states/ --target snapshot:snapshots/ --output markdown --detailed-exitcode",
    "apply": "reconciler apply states/contoso-aadc01.yaml --target powershell",
    "reconcile": "reconciler reconcile states/contoso-aadc01.yaml --watch 900",
    "status": "reconciler status states/ --target snapshot:snapshots/",
    "history": "reconciler history contoso-aadc01",
    "report": "reconciler report plan-*.json --output markdown --max-bytes 65536",
    "export": "reconciler export --target snapshot:contoso-aadc01.json --out states/contoso-aadc01.yaml",
    "schema": "reconciler schema desired-state > schemas/desired-state.schema.json",
    "collector-script": "reconciler collector-script > Collect-ADSyncObservedState.ps1",
    "task-script": "reconciler task-script > Register-ReconcilerTask.ps1",
    "builds": "reconciler builds --output json",
    "compare": "reconciler compare snapshot:snapshots/aadc01.json snapshot:snapshots/aadc02.json --output markdown",
    "sim init": "reconciler sim init --name contoso-aadc01 --version 1.6.2.4",
    "sim show": "reconciler sim show --name contoso-aadc01",
    "sim upgrade": "reconciler sim upgrade --name contoso-aadc01 --to 2.6.92.0",
    "sim cycle": "reconciler sim cycle --name contoso-aadc01 --full",
    "sim set": "reconciler sim set --name contoso-aadc01 scheduler.SyncCycleInProgress=true",
}


class _Unused:
    """A subcommand this run does not parse: its arguments are not described (see build_parser)."""

    def add_argument(self, *_args: object, **_kwargs: object) -> None:
        return None


def _command(sub: Any, name: str, help_text: str, parents: Sequence[argparse.ArgumentParser] = ()) -> Any:
    """A subcommand with its help and an example under its --help."""
    only = getattr(sub, "only", None)
    if only is not None and name.split(maxsplit=1)[0] != only:
        return _Unused()
    return sub.add_parser(
        name.rsplit(maxsplit=1)[-1],
        parents=list(parents),
        help=help_text,
        description=help_text,
        epilog=f"example:\n  {EXAMPLES[name]}",
        formatter_class=_Formatter,
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only`, that command alone is described (argparse spends
    time in gettext for each subcommand it describes)."""
    parser = _Parser(prog="reconciler", description="Declarative V2 endpoint settings for Entra Connect Sync servers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    sub.only = only  # type: ignore[attr-defined]  # read by _command and _add_sim_commands

    p = _command(sub, "validate", "check state files (or folders of them) against schema and rules")
    p.add_argument("paths", nargs="+", metavar="STATE", help="state file or folder")

    observing = _Parser(add_help=False)
    observing.add_argument("states", nargs="+", metavar="STATE", help="state file or folder")
    observing.add_argument("--target", help=f"where the servers are: {KNOWN_TARGETS} (default sim; env {TARGET_ENV})")
    observing.add_argument("--shard", metavar="K/N", help="only the K-th of N stable slices of the servers (by name)")
    # Only commands that plan to act take it: status changes nothing, so it deletes nothing either.
    server = _Parser(add_help=False, parents=[observing])
    server.add_argument(
        "--allow-group-deletion", action="store_true", help="allow plans that delete provisioned groups"
    )

    p = _command(sub, "plan", "observe, diff and print the ordered actions", [server])
    p.add_argument(
        "--output", choices=list(reports.FORMATS), default="text", help="text (default), json, markdown or powershell"
    )
    p.add_argument("--out", metavar="PLAN.json", help="save the plan for `apply --plan`")
    p.add_argument("--max-bytes", type=_size, metavar="BYTES", help=MAX_BYTES_HELP)
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when a server is short of its desired state (changes pending, a rollout step, or a rollout "
        "held with no change this run), 0 when every server is in sync",
    )
    p.add_argument("--confirm-prune", action="store_true", help=CONFIRM_PRUNE_HELP)
    _add_apply_commands(sub, server)
    _add_report_commands(sub, observing)
    _add_sim_commands(sub)
    return parser


def _add_apply_commands(sub: Any, server: argparse.ArgumentParser) -> None:
    waiting = _Parser(add_help=False)
    waiting.add_argument(
        "--wait-timeout", type=_seconds, metavar="SECONDS",
        help=f"wait at most this long for a running sync cycle (env {WAIT_ENV}, default {DEFAULT_WAIT:g})",
    )  # fmt: skip
    waiting.add_argument(
        "--wave",
        choices=WAVES,
        help="only staging servers, or only active ones (default: staging first, then active)",
    )
    waiting.add_argument(
        "--output",
        choices=["text", "json"],
        default="text",
        help="text progress (default), or json: progress on stderr and one JSON document of the results on stdout",
    )
    waiting.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when a server ends short of its desired state (held, rollout progressing, skipped)",
    )
    p = _command(sub, "apply", "plan (or take a saved plan) and carry it out", [server, waiting])
    p.add_argument("--plan", dest="plan_file", metavar="PLAN.json", help="a plan saved with `plan --out`")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--override-window",
        action="store_true",
        help="act outside the servers' sync windows (spec.windows); journalled",
    )
    p.add_argument("--confirm-prune", action="store_true", help=CONFIRM_PRUNE_HELP)
    p = _command(sub, "reconcile", "plan and apply in one, optionally again and again", [server, waiting])
    p.add_argument(
        "--event-log",
        action="store_true",
        help="write what each pass found and did to the Windows Application log (the self-heal task)",
    )
    p.add_argument(
        "--watch",
        type=_watch_seconds,
        metavar="SECONDS",
        help="repeat every SECONDS (1 to 604800) until stopped (Ctrl-C)",
    )


def _add_report_commands(sub: Any, server: argparse.ArgumentParser) -> None:
    standing = "each server now: in sync, with changes (what), held, failed; its last apply and last upgrade seen"
    p = _command(sub, "status", standing, [server])
    p.add_argument("--output", choices=["text", "json", "markdown"], default="text", help="text, json or markdown")
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when a server is short of its desired state, or in sync but its health is Degraded",
    )
    p = _command(sub, "history", "a server's journal as a readable history (what ran, when, how it ended)")
    p.add_argument("name", metavar="NAME", help="the server's name (metadata.name of its state file)")
    p.add_argument("--output", choices=["text", "json"], default="text", help="text (default) or json")
    p = _command(sub, "report", "merge plan reports (--output json of each shard) into one")
    p.add_argument("files", nargs="+", metavar="PLAN.json", help="the JSON reports of `plan` or `apply`")
    p.add_argument("--output", choices=["text", "json", "markdown"], default="markdown", help="markdown, json, text")
    p.add_argument("--max-bytes", type=_size, metavar="BYTES", help=MAX_BYTES_HELP)
    p.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 2 when any server is short of its desired state"
    )
    p = _command(sub, "export", "write the desired-state YAML that matches a server now")
    p.add_argument("--target", help=f"where the server is: {KNOWN_TARGETS} (default sim; env {TARGET_ENV})")
    p.add_argument("--name", help="the server (its file in a folder target; an export's metadata.name)")
    p.add_argument("--out", metavar="FILE", help="write to FILE (never overwritten) instead of printing")
    p = _command(sub, "schema", "print a JSON schema the tool ships, to keep beside a state repository")
    p.add_argument("which", choices=["desired-state", "observed-state", "plan"], help="which schema")
    _command(sub, "collector-script", "print the PowerShell script that writes a server's observed state (snapshot)")
    _command(sub, "task-script", "print the PowerShell script that registers the self-heal scheduled task")
    p = _command(sub, "builds", "print the build and support table the tool knows, with sources and its date")
    p.add_argument("--output", choices=["text", "json"], default="text", help="text (default) or json")
    _add_compare_command(sub)


def _add_compare_command(sub: Any) -> None:
    about = (
        "two servers side by side: managed settings, other differences and upgrade noise apart; "
        "exit 2 when a managed setting differs"
    )
    p = _command(sub, "compare", about)
    p.add_argument("left", metavar="LEFT", help=f"the first server's target: {KNOWN_TARGETS}")
    p.add_argument("right", metavar="RIGHT", help="the second server's target")
    p.add_argument("--name", help="the server in a folder target (both sides)")
    p.add_argument("--left-name", help="the server in the left folder target")
    p.add_argument("--right-name", help="the server in the right folder target")
    p.add_argument("--state", metavar="STATE", help="a state file whose managed rule names (ruleName, …) to use")
    p.add_argument("--output", choices=["text", "json", "markdown"], default="text", help="text, json or markdown")


def _add_sim_commands(sub: Any) -> None:
    if getattr(sub, "only", None) not in (None, "sim"):
        return
    sim = sub.add_parser("sim", help="manage the embedded simulated server")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND", parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--target", help="sim (default), sim:FILE.json or sim:DIR/; env RECONCILER_TARGET")
    common.add_argument("--name", help="server name (picks the file in a folder target; names a new server)")
    p = _command(sim_sub, "sim init", "create a simulated server", [common])
    p.add_argument("--version", dest="product_version", help=f"product build (default {builds.current_version()})")
    p.add_argument("--cloud", choices=CLOUDS, help="the server's cloud (default AzureCommercial)")
    p.add_argument("--connector-name", help="the AAD connector's name (default 'contoso.onmicrosoft.com - AAD')")
    p.add_argument("--host", help="the machine's DNS name, as server.host reports it (default: the server's name)")
    p.add_argument("--from", dest="source", metavar="SNAPSHOT.json", help="make a twin of an observed server")
    p.add_argument("--force", action="store_true", help="replace an existing simulated server")
    _command(sim_sub, "sim show", "print the observed state as JSON", [common])
    p = _command(sim_sub, "sim upgrade", "simulate an in-place upgrade", [common])
    p.add_argument("--to", required=True, metavar="VERSION", help="the new build")
    p.add_argument(
        "--sync-disabled",
        action="store_true",
        help="leave synchronization off, as when the wizard's 'Start the synchronization process' box is cleared",
    )
    p = _command(sim_sub, "sim cycle", "run a sync cycle", [common])
    p.add_argument("--full", action="store_true", help="a full sync cycle instead of a delta one")
    p = _command(sim_sub, "sim set", "set values: KEY=VALUE with KEY a dotted path; says what changed", [common])
    p.add_argument("assignments", nargs="+", metavar="KEY=VALUE", help="VALUE is read as JSON, else as text")


CONFIRM_PRUNE_HELP = "remove unmanaged rules of servers whose state says safety.prune: confirm (never by default)"
MAX_BYTES_HELP = (
    "cut a Markdown report to this size, keeping the summary and the most urgent servers: 65536 for a "
    "pull-request comment (default 1048576, a job summary's limit)"
)


def _size(text: str) -> int:
    if not text.isdigit() or int(text) < 1024:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a size in bytes of at least 1024")
    return int(text)


# The longest wait or watch interval taken: a week (a full sync of a large tenant takes hours; the
# system's timers overflow long before 1e12 s). The shortest watch interval: one second, so that a
# watch never turns into a loop that asks the server without pause.
MAX_SECONDS = 7 * 24 * 3600.0
MIN_WATCH_SECONDS = 1.0


def _seconds(text: str) -> float:
    """A finite, non-negative number of seconds of at most a week: nan would wait forever, inf too."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a finite, non-negative number of seconds")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is more than a week ({MAX_SECONDS:.0f} seconds)")
    return value


def _watch_seconds(text: str) -> float:
    value = _seconds(text)
    if value < MIN_WATCH_SECONDS:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is less than {MIN_WATCH_SECONDS:g} second between passes")
    return value


def _wait_timeout(given: float | None) -> float:
    if given is not None:
        return given
    raw = os.environ.get(WAIT_ENV)
    if not raw:
        return DEFAULT_WAIT
    try:
        return _seconds(raw)
    except argparse.ArgumentTypeError as exc:
        raise UserError(f"{WAIT_ENV}: {exc}") from None


def _options(args: argparse.Namespace) -> runner.RunOptions:
    # Imported here: parsing arguments, and --help, load no stage of the pipeline.
    from reconciler.running import runner
    from reconciler.servers import targets

    target = targets.parse(args.target)
    return runner.RunOptions(
        target=target,
        allow_group_deletion=getattr(args, "allow_group_deletion", False),
        confirm_prune=getattr(args, "confirm_prune", False),
        override_window=getattr(args, "override_window", False),
        wait_timeout=_wait_timeout(getattr(args, "wait_timeout", None)),
        # A live server is observed by running the collector: while a cycle runs, ask every 10 s.
        poll_interval=10.0 if isinstance(target, targets.LiveTarget) else 2.0,
    )


def _run(args: argparse.Namespace) -> int:
    # Each command imports what it needs only when it runs: start-up time is most of a plan's time.
    if args.command == "validate":
        from reconciler.commands.validate import validate

        return validate(args.paths)
    if args.command == "plan":
        from reconciler.commands import plan

        return plan.plan(
            args.states,
            _options(args),
            output=args.output,
            out=args.out,
            detailed_exitcode=args.detailed_exitcode,
            shard=args.shard,
            max_bytes=args.max_bytes,
        )
    if args.command == "apply":
        from reconciler.commands import apply

        wave, output = apply.Wave(args.shard, args.wave), apply.Output(args.output, args.detailed_exitcode)
        return apply.apply(args.states, _options(args), args.plan_file, args.yes, wave=wave, output=output)
    if args.command == "reconcile":
        from reconciler.commands import apply

        wave, output = apply.Wave(args.shard, args.wave), apply.Output(args.output, args.detailed_exitcode)
        options = _options(args)
        return apply.reconcile(args.states, options, args.watch, wave=wave, output=output, event_log=args.event_log)
    if args.command == "status":
        from reconciler.commands import status

        return status.status(args.states, _options(args), args.output, args.detailed_exitcode)
    if args.command == "history":
        from reconciler.commands import status

        return status.history(args.name, args.output)
    if args.command == "report":
        from reconciler.commands import report

        return report.report(args.files, args.output, args.detailed_exitcode, args.max_bytes)
    if args.command == "export":  # adopting a server: a state file written from what it holds
        from reconciler.commands import adopt

        return adopt.adopt(args.target, args.name, args.out)
    if args.command == "schema":
        from reconciler.commands import scripts

        return scripts.print_schema(args.which)
    if args.command == "collector-script":
        from reconciler.commands import scripts

        return scripts.print_script(scripts.COLLECTOR)
    if args.command == "task-script":
        from reconciler.commands import scripts

        return scripts.print_script(scripts.SCHEDULED_TASK)
    if args.command == "builds":
        from reconciler.commands import builds as builds_command

        return builds_command.print_builds(args.output)
    if args.command == "compare":
        from reconciler.commands import compare

        names = (args.left_name or args.name, args.right_name or args.name)
        return compare.compare(args.left, args.right, names, args.output, args.state)
    if args.command == "sim":
        from reconciler.commands import sim

        target, name = args.target, args.name
        if args.sim_command == "init":
            new = sim.NewServer(args.product_version, args.cloud, args.connector_name, args.host)
            return sim.sim_init(target, name, new, args.source, args.force)
        if args.sim_command == "show":
            return sim.sim_show(target, name)
        if args.sim_command == "upgrade":
            return sim.sim_upgrade(target, name, args.to, not args.sync_disabled)
        if args.sim_command == "cycle":
            return sim.sim_cycle(target, name, args.full)
        if args.sim_command == "set":
            return sim.sim_set(target, name, args.assignments)
    raise AssertionError(f"unhandled command {args.command}")


def _command_named(arguments: list[str]) -> str | None:
    """The command a valid command line names (its first word that is not an option), so that only
    it is described; None (everything described, for help and errors) when it names none we know."""
    first = next((a for a in arguments if not a.startswith("-")), None)
    if first is None or (first not in EXAMPLES and first != "sim") or "-h" in arguments or "--help" in arguments:
        return None
    return first


def _utf8_streams() -> None:
    # Plans name rules and groups in any language; a Windows pipe would otherwise use a code page.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and not stream.isatty():
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")


_TOP_OPTIONS = ("-h", "--help", "--version", "--debug")


def _known_options_first(arguments: list[str]) -> None:
    """An unknown option before the command is named as such: argparse would only say a command is missing."""
    for argument in arguments:
        if not argument.startswith("-"):
            return
        if argument not in _TOP_OPTIONS:
            raise UserError(f"reconciler: unrecognized argument {argument[:80]!r} before the command (see --help)")


def _text_arguments(arguments: list[str]) -> None:
    """An argument the system could not decode (bytes that are not UTF-8) is said, not carried on."""
    for position, argument in enumerate(arguments, 1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            shown = argument.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            raise UserError(f"reconciler: argument {position} is not valid UTF-8 text: {shown[:80]}") from None


def main(argv: Sequence[str] | None = None) -> int:
    _utf8_streams()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        _text_arguments(arguments)
        _known_options_first(arguments)
        args = build_parser(_command_named(arguments)).parse_args(arguments)
        return _run(args)
    except UserError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as exc:
        print("interrupted", file=sys.stderr)
        if exc.args:  # what the interrupted run left behind, e.g. a scheduler still off
            print(exc.args[0], file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say to it.
        return EXIT_ERROR
    except OSError as exc:
        # The machine said no (permissions, a full disk, a path that is a folder): the user's to fix.
        from reconciler.running import crash

        where = exc.filename if isinstance(exc.filename, str) else ""
        said = crash.hint(exc) or str(exc.strerror or exc)  # with what to do about it, when we know
        print(Problem(where, None, None, said), file=sys.stderr)  # escaped, cut when long
        return EXIT_ERROR
    except Exception as exc:  # a bug of ours: one line for the user, the traceback in a crash file
        from reconciler.running import crash

        crash.report(exc, arguments, debug="--debug" in arguments)
        return EXIT_ERROR


def console() -> None:
    """The installed `reconciler` command and `python -m reconciler`. `main` itself stays a plain
    function that tests and embedding programs call as often as they like."""
    sys.exit(main())
