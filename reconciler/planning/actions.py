"""Every kind of action a plan can hold, each defined once (docs/plan.md#actions).

A kind holds its parameters, its place among actions with no order between them, the reasons
it is planned for, its idempotency check against an observed state, how it is carried out on a
server, and how it reads as a guarded PowerShell step. The planner, the executor, the PowerShell
report and the plan schema all draw from here; `tests/test_actions.py` checks that every kind is
complete and that this registry equals the schema's.

Where a check reads simple values, it is written once as `Probe`s, each naming the value in the
observed state and the PowerShell expression that reads the same value on the server: the check
apply makes and the guard a printed script runs cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler import cmdlets
from reconciler.errors import Refused, UserError
from reconciler.model import facts, inforce, limitrules, provisioning, syncrules, transitions
from reconciler.model.observed import ObservedState, SyncRule

if TYPE_CHECKING:  # an annotation only: planning never needs a server
    from reconciler.servers.protocol import Server

    Params = Mapping[str, Any]

# WaitForSyncIdle waits at most this long by default (--wait-timeout, RECONCILER_WAIT_TIMEOUT;
# docs/commands.md#waiting-for-a-sync-cycle).


@dataclass(frozen=True, slots=True)
class Action:
    kind: str
    params: dict[str, Any] = field(hash=False)
    reason: str

    def __post_init__(self) -> None:
        definition = KINDS.get(self.kind)
        if definition is None or tuple(self.params) != definition.params:
            raise AssertionError(f"action {self.kind} with params {sorted(self.params)}")

    @property
    def definition(self) -> Kind:
        return KINDS[self.kind]

    def describe(self) -> str:
        args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in self.params.items())
        return f"{self.kind}({args})" if args else self.kind


@dataclass(frozen=True, slots=True)
class Probe:
    """One value an action's check reads: from an observed state, and by PowerShell on the server."""

    read: Callable[[ObservedState], object]
    powershell: str
    expected: bool | int | str


@dataclass(frozen=True)  # not slots: risky_after is kept in the instance
class ScriptContext:
    """What a plan knows beyond its actions' parameters, for rendering them as PowerShell."""

    # The exact rules CreateSyncRule and UpdateSyncRule write, by name, as planned from what was observed.
    managed_rules: Mapping[str, SyncRule] = field(default_factory=dict)
    observed: ObservedState | None = None  # what the plan was made from
    actions: tuple[Action, ...] = ()

    @functools.cached_property
    def risky_after(self) -> frozenset[int]:
        """The steps (by index) after which stopping leaves a server whose next full cycle deletes
        groups it would not have before: a script stopped there keeps the scheduler off (invariant 7).
        Worked out only when a script is written: a fleet's plans never need it."""
        return frozenset() if self.observed is None else risky_steps(self.observed, self.actions)


def risky_steps(state: ObservedState, planned: tuple[Action, ...]) -> frozenset[int]:
    """Each step carried out on what was observed (the product's own operations, `transitions`):
    the steps after which the next full cycle would delete what it would not have before."""
    before = provisioning.deletion_risk(state)
    server = transitions.StateServer(
        state.replace(scheduler=dataclasses.replace(state.scheduler, sync_cycle_in_progress=False))
    )
    risky = set()
    for index, action in enumerate(planned):
        try:
            action.definition.perform(server, server.state, action.params)
        except UserError:
            risky.add(index)  # what cannot be foreseen is not assumed safe
            continue
        if provisioning.deletion_risk(server.state).new_since(before):
            risky.add(index)
    return frozenset(risky)


