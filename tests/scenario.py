"""Helpers for scenario and property tests: plan and apply against an in-memory simulated server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reconciler.model import desired
from reconciler.model.desired import DesiredState
from reconciler.planning import planner, plans
from reconciler.planning.plans import Plan
from reconciler.running.executor import Executor, Settings, StepResult
from reconciler.running.journal import Journal
from reconciler.servers.simulator import InMemoryServer, defaults


def state(name: str = "srv1", **changes: object) -> DesiredState:
    base = DesiredState(
        name=name,
        cloud="AzureCommercial",
        export_api_version=2,
        import_api_version=2,
        group_member_limit=100000,
        rule_precedence=90,
        sync_cycle_enabled=True,
        writeup_rule_precedence=89,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def rollback(**changes: object) -> DesiredState:
    """Back to V1 at the standard 50,000: no clone, so no precedence."""
    base = state(export_api_version=1, import_api_version=1, group_member_limit=50000, rule_precedence=None)
    return dataclasses.replace(base, writeup_rule_precedence=None, **changes)  # type: ignore[arg-type]


def server(version: str = "1.6.2.4", name: str = "srv1") -> InMemoryServer:
    return InMemoryServer(defaults.new_server(name, version))


def make_plan(srv: InMemoryServer, want: DesiredState, allow: bool = False) -> Plan:
    digest = plans.digest_of(desired.to_document(want))
    return planner.make_plan(want, srv.observe(), digest, planner.Options(allow_group_deletion=allow))


def apply(srv: InMemoryServer, want: DesiredState, folder: Path, allow: bool = False) -> tuple[Plan, list[StepResult]]:
    the_plan = make_plan(srv, want, allow)
    executor = Executor(srv, Journal(want.name, folder), Settings(wait_timeout=0, poll_interval=0))
    return the_plan, executor.run(the_plan)


def kinds(the_plan: Plan) -> list[str]:
    return [a.describe() for a in the_plan.actions]
