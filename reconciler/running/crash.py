"""Unexpected errors: one line for the user, the whole story in a crash file for the report.

A user error is the user's to fix and says so in one line (`reconciler.errors`). Anything else
is a bug of ours: the user is told so, in one line, with the file to attach to a report; the
traceback and the versions involved go into that file, never onto the screen unless `--debug`
asks for it (docs/README.md#crash-reports).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from reconciler import __version__

CRASH_FOLDER = Path(".reconciler") / "crash"


def _details(exc: BaseException, argv: Sequence[str]) -> str:
    lines = [
        f"ADSync Reconciler {__version__} internal error",
        f"time: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"platform: {platform.platform()}",
        f"command: reconciler {' '.join(argv)}",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def _write(text: str) -> Path:
    """The crash file: under .reconciler/crash/ where the command ran, else in the temporary folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"crash-{stamp}-{os.getpid()}.txt"
    last: OSError | None = None
    for folder in (CRASH_FOLDER, Path(tempfile.gettempdir()) / "adsync-reconciler"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path.resolve()
        except OSError as exc:
            last = exc
    assert last is not None
    raise last


def write_quietly(exc: BaseException, argv: Sequence[str]) -> Path | None:
    """The crash file of `exc`, or None when none could be written."""
    try:
        return _write(_details(exc, argv))
    except OSError:
        return None


def one_line(exc: BaseException, path: Path | None) -> str:
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:200] if str(exc) else type(exc).__name__
    where = f" (details in {path})" if path else ""
    return f"internal error: {summary}{where}; please report it"


def report(exc: BaseException, argv: Sequence[str], debug: bool) -> None:
    """Say on stderr that something unexpected happened, and where its details are."""
    text = _details(exc, argv)
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    if debug:
        sys.stderr.write(text)
    try:
        path = _write(text)
    except OSError as error:
        print(
            f"internal error: {summary} — the crash file could not be written ({error}); details follow",
            file=sys.stderr,
        )
        if not debug:
            sys.stderr.write(text)
        return
    print(f"internal error: {summary} — please report it with the file below", file=sys.stderr)
    print(f"  {path}", file=sys.stderr)
