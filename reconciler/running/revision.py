"""The git revision of the state file a run applied (docs/commands.md#status-and-history), as Flux's
`lastAppliedRevision`: the commit checked out where the file lives, and whether the file differs
from it (uncommitted changes, or not in git at all). Recorded in the journal by each apply; `status`
and `history` show it. Nothing when git is not installed or the file is in no repository."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.running.results import RunRecord, Standing

if TYPE_CHECKING:
    from reconciler.running import runner

EVENT = "state-revision"
# git answers in milliseconds; a stuck one (a network file system) must not hold an apply.
_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Revision:
    commit: str
    dirty: bool  # the file differs from that commit, or git does not track it

    def __str__(self) -> str:
        return self.commit[:12] + (" (with uncommitted changes)" if self.dirty else "")


def _git(folder: Path, *arguments: str) -> str | None:
    import shutil  # noqa: PLC0415 - an apply's only: plan and status never start a process
    import subprocess  # noqa: PLC0415

    git = shutil.which("git")
    if git is None:
        return None
    # No prompts, no pager, no hooks: an apply asks git two questions and moves on.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(
            [git, "-C", str(folder), *arguments], capture_output=True, text=True, timeout=_TIMEOUT, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def of(path: str) -> Revision | None:
    """The revision the state file at `path` is at, or None outside git."""
    file = Path(path).resolve()
    commit = _git(file.parent, "rev-parse", "--verify", "HEAD")
    if not commit:
        return None
    status = _git(file.parent, "status", "--porcelain", "--", file.name)
    return Revision(commit, status is None or status != "")


def fields(found: Revision) -> dict[str, object]:
    """The journal line's fields."""
    return {"commit": found.commit, "dirty": found.dirty}


def last_applied(runs: Sequence[RunRecord]) -> Revision | None:
    """The revision of the last successful run that recorded one."""
    done = [r for r in runs if r.result == "success" and r.revision is not None]
    if not done:
        return None
    last = done[-1]
    assert last.revision is not None
    return Revision(last.revision, bool(last.dirty))


def with_revision(standing: Standing, options: runner.RunOptions) -> Standing:
    """The standing with the revision its last successful apply on this target applied."""
    from reconciler.running.runner import journal_for  # noqa: PLC0415 - the runner imports this module, through the journal

    plan = standing.result.plan
    host = plan.host if plan is not None else None
    found = last_applied(journal_for(standing.result.server, options, host).runs())
    return standing if found is None else dataclasses.replace(standing, last_revision=str(found))
