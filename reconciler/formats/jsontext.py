"""JSON from outside the process (snapshots, simulator files, saved plans, reports), read so that no
input ends in anything but a value or one clear line.

`json.loads` raises more than `JSONDecodeError` on hostile input: ValueError for an integer of more
than 4,300 digits, RecursionError for nesting hundreds deep. Each becomes a `UserError` naming the
source, and duplicate keys, which JSON readers silently resolve, are refused.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.errors import UserError
from reconciler.formats import files

# Deeper than any document of ours (plans and snapshots nest about 8 levels): refused early.
MAX_DEPTH = 64


def _counted(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The object, built in C; fewer names held than written means one was written twice."""
    found = dict(pairs)
    if len(found) != len(pairs):
        _no_duplicates(pairs)  # names it
    return found


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Duplicate(key)
        found[key] = value
    return found


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _no_lone_surrogates(value: Any, source: str) -> None:
    """A \\udc00 escape alone is no character: it could never be written back as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UserError(f"{source}: not valid JSON: a string holds a lone surrogate (\\ud800-\\udfff)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_lone_surrogates(key, source)
            _no_lone_surrogates(item, source)
    elif isinstance(value, list):
        for item in value:
            _no_lone_surrogates(item, source)


# Every byte but the ones that shape JSON's nesting (brackets, quotes): deleted by bytes.translate.
_NOT_SHAPE = bytes(code for code in range(256) if code not in b'[]{}"')
# An escape is a backslash and the character after it (a \\uXXXX's digits go with the rest).
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_INNERMOST = re.compile(rb"\[\]|\{\}")


def _shape(text: str) -> bytes:
    """The brackets of `text` outside its strings, by bytes operations rather than a loop over
    characters (a simulator file or a snapshot may be megabytes). In UTF-8 every byte of a
    non-ASCII character is above 127, so deleting bytes never splits a bracket; escapes go first,
    so that every quote left opens or closes a string."""
    data = text.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    shape = data.translate(None, _NOT_SHAPE)
    # Two quotes side by side keep every other quote's parity: gone at once, most strings with them.
    shape = shape.replace(b'""', b"")
    return b"".join(shape.split(b'"')[::2])


def _too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether `text` nests more than `limit` levels: each pass takes the innermost level off.
    Text that is not well-formed stops early; json.loads then says what is wrong with it."""
    brackets = _shape(text)
    for _level in range(limit):
        if not brackets:
            return False
        shorter = _INNERMOST.sub(b"", brackets)  # both kinds in one pass: one level, never two
        if len(shorter) == len(brackets):
            return False  # unbalanced or mismatched: not nesting, a syntax error for json.loads
        brackets = shorter
    return bool(brackets)


def decode(data: bytes, source: str) -> str:
    """Text as Windows writes it too: UTF-8 (with or without a byte order mark), or UTF-16 with one,
    which is what Windows PowerShell 5.1's `>` writes."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return files.without_bom(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{source}: not UTF-8 or UTF-16 text ({exc.reason} at byte {exc.start})") from None


def loads(text: str, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of `text`, or a UserError naming `source` and what is wrong with it.
    (`max_depth` less than the default: for a part of a document, the levels above it taken.)"""
    if _too_deep(text, max_depth):
        raise UserError(f"{source}: not valid JSON: nested more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(text, object_pairs_hook=_counted)
        if SURROGATE_ESCAPE.search(text):
            _no_lone_surrogates(value, source)
        return value
    except json.JSONDecodeError as exc:
        raise UserError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except _Duplicate as exc:
        raise UserError(f"{source}: not valid JSON: duplicate key {exc.key[:60]!r}") from None
    except ValueError as exc:  # integers beyond Python's conversion limit
        raise UserError(f"{source}: not valid JSON: {str(exc).split(';')[0][:120]}") from None
    except RecursionError:
        raise UserError(f"{source}: not valid JSON: nested more than {MAX_DEPTH} levels deep") from None
