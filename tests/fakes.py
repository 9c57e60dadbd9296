"""The live targets' boundary, faked: a stand-in `powershell.exe` and a fake pypsrp that answer the
scripts the tool sends from a simulated server, and count what a real server would pay for.

`Answerer` reads a script as the server would run it: the collector prints the simulator's state;
a live plan script (`reconciler.planning.scripts.live`, its steps named by their `# action` comment
lines) carries out each step the way its guarded PowerShell does (checked first, done only when
needed), writes one event line per step and what its `finally` did, then the state it left; a
scheduler switch is carried out. Anything else is refused, so that a script the fakes do not know
fails a test rather than passing unseen. Used by tests/servers/test_powershell.py, the sessions test
and benchmarks/sessions.py.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import cmdlets
from reconciler.errors import UserError
from reconciler.model import observed
from reconciler.planning.actions import KINDS
from reconciler.servers.protocol import Server

COLLECTOR_MARK = "ConvertTo-Json -InputObject $state"
MODULE = "Import-Module ADSync"


@dataclass
class Counts:
    """What the boundary saw: sessions opened, the ADSync module loaded, full state reads, scripts."""

    sessions: int = 0
    module_loads: int = 0
    state_reads: int = 0
    scripts: int = 0

    def add(self, other: Counts) -> None:
        self.sessions += other.sessions
        self.module_loads += other.module_loads
        self.state_reads += other.state_reads
        self.scripts += other.scripts


@dataclass
class Answerer:
    """One server's answers; `fail_at`: the index of a step whose change the server refuses."""

    server: Server
    fail_at: int | None = None
    counts: Counts = field(default_factory=Counts)
    loaded: bool = False  # the ADSync module, in the current session: a second import is a no-op

    def new_session(self) -> None:
        self.counts.sessions += 1
        self.loaded = False

    def answer(
        self, script: str, stop: threading.Event | None = None, emit: Callable[[str], None] | None = None
    ) -> tuple[list[str], str | None]:
        """The script's output lines, and its error (None when it succeeded). A plan script stops
        before its next step once `stop` is set, as its Assert-NotStopped does; `emit` gets each of
        its lines as the step that writes it ends (the lines returned then are those already given)."""
        self.counts.scripts += 1
        if MODULE in script and not self.loaded:
            self.loaded = True
            self.counts.module_loads += 1
        if cmdlets.ACTION_COMMENT in script:
            return self._plan(script, stop, emit)
        if COLLECTOR_MARK in script:
            return [self._observe()], None
        if script.strip() == cmdlets.LANGUAGE_MODE:
            return [cmdlets.FULL_LANGUAGE], None
        for enabled in (True, False):
            if cmdlets.set_scheduler(enabled) in script:
                self.server.set_sync_cycle_enabled(enabled)
                return [], None
        raise AssertionError(f"a script the fake server does not know:\n{script}")

    def _observe(self) -> str:
        self.counts.state_reads += 1
        return observed.dumps(self.server.observe())

    def _plan(
        self, script: str, stop: threading.Event | None = None, emit: Callable[[str], None] | None = None
    ) -> tuple[list[str], str | None]:
        lines: list[str] = _Emitting(emit)
        error = None
        risky = False
        completed = False
        was = "$schedulerWasEnabled = $true" in script or self.server.observe().scheduler.sync_cycle_enabled
        stop_file = os.environ.get(cmdlets.STOP_FILE_VARIABLE)
        for index, (action, risky_after) in enumerate(_steps(script)):
            if (stop is not None and stop.is_set()) or (stop_file and os.path.exists(stop_file)):
                error = cmdlets.STOPPED
                lines.append(_event("step-failed", index - 1, detail=error))
                break
            kind = KINDS[action["kind"]]
            state = self.server.observe()
            changed = kind.changes_server and not kind.satisfied(state, action["params"])
            if changed:
                if index == self.fail_at:
                    error = f"Step {index + 1}: Access is denied."
                    lines.append(_event("step-failed", index, detail=error))
                    break
                kind.perform(self.server, state, action["params"])
            lines.append(_event("step", index, changed))
            risky = risky_after
        else:
            completed = True
        if not completed and was:
            if risky:
                lines.append(_event("scheduler-kept-off"))
            else:
                self.server.set_sync_cycle_enabled(True)
                lines.append(_event("scheduler-restored"))
        lines.append(_event("finally"))
        if COLLECTOR_MARK in script:  # the server's own read of the state the steps left
            lines.append(cmdlets.STATE_MARK + " ".join(self._observe().splitlines()))
        return lines, error


