"""`reconciler plan`: observe, diff and plan each server; print, and optionally save, the plan."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TextIO

from reconciler import reports
from reconciler.errors import UserError
from reconciler.formats import files, jsontext
from reconciler.planning import plans
from reconciler.planning.plans import Plan
from reconciler.reports import text
from reconciler.running import fleet, results, runner


def save(the_plan: Plan, path: str) -> None:
    """Write the plan JSON atomically, so `apply --plan` never reads half a file."""
    target = Path(path)
    if target.exists() and not _is_saved_plan(target):
        raise UserError(f"{path}: exists and is not a saved plan; --out never replaces another file")
    text = json.dumps(plans.to_json(the_plan), indent=2, ensure_ascii=False) + "\n"
    folder = target.parent if str(target.parent) else Path()
    try:
        import tempfile  # noqa: PLC0415 - only to save a plan

        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise UserError(f"{path}: cannot write the plan: {exc.strerror}") from None


def _save_each(made: list[Plan], folder: str, paths: list[str]) -> None:
    """Each server's plan as FOLDER/NAME.json, what `apply --plan FOLDER` takes for a fleet."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{folder}: cannot make the folder: {exc.strerror}") from None
    for the_plan in made:
        save(the_plan, str(Path(folder) / f"{the_plan.server}.json"))
    how = f"reconciler apply {' '.join(paths)} --plan {folder}"
    print(f"{folder}: {len(made)} plan(s) saved; apply them as reviewed with `{how}`", file=sys.stderr)


def _is_saved_plan(path: Path) -> bool:
    """A regular file holding a plan document: the only thing --out may write over."""
    if not path.is_file():
        return False
    try:
        data = files.read_bytes(path, files.MAX_REPORT_BYTES, str(path))
        document = jsontext.loads(jsontext.decode(data, str(path)), str(path))
    except (OSError, UserError):
        return False
    is_plan = isinstance(document, dict) and document.get("formatVersion") == plans.FORMAT_VERSION
    return is_plan and "actions" in document


def plan(
    paths: list[str],
    options: runner.RunOptions,
    *,
    output: str,
    out: str | None,
    detailed_exitcode: bool,
    shard: str | None = None,
    max_bytes: int | None = None,
) -> int:
    # Planning changes nothing: an invalid state file fails its own server, and the others are planned.
    chosen = fleet.parse_shard(shard) if shard is not None else None
    outcomes = fleet.plan_paths(paths, options, chosen, progress=output == "text", json_report=output == "json")
    folder = out is not None and (out.endswith(("/", os.sep)) or Path(out).is_dir())
    if out is not None and not folder and len(outcomes) != 1:
        raise UserError(
            f"--out {out}: one file holds one server's plan, and {len(outcomes)} state files were given; "
            "give a folder (--out DIR/) to save each server's plan as DIR/NAME.json"
        )
    if output == "powershell" and len(outcomes) != 1:
        raise UserError(f"--output powershell writes one server's script; {len(outcomes)} state files were given")
    plans = [o.plan for o in outcomes if o.plan is not None]
    # A program reading JSON or Markdown always gets a document: one refused server, or a shard
    # with none, is a fleet document saying so, not zero bytes.
    if output == "text":
        show_text(outcomes)
    elif output == "markdown":
        from reconciler.reports import markdown  # noqa: PLC0415 - each format loads its own reporter

        sys.stdout.write(markdown.report(outcomes, max_bytes or markdown.JOB_SUMMARY_BYTES))
    elif output == "json":
        from reconciler.reports import jsonreport  # noqa: PLC0415 - each format loads its own reporter

        sys.stdout.writelines(jsonreport.pieces(outcomes))  # written as made (a fleet's is megabytes)
    elif plans or len(outcomes) > 1:
        sys.stdout.write(reports.reporter(output)(outcomes))
    if out is not None and folder:
        _save_each(plans, out, paths)
    elif out is not None and plans:
        save(plans[0], out)
        print(f"{out}: plan saved; apply it as reviewed with `reconciler apply {outcomes[0].path} --plan {out}`",
              file=sys.stderr)  # fmt: skip
    if output != "text":
        for outcome in outcomes:
            for problem in outcome.problems:
                print(problem, file=sys.stderr)
    return results.exit_code(outcomes, detailed_exitcode)


def show_text(outcomes: list[results.ServerResult], stream: TextIO | None = None) -> None:
    """Each server's block, its problems right after it on stderr, then the summary lines."""
    out = stream or sys.stdout
    colour = colour_for(out)
    for index, outcome in enumerate(outcomes):
        out.write(("\n" if index else "") + text.server_block(outcome, colour))
        if outcome.problems:
            out.flush()
            for problem in outcome.problems:
                print(problem, file=sys.stderr)
            sys.stderr.flush()
    tail = text.footer(outcomes)
    if tail:
        out.write("\n" + tail)
    out.flush()


def colour_for(stream: object) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (no-color.org) nor on one that says it has
    none (TERM=dumb, as curses and git read it)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
