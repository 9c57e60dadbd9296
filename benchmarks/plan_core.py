"""The planning core on 10,000 in-memory server pairs: observed server + desired state -> plan.

    python benchmarks/plan_core.py [--servers 10000]

Servers are generated reproducibly across builds (1.5.30.0 to 2.4.18.0), endpoint settings,
clone states (none, at another limit, disabled, duplicated) and scheduler states; desired states
across limits, precedences and API versions. Times only `planner.make_plan` (observe is free in
memory), and reports servers per second and the process's peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time


def pairs(count: int) -> list[tuple[object, object]]:
    import dataclasses

    from reconciler.model import facts, syncrules
    from reconciler.model.desired import DesiredState
    from reconciler.servers.simulator import defaults

    rng = random.Random(4)
    templates = {v: defaults.new_server("srv", v) for v in ("1.5.30.0", "1.6.2.4", "2.0.3.0", "2.4.18.0")}
    out = []
    for i in range(count):
        name = f"srv{i:05d}"
        state = rng.choice(list(templates.values()))
        state = state.replace(server=dataclasses.replace(state.server, name=name))
        standard = syncrules.standard_group_join(state)
        assert standard is not None
        extra = []
        shape = rng.random()
        if shape < 0.5:
            limit = rng.choice([75000, 100000, 150000])
            name_ = facts.DEFAULT_MANAGED_RULE_NAME
            clone = syncrules.make_clone(standard, server=name, name=name_, precedence=rng.randint(1, 99), limit=limit)
            extra.append(dataclasses.replace(clone, disabled=rng.random() < 0.1))
            if shape < 0.05:
                extra.append(dataclasses.replace(clone, identifier=clone.identifier[:-1] + "f", precedence=98))
        state = state.replace(sync_rules=(*state.sync_rules, *extra))
        v2 = rng.random() < 0.8
        desired = DesiredState(
            name=name, cloud="AzureCommercial", export_api_version=2 if v2 else 1, import_api_version=2 if v2 else 1,
            group_member_limit=rng.choice([50000, 75000, 100000, 250000]) if v2 else rng.choice([20000, 50000]),
            rule_precedence=rng.randint(1, 97), sync_cycle_enabled=rng.random() < 0.95, allow_group_deletion=True,
            writeup_rule_precedence=99,
        )  # fmt: skip
        out.append((desired, state))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    args = parser.parse_args()
    from reconciler.errors import UserError
    from reconciler.planning import planner

    work = pairs(args.servers)
    start = time.perf_counter()
    planned = refused = actions = 0
    for desired, state in work:
        try:
            result = planner.make_plan(desired, state, "sha256:" + "0" * 64)  # type: ignore[arg-type]
        except UserError:
            refused += 1
            continue
        planned += 1
        actions += len(result.actions)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"planned {args.servers} server pairs in {elapsed:.2f} s: {args.servers / elapsed:,.0f} servers/s "
        f"({planned} plans with {actions} actions, {refused} refused by server-side checks); peak RSS {peak_mb:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
