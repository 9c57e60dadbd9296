"""`plan --output powershell`: golden scripts per action kind, and quoting that no name can break."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import pytest

from reconciler import cmdlets
from reconciler.actions import KINDS
from reconciler.plans import Plan
from reconciler.reports import powershell as psplan
from tests.scenario import apply, make_plan, rollback, server, state

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "powershell"
QUOTES = "'\u2018\u2019\u201a\u201b"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def scenarios(tmp_path: Path) -> dict[str, Plan]:
    """One plan per runbook; together they use every action kind."""
    enable = server("1.5.30.0")
    raised = server("1.6.2.4")
    increase = server("1.6.2.4")
    apply(increase, state(), tmp_path)
    increase.run_cycle(full=False)
    rollback = server("1.6.2.4")
    apply(rollback, state(), tmp_path)
    return {
        "enable-v2": make_plan(enable, state(group_member_limit=50000, rule_precedence=None)),
        "raise-limit": make_plan(raised, state()),
        "subsequent-increase": make_plan(increase, state(group_member_limit=150000)),
        "rollback": make_plan(
            rollback,
            state(export_api_version=1, import_api_version=1, group_member_limit=50000, rule_precedence=None),
            allow=True,
        ),
        "scheduler-off": make_plan(
            server("2.4.18.0"), state(group_member_limit=250000, rule_precedence=None, sync_cycle_enabled=False)
        ),
    }


def test_the_scenarios_cover_every_action_kind(tmp_path: Path) -> None:
    used = {a.kind for p in scenarios(tmp_path).values() for a in p.actions}
    assert used == set(KINDS)


@pytest.mark.parametrize("name", ["enable-v2", "raise-limit", "subsequent-increase", "rollback", "scheduler-off"])
def test_golden_script(tmp_path: Path, name: str) -> None:
    text = psplan.script(scenarios(tmp_path)[name])
    golden = GOLDEN / f"{name}.ps1"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"rerun with UPDATE_GOLDEN=1 after reviewing {golden}"


def test_script_essentials(tmp_path: Path) -> None:
    text = psplan.script(scenarios(tmp_path)["raise-limit"])
    assert text.startswith("#Requires -RunAsAdministrator\n")
    assert "Set-StrictMode -Version Latest" in text and "$ErrorActionPreference = 'Stop'" in text
    assert "finally {" in text and "Set-ADSyncScheduler -SyncCycleEnabled $true" in text.split("finally {")[1]
    assert "Set-ADSyncRule" not in text
    assert "C:\\" not in text  # the install folder comes from the registry


def test_the_aad_connector_module_is_imported_from_the_registry_path(tmp_path: Path) -> None:
    text = psplan.script(scenarios(tmp_path)["enable-v2"])
    assert "$installPath = (Get-ItemProperty -LiteralPath $ParametersKey -Name Path).Path" in text
    assert "Import-Module (Join-Path $installPath 'Extensions\\AADConnector.psm1')" in text


# --- quoting ---------------------------------------------------------------------------------


def decode_literal(text: str, start: int) -> tuple[str, int]:
    """PowerShell's reading of a single-quoted literal at `start`: (value, index after it)."""
    assert text[start] in QUOTES
    out, i = [], start + 1
    while i < len(text):
        c = text[i]
        if c in QUOTES:
            if i + 1 < len(text) and text[i + 1] in QUOTES:
                out.append(text[i + 1])
                i += 2
                continue
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise AssertionError("unterminated literal")


def tokens(text: str) -> tuple[list[str], str]:
    """(every single-quoted literal's value, the code with each literal as «S» and comments dropped)."""
    literals: list[str] = []
    skeleton: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("<#", i):
            i = text.index("#>", i) + 2
        elif c == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif c in QUOTES:
            value, i = decode_literal(text, i)
            literals.append(value)
            skeleton.append("«S»")
        elif c == '"':
            j = i + 1
            while text[j] != '"' or text[j - 1] == "`":
                j += 1
            skeleton.append(text[i : j + 1])
            i = j + 1
        else:
            skeleton.append(c)
            i += 1
    return literals, "".join(skeleton)


NASTY = [
    "O'Brien's groups",
    "\u2018curly\u2019 \u201alow\u201b quotes",
    "''; Remove-ADSyncRule -Identifier x; '",
    "$(Stop-Computer -Force)",
    "`$env:USERNAME` back`ticks`",
    "semi; colon && pipe | Out-Null",
    "line one\nline two\r\nStop-Computer",
    "#> closes a comment <# opens one",
    "\u2019;Stop-Computer;\u2018",
    '"double" @(array) ${braced}',
]


@pytest.mark.parametrize("nasty", NASTY)
def test_no_name_changes_the_script_around_it(tmp_path: Path, nasty: str) -> None:
    benign = "Managed rule"
    rendered = {}
    for name in (benign, nasty):
        srv = server("1.6.2.4")
        srv.state = srv.state.replace(aad_connector=dataclasses.replace(srv.state.aad_connector, name=f"{name} - AAD"))
        folder = tmp_path / str(len(rendered))
        apply(srv, state(rule_name=name, connector_name=f"{name} - AAD"), folder)
        srv.run_cycle(full=False)
        p = make_plan(srv, state(rule_name=name, connector_name=f"{name} - AAD", group_member_limit=150000))
        assert {a.kind for a in p.actions} >= {"UpdateSyncRule", "SetConnectorOverride"}
        rendered[name] = psplan.script(p)
    benign_literals, benign_skeleton = tokens(rendered[benign])
    nasty_literals, nasty_skeleton = tokens(rendered[nasty])
    assert nasty_skeleton == benign_skeleton  # the code is the same; only literal values differ
    assert nasty in nasty_literals and f"{nasty} - AAD" in nasty_literals

    # The clone's identifier derives from its name; every other literal differs only by the name.
    def named(values: list[str]) -> list[str]:
        return [v for v in values if not GUID.fullmatch(v)]

    # Step titles show the name JSON-escaped, as the plan's text output does.
    escaped = json.dumps(nasty, ensure_ascii=False)[1:-1]
    for plain, tricky in zip(named(benign_literals), named(nasty_literals), strict=True):
        assert tricky in (plain.replace(benign, nasty), plain.replace(benign, escaped))


@pytest.mark.parametrize("value", [*NASTY, "", "plain"])
def test_quote_round_trips(value: str) -> None:
    literal = cmdlets.quote(value)
    decoded, end = decode_literal(literal, 0)
    assert (decoded, end) == (value, len(literal))


def test_a_rollback_script_stopped_after_the_endpoint_switch_keeps_the_scheduler_off(tmp_path: Path) -> None:
    """Invariant 7 in the script as in apply: once V1 would delete a provisioned 75,000-member group,
    a stop leaves the scheduler off; the step that makes that so is where the script says it."""
    srv = server("1.6.2.4")
    apply(srv, state(), tmp_path)
    srv.run_cycle(full=True)  # All Faculty (75,000 members) is provisioned
    back = rollback(allow_group_deletion=True)
    p = make_plan(srv, back, allow=True)
    assert p.script.risky_after == frozenset(range(2, len(p.actions)))  # from SetExportApiVersion(1) on
    text = psplan.script(p)
    export_step = text.index("Set-ADSyncAADConnectorExportApiVersion 1")
    assert text.index("    $keepSchedulerOff = $true", export_step) < text.index("SetImportApiVersion", export_step)
    assert "    $keepSchedulerOff = $false" not in text
    assert "the sync scheduler stays disabled" in text
