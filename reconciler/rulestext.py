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
"""

from __future__ import annotations

import re

from reconciler import jsontext
from reconciler.records import record

# The rules of a big simulator file are a sliver of it, and cutting copies the groups' text.
MAX_TEXT = 1 << 20

_OPEN = re.compile(r'"syncRules"[ \t\r\n]*:[ \t\r\n]*(\[)[ \t\r\n]*?(\r?\n[ \t]*)\{')
_CLOSE = re.compile(r"[ \t\r\n]*\]")


@record
class Split:
    rest: str  # the document with `"syncRules": []`
    rules: tuple[str, ...]  # each rule's text, its braces included


def split(text: str) -> Split | None:
    if len(text) > MAX_TEXT:
        return None
    found = _OPEN.search(text)
    if found is None or jsontext.open_brackets(text[: found.start()]) != b"{":
        return None
    line = found.group(2)  # the line break and indentation before each rule's braces
    closing, after_one = line + "}", "," + line + "{"
    rules = []
    start = found.end() - 1
    while True:
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
        return Split(text[: bracket + 1] + text[after.end() - 1 :], tuple(rules))
