"""One server's run: observe, plan, and (for apply) carry the plan out under the server's lock.

The commands call these per state file and report; the stages themselves live in `planner`
(what to do) and `executor` (doing it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import cmdlets
from reconciler.errors import Problem, UserError
from reconciler.model import desired, identity, observed
from reconciler.model.statefiles import StateFile
from reconciler.options import DEFAULT_WAIT_TIMEOUT
from reconciler.planning import planner, plans
from reconciler.planning.plans import Plan
from reconciler.running.journal import History, Journal
from reconciler.running.progress import Listener
from reconciler.running.results import ServerResult

if TYPE_CHECKING:
    from reconciler.running import executor
    from reconciler.servers.protocol import Target

STATE_DIR = Path(".reconciler")


@dataclass(frozen=True, slots=True)
class RunOptions:
    target: Target
    allow_group_deletion: bool = False
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    poll_interval: float = 2.0
    state_dir: Path = STATE_DIR
    confirm_prune: bool = False  # --confirm-prune: unmanaged rules go where the state says safety.prune: confirm
    override_window: bool = False  # apply --override-window: act outside the server's sync windows
    window_override: str | None = None  # this server's run acts outside its windows, and why (journalled)


class Applied:
    """What an apply did: its plan, what it noted and each step's result (filled in as it runs)."""

    def __init__(
        self,
        plan: Plan,
        notes: list[str] | None = None,
        steps: list[executor.StepResult] | None = None,
        confirmed: bool = True,
        final: observed.ObservedState | None = None,
    ) -> None:
        self.plan = plan
        self.notes = [] if notes is None else notes
        self.steps = [] if steps is None else steps
        self.confirmed = confirmed
        self.final = final  # the server as the run left it, when the run observed it


def desired_digest(state_file: StateFile) -> str:
    return plans.digest_of(desired.to_document(state_file.state))


class Skipped(Exception):
    """A state that does not describe the machine a single live target is: not this run's to apply."""


def journal_for(name: str, options: RunOptions, host: str | None) -> Journal:
    """The history of this server on this target, as seen on the machine observed there."""
    return Journal(name, options.state_dir / "journal", options.target.key(name), host)


def _make_plan(state_file: StateFile, current: observed.ObservedState, options: RunOptions, history: History) -> Plan:
    planner_options = planner.Options(
        allow_group_deletion=options.allow_group_deletion,
        proven_limit=history.proven_limit,
        last_raise_at=history.last_raise_at,
        last_raise_cycle=history.last_raise_cycle,
        confirm_prune=options.confirm_prune,
    )
    name = state_file.state.name
    made = planner.make_plan(state_file.state, current, desired_digest(state_file), planner_options)
    target = options.target
    return dataclasses.replace(made, target=target.label(name), host=current.server.host, simulated=target.simulated)


# The settings a raise of the limit changes, and nothing else does.
_LIMIT_PATHS = frozenset(
    {"groupMemberLimit", "managedRule.limit", "managedRule.scopeLimit", "writeupManagedRule.limit",
     "writeupManagedRule.scopeLimit"}
)  # fmt: skip


def _upgrade_note(plan: Plan, state_file: StateFile, history: History, version: str) -> str:
    """What the first run to act after an in-place upgrade does: put right what the upgrade reset, or,
    where the upgrade left the limit where the last apply did and the plan only raises it, that raise."""
    upgrade = f"upgrade {history.last_applied_version} → {version}"
    limit = next((c for c in plan.changes if c.path == "groupMemberLimit"), None)
    proven = history.proven_limit
    if (
        limit is not None
        and all(c.path in _LIMIT_PATHS for c in plan.changes)
        and isinstance(limit.observed, int)
        and proven is not None
        and limit.observed >= proven
    ):
        step = " (the rollout's next step)" if plan.stepping or state_file.state.max_limit_increase else ""
        return (
            f"{upgrade} since the last apply left the limit in force at {limit.observed}; "
            f"this run raises it {limit.observed} → {limit.desired}{step}"
        )
    return f"drift after {upgrade}: re-applying"


def check_machine(state_file: StateFile, options: RunOptions, current: observed.ObservedState) -> None:
    """On a target that is one machine whatever the state file (powershell, one winrm://HOST), only
    a state that describes that machine (its host, else its name) applies; the others are skipped."""
    target = options.target
    if not target.one_machine:
        return  # the planner checks metadata.host against the server each state file opened
    name, host = state_file.state.name, current.server.host
    if host is None:
        raise UserError(f"{name}: {target.label(name)} did not report its host, so nothing is done on it")
    if not identity.describes(state_file.state.host, name, host):
        where = "this computer" if target.label(name) == "powershell" else target.label(name)
        raise Skipped(f"{where} is {host}")


