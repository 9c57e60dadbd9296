"""What is in force on a server, read from its observed state.

The registry can be silent (the build's default applies) and the limit lives in whichever rule
wins; these answers are needed alike by the simulator's sync cycle and by the planner.
"""

from __future__ import annotations

from reconciler import facts, rules, versions
from reconciler.observed import ObservedState


def api_versions(state: ObservedState) -> tuple[int, int]:
    """(export, import) in force: the registry value, or the build's default where it is absent."""
    default = versions.default_api_version(state.server.version)
    export = state.registry.export_api_version
    import_ = state.registry.import_api_version
    return (default if export is None else export), (default if import_ is None else import_)


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
    limit = rules.effective_limit(state)
    return min(limit if limit is not None else 0, sync_cap(state))
