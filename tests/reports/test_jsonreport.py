from __future__ import annotations

import json
import pickle

from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import Problem
from reconciler.planning import plans
from reconciler.planning.plans import Plan
from reconciler.reports import jsonreport
from reconciler.running import results
from reconciler.running.results import ServerResult

PLAN = Plan("a", "sha256:1", "sha256:2", "2.2.8.0", (), (), warnings=("a warning",))
HELD = Plan("a", "sha256:1", "sha256:2", "2.2.8.0", (), (), warnings=(f"{plans.HELD} by the rollout",))
TEXT = st.text(st.characters(codec="utf-8"), max_size=30)


@given(
    server=TEXT,
    path=TEXT,
    plan=st.sampled_from([None, PLAN, HELD]),
    converged=st.sampled_from([None, True, False]),
    outcome=st.sampled_from([None, "skipped", "declined"]),
)
def test_an_entry_without_problems_is_what_the_encoder_writes(
    server: str, path: str, plan: Plan | None, converged: bool | None, outcome: str | None
) -> None:
    """The entry written by hand (most of a fleet) is the encoder's, character for character,
    whatever the names hold: quotes, backslashes, control characters, any Unicode."""
    result = ServerResult(server, path, plan=plan, converged=converged, outcome=outcome)
    text = "null" if plan is None else plan.compact_text
    written = jsonreport._entry(result)
    assert written == jsonreport._general_entry(result, text)
    assert json.loads(written)["server"] == server


def test_an_entry_with_problems_or_a_reason_says_them() -> None:
    failed = ServerResult("a", "a.yaml", problems=(Problem("a.yaml", 3, 1, "bad"), Problem("", None, None, "worse")))
    assert json.loads(jsonreport._entry(failed))["errors"] == ["a.yaml:3:1: bad", "worse"]
    skipped = ServerResult("a", "a.yaml", outcome="skipped", why="a: not this wave")
    assert json.loads(jsonreport._entry(skipped))["reason"] == "a: not this wave"


def test_a_status_worked_out_in_a_worker_travels_with_the_result() -> None:
    result = ServerResult("a", "a.yaml", plan=HELD)
    assert result.status == "held"
    copy = pickle.loads(pickle.dumps(result))
    assert copy.__dict__["status"] == "held"
    assert copy == result and copy.status == results._status(result)
