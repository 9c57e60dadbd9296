"""The desired state of one server (docs/state-file.md), as an immutable value.

Built only from documents that passed schema and semantic checks (`reconciler.model.statefiles`), so
nothing here re-validates; `to_document` is its exact inverse, used by `export` and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.model import facts, limitrules
from reconciler.model.limitrules import LimitRule
from reconciler.model.windows import UTC_ZONE, Window

API_VERSION = "reconciler/v1"
KIND = "SyncServer"
SCHEMA_MODELINE = "# yaml-language-server: $schema={}\n"


@dataclass(frozen=True, slots=True)
class DesiredState:
    name: str
    cloud: str
    export_api_version: int
    import_api_version: int
    group_member_limit: int
    rule_precedence: int | None
    sync_cycle_enabled: bool
    rule_name: str = facts.DEFAULT_MANAGED_RULE_NAME
    connector_name: str | None = None
    max_limit_increase: int | None = None
    allow_group_deletion: bool = False
    writeup_rule_precedence: int | None = None
    writeup_rule_name: str = limitrules.GROUP_WRITEUP.default_clone_name
    host: str | None = None  # metadata.host: the machine's DNS or short name
    prune: str | None = None  # safety.prune: "confirm" lets a confirmed run remove unmanaged rules
    suspend: bool = False  # spec.suspend: reconcile reports its plan and never acts
    windows: tuple[Window, ...] = ()  # spec.windows: when unattended runs may act (model/windows.py)

    def clone_name(self, family: LimitRule) -> str:
        return self.rule_name if family is limitrules.GROUP_JOIN else self.writeup_rule_name

    def clone_precedence(self, family: LimitRule) -> int | None:
        return self.rule_precedence if family is limitrules.GROUP_JOIN else self.writeup_rule_precedence


def from_document(data: dict[str, Any]) -> DesiredState:
    spec = data["spec"]
    return DesiredState(
        name=data["metadata"]["name"],
        host=data["metadata"].get("host"),
        cloud=spec["cloud"],
        export_api_version=spec["apiVersions"]["export"],
        import_api_version=spec["apiVersions"]["import"],
        group_member_limit=spec["groupMemberLimit"],
        rule_precedence=spec.get("rulePrecedence"),
        sync_cycle_enabled=spec["scheduler"]["syncCycleEnabled"],
        rule_name=spec.get("ruleName", facts.DEFAULT_MANAGED_RULE_NAME),
        connector_name=spec.get("connectorName"),
        max_limit_increase=spec.get("rollout", {}).get("maxLimitIncrease"),
        allow_group_deletion=spec.get("safety", {}).get("allowGroupDeletion", False),
        prune=spec.get("safety", {}).get("prune"),
        suspend=spec.get("suspend", False),
        windows=tuple(
            Window(w["kind"], w["schedule"], w["duration"], w.get("timeZone", UTC_ZONE))
            for w in spec.get("windows", ())
        ),
        writeup_rule_precedence=spec.get("writeupRulePrecedence"),
        writeup_rule_name=spec.get("writeupRuleName", limitrules.GROUP_WRITEUP.default_clone_name),
    )


def to_document(state: DesiredState) -> dict[str, Any]:
    """The state as a document in the key order of the examples; defaults are left out."""
    spec: dict[str, Any] = {
        "cloud": state.cloud,
        "apiVersions": {"export": state.export_api_version, "import": state.import_api_version},
        "groupMemberLimit": state.group_member_limit,
    }
    if state.rule_precedence is not None:
        spec["rulePrecedence"] = state.rule_precedence
    if state.writeup_rule_precedence is not None:
        spec["writeupRulePrecedence"] = state.writeup_rule_precedence
    spec["scheduler"] = {"syncCycleEnabled": state.sync_cycle_enabled}
    if state.rule_name != facts.DEFAULT_MANAGED_RULE_NAME:
        spec["ruleName"] = state.rule_name
    if state.writeup_rule_name != limitrules.GROUP_WRITEUP.default_clone_name:
        spec["writeupRuleName"] = state.writeup_rule_name
    if state.connector_name is not None:
        spec["connectorName"] = state.connector_name
    if state.suspend:
        spec["suspend"] = True
    if state.windows:
        spec["windows"] = [w.as_document() for w in state.windows]
    if state.max_limit_increase is not None:
        spec["rollout"] = {"maxLimitIncrease": state.max_limit_increase}
    safety: dict[str, Any] = {"allowGroupDeletion": True} if state.allow_group_deletion else {}
    if state.prune is not None:
        safety["prune"] = state.prune
    if safety:
        spec["safety"] = safety
    metadata = {"name": state.name} if state.host is None else {"name": state.name, "host": state.host}
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec}
