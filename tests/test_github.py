"""The GitOps files: GitHub's published schemas, and every command they run parses with our CLI."""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from reconciler.cli import build_parser
from tests.support import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
pytest.importorskip("check_jsonschema")


def check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def test_workflows_match_githubs_schema() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "reconcile.yml"}
    result = check("vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_matches_githubs_schema() -> None:
    result = check("vendor.github-actions", ROOT / "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text((ROOT / ".github" / "workflows" / "reconcile.yml").read_text().replace("runs-on:", "run-on:"))
    assert check("vendor.github-workflows", broken).returncode != 0


# What the workflow's shell variables hold in one server's job (the two-server example's staging one).
_FILLED = (("$state", "states/contoso-aadc02-staging.yaml"), ("$env:WAVE", "staging"), ("$live", "live.json"),
           ("$results", "apply.json"),
           ('"$SHARD/4"', "1/4"), ('"$SHARD', '"1'), ("plan-*.json", "plan-1.json"))  # fmt: skip


def _commands(text: str) -> list[list[str]]:
    """Every `reconciler …` command line of a YAML file's run steps, shell variables filled in."""
    found = []
    document = yaml.safe_load(text)
    steps = [s for job in document.get("jobs", {}).values() for s in job.get("steps", [])]
    for step in steps:
        script = re.sub(r"\\\n\s*", " ", step.get("run", ""))
        for raw in script.splitlines():
            command = raw.strip()
            if not command.startswith("reconciler "):
                continue
            command = re.split(r"[>|]", command)[0]  # redirections and pipes are the shell's
            for variable, value in _FILLED:
                command = command.replace(variable, value)
            found.append(shlex.split(command)[1:])
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_command_they_run_is_one_the_tool_takes(path: Path) -> None:
    parser = build_parser()
    commands = _commands(path.read_text(encoding="utf-8"))
    if path.name == "ci.yml":
        assert commands == []
        return
    assert commands, f"{path.name} runs no reconciler command"
    for argv in commands:
        parser.parse_args(argv)


def _workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / "reconcile.yml").read_text())
    return document


def _script(job: str, name: str) -> str:
    step = next(
        s for s in _workflow()["jobs"][job]["steps"] if s.get("id") == name or s.get("name", "").startswith(name)
    )
    return str(step["run"])


def evaluate(expression: str, context: dict[str, object]) -> object:
    """A workflow expression of ==, !=, &&, || and ! over github.* and inputs.*, as GitHub evaluates it."""
    body = expression.strip()
    body = body.removeprefix("${{").removesuffix("}}") if body.startswith("${{") else body
    python = re.sub(r"\b(github|inputs|needs)\.([\w.-]+)", lambda m: repr(context.get(m[0])), body)
    python = python.replace("&&", " and ").replace("||", " or ").replace("always()", "True")
    python = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", python))
    python = re.sub(r"!(?!=)", " not ", python)
    # `a and b or c` is GitHub's conditional: Python's and/or pick values the same way.
    return eval(python, {"__builtins__": {}})


def _group(event: str, run_id: int) -> tuple[str, bool]:
    concurrency = _workflow()["concurrency"]
    context = {"github.event_name": event, "github.run_id": run_id, "github.ref": "refs/heads/main"}
    group = re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m[1], context)), concurrency["group"])
    return group, bool(evaluate(concurrency["cancel-in-progress"], context))


def test_a_scheduled_run_never_cancels_an_apply_and_applies_never_cancel_each_other() -> None:
    # A group holds one running and one pending run; a newer pending run cancels the pending one.
    first_push, second_push = _group("push", 1), _group("push", 2)
    assert first_push[0] != second_push[0] and not first_push[1]
    assert _group("schedule", 3)[0] not in {first_push[0], second_push[0], _group("workflow_dispatch", 4)[0]}
    assert _group("schedule", 3) == (_group("schedule", 5)[0], False)  # a newer drift check replaces a waiting one
    assert _group("pull_request", 6)[1] is True  # a pull request's newer commit cancels its older plan
    assert _group("workflow_dispatch", 7)[0] != _group("workflow_dispatch", 8)[0]


SERVER_JOBS = ("apply-staging", "apply-active", "drift")


@pytest.mark.parametrize(
    ("event", "apply_live", "expected"),
    [
        ("pull_request", None, {"plan", "report"}),
        ("push", None, {"servers", "apply-staging", "apply-active", "applied"}),
        ("schedule", None, {"servers", "drift"}),
        ("workflow_dispatch", False, {"servers", "drift"}),
        ("workflow_dispatch", True, {"servers", "apply-staging", "apply-active", "applied"}),
    ],
)
def test_which_jobs_each_event_runs_and_no_pull_request_reaches_a_sync_server(
    event: str, apply_live: bool | None, expected: set[str]
) -> None:
    jobs = _workflow()["jobs"]
    context = {"github.event_name": event, "inputs.apply-live": apply_live, "needs.servers.outputs.servers": "[{}]"}
    running = {name for name, job in jobs.items() if evaluate(job.get("if", "true"), context)}
    assert running == expected
    # A pull request's workflow file is the pull request's own: none of its jobs runs on a sync server.
    if event == "pull_request":
        assert {jobs[name]["runs-on"] for name in running} == {"ubuntu-latest"}


