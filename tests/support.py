"""Paths and helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
STATES = ROOT / "states"
FIXTURES = ROOT.parent / "shared" / "fixtures"
# A configuration export in the real format, of the simulator's twin of the real 1.1.130.0 sample
# (tests/exportwriter.py); the real sample itself is read too wherever it is beside the checkout.
SIM_EXPORT = ROOT / "tests" / "fixtures" / "export-sim-1.1.130.0"
REAL_EXPORT = FIXTURES / "adsync-export-contoso-1.1.130.0"
EXPORTS = [SIM_EXPORT, *([REAL_EXPORT] if REAL_EXPORT.is_dir() else [])]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


Run = Callable[..., Result]


def sim_init(target: str, name: str, *options: str) -> None:
    """Make a simulated server as a user does, with `reconciler sim init` (nothing makes one on first
    use): for tests that drive the runner without the `run` fixture."""
    from reconciler.cli import main  # noqa: PLC0415 - the CLI only where a test asks for it

    code = main(["sim", "init", "--target", target, "--name", name, *options])
    assert code == 0, f"sim init --target {target} --name {name} {' '.join(options)}: exit {code}"


def v1_without_clone(name: str = "fabrikam-aadc01") -> str:
    """A state file (written to the current folder) keeping a server on V1 at 50,000 with no precedence
    for a clone: valid, in sync on a 1.x build, and refused by the planner on a build from 2.0.3.0,
    whose standard rules carry 250,000, so that 50,000 there takes managed clones."""
    path = Path(f"{name}.yaml")
    path.write_text(
        "apiVersion: reconciler/v1\nkind: SyncServer\nmetadata:\n"
        f"  name: {name}\n"
        "spec:\n  cloud: AzureCommercial\n  apiVersions:\n    export: 1\n    import: 1\n"
        "  groupMemberLimit: 50000\n  scheduler:\n    syncCycleEnabled: true\n",
        encoding="utf-8",
    )
    return str(path)
