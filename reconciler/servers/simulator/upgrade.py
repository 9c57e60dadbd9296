"""A simulated in-place upgrade (docs/domain.md#upgrades, docs/simulator.md), driven by the version behaviour table."""

from __future__ import annotations

import dataclasses

from reconciler.errors import Refused
from reconciler.model import builds, facts, syncrules
from reconciler.model.observed import AadConnector, ConnectorOverride, ObservedState, Registry, SyncRule
from reconciler.model.transitions import require_idle
from reconciler.servers.simulator.standard_rules import standard_rules


def _tag_family(tag: str | None) -> str:
    # "Microsoft.OuttoAADGroupJoin.006" and its successor ".007" are one rule across builds.
    return (tag or "").rsplit(".", 1)[0]


def _next_generation(tag: str | None, before: str | None) -> str | None:
    """An upgrade moves a standard rule's tag to the generation after the one it replaces
    (`Microsoft.OuttoAADGroupWriteupMemberLimit.002` to `.003`, Microsoft Q&A 5170211)."""
    if tag is None or before is None:
        return tag
    family, _, suffix = before.rpartition(".")
    if not suffix.isdigit():
        return tag
    return f"{family}.{int(suffix) + 1:0{len(suffix)}d}"


def upgrade(state: ObservedState, to: str, sync_enabled: bool = True) -> ObservedState:
    """`sync_enabled` is the wizard's "Start the synchronization process when configuration completes"
    box, checked by default (how-to-upgrade-previous-version): the upgrade leaves SyncCycleEnabled so."""
    require_idle(state)
    old, new = builds.Version.parse(state.server.version), builds.Version.parse(to)
    if new <= old:
        raise Refused(f"{state.server.name}: an in-place upgrade goes forward: {old} to {new} is not one")
    resets_limit = builds.upgrade_resets_member_limit(new)

    previous = {_tag_family(r.immutable_tag): r for r in state.sync_rules if r.is_standard}
    generation = max((r.version for r in previous.values()), default=1)
    standard: list[SyncRule] = []
    for rule in standard_rules(str(new), generation=generation):
        before = previous.get(_tag_family(rule.immutable_tag))
        # A disabled standard rule stays disabled; a deleted one comes back, enabled. The 1.6
        # known issue re-enables the limit-carrying rules whatever they were.
        disabled = before is not None and before.disabled
        if resets_limit and syncrules.standard_family(rule) is not None:
            disabled = False
        tag = _next_generation(rule.immutable_tag, before.immutable_tag if before is not None else None)
        standard.append(dataclasses.replace(rule, disabled=disabled, immutable_tag=tag))

    custom = [r for r in state.sync_rules if not r.is_standard]
    if resets_limit:
        custom = [
            syncrules.with_limit(r, facts.V1_MEMBER_LIMIT)
            if syncrules.is_outbound_group_rule(r) and syncrules.flows_member(r)
            else r
            for r in custom
        ]

    registry = state.registry
    if not builds.lookup("upgrade_keeps_endpoint_settings", new):
        registry = Registry(None, None, None)
    default_export = registry.export_api_version or builds.default_api_version(new)
    connector = AadConnector(
        state.aad_connector.identifier,
        state.aad_connector.name,
        facts.EXPORT_TYPE_FOR_API_VERSION[default_export],
    )
    overrides = state.connector_overrides
    if builds.lookup("upgrade_sets_full_sync_overrides", new):
        overrides = tuple(ConnectorOverride(o.connector_name, True, True) for o in overrides)
    return state.replace(
        server=dataclasses.replace(state.server, version=str(new)),
        registry=registry,
        aad_connector=connector,
        connector_overrides=overrides,
        sync_rules=tuple(standard + custom),
        scheduler=dataclasses.replace(state.scheduler, sync_cycle_enabled=sync_enabled),
    )
