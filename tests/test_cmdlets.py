"""Every script the tool writes, read by a real PowerShell grammar (tree-sitter-powershell): it
parses, it is pure ASCII, and no user or server text can become code."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from reconciler import cmdlets
from reconciler.model.observed import AttributeFlowMapping
from reconciler.reports import powershell as psplan
from reconciler.servers import powershell
from reconciler.servers.simulator import defaults
from tests.reports.test_powershell import scenarios
from tests.scenario import apply, make_plan, server, state

PARSER = Parser(Language(tree_sitter_powershell.language()))

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
    "\u0413\u0440\u0443\u043f\u043f\u0430 \u0411; Write-Host INJECTED; \u0411",  # cp1252 made this code
    "Gro\u00dfe Gruppe \u0151 \U0001f600",
]


def parse(text: str) -> Node:
    root = PARSER.parse(text.encode("utf-8")).root_node
    broken = [n for n in _walk(root) if n.type == "ERROR" or n.is_missing]
    assert not broken, [(n.type, n.start_point, n.text) for n in broken[:3]]
    return root


def _walk(node: Node) -> list[Node]:
    found = [node]
    for child in node.children:
        found += _walk(child)
    return found


def commands(root: Node) -> list[tuple[str, list[str]]]:
    """Every command: its name and the parameters it is given."""
    found = []
    for node in _walk(root):
        if node.type == "command":
            # `& { ... }` runs a script block: no command name, an invocation operator.
            name = next((c for c in node.children if c.type == "command_name"), node.children[0])
            parameters = [n.text.decode() for n in _walk(node) if n.type == "command_parameter"]
            found.append(((name.text or b"").decode(), parameters))
    return found


def evaluate(expression: str) -> str:
    """What a `cmdlets.quote` expression reads as in PowerShell: literals with '' for ', [char] code units."""
    units = re.findall(r"'((?:[^']|'')*)'|\[char\]0x([0-9A-F]{4})", expression)
    text = "".join(literal.replace("''", "'") if not code else chr(int(code, 16)) for literal, code in units)
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


def plan_scripts(tmp_path: Path) -> dict[str, str]:
    return {name: psplan.script(p) for name, p in scenarios(tmp_path).items()}


def named_script(tmp_path: Path, name: str) -> str:
    """A subsequent increase on a server whose clone and AAD connector carry `name`."""
    srv = server("1.6.2.4")
    srv.state = srv.state.replace(aad_connector=dataclasses.replace(srv.state.aad_connector, name=f"{name} - AAD"))
    want = state(rule_name=name, connector_name=f"{name} - AAD")
    apply(srv, want, tmp_path)
    srv.run_cycle(full=False)
    p = make_plan(srv, dataclasses.replace(want, group_member_limit=150000))
    assert {a.kind for a in p.actions} >= {"UpdateSyncRule", "SetConnectorOverride"}
    return psplan.script(p)


class Recorder:
    label = "recorder"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def run(self, script: str) -> str:
        self.sent.append(script)
        return ""


def live_scripts() -> list[str]:
    """What the live targets send for each server operation."""
    recorder = Recorder()
    live = powershell.PowerShellServer(recorder, "srv1", "AzureCommercial")
    state = defaults.new_server("srv1", "1.6.2.4")
    rule = state.sync_rules[0]
    live.set_sync_cycle_enabled(False)
    live.set_export_api_version(2)
    live.set_import_api_version(2)
    live.add_rule(rule)
    live.remove_rule(rule.identifier)
    live.set_rule_disabled(rule.identifier, True)
    live.set_connector_override("contoso.onmicrosoft.com - AAD", False)
    return [*recorder.sent, powershell.collector_script("o'brien-aadc01", "AzureUSGovernment")]


def test_every_script_parses(tmp_path: Path) -> None:
    scripts: dict[str, Any] = {**plan_scripts(tmp_path)}
    scripts["collector"] = powershell.shipped_script("Collect-ADSyncObservedState.ps1")
    scripts["task"] = powershell.shipped_script("Register-ReconcilerTask.ps1")
    for index, text in enumerate(live_scripts()):
        scripts[f"live-{index}"] = text
    for name, text in scripts.items():
        assert commands(parse(text)), name


@pytest.mark.parametrize("nasty", NASTY)
def test_no_name_becomes_code(tmp_path: Path, nasty: str) -> None:
    benign = named_script(tmp_path / "benign", "Managed rule")
    tricky = named_script(tmp_path / "nasty", nasty)
    # The same commands with the same parameters, in the same order: the name added none.
    assert commands(parse(tricky)) == commands(parse(benign))
    assert tricky.isascii()


@pytest.mark.parametrize("value", [*NASTY, "", "plain", "a'b", "\t"])
def test_quote_reads_back_as_the_value(value: str) -> None:
    expression = cmdlets.quote(value)
    assert expression.isascii()
    assert evaluate(expression) == value
    root = parse(f"Write-Host {expression}\n")
    assert commands(root) == [("Write-Host", [])]


def test_every_printed_script_reads_the_same_in_any_code_page(tmp_path: Path) -> None:
    scripts = [*plan_scripts(tmp_path).values(), named_script(tmp_path / "n", NASTY[-2])]
    for text in scripts:
        data = text.encode("ascii")  # raises if a single byte is beyond ASCII
        assert {data.decode(codec) for codec in ("cp1252", "cp1251", "utf-8")} == {text}


def test_shipped_scripts_are_ascii() -> None:
    for name in ("Collect-ADSyncObservedState.ps1", "Register-ReconcilerTask.ps1"):
        assert powershell.shipped_script(name).isascii(), name


def test_empty_source_and_expression_are_left_out() -> None:
    """Add-ADSyncAttributeFlowMapping rejects an empty -Source or -Expression (ADSync 2.2.8.0)."""
    rule = defaults.new_server("srv1", "2.4.21.0").sync_rules[0]
    constant = AttributeFlowMapping((), "cloudFiltered", "Constant", "")
    script = "\n".join(cmdlets.create_rule(dataclasses.replace(rule, attribute_flow_mappings=(constant,))))
    flows = [params for name, params in commands(parse(script)) if name == "Add-ADSyncAttributeFlowMapping"]
    assert flows == [["-SynchronizationRule", "-Destination", "-FlowType", "-ValueMergeType", "-OutVariable"]]