def test_each_server_is_applied_and_checked_on_its_own_runner() -> None:
    jobs = _workflow()["jobs"]
    for name in SERVER_JOBS:
        job = jobs[name]
        assert "servers" in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"]), name
        # One job per state file, from the servers job's matrix: never "any runner of this role".
        assert job["strategy"]["matrix"] == {"server": "${{ fromJSON(needs.servers.outputs.servers) }}"}, name
        assert job["strategy"]["fail-fast"] is False, name  # one server's failure stops no other
        assert job["runs-on"] == ["self-hosted", "windows", "adsync", "${{ matrix.server.name }}"], name
        assert job["env"]["STATE"] == "${{ matrix.server.state }}", name
        run = next(s["run"] for s in job["steps"] if "Set-Location" in s.get("run", ""))
        # The state file from the checkout, run from the self-heal task's folder: one journal and lock.
        assert "$state = Join-Path $env:GITHUB_WORKSPACE $env:STATE" in run, name
        assert "Join-Path $env:ProgramData ADSyncReconciler" in run, name
        assert job["env"]["STATE_HOST"] == "${{ matrix.server.host }}", name
        steps = job["steps"]
        where = next(s for s in steps if s.get("name") == "Where this runs")
        assert steps.index(where) == 1 and where["shell"] == "pwsh", name  # said first, in the log and the summary
        assert "$env:COMPUTERNAME" in where["run"] and "GITHUB_STEP_SUMMARY" in where["run"], name
        runs = [s for s in steps if "run" in s]
        # No bash on a sync server: PowerShell 7, or the Python of the job's virtual environment.
        assert all(s.get("shell") in ("pwsh", "python") for s in runs), name
        commands = [c for c in _commands(yaml.safe_dump({"jobs": {name: job}})) if c[0] in ("plan", "apply", "status")]
        assert [c[0] for c in commands] == (["status"] if name == "drift" else ["plan", "apply"]), name
        for command in commands:
            # Exactly this server's state file, on the computer itself: the tool skips another machine.
            assert command[1] == "states/contoso-aadc02-staging.yaml", name
            assert command[2:4] == ["--target", "powershell"], name
    assert jobs["apply-active"]["needs"] == ["servers", "apply-staging"]  # staging servers first
    for name in ("apply-staging", "apply-active"):
        apply = next(s["run"] for s in jobs[name]["steps"] if s.get("name", "").startswith("Apply"))
        assert "--wave $env:WAVE" in apply and "--plan $live" in apply
    assert jobs["apply-staging"]["env"]["WAVE"] == "staging" and jobs["apply-active"]["env"]["WAVE"] == "active"


