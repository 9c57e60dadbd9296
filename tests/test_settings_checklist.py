"""Every setting of the state file, and every managed setting a plan compares, is in each place
docs/adding-a-setting.md lists. A new key left out of one of them fails here, by name."""

from __future__ import annotations

import ast
import dataclasses
import json
from typing import Any

from reconciler.model import desired, limitrules
from reconciler.model.desired import DesiredState
from reconciler.model.windows import Window
from reconciler.planning import views
from tests.support import ROOT

# One server that sets every key to something other than its default, so that each is written.
EVERY_KEY_SET = DesiredState(
    name="checklist-aadc01",
    cloud="AzureUSGovernment",
    export_api_version=2,
    import_api_version=2,
    group_member_limit=120_000,
    rule_precedence=90,
    sync_cycle_enabled=False,
    rule_name="Group Join (large groups)",
    connector_name="contoso.onmicrosoft.com - AAD",
    max_limit_increase=25_000,
    allow_group_deletion=True,
    writeup_rule_precedence=89,
    writeup_rule_name="Writeup (large groups)",
    host="aadc01.checklist.example",
    prune="confirm",
    suspend=True,
    windows=(Window("allow", "0 22 * * 1-5", "4h", "Europe/Berlin"), Window("deny", "0 0 24 12 *", "2d")),
)

# Keys that are the operator's policy for runs, not a setting a server holds: `export` cannot
# read them off a server, so it leaves them to their defaults.
POLICY = {"connector_name", "max_limit_increase", "allow_group_deletion", "prune", "suspend", "windows"}


def _leaves(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            found.update(_leaves(value, f"{path}."))
        else:
            found[path] = value
    return found


def _schema_has(schema: dict[str, Any], path: str) -> bool:
    node = schema
    for key in path.split("."):
        properties = node.get("properties", {})
        if key not in properties:
            return False
        node = properties[key]
    return True


def _state_keys() -> dict[str, Any]:
    return _leaves(desired.to_document(EVERY_KEY_SET))


def test_the_example_sets_every_field_of_the_desired_state() -> None:
    defaults = DesiredState(
        name="x",
        cloud="AzureCommercial",
        export_api_version=1,
        import_api_version=1,
        group_member_limit=1,
        rule_precedence=None,
        sync_cycle_enabled=True,
    )
    unset = [
        f.name
        for f in dataclasses.fields(DesiredState)
        if getattr(EVERY_KEY_SET, f.name) == getattr(defaults, f.name) and f.name not in {"name"}
    ]
    assert unset == [], f"give these fields a non-default value in EVERY_KEY_SET: {unset}"


def _written(value: Any) -> str:
    """A field's value as the document holds it: a list of windows as their documents."""
    if isinstance(value, tuple) and all(isinstance(v, Window) for v in value):
        return str([v.as_document() for v in value])
    return str(value)


def test_every_field_is_written_and_read_back() -> None:
    document = desired.to_document(EVERY_KEY_SET)
    assert desired.from_document(document) == EVERY_KEY_SET
    written = set(map(str, _state_keys().values()))
    missing = [
        f.name for f in dataclasses.fields(DesiredState) if _written(getattr(EVERY_KEY_SET, f.name)) not in written
    ]
    assert missing == [], f"desired.to_document does not write: {missing}"


def test_every_key_is_in_the_schema_the_docs_and_the_readme() -> None:
    schema = json.loads((ROOT / "schemas" / "desired-state.schema.json").read_text(encoding="utf-8"))
    state_doc = (ROOT / "docs" / "state-file.md").read_text(encoding="utf-8")
    problems = []
    for path in _state_keys():
        if path in {"apiVersion", "kind"}:
            continue
        if not _schema_has(schema, path):
            problems.append(f"{path}: not in schemas/desired-state.schema.json")
        if f"`{path}`" not in state_doc and f"`.{path.rsplit('.', 1)[-1]}`" not in state_doc:
            problems.append(f"{path}: not in the Keys table of docs/state-file.md")
    assert problems == []


def test_export_writes_every_setting_a_server_holds() -> None:
    """`export` (planning/adopt.py) passes every field but the policy ones explicitly."""
    tree = ast.parse((ROOT / "reconciler" / "planning" / "adopt.py").read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "DesiredState"
    ]
    assert len(calls) == 1
    given = {keyword.arg for keyword in calls[0].keywords}
    expected = {f.name for f in dataclasses.fields(DesiredState)} - POLICY
    assert expected - given == set(), "planning/adopt.py does not write these settings"


def test_every_managed_setting_is_documented_in_the_plan_page() -> None:
    """The paths a plan's changes name (views.ManagedSettings.as_dict) are explained in docs/plan.md."""
    plan_doc = (ROOT / "docs" / "plan.md").read_text(encoding="utf-8")
    top = set(views.ManagedSettings(2, 2, 100_000, True, rules=()).as_dict())
    top |= {view for family in limitrules.CATALOGUE for view in (family.view, family.managed_view)}
    missing = sorted(path for path in top if f"`{path}" not in plan_doc)
    assert missing == [], f"docs/plan.md does not explain: {missing}"


def test_every_observed_source_of_a_setting_is_in_the_observed_schema_docs_and_collector() -> None:
    schema = json.loads((ROOT / "schemas" / "observed-state.schema.json").read_text(encoding="utf-8"))
    observed_doc = (ROOT / "docs" / "observed-state.md").read_text(encoding="utf-8")
    collector = (ROOT / "reconciler" / "servers" / "scripts" / "Collect-ADSyncObservedState.ps1").read_text(
        encoding="utf-8-sig"
    )
    problems = []
    for setting, paths in views.SOURCES.items():
        for path in paths:
            if not _schema_has(schema, path):
                problems.append(f"{setting} <- {path}: not in schemas/observed-state.schema.json")
            last = path.rsplit(".", 1)[-1]
            if last not in observed_doc:
                problems.append(f"{setting} <- {path}: not in docs/observed-state.md")
            if last not in collector:
                problems.append(f"{setting} <- {path}: the collector script does not write it")
    assert problems == []


def test_the_checklist_names_the_places_this_test_holds() -> None:
    checklist = (ROOT / "docs" / "adding-a-setting.md").read_text(encoding="utf-8")
    for place in (
        "schemas/desired-state.schema.json",
        "reconciler/model/desired.py",
        "docs/state-file.md",
        "reconciler/planning/adopt.py",
        "reconciler/planning/views.py",
        "docs/plan.md",
        "schemas/observed-state.schema.json",
        "docs/observed-state.md",
        "Collect-ADSyncObservedState.ps1",
    ):
        assert place in checklist
    for test in ("test_settings_checklist.py",):
        assert test in checklist


def test_the_checklist_page_exists_where_the_docs_index_says() -> None:
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    assert "(adding-a-setting.md)" in index
    assert (ROOT / "docs" / "adding-a-setting.md").is_file()
