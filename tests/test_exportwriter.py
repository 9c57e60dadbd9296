"""Our configuration exports are the real format and stay what the simulator makes."""

from __future__ import annotations

import filecmp
from pathlib import Path

from reconciler.model import inforce, syncrules
from reconciler.servers import serverconfig
from tests import exportwriter


def _same_tree(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right)
    differ = [*compared.left_only, *compared.right_only, *compared.diff_files, *compared.funny_files]
    for sub in compared.common_dirs:
        differ += _same_tree(left / sub, right / sub)
    return differ


def test_the_checked_in_exports_are_what_the_simulator_makes_now(tmp_path: Path) -> None:
    for name, state in exportwriter.examples().items():
        exportwriter.write(state, tmp_path / name)
        stale = _same_tree(tmp_path / name, exportwriter.FIXTURES / name)
        assert stale == [], f"tests/fixtures/{name} is stale: run `python -m tests.exportwriter` and review the diff"


def test_an_export_reads_back_as_the_server_that_wrote_it(tmp_path: Path) -> None:
    for name, state in exportwriter.examples().items():
        exportwriter.write(state, tmp_path / name)
        read = serverconfig.read(tmp_path / name, state.server.name)
        by_id = {r.identifier: r for r in state.sync_rules}
        assert {r.identifier: r for r in read.sync_rules} == by_id
        assert read.server.version == state.server.version and read.server.cloud == state.server.cloud
        assert read.aad_connector == state.aad_connector
        assert inforce.api_versions(read)[0] == inforce.api_versions(state)[0]  # from the connector's export type
        assert read.scheduler.staging_mode_enabled == state.scheduler.staging_mode_enabled
        assert syncrules.effective_limit(read) == syncrules.effective_limit(state)
