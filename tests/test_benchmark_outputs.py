"""What the benchmarks time prints exactly what it printed before the work on speed (issue 14).

The inputs are the benchmarks' own (a snapshot fleet, a simulator of many groups, a server in sync
and a drifted one), made smaller; each output's SHA-256 was recorded from the code as it stood
before the speed work, for the JSON, text and Markdown reports, the fleet planned in parallel
worker processes as a big one is, and the simulator file a full cycle writes. A faster path that
changes one byte of any of them fails here.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.model import facts
from reconciler.running import fleet
from reconciler.servers.simulator import cycle, defaults
from tests.support import Run

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
STATE = Path(__file__).resolve().parent.parent / "states" / "tailspin-aadc01-usgov.yaml"

# Recorded at commit 849db6a, before any of the speed work; the same at every commit since, but for
# the wording of the 1.x support warning (product facts of 2026-12-06), which alone was re-recorded:
# with the former wording put back, these outputs still give 849db6a's digests. The simulator file was
# re-recorded once more when it gained its last line, `"simulator": "reconciler"` (the mark that lets
# `sim init --force` replace only the simulator's own files); without that line it gives the former digest.
# Re-recorded again for the server's identity: a simulated server's file holds server.host and
# server.instanceId, a plan's JSON says its target, host and whether it is simulated, and a simulated
# server's text plan says "simulated" in its header. With those three put back as they were (host and
# instance identifier left out, no target in the plan), these outputs give the former digests.
# The two text plans were re-recorded once more when the `Plan: …` line gained the settings other than
# rules it changes (`; 0 setting(s) to change`): with that part taken out, they give the former digests.
# The two JSON plans were re-recorded when the observed digest became one hash of lines of JSON (the
# state, then its rules' other fields, then each rule's parts), and the fleet's when its generator gave each
# server its own identifiers, as real servers have: with the former digest and generator put back,
# they give the former digests. The text and Markdown reports did not change.
EXPECTED = {
    "fleet plan --output json": "aafb513cc39e813657868c6132ed546f27001c4cc1d3fb06e6e38f2319472158",
    "fleet plan (text)": "66e04ba57650bee02f8e078f2b1e67056d23714f713db18bf7733192419110a4",
    "fleet plan --output markdown": "46ead4ccc6354eff70395b4f2e2bca4cc6908c4a1adbfa292d89e03659b939ea",
    "sim cycle --full (file)": "8a8013cff216293d5cdd410b5b8a2a3a9d20763ea9f6b6b462317680b1f7bc62",
    "drifted plan (text)": "4e708f90303dce44ca93526f96e60988af40b33d78d2f8435d3526b659ad0259",
    "drifted plan --output json": "2638a217a458ac62ef04acfcf35327108b3dd77e6e63163c185749629792dd21",
    "in-sync plan (text)": "02ea9ea71b65b0279540bdd42b0f7a8efaa3b5f6391bac376beaadf0f7231d43",
}


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


@pytest.fixture
def benchmarks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # Simulator files carry the time: a fixed one, for outputs that can be compared.
    monkeypatch.setattr(cycle, "clock", lambda: "2026-11-23T06:00:00.000Z")
    monkeypatch.setattr(defaults, "now", lambda: "2026-11-23T06:00:00Z")
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.chdir(tmp_path)
    yield
    for name in ("fleet_plan", "sim_cycle", "_common"):
        sys.modules.pop(name, None)


@pytest.mark.usefixtures("benchmarks")
def test_a_fleet_plans_as_before(tmp_path: Path, run: Run) -> None:
    fleet_plan = importlib.import_module("fleet_plan")  # benchmarks/ is no package
    count = fleet.PARALLEL_FROM + 12  # planned by worker processes, as 10,000 servers are
    fleet_plan.generate(tmp_path, count)
    argv = ["plan", "states", "--target", "snapshot:snapshots/"]
    found = {
        "fleet plan --output json": _sha(run(*argv, "--output", "json").out),
        "fleet plan (text)": _sha(run(*argv).out),
        "fleet plan --output markdown": _sha(run(*argv, "--output", "markdown").out),
    }
    assert found == {key: EXPECTED[key] for key in found}


@pytest.mark.usefixtures("benchmarks")
def test_the_fleet_s_servers_share_no_identifier_as_real_servers_do(tmp_path: Path) -> None:
    """docs/compare.md#remapping: the benchmark must not flatter a fleet with rules its servers share."""
    fleet_plan = importlib.import_module("fleet_plan")
    fleet_plan.generate(tmp_path, 3)
    seen: dict[str, str] = {}
    for path in sorted((tmp_path / "snapshots").glob("*.json")):
        rules = json.loads(path.read_text(encoding="utf-8"))["syncRules"]
        ours = {r["Identifier"] for r in rules} | {r["Connector"] for r in rules} - {facts.AAD_CONNECTOR_ID}
        assert not ours & seen.keys(), (path.name, sorted(ours & seen.keys())[:3])
        seen.update(dict.fromkeys(ours, path.name))
    assert len(seen) > 3 * 60


@pytest.mark.usefixtures("benchmarks")
def test_a_full_cycle_writes_the_simulator_file_as_before(tmp_path: Path, run: Run) -> None:
    sim_cycle = importlib.import_module("sim_cycle")
    path = tmp_path / "bench01.json"
    sim_cycle.build(path, 3000)
    assert run("sim", "cycle", "--full", "--target", "sim:bench01.json").code == 0
    assert {"sim cycle --full (file)": _sha(path.read_bytes())} == {
        "sim cycle --full (file)": EXPECTED["sim cycle --full (file)"]
    }


@pytest.mark.usefixtures("benchmarks")
def test_one_server_plans_as_before(tmp_path: Path, run: Run) -> None:
    (tmp_path / STATE.name).write_bytes(STATE.read_bytes())
    state, synced, drifted = STATE.name, "synced.json", "drifted.json"  # relative: the same text anywhere
    for path in (synced, drifted):
        assert (
            run("sim", "init", "--name", "tailspin-aadc01", "--version", "1.6.2.4", "--target", f"sim:{path}").code == 0
        )
        assign = ["server.cloud=AzureUSGovernment", "aadConnector.Name=tailspin.onmicrosoft.us - AAD"]
        assert run("sim", "set", "--target", f"sim:{path}", *assign).code == 0
    assert run("apply", state, "--yes", "--target", f"sim:{synced}").code == 0
    found = {
        "drifted plan (text)": _sha(run("plan", state, "--target", f"sim:{drifted}").out),
        "drifted plan --output json": _sha(run("plan", state, "--target", f"sim:{drifted}", "--output", "json").out),
        "in-sync plan (text)": _sha(run("plan", state, "--target", f"sim:{synced}").out),
    }
    assert found == {key: EXPECTED[key] for key in found}


def test_the_planning_core_benchmark_runs() -> None:
    """The benchmark that drives the library directly (no CLI) keeps up with its API."""
    script = BENCHMARKS / "plan_core.py"
    done = subprocess.run([sys.executable, str(script), "--servers", "30"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "planned 30 server pairs" in done.stdout
