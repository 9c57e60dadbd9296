"""Mutation testing: seed one fault at a time in the modules where a bug hurts, and see the tests fail.

    python tests/mutate.py                                    # every module of model/, planning/, running/
    python tests/mutate.py --module reconciler/planning/actions.py --module journal
    python tests/mutate.py --list                             # the mutants only, nothing run

Everything runs on copies of the working tree under the temporary folder (one per job); the
checkout itself is never written. First the whole suite runs once on a copy with a line tracer,
to learn which tests reach which line of the mutated modules (and how long each takes); then
each mutant runs only the tests that reach the lines it changed, quickest first, stopping at the
first failure, within a timeout. The faults seeded (docs/testing.md#mutation-testing):

- a comparison flipped (`<` and `<=`, `>` and `>=`, `==` and `!=`, `is` and `is not`, `in` and
  `not in`);
- an integer constant changed by one either way, `True` and `False` swapped;
- a condition negated (`if`, `while`, conditional expression, comprehension filter), a `not`
  dropped, `and` and `or` swapped;
- a `raise` dropped (not an `AssertionError` or `NotImplementedError`, nor an `assert`: those mark
  the unreachable), an early `return` or a `continue` dropped.

Not mutated: docstrings and other strings, f-strings (wording), annotations, decorators (a
dataclass's `slots=True` is machinery) and the `TYPE_CHECKING` imports. A mutant that no test
reaches survives without being run.

The score is the mutants killed out of those that are not equivalent: `EQUIVALENT` below names
each mutant judged to change nothing a real run can observe, with why.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("reconciler/model", "reconciler/planning", "reconciler/running")
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".ci-venv", "__pycache__", ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".reconciler", "*.egg-info", "build", "dist",
)  # fmt: skip

# Mutants that change nothing a real run can observe, by key (as printed), each with why.
_LAST_ON = "the step turning the scheduler on is a plan's last: nothing fails after it but a restore of an on scheduler"
_NO_CAP = "a staging server's cap is compared only with another's, or with a real cap far below it"
EQUIVALENT: dict[str, str] = {
    "reconciler/model/inforce.py:<module>: 2 -> (3)": _NO_CAP,
    "reconciler/model/inforce.py:<module>: 31 -> (30)": _NO_CAP,
    "reconciler/model/inforce.py:<module>: 31 -> (32)": _NO_CAP,
    "reconciler/model/inforce.py:<module>: 1 -> (0)": _NO_CAP,
    "reconciler/model/inforce.py:<module>: 1 -> (2)": _NO_CAP,
    "reconciler/model/provisioning.py:_scope: 0 -> (-1)": "no group has fewer than 0 members: below 0 or -1 takes none",
    "reconciler/model/syncrules.py:_scan: 0 -> (-1)": "the cache never hits: each scan is made again, the same",
    "reconciler/model/syncrules.py:_scan: 0 -> (1)": "the cache never hits: each scan is made again, the same",
    "reconciler/model/syncrules.py:_scan: return held[1] -> pass": "the cache never hits: each scan is made again",
    "reconciler/model/syncrules.py:_scan: held[0] is rules -> (held[0] is not rules)": (
        "the cache never hits: a tuple it holds stays alive, so no other tuple has its id"
    ),
    "reconciler/model/syncrules.py:_scan: continue -> pass": "a rule of no kind adds itself to no list either way",
    "reconciler/model/syncrules.py:_scan: 16 -> (15)": "a cache one entry smaller",
    "reconciler/model/syncrules.py:_scan: 16 -> (17)": "a cache one entry larger",
    "reconciler/model/syncrules.py:standard_rule: 0 -> (-1)": "first or last of a list of one (more raise)",
    "reconciler/model/syncrules.py:rule_limit: 0 -> (-1)": "first or last of at most one flow to member",
    "reconciler/model/syncrules.py:rule_limit: 0 -> (-1) #2": "first or last of at most one flow to member",
    "reconciler/model/syncrules.py:rule_limit: 0 -> (-1) #3": "first or last of at most one flow to member",
    "reconciler/planning/actions.py:Action: False -> True": "no action is hashed: its params would not hash",
    "reconciler/planning/actions.py:risky_steps: continue -> pass": "the step is in the set already; adding it again",
    "reconciler/planning/actions.py:Kind._guarded: 1 -> (2)": "no kind has exactly two probes (one, or three)",
    "reconciler/planning/actions.py:_clone_matches: 0 -> (-1)": "first or last of exactly one clone",
    "reconciler/planning/actions.py:_clone_matches: 0 -> (-1) #2": "first or last of exactly one clone",
    "reconciler/planning/actions.py:_clone_matches: 0 -> (-1) #3": "first or last of exactly one clone",
    "reconciler/planning/actions.py:UpdateSyncRule.perform: 0 -> (-1)": "first or last of exactly one clone",
    "reconciler/planning/actions.py:_WriteManagedRule.powershell: 0 -> (-1)": (
        "the rule a plan writes has every memberCount value equal (syncrules.with_limit)"
    ),
    "reconciler/planning/actions.py:_WriteManagedRule.powershell: 0 -> (1)": (
        "every memberCount value equal, and each standard rule has two memberCount conditions"
    ),
    "reconciler/planning/actions.py:<module>: 0 -> (-1)": "create_clone's default: its one caller always says",
    "reconciler/planning/actions.py:<module>: 0 -> (1)": "create_clone's default: its one caller always says",
    "reconciler/planning/planner.py:_overriding_rules: "
    "rule.precedence < precedence -> (rule.precedence <= precedence)": (
        "no two rules share a precedence: the product refuses it (transitions._precedence_taken)"
    ),
    "reconciler/planning/planner.py:_Graph.write_clone: 0 -> (-1) #2": "first or last of exactly one clone",
    "reconciler/planning/planner.py:_Graph.write_clone: 0 -> (-1) #3": "a clone without a limit: 0 or -1, below any",
    "reconciler/planning/planner.py:_Graph.write_clone: 0 -> (1) #3": "a clone without a limit: 0 or 1, below any",
    "reconciler/planning/planner.py:_predicted: 0 -> (-1)": "first or last of one clone (more are written anew)",
    "reconciler/running/executor.py:Executor.__init__: 6 -> (5)": "a run id of other length, still unique",
    "reconciler/running/executor.py:Executor.__init__: 6 -> (7)": "a run id of other length, still unique",
    "reconciler/running/executor.py:Executor.__init__: False -> True": "run sets it before anything reads it",
    "reconciler/running/executor.py:Executor._observe_quietly: return None -> pass": "falling off the end returns None",
    "reconciler/running/executor.py:Executor.run: scheduler_was_enabled is None -> "
    "(scheduler_was_enabled is not None)": (
        "None reads as True, and a scheduler found off makes its off step skipped, so either way nothing is"
        " restored; they differ only if someone turns it on mid-run before that step"
    ),
    "reconciler/running/executor.py:Executor._run_steps: scheduler is False and scheduler_was is not False -> "
    "(scheduler is False or scheduler_was is not False)": _LAST_ON,
    "reconciler/running/executor.py:_Script._event: scheduler is False and self.scheduler_was is not False -> "
    "(scheduler is False or self.scheduler_was is not False)": _LAST_ON,
    "reconciler/running/journal.py:<module>: 0 -> (-1)": "the default where os has no O_NONBLOCK; this one has",
    "reconciler/running/journal.py:<module>: 0 -> (1)": "the default where os has no O_NONBLOCK; this one has",
    "reconciler/running/journal.py:Journal.__init__: 0 -> (-1)": "entries() sets it before it counts",
    "reconciler/running/journal.py:Journal.__init__: 0 -> (1)": "entries() sets it before it counts",
    "reconciler/running/journal.py:Journal.record: False -> True": "ASCII-escaped JSON reads back the same",
    "reconciler/running/journal.py:Journal.record: False -> True #2": "JSON keys in another order read back the same",
    "reconciler/running/journal.py:Journal.record: 1 -> (2)": "the last byte: there is none after it to read",
    "reconciler/running/journal.py:_scheduler_left: return None -> pass #3": "falling off the end returns None",
    "reconciler/model/syncrules.py:<module>: False -> True #2": "a rule of no kind is scanned, adding itself nowhere",
    "reconciler/model/syncrules.py:<module>: False -> True #3": "a rule of no kind is scanned, adding itself nowhere",
    'reconciler/model/syncrules.py:_kind: r.target_object_type == "group" and r.direction == "Outbound" -> '
    "(r.target_object_type == 'group' or r.direction == 'Outbound')": (
        "a shortcut: standard_family answers None for every rule that is not an outbound group rule"
    ),
}

# A pytest plugin written into each copy: deterministic hypothesis examples and no example
# database, so that a mutant's verdict depends neither on the order mutants run nor on luck.
PROFILE_PLUGIN = """\
import os, signal

