"""How a script reaches a live server: the one small interface below everything that is real code.

- `LocalPowerShell`: on the Entra Connect server itself (e.g. a scheduled task): each script is
  written to a temporary `.ps1` and run with `powershell.exe -NoProfile -NonInteractive -File`;
- `WinRM`: through WinRM/PSRP with pypsrp (the `winrm` extra). Credentials and options come from
  the environment only, never the command line or logs: RECONCILER_WINRM_USERNAME,
  RECONCILER_WINRM_PASSWORD, RECONCILER_WINRM_AUTH (negotiate, kerberos, ntlm, credssp, basic,
  certificate; default negotiate), RECONCILER_WINRM_CERTIFICATE_PEM and
  RECONCILER_WINRM_CERTIFICATE_KEY_PEM (for certificate), RECONCILER_WINRM_SSL (default true),
  RECONCILER_WINRM_CERT_VALIDATION (default true). One runspace serves a server's whole run, and
  any error record a script writes fails it. See docs/targets.md.

Tests replay recorded outputs through the same `Transport` protocol.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from reconciler import cmdlets
from reconciler.errors import UserError

SCRIPT_TIMEOUT_SECONDS = 600


class TransportError(UserError):
    """The script could not run, or failed on the server."""


class Transport(Protocol):
    label: str

    def run(self, script: str) -> str:
        """Run `script`; its output stream as text. Raises TransportError."""
        ...

    def stream(
        self,
        script: str,
        on_line: Callable[[str], None],
        timeout: float = SCRIPT_TIMEOUT_SECONDS,
        stop: threading.Event | None = None,
    ) -> None:
        """Run `script`, giving each line of its output to `on_line` as it arrives; raises
        TransportError when it fails, after every line it wrote before. Once `stop` is set, a live
        plan script stops before its next step (its `finally` still runs)."""
        ...


class LocalPowerShell:
    """Windows PowerShell on this machine: the target for a scheduled task on the server itself."""

    label = "powershell"

    def __init__(self, executable: str | None = None) -> None:
        found = executable or shutil.which("powershell.exe") or shutil.which("powershell")
        if found is None:
            raise UserError(
                "the powershell target runs on the Entra Connect server itself, and this machine has no "
                "powershell.exe; from elsewhere use winrm://HOST, or a snapshot"
            )
        self.executable = found

    def run(self, script: str) -> str:
        lines: list[str] = []
        self.stream(script, lines.append)
        return "".join(lines)

    def stream(
        self,
        script: str,
        on_line: Callable[[str], None],
        timeout: float = SCRIPT_TIMEOUT_SECONDS,
        stop: threading.Event | None = None,
    ) -> None:
        # From a file, not standard input: powershell.exe reads `-Command -` line by line like a
        # prompt, runs a multi-line statement only after an empty line and drops an unfinished one
        # with exit code 0. The file is ASCII, with a byte order mark all the same.
        handle, name = tempfile.mkstemp(prefix="adsync-reconciler-", suffix=".ps1")
        path = Path(name)
        stop_file = path.with_suffix(".stop")  # made when a stop is asked for: the script stops before its next step
        environment = {**os.environ, cmdlets.STOP_FILE_VARIABLE: str(stop_file)}
        timer: threading.Timer | None = None
        timed_out = threading.Event()
        ended = threading.Event()
        try:
            with os.fdopen(handle, "w", encoding="utf-8-sig", newline="\r\n") as file:
                file.write(cmdlets.file_script(script))
            argv = [self.executable, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", name]
            # Standard error to a file: read only at the end, it can never fill a pipe and stall the script.
            with tempfile.TemporaryFile() as errors:
                with subprocess.Popen(
                    argv, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL, env=environment
                ) as process:
                    assert process.stdout is not None
                    if stop is not None:
                        threading.Thread(target=_stop_when, args=(stop, ended, stop_file), daemon=True).start()

                    def expire() -> None:
                        timed_out.set()
                        process.kill()

                    timer = threading.Timer(timeout, expire)
                    timer.start()
                    stdout: list[str] = []
                    _read_lines(process.stdout, stdout, on_line)
                    returncode = process.wait()
                errors.seek(0)
                stderr = errors.read().decode("utf-8", errors="replace")
        except OSError as exc:
            raise TransportError(f"powershell: cannot start {self.executable}: {exc.strerror}") from None
        finally:
            ended.set()
            if timer is not None:
                timer.cancel()
            path.unlink(missing_ok=True)
            stop_file.unlink(missing_ok=True)
        if timed_out.is_set():
            raise TransportError(f"powershell: no answer within {timeout:g} s")
        if returncode == cmdlets.LANGUAGE_MODE_EXIT:
            raise TransportError(language_mode_problem("powershell", _last_line("".join(stdout))))
        if returncode != 0:
            if any(marker in stderr for marker in EXECUTION_POLICY_MARKERS):
                raise TransportError(EXECUTION_POLICY_PROBLEM)
            raise TransportError(f"powershell: {_last_line(stderr) or f'exit code {returncode}'}")


def _stop_when(stop: threading.Event, ended: threading.Event, stop_file: Path) -> None:
    """Makes the stop file once a stop is asked for, unless the script ended first."""
    while not ended.is_set():
        if stop.wait(0.2):
            if not ended.is_set():
                stop_file.touch()
            return


def _read_lines(stream: Any, seen: list[str], on_line: Callable[[str], None]) -> None:
    """Each line as it arrives. A Ctrl-C reaches the script too, whose `finally` then restores the
    scheduler: its last lines are read before the interrupt goes on."""
    try:
        for raw in stream:
            # The script makes its output UTF-8; a byte it could not control is replaced, not a crash.
            seen.append(raw.decode("utf-8", errors="replace"))
            on_line(seen[-1])
    except KeyboardInterrupt:
        for raw in stream:
            seen.append(raw.decode("utf-8", errors="replace"))
            on_line(seen[-1])
        raise


# What powershell.exe writes when the execution policy refuses a script file, in every language:
# the exception's type and the error's identifier are not translated.
EXECUTION_POLICY_MARKERS = ("PSSecurityException", "UnauthorizedAccess")
EXECUTION_POLICY_PROBLEM = (
    "powershell: the execution policy refuses the tool's unsigned scripts, and -ExecutionPolicy Bypass cannot "
    "override a Group Policy one (Get-ExecutionPolicy -List shows MachinePolicy or UserPolicy); use winrm:// "
    "from another machine, or plan --output powershell and run the reviewed, signed script "
    "(docs/targets.md#execution-policy-and-language-mode)"
)


def language_mode_problem(label: str, mode: str) -> str:
    return (
        f"{label}: PowerShell runs in {mode or 'a restricted language'} mode here (AppLocker or WDAC), where the "
        "ADSync objects' .NET members cannot be used; run the reviewed plan script from a path the policy "
        "trusts (docs/targets.md#execution-policy-and-language-mode)"
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise UserError(f"{name}={raw!r}: expected true or false")


WINRM_AUTH = ("negotiate", "kerberos", "ntlm", "credssp", "basic", "certificate")


def winrm_options(host: str, env: Mapping[str, str]) -> dict[str, Any]:
    """pypsrp Client keyword arguments, from the environment (never from the command line)."""
    auth = env.get("RECONCILER_WINRM_AUTH") or "negotiate"
    if auth not in WINRM_AUTH:
        raise UserError(f"RECONCILER_WINRM_AUTH={auth!r}: expected one of {', '.join(WINRM_AUTH)}")
    username, password = env.get("RECONCILER_WINRM_USERNAME"), env.get("RECONCILER_WINRM_PASSWORD")
    if auth not in ("kerberos", "certificate") and not (username and password):
        raise UserError(
            f"winrm://{host}: set RECONCILER_WINRM_USERNAME and RECONCILER_WINRM_PASSWORD "
            "(or RECONCILER_WINRM_AUTH=kerberos)"
        )
    server, _, port = host.partition(":")
    options: dict[str, Any] = {
        "server": server,
        "auth": auth,
        "ssl": _flag(env, "RECONCILER_WINRM_SSL", True),
        "cert_validation": _flag(env, "RECONCILER_WINRM_CERT_VALIDATION", True),
    }
    if username:
        options["username"] = username
    if password:
        options["password"] = password
    if port:
        if not port.isdigit():
            raise UserError(f"winrm://{host}: the port must be a number")
        options["port"] = int(port)
    if auth == "certificate":
        options.update(_certificate(host, env, options["ssl"]))
    return options


def _certificate(host: str, env: Mapping[str, str], ssl: bool) -> dict[str, str]:
    """pypsrp's certificate authentication: a client certificate and its key (PEM files), over HTTPS."""
    certificate, key = env.get("RECONCILER_WINRM_CERTIFICATE_PEM"), env.get("RECONCILER_WINRM_CERTIFICATE_KEY_PEM")
    if not (certificate and key):
        raise UserError(
            f"winrm://{host}: RECONCILER_WINRM_AUTH=certificate needs RECONCILER_WINRM_CERTIFICATE_PEM and "
            "RECONCILER_WINRM_CERTIFICATE_KEY_PEM (paths to the client certificate and its key)"
        )
    if not ssl:
        raise UserError(f"winrm://{host}: certificate authentication works over HTTPS only (RECONCILER_WINRM_SSL)")
    return {"certificate_pem": certificate, "certificate_key_pem": key}


