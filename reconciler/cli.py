"""Command line: parses arguments, calls one command function, maps errors to exit codes.

This is the only place where exceptions become exit codes and messages (DESIGN §5).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reconciler import __version__
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
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return validate(args.paths)
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
