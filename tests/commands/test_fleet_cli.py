"""A state repository with a mixed fleet: in sync, drifted, invalid, unreadable observed state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.model import observed
from reconciler.planning import adopt
from reconciler.servers import targets
from reconciler.servers.simulator import defaults
from tests.support import STATES, Run, v1_without_clone


def P(*parts: str) -> str:
    """A path as the tool prints it on this system."""
    return str(Path(*parts))


STATE = """apiVersion: reconciler/v1
kind: SyncServer
metadata:
  name: {name}
spec:
  cloud: AzureCommercial
  apiVersions: {{export: 2, import: 2}}
  groupMemberLimit: {limit}
  rulePrecedence: 90
  writeupRulePrecedence: 89
  scheduler: {{syncCycleEnabled: true}}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """states/ and snapshots/ for five servers, named so that file order differs from name order."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "states" / "b").mkdir(parents=True)
    (tmp_path / "snapshots").mkdir()
    # in sync: desired is what the snapshot holds
    insync = defaults.new_server("alpha-insync", "1.6.2.4")
    (tmp_path / "snapshots" / "alpha-insync.json").write_text(observed.dumps(insync))
    exported = adopt.desired_from(insync).state
    (tmp_path / "states" / "b" / "1.yaml").write_text(
        STATE.format(name="alpha-insync", limit=exported.group_member_limit).replace(
            "  rulePrecedence: 90\n  writeupRulePrecedence: 89\n", ""
        )
    )
    # drift: wants 100,000 on a 50,000 server
    (tmp_path / "snapshots" / "bravo-drift.json").write_text(
        observed.dumps(defaults.new_server("bravo-drift", "1.6.2.4"))
    )
    (tmp_path / "states" / "0.yaml").write_text(STATE.format(name="bravo-drift", limit=100000))
    # invalid state file
    (tmp_path / "states" / "2.yaml").write_text(STATE.format(name="charlie-invalid", limit="lots"))
    # unreadable observed state
    (tmp_path / "snapshots" / "delta-damaged.json").write_text("{ not json")
    (tmp_path / "states" / "3.yaml").write_text(STATE.format(name="delta-damaged", limit=100000))
    # no snapshot at all
    (tmp_path / "states" / "4.yaml").write_text(STATE.format(name="echo-missing", limit=100000))
    return tmp_path


def test_text_report_is_sorted_with_a_summary_and_the_worst_exit_code(run: Run, repo: Path) -> None:
    result = run("plan", "states", "--target", "snapshot:snapshots/", "--detailed-exitcode")
    assert result.code == 1  # a failure outranks drift
    heads = [line for line in result.out.splitlines() if line and not line.startswith(" ")]
    assert heads == [
        "alpha-insync (version 1.6.2.4)",
        "bravo-drift (version 1.6.2.4)",
        "delta-damaged: failed (1 problem(s), listed on stderr)",
        "echo-missing: failed (1 problem(s), listed on stderr)",
        f"{P('states', '2.yaml')}: failed (1 problem(s), listed on stderr)",
        "Plan: 2 rule(s) to create, 0 to update, 2 to disable, 0 to enable, 0 to remove; 0 setting(s) to change; "
        "2 group(s) to provision, 0 to stop updating, 0 to delete.",
        "5 servers: 1 in sync, 1 with changes, 3 failed",
    ]
    assert result.err_lines == [
        f"{P('snapshots', 'delta-damaged.json')}:1:3: not valid JSON: "
        "Expecting property name enclosed in double quotes",
        f"{P('snapshots', 'echo-missing.json')}: no such snapshot (run the collector script on the server)",
        f"{P('states', '2.yaml')}:8:21: spec.groupMemberLimit: expected an integer, got string 'lots'",
    ]


def test_json_report_has_an_entry_per_server(run: Run, repo: Path) -> None:
    result = run("plan", "states", "--target", "snapshot:snapshots/", "--output", "json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document["summary"] == {"servers": 5, "inSync": 1, "withChanges": 1, "failed": 3}
    servers = document["servers"]
    assert [s["server"] for s in servers] == [
        "alpha-insync",
        "bravo-drift",
        "delta-damaged",
        "echo-missing",
        P("states", "2.yaml"),
    ]
    assert [s["status"] for s in servers] == ["in-sync", "changes", "failed", "failed", "failed"]
    assert servers[1]["plan"]["actions"][2]["kind"] == "CreateSyncRule"
    assert servers[3]["errors"] == [
        f"{P('snapshots', 'echo-missing.json')}: no such snapshot (run the collector script on the server)"
    ]
    assert servers[0]["plan"]["actions"] == [] and servers[2]["plan"] is None


def test_markdown_report_leads_with_a_summary_table(run: Run, repo: Path) -> None:
    result = run("plan", "states", "--target", "snapshot:snapshots/", "--output", "markdown")
    lines = result.out.splitlines()
    assert lines[0] == "## ADSync Reconciler: 5 servers: 1 in sync, 1 with changes, 3 failed"
    assert "| `alpha-insync` | in sync | 0 |" in lines
    assert "| `bravo-drift` | changes | 7 |" in lines
    assert "| `echo-missing` | **failed** |  |" in lines
    assert "<details><summary><code>bravo-drift</code>: changes</summary>\n\n####" in result.out
    # GitHub needs blank lines around tables, headings and the Markdown inside <details>.
    table_end = result.out.index("\n\n", result.out.index("| server |"))
    assert result.out[table_end - 1] == "|" and "\n</details>" not in result.out.replace("\n\n</details>", "")


def test_shards_cover_the_fleet_between_them(run: Run, repo: Path) -> None:
    seen: list[str] = []
    for k in (1, 2, 3):
        result = run("plan", "states", "--target", "snapshot:snapshots/", "--output", "json", "--shard", f"{k}/3")
        text = result.out.strip()
        if not text:
            continue
        document = json.loads(text)
        entries = document["servers"] if "servers" in document else [{"server": document["server"]}]
        seen += [e["server"] for e in entries if not e["server"].endswith(".yaml")]
    assert sorted(seen) == ["alpha-insync", "bravo-drift", "delta-damaged", "echo-missing"]
    refused = run("plan", "states", "--shard", "4/3").err
    assert refused == "--shard '4/3': expected K/N with 1 <= K <= N in ASCII digits, e.g. 2/8\n"


def test_apply_refuses_the_whole_fleet_when_a_state_file_is_invalid(run: Run, repo: Path) -> None:
    result = run("apply", "states", "--yes")
    assert result.code == 1
    assert result.err_lines == [
        f"{P('states', '2.yaml')}:8:21: spec.groupMemberLimit: expected an integer, got string 'lots'"
    ]
    assert not (repo / ".reconciler").exists()  # nothing observed, nothing created


def test_shard_reports_merge_into_one(run: Run, repo: Path) -> None:
    files = []
    for k in (1, 2, 3):
        result = run("plan", "states", "--target", "snapshot:snapshots/", "--output", "json", "--shard", f"{k}/3")
        (repo / f"plan-{k}.json").write_text(result.out)
        files.append(str(repo / f"plan-{k}.json"))
    merged = run("report", *files, "--output", "json")
    document = json.loads(merged.out)
    names = [s["server"] for s in document["servers"]]
    assert [n for n in names if not n.endswith(".yaml")] == [
        "alpha-insync",
        "bravo-drift",
        "delta-damaged",
        "echo-missing",
    ]
    assert merged.code == 1  # failures in any shard
    markdown = run("report", *files)
    assert markdown.out.startswith("## ADSync Reconciler: ")
    (repo / "bad.json").write_text("{")
    bad = run("report", str(repo / "bad.json"))
    assert bad.code == 1 and "not a plan report" in bad.err


def test_winrm_host_template_names_each_server() -> None:
    target = targets.parse("winrm://{name}.corp.contoso.com:5986")
    assert isinstance(target, targets.LiveTarget)
    assert target.label("aadc01") == "winrm://aadc01.corp.contoso.com:5986"


def test_reconcile_a_fleet_side_by_side_staging_first(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fleet").mkdir()
    names = [f"srv{i}" for i in range(6)]
    for name in names:
        assert run("sim", "init", "--name", name, "--version", "1.6.2.4").code == 0
        (tmp_path / "fleet" / f"{name}.yaml").write_text(STATE.format(name=name, limit=100000))
    run("sim", "set", "--name", "srv5", "scheduler.StagingModeEnabled=true")
    result = run("reconcile", "fleet")
    assert result.code == 0, result.err
    applied = [line.split(":")[0] for line in result.out.splitlines() if ": applied" in line]
    # The staging wave first; the active servers side by side, each line as it finishes.
    assert applied[0] == "srv5" and sorted(applied[1:]) == ["srv0", "srv1", "srv2", "srv3", "srv4"]
    assert result.out.endswith("6 servers: 0 in sync, 6 changed, 0 failed\n")
    again = run("plan", "fleet", "--detailed-exitcode")
    assert again.code == 0 and again.out.endswith("6 servers: 6 in sync, 0 failed\n")


def test_json_of_one_refused_server_is_a_document_and_an_empty_report_is_an_error(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fabrikam = v1_without_clone()  # refused on a new 2.x simulator: no precedence
    result = run("plan", fabrikam, "--output", "json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document["summary"]["failed"] == 1 and document["servers"][0]["status"] == "failed"
    empty = tmp_path / "plan-2.json"
    empty.write_text("", encoding="utf-8")
    merged = run("report", str(empty))
    assert merged.code == 1
    assert merged.err == f"{empty}: empty: not a plan report (did its plan run fail?)\n"


def test_the_markdown_table_shows_deletions(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rollback = tmp_path / "contoso-aadc01.yaml"
    text = (STATES / "contoso-aadc01.yaml").read_text(encoding="utf-8").split("  rollout:")[0]
    text = text.replace("export: 2", "export: 1").replace("import: 2", "import: 1")
    text = text.replace("groupMemberLimit: 100000", "groupMemberLimit: 50000")
    rollback.write_text(text.replace("  rulePrecedence: 90\n", "").replace("  writeupRulePrecedence: 89", ""))
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    big = tmp_path / "big.yaml"
    big.write_text((STATES / "contoso-aadc01.yaml").read_text(encoding="utf-8").split("  rollout:")[0])
    assert run("reconcile", str(big)).code == 0
    assert run("sim", "cycle", "--name", "contoso-aadc01", "--full").code == 0
    result = run("plan", str(rollback), str(STATES / "fabrikam-aadc01.yaml"), "--output", "markdown",
                 "--allow-group-deletion")  # fmt: skip
    row = next(line for line in result.out.splitlines() if line.startswith("| `contoso-aadc01`"))
    assert "**deletes 1 group(s)**" in row


def test_markdown_is_cut_to_fit_a_pull_request_comment_worst_first(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fleet").mkdir()
    for i in range(60):
        name = f"srv{i:02d}"
        assert run("sim", "init", "--name", name, "--version", "1.6.2.4", "--target", "sim:sims/").code == 0
        (tmp_path / "fleet" / f"{name}.yaml").write_text(STATE.format(name=name, limit=100000))
    (tmp_path / "fleet" / "srv00.yaml").write_text("not: [valid")  # one failure among many changes
    whole = run("plan", "fleet", "--target", "sim:sims/", "--output", "markdown")
    assert len(whole.out.encode("utf-8")) > 65_536  # 59 changed servers and their details
    cut = run("plan", "fleet", "--target", "sim:sims/", "--output", "markdown", "--max-bytes", "65536")
    size = len(cut.out.encode("utf-8"))
    assert size <= 65_536
    lines = cut.out.splitlines()
    assert lines[0] == "## ADSync Reconciler: 60 servers: 0 in sync, 59 with changes, 1 failed"
    assert "Every server is in the JSON report" in cut.out
    first_row = next(line for line in lines if line.startswith("| `"))
    assert "**failed**" in first_row  # the worst first
    json_file = tmp_path / "plan.json"
    json_file.write_text(run("plan", "fleet", "--target", "sim:sims/", "--output", "json").out, encoding="utf-8")
    merged = run("report", str(json_file), "--max-bytes", "65536")
    assert len(merged.out.encode("utf-8")) <= 65_536 and merged.code == 1
    assert run("plan", "fleet", "--target", "sim:sims/", "--output", "markdown", "--max-bytes", "12").code == 1