def observe_one(state_file: StateFile, options: RunOptions) -> observed.ObservedState:
    current = options.target.open(state_file.state).observe()
    check_machine(state_file, options, current)
    return current


def plan_one(state_file: StateFile, options: RunOptions) -> Plan:
    server = options.target.open(state_file.state)
    current = server.observe()
    check_machine(state_file, options, current)
    history = journal_for(state_file.state.name, options, current.server.host).history()
    return _make_plan(state_file, current, options, history)


def plan_after(state_file: StateFile, options: RunOptions, final: observed.ObservedState | None) -> Plan:
    """The plan again after a run, from the state the run left where it observed it (no new
    session with a live server), else from the server afresh."""
    if final is None:
        return plan_one(state_file, options)
    history = journal_for(state_file.state.name, options, final.server.host).history()
    return _make_plan(state_file, final, options, history)


def plan_result(state_file: StateFile, options: RunOptions) -> ServerResult:
    """A server's plan, or the problems that stopped it: one server's failure is its own."""
    try:
        return ServerResult(state_file.state.name, state_file.path, plan=plan_one(state_file, options))
    except Skipped as exc:
        return ServerResult(state_file.state.name, state_file.path, outcome="skipped", why=str(exc), elsewhere=True)
    except UserError as exc:
        return ServerResult(state_file.state.name, state_file.path, problems=exc.problems)
    except Exception as exc:  # a bug of ours on one server: that server's failure, not the fleet's
        return ServerResult(state_file.state.name, state_file.path, problems=(internal_error(exc),))


def internal_error(exc: Exception) -> Problem:
    """One server's unexpected error as its problem, the traceback in a crash file."""
    from reconciler.running import crash  # only when something went wrong: its imports cost every run

    said = crash.fault(exc)  # a full disk, a folder where a file belongs: the operator's, in one line
    return Problem("", None, None, said or crash.one_line(exc, crash.write_quietly(exc, ["(one server of a run)"])))


@contextlib.contextmanager
def server_lock(name: str, options: RunOptions) -> Iterator[None]:
    """One apply per server and target at a time; a second one waits up to the wait timeout, then
    gives up. A rehearsal on a twin never waits for the real server's apply."""
    from reconciler.formats.locking import FileLock, LockTimeout  # apply's only: a plan never locks

    folder = options.state_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(folder / f"{name}.{_digest(options.target.key(name))}.lock", timeout=options.wait_timeout):
            yield
    except LockTimeout:
        raise UserError(
            f"{name}: another apply held the server for more than {options.wait_timeout:g} s; nothing was changed"
        ) from None


def _check_saved(saved: Plan, state_file: StateFile) -> None:
    name = state_file.state.name
    if saved.server != name:
        raise UserError(f"{name}: the saved plan is for server '{saved.server}'")
    if saved.desired_digest != desired_digest(state_file):
        raise UserError(f"{name}: the saved plan was made from a different desired state; plan again")


def _already_applied(saved: Plan, state_file: StateFile, current_digest: str, fresh: Plan) -> str | None:
    """A note when the server moved on from the saved plan because that plan ran already (planning
    again finds nothing to do); UserError when it changed otherwise."""
    if saved.observed_digest == current_digest:
        return None
    name = state_file.state.name
    if not fresh.actions:
        return "the saved plan was already applied: planning again finds nothing to do (nothing was changed)"
    raise UserError(f"{name}: the server changed since the saved plan was made; plan again (nothing was changed)")


