"""The GitOps files: GitHub's published schemas, and every command they run parses with our CLI."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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


def _commands(text: str) -> list[list[str]]:
    """Every `reconciler …` command line of a YAML file's run steps, shell variables filled in."""
    found = []
    document = yaml.safe_load(text)
    steps = [s for job in document.get("jobs", {}).values() for s in job.get("steps", [])]
    steps += document.get("runs", {}).get("steps", [])
    for step in steps:
        script = re.sub(r"\\\n\s*", " ", step.get("run", ""))
        for raw in script.splitlines():
            command = raw.strip()
            if not command.startswith("reconciler "):
                continue
            command = command.split(">")[0]  # redirections are the shell's
            for variable, value in (("$env:RECONCILER_STATE", "contoso-aadc01.yaml"), ('"$SHARD/4"', "1/4"),
                                    ('"$SHARD', '"1'), ("plan-*.json", "plan-1.json")):  # fmt: skip
                command = command.replace(variable, value)
            found.append(shlex.split(command)[1:])
    return found


@pytest.mark.parametrize("path", [*WORKFLOWS, ROOT / "action.yml"], ids=lambda p: p.name)
def test_every_command_they_run_is_one_the_tool_takes(path: Path) -> None:
    parser = build_parser()
    commands = _commands(path.read_text(encoding="utf-8"))
    if path.name == "ci.yml":
        assert commands == []
        return
    assert commands, f"{path.name} runs no reconciler command"
    for argv in commands:
        if argv and argv[0].startswith("${argv"):
            continue  # the action assembles its command from inputs: tested by running it below
        parser.parse_args(argv)


