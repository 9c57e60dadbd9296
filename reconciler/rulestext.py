"""A snapshot's sync rules found in its text, so that a rule read before is not parsed again.

A fleet's snapshots carry the same sixty-odd standard rules again and again, and they are most
of a small server's bytes. Pretty-printed JSON (ConvertTo-Json's and json.dumps's alike) writes
each rule of the top-level `syncRules` array from a `{` to a `}` at one indentation, each on a
line of its own, and a raw line break never occurs inside a JSON string. `split` cuts the text
there: each rule's text, and the document with an empty array in their place.

It claims only what it checked: the array is the top-level object's own (the brackets before it
leave exactly one open, outside any string). A cut in the wrong place (an object nested at the
same indentation, say) leaves a piece that is no whole JSON object, which its reader refuses,
and then reads the whole text the ordinary way. Anything else unusual: None, the ordinary way.

Rules cut before can be recognised in place instead of searched for (`Known`): a piece is looked
up by its first characters (a rule's identifier comes first), compared where it stands, and then
is the very string cut before, whose hash Python keeps. It is the piece the search would cut:
`Known.add` takes only pieces whose one closing is their end.

A piece can also be known but for its identifier (`Known.variant`): every server of a fleet has
its own managed clone (syncrules.clone_identifier), the same rule as every other server's under
another GUID. Its text is the known text with one GUID in place of another, and nothing else.
"""

from __future__ import annotations

import functools
import re

from reconciler.formats import jsontext
from reconciler.records import record

# How much of a rule's text an index of known rules keys it by: its identifier and name.
KEY_LENGTH = 96

# The rules of a big simulator file are a sliver of it, and cutting copies the groups' text.
MAX_TEXT = 1 << 20

_OPEN = re.compile(r'"syncRules"[ \t\r\n]*:[ \t\r\n]*(\[)[ \t\r\n]*?(\r?\n[ \t]*)\{')
_CLOSE = re.compile(r"[ \t\r\n]*\]")


@record
class Split:
    rest: str  # the document with `"syncRules": []`
    rules: tuple[str, ...]  # each rule's text, its braces included
    layout: str = "\n"  # the line break and indentation before each rule's braces


class Known:
    """Rule texts cut before, by layout and by their first KEY_LENGTH characters; and by their
    text without the identifier's value."""

    def __init__(self) -> None:
        self._by_layout: dict[str, dict[str, str]] = {}
        self._by_body: dict[tuple[str, str], str] = {}
        # Added since `variant` last looked: indexed by body only when it looks again, so that a
        # run reading one snapshot never pays for it.
        self._unindexed: list[str] = []

    def add(self, piece: str, layout: str) -> None:
        closing = layout + "}"
        if piece.find(closing) == len(piece) - len(closing):  # its end is its only closing
            self._by_layout.setdefault(layout, {})[piece[:KEY_LENGTH]] = piece
        self._unindexed.append(piece)

    def clear(self) -> None:
        self._by_layout.clear()
        self._by_body.clear()
        self._unindexed.clear()

    def of(self, layout: str) -> dict[str, str]:
        return self._by_layout.get(layout, {})

    def variant(self, piece: str) -> tuple[str, str] | None:
        """(the known piece, this piece's identifier) when `piece` is a known piece with another
        identifier, character for character; else None."""
        for added in self._unindexed:
            body = _body(added)
            if body is not None:
                self._by_body[body[0]] = added
        self._unindexed.clear()
        body = _body(piece)
        if body is None:
            return None
        known = self._by_body.get(body[0])
        return None if known is None or known == piece else (known, body[1])


@functools.cache
def _identified() -> re.Pattern[str]:
    """A rule's text opening with its identifier, a GUID as the schema allows it (no escape can
    be in it, so the text between the quotes is the value itself). Compiled when first asked:
    0.4 ms of a start-up that reads one snapshot and never asks."""
    guid = r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    return re.compile(r'\{[ \t\r\n]*"Identifier"[ \t\r\n]*:[ \t\r\n]*"(' + guid + ')"')


def _body(piece: str) -> tuple[tuple[str, str], str] | None:
    """((the text before the identifier's value, the text after it), the identifier)."""
    found = _identified().match(piece)
    if found is None:
        return None
    return (piece[: found.start(1)], piece[found.end(1) :]), found.group(1)


def split(text: str, known: Known | None = None) -> Split | None:
    if len(text) > MAX_TEXT:
        return None
    found = _OPEN.search(text)
    if found is None or jsontext.open_brackets(text[: found.start()]) != b"{":
        return None
    line = found.group(2)  # the line break and indentation before each rule's braces
    closing, after_one = line + "}", "," + line + "{"
    index = known.of(line) if known is not None else {}
    rules = []
    start = found.end() - 1
    while True:
        piece = index.get(text[start : start + KEY_LENGTH]) if index else None
        if piece is not None and text.startswith(piece, start):
            end = start + len(piece)  # where the search below would end it (see Known.add)
            rules.append(piece)
        else:
            end = text.find(closing, start)
            if end < 0:
                return None
            end += len(closing)
            rules.append(text[start:end])
        if text.startswith(after_one, end):
            start = end + len(after_one) - 1
            continue
        after = _CLOSE.match(text, end)
        if after is None:
            return None
        bracket = found.start(1)
        return Split(text[: bracket + 1] + text[after.end() - 1 :], tuple(rules), line)