class Kind(ABC):
    """One kind of action: subclasses below, one each."""

    name: ClassVar[str]
    params: ClassVar[tuple[str, ...]]
    changes_server: ClassVar[bool] = True
    needs_connector_module: ClassVar[bool] = False  # its cmdlets come from AADConnector.psm1

    def probes(self, p: Params) -> list[Probe]:
        """The values that show the action is already done; kinds with a richer check override `satisfied`."""
        raise NotImplementedError(self.name)

    def satisfied(self, state: ObservedState, p: Params) -> bool:
        """Whether the server already is as the action would make it."""
        return all(probe.read(state) == probe.expected for probe in self.probes(p))

    @abstractmethod
    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        """Carry the action out through the server's own operations."""

    @abstractmethod
    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        """The action as a PowerShell step that first checks whether it is needed."""

    def scheduler_after(self, p: Params) -> bool | None:
        """The scheduler setting the action leaves behind, for the kinds that set it."""
        return None

    def _guarded(self, p: Params, body: list[str]) -> list[str]:
        conditions = [f"{probe.powershell} -ne {cmdlets.literal(probe.expected)}" for probe in self.probes(p)]
        if len(conditions) > 1:
            conditions = [f"({condition})" for condition in conditions]
        return cmdlets.guarded(" -or ".join(conditions), body)


def _standard_named(state: ObservedState, name: str) -> SyncRule | None:
    """The limit-carrying standard rule of that name (Group Join answers to either spelling), found
    by being standard, never by name alone: a hand-made copy may carry the same name."""
    family = limitrules.family_named(name)
    return None if family is None else syncrules.standard_rule(state, family)


class WaitForSyncIdle(Kind):
    name = "WaitForSyncIdle"
    params = ()
    changes_server = False  # the executor waits before every action; this marks where a script waits

    def satisfied(self, state: ObservedState, p: Params) -> bool:
        return not state.scheduler.sync_cycle_in_progress

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        """Nothing to change: the executor has waited for idle before every action."""

    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        return [cmdlets.WAIT_FOR_IDLE]


class SetSyncCycleEnabled(Kind):
    name = "SetSyncCycleEnabled"
    params = ("enabled",)

    def probes(self, p: Params) -> list[Probe]:
        return [Probe(lambda s: s.scheduler.sync_cycle_enabled, cmdlets.SCHEDULER_ENABLED, bool(p["enabled"]))]

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        server.set_sync_cycle_enabled(p["enabled"])

    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        return self._guarded(p, [cmdlets.set_scheduler(bool(p["enabled"]))])

    def scheduler_after(self, p: Params) -> bool | None:
        return bool(p["enabled"])


class _SetApiVersion(Kind):
    direction: ClassVar[str]
    params = ("version",)
    needs_connector_module = True

    def probes(self, p: Params) -> list[Probe]:
        # The registry value itself, not the build's default behind an absent one: a plan sets it
        # only when what is in force differs, and once set it no longer depends on the build.
        direction = self.direction
        return [
            Probe(
                lambda s: s.registry.export_api_version if direction == "export" else s.registry.import_api_version,
                cmdlets.registry_api_version(direction),
                int(p["version"]),
            )
        ]

    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        return self._guarded(p, [cmdlets.set_api_version(self.direction, int(p["version"]))])


class SetExportApiVersion(_SetApiVersion):
    name = "SetExportApiVersion"
    direction = "export"

    def probes(self, p: Params) -> list[Probe]:
        # Set-ADSyncAADConnectorExportApiVersion writes all three places of the export version
        # (docs/domain.md#where-the-api-versions-live): a registry that agrees while the connector
        # or the filtering value does not is a server the cmdlet still has to fix.
        version = int(p["version"])
        export_type = facts.EXPORT_TYPE_FOR_API_VERSION[version]
        filtering = facts.EXPORT_FILTERING_FOR_API_VERSION[version]
        return [
            *super().probes(p),
            Probe(lambda s: s.aad_connector.export_type, cmdlets.AAD_CONNECTOR_EXPORT_TYPE, export_type),
            # Where a source could not see the filtering value, the other two decide.
            Probe(
                lambda s: s.registry.export_filtering if inforce.observed_export_filtering(s) else filtering,
                cmdlets.EXPORT_FILTERING,
                filtering,
            ),
        ]

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        server.set_export_api_version(p["version"])


class SetImportApiVersion(_SetApiVersion):
    name = "SetImportApiVersion"
    direction = "import"

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        server.set_import_api_version(p["version"])


