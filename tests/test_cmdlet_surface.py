"""Every ADSync cmdlet a script calls exists in the shipped module of build 2.2.8.0, with every
named parameter it is given and the mandatory ones of one of its parameter sets.

`tests/fixtures/adsync-2.2.8.0-cmdlets-used.json` is the part of the real surface these scripts
use, so the test runs in a clone alone; where shared/fixtures is beside the checkout, that copy is
checked against the whole real file."""

from __future__ import annotations

import functools
import itertools
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from tree_sitter import Node

from reconciler.model import facts
from reconciler.servers import powershell
from tests.support import FIXTURES, ROOT
from tests.test_cmdlets import NASTY, _walk, live_scripts, named_script, parse, plan_scripts

USED = ROOT / "tests" / "fixtures" / "adsync-2.2.8.0-cmdlets-used.json"
REAL = FIXTURES / "adsync-2.2.8.0-cmdlets.json"
# PowerShell's common parameters: every cmdlet takes them.
COMMON = {"verbose", "debug", "erroraction", "warningaction", "informationaction", "errorvariable",
          "warningvariable", "informationvariable", "outvariable", "outbuffer", "pipelinevariable"}  # fmt: skip
# Functions of Extensions\AADConnector.psm1, not compiled cmdlets: one positional [int] version.
MODULE_FUNCTIONS = {"Set-ADSyncAADConnectorExportApiVersion", "Set-ADSyncAADConnectorImportApiVersion"}


@functools.cache
def _fixture() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(USED.read_text(encoding="utf-8"))
    return document


def _surface() -> dict[str, list[dict[str, Any]]]:
    cmdlets: dict[str, list[dict[str, Any]]] = _fixture()["cmdlets"]
    return cmdlets


def output_types() -> dict[str, str | None]:
    """What each cmdlet writes to the pipeline (full .NET type name; None: nothing), from its IL."""
    outputs: dict[str, str | None] = _fixture()["outputs"]
    return outputs


def object_types() -> dict[str, dict[str, str]]:
    """The ADSync object model: type (short name) -> property -> its .NET type."""
    types: dict[str, dict[str, str]] = _fixture()["types"]
    return types


def indexers() -> dict[str, str]:
    """ADSync collection types -> the type their indexer returns."""
    found: dict[str, str] = _fixture()["indexers"]
    return found


def _scripts() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        return [
            *plan_scripts(Path(folder)).values(),
            named_script(Path(folder) / "n", NASTY[-2]),
            *live_scripts(),
            powershell.shipped_script("Collect-ADSyncObservedState.ps1"),
        ]


def _calls(root: Node) -> list[tuple[str, set[str], bool]]:
    """(cmdlet, the parameters it is named with, whether it gets pipeline input) of every command."""
    defined = {
        n.children[1].text.decode() for n in _walk(root) if n.type == "function_statement" and len(n.children) > 1
    }
    found = []
    for node in _walk(root):
        if node.type != "command":
            continue
        name = next((c for c in node.children if c.type == "command_name"), None)
        if name is None or name.text is None or name.text.decode() in defined:
            continue
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        named = set()
        if elements is not None:
            named = {
                c.text.decode().lstrip("-").rstrip(":").lower()
                for c in elements.children
                if c.type == "command_parameter"
            }
        piped = node.prev_sibling is not None and node.prev_sibling.type == "|"
        found.append((name.text.decode(), named, piped))
    return found


