"""What each command costs a live server: sessions, ADSync module loads and full state reads.

    python benchmarks/sessions.py

Counted at the boundary the tool drives, answered from the simulator: a stand-in `powershell`
executable (the `powershell` target: one process is one session) and a fake pypsrp (the
`winrm://HOST` target: one runspace is one session), both from tests/fakes.py. A module load is
the first `Import-Module ADSync` of a session: a module already imported is not imported again
without -Force (Microsoft's ImportModuleCommand.Force). A full state read is one run of the
collector. Goals and figures (docs/performance.md#sessions-on-live-servers): `plan` one session;
`apply` and `reconcile` at most three sessions per server whatever the number of actions; one module
load per session. POSIX only (the stand-in is a script with a #! line).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from reconciler.cli import main  # noqa: E402 - after the repository is on the path
from reconciler.servers.simulator import SimulatedServer  # noqa: E402
from tests import fakes  # noqa: E402

NAME = "srv1"
RAISE = """\
apiVersion: reconciler/v1
kind: SyncServer
metadata:
  name: srv1
spec:
  cloud: AzureCommercial
  apiVersions:
    export: 2
    import: 2
  groupMemberLimit: 100000
  rulePrecedence: 90
  writeupRulePrecedence: 89
  scheduler:
    syncCycleEnabled: true
"""
ROLLBACK = """\
apiVersion: reconciler/v1
kind: SyncServer
metadata:
  name: srv1
spec:
  cloud: AzureCommercial
  apiVersions:
    export: 1
    import: 1
  groupMemberLimit: 50000
  scheduler:
    syncCycleEnabled: true
"""


@dataclass(frozen=True)
class Case:
    label: str
    version: str
    command: list[str]  # after `reconciler`, before --target
    state: str = RAISE
    before: str | None = None  # a state applied to the simulator first, uncounted
    goal_sessions: int = 3


CASES = [
    Case("export (observe)", "1.6.4.0", ["export", "--name", NAME], goal_sessions=1),
    Case("plan", "1.6.4.0", ["plan", "state.yaml"], goal_sessions=1),
    Case("reconcile, nothing to do", "1.6.4.0", ["reconcile", "state.yaml"], before=RAISE),
    Case("apply, raise on 1.6.4.0", "1.6.4.0", ["apply", "state.yaml", "--yes"]),
    Case("apply, 1.5.30.0 -> V2 + 100k", "1.5.30.0", ["apply", "state.yaml", "--yes"]),
    Case("apply, rollback", "1.6.4.0", ["apply", "state.yaml", "--yes"], state=ROLLBACK, before=RAISE),
]


@dataclass(frozen=True)
class Row:
    case: Case
    target: str
    counts: fakes.Counts
    actions: int
    code: int

    def line(self) -> str:
        c = self.counts
        met = "ok" if self.met else "OVER"
        return (
            f"{self.case.label:<30} {self.target:<10} {self.planned:>7} {c.sessions:>8} {c.module_loads:>12} "
            f"{c.state_reads:>11} {c.scripts:>7}   <= {self.case.goal_sessions} sessions, 1 load each: {met}"
        )

    @property
    def planned(self) -> str:
        """The plan's actions, for the commands that plan."""
        return "" if self.case.command[0] == "export" else str(self.actions)

    @property
    def met(self) -> bool:
        c = self.counts
        return self.code in (0, 2) and c.sessions <= self.case.goal_sessions and c.module_loads <= c.sessions


@contextlib.contextmanager
def _inside(folder: Path, env: dict[str, str]) -> Iterator[None]:
    before_dir, before_env = os.getcwd(), dict(os.environ)
    os.chdir(folder)
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.chdir(before_dir)
        os.environ.clear()
        os.environ.update(before_env)


def _prepare(folder: Path, case: Case) -> Path:
    sim = folder / "server.json"
    (folder / "state.yaml").write_text(case.state, encoding="utf-8")
    with _inside(folder, {}):
        assert main(["sim", "init", "--target", f"sim:{sim}", "--name", NAME, "--version", case.version]) == 0
        if case.before is not None:
            (folder / "before.yaml").write_text(case.before, encoding="utf-8")
            assert main(["apply", "before.yaml", "--target", f"sim:{sim}", "--yes"]) in (0, 2)
            (folder / "before.yaml").unlink()
    return sim


def _actions(folder: Path, sim: Path) -> int:
    with _inside(folder, {}):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["plan", "state.yaml", "--target", f"sim:{sim}", "--output", "json"])
    text = out.getvalue().strip()
    return len(json.loads(text).get("actions", [])) if text else 0


def run_powershell(case: Case, folder: Path) -> Row:
    sim = _prepare(folder, case)
    actions = _actions(folder, sim)
    log = folder / "stand-in.jsonl"
    env = fakes.install_stand_in(folder, sim, log)
    with _inside(folder, env):
        code = main([*case.command, "--target", "powershell"])
    return Row(case, "powershell", fakes.stand_in_counts(log), actions, code)


def run_winrm(case: Case, folder: Path) -> Row:
    sim = _prepare(folder, case)
    actions = _actions(folder, sim)
    answerer = fakes.Answerer(SimulatedServer(sim))
    fake = fakes.simulator_pypsrp(answerer)
    saved = {name: sys.modules.get(name) for name in fake.modules}

    def setitem(modules: dict[str, object], name: str, value: object) -> None:
        modules[name] = value

    fake.install(setitem)  # type: ignore[arg-type]
    env = {"RECONCILER_WINRM_USERNAME": "u", "RECONCILER_WINRM_PASSWORD": "p"}
    try:
        with _inside(folder, env):
            code = main([*case.command, "--target", f"winrm://{NAME}"])
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return Row(case, "winrm", answerer.counts, actions, code)


RUNNERS: dict[str, Callable[[Case, Path], Row]] = {"powershell": run_powershell, "winrm": run_winrm}


def measure(targets: tuple[str, ...] = ("powershell", "winrm")) -> list[Row]:
    rows = []
    for case in CASES:
        for target in targets:
            with tempfile.TemporaryDirectory(prefix="sessions-") as folder:
                rows.append(RUNNERS[target](case, Path(folder)))
    return rows


HEADER = (
    f"{'command':<30} {'target':<10} {'actions':>7} {'sessions':>8} {'module loads':>12} "
    f"{'state reads':>11} {'scripts':>7}"
)


def main_() -> int:
    if os.name != "posix":
        print("sessions.py: the stand-in powershell is a POSIX script", file=sys.stderr)
        return 1
    rows = measure()
    print(HEADER)
    for row in rows:
        print(row.line())
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main_())
