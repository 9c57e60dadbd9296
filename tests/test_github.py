"""The GitOps files: GitHub's published schemas, and every command they run parses with our CLI."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
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
    assert uses and all(re.fullmatch(r"[\w-]+/[\w-]+@v\d+\.\d+\.\d+", u) for u in uses), uses  # pinned
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
