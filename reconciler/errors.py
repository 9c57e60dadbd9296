"""User-facing problems and the exit codes every command shares (docs/commands.md#exit-codes).

A *problem* is something the user can fix (bad input, a refused plan, a server that said no).
It is reported as one line and never as a traceback. Anything else is a bug and may crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import total_ordering

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_INTERRUPTED = 130


# The longest problem message shown whole, and the longest file name.
MAX_MESSAGE = 2000
MAX_NAME = 300

# What must never reach a terminal or a reviewed report raw: control characters (an ESC sequence
# rewrites the screen), line breaks of every kind (a name with one forges lines of a plan) and the
# bidirectional overrides that reorder what is shown; and lone surrogates (bytes the system could
# not decode), which no stream can write.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(found: re.Match[str]) -> str:
    char = found.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def first_unprintable(text: str) -> str | None:
    """The first character `printable` would escape, or None: what a value that must be printable
    text (a name in a state file) may not hold."""
    found = None if text.isprintable() else _UNPRINTABLE.search(text)
    return None if found is None else found.group()


def printable(text: str) -> str:
    """Text from outside (a server's names, a file's values) as one line for people to read: every
    character above escaped as Python writes it (`\\n`, `\\x1b`, `\\u2028`). The one place this is done:
    text, Markdown, PowerShell comments, progress lines and problems all use it; JSON stays exact."""
    # str.isprintable is false for every character escaped here (and a few more, left as they are).
    return text if text.isprintable() else _UNPRINTABLE.sub(_escaped, text)


@total_ordering
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, located where we know where."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __lt__(self, other: object) -> bool:
        # Ordered as dataclass(order=True) orders, by the tuple of the fields; total_ordering adds
        # the other three, as it does for builds.Version.
        if not isinstance(other, Problem) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() < other._fields()

    def _fields(self) -> tuple[str, int | None, int | None, str]:
        return (self.file, self.line, self.column, self.message)

    def __str__(self) -> str:
        where = self.file
        if len(where) > MAX_NAME:  # a path argument of 100 KB is not echoed whole
            where = f"{where[:MAX_NAME]}… ({len(where)} characters)"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        message = printable(self.message)
        if len(message) > MAX_MESSAGE:  # a value echoed whole could make a line of megabytes
            message = f"{message[:MAX_MESSAGE]}… ({len(message)} characters)"
        return f"{printable(where)}: {message}" if where else message

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line or 0, self.column or 0, self.message)


class UserError(Exception):
    """Raised for anything the user can fix; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", None, None, problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Refused(UserError):
    """A server said no (busy, unsupported, a rule it will not take); nothing was changed."""


def problem(message: str, file: str = "") -> UserError:
    """A single unlocated problem, for errors that belong to no file."""
    return UserError([Problem(file, None, None, message)])
