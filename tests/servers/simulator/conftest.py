from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.servers.simulator import SimulatedServer, defaults


@pytest.fixture
def make_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A simulated server of the given build in a fresh file."""

    def _make(version: str = "2.4.18.0", name: str = "sim1") -> SimulatedServer:
        server = SimulatedServer(tmp_path / f"{name}.json")
        server.create(defaults.new_server(name, version), replace=False)
        return server

    return _make