def test_the_matrix_holds_one_entry_per_state_file_with_its_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The two-server example: an active server with its computer named, and its staging twin without.
    (tmp_path / "states" / "emea").mkdir(parents=True)
    active = (ROOT / "states" / "contoso-aadc01.yaml").read_text(encoding="utf-8")
    active = active.replace("  name: contoso-aadc01\n", "  name: contoso-aadc01\n  host: aadc01.contoso.com\n")
    assert "host: aadc01.contoso.com" in active
    (tmp_path / "states" / "emea" / "contoso-aadc01.yaml").write_text(active, encoding="utf-8")
    shutil.copy(ROOT / "states" / "contoso-aadc02-staging.yaml", tmp_path / "states")
    # What the tool does not read is no server either: hidden entries, other suffixes.
    (tmp_path / "states" / ".old").mkdir()
    for ignored in (".draft.yaml", ".old/contoso-aadc09.yaml", "README.md"):
        (tmp_path / "states" / ignored).write_text("{not: [a state", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    done = subprocess.run([sys.executable, "-c", _script("servers", "servers")], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    key, _, value = output.read_text(encoding="utf-8").strip().partition("=")
    assert key == "servers"
    assert json.loads(value) == [
        {"name": "contoso-aadc02", "host": "", "state": "states/contoso-aadc02-staging.yaml",
         "cloud": "AzureCommercial"},
        {"name": "contoso-aadc01", "host": "aadc01.contoso.com", "state": "states/emea/contoso-aadc01.yaml",
         "cloud": "AzureCommercial"},
    ]  # fmt: skip
    assert "contoso-aadc01 on aadc01.contoso.com" in done.stdout
    assert "contoso-aadc02 on the computer named contoso-aadc02" in done.stdout


def _applied(
    tmp_path: Path, results: dict[str, list[dict[str, str]]], reviewed: dict[str, list[str]]
) -> subprocess.CompletedProcess[str]:
    for artifact, entries in results.items():
        (tmp_path / "applied" / artifact).mkdir(parents=True)
        (tmp_path / "applied" / artifact / "apply.json").write_text(json.dumps({"servers": entries}), encoding="utf-8")
    (tmp_path / "plans").mkdir(exist_ok=True)
    for server, actions in reviewed.items():
        (tmp_path / "plans" / f"{server}.json").write_text(json.dumps({"actions": actions}), encoding="utf-8")
    servers = [{"name": n, "state": f"states/{n}.yaml", "host": "", "cloud": "AzureCommercial"} for n in ("a1", "s1")]
    env = {**os.environ, "SERVERS": json.dumps(servers)}
    return subprocess.run([sys.executable, "-c", _script("applied", "Every server applied")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_a_server_skipped_in_both_waves_fails_the_run_by_name(tmp_path: Path) -> None:
    wave_skip = {"status": "skipped", "reason": "s1: a staging server; this run applies --wave active only"}
    other = {"status": "skipped", "reason": "a1: skipped: this computer is AADC09"}
    done = _applied(tmp_path, {"apply-staging-s1": [{"status": "applied"}], "apply-active-s1": [wave_skip],
                               "apply-staging-a1": [other], "apply-active-a1": [other]}, {})  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "a1 (states/a1.yaml): not applied; staging: a1: skipped: this computer is AADC09; "
        "active: a1: skipped: this computer is AADC09"
    ]


def test_a_reason_cannot_forge_a_workflow_command(tmp_path: Path) -> None:
    forged = [{"status": "skipped", "reason": "a1: this computer is X\n::error::forged"}]
    done = _applied(tmp_path, {"apply-staging-a1": forged, "apply-active-a1": forged}, {"s1": []})
    assert done.returncode == 1
    assert [line for line in done.stdout.splitlines() if line.startswith("::")] == []
    assert "this computer is X\\n::error::forged" in done.stdout


def test_every_server_in_its_wave_or_in_sync_when_reviewed_passes(tmp_path: Path) -> None:
    skip = [{"status": "skipped", "reason": "another wave"}]
    done = _applied(tmp_path, {"apply-staging-s1": [{"status": "applied"}], "apply-active-s1": skip}, {"a1": []})
    assert (done.returncode, done.stdout.strip()) == (0, "every server ran in its wave"), done.stderr


def test_the_reviewed_plans_reach_the_push() -> None:
    jobs = _workflow()["jobs"]
    # The pull request's shards save each server's plan; the push finds that run and takes them.
    split = _script("plan", "Plan")
    assert "--output json" in split and 'out / (entry["server"] + ".json")' in split
    uploads = [s for s in jobs["plan"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert [u["with"]["name"] for u in uploads] == ["plan-${{ matrix.shard }}", "plans-${{ matrix.shard }}"]
    assert all(u["if"] == "always()" for u in uploads)
    reviewed = _script("servers", "reviewed")
    assert "commits/$GITHUB_SHA/pulls" in reviewed and "--event pull_request" in reviewed
    assert reviewed.count("exit 1") == 2  # no merged pull request, or no finished plan run: nothing applied
    download = next(s for s in jobs["apply-staging"]["steps"] if s.get("uses", "").startswith("actions/download"))
    assert download["with"]["run-id"] == "${{ needs.servers.outputs.plans-run }}"
    assert jobs["apply-staging"]["permissions"]["actions"] == "read"
    names = [s.get("name", s.get("uses", "")) for s in jobs["apply-staging"]["steps"]]
    order = [
        next(i for i, n in enumerate(names) if n.startswith(p))
        for p in ("actions/download", "Plan on", "The plan", "Apply")
    ]
    assert order == sorted(order)


def _compare(
    tmp_path: Path, reviewed: dict[str, Any] | None, now: dict[str, Any] | None, live: bool = False
) -> tuple[int, str, str]:
    (tmp_path / "plans").mkdir(parents=True)
    if reviewed is not None:
        (tmp_path / "plans" / "contoso-aadc01.json").write_text(json.dumps(reviewed), encoding="utf-8")
    if now is not None:
        (tmp_path / "live.json").write_text(json.dumps(now), encoding="utf-8")
    output = tmp_path / "output"
    env = {**os.environ, "SERVER": "contoso-aadc01", "LIVE": str(live).lower(), "GITHUB_OUTPUT": str(output)}
    done = subprocess.run([sys.executable, "-c", _script("apply-staging", "compare")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip
    said = output.read_text(encoding="utf-8") if output.exists() else ""
    return done.returncode, said, done.stderr + done.stdout


def _saved_plans(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same server's plan from a snapshot (as a pull request makes it) and from the server itself."""
    shutil.copytree(ROOT / "states", tmp_path / "states")
    assert _tool(tmp_path, "sim", "init", "--name", "contoso-aadc01").returncode == 0
    state = "states/contoso-aadc01.yaml"
    assert _tool(tmp_path, "plan", state, "--target", "snapshot:.reconciler/sim/contoso-aadc01.json",
                 "--out", "snapshot-plan.json").returncode == 0  # fmt: skip
    assert _tool(tmp_path, "plan", state, "--out", "server-plan.json").returncode == 0
    read = [json.loads((tmp_path / f).read_text(encoding="utf-8")) for f in ("snapshot-plan.json", "server-plan.json")]
    return read[0], read[1]


def test_the_reviewed_plan_from_a_snapshot_is_applied_as_the_plan_made_on_the_server(tmp_path: Path) -> None:
    reviewed, now = _saved_plans(tmp_path / "repo")
    assert reviewed["target"] != now["target"] and reviewed["actions"]  # apply --plan takes only its own target's
    assert _compare(tmp_path, reviewed, now) == (0, "apply=true\n", "")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda p: p["actions"].pop(), "actions"),
        (lambda p: p.update(desiredDigest="sha256:" + "0" * 64), "desiredDigest"),
        (lambda p: p["changes"][0].update(observed=1), "changes"),
        (lambda p: p["impact"]["groupsToDelete"].append("All Staff"), "impact"),
    ],
)
def test_a_plan_made_now_that_is_not_the_reviewed_one_applies_nothing(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], where: str
) -> None:
    reviewed, now = _saved_plans(tmp_path / "repo")
    change(now)
    code, said, message = _compare(tmp_path, reviewed, now)
    assert (code, said) == (1, "")
    assert message.strip() == (
        f"contoso-aadc01: the plan made now differs from the reviewed one in {where}: nothing applied; "
        "review it again (a new pull request, or by hand with apply-live)"
    )
    assert _compare(tmp_path / "by-hand", None, now, live=True)[:2] == (0, "apply=true\n")  # apply-live: no review


def test_no_reviewed_plan_or_no_plan_made_here_applies_nothing(tmp_path: Path) -> None:
    reviewed, now = _saved_plans(tmp_path / "repo")
    code, said, message = _compare(tmp_path / "a", None, now)
    assert (code, said) == (1, "") and "holds no plan for this server" in message
    code, said, message = _compare(tmp_path / "b", reviewed, None)  # skipped: another computer
    assert (code, said) == (1, "") and "no plan was made on this computer" in message
    in_sync = {**reviewed, "actions": []}
    assert _compare(tmp_path / "c", in_sync, in_sync)[:2] == (0, "apply=false\n")
    code, said, message = _compare(tmp_path / "d", in_sync, now)  # drifted since the review: the drift job's
    assert (code, said) == (0, "apply=false\n") and "::warning::contoso-aadc01: in sync when reviewed" in message


def test_the_pull_request_comment_degrades_to_the_summary_on_a_fork() -> None:
    jobs = _workflow()["jobs"]
    assert jobs["report"]["permissions"]["pull-requests"] == "write"
    comment = next(s for s in jobs["report"]["steps"] if s.get("name", "").startswith("One pull-request comment"))
    assert comment["env"]["FORK"] == "${{ github.event.pull_request.head.repo.full_name != github.repository }}"
    assert comment["run"].index('if [ "$FORK" = true ]') < comment["run"].index("gh api")
    assert "<!-- adsync-reconciler:reconcile.yml -->" in comment["run"]


def test_reconcile_workflow_essentials() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    uses = [s["uses"] for job in jobs.values() for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", u) for u in uses), uses  # pinned
    report_steps = [s.get("run", "") for s in jobs["report"]["steps"]]
    assert "--max-bytes 1048576" in report_steps[3] and "--max-bytes 65000" in report_steps[4]
    assert report_steps[-1] == 'test "$code" -ne 1'
    # Python on the sync servers: the machine's own (py launcher), 3.11 or later, in a fresh venv.
    install = _script("apply-staging", "Install")
    assert "sys.version_info < (3, 11)" in install and 'py -3 -m venv "$env:RUNNER_TEMP' in install
    # The collector needs the ADSync module, which Windows PowerShell 5.1 has.
    assert "powershell.exe -NoProfile -File" in _script("drift", "A fresh snapshot")


# `runs.using` in each action's action.yml at the tag of that major version (github.com/actions/<name>,
# tags v4 to v8). A major version keeps its runtime: a new runtime is what makes a new major.
RUNTIMES = {
    ("actions/checkout", 4): "node20", ("actions/checkout", 5): "node24", ("actions/checkout", 6): "node24",
    ("actions/checkout", 7): "node24",
    ("actions/setup-python", 5): "node20", ("actions/setup-python", 6): "node24", ("actions/setup-python", 7): "node24",
    ("actions/upload-artifact", 4): "node20", ("actions/upload-artifact", 5): "node20",
    ("actions/upload-artifact", 6): "node24", ("actions/upload-artifact", 7): "node24",
    ("actions/download-artifact", 5): "node20", ("actions/download-artifact", 6): "node20",
    ("actions/download-artifact", 7): "node24", ("actions/download-artifact", 8): "node24",
}  # fmt: skip
# GitHub changelog, 2025-09-19, "Deprecation of Node 20 on GitHub Actions runners" (node12 and
# node16 went before it).
DEPRECATED_RUNTIMES = {"node12", "node16", "node20"}
# The newest CPython feature release: 3.15.0, October 2026 (PEP 790, python.org).
NEWEST_PYTHON = (3, 15)

# Files that run in a user's repository, where an organisation may require SHA-pinned actions.
USERS_FILES = [ROOT / ".github" / "workflows" / "reconcile.yml", ROOT / "action.yml"]
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([^@\s]+)@(\S+)(?:[ \t]+#[ \t]*(\S+))?[ \t]*$", re.MULTILINE)
_SHA = re.compile(r"[0-9a-f]{40}")


def runtime_problems(text: str) -> list[str]:
    """An action on a deprecated runtime, or one whose runtime RUNTIMES does not know yet."""
    problems = []
    for action, ref, comment in _USES.findall(text):
        version = re.fullmatch(r"v(\d+)(?:\.\d+)*", comment if _SHA.fullmatch(ref) else ref)
        if version is None:
            problems.append(f"{action}@{ref}: no version to read (vN, or a SHA with its '# vX.Y.Z')")
            continue
        runtime = RUNTIMES.get((action, int(version[1])))
        if runtime is None:
            problems.append(f"{action} v{version[1]}: add `runs.using` of its action.yml at that tag to RUNTIMES")
        elif runtime in DEPRECATED_RUNTIMES:
            problems.append(f"{action} v{version[1]} runs on {runtime}, which GitHub deprecated")
    return problems


def pin_problems(text: str, *, githubs_by_major: bool) -> list[str]:
    """A `uses:` not pinned as the README says: a full SHA with its release, GitHub's own by major in our CI."""
    problems = []
    for action, ref, comment in _USES.findall(text):
        if githubs_by_major and action.startswith("actions/"):
            if not re.fullmatch(r"v\d+", ref):
                problems.append(f"{action}@{ref}: GitHub's own action by its major version (vN)")
        elif not (_SHA.fullmatch(ref) and re.fullmatch(r"v\d+\.\d+\.\d+", comment)):
            problems.append(f"{action}@{ref}: a full commit SHA with '# vX.Y.Z'")
    return problems


@pytest.mark.parametrize("path", [*WORKFLOWS, ROOT / "action.yml"], ids=lambda p: p.name)
def test_every_action_is_on_a_supported_runtime_and_pinned(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _USES.findall(text), f"{path.name} uses no action"
    assert runtime_problems(text) == []
    assert pin_problems(text, githubs_by_major=path not in USERS_FILES) == []


def test_the_runtime_and_pin_checks_can_fail() -> None:
    old = (
        "- uses: actions/checkout@v4\n- uses: actions/setup-python@11bd71901bbe5b1630ceea73d27597364c9af683 # v5.3.0\n"
    )
    assert len(runtime_problems(old)) == 2 and "node20" in runtime_problems(old)[0]
    assert runtime_problems("- uses: actions/checkout@v99\n") == [
        "actions/checkout v99: add `runs.using` of its action.yml at that tag to RUNTIMES"
    ]
    assert runtime_problems("- uses: actions/checkout@main\n") != []
    assert pin_problems(old, githubs_by_major=False) == ["actions/checkout@v4: a full commit SHA with '# vX.Y.Z'"]
    assert pin_problems("- uses: actions/checkout@v7.0.1\n", githubs_by_major=True) != []
    assert pin_problems("- uses: someone/else@v1\n", githubs_by_major=True) != []  # third-party: by SHA


def _python(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def test_ci_runs_every_python_from_the_floor_to_the_newest_and_the_classifiers_say_so() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    matrix = [_python(v) for v in ci["jobs"]["test"]["strategy"]["matrix"]["python"]]
    floor = re.fullmatch(r">=(\d+\.\d+)", project["requires-python"])
    assert floor, project["requires-python"]
    assert matrix == [(3, minor) for minor in range(_python(floor[1])[1], NEWEST_PYTHON[1] + 1)]
    classified = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)]
    assert [_python(v) for v in classified] == matrix
    if sys.version_info.releaselevel == "final":  # a released Python newer than the matrix: add it
        assert sys.version_info[:2] <= max(matrix), f"CI's matrix stops at {max(matrix)}"
    # The Pythons the lint job, the workflow template and the action run with are tested ones.
    reconcile = (ROOT / ".github" / "workflows" / "reconcile.yml").read_text(encoding="utf-8")
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    lint = ci["jobs"]["lint"]["steps"]
    chosen = [step["with"]["python-version"] for step in lint if "python-version" in step.get("with", {})]
    chosen += [*re.findall(r'python-version: "([\d.]+)"', reconcile), action["inputs"]["python-version"]["default"]]
    assert len(chosen) >= 4 and all(_python(v) in matrix for v in chosen), chosen


def test_dependabot_updates_the_actions_and_the_python_dependencies() -> None:
    result = check("vendor.dependabot", ROOT / ".github" / "dependabot.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {(u["package-ecosystem"], u["directory"]): u for u in config["updates"]}
    assert set(updates) == {("github-actions", "/"), ("pip", "/")}  # "/": the workflows and action.yml
    assert all(u["schedule"]["interval"] == "weekly" and u["groups"] for u in updates.values())


def test_the_linters_config_names_what_the_workflows_use() -> None:
    config = yaml.safe_load((ROOT / ".github" / "actionlint.yaml").read_text(encoding="utf-8"))
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "reconcile.yml").read_text(encoding="utf-8"))["jobs"]
    custom = {label for job in jobs.values() if isinstance(job["runs-on"], list) for label in job["runs-on"]}
    # Each server's own label comes from the matrix: actionlint does not check an expression.
    assert set(config["self-hosted-runner"]["labels"]) == custom - {
        "self-hosted",
        "windows",
        "${{ matrix.server.name }}",
    }
    variables = {v for path in WORKFLOWS for v in re.findall(r"\bvars\.(\w+)", path.read_text(encoding="utf-8"))}
    assert set(config["config-variables"]) == variables


ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
needs_actionlint = pytest.mark.skipif(ACTIONLINT is None, reason="actionlint comes with pip install '.[lint]'")


def actionlint(*files: Path) -> tuple[int, list[dict[str, object]]]:
    assert ACTIONLINT
    config = ROOT / ".github" / "actionlint.yaml"
    argv = [ACTIONLINT, "-config-file", str(config), "-format", "{{json .}}", *map(str, files)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=files[0].parent)
    return done.returncode, json.loads(done.stdout or "[]")


@needs_actionlint
def test_actionlint_passes_the_workflows() -> None:
    assert actionlint(*WORKFLOWS) == (0, [])


@needs_actionlint
def test_actionlint_fails_a_deprecated_runtime_an_unknown_label_and_a_bad_expression(tmp_path: Path) -> None:
    text = """\
on: push
jobs:
  ours:
    runs-on: [self-hosted, windows, adsync, "${{ github.event.inputs.server }}"]
    timeout-minutes: 5
    steps:
      - run: echo "${{ vars.RECONCILER_PACKAGE }}"
  theirs:
    runs-on: [self-hosted, windows, adsyn]
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.number ++ }}"
      - run: echo "${{ vars.RECONCILER_PAKAGE }}"
  forever:
    runs-on: ubuntu-latest
    steps:
      - run: echo no timeout
"""
    (tmp_path / "bad.yml").write_text(text, encoding="utf-8")
    code, errors = actionlint(tmp_path / "bad.yml")
    assert code == 1
    lines = text.splitlines()
    expected = {("adsyn]", "runner-label"), ("checkout@v4", "action"), ("++", "expression"),
                ("PAKAGE", "expression"), ("forever", "require-job-timeout")}  # fmt: skip
    assert {(e["line"], e["kind"]) for e in errors} == {
        (next(n for n, line in enumerate(lines, 1) if marker in line), kind) for marker, kind in expected
    }
    assert any("node20" in str(e["message"]) for e in errors)


def test_pre_commit_hook_validates_the_whole_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "reconciler-validate" and hook["language"] == "python"
    # Run when a state file changes, on the whole folder: not only on the files the commit touches.
    assert hook["pass_filenames"] is False and hook["entry"] == "reconciler validate" and hook["args"] == ["states/"]
    assert re.search(hook["files"], "states/contoso-aadc01.yaml")
    assert re.search(hook["files"], "states/emea/x.yml")
    assert not re.search(hook["files"], "README.md")
    # A new file reusing another server's metadata.name, beside an untouched one: the run fails, naming both.
    (tmp_path / "states").mkdir()
    shutil.copy(ROOT / "states" / "contoso-aadc01.yaml", tmp_path / "states" / "contoso-aadc01.yaml")
    shutil.copy(ROOT / "states" / "contoso-aadc01.yaml", tmp_path / "states" / "new-server.yaml")
    monkeypatch.chdir(tmp_path)
    entry = [*shlex.split(hook["entry"]), *hook["args"]]
    assert entry[0] == "reconciler"
    done = subprocess.run([sys.executable, "-m", "reconciler", *entry[1:]], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "metadata.name 'contoso-aadc01' is also declared in" in done.stderr + done.stdout


# A ref in an example a user copies: a tag must be one this repository holds, else a full SHA or a placeholder.
_REFS = re.compile(r"(?:\brev:[ \t]*|adsync-reconciler@)(<[^>\n]+>|[^\s#]+)")


def ref_problems(text: str, tags: set[str]) -> list[str]:
    problems = []
    for ref in _REFS.findall(text):
        if not (ref in tags or _SHA.fullmatch(ref) or re.fullmatch(r"<[^>]+>", ref)):
            problems.append(f"{ref}: not a tag of this repository, a full commit SHA or a <placeholder>")
    return problems


def test_no_example_points_at_a_tag_the_repository_lacks() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "tag", "--list"], cwd=ROOT, capture_output=True, text=True, check=True)
    tags = set(listed.stdout.split())
    files = [ROOT / "README.md", ROOT / "action.yml", ROOT / ".pre-commit-hooks.yaml", *WORKFLOWS]
    found = {p.name: ref_problems(p.read_text(encoding="utf-8"), tags) for p in files}
    assert found == {p.name: [] for p in files}
    assert (
        ref_problems("rev: v0.2.0\n- uses: o/adsync-reconciler@v0.2.0\n", set())
        == ["v0.2.0: not a tag of this repository, a full commit SHA or a <placeholder>"] * 2
    )
    assert ref_problems("rev: v0.2.0\n", {"v0.2.0"}) == []


def _action_script() -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    return str(next(s["run"] for s in action["runs"]["steps"] if s.get("id") == "run"))


def test_the_action_runs_without_bash() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    shells = [s["shell"] for s in action["runs"]["steps"] if "run" in s]
    assert shells and set(shells) == {"python"}  # a Windows sync server has no bash
    # An empty python-version takes the runner's own Python: a sync server's, with no download.
    setup = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["if"] == "inputs.python-version != ''"


def _stand_in(tmp_path: Path, body: str) -> dict[str, str]:
    """A PATH whose `reconciler` is a shell script: the action's step runs with it, as on a runner."""
    (tmp_path / "bin").mkdir()
    stand_in = tmp_path / "bin" / "reconciler"
    stand_in.write_text("#!/bin/sh\n" + body)
    stand_in.chmod(0o755)
    return {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "ARGS_FILE": str(tmp_path / "args"),
            "GITHUB_OUTPUT": str(tmp_path / "output"), "RUNNER_TEMP": str(tmp_path),
            "SYSTEMROOT": os.environ.get("SYSTEMROOT", "")}  # fmt: skip


def _run_action(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _action_script()], env=env, capture_output=True, text=True, check=False
    )


needs_sh = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in reconciler is a shell script")


@needs_sh
@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"RECONCILER_COMMAND": "plan", "RECONCILER_STATES": "states/\nmore states/x.yaml\n",
          "RECONCILER_INPUT_TARGET": "snapshot:snapshots/", "RECONCILER_OUTPUT": "markdown",
          "RECONCILER_ARGS": "--shard 2/4 --detailed-exitcode"},
         ["plan", "states/", "more states/x.yaml", "--target", "snapshot:snapshots/", "--output", "markdown",
          "--shard", "2/4", "--detailed-exitcode"]),
        ({"RECONCILER_COMMAND": "validate", "RECONCILER_STATES": "states/", "RECONCILER_INPUT_TARGET": "sim",
          "RECONCILER_OUTPUT": "text", "RECONCILER_ARGS": ""},
         ["validate", "states/"]),
        # A step cannot answer apply's question: the action gives --yes, once.
        ({"RECONCILER_COMMAND": "apply", "RECONCILER_STATES": "states/a b.yaml",
          "RECONCILER_INPUT_TARGET": "powershell", "RECONCILER_SUMMARY": "false",
          "RECONCILER_ARGS": "--wave 'staging'"},
         ["apply", "states/a b.yaml", "--target", "powershell", "--yes", "--wave", "staging"]),
        ({"RECONCILER_COMMAND": "apply", "RECONCILER_STATES": "states/", "RECONCILER_SUMMARY": "false",
          "RECONCILER_ARGS": "--yes"},
         ["apply", "states/", "--yes"]),
    ],
)  # fmt: skip
def test_the_action_assembles_the_command_from_its_inputs(
    tmp_path: Path, inputs: dict[str, str], expected: list[str]
) -> None:
    env = {**_stand_in(tmp_path, 'for a in "$@"; do echo "$a"; done > "$ARGS_FILE"\nexit 2\n'), **inputs}
    done = _run_action(env)
    assert done.returncode == 0, done.stderr  # exit 2 is a result, not a failure, unless asked
    args = (tmp_path / "args").read_text().splitlines()
    assert args == expected
    build_parser().parse_args(args)
    assert (tmp_path / "output").read_text() == "exit-code=2\n"
    asked = _run_action({**env, "RECONCILER_FAIL_ON_CHANGES": "true"})
    assert asked.returncode == 2


