"""Unexpected errors: one line for the user, the whole story in a crash file for the report.

A user error is the user's to fix and says so in one line (`reconciler.errors`). Anything else
is a bug of ours: the user is told so, in one line, with the file to attach to a report; the
traceback and the versions involved go into that file, never onto the screen unless `--debug`
asks for it (docs/README.md#crash-reports).
"""

from __future__ import annotations

import errno
import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from reconciler import __version__
from reconciler.errors import printable

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
            path.write_text(text, encoding="utf-8", errors="backslashreplace")  # a crash with any text in it
            return path.resolve()
        except OSError as exc:
            last = exc
    assert last is not None
    raise last


# What the machine said no with is the operator's to fix, not a bug: a full disk, a folder or a
# FIFO where a file belongs, a read-only or forbidden place. Said in one line, no crash file.
_HINTS = {
    errno.ENOSPC: "the disk is full; free space and run again",
    errno.EDQUOT: "the disk quota is used up; free space and run again",
    errno.EISDIR: "is a folder where the tool keeps a file; move it away",
    errno.ENOTDIR: "a part of this path is a file where the tool needs a folder",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ELOOP: "is a symlink where the tool keeps a file of its own, or a loop of them; remove it",
    errno.ENXIO: "no such device (a FIFO with no writer, or a device)",
    errno.EEXIST: "exists already",
    errno.ENOENT: "no such file or folder",
}


def hint(exc: BaseException) -> str | None:
    """What an error of the machine means for the operator; None for anything else."""
    return _HINTS.get(exc.errno) if isinstance(exc, OSError) and exc.errno is not None else None


def fault(exc: BaseException) -> str | None:
    """One line for an error of the machine, never of the tool's code; None for anything else."""
    said = hint(exc)
    if said is None:
        return None
    where = getattr(exc, "filename", None)
    return f"{os.fsdecode(where)}: {said}" if isinstance(where, (str, bytes, os.PathLike)) else said


def write_quietly(exc: BaseException, argv: Sequence[str]) -> Path | None:
    """The crash file of `exc`, or None when none could be written."""
    try:
        return _write(_details(exc, argv))
    except OSError:
        return None


def one_line(exc: BaseException, path: Path | None) -> str:
    summary = printable(f"{type(exc).__name__}: {exc}".splitlines()[0])[:200] if str(exc) else type(exc).__name__
    where = f" (details in {path})" if path else ""
    return f"internal error: {summary}{where}; please report it"


def report(exc: BaseException, argv: Sequence[str], debug: bool) -> None:
    """Say on stderr that something unexpected happened, and where its details are."""
    text = _details(exc, argv)
    summary = printable(f"{type(exc).__name__}: {exc}".splitlines()[0])[:500] if str(exc) else type(exc).__name__
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