def _clone_matches(state: ObservedState, p: Params) -> bool:
    clones = syncrules.managed_clones(state, p["name"])
    if len(clones) != 1 or clones[0].disabled:
        return False
    limit = syncrules.rule_limit(clones[0])
    return clones[0].precedence == p["precedence"] and limit.flow == p["limit"] and limit.consistent


class _WriteManagedRule(Kind):
    def satisfied(self, state: ObservedState, p: Params) -> bool:
        return _clone_matches(state, p)

    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        rule = context.managed_rules.get(p["name"])
        if rule is None:
            raise AssertionError(f"{self.name} planned without the rule it writes")
        member = next((m.expression for m in rule.attribute_flow_mappings if m.destination == "member"), None)
        scope = syncrules.rule_limit(rule).scope
        check = cmdlets.test_managed_rule(rule.name, rule.precedence, member or "", scope[0] if scope else None)
        write = [
            "# The whole rule is written under its identifier: Add-ADSyncRule updates it in place.",
            *cmdlets.remove_managed_rules(rule.name, keep=rule.identifier),
            *cmdlets.create_rule(rule),
        ]
        return cmdlets.guarded(f"-not ({check})", write)


class CreateSyncRule(_WriteManagedRule):
    name = "CreateSyncRule"
    params = ("name", "precedence", "limit", "clonedFrom")

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        source = _standard_named(state, p["clonedFrom"])
        if source is None:
            raise Refused(f"{state.server.name}: no standard rule '{p['clonedFrom']}' to clone")
        clone = syncrules.make_clone(
            source, server=state.server.name, name=p["name"], precedence=p["precedence"], limit=p["limit"]
        )
        # Duplicates a dead run left go; one with the clone's own identifier is written over in place.
        for extra in syncrules.managed_clones(state, p["name"]):
            if extra.identifier.lower() != clone.identifier.lower():
                server.remove_rule(extra.identifier)
        server.add_rule(clone)


class UpdateSyncRule(_WriteManagedRule):
    name = "UpdateSyncRule"
    params = ("name", "precedence", "limit")

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        clones = syncrules.managed_clones(state, p["name"])
        if len(clones) != 1:
            raise Refused(f"{state.server.name}: expected one sync rule '{p['name']}', found {len(clones)}")
        server.add_rule(updated_clone(clones[0], p["precedence"], p["limit"]))


def updated_clone(clone: SyncRule, precedence: int, limit: int) -> SyncRule:
    """The managed clone as UpdateSyncRule leaves it: enabled, at its precedence, carrying the limit."""
    return syncrules.with_limit(dataclasses.replace(clone, precedence=precedence, disabled=False), limit)


class RemoveSyncRule(Kind):
    name = "RemoveSyncRule"
    params = ("name",)

    def satisfied(self, state: ObservedState, p: Params) -> bool:
        return not syncrules.managed_clones(state, p["name"])

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        for clone in syncrules.managed_clones(state, p["name"]):
            server.remove_rule(clone.identifier)

    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        return cmdlets.remove_managed_rules(p["name"])


class _SetRuleDisabled(Kind):
    params = ("name",)
    disabled: ClassVar[bool]

    # Only standard rules are disabled or enabled: the managed clone is written whole (and so
    # enabled) by CreateSyncRule or UpdateSyncRule, since it may carry the standard rule's name.

    def satisfied(self, state: ObservedState, p: Params) -> bool:
        rule = _standard_named(state, p["name"])
        return rule is not None and rule.disabled is self.disabled

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        rule = _standard_named(state, p["name"])
        if rule is None:
            raise Refused(f"{state.server.name}: no standard sync rule '{p['name']}'")
        server.set_rule_disabled(rule.identifier, self.disabled)

    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        family = limitrules.family_named(p["name"])
        assert family is not None, p["name"]
        condition = f"$rule.Disabled -ne {cmdlets.boolean(self.disabled)}"
        return [
            *cmdlets.standard_rule("$rule", family.name, family.tag_prefix),
            *cmdlets.guarded(condition, cmdlets.set_rule_disabled("$rule", self.disabled)),
        ]


