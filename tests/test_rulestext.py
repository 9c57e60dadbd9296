"""Rules found in a snapshot's text: the same state as reading the whole text, or no claim at all."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import records, rulestext
from reconciler.errors import UserError
from reconciler.formats import jsonmodel, jsontext
from reconciler.model import observed
from reconciler.servers.simulator import defaults

_STATE = observed.to_json(defaults.new_server("srv01", "2.4.18.0"))


def _ordinary(text: str) -> observed.ObservedState | str:
    """What reading the whole text gives: the state, or the error's words."""
    try:
        return observed.from_json(jsontext.loads(text, "f.json"), "f.json")
    except UserError as exc:
        return str(exc)


def _read(text: str) -> observed.ObservedState | str:
    try:
        return observed.loads(text, "f.json")
    except UserError as exc:
        return str(exc)


def _powershell(document: Any) -> str:
    """ConvertTo-Json's look in Windows PowerShell 5.1: four spaces, two after a colon, CRLF."""
    return json.dumps(document, indent=4, separators=(",", ":  ")).replace("\n", "\r\n")


LAYOUTS = {
    "ours": observed.dumps,
    "powershell": lambda state: _powershell(observed.to_json(state)),
    "tabs": lambda state: json.dumps(observed.to_json(state), indent="\t"),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_pretty_printed_snapshots_are_cut_into_their_rules(layout: str) -> None:
    state = observed.from_json(_STATE, "f.json")
    text = LAYOUTS[layout](state)
    found = rulestext.split(text)
    assert found is not None
    assert [json.loads(rule) for rule in found.rules] == json.loads(text)["syncRules"]
    assert json.loads(found.rest) == {**json.loads(text), "syncRules": []}
    assert observed.loads(text, "f.json") == state


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(_STATE),  # compact: no lines to cut at
        json.dumps({"x": {"syncRules": [{"a": 1}]}, **_STATE}, indent=2),  # a nested key of the name first
        json.dumps({"note": 'say "syncRules": [', **_STATE}, indent=2),  # the words inside a string
        json.dumps({**_STATE, "syncRules": []}, indent=2),
        "x" * (rulestext.MAX_TEXT + 1),
    ],
)
def test_no_claim_where_the_rules_are_not_plainly_the_top_level_array(text: str) -> None:
    found = rulestext.split(text)
    assert found is None or json.loads(found.rest).get("syncRules") == []
    assert _read(text) == _ordinary(text)


def test_a_piece_cut_in_the_wrong_place_is_read_the_ordinary_way() -> None:
    # An object nested at the rules' own indentation ends a piece early: that piece is no object.
    text = observed.dumps(observed.from_json(_STATE, "f.json"))
    first = text.index('"Identifier"')
    crooked = text[:first] + '"Extra": {\n    },\n    ' + text[first:]
    assert rulestext.split(crooked) is not None
    assert _read(crooked) == _ordinary(crooked)
    assert "Extra" in str(_read(crooked))  # refused by the schema, as it always was


_EDITS = st.sampled_from(
    ['"', "\\", "{", "}", "[", "]", ",", "\n", "\n    }", "\n    },\n    {", "\r\n", " ", "1", "null", '"Name": 1, ']
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(LAYOUTS)), st.lists(st.tuples(st.floats(0, 1), _EDITS, st.booleans()), max_size=4))
def test_any_edit_reads_as_the_whole_text_reads(layout: str, edits: list[tuple[float, str, bool]]) -> None:
    """Damage anywhere (a quote, a bracket, a line break, a duplicate name) is the same error,
    and text that stays valid the same state, as reading the whole text gives."""
    text = LAYOUTS[layout](observed.from_json(_STATE, "f.json"))
    for where, edit, delete in edits:
        at = int(where * len(text))
        text = text[:at] + text[at + len(edit) :] if delete else text[:at] + edit + text[at:]
    assert _read(text) == _ordinary(text)


def test_a_rule_read_before_is_the_same_object() -> None:
    text = observed.dumps(observed.from_json(_STATE, "f.json"))
    first, second = observed.loads(text, "a.json"), observed.loads(text, "b.json")
    assert all(a is b for a, b in zip(first.sync_rules, second.sync_rules, strict=True))


@pytest.mark.parametrize(
    ("prefix", "open_"),
    [('{"a": [1, {"b": "]"}], ', b"{"), ('{"a": "x\\"', None), ('{"a": [', b"{["), ('{"a": ]', None), ("", b"")],
)
def test_open_brackets(prefix: str, open_: bytes | None) -> None:
    assert jsontext.open_brackets(prefix) == open_


def test_pieces_are_remembered_only_when_each_is_one_rule() -> None:
    """A cut inside a rule and a rule end not cut can leave as many pieces as rules in a valid
    snapshot: such pieces are never taken for rules, or a later snapshot holding one of them
    would get the wrong rule."""
    state = observed.from_json(_STATE, "f.json")
    text = observed.dumps(state)
    # The first rule's first two flow mappings written at the rules' own indentation (a cut
    # inside it), and a later rule's closing brace one space deeper (no cut after it).
    inner = text.index("\n        },\n        {", text.index('"syncRules"'))
    shifted = text[:inner] + "\n    },\n    {" + text[inner + len("\n        },\n        {") :]
    boundaries = [i for i in range(len(shifted)) if shifted.startswith("\n    },\n    {", i)]
    at = boundaries[5]
    crooked = shifted[:at] + "\n     },\n    {" + shifted[at + len("\n    },\n    {") :]
    found = rulestext.split(crooked)
    assert found is not None and len(found.rules) == len(state.sync_rules)
    assert not all(map(jsontext.one_object, found.rules))
    observed._RULE_TEXTS.clear()
    assert observed.loads(crooked, "f.json") == state  # read whole: it is a valid snapshot
    assert not any(piece in observed._RULE_TEXTS for piece in found.rules)