class _Emitting(list[str]):
    """Lines given to `emit` as they are added: a script's output as it runs."""

    def __init__(self, emit: Callable[[str], None] | None) -> None:
        super().__init__()
        self.emit = emit

    def append(self, line: str) -> None:
        super().append(line)
        if self.emit is not None:
            self.emit(line)


def _steps(script: str) -> list[tuple[dict[str, Any], bool]]:
    """Each step's action, and whether the script keeps the scheduler off once past it."""
    found: list[tuple[dict[str, Any], bool]] = []
    risky = False
    for line in script.splitlines():
        text = line.strip()
        if text.startswith(cmdlets.ACTION_COMMENT):
            found.append((json.loads(text.removeprefix(cmdlets.ACTION_COMMENT)), risky))
        elif text in ("$keepSchedulerOff = $true", "$keepSchedulerOff = $false") and found:
            risky = text.endswith("$true")
            found[-1] = (found[-1][0], risky)
    return found


def _event(name: str, index: int = -1, changed: bool = False, detail: str = "") -> str:
    record = {"event": name, "index": index, "changed": changed, "detail": detail}
    return cmdlets.EVENT_MARK + json.dumps(record, separators=(",", ":"))


# --- the stand-in powershell.exe -------------------------------------------------------------------

STAND_IN = """\
import json, os, sys
sys.path[:0] = json.loads(os.environ["STAND_IN_PATH"])
from tests import fakes
fakes.stand_in_main(sys.argv[1:])
"""


