"""What is in force on a server, read from its observed state once per plan.

The registry can be silent (the build's default applies), the export version lives in more than
one place, and the limit lives in whichever rule wins (docs/domain.md#the-rules-that-carry-the-limit).
These answers are needed alike by the simulator's sync cycle, the planner and `export`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.model import builds, facts, limitrules, syncrules
from reconciler.model.limitrules import LimitRule
from reconciler.model.observed import ObservedState, SyncRule
from reconciler.model.syncrules import RuleLimit


def api_versions(state: ObservedState) -> tuple[int, int]:
    """(export, import) in force: the registry value, or the build's default where it is absent."""
    default = builds.default_api_version(state.server.version)
    export = state.registry.export_api_version
    import_ = state.registry.import_api_version
    return (default if export is None else export), (default if import_ is None else import_)


def export_parts(state: ObservedState) -> tuple[int, int | None, int | None]:
    """The export API version as each of its three places says it (docs/domain.md#where-the-api-versions-live):
    the registry (or the build's default), the AAD connector's export type, and the export filtering
    value (absent: the build's default endpoint). The connector's is None for an export type of
    neither endpoint; the filtering value's is None where it was not observed."""
    default = builds.default_api_version(state.server.version)
    registry = state.registry.export_api_version or default  # an absent or 0 value reads as the default
    by_type = {t: v for v, t in facts.EXPORT_TYPE_FOR_API_VERSION.items()}
    connector = by_type.get(state.aad_connector.export_type)
    filtering: int | None = None
    if observed_export_filtering(state):
        value = state.registry.export_filtering
        by_filtering = {f: v for v, f in facts.EXPORT_FILTERING_FOR_API_VERSION.items()}
        filtering = default if value is None else by_filtering[value]
    return registry, connector, filtering


def observed_export_filtering(state: ObservedState) -> bool:
    return "registry." + facts.EXPORT_FILTERING_VALUE not in (state.unobserved or ())


# A staging server exports nothing, so no endpoint limit deletes anything there.
NO_CAP = 2**31 - 1


def endpoint_cap(export: int, import_: int, verified_domain: bool | None) -> int:
    """The largest group an endpoint can carry, whatever the rules say."""
    cap = facts.V2_MEMBER_LIMIT if (export, import_) == (2, 2) else facts.V1_MEMBER_LIMIT
    if verified_domain is False:
        cap = min(cap, facts.UNVERIFIED_DOMAIN_MEMBER_LIMIT)
    return cap


def sync_cap(state: ObservedState) -> int:
    """The cap of the endpoint in force on the server."""
    return endpoint_cap(*api_versions(state), state.server.tenant_has_verified_domain)


def member_limit(state: ObservedState) -> int:
    """The largest group that syncs: the winning rule's limit within the endpoint's cap (0 with no rule)."""
    limit = syncrules.effective_limit(state)
    return min(limit if limit is not None else 0, sync_cap(state))


@dataclass(frozen=True, slots=True)
class Family:
    """One limit-carrying standard rule on a server, and the managed clones of it."""

    rule: LimitRule
    standard: SyncRule | None
    standard_limit: int  # the standard rule's own limit, or the build's where it is gone
    clone_name: str
    clones: tuple[SyncRule, ...]  # custom rules of the managed name


@dataclass(frozen=True, slots=True)
class InForce:
    """Everything planning asks about a server's settings and rules, each limit parsed once."""

    export_api_version: int
    import_api_version: int
    # The export version as each of its three places says it (see `export_parts`).
    export_parts: tuple[int, int | None, int | None]
    families: tuple[Family, ...]  # Group Join first; the others only where the server has them
    winner: SyncRule | None  # the rule whose limit is in force
    limits: dict[str, RuleLimit]  # by identifier, for every enabled rule that flows member and each family's
    competitors: tuple[SyncRule, ...]  # other enabled outbound group rules that flow member

    @property
    def export_mismatch(self) -> bool:
        registry, connector, filtering = self.export_parts
        return connector != registry or (filtering is not None and filtering != registry)

    @property
    def member_limit(self) -> int | None:
        return None if self.winner is None else self.limits[self.winner.identifier].flow

    def limit_of(self, rule: SyncRule) -> RuleLimit:
        return self.limits[rule.identifier]


def read(state: ObservedState, clone_names: Mapping[str, str] | None = None) -> InForce:
    """What is in force; `clone_names` names each family's managed clone (by family key)."""
    names = clone_names or {}
    default_limit = builds.standard_member_limit(state.server.version)
    families = []
    limits: dict[str, RuleLimit] = {}
    for rule in limitrules.CATALOGUE:
        standard = syncrules.standard_rule(state, rule)
        clone_name = names.get(rule.key, rule.default_clone_name)
        clones = tuple(syncrules.managed_clones(state, clone_name))
        if rule is not limitrules.GROUP_JOIN and standard is None and not clones:
            continue  # a build without this rule
        limits.update({r.identifier: syncrules.rule_limit(r) for r in (standard, *clones) if r is not None})
        own = None if standard is None else limits[standard.identifier].flow
        families.append(Family(rule, standard, default_limit if own is None else own, clone_name, clones))
    candidates = syncrules.limit_candidates(state)
    limits.update({r.identifier: syncrules.rule_limit(r) for r in candidates})
    winner = syncrules.limit_rule(state)
    mine = {r.identifier for f in families for r in (f.standard, *f.clones) if r is not None}
    export, import_ = api_versions(state)
    return InForce(
        export_api_version=export,
        import_api_version=import_,
        export_parts=export_parts(state),
        families=tuple(families),
        winner=winner,
        limits=limits,
        competitors=tuple(r for r in candidates if r.identifier not in mine),
    )