@needs_sh
def test_the_action_writes_the_job_summary_from_a_json_report(tmp_path: Path) -> None:
    # The run prints its JSON document and exits 1 (a failed server); `report` prints what it was asked.
    body = ('if [ "$1" = report ]; then echo "report: $*"; exit 0; fi\n'
            'echo "$@" > "$ARGS_FILE"\necho \'{"formatVersion": 1}\'\nexit 1\n')  # fmt: skip
    summary = tmp_path / "summary.md"
    env = {**_stand_in(tmp_path, body), "GITHUB_STEP_SUMMARY": str(summary), "RECONCILER_COMMAND": "plan",
           "RECONCILER_STATES": "states/", "RECONCILER_INPUT_TARGET": "", "RECONCILER_OUTPUT": "text",
           "RECONCILER_ARGS": "--shard 1/2", "RECONCILER_SUMMARY": "true", "RECONCILER_COMMENT": "false"}  # fmt: skip
    done = _run_action(env)
    assert done.returncode == 1  # a failed server fails the step, after the summary is written
    assert (tmp_path / "args").read_text().split() == ["plan", "states/", "--output", "json", "--shard", "1/2"]
    report = tmp_path / "reconciler-report.json"
    assert json.loads(report.read_text()) == {"formatVersion": 1}
    assert f"report: report {report} --output text" in done.stdout  # the plan, readable, in the log
    assert summary.read_text() == f"report: report {report} --output markdown --max-bytes 1048576\n"
    assert (tmp_path / "output").read_text() == f"report={report}\nexit-code=1\n"


