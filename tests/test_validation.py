from __future__ import annotations

import pytest

from reconciler.formats import yamlsource
from reconciler.model import validation

BASE = {"cloud": "AzureCommercial", "export": 2, "import": 2, "limit": 100000, "precedence": "\n  rulePrecedence: 90"}


def doc(**overrides: object) -> yamlsource.Document:
    v = {**BASE, **overrides}
    text = (
        "apiVersion: reconciler/v1\nkind: SyncServer\nmetadata: {name: s}\nspec:\n"
        f"  cloud: {v['cloud']}\n  apiVersions: {{export: {v['export']}, import: {v['import']}}}\n"
        f"  groupMemberLimit: {v['limit']}{v['precedence']}\n  scheduler: {{syncCycleEnabled: true}}\n"
    )
    return yamlsource.parse(text, "s.yaml")


def messages(d: yamlsource.Document) -> list[str]:
    return [p.message for p in validation.check(d)]


def test_valid_document_has_no_problems() -> None:
    assert messages(doc()) == []


@pytest.mark.parametrize(("export", "import_"), [(1, 2), (2, 1), (1, 1)])
def test_limit_above_50000_needs_v2_both_ways(export: int, import_: int) -> None:
    assert messages(doc(export=export, **{"import": import_})) == [
        "spec.groupMemberLimit: 100000 is above 50000, which needs apiVersions.export and "
        "apiVersions.import both at 2 (V1 syncs at most 50000 members)"
    ]


def test_limit_of_exactly_50000_is_fine_on_v1() -> None:
    assert messages(doc(export=1, limit=50000, precedence="", **{"import": 1})) == []


def test_v2_in_germany_is_reported_per_direction() -> None:
    problems = validation.check(doc(cloud="AzureGermany", limit=40000, **{"import": 1}))
    assert [(p.line, p.column, p.message) for p in problems] == [
        (6, 25, "spec.apiVersions.export: the V2 endpoint is not available in the AzureGermany cloud")
    ]


@pytest.mark.parametrize("limit", [50000, 250000])
def test_no_precedence_needed_at_a_standard_limit(limit: int) -> None:
    assert messages(doc(limit=limit, precedence="")) == []


@pytest.mark.parametrize("limit", [1, 15000, 49999, 50001, 249999])
def test_precedence_needed_elsewhere(limit: int) -> None:
    assert [m.split(",")[0] for m in messages(doc(limit=limit, precedence=""))] == ["spec.rulePrecedence: required"]


def test_rules_stay_silent_about_mistyped_inputs() -> None:
    assert messages(doc(limit="'lots'", export="two")) == []
