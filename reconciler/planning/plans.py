"""The plan: the complete description of what apply will do, and its JSON form (docs/plan.md#plan-json)."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import UserError
from reconciler.formats import schemas
from reconciler.model import observed
from reconciler.planning.actions import KINDS, Action, ScriptContext
from reconciler.planning.diff import DiffItem

FORMAT_VERSION = 1
# How a plan's warning starts when a staged rollout holds the limit (the planner writes it).
HELD = "rollout: the limit stays at"
# How it starts when this run takes one step of a staged rollout, short of the desired limit.
STEP = "rollout: raising the limit to"


@dataclass(frozen=True, slots=True)
class Impact:
    groups_to_provision: tuple[str, ...] = ()
    groups_to_delete: tuple[str, ...] = ()
    # Provisioned groups above the new limit: kept, but their membership stops updating.
    groups_over_limit: tuple[str, ...] = ()


@dataclass(frozen=True)  # not slots: compact_text is kept in the instance
class Plan:
    server: str
    desired_digest: str
    observed_digest: str
    observed_version: str
    changes: tuple[DiffItem, ...]
    actions: tuple[Action, ...]
    warnings: tuple[str, ...] = ()
    impact: Impact = Impact()
    # Where the plan was made: the target's label, the machine it observed there, and whether that
    # server is the embedded simulator's (every output then says "simulated"). None: not from a run.
    target: str | None = None
    host: str | None = None
    simulated: bool = False
    # What `--output powershell` needs beyond the actions (the exact rule a Create or Update
    # writes, as planned from what was observed). Not part of the JSON plan: apply builds the
    # rule again from the server as it finds it.
    script: ScriptContext = field(default=ScriptContext(), compare=False)

    @property
    def held(self) -> bool:
        """Nothing to do this run, yet short of the desired state: a staged rollout holds the limit
        (docs/commands.md#exit-codes: that is exit 2 with --detailed-exitcode, not "in sync")."""
        return not self.actions and any(w.startswith(HELD) for w in self.warnings)

    @property
    def stepping(self) -> bool:
        """This run takes one step of a staged rollout: applied, the server is still short of it."""
        return bool(self.actions) and any(w.startswith(STEP) for w in self.warnings)

    @functools.cached_property
    def compact_text(self) -> str:
        """The plan document on one line, as a fleet report writes it: kept in the plan, so a
        fleet's worker process writes it and the text travels with the plan."""
        return COMPACT(to_json(self))


def digest_of(data: Any) -> str:
    return "sha256:" + hashlib.sha256(observed.canonical(data).encode("utf-8")).hexdigest()


def to_json(plan: Plan) -> dict[str, Any]:
    where: dict[str, Any] = {}
    if plan.target is not None:
        where = {"target": plan.target, "host": plan.host, "simulated": plan.simulated}
    return {
        "formatVersion": FORMAT_VERSION,
        "server": plan.server,
        **where,
        "desiredDigest": plan.desired_digest,
        "observedDigest": plan.observed_digest,
        "observedVersion": plan.observed_version,
        "changes": [{"path": c.path, "observed": c.observed, "desired": c.desired} for c in plan.changes],
        "actions": [{"kind": a.kind, "params": dict(a.params), "reason": a.reason} for a in plan.actions],
        "warnings": list(plan.warnings),
        "impact": {
            "groupsToProvision": list(plan.impact.groups_to_provision),
            "groupsToDelete": list(plan.impact.groups_to_delete),
            "groupsOverLimit": list(plan.impact.groups_over_limit),
        },
    }


# One line of JSON, as a fleet report writes each server: the report writes its own parts with it too.
COMPACT = observed.COMPACT


def first_difference(saved: Any, fresh: Any, path: str = "") -> str | None:
    """Where two plan documents first differ, as a readable path (None when they are equal)."""
    if isinstance(saved, dict) and isinstance(fresh, dict):
        for key in [*fresh, *(k for k in saved if k not in fresh)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in saved or key not in fresh:
                return f"{where} is {'missing' if key not in saved else 'not planned'}"
            found = first_difference(saved[key], fresh[key], where)
            if found is not None:
                return found
        return None
    if isinstance(saved, list) and isinstance(fresh, list):
        for index, (left, right) in enumerate(zip(saved, fresh, strict=False)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found is not None:
                return found
        if len(saved) != len(fresh):
            return f"{path} has {len(saved)} entries, the plan has {len(fresh)}"
        return None
    if saved != fresh or type(saved) is not type(fresh):
        return f"{path} is {json.dumps(saved)[:80]}, the plan says {json.dumps(fresh)[:80]}"
    return None


def from_json(data: Any, source: str) -> Plan:
    """A saved plan, checked against schemas/plan.schema.json."""
    problems = schemas.check_data(data, schemas.PLAN, source)
    if problems:
        raise UserError(problems)
    changes = []
    for c in data["changes"]:
        op = "add" if c["observed"] is None else "remove" if c["desired"] is None else "change"
        changes.append(DiffItem(op, c["path"], c["observed"], c["desired"]))
    return Plan(
        server=data["server"],
        desired_digest=data["desiredDigest"],
        observed_digest=data["observedDigest"],
        observed_version=data["observedVersion"],
        target=data.get("target"),
        host=data.get("host"),
        simulated=data.get("simulated", False),
        changes=tuple(changes),
        # In the vocabulary's order of parameters, whatever order the file has them in (jq -S sorts).
        actions=tuple(
            Action(a["kind"], {name: a["params"][name] for name in KINDS[a["kind"]].params}, a["reason"])
            for a in data["actions"]
        ),
        warnings=tuple(data["warnings"]),
        impact=Impact(
            tuple(data["impact"]["groupsToProvision"]),
            tuple(data["impact"]["groupsToDelete"]),
            tuple(data["impact"].get("groupsOverLimit", ())),  # plans saved before it existed have none
        ),
    )
