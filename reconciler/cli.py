"""Command line: parses arguments, calls one command function, maps errors to exit codes.

This is the only place where exceptions become exit codes and messages (DESIGN §5).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reconciler import __version__, versions
from reconciler.commands import sim
from reconciler.commands.validate import validate
from reconciler.errors import EXIT_ERROR, EXIT_INTERRUPTED, UserError


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a user error (exit 1), not exit 2: 2 means drift."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reconciler", description="Declarative V2 endpoint settings for Entra Connect Sync servers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="check state files (or folders of them) against schema and rules")
    p.add_argument("paths", nargs="+", metavar="STATE", help="state file or folder")

    sim = sub.add_parser("sim", help="manage the embedded simulated server")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND", parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--target", help="sim (default), sim:FILE.json or sim:DIR/; env RECONCILER_TARGET")
    common.add_argument("--name", help="server name (picks the file in a folder target; names a new server)")
    p = sim_sub.add_parser("init", parents=[common], help="create a simulated server")
    p.add_argument("--version", dest="product_version", help=f"product build (default {versions.CURRENT_VERSION})")
    p.add_argument("--from", dest="source", metavar="SNAPSHOT.json", help="make a twin of an observed server")
    p.add_argument("--force", action="store_true", help="replace an existing simulated server")
    sim_sub.add_parser("show", parents=[common], help="print the observed state as JSON")
    p = sim_sub.add_parser("upgrade", parents=[common], help="simulate an in-place upgrade")
    p.add_argument("--to", required=True, metavar="VERSION", help="the new build")
    p = sim_sub.add_parser("cycle", parents=[common], help="run a sync cycle")
    p.add_argument("--full", action="store_true", help="a full sync cycle instead of a delta one")
    p = sim_sub.add_parser("set", parents=[common], help="set values: KEY=VALUE with KEY a dotted path")
    p.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return validate(args.paths)
    if args.command == "sim":
        target, name = args.target, args.name
        if args.sim_command == "init":
            return sim.sim_init(target, name, args.product_version, args.source, args.force)
        if args.sim_command == "show":
            return sim.sim_show(target, name)
        if args.sim_command == "upgrade":
            return sim.sim_upgrade(target, name, args.to)
        if args.sim_command == "cycle":
            return sim.sim_cycle(target, name, args.full)
        if args.sim_command == "set":
            return sim.sim_set(target, name, args.assignments)
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except UserError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say to it.
        return EXIT_ERROR
