from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import expressions
from reconciler.model.expressions import ExpressionError

REAL_EXPORT = 'IIF(([memberCount]> 50000),Error("Maximum Group member count exceeded"),IgnoreThisFlow)'
MICROSOFT_EXAMPLE = 'IIF((ValueCount("member")> 75000),Error("Maximum Group member count exceeded"),IgnoreThisFlow)'


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        (REAL_EXPORT, 50000),
        (MICROSOFT_EXAMPLE, 75000),
        ('IIF( ( [memberCount] >100000 ) , Error( "x" ) , IgnoreThisFlow )', 100000),
        ('IIF([memberCount]>250000,Error("x"),IgnoreThisFlow)', 250000),
        ('IIF(\n  ([memberCount] > 60000),\n  Error("too big"),\n  IgnoreThisFlow\n)', 60000),
        ('IIF(([memberCount]>= 60001),Error("x"),IgnoreThisFlow)', 60000),
        ('IIF((60000 < [memberCount]),Error("x"),IgnoreThisFlow)', 60000),
        ('IIF(((ValueCount( "member" ))> 75000),Error("say \\"no\\""),IgnoreThisFlow)', 75000),
    ],
)
def test_member_limit_of_the_forms_the_product_accepts(text: str, limit: int) -> None:
    assert expressions.member_limit(text) == limit


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('iif(([memberCount]> 50000),Error("x"),IgnoreThisFlow)', "expected IIF"),  # case-sensitive
        ('IIF(([membercount]> 50000),Error("x"),IgnoreThisFlow)', "not of the form"),
        ('IIF(([memberCount]> 50000),Error("x"),ignoreThisFlow)', "third argument"),
        ('IIF(([memberCount]> 50000),"x",IgnoreThisFlow)', "second argument"),
        ('IIF(([memberCount]> 5e4),Error("x"),IgnoreThisFlow)', "not a decimal number"),
        ('IIF(([memberCount]> 50000),Error("x),IgnoreThisFlow)', "unterminated string"),
        ('IIF(([memberCount]> 50000),Error("x"),IgnoreThisFlow', "got the end"),
        ('IIF(([memberCount]> 50000),Error("x"),IgnoreThisFlow))', "unexpected ')'"),
        ('IIF(([memberCount] ~ 50000),Error("x"),IgnoreThisFlow)', "unexpected character '~'"),
        ('IIF(([memberCount]> [limit]),Error("x"),IgnoreThisFlow)', "not of the form"),
        ('IIF(([memberCount]> 50000 + 1),Error("x"),IgnoreThisFlow)', "not of the form"),
        ("[member]", "expected IIF"),
        ("", "ends where a value was expected"),
        ('IIF(([memberCount]> -5),Error("x"),IgnoreThisFlow)', "negative"),
    ],
)
def test_what_cannot_be_understood_is_an_error_not_a_guess(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        expressions.member_limit(text)


def test_changing_the_limit_touches_only_the_number() -> None:
    assert expressions.with_member_limit(REAL_EXPORT, 100000) == REAL_EXPORT.replace("50000", "100000")
    assert expressions.with_member_limit(MICROSOFT_EXAMPLE, 250000) == MICROSOFT_EXAMPLE.replace("75000", "250000")
    assert expressions.with_member_limit('IIF(([memberCount]>= 60001),Error("x"),IgnoreThisFlow)', 70000) == (
        'IIF(([memberCount]>= 70001),Error("x"),IgnoreThisFlow)'
    )


def test_standard_expression_is_the_real_one() -> None:
    assert expressions.standard_member_expression(50000) == REAL_EXPORT


SPACES = st.sampled_from(["", " ", "  ", "\t", "\n", " \r\n "])


@given(st.integers(0, 10_000_000), st.integers(0, 10_000_000), SPACES, SPACES, SPACES, st.booleans())
def test_limit_round_trips_through_any_spacing(old: int, new: int, a: str, b: str, c: str, value_count: bool) -> None:
    count = 'ValueCount("member")' if value_count else "[memberCount]"
    text = f'IIF({a}({count}{b}>{c}{old}){a},{b}Error("x"),{c}IgnoreThisFlow)'
    assert expressions.member_limit(text) == old
    changed = expressions.with_member_limit(text, new)
    assert expressions.member_limit(changed) == new
    assert changed.replace(str(new), "#", 1) == text.replace(str(old), "#", 1)


def test_operators_group_left_to_right_only_by_parentheses() -> None:
    tree = expressions.parse('"a" & [b] & "c"')
    assert tree.kind == "binop" and tree.children[0].kind == "binop"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(" * 3000 + "1" + ")" * 3000, "nested too deeply"),
        ("IIF(([memberCount]> " + "9" * 5000 + '),Error("x"),IgnoreThisFlow)', "not a member count at column 21"),
        ("x" * 20_000, "longer than 10000 characters"),
    ],
)
def test_hostile_expressions_are_expression_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        expressions.member_limit(text)