def test_reconcile_workflow_essentials() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "reconcile.yml").read_text())
    assert workflow["permissions"] == {"contents": "read"}
    assert "concurrency" in workflow
    jobs = workflow["jobs"]
    assert jobs["apply-active"]["needs"] == "apply-staging"  # staging servers first
    assert "adsync-staging" in jobs["apply-staging"]["runs-on"]
    uses = [s["uses"] for job in jobs.values() for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", u) for u in uses), uses  # pinned
    # A failed shard's report is uploaded too, so the merged summary names exactly the failed servers;
    # the check fails after the merge.
    upload = next(s for s in jobs["plan"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    report_steps = [s.get("run", "") for s in jobs["report"]["steps"]]
    assert "--max-bytes 1048576" in report_steps[3] and "--max-bytes 65000" in report_steps[4]
    assert report_steps[-1] == 'test "$code" -ne 1'
    assert jobs["report"]["permissions"]["pull-requests"] == "write"
    for job in ("apply-staging", "apply-active"):  # a runner in the wrong wave fails, never green
        apply = next(s["run"] for s in jobs[job]["steps"] if s.get("name") == "Apply")
        assert "--output json > apply.json" in apply and "$result.summary.skipped" in apply


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
    assert len(chosen) == 4 and all(_python(v) in matrix for v in chosen), chosen


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
    assert set(config["self-hosted-runner"]["labels"]) == custom - {"self-hosted", "windows"}
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
    runs-on: [self-hosted, windows, adsync-active]
    timeout-minutes: 5
    steps:
      - run: echo "${{ vars.RECONCILER_PACKAGE }}"
  theirs:
    runs-on: [self-hosted, windows, adsync-activ]
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
    expected = {("adsync-activ]", "runner-label"), ("checkout@v4", "action"), ("++", "expression"),
                ("PAKAGE", "expression"), ("forever", "require-job-timeout")}  # fmt: skip
    assert {(e["line"], e["kind"]) for e in errors} == {
        (next(n for n, line in enumerate(lines, 1) if marker in line), kind) for marker, kind in expected
    }
    assert any("node20" in str(e["message"]) for e in errors)


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "reconciler-validate" and hook["entry"] == "reconciler validate"
    assert hook["language"] == "python"
    assert re.search(hook["files"], "states/contoso-aadc01.yaml")
    assert re.search(hook["files"], "states/emea/x.yml")
    assert not re.search(hook["files"], "README.md")
    build_parser().parse_args([*hook["entry"].split()[1:], "states/a.yaml"])


@pytest.mark.skipif(sys.platform == "win32", reason="runs the action's bash step with a stand-in reconciler")
@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"RECONCILER_COMMAND": "plan", "RECONCILER_STATES": "states/ more/x.yaml",
          "RECONCILER_INPUT_TARGET": "snapshot:snapshots/", "RECONCILER_OUTPUT": "markdown",
          "RECONCILER_ARGS": "--shard 2/4 --detailed-exitcode"},
         ["plan", "states/", "more/x.yaml", "--target", "snapshot:snapshots/", "--output", "markdown",
          "--shard", "2/4", "--detailed-exitcode"]),
        ({"RECONCILER_COMMAND": "validate", "RECONCILER_STATES": "states/", "RECONCILER_INPUT_TARGET": "sim",
          "RECONCILER_OUTPUT": "text", "RECONCILER_ARGS": ""},
         ["validate", "states/"]),
    ],
)  # fmt: skip
def test_the_action_assembles_the_command_from_its_inputs(
    tmp_path: Path, inputs: dict[str, str], expected: list[str]
) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = next(s["run"] for s in action["runs"]["steps"] if s.get("id") == "run")
    (tmp_path / "bin").mkdir()
    stand_in = tmp_path / "bin" / "reconciler"
    stand_in.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done > "$ARGS_FILE"\nexit 2\n')
    stand_in.chmod(0o755)
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "ARGS_FILE": str(tmp_path / "args"),
           "GITHUB_OUTPUT": str(tmp_path / "output"), **inputs}  # fmt: skip
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr  # exit 2 is a result, not a failure, unless asked
    args = (tmp_path / "args").read_text().splitlines()
    assert args == expected
    build_parser().parse_args(args)
    assert (tmp_path / "output").read_text() == "exit-code=2\n"
    asked = subprocess.run(["bash", "-c", script], env={**env, "RECONCILER_FAIL_ON_CHANGES": "true"},
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert asked.returncode == 2


@pytest.mark.skipif(sys.platform == "win32", reason="runs the action's bash step with a stand-in reconciler")
def test_the_action_writes_the_job_summary_from_a_json_report(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = next(s["run"] for s in action["runs"]["steps"] if s.get("id") == "run")
    (tmp_path / "bin").mkdir()
    stand_in = tmp_path / "bin" / "reconciler"
    # The run prints its JSON document and exits 1 (a failed server); `report` prints what it was asked.
    stand_in.write_text(
        '#!/bin/sh\nif [ "$1" = report ]; then echo "report: $*"; exit 0; fi\n'
        'echo "$@" > "$ARGS_FILE"\necho \'{"formatVersion": 1}\'\nexit 1\n'
    )
    stand_in.chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "ARGS_FILE": str(tmp_path / "args"),
           "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(summary),
           "RUNNER_TEMP": str(tmp_path), "RECONCILER_COMMAND": "plan", "RECONCILER_STATES": "states/",
           "RECONCILER_INPUT_TARGET": "", "RECONCILER_OUTPUT": "text", "RECONCILER_ARGS": "--shard 1/2",
           "RECONCILER_SUMMARY": "true", "RECONCILER_COMMENT": "false"}  # fmt: skip
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1  # a failed server fails the step, after the summary is written
    assert (tmp_path / "args").read_text().split() == ["plan", "states/", "--output", "json", "--shard", "1/2"]
    report = tmp_path / "reconciler-report.json"
    assert json.loads(report.read_text()) == {"formatVersion": 1}
    assert f"report: report {report} --output text" in done.stdout  # the plan, readable, in the log
    assert summary.read_text() == f"report: report {report} --output markdown --max-bytes 1048576\n"
    assert (tmp_path / "output").read_text() == f"report={report}\nexit-code=1\n"


def test_the_action_refuses_an_unknown_command(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("bash")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = next(s["run"] for s in action["runs"]["steps"] if s.get("id") == "run")
    env = {"PATH": "/usr/bin:/bin", "RECONCILER_COMMAND": "rm -rf /", "GITHUB_OUTPUT": str(tmp_path / "o")}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "command must be validate, plan, apply, reconcile or status" in done.stderr