def _known_from(*texts: str) -> rulestext.Known:
    known = rulestext.Known()
    for text in texts:
        found = rulestext.split(text)
        assert found is not None
        for piece in found.rules:
            known.add(piece, found.layout)
    return known


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(LAYOUTS)), st.lists(st.tuples(st.floats(0, 1), _EDITS, st.booleans()), max_size=4))
def test_rules_recognised_in_place_are_the_pieces_the_search_cuts(
    layout: str, edits: list[tuple[float, str, bool]]
) -> None:
    """Whatever the text, a split that knows every layout's rules cuts exactly where the search
    alone cuts; where it recognised a rule, its piece is the string it knew."""
    state = observed.from_json(_STATE, "f.json")
    known = _known_from(*(write(state) for write in LAYOUTS.values()))
    text = LAYOUTS[layout](state)
    for where, edit, delete in edits:
        at = int(where * len(text))
        text = text[:at] + text[at + len(edit) :] if delete else text[:at] + edit + text[at:]
    assert rulestext.split(text, known) == rulestext.split(text)


def test_a_recognised_rule_is_the_string_known_before() -> None:
    text = observed.dumps(observed.from_json(_STATE, "f.json"))
    known = _known_from(text)
    again = rulestext.split(text, known)
    first = rulestext.split(text)
    assert again is not None and first is not None and again == first
    remembered = set(map(id, known.of(first.layout).values()))
    assert all(id(piece) in remembered for piece in again.rules)


def test_a_piece_with_a_closing_before_its_end_is_never_known() -> None:
    known = rulestext.Known()
    known.add('{\n  "a": {\n  },\n  "b": 1\n  }', "\n  ")  # a nested object closes at the rules' depth
    known.add('{\n  "a": 1\n  }', "\n  ")
    assert list(known.of("\n  ").values()) == ['{\n  "a": 1\n  }']


_GUIDS = st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())


def _fresh_digest(state: observed.ObservedState) -> str:
    """The digest of the state with its rules built anew: nothing kept in them beforehand."""
    rules = tuple(jsonmodel.from_json(observed.SyncRule, jsonmodel.to_json(r)) for r in state.sync_rules)
    return observed.digest(state.replace(sync_rules=rules))


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(LAYOUTS)),
    st.lists(st.tuples(st.integers(0, 200), _GUIDS), min_size=1, max_size=6),
    st.lists(st.tuples(st.floats(0, 1), _EDITS, st.booleans()), max_size=2),
)
def test_rules_known_under_other_identifiers_read_as_the_whole_text_reads(
    layout: str, renames: list[tuple[int, str]], edits: list[tuple[float, str, bool]]
) -> None:
    """A fleet's clones: rules read before, now under other GUIDs (any case), with damage
    anywhere or none: the same state or error as reading the whole text, and the same digest as
    the rules built anew, though their canonical text was made from the known rules'."""
    state = observed.from_json(_STATE, "f.json")
    write = LAYOUTS[layout]
    observed.loads(write(state), "known.json")  # the rules as another server has them
    rules = list(state.sync_rules)
    for index, guid in renames:
        at = index % len(rules)
        rules[at] = records.replace(rules[at], identifier=guid)
    text = write(state.replace(sync_rules=tuple(rules)))
    for where, edit, delete in edits:
        at = int(where * len(text))
        text = text[:at] + text[at + len(edit) :] if delete else text[:at] + edit + text[at:]
    read = _read(text)
    assert read == _ordinary(text)
    if isinstance(read, observed.ObservedState):
        if not edits:  # each renamed rule was made from the known one, its canonical text too
            renamed = {rules[index % len(rules)].identifier for index, _ in renames}
            assert all(r.__dict__.get("_memo_canonical") for r in read.sync_rules if r.identifier in renamed)
        assert observed.digest(read) == _fresh_digest(read)


def test_a_variant_is_a_known_text_with_another_guid_and_nothing_else() -> None:
    guid, other = "039dcc3a-1513-4c08-b296-0973691e644a", "A1B2C3D4-0000-4000-8000-00000000000F"

    def piece(identifier: str, name: str = "x", indent: str = "\n  ") -> str:
        return f'{{{indent}"Identifier": "{identifier}",{indent}"Name": "{name}"{indent}}}'

    known = rulestext.Known()
    known.add(piece(guid), "\n  ")
    assert known.variant(piece(other)) == (piece(guid), other)
    assert known.variant(piece(guid)) is None  # the known text itself
    assert known.variant(piece(other, name="y")) is None  # another rule
    assert known.variant(piece(other + "0")) is None  # no GUID: not an identifier the schema allows
    assert known.variant(piece(other, indent="\n\t")) is None  # another layout
    known.clear()
    assert known.variant(piece(other)) is None


def test_reading_one_snapshot_leaves_variants_unlooked_for() -> None:
    """A run reading one snapshot (a single plan) never looks for rules under other identifiers,
    nor compiles what it would look with."""
    code = (
        "import sys; from reconciler import rulestext; from reconciler.model import observed; "
        "observed.loads(sys.stdin.read(), 'f.json'); print(rulestext._identified.cache_info().currsize)"
    )
    text = observed.dumps(observed.from_json(_STATE, "f.json"))
    done = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"