class _Comments(http.server.BaseHTTPRequestHandler):
    """GitHub's issue-comment endpoints, in memory; `forbidden` answers 403 as a fork's read-only token gets."""

    comments: ClassVar[dict[int, str]] = {}
    forbidden: ClassVar[bool] = False

    def _answer(self, code: int, document: object) -> None:
        data = json.dumps(document).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(200, [{"id": i, "body": b} for i, b in self.comments.items()])

    def _write(self) -> None:
        if self.forbidden:
            self._answer(403, {"message": "Resource not accessible by integration"})
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["body"]
        found = re.search(r"/comments/(\d+)$", self.path)
        number = int(found[1]) if found else len(self.comments) + 1
        self.comments[number] = body
        self._answer(200, {"id": number})

    do_POST = do_PATCH = _write

    def log_message(self, *_args: object) -> None:
        pass


@needs_sh
def test_each_caller_keeps_its_own_comment_and_a_fork_gets_the_summary(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Comments)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Comments.comments, _Comments.forbidden = {}, False
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    env = {**_stand_in(tmp_path, 'if [ "$1" = report ]; then echo "plan of $RUN"; fi\nexit 0\n'),
           "GITHUB_API_URL": f"http://127.0.0.1:{server.server_port}", "GITHUB_REPOSITORY": "o/states",
           "GITHUB_EVENT_PATH": str(event), "GH_TOKEN": "t", "RECONCILER_COMMAND": "plan",
           "RECONCILER_STATES": "states/", "RECONCILER_SUMMARY": "false", "RECONCILER_COMMENT": "true"}  # fmt: skip
    try:
        for caller, run in (("ci/plan-emea", 1), ("ci/plan-us", 1), ("ci/plan-emea", 2)):
            done = _run_action({**env, "RECONCILER_COMMENT_KEY": caller, "RUN": str(run)})
            assert done.returncode == 0, done.stderr
        assert _Comments.comments == {
            1: "<!-- adsync-reconciler-action:ci/plan-emea -->\nplan of 2\n",  # updated in place
            2: "<!-- adsync-reconciler-action:ci/plan-us -->\nplan of 1\n",
        }
        _Comments.forbidden = True
        done = _run_action({**env, "RECONCILER_COMMENT_KEY": "fork/plan", "RUN": "3"})
        assert done.returncode == 0  # the comment is extra: the report is in the job summary
        assert "::warning::the pull-request comment was not written (HTTP Error 403" in done.stdout
    finally:
        server.shutdown()


