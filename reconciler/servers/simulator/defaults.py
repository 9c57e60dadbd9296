"""A realistic new server, and twins of real ones (docs/simulator.md)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from reconciler.errors import Refused
from reconciler.model import builds, facts
from reconciler.model.observed import (
    AadConnector,
    ConnectorOverride,
    Group,
    ObservedState,
    Registry,
    Scheduler,
    ServerInfo,
)

# A tenant's spread: mostly small groups, one exactly at the V1 limit, a few between 50k and 250k.
DEFAULT_GROUPS: tuple[tuple[str, int], ...] = (
    ("Helpdesk", 85),
    ("Finance", 640),
    ("Sales EMEA", 2_400),
    ("Engineering", 18_500),
    ("Contractors", 49_999),
    ("All Managers", 50_000),
    ("All Faculty", 75_000),
    ("All Staff", 120_000),
    ("All Students", 180_000),
    ("Alumni", 240_000),
)
DEFAULT_TENANT_DOMAIN = "contoso.onmicrosoft.com"
IDLE_SCHEDULER = Scheduler(
    sync_cycle_enabled=True,
    sync_cycle_in_progress=False,
    staging_mode_enabled=False,
    scheduler_suspended=False,
    maintenance_enabled=True,
    next_sync_cycle_policy_type="Delta",
    allowed_sync_cycle_interval="00:30:00",
    currently_effective_sync_cycle_interval="00:30:00",
    customized_sync_cycle_interval=None,
)


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_server(
    name: str,
    version: str | None = None,
    cloud: str = "AzureCommercial",
    connector_name: str | None = None,
    host: str | None = None,
) -> ObservedState:
    """A freshly installed server of `version` (the current build when None), synced once: registry
    values absent, scheduler idle. Its machine is `host`, else one named after the server."""
    version = version or builds.current_version()
    builds.Version.parse(version)
    if cloud not in facts.CLOUDS:
        raise Refused(f"unknown cloud {cloud!r} (one of {', '.join(facts.CLOUDS)})")
    from reconciler.servers.simulator.standard_rules import standard_rules  # noqa: PLC0415 - see the package's docstring

    default = builds.default_api_version(version)
    connector_name = connector_name or f"{DEFAULT_TENANT_DOMAIN} - AAD"
    state = ObservedState(
        collected_at=now(),
        server=ServerInfo(
            name,
            str(builds.Version.parse(version)),
            cloud,
            True,
            host=host or default_host(name),
            instance_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.{host or default_host(name)}")),
        ),
        registry=Registry(None, None, facts.EXPORT_FILTERING_FOR_API_VERSION[default]),
        aad_connector=AadConnector(facts.AAD_CONNECTOR_ID, connector_name, facts.EXPORT_TYPE_FOR_API_VERSION[default]),
        scheduler=IDLE_SCHEDULER,
        connector_overrides=(
            ConnectorOverride("contoso.com", False, False),
            ConnectorOverride(connector_name, False, False),
        ),
        sync_rules=standard_rules(version),
        groups=tuple(Group(n, c, False) for n, c in DEFAULT_GROUPS),
    )
    return with_groups_synced(state)


def default_host(name: str) -> str:
    """The machine of a simulated server that `sim init` was not given one for: its name, as a short name."""
    return name.lower()


def with_groups_synced(state: ObservedState) -> ObservedState:
    """Groups provisioned as the server's own limit allows: the state after its first full sync cycle."""
    from reconciler.servers.simulator import cycle  # noqa: PLC0415 - see the package's docstring

    return cycle.run_cycle(state, full=True)


def twin(observed: ObservedState, name: str | None = None, host: str | None = None) -> ObservedState:
    """A simulated copy of an observed real server, on the same machine unless `host` says otherwise
    (a rehearsal of a state that names its host); optional parts it lacks are filled with defaults."""
    state = observed
    if name is not None:
        state = state.replace(server=dataclasses.replace(state.server, name=name))
    if host is not None or state.server.host is None:
        state = state.replace(server=dataclasses.replace(state.server, host=host or default_host(state.server.name)))
    scheduler = state.scheduler
    # A source that could not see the scheduler (an export) leaves None: an idle, enabled one stands in.
    filled = {
        f.name: getattr(IDLE_SCHEDULER, f.name)
        for f in dataclasses.fields(Scheduler)
        if getattr(scheduler, f.name) is None and f.name != "customized_sync_cycle_interval"
    }
    state = state.replace(scheduler=dataclasses.replace(scheduler, **filled), unobserved=None, collected_at=now())
    if state.server.tenant_has_verified_domain is None:
        state = state.replace(server=dataclasses.replace(state.server, tenant_has_verified_domain=True))
    if state.groups is None:
        state = with_groups_synced(state.replace(groups=tuple(Group(n, c, False) for n, c in DEFAULT_GROUPS)))
    return state