class DisableSyncRule(_SetRuleDisabled):
    name = "DisableSyncRule"
    disabled = True


class EnableSyncRule(_SetRuleDisabled):
    name = "EnableSyncRule"
    disabled = False


class SetConnectorOverride(Kind):
    name = "SetConnectorOverride"
    params = ("connectorName", "fullSyncRequired")

    def probes(self, p: Params) -> list[Probe]:
        connector = p["connectorName"]

        def full_sync_required(state: ObservedState) -> bool | None:
            override = state.override_for(connector)
            return None if override is None else override.full_sync_required

        return [Probe(full_sync_required, cmdlets.connector_full_sync_required(connector), bool(p["fullSyncRequired"]))]

    def perform(self, server: Server, state: ObservedState, p: Params) -> None:
        server.set_connector_override(p["connectorName"], p["fullSyncRequired"])

    def powershell(self, p: Params, context: ScriptContext) -> list[str]:
        return self._guarded(p, [cmdlets.set_connector_override(p["connectorName"], bool(p["fullSyncRequired"]))])


# The vocabulary, in the order that breaks ties between actions with no order between them, so
# that equal inputs give equal plans.
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        WaitForSyncIdle(),
        SetSyncCycleEnabled(),
        SetExportApiVersion(),
        SetImportApiVersion(),
        RemoveSyncRule(),
        CreateSyncRule(),
        UpdateSyncRule(),
        EnableSyncRule(),
        DisableSyncRule(),
        SetConnectorOverride(),
    )
}
RANK = {name: index for index, name in enumerate(KINDS)}


# --- the actions the planner asks for, each with its reason -------------------------------------


def wait_for_sync_idle() -> Action:
    return Action(WaitForSyncIdle.name, {}, "settings change only while no sync cycle runs")


def scheduler_off_for_change() -> Action:
    return Action(SetSyncCycleEnabled.name, {"enabled": False}, "no sync cycle may start during the change")


def scheduler_as_desired(enabled: bool, observed_enabled: bool | None) -> Action:
    verb = "restore" if observed_enabled else "set"
    return Action(SetSyncCycleEnabled.name, {"enabled": enabled}, f"{verb} the scheduler as desired")


def set_api_version(direction: str, observed: object, version: int) -> Action:
    kind = SetExportApiVersion if direction == "export" else SetImportApiVersion
    return Action(kind.name, {"version": version}, f"{direction} API version from {observed} to {version}")


def create_clone(name: str, precedence: int, limit: int, cloned_from: str, replaces: int = 0) -> Action:
    """A new managed clone; `replaces` duplicates that a dead run left go with it."""
    reason = f"carry the member limit {limit} in a clone of the standard rule"
    if replaces:
        reason = f"replace {replaces} duplicate managed rules with one carrying {limit}"
    params = {"name": name, "precedence": precedence, "limit": limit, "clonedFrom": cloned_from}
    return Action(CreateSyncRule.name, params, reason)


def update_clone(name: str, precedence: int, limit: int, differs: list[str]) -> Action:
    params = {"name": name, "precedence": precedence, "limit": limit}
    return Action(UpdateSyncRule.name, params, f"managed rule {', '.join(differs)} as desired")


def remove_clone(name: str) -> Action:
    return Action(RemoveSyncRule.name, {"name": name}, "no clone is needed at the standard limit")


def enable_standard(name: str) -> Action:
    return Action(EnableSyncRule.name, {"name": name}, "the standard rule carries the limit")


def disable_standard(name: str) -> Action:
    return Action(DisableSyncRule.name, {"name": name}, "the managed clone carries the limit instead")


def skip_full_sync(connector_name: str) -> Action:
    params = {"connectorName": connector_name, "fullSyncRequired": False}
    return Action(SetConnectorOverride.name, params, "a higher limit on an existing clone needs no full sync")