def apply_one(
    state_file: StateFile,
    options: RunOptions,
    confirm: Callable[[Plan], bool],
    saved: Plan | None = None,
    listener: Listener | None = None,
) -> Applied:
    """Plan (or take the saved plan) and carry it out, holding the server's lock throughout."""
    listener = listener or Listener()
    name = state_file.state.name
    if not options.target.writable:
        raise UserError(
            f"{name}: {options.target.label(name)} is read-only: plan with --output powershell and run the "
            "script on the server, or apply through the powershell or winrm:// target"
        )
    server = options.target.open(state_file.state)
    with server_lock(name, options):
        current = server.observe()
        check_machine(state_file, options, current)
        journal = journal_for(name, options, current.server.host)
        history = journal.history()
        notes = []
        if journal.damaged:
            notes.append(f"journal {journal.path}: {journal.damaged} damaged line(s) skipped (a run cut short)")
        if history.died_with_scheduler_disabled:
            notes.append(
                f"run {history.died_with_scheduler_disabled} stopped with the scheduler disabled; this run restores it"
            )
        if saved is not None:
            _check_saved(saved, state_file)
            # What was reviewed is exactly what runs: the plan made afresh from the same state file
            # and the same server must be the saved one, action for action (an edited plan is
            # refused, and the deletion guard is checked again on the way).
            fresh = _make_plan(state_file, current, options, history)
            applied_before = _already_applied(saved, state_file, observed.digest(current), fresh)
            if applied_before is not None:
                listener.planned(fresh, [*notes, applied_before])
                return Applied(fresh, [*notes, applied_before])
            difference = plans.first_difference(plans.to_json(saved), plans.to_json(fresh))
            if difference is not None:
                raise UserError(
                    f"{name}: the saved plan is not the plan for this state and server ({difference}); "
                    "plan again and review it (nothing was changed)"
                )
            the_plan = fresh
        else:
            the_plan = _make_plan(state_file, current, options, history)
        upgraded = history.last_applied_version and history.last_applied_version != current.server.version
        if upgraded and the_plan.actions:  # said once, by the next run that acts
            notes.append(_upgrade_note(the_plan, state_file, history, current.server.version))
        listener.planned(the_plan, notes)
        if not the_plan.actions:
            return Applied(the_plan, notes)
        if not confirm(the_plan):
            return Applied(the_plan, notes, confirmed=False)
        # Imported here: `plan`, the command CI runs on every pull request, never needs it.
        from reconciler.running.executor import Executor, Settings

        settings = Settings(wait_timeout=options.wait_timeout, poll_interval=options.poll_interval, listener=listener)
        runner = Executor(server, journal, settings)
        _record_context(journal, runner.run_id, state_file, options)
        was_enabled = True if history.died_with_scheduler_disabled else None
        try:
            # The state just observed under the lock: a live server's whole plan then runs in one more session.
            steps = runner.run(the_plan, scheduler_was_enabled=was_enabled, observed=current)
        except (UserError, OSError, KeyboardInterrupt) as exc:
            if not runner.restore_error:
                raise
            # Every way a run can stop with the scheduler off says so, and how to turn it back on.
            off = f"{name}: {runner.restore_error}; {RESTORE_HINT.format(state=state_file.path)}"
            if isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt(off) from None
            first = exc.problems if isinstance(exc, UserError) else (Problem("", None, None, _os_error(exc)),)
            raise UserError([*first, Problem("", None, None, off)]) from None
        return Applied(the_plan, notes, steps, final=runner.final)


def _record_context(journal: Journal, run_id: str, state_file: StateFile, options: RunOptions) -> None:
    """What the journal keeps of a run beyond its actions: an override of the server's sync windows,
    and the git revision of the state file it applies."""
    if options.window_override is not None:
        journal.record("window-override", run_id, reason=options.window_override)
    from reconciler.running import revision  # an apply's only

    applied = revision.of(state_file.path)
    if applied is not None:
        journal.record(revision.EVENT, run_id, **revision.fields(applied))


# What an operator runs when a run stopped with the scheduler off: said by the runner and by apply.
RESTORE_HINT = (
    "`reconciler reconcile {state}` finishes the change and turns it on "
    f"(or, on the server: {cmdlets.set_scheduler(True)})"
)


def _digest(key: str) -> str:
    """A short, file-name-safe stand-in for a target's key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def apply_result(
    state_file: StateFile,
    options: RunOptions,
    confirm: Callable[[Plan], bool],
    saved: Plan | None = None,
    listener: Listener | None = None,
) -> ServerResult:
    """apply_one for one server of many: its failure is its result; whether it converged is checked.

    A Ctrl-C (or a stop request from the main thread) ends this server's run as `interrupted` and
    asks the rest of the run to stop too."""
    listener = listener or Listener()
    name = state_file.state.name
    if listener.stop.is_set():
        return ServerResult(name, state_file.path, outcome="interrupted", why="not started: the run was stopped")
    try:
        applied = apply_one(state_file, options, confirm, saved, listener)
    except Skipped as exc:
        return ServerResult(name, state_file.path, outcome="skipped", why=str(exc), elsewhere=True)
    except UserError as exc:
        return ServerResult(name, state_file.path, problems=exc.problems)
    except KeyboardInterrupt as exc:
        listener.stop.set()
        why = str(exc.args[0]) if exc.args else f"{name}: stopped before its next action"
        return ServerResult(name, state_file.path, outcome="interrupted", why=why)
    except Exception as exc:  # a bug of ours on one server: the other servers still run
        return ServerResult(name, state_file.path, problems=(internal_error(exc),))
    if not applied.confirmed:
        return ServerResult(name, state_file.path, plan=applied.plan, outcome="declined", why="the apply was declined")
    done = sum(1 for step in applied.steps if step.result == "done" and step.action.definition.changes_server)
    converged = not applied.plan.actions
    if applied.plan.actions:
        try:
            converged = not plan_after(state_file, options, applied.final).actions
        except UserError:
            converged = False
    satisfied = sum(1 for step in applied.steps if step.result == "skipped")
    return ServerResult(
        name, state_file.path, plan=applied.plan, converged=converged, applied=done, satisfied=satisfied
    )
