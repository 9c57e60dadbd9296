"""What each server operation does to a server's observed state, as the product does it.

Pure functions from one observed state to the next; each refuses what the product refuses, with
the product's reason, and changes nothing then. The simulator applies them to its file
(docs/simulator.md); the planner applies them to what it observed, to know what the server looks
like after each step of a plan (`StateServer`). Version-dependent answers come from
`reconciler.model.builds`, never from comparisons here.
"""

from __future__ import annotations

import dataclasses

from reconciler.errors import Refused
from reconciler.model import builds, facts, syncrules
from reconciler.model.observed import ConnectorOverride, ObservedState, SyncRule


def require_idle(state: ObservedState) -> None:
    # docs/domain.md#scheduler: change settings only while no sync cycle is in progress.
    if state.scheduler.sync_cycle_in_progress:
        raise Refused(f"{state.server.name}: busy: a sync cycle is in progress; nothing was changed")


def set_sync_cycle_enabled(state: ObservedState, enabled: bool) -> ObservedState:
    require_idle(state)
    return state.replace(scheduler=dataclasses.replace(state.scheduler, sync_cycle_enabled=enabled))


def set_api_version(state: ObservedState, direction: str, version: int) -> ObservedState:
    """Set-ADSyncAADConnector{Export,Import}ApiVersion: the registry value; for export, all three places."""
    require_idle(state)
    if version not in facts.EXPORT_TYPE_FOR_API_VERSION:
        raise Refused(f"{state.server.name}: API version {version} does not exist (1 or 2)")
    if version == 2 and not builds.supports_v2(state.server.version):
        raise Refused(
            f"{state.server.name}: V2 endpoint needs version {builds.minimum_v2_version()} or later; "
            f"this server runs {state.server.version}"
        )
    if version == 2 and state.server.cloud in facts.CLOUDS_WITHOUT_V2:
        raise Refused(f"{state.server.name}: the V2 endpoint is not available in the {state.server.cloud} cloud")
    if direction == "export":
        registry = dataclasses.replace(
            state.registry,
            export_api_version=version,
            export_filtering=facts.EXPORT_FILTERING_FOR_API_VERSION[version],
        )
        connector = dataclasses.replace(state.aad_connector, export_type=facts.EXPORT_TYPE_FOR_API_VERSION[version])
        return state.replace(registry=registry, aad_connector=connector)
    return state.replace(registry=dataclasses.replace(state.registry, import_api_version=version))


def _with_override(state: ObservedState, connector_name: str, full_sync_required: bool) -> ObservedState:
    """The state with that connector's FullSyncRequired changed in place (an override added if it had none)."""
    overrides = list(state.connector_overrides)
    index = next((i for i, o in enumerate(overrides) if o.connector_name == connector_name), None)
    if index is None:
        overrides.append(ConnectorOverride(connector_name, False, full_sync_required))
    else:
        overrides[index] = dataclasses.replace(overrides[index], full_sync_required=full_sync_required)
    return state.replace(connector_overrides=tuple(overrides))


def _mark_full_sync(state: ObservedState) -> ObservedState:
    # docs/simulator.md: creating, changing, disabling or enabling a rule sets the AAD connector's full-sync flag.
    return _with_override(state, state.aad_connector.name, full_sync_required=True)


def _precedence_taken(state: ObservedState, rule: SyncRule) -> None:
    for other in state.sync_rules:
        if other.identifier.lower() != rule.identifier.lower() and other.precedence == rule.precedence:
            raise Refused(
                f"{state.server.name}: precedence {rule.precedence} is already used by sync rule '{other.name}'"
            )


def add_rule(state: ObservedState, rule: SyncRule) -> ObservedState:
    """Add-ADSyncRule: create, or replace the rule with the same identifier."""
    require_idle(state)
    existing = state.rule(rule.identifier)
    if existing is not None and existing.is_standard:
        if dataclasses.replace(existing, disabled=rule.disabled) != rule:
            raise Refused(
                f"{state.server.name}: standard rule '{existing.name}' cannot be edited, only disabled or enabled"
            )
    elif rule.is_standard:
        raise Refused(f"{state.server.name}: a new rule cannot be a standard rule ('{rule.name}')")
    if (
        rule.direction == "Outbound"
        and rule.connector.lower() == facts.AAD_CONNECTOR_ID
        and syncrules.flows_member(rule)
    ):
        syncrules.rule_limit(rule)  # the product's expression parser refuses what it cannot read
    _precedence_taken(state, rule)
    if existing is None:
        new_rules = (*state.sync_rules, rule)
    else:
        new_rules = tuple(rule if r is existing else r for r in state.sync_rules)
    return _mark_full_sync(state.replace(sync_rules=new_rules))


def remove_rule(state: ObservedState, identifier: str) -> ObservedState:
    require_idle(state)
    existing = state.rule(identifier)
    if existing is None:
        raise Refused(f"{state.server.name}: no sync rule with identifier {identifier}")
    return _mark_full_sync(state.replace(sync_rules=tuple(r for r in state.sync_rules if r is not existing)))


def set_rule_disabled(state: ObservedState, identifier: str, disabled: bool) -> ObservedState:
    require_idle(state)
    existing = state.rule(identifier)
    if existing is None:
        raise Refused(f"{state.server.name}: no sync rule with identifier {identifier}")
    return add_rule(state, dataclasses.replace(existing, disabled=disabled))


def set_connector_override(state: ObservedState, connector_name: str, full_sync_required: bool) -> ObservedState:
    """Set-ADSyncSchedulerConnectorOverride -ConnectorName ... -FullSyncRequired ..."""
    require_idle(state)
    if state.override_for(connector_name) is None and connector_name != state.aad_connector.name:
        raise Refused(f"{state.server.name}: no connector named '{connector_name}'")
    return _with_override(state, connector_name, full_sync_required=full_sync_required)


class StateServer:
    """The server operations on an observed state in memory: what a plan's steps would leave."""

    def __init__(self, state: ObservedState) -> None:
        self.state = state

    @property
    def name(self) -> str:
        return self.state.server.name

    def observe(self) -> ObservedState:
        return self.state

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        self.state = set_sync_cycle_enabled(self.state, enabled)

    def set_export_api_version(self, version: int) -> None:
        self.state = set_api_version(self.state, "export", version)

    def set_import_api_version(self, version: int) -> None:
        self.state = set_api_version(self.state, "import", version)

    def add_rule(self, rule: SyncRule) -> None:
        self.state = add_rule(self.state, rule)

    def remove_rule(self, identifier: str) -> None:
        self.state = remove_rule(self.state, identifier)

    def set_rule_disabled(self, identifier: str, disabled: bool) -> None:
        self.state = set_rule_disabled(self.state, identifier, disabled)

    def set_connector_override(self, connector_name: str, full_sync_required: bool) -> None:
        self.state = set_connector_override(self.state, connector_name, full_sync_required)
