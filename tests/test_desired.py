"""Any valid desired state survives load → dump → load unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.formats import schemas, yamlsource
from reconciler.model import desired, facts, statefiles, validation
from reconciler.model.desired import DesiredState
from tests.support import STATES

NAMES = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,20}\Z")
# Rule and connector names are free text: quotes, dashes, Unicode, YAML-significant characters.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and not facts.is_group_join_name(s)
)


@st.composite
def desired_states(draw: st.DrawFn) -> DesiredState:
    cloud = draw(st.sampled_from(facts.CLOUDS))
    top = 1 if cloud in facts.CLOUDS_WITHOUT_V2 else 2
    export = draw(st.integers(1, top))
    import_ = draw(st.integers(1, top))
    v2 = export == 2 and import_ == 2
    limit = draw(st.integers(1, facts.V2_MEMBER_LIMIT if v2 else facts.V1_MEMBER_LIMIT))
    standard = limit in (facts.V1_MEMBER_LIMIT, facts.V2_MEMBER_LIMIT)
    precedence = draw(st.none() | st.integers(1, 99)) if standard else draw(st.integers(1, 99))
    return DesiredState(
        name=draw(NAMES),
        cloud=cloud,
        export_api_version=export,
        import_api_version=import_,
        group_member_limit=limit,
        rule_precedence=precedence,
        sync_cycle_enabled=draw(st.booleans()),
        rule_name=draw(st.just(facts.DEFAULT_MANAGED_RULE_NAME) | TEXT),
        connector_name=draw(st.none() | TEXT),
        max_limit_increase=draw(st.none() | st.integers(1, 250000)),
        allow_group_deletion=draw(st.booleans()),
    )


@given(desired_states())
def test_round_trip_through_yaml(state: DesiredState) -> None:
    text = yamlsource.dump(desired.to_document(state))
    doc = yamlsource.parse(text, "gen.yaml")
    assert schemas.check(doc, schemas.DESIRED_STATE) == []
    assert validation.check(doc) == []
    assert desired.from_document(doc.data) == state
    assert yamlsource.dump(desired.to_document(desired.from_document(doc.data))) == text


def test_defaults_of_the_optional_keys() -> None:
    loaded = {f.state.name: f.state for f in statefiles.load_all([str(STATES)])}
    fabrikam = loaded["fabrikam-aadc01"]
    assert fabrikam.rule_name == "Out to AAD - Group Join (member limit)"
    assert fabrikam.connector_name is None and fabrikam.max_limit_increase is None
    assert fabrikam.allow_group_deletion is False and fabrikam.rule_precedence is None
    assert fabrikam.group_member_limit == 250000  # a current build's standard rule's: no clone
    assert loaded["contoso-aadc01"].max_limit_increase == 25000