def install_stand_in(folder: Path, sim_file: Path, log: Path, fail_at: int | None = None) -> dict[str, str]:
    """A `powershell` executable in `folder` answering from the simulator file: the environment it needs."""
    executable = folder / "powershell"
    executable.write_text(f"#!{sys.executable}\n" + STAND_IN, encoding="utf-8")
    executable.chmod(0o755)
    root = str(Path(__file__).resolve().parent.parent)
    return {
        "STAND_IN_PATH": json.dumps([root]),
        "STAND_IN_SIM": str(sim_file),
        "STAND_IN_LOG": str(log),
        "STAND_IN_FAIL_AT": "" if fail_at is None else str(fail_at),
        "PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def stand_in_main(args: list[str]) -> None:
    """powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File SCRIPT: one process, one session."""
    from reconciler.servers.simulator import SimulatedServer  # noqa: PLC0415 - the stand-in's own process

    script = Path(args[-1]).read_bytes().decode("utf-8-sig")
    fail_at = os.environ.get("STAND_IN_FAIL_AT")
    answerer = Answerer(SimulatedServer(Path(os.environ["STAND_IN_SIM"])), int(fail_at) if fail_at else None)
    answerer.new_session()
    try:
        lines, error = answerer.answer(script)
    except UserError as exc:
        lines, error = [], str(exc)
    with open(os.environ["STAND_IN_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"args": args, "counts": vars(answerer.counts), "script": script}) + "\n")
    for line in lines:
        sys.stdout.write(line + "\r\n")
        sys.stdout.flush()
    if error is not None:
        sys.stderr.write(error + "\r\n")
        sys.exit(1)


def stand_in_counts(log: Path) -> Counts:
    total = Counts()
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            total.add(Counts(**json.loads(line)["counts"]))
    return total


# --- pypsrp ------------------------------------------------------------------------------------------


class FakePypsrp:
    """pypsrp's WSMan, RunspacePool and PowerShell, as modules: each script is answered by `answer`.

    `answer(script)` returns the output objects, the error records and whether the pipeline failed.
    A pipeline streams: `begin_invoke`, then `poll_invoke` gives one more output object each time."""

    def __init__(
        self,
        answer: Callable[[str], tuple[list[Any], list[Any], bool]],
        language_mode: str = "FullLanguage",
        on_open: Callable[[], None] = lambda: None,
    ) -> None:
        self.answer = answer
        self.language_mode = language_mode
        self.connections: list[dict[str, Any]] = []
        self.opened = 0
        self.closed = 0
        self.pipelines: list[list[str]] = []
        self.polls = 0
        self.stopped = 0
        fake = self

        class WSMan:
            def __init__(self, server: str, **options: Any) -> None:
                fake.connections.append({"server": server, **options})

        class RunspacePool:
            def __init__(self, connection: WSMan) -> None:
                self.connection = connection

            def open(self) -> None:
                fake.opened += 1
                on_open()

            def close(self) -> None:
                fake.closed += 1

        class Streams:
            def __init__(self) -> None:
                self.error: list[Any] = []

        class PowerShell:
            def __init__(self, pool: RunspacePool) -> None:
                self.scripts: list[str] = []
                self.streams = Streams()
                self.had_errors = False
                self.output: list[Any] = []
                self.state = 0  # NOT_STARTED
                self._pending: list[Any] = []
                fake.pipelines.append(self.scripts)

            def add_script(self, script: str) -> PowerShell:
                self.scripts.append(script)
                return self

            def begin_invoke(self) -> None:
                if self.scripts == [cmdlets.LANGUAGE_MODE]:
                    self._pending, errors, failed = [fake.language_mode], [], False
                else:
                    output, errors, failed = fake.answer(self.scripts[0])
                    self._pending = list(output)
                self._errors, self._failed = errors, failed
                self.state = 1  # RUNNING
                self._settle()

            def poll_invoke(self, timeout: int | None = None) -> None:
                fake.polls += 1
                if self._pending:
                    self.output.append(self._pending.pop(0))
                self._settle()

            def _settle(self) -> None:
                if not self._pending:
                    self.streams.error, self.had_errors = list(self._errors), self._failed
                    self.state = 5 if self._failed else 4  # FAILED, COMPLETED

            def stop(self) -> None:
                fake.stopped += 1
                self._pending = []
                self.state = 3  # STOPPED

            def invoke(self) -> list[Any]:
                self.begin_invoke()
                while self.state == 1:
                    self.poll_invoke()
                return self.output

            def close(self) -> None:
                pass

        self.modules = {
            "pypsrp": types.ModuleType("pypsrp"),
            "pypsrp.wsman": types.ModuleType("pypsrp.wsman"),
            "pypsrp.powershell": types.ModuleType("pypsrp.powershell"),
        }
        self.modules["pypsrp.wsman"].WSMan = WSMan  # type: ignore[attr-defined]
        self.modules["pypsrp.powershell"].RunspacePool = RunspacePool  # type: ignore[attr-defined]
        self.modules["pypsrp.powershell"].PowerShell = PowerShell  # type: ignore[attr-defined]

    def install(self, setitem: Callable[[Any, str, Any], None]) -> None:
        """Into sys.modules, through pytest's monkeypatch.setitem (or any setter that undoes itself)."""
        for name, module in self.modules.items():
            setitem(sys.modules, name, module)


class ErrorRecord:
    """What pypsrp gives for an error record: its ToString() as str()."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def simulator_pypsrp(answerer: Answerer) -> FakePypsrp:
    """A fake pypsrp whose every runspace is one session of the simulated server behind `answerer`."""

    def answer(script: str) -> tuple[list[Any], list[Any], bool]:
        try:
            lines, error = answerer.answer(script)
        except UserError as exc:
            return [], [ErrorRecord(str(exc))], True
        return lines, [] if error is None else [ErrorRecord(error)], error is not None

    return FakePypsrp(answer, on_open=answerer.new_session)


@dataclass
class SimTransport:
    """A transport in this process answering from `answerer`: one session for its whole life."""

    answerer: Answerer
    label: str = "sim-transport"
    sent: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.answerer.new_session()

    def run(self, script: str) -> str:
        lines: list[str] = []
        self.stream(script, lines.append)
        return "\n".join(lines)

    def stream(
        self, script: str, on_line: Callable[[str], None], timeout: float = 0, stop: threading.Event | None = None
    ) -> None:
        from reconciler.servers.transports import TransportError  # noqa: PLC0415 - the layer under test

        self.sent.append(script)
        lines, error = self.answerer.answer(script, stop, on_line)
        if not isinstance(lines, _Emitting):
            for line in lines:
                on_line(line)
        if error is not None:
            raise TransportError(f"{self.label}: {error}")
