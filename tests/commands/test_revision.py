"""The journal records the git revision of the state file each apply applied; status and history
show it, as Flux's lastAppliedRevision (docs/commands.md#status-and-history)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support import STATES, Run


def _git(*arguments: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=ops@example.com", "-c", "user.name=ops", *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _repository() -> str:
    _git("init", "-q", ".")
    Path("contoso-aadc01.yaml").write_text((STATES / "contoso-aadc01.yaml").read_text(encoding="utf-8"))
    _git("add", "contoso-aadc01.yaml")
    _git("commit", "-q", "-m", "contoso")
    return _git("rev-parse", "HEAD")


def test_status_and_history_show_the_revision_each_apply_applied(run: Run) -> None:
    commit = _repository()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    assert run("apply", "contoso-aadc01.yaml", "--yes").code == 0
    status = run("status", "contoso-aadc01.yaml")
    assert f"  last applied revision: {commit[:12]}\n" in status.out

    # An edit not yet committed is applied too, and said so.
    with Path("contoso-aadc01.yaml").open("a", encoding="utf-8") as state:
        state.write("# a comment, not yet committed\n")
    run("sim", "set", "--name", "contoso-aadc01", "scheduler.SyncCycleEnabled=false")
    assert run("apply", "contoso-aadc01.yaml", "--yes").code == 0
    document = json.loads(run("status", "contoso-aadc01.yaml", "--output", "json").out)
    assert document["servers"][0]["lastAppliedRevision"] == f"{commit[:12]} (with uncommitted changes)"
    runs = json.loads(run("history", "contoso-aadc01", "--output", "json").out)["runs"]
    assert [(r["revision"], r["dirty"]) for r in runs] == [(commit, False), (commit, True)]
    assert f"    revision: {commit[:12]} (with uncommitted changes)\n" in run("history", "contoso-aadc01").out


def test_a_state_file_outside_git_has_no_revision(run: Run) -> None:
    Path("contoso-aadc01.yaml").write_text((STATES / "contoso-aadc01.yaml").read_text(encoding="utf-8"))
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    assert run("apply", "contoso-aadc01.yaml", "--yes").code == 0
    status = run("status", "contoso-aadc01.yaml")
    assert "last applied revision" not in status.out and "last successful apply: 20" in status.out
    assert json.loads(run("history", "contoso-aadc01", "--output", "json").out)["runs"][0]["revision"] is None