def test_the_action_refuses_an_unknown_command_and_empty_states(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_OUTPUT": str(tmp_path / "o"),
        "SYSTEMROOT": os.environ.get("SYSTEMROOT", ""),
    }
    done = _run_action({**env, "RECONCILER_COMMAND": "rm -rf /"})
    assert done.returncode == 1
    assert done.stderr == "command must be validate, plan, apply, reconcile or status, not 'rm -rf /'\n"
    done = _run_action({**env, "RECONCILER_COMMAND": "plan", "RECONCILER_STATES": "\n \n"})
    assert (done.returncode, done.stderr) == (1, "states: give at least one state file or folder, one a line\n")
    done = _run_action({**env, "RECONCILER_COMMAND": "plan", "RECONCILER_STATES": "s/", "RECONCILER_ARGS": "--x 'open"})
    assert (done.returncode, done.stderr) == (1, "args: No closing quotation\n")


def _tool(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *argv], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, "NO_COLOR": "1"})  # fmt: skip


@needs_sh
def test_a_shard_saves_each_planned_servers_plan_as_apply_takes_it(tmp_path: Path) -> None:
    # A real fleet report of two servers: one simulated, one that cannot be observed (the run exits 1).
    shutil.copytree(ROOT / "states", tmp_path / "states")
    assert _tool(tmp_path, "sim", "init", "--name", "contoso-aadc01").returncode == 0
    states = ["states/contoso-aadc01.yaml", "states/contoso-aadc02-staging.yaml"]
    fleet = _tool(tmp_path, "plan", *states, "--output", "json")
    assert fleet.returncode == 1
    (tmp_path / "fleet.json").write_text(fleet.stdout, encoding="utf-8")
    # The shard's step, with a stand-in that prints that report as `plan states/ --shard` would.
    env = {**_stand_in(tmp_path, 'echo "$@" > "$ARGS_FILE"\ncat "$FLEET"\nexit 1\n'),
           "FLEET": str(tmp_path / "fleet.json"), "SHARD": "3"}  # fmt: skip
    done = subprocess.run(["bash", "-e", "-c", _script("plan", "Plan")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr  # the check fails, after the uploads
    assert (tmp_path / "args").read_text().split() == [
        "plan", "states/", "--target", "snapshot:snapshots/", "--shard", "3/4", "--output", "json",
        "--detailed-exitcode",
    ]  # fmt: skip
    assert (tmp_path / "plan-3.json").read_text(encoding="utf-8") == fleet.stdout
    assert sorted(p.name for p in (tmp_path / "plans").iterdir()) == ["contoso-aadc01.json"]
    # What the push's job gives `apply --plan`: taken as reviewed; a job run again finds it applied.
    reviewed = ["--plan", "plans/contoso-aadc01.json", "--yes"]
    applied = _tool(tmp_path, "apply", states[0], *reviewed)
    assert applied.returncode == 0, applied.stderr
    again = _tool(tmp_path, "apply", states[0], *reviewed)
    assert again.returncode == 0 and "contoso-aadc01: the saved plan was already applied" in again.stdout


@pytest.mark.parametrize(
    "path", [ROOT / ".github" / "workflows" / "reconcile.yml", ROOT / "action.yml"], ids=lambda p: p.name
)
def test_every_python_step_compiles(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = [s for job in document.get("jobs", {}).values() for s in job["steps"]]
    steps += document.get("runs", {}).get("steps", [])
    python = [s for s in steps if s.get("shell") == "python"]
    assert python, f"{path.name} has no Python step"
    for step in python:
        compile(step["run"], f"{path.name}: {step.get('name', step.get('id'))}", "exec")


def test_the_workflow_installs_only_the_package_it_is_told_to() -> None:
    """No release is on a package index: a bare default name would install whatever an index holds
    under it. Without RECONCILER_PACKAGE each install step fails in one line, naming the variable."""
    workflow = _workflow()
    assert workflow["env"]["RECONCILER_PACKAGE"] == "${{ vars.RECONCILER_PACKAGE }}"
    linux = _script("servers", "Install")
    done = subprocess.run(
        ["bash", "-e", "-c", linux], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip().endswith("set the repository variable RECONCILER_PACKAGE (README, GitOps)")
    server = _script("apply-staging", "Install")
    assert server.index("if (-not $env:RECONCILER_PACKAGE)") < server.index("pip install")