import pytest
from hypothesis import settings

settings.register_profile("mutate", database=None, derandomize=True, deadline=None, print_blob=False)
settings.load_profile("mutate")
_LIMIT = float(os.environ.get("MUTATE_TEST_TIMEOUT", "0"))


class MutantTimeout(BaseException):
    pass


def _expired(signum, frame):
    raise MutantTimeout(f"a test ran longer than {_LIMIT:g} s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    # A mutant that loops fails the test it loops in, and -x ends the run there.
    if _LIMIT:
        signal.signal(signal.SIGALRM, _expired)
        signal.setitimer(signal.ITIMER_REAL, _LIMIT)
    try:
        yield
    finally:
        if _LIMIT:
            signal.setitimer(signal.ITIMER_REAL, 0)
"""

# A pytest plugin that records, for each test, the lines of the mutated modules it runs.
TRACE_PLUGIN = """\
import json, os, sys, threading, time

import pytest

_TARGETS = frozenset(json.loads(os.environ["MUTATE_TARGETS"]))
_tests = {}
_lines = set()


def _local(frame, event, arg):
    if event == "line":
        _lines.add((frame.f_code.co_filename, frame.f_lineno))
    return _local


def _global(frame, event, arg):
    if frame.f_code.co_filename in _TARGETS:
        _lines.add((frame.f_code.co_filename, frame.f_lineno))
        return _local
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _lines.clear()
    began = time.perf_counter()
    sys.settrace(_global)
    threading.settrace(_global)
    try:
        yield
    finally:
        sys.settrace(None)
        threading.settrace(None)
    entry = _tests.setdefault(item.nodeid, {"lines": [], "seconds": 0.0, "failed": False})
    entry["lines"] = sorted(_lines)
    entry["seconds"] = time.perf_counter() - began


def pytest_runtest_logreport(report):
    if report.failed:
        _tests.setdefault(report.nodeid, {"lines": [], "seconds": 0.0, "failed": True})["failed"] = True


def pytest_sessionfinish(session):
    with open(os.environ["MUTATE_TRACE_OUT"], "w", encoding="utf-8") as handle:
        json.dump(_tests, handle)
"""

_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
}  # fmt: skip
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_UNREACHABLE = ("AssertionError", "NotImplementedError")


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to the tree
    start: int  # byte offsets of the replaced text
    end: int
    replacement: str
    line: int
    end_line: int
    key: str  # stable across edits elsewhere: module, function, before and after
    at_import: bool  # outside any function: run when the module is imported, before any test


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # killed | timeout | survived | uncovered
    seconds: float = 0.0
    tests: int = 0


@dataclass
class _Finder(ast.NodeVisitor):
    path: str
    source: bytes
    found: list[tuple[int, int, str, int, int, str, bool]] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    functions: int = 0  # how deep in function bodies
    offsets: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        position = 0
        for line in self.source.splitlines(keepends=True):
            self.offsets.append(position)
            position += len(line)
        self.offsets.append(position)

    def _span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offsets[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = self.offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return start, end

    def _add(self, node: ast.AST, replacement: str) -> None:
        start, end = self._span(node)
        before = " ".join(self.source[start:end].decode("utf-8").split())
        after = " ".join(replacement.split())
        if before == after:
            return
        where = ".".join(self.scope) or "<module>"
        key = f"{self.path}:{where}: {before} -> {after}"
        line, end_line = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
        self.found.append((start, end, replacement, line, end_line, key, self.functions == 0))

    # --- what is never mutated ---------------------------------------------------------------

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # wording

    def visit_arg(self, node: ast.arg) -> None:
        return  # its annotation

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "TYPE_CHECKING" for t in node.targets):
            return
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        return  # what cannot happen, as a raised AssertionError

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring
        self.generic_visit(node)

    def _visit_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if not isinstance(node, ast.ClassDef):
            self.visit(node.args)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    self.visit(default)
        self.scope.append(node.name)
        inside = not isinstance(node, ast.ClassDef)
        self.functions += inside
        body = node.body
        for statement in body:
            if isinstance(statement, ast.Return) and statement is body[-1]:
                if statement.value is not None:
                    self.visit(statement.value)  # the last statement: not an early return
                continue
            self.visit(statement)
        self.functions -= inside
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def

    def visit_arguments(self, node: ast.arguments) -> None:
        return  # defaults are visited with the def, annotations never

    # --- the faults ---------------------------------------------------------------------------

    def _negate(self, test: ast.expr) -> None:
        # Where negating is dropping a `not` or flipping `==`, `is` or `in`, that mutant is made already.
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and not isinstance(test.ops[0], _ORDERING):
            return
        self._add(test, f"(not ({ast.unparse(test)}))")

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        self._negate(node.test)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        for condition in node.ifs:
            self._negate(condition)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, op in enumerate(node.ops):
            flipped = _FLIP.get(type(op))
            if flipped is not None:
                ops = [*node.ops[:index], flipped(), *node.ops[index + 1 :]]
                self._add(node, f"({ast.unparse(ast.Compare(node.left, ops, node.comparators))})")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self._add(node, f"({ast.unparse(ast.BoolOp(other, node.values))})")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._add(node, f"({ast.unparse(node.operand)})")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self._add(node, repr(not value))
        elif isinstance(value, int):
            self._add(node, f"({value + 1})")
            self._add(node, f"({value - 1})")

    def visit_Raise(self, node: ast.Raise) -> None:
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(raised, ast.Name) and raised.id in _UNREACHABLE:
            return
        self._add(node, "pass")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        self._add(node, "pass")  # every return reached here is an early one
        self.generic_visit(node)

    def visit_Continue(self, node: ast.Continue) -> None:
        self._add(node, "pass")


def mutants(root: Path, relative: str) -> list[Mutant]:
    source = (root / relative).read_bytes()
    finder = _Finder(relative, source)
    finder.visit(ast.parse(source))
    found, seen = [], dict[str, int]()
    for start, end, replacement, line, end_line, key, at_import in sorted(finder.found):
        seen[key] = seen.get(key, 0) + 1
        unique = key if seen[key] == 1 else f"{key} #{seen[key]}"
        found.append(Mutant(relative, start, end, replacement, line, end_line, unique, at_import))
    return found


def _apply(tree: Path, mutant: Mutant, original: bytes) -> None:
    changed = original[: mutant.start] + mutant.replacement.encode("utf-8") + original[mutant.end :]
    compile(changed, mutant.path, "exec")  # a seeded fault must still be Python
    (tree / mutant.path).write_bytes(changed)


def _copy(destination: Path) -> Path:
    shutil.copytree(ROOT, destination, ignore=IGNORED, symlinks=True)
    (destination / "_mutate_profile.py").write_text(PROFILE_PLUGIN, encoding="utf-8")
    (destination / "_mutate_trace.py").write_text(TRACE_PLUGIN, encoding="utf-8")
    return destination


def _environment(tree: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # PYTHONPATH: the tool a test starts as a process of its own imports the copy, not the checkout.
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONPATH=str(tree), **extra)
    return env


PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "_mutate_profile", "-o", "addopts="]


def trace(tree: Path, modules: list[str], tests: list[str]) -> dict[str, dict[str, object]]:
    """Run the whole suite once on the copy: which tests reach which lines, and how long they take."""
    out = tree / "_mutate_trace.json"
    targets = json.dumps([str(tree / m) for m in modules])
    env = _environment(tree, MUTATE_TARGETS=targets, MUTATE_TRACE_OUT=str(out))
    subprocess.run(
        [*PYTEST, "--continue-on-collection-errors", "-p", "_mutate_trace", *tests],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    result: dict[str, dict[str, object]] = json.loads(out.read_text(encoding="utf-8"))
    return result


def _run(tree: Path, tests: list[str], timeout: float, test_timeout: float) -> str:
    env = _environment(tree, MUTATE_TEST_TIMEOUT=f"{test_timeout:.1f}")
    with subprocess.Popen(
        [*PYTEST, "-x", *tests],
        cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    ) as process:  # fmt: skip
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return "timeout"
    return "survived" if code == 0 else "killed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", default=[], help="a module's path or name (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--keep", action="store_true", help="leave the copies under the temporary folder")
    parser.add_argument(
        "--tests",
        action="append",
        default=[],
        help="trace only these tests (repeatable; default: tests)",
    )
    parser.add_argument("--keys", type=Path, help="a file of mutant keys, one a line (survivors to try again)")
    args = parser.parse_args(argv)

    modules = sorted(
        str(p.relative_to(ROOT)) for folder in FOLDERS for p in (ROOT / folder).glob("*.py") if p.name != "__init__.py"
    )
    if args.module:
        wanted = [m.removesuffix(".py") for m in args.module]
        modules = [m for m in modules if any(m.removesuffix(".py").endswith(w) for w in wanted)]
        if not modules:
            print(f"mutate: no module of {', '.join(FOLDERS)} matches {', '.join(args.module)}", file=sys.stderr)
            return 1
    if args.list:
        every = [m for module in modules for m in mutants(ROOT, module)]
        for m in every:
            print(f"{m.line}: {m.key}")
        print(f"{len(every)} mutants in {len(modules)} modules")
        return 0

    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="mutate-"))
    try:
        keys = None if args.keys is None else set(args.keys.read_text(encoding="utf-8").splitlines())
        outcomes = _judge_all(work, modules, args.jobs, began, keys, args.tests or ["tests"])
    finally:
        if args.keep:
            print(f"copies kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return _report(outcomes, modules, time.monotonic() - began)


def _reach(
    first: Path, modules: list[str], tests: list[str]
) -> tuple[dict[tuple[str, int], set[str]], dict[str, float]]:
    """For each (module, line), the tests that run it; and how long each test takes."""
    traced = trace(first, modules, tests)
    failing = sorted(t for t, e in traced.items() if e["failed"])
    if failing:
        print(f"{len(failing)} tests fail on the unmutated tree and are left out: {', '.join(failing)}")
    reach: dict[tuple[str, int], set[str]] = {}
    for test, entry in traced.items():
        if entry["failed"]:
            continue
        for filename, line in entry["lines"]:  # type: ignore[attr-defined]
            reach.setdefault((str(Path(filename).relative_to(first)), line), set()).add(test)
    # What runs at import is reached by no test: a mutant there is judged by every test of its module.
    for (module, _line), reaching in list(reach.items()):
        reach.setdefault((module, 0), set()).update(reaching)
    return reach, {t: float(e["seconds"]) for t, e in traced.items()}  # type: ignore[arg-type]


def _judge_all(
    work: Path, modules: list[str], jobs: int, began: float, keys: set[str] | None, tests: list[str]
) -> list[Outcome]:
    # The copy is what is mutated and tested: the checkout may change under a long run.
    first = _copy(work / "tree0")
    every = [m for module in modules for m in mutants(first, module) if keys is None or m.key in keys]
    print(f"tracing the suite over {len(modules)} modules on {first} ...", flush=True)
    reach, seconds = _reach(first, modules, tests)
    print(f"traced in {time.monotonic() - began:.0f} s; {len(every)} mutants, {jobs} jobs", flush=True)
    trees: queue.Queue[Path] = queue.Queue()
    trees.put(first)
    for index in range(1, jobs):
        trees.put(_copy(work / f"tree{index}"))
    originals = {module: (first / module).read_bytes() for module in modules}

    def judge(mutant: Mutant) -> Outcome:
        chosen = {t for line in range(mutant.line, mutant.end_line + 1) for t in reach.get((mutant.path, line), ())}
        if not chosen and mutant.at_import:
            chosen = reach.get((mutant.path, 0), set())
        tests = sorted(chosen, key=lambda t: (seconds[t], t))
        if not tests:
            return Outcome(mutant, "uncovered")
        tree = trees.get()
        try:
            _apply(tree, mutant, originals[mutant.path])
            started = time.monotonic()
            # Traced runs are slower than plain ones: their times make generous bounds.
            bound = 2 * sum(seconds[t] for t in tests)
            verdict = _run(tree, tests, timeout=20 + bound, test_timeout=10 + 3 * max(seconds[t] for t in tests))
            return Outcome(mutant, verdict, time.monotonic() - started, len(tests))
        finally:
            (tree / mutant.path).write_bytes(originals[mutant.path])
            trees.put(tree)

    outcomes: list[Outcome] = []
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for count, outcome in enumerate(pool.map(judge, every), 1):
            outcomes.append(outcome)
            if outcome.verdict in ("survived", "uncovered") and outcome.mutant.key not in EQUIVALENT:
                print(f"  {outcome.verdict}: line {outcome.mutant.line}: {outcome.mutant.key}", flush=True)
            if count % 50 == 0:
                print(f"[{count}/{len(every)}] {time.monotonic() - began:.0f} s", flush=True)
    return outcomes


def _report(outcomes: list[Outcome], modules: list[str], seconds: float) -> int:
    print()
    print(f"{'module':<40} {'mutants':>7} {'equiv':>5} {'killed':>6} {'lived':>5} {'score':>6}")
    totals = [0, 0, 0, 0]
    for module in modules:
        mine = [o for o in outcomes if o.mutant.path == module]
        equivalent = sum(o.mutant.key in EQUIVALENT for o in mine)
        killed = sum(o.verdict in ("killed", "timeout") for o in mine if o.mutant.key not in EQUIVALENT)
        lived = len(mine) - equivalent - killed
        for i, n in enumerate((len(mine), equivalent, killed, lived)):
            totals[i] += n
        score = f"{100 * killed / (killed + lived):.1f}%" if killed + lived else "-"
        print(f"{module:<40} {len(mine):>7} {equivalent:>5} {killed:>6} {lived:>5} {score:>6}")
    total, equivalent, killed, lived = totals
    overall = 100 * killed / (killed + lived) if killed + lived else 100.0
    print(f"{'all':<40} {total:>7} {equivalent:>5} {killed:>6} {lived:>5} {overall:>5.1f}%")
    timeouts = sum(o.verdict == "timeout" for o in outcomes)
    print(f"{timeouts} killed by the timeout; {seconds:.0f} s in all")
    survivors = [o for o in outcomes if o.verdict in ("survived", "uncovered") and o.mutant.key not in EQUIVALENT]
    if survivors:
        print("\nsurvivors:")
        for o in survivors:
            note = " (no test reaches it)" if o.verdict == "uncovered" else ""
            print(f"  line {o.mutant.line}: {o.mutant.key}{note}")
    stale = sorted(set(EQUIVALENT) - {o.mutant.key for o in outcomes})
    if stale and len(modules) > 1:
        print("\nequivalent mutants no longer found (edit EQUIVALENT):")
        for key in stale:
            print(f"  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
