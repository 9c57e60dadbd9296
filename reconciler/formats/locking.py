"""An exclusive lock on a file, between processes, with a timeout.

A small replacement for the `filelock` package, whose import (it pulls in asyncio) cost more
than a whole `plan` of a server. The operating system releases the lock when the process dies,
so a killed run never leaves a server locked. Re-entrant within a process.
"""

from __future__ import annotations

import _thread
import os
import sys
import time
from pathlib import Path
from types import TracebackType

if sys.platform == "win32":  # pragma: no cover - exercised on the Windows CI runners
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class LockTimeout(Exception):
    pass


_held: dict[str, tuple[int, int]] = {}  # path -> (fd, depth), for re-entrance
_guard = _thread.allocate_lock()  # threading's Lock, without threading's import


class FileLock:
    def __init__(self, path: Path, timeout: float, poll: float = 0.05) -> None:
        self.path = str(path)
        self.timeout = timeout
        self.poll = poll

    def __enter__(self) -> FileLock:
        with _guard:
            if self.path in _held:
                fd, depth = _held[self.path]
                _held[self.path] = (fd, depth + 1)
                return self
        # Never through a symlink: one put where a lock belongs would have it made wherever it points.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        deadline = time.monotonic() + self.timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout(self.path)
            time.sleep(self.poll)
        with _guard:
            _held[self.path] = (fd, 1)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        with _guard:
            fd, depth = _held[self.path]
            if depth > 1:
                _held[self.path] = (fd, depth - 1)
                return
            del _held[self.path]
        try:
            _unlock(fd)
        finally:
            os.close(fd)