def _sets(parameters: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Parameter set name -> parameter -> its attributes in that set ('' for parameters in every set)."""
    sets: dict[str, dict[str, dict[str, Any]]] = {}
    for parameter in parameters:
        for attributes in parameter["sets"] or [{}]:
            sets.setdefault(attributes.get("ParameterSetName", ""), {})[parameter["name"].lower()] = attributes
    every = sets.pop("", {})
    return {name: {**every, **own} for name, own in sets.items()} or {"": every}


def problems(script: str) -> list[str]:
    surface = _surface()
    found = []
    for cmdlet, named, piped in _calls(parse(script)):
        if "-ADSync" not in cmdlet or cmdlet in MODULE_FUNCTIONS:
            continue
        if cmdlet not in surface:
            found.append(f"{cmdlet}: no such cmdlet in ADSync 2.2.8.0")
            continue
        fitting = [
            name
            for name, parameters in _sets(surface[cmdlet]).items()
            if named <= set(parameters) | COMMON
            and all(
                p in named or (piped and attributes.get("ValueFromPipeline"))
                for p, attributes in parameters.items()
                if attributes.get("Mandatory")
            )
        ]
        if not fitting:
            found.append(f"{cmdlet} {sorted(named)}: fits none of its parameter sets")
    return found


def test_every_cmdlet_and_parameter_is_real() -> None:
    assert [p for script in _scripts() for p in problems(script)] == []


def test_the_check_finds_a_wrong_cmdlet_parameter_or_missing_mandatory_one() -> None:
    assert problems("Set-ADSyncRule -Identifier 'x'\n") == ["Set-ADSyncRule: no such cmdlet in ADSync 2.2.8.0"]
    assert problems("Remove-ADSyncRule -Identifer 'x'\n") == [
        "Remove-ADSyncRule ['identifer']: fits none of its parameter sets"
    ]
    assert problems("Add-ADSyncRule\n") == ["Add-ADSyncRule []: fits none of its parameter sets"]
    assert problems("$rule | Add-ADSyncRule | Out-Null\n") == []


def _named_values(root: Node) -> list[tuple[str, str, str]]:
    """(cmdlet, parameter, value) for every parameter given a plain single-quoted literal."""
    found = []
    for node in _walk(root):
        if node.type != "command_elements" or node.parent is None:
            continue
        name = next((c for c in node.parent.children if c.type == "command_name"), None)
        elements = [c for c in node.children if c.type != "command_argument_sep"]
        for parameter, value in itertools.pairwise(elements):
            text = (value.text or b"").decode()
            if parameter.type == "command_parameter" and re.fullmatch(r"'[^']*'", text) and name is not None:
                found.append(((name.text or b"").decode(), parameter.text.decode().lstrip("-").lower(), text[1:-1]))
    return found


def test_every_enum_value_a_script_passes_is_real() -> None:
    surface = _surface()
    problems = []
    for script in _scripts():
        for cmdlet, parameter, value in _named_values(parse(script)):
            declared = next((p["type"] for p in surface.get(cmdlet, []) if p["name"].lower() == parameter), "")
            enum = declared.rsplit(".", 1)[-1]
            if enum in facts.OBJECT_MODEL_ENUMS and value not in facts.OBJECT_MODEL_ENUMS[enum]:
                problems.append(f"{cmdlet} -{parameter} {value!r}: not a {enum}")
        for operator in re.findall(r"ScopeCondition' `\n\s+-ArgumentList '[^']*','[^']*','([A-Z_]+)'", script):
            if operator not in facts.OBJECT_MODEL_ENUMS["ComparisonOperator"]:
                problems.append(f"scope condition operator {operator!r}")
    assert problems == []
    checked = {(c, p) for script in _scripts() for c, p, _ in _named_values(parse(script))}
    assert {("New-ADSyncRule", "linktype"), ("Add-ADSyncAttributeFlowMapping", "flowtype")} <= checked


def test_the_trimmed_surface_is_the_real_one() -> None:
    used = _surface()
    assert set(used) >= {"New-ADSyncRule", "Add-ADSyncRule", "Set-ADSyncScheduler", "Get-ADSyncConnector"}
    assert set(output_types()) == set(used)
    # Every ADSync type a cmdlet writes or an indexer returns is described, but the run status.
    written = {t for t in [*output_types().values(), *indexers().values()] if t is not None}
    described = {"Microsoft.IdentityManagement.PowerShell.ObjectModel." + name for name in object_types()}
    assert written - described == {"Microsoft.IdentityManagement.PowerShell.ObjectModel.ConnectorRunStatus"}
    if REAL.exists():  # the whole real file, where it is beside the checkout
        real = json.loads(REAL.read_text(encoding="utf-8"))
        assert used == {name: real["cmdlets"][name] for name in used}
        # The whole file's types, and the run history's, read from ObjectModel.dll's metadata of the
        # same folder (the source note in the trimmed file says how).
        run_history = set(_fixture()["runHistoryTypes"])
        assert {k: v for k, v in object_types().items() if k not in run_history} == real["types"]
        assert run_history == {"RunProfileResult", "RunStepResult", "RunStepResultSyncErrors", "RunStepErrorObject"}
        assert {k: tuple(v) for k, v in real["enums"].items() if k in facts.OBJECT_MODEL_ENUMS} == dict(
            facts.OBJECT_MODEL_ENUMS
        )
