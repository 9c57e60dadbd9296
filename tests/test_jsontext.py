"""Untrusted JSON gives a value or one clear line, whatever it holds."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.errors import UserError
from reconciler.formats import jsontext
from reconciler.model import observed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "f.json: not valid JSON: duplicate key 'a'"),
        ("[" * 500 + "]" * 500, "f.json: not valid JSON: nested more than 64 levels deep"),
        ("9" * 5000, "f.json: not valid JSON: Exceeds the limit (4300 digits) for integer string conversion: "
                     "value has 5000 digits"),
        ('{"a": ', "f.json:1:7: not valid JSON: Expecting value"),
    ],
)  # fmt: skip
def test_hostile_json_is_one_line(text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        jsontext.loads(text, "f.json")
    assert str(caught.value) == message


def test_windows_encodings_are_read() -> None:
    document = json.dumps({"name": "Gruppe \u0411"})
    for data in (document.encode("utf-8"), b"\xef\xbb\xbf" + document.encode("utf-8"), document.encode("utf-16")):
        assert jsontext.loads(jsontext.decode(data, "f.json"), "f.json") == {"name": "Gruppe \u0411"}
    with pytest.raises(UserError, match=r"^f.json: not UTF-8 or UTF-16 text"):
        jsontext.decode(b"\xff\xff\xc3", "f.json")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_text_as_a_snapshot_is_a_state_or_a_user_error(text: str) -> None:
    # Any other exception fails the test: a snapshot is read, or refused in one line.
    with contextlib.suppress(UserError):
        observed.loads(text, "snapshot.json")


def test_a_lone_surrogate_is_one_line_and_a_pair_is_a_character() -> None:
    with pytest.raises(UserError, match=r"^f.json: not valid JSON: a string holds a lone surrogate"):
        jsontext.loads('{"name": "\\udc00"}', "f.json")
    assert jsontext.loads('{"name": "\\ud83d\\ude00"}', "f.json") == {"name": "\U0001f600"}


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_TRICKY = st.sampled_from(['"[{', '}"', "\\", 'a"b', "]", "", '\\"', "é[", 1, None])


@st.composite
def _nested(draw: st.DrawFn) -> object:
    """A spine of lists and objects up to 90 deep, strings that look like brackets beside it."""
    value: object = draw(_TRICKY)
    for _level in range(draw(st.integers(0, 90))):
        beside = draw(st.lists(_TRICKY, max_size=2))
        if draw(st.booleans()):
            value = [*beside, value]
        else:
            keys = draw(st.lists(st.sampled_from(["k", "[", "{}", "\\"]), min_size=len(beside), max_size=len(beside)))
            value = {**{f"{key}{i}": b for i, (key, b) in enumerate(zip(keys, beside, strict=True))}, "z": value}
    return value


@given(_nested(), st.booleans())
def test_the_nesting_check_agrees_with_the_parsed_depth(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert jsontext._too_deep(text) == (_depth(value) > jsontext.MAX_DEPTH)


@pytest.mark.parametrize(
    ("text", "duplicate"),
    [
        ('{"a": {"b": 1, "c": {"d": 2, "d": 3}}}', "d"),
        ('[{"x:": ":", "x:": 1}]', "x:"),
        ('{"k": "a\\\\": 1, "k": 2}', None),  # not JSON at all: the parser says so first
    ],
)
def test_a_name_written_twice_is_found_at_any_depth(text: str, duplicate: str | None) -> None:
    with pytest.raises(UserError) as caught:
        jsontext.loads(text, "f.json")
    if duplicate is not None:
        assert str(caught.value) == f"f.json: not valid JSON: duplicate key {duplicate!r}"


@settings(max_examples=60)
@given(_nested())
def test_names_with_colons_and_quotes_are_not_duplicates(value: object) -> None:
    assume(_depth(value) < jsontext.MAX_DEPTH - 2)
    document = {"a:": value, 'b":': [value, {"c": ":"}]}
    assert jsontext.loads(json.dumps(document), "f.json") == document


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        ("{" + "[" * 70 + "]" * 70 + "]", True),  # deep before it goes wrong: refused for its depth
        ("{" + "[{" * 40 + "}]" * 40 + "]", True),
        ("[" * 70 + "}", False),  # nothing nests: json.loads names the place
        ('[{]}"', False),  # wrong, but shallow: json.loads names the place
        ("[" * 20 + "]" * 21, False),
        ('["\\\\"]', False),  # an escaped backslash, then the closing quote
    ],
)
def test_malformed_text_is_judged_by_its_depth_as_far_as_it_nests(text: str, too_deep: bool) -> None:
    assert jsontext._too_deep(text) is too_deep
