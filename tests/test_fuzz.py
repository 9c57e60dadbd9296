"""Every reader of untrusted input gives a result or a UserError — never another exception —
whatever it is fed (hypothesis). Inputs mix random text with mutations of real documents, so the
fuzzing reaches past the first syntax check."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.commands import report
from reconciler.errors import UserError
from reconciler.formats import jsontext
from reconciler.model import statefiles
from reconciler.planning import plans
from reconciler.running.journal import Journal
from reconciler.servers import serverconfig
from tests.scenario import make_plan, server, state
from tests.support import CASES, SIM_EXPORT

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATE = (CASES / "valid" / "all-options.yaml").read_text(encoding="utf-8")
PLAN = json.dumps(plans.to_json(make_plan(server("1.6.2.4"), state())))
RULE = (
    SIM_EXPORT / "SynchronizationRules" / "SynchronizationRule_{039dcc3a-1513-4c08-b296-0973691e644a}.xml"
).read_text(encoding="utf-8")


@st.composite
def mutated(draw: st.DrawFn, base: str) -> str:
    """A real document with a few characters replaced, inserted or cut."""
    text = base
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.text(max_size=8) | st.sampled_from(["\x00", "\udc00", "9" * 60, "[" * 80, "²", "'", '"', ":"]))
        text = text[:at] + piece + text[at + draw(st.integers(0, 3)) :]
    return text


def _refused_or_read(read: object) -> None:
    with contextlib.suppress(UserError):
        read()  # type: ignore[operator]


@FAST
@given(st.text(max_size=400) | mutated(STATE))
def test_state_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        loaded, problems = statefiles.load_one(str(path))  # every problem is collected, none raised
        assert (loaded is None) == bool(problems)


@FAST
@given(st.text(max_size=400) | mutated(PLAN))
def test_saved_plans_and_reports(text: str) -> None:
    _refused_or_read(lambda: plans.from_json(jsontext.loads(text, "plan.json"), "plan.json"))

    def merged() -> None:
        with contextlib.suppress(KeyError, TypeError):  # report turns these into its own one-line problems
            report._outcomes(jsontext.loads(text, "plan.json"), "plan.json")

    _refused_or_read(merged)


@FAST
@given(st.binary(max_size=400) | mutated(PLAN).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_journals(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal("srv1", Path(folder))
        journal.path.write_bytes(data)
        journal.history()  # a journal never fails a run: damaged lines are skipped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(RULE))
def test_export_folders(rule: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export"
        shutil.copytree(SIM_EXPORT, export)
        target = export / "SynchronizationRules" / "SynchronizationRule_{039dcc3a-1513-4c08-b296-0973691e644a}.xml"
        target.write_bytes(rule.encode("utf-8", "surrogatepass"))
        _refused_or_read(lambda: serverconfig.read(export, "contoso-sync01"))
