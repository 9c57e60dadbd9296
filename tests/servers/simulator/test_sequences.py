"""Whatever is asked of the simulator, in whatever order, its file stays valid observed state."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import UserError
from reconciler.formats import schemas
from reconciler.model import syncrules
from reconciler.servers.simulator import SimulatedServer, defaults

OPERATIONS = st.sampled_from(
    ["disable", "enable", "export1", "export2", "import1", "import2", "clone", "raise", "remove_clone",
     "override", "delta", "full", "upgrade", "busy", "idle", "scheduler_off", "scheduler_on"]
)  # fmt: skip


def _do(server: SimulatedServer, op: str, limit: int) -> None:
    state = server.observe()
    standard = syncrules.standard_group_join(state)
    clones = syncrules.managed_clones(state, "clone")
    if op in ("disable", "enable") and standard is not None:
        server.set_rule_disabled(standard.identifier, op == "disable")
    elif op.startswith(("export", "import")):
        setter = server.set_export_api_version if op.startswith("export") else server.set_import_api_version
        setter(int(op[-1]))
    elif op == "clone" and standard is not None and not clones:
        server.add_rule(syncrules.make_clone(standard, server="s", name="clone", precedence=50, limit=limit))
    elif op == "raise" and clones:
        server.add_rule(syncrules.with_limit(clones[0], limit))
    elif op == "remove_clone" and clones:
        server.remove_rule(clones[0].identifier)
    elif op == "override":
        server.set_connector_override(state.aad_connector.name, False)
    elif op in ("delta", "full"):
        server.run_cycle(op == "full")
    elif op == "upgrade":
        parts = state.server.version.split(".")
        server.upgrade(f"{parts[0]}.{parts[1]}.{int(parts[2]) + 1}.0")
    elif op in ("busy", "idle"):
        server.assign([f"scheduler.SyncCycleInProgress={str(op == 'busy').lower()}"])
    elif op.startswith("scheduler"):
        server.set_sync_cycle_enabled(op.endswith("on"))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["1.5.22.0", "1.5.30.0", "1.6.2.4", "2.4.18.0"]),
       st.lists(st.tuples(OPERATIONS, st.integers(1, 250000)), max_size=12))  # fmt: skip
def test_any_sequence_leaves_a_valid_file(version: str, ops: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = SimulatedServer(Path(folder) / "s.json")
        server.create(defaults.new_server("s", version), replace=False)
        for op, limit in ops:
            # Refusals (busy, V2 too old, ...) are allowed, as long as the file stays valid.
            with contextlib.suppress(UserError):
                _do(server, op, limit)
            data = json.loads(server.path.read_text(encoding="utf-8"))
            full = schemas.StrictValidator(schemas.schema(schemas.OBSERVED_STATE))
            assert [e.message for e in full.iter_errors(data)] == []
            assert data["server"]["version"]