class WinRM:
    """A remote server through PowerShell Remoting (pypsrp): one runspace for the whole server run.

    Each script runs as a `PowerShell` pipeline of its own in that runspace, not through
    `Client.execute_ps` (which wraps it in `Invoke-Expression ... | Out-String -Stream` and reports
    an error only when the whole pipeline fails): any error record the script writes fails its step.
    Modules a script imports stay loaded for the next one (imports are session state; each script's
    variables are its own). The runspace is closed by `close`, or when the transport is dropped."""

    def __init__(self, host: str, env: Mapping[str, str] | None = None) -> None:
        options = winrm_options(host, os.environ if env is None else env)
        try:
            from pypsrp.powershell import PowerShell, RunspacePool  # noqa: PLC0415 - the optional winrm extra
            from pypsrp.wsman import WSMan  # noqa: PLC0415
        except ImportError:
            raise UserError(
                "the winrm:// target needs the winrm extra: pip install 'adsync-reconciler[winrm]'"
            ) from None
        self.label = f"winrm://{host}"
        server = options.pop("server")
        self._powershell = PowerShell
        self._runspace_pool = RunspacePool
        self._connection = WSMan(server, **options)
        self._pool = RunspacePool(self._connection)
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._language_problem = ""

    def run(self, script: str) -> str:
        lines: list[str] = []
        self.stream(script, lines.append)
        return "\n".join(lines)

    def stream(
        self,
        script: str,
        on_line: Callable[[str], None],
        timeout: float = SCRIPT_TIMEOUT_SECONDS,
        stop: threading.Event | None = None,
    ) -> None:
        try:
            if self._finalizer is None:
                self._pool.open()
                # Closed when dropped too: an open runspace holds one of the user's remote shells.
                self._finalizer = weakref.finalize(self, _close_quietly, self._pool)
                # Once per runspace: Constrained Language mode is said in one line, not as a failed step.
                mode: list[str] = []
                self._invoke(cmdlets.LANGUAGE_MODE, mode.append)
                if "".join(mode).strip() != cmdlets.FULL_LANGUAGE:
                    self._language_problem = language_mode_problem(self.label, "".join(mode).strip())
            if self._language_problem:
                raise TransportError(self._language_problem)
            self._invoke(script, on_line, stop)
        except TransportError:
            raise
        except Exception as exc:  # pypsrp raises many kinds (network, auth, WSMan faults)
            # A runspace that failed (dropped, timed out) is opened afresh by the next script.
            self.close()
            self._finalizer = None
            self._pool = self._runspace_pool(self._connection)
            raise TransportError(f"{self.label}: {type(exc).__name__}: {exc}") from None

    def _invoke(self, script: str, on_line: Callable[[str], None], stop: threading.Event | None = None) -> None:
        """One pipeline, its output objects given as they arrive (each one line of text). A stop
        asked for stops the pipeline, as Ctrl-C would: its `finally` blocks still run."""
        pipeline = self._powershell(self._pool)
        pipeline.add_script(script)
        pipeline.begin_invoke()
        seen = 0
        try:
            while True:
                running = pipeline.state == _RUNNING
                if running and stop is not None and stop.is_set():
                    pipeline.stop()
                    raise TransportError(f"{self.label}: {cmdlets.STOPPED}")
                if running:
                    pipeline.poll_invoke()
                for item in pipeline.output[seen:]:
                    seen += 1
                    on_line(str(item))
                if not running:
                    break
            errors = [_error_text(record) for record in pipeline.streams.error]
            failed = bool(pipeline.had_errors)
        finally:
            _close_quietly(pipeline)
        if errors or failed:
            raise TransportError(f"{self.label}: {errors[-1] if errors else 'the script failed'}")

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


# pypsrp's PSInvocationState.RUNNING ([MS-PSRP] 2.2.3.5): the pipeline has not ended yet.
_RUNNING = 1


def _error_text(record: Any) -> str:
    """An error record in one line: its message, as PowerShell would print it."""
    text = str(record).strip() or str(getattr(record, "message", "") or "").strip()
    return " ".join(text.split()) or "an error record without a message"


def _close_quietly(resource: Any) -> None:
    # Closing is cleanup: the run's outcome is already known, and a dead connection must not hide it.
    with contextlib.suppress(Exception):
        resource.close()
