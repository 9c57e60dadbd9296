"""Reading and writing the files users name, safely: only regular files, never without bound.

A FIFO, a device or a folder where a file is expected is refused before anything is read or
written (reading `/dev/zero` never ends; writing over `/dev/null` as root replaced it), and a
symlink is followed to the file it names.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from reconciler.errors import Problem, UserError


def _refuse(display: str, message: str) -> UserError:
    return UserError([Problem(display, None, None, message)])


def check_regular(path: Path, display: str) -> bool:
    """True when `path` is a regular file (after symlinks), False when nothing is there; else refused."""
    return _regular(path, display) is not None


def _regular(path: Path | str, display: str, found: os.stat_result | None = None) -> os.stat_result | None:
    """What os.stat says of a regular file (`found`: said already), None when nothing is there."""
    try:
        found = found or os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _refuse(display, f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(found.st_mode):
        kind = "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file (a FIFO, device or socket)"
        raise _refuse(display, f"is {kind}; only a regular file is read or written here")
    return found


def check_no_dangling_link(path: Path | str, display: str) -> None:
    """Refuse a symlink that names nothing: a write through it would create a file wherever it points,
    out of the folder the user gave."""
    if os.path.islink(path) and not os.path.exists(path):
        raise _refuse(
            display, f"is a symlink to {os.readlink(path)!r}, which does not exist; nothing is written through it"
        )


# The largest saved plan or plan report read: a fleet's JSON report of 10,000 servers is tens of MB.
MAX_REPORT_BYTES = 1 << 30


# Plain descriptors: a buffered file asks the system four more questions before its first read
# (two fstat, an isatty ioctl, an lseek), and a fleet reads two files per server.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def read_bytes(
    path: Path | str, limit: int, display: str, missing: str = "no such file", found: os.stat_result | None = None
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or a UserError saying why not
    (`missing` when there is no file; `found`: what os.stat said of it, if the caller asked)."""
    found = _regular(path, display, found)
    if found is None:
        raise _refuse(display, missing)
    try:
        descriptor = os.open(path, _READ_FLAGS)
        try:
            # Asked for the file's size and a byte more (to see it grew), not the limit of many
            # megabytes, which read(n) would set aside first; then on to its end, never past the limit.
            data = os.read(descriptor, min(found.st_size, limit) + 1)
            while len(data) <= limit:  # os.read(n) sets n bytes aside too: asked a piece at a time
                more = os.read(descriptor, min(limit + 1 - len(data), 1 << 16))
                if not more:
                    break
                data += more
        finally:
            os.close(descriptor)
    except OSError as exc:
        raise _refuse(display, f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise _refuse(display, f"is larger than {limit // (1 << 20)} MiB, more than such a file can be")
    return data


# A server's name, as metadata.name allows it (schemas/desired-state.schema.json, the same pattern): it
# names files (simulator, snapshot, journal, lock), so it can never climb out of their folder, nor be
# a device name Windows reserves in any case and with any extension (CON, NUL.txt, com1: learn.microsoft.com,
# "Naming Files, Paths, and Namespaces").
WINDOWS_RESERVED = "CON, PRN, AUX, NUL, COM0-COM9, LPT0-LPT9"
SERVER_NAME = re.compile(
    r"(?!(?:[Cc][Oo][Nn]|[Pp][Rr][Nn]|[Aa][Uu][Xx]|[Nn][Uu][Ll]|[Cc][Oo][Mm][0-9]|[Ll][Pp][Tt][0-9])(?:\.|(?![\s\S])))"
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}"
)


def server_name(name: str, where: str) -> str:
    """`name` when it can name a server's files; else a UserError saying so."""
    if not SERVER_NAME.fullmatch(name) or name in (".", ".."):
        raise UserError(
            f"{where}: {name[:80]!r} is not a server name: use 1-63 letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit, and no name Windows reserves ({WINDOWS_RESERVED}, with any extension)"
        )
    return name


def without_bom(data: bytes) -> bytes:
    """UTF-8 less its byte order mark: what decoding as "utf-8-sig" reads, without loading that
    codec's module at every start-up (Windows tools write the mark; see jsontext.decode)."""
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data
