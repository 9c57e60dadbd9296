"""The simulator's file: one JSON document per server, in the observed-state format.

Written atomically (temporary file in the same folder, fsync, rename) so a crash leaves either
the old or the new state, never half of one, and locked for every read-modify-write so two
processes cannot lose each other's changes. A file that does not parse or validate is reported
and left exactly as it is.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from reconciler.errors import Problem, UserError
from reconciler.formats import files
from reconciler.formats.locking import FileLock, LockTimeout
from reconciler.model import observed
from reconciler.model.observed import ObservedState

LOCK_TIMEOUT_SECONDS = 30.0
MAX_SIM_BYTES = 1 << 30  # a million groups is about 80 MB
# What every file the simulator writes carries (its `simulator` key): the only file it ever replaces.
MARK = "reconciler"
# How every file the simulator writes begins (observed.chunks): anything else is not read whole to find out.
_START = b'{\n  "schemaVersion": '


class SimFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(Path(str(path) + ".lock"), timeout=LOCK_TIMEOUT_SECONDS)

    def _target(self) -> Path:
        """The file itself: a symlink to a file is followed (and its target written atomically); a
        symlink to nothing, or anything but a regular file or nothing, is refused before a lock or a
        byte is written."""
        files.check_no_dangling_link(self.path, str(self.path))
        files.check_regular(self.path, str(self.path))
        return Path(os.path.realpath(self.path))

    def check_replaceable(self) -> None:
        """A file is replaced only when the simulator wrote it: anything else there (a state file, a
        snapshot, a system file) is refused, whatever the caller asked."""
        try:
            with open(self.path, "rb") as handle:  # a regular file (exists() said so): its start first
                ours = handle.read(len(_START)) == _START
            state = self.read() if ours else None
        except (OSError, UserError):
            state = None
        if state is None:
            raise UserError(
                f"{self.path}: exists and is not a file this tool's simulator wrote, so it is never replaced; "
                "give another --target or --name"
            )
        if state.simulator != MARK:
            # A snapshot, or a simulator file of 0.2 (which wrote no mark): only its owner can tell.
            raise UserError(
                f"{self.path}: holds an observed state without the simulator's mark (a snapshot, or a simulated "
                "server written before 0.3), so it is never replaced; give another --target or --name"
            )

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self._target()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                yield
        except LockTimeout:
            raise UserError(
                f"{self.path}: locked by another process for more than {LOCK_TIMEOUT_SECONDS:.0f} s"
            ) from None

    def exists(self) -> bool:
        return files.check_regular(self.path, str(self.path))

    def read(self) -> ObservedState:
        if not self.exists():
            raise UserError(
                f"{self.path}: no simulated server here; create one with `reconciler sim init --target sim:{self.path}`"
            )
        try:
            text = files.read_bytes(self.path, MAX_SIM_BYTES, str(self.path)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(f"{self.path}: cannot read the simulated server: {exc}") from None
        try:
            return observed.loads(text, str(self.path))
        except UserError as exc:
            damaged = Problem(
                "",
                None,
                None,
                f"{self.path}: the simulator file is damaged; fix or remove it (it is never overwritten)",
            )
            raise UserError([*exc.problems, damaged]) from None

    def write(self, state: ObservedState) -> None:
        target = self._target()
        # Only a write needs it: tempfile imports shutil, random, bz2 and lzma, which a plan never uses.
        import tempfile  # noqa: PLC0415

        if state.simulator != MARK:
            state = state.replace(simulator=MARK)

        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                # In pieces: a million groups' text is never held whole (peak memory).
                for piece in observed.chunks(state):
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_folder(target.parent)

    def update(self, change: Callable[[ObservedState], ObservedState]) -> ObservedState:
        """Read, change and write back under the lock; nothing is written if `change` raises."""
        with self.locked():
            state = change(self.read())
            self.write(state)
            return state


def _fsync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder is flushed (POSIX; Windows has no such call).
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
