"""Reading YAML so that every value remembers where it came from.

PyYAML's own loaders forget positions and silently keep the last of two duplicate keys; here the
document is composed into nodes and built by hand, so that duplicate keys, unknown tags, merge keys
and alias bombs are errors with a line and column, and every later error can be located too.

Scalars follow YAML 1.2's core schema for booleans (only true/false): `yes`, `on` and `no` stay
strings, so a value we cannot understand is reported instead of guessed. Dates stay strings.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import Problem, UserError, first_unprintable
from reconciler.formats import files

MAX_FILE_BYTES = 1024 * 1024
# Aliases can make a small file expand into a huge tree ("billion laughs"); a state file has
# a few dozen nodes, so anything far beyond that is hostile or a mistake.
MAX_NODES = 100_000

JsonPath = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no timestamps."""


class _CLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, on libyaml's parser where PyYAML was built with it."""


# libyaml composes many times faster, which a fleet's thousands of state files notice; the
# pure-Python parser words errors as the tests expect, so a file that fails is read again with it.
_FastLoader: type[yaml.SafeLoader] = _CLoader if hasattr(yaml, "CSafeLoader") else _Loader
_RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _loader in (_Loader, _CLoader):
    _loader.yaml_implicit_resolvers = {first: list(entries) for first, entries in _RESOLVERS.items()}
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )


INT_TAG = "tag:yaml.org,2002:int"
MAX_INT_CHARACTERS = 24  # far past any count or precedence, far below Python's 4,300-digit limit
FLOAT_TAG = "tag:yaml.org,2002:float"
# Digits alone: YAML 1.2 editors read 100_000 as text where PyYAML (1.1) reads 100000, so neither is taken.
DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


class Positions(Mapping[JsonPath, Position]):
    """Where each path is, kept as the parser's marks and made a Position only when asked: a
    fleet's 10,000 files are read, and almost none of their positions is ever shown."""

    def __init__(self) -> None:
        self._marks: dict[JsonPath, yaml.Mark] = {}

    def mark(self, path: JsonPath, mark: yaml.Mark | None) -> None:
        assert mark is not None
        self._marks[path] = mark

    def __getitem__(self, path: JsonPath) -> Position:
        return _pos(self._marks[path])

    def __contains__(self, path: object) -> bool:
        return path in self._marks

    def __iter__(self) -> Iterator[JsonPath]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)


class Document:
    """A loaded YAML document: plain data plus the position of every key and value."""

    def __init__(self, file: str, data: Any) -> None:
        self.file = file
        self.data = data
        self.values = Positions()
        self.keys = Positions()

    def locate(self, path: JsonPath, *, key: bool = False) -> Position | None:
        """Where `path` is, or failing that its nearest ancestor that exists."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        while path:
            path = path[:-1]
            if path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
        return None

    def problem(self, path: JsonPath, message: str, *, key: bool = False) -> Problem:
        pos = self.locate(path, key=key)
        if pos is None:
            return Problem(self.file, None, None, message)
        return Problem(self.file, pos.line, pos.column, message)


def _pos(mark: yaml.Mark | None) -> Position:
    assert mark is not None
    return Position(mark.line + 1, mark.column + 1)


def _mark_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    reason = exc.problem or exc.context or "invalid YAML"
    if mark is None:
        return Problem(file, None, None, f"YAML: {reason}")
    return Problem(file, mark.line + 1, mark.column + 1, f"YAML: {reason}")


def _unprintable(text: str) -> str | None:
    """What `errors.printable` would have to escape in a value, in words."""
    found = first_unprintable(text)
    if found is None:
        return None
    code = ord(found)
    return f"a lone surrogate (U+{code:04X})" if 0xD800 <= code <= 0xDFFF else f"the control character U+{code:04X}"


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.doc = Document(file, None)
        self.loader = loader
        self.problems: list[Problem] = []
        self.nodes = 0

    def err(self, mark: yaml.Mark | None, message: str) -> None:
        pos = _pos(mark)
        self.problems.append(Problem(self.doc.file, pos.line, pos.column, message))

    def build(self, node: yaml.Node, path: JsonPath, stack: tuple[int, ...]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise UserError([self.doc.problem((), f"YAML expands to more than {MAX_NODES} nodes (alias bomb?)")])
        if id(node) in stack:
            self.err(node.start_mark, "YAML: recursive alias")
            return None
        self.doc.values.mark(path, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, (*stack, id(node)))
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.err(node.start_mark, f"YAML: unsupported tag {node.tag}")
                return None
            return [self.build(item, (*path, i), (*stack, id(node))) for i, item in enumerate(node.value)]
        if node.tag == INT_TAG and len(node.value) > MAX_INT_CHARACTERS:
            self.err(node.start_mark, f"YAML: a number of {len(node.value)} digits is not one a state file holds")
            return None
        if (node.tag == INT_TAG and not DECIMAL.match(node.value)) or (
            node.tag == FLOAT_TAG and ("_" in node.value or ":" in node.value)
        ):
            # YAML 1.1 reads 075000 as octal (31232), 1:30 as 90, 0b1011010 as 90; YAML 1.2 as text or
            # decimal. Neither guess is taken.
            self.err(
                node.start_mark,
                f"YAML: {node.value!r} is not a plain decimal number (YAML 1.1 reads leading zeros, 0b, 0x, "
                "_ and : as other bases); write it in decimal, or quote it if it is text",
            )
            return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.err(node.start_mark, f"YAML: {exc.problem}")
            return None
        unprintable = _unprintable(value) if isinstance(value, str) else None
        if unprintable is not None:
            # A name written to a server or printed to a terminal holds text, not terminal controls,
            # reordering marks (Trojan Source) or half of a UTF-16 pair that no file can encode.
            self.err(node.start_mark, f"YAML: a string holds {unprintable}; a state file holds printable text")
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, stack: tuple[int, ...]) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            self.err(node.start_mark, f"YAML: unsupported tag {node.tag}")
            return {}
        result: dict[str, Any] = {}
        first_seen: dict[str, yaml.Mark | None] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.err(key_node.start_mark, "YAML: merge keys (<<) are not supported; write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                self.err(key_node.start_mark, "YAML: keys must be strings")
                continue
            key = str(key_node.value)
            if key in first_seen:
                seen = _pos(first_seen[key])
                self.err(key_node.start_mark, f"duplicate key '{key}' (first defined at line {seen.line})")
                continue
            first_seen[key] = key_node.start_mark
            key_path = (*path, key)
            self.doc.keys.mark(key_path, key_node.start_mark)
            result[key] = self.build(value_node, key_path, stack)
        return result


def read_text(path: Path | str, display: str) -> str:
    """The file's text, or a UserError saying why it cannot be read as a state file."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        raise UserError([Problem(display, None, None, "no such file")]) from None
    except OSError as exc:
        raise UserError([Problem(display, None, None, f"cannot read: {exc.strerror}")]) from None
    if stat.S_ISDIR(found.st_mode):
        raise UserError([Problem(display, None, None, "is a directory, not a file")])
    size = found.st_size
    if size > MAX_FILE_BYTES:
        raise UserError([Problem(display, None, None, f"file is {size} bytes; state files are limited to 1 MiB")])
    raw = files.without_bom(files.read_bytes(path, MAX_FILE_BYTES, display, found=found))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise UserError([Problem(display, line, column, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")]) from None


def parse(text: str, display: str) -> Document:
    """Parse one YAML document; raises UserError listing every problem found in it."""
    try:
        return _parse(text, display, _FastLoader)
    except UserError:
        if _FastLoader is _Loader:
            raise
    return _parse(text, display, _Loader)


def _parse(text: str, display: str, loader_class: type[yaml.SafeLoader]) -> Document:
    try:
        # The reader refuses NUL and other control characters already here.
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        row, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"YAML: control character U+{code:04X} is not allowed in a state file"
        raise UserError([Problem(display, row, column, message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise UserError([_mark_problem(display, exc)]) from None
    except yaml.YAMLError as exc:
        raise UserError([Problem(display, None, None, f"YAML: {str(exc)[:200]}")]) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.composer.ComposerError as exc:
            if exc.context and "single document" in exc.context:
                mark = exc.problem_mark
                line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
                raise UserError(
                    [Problem(display, line, col, "expected a single YAML document, found another")]
                ) from None
            raise
        if node is None:
            raise UserError([Problem(display, None, None, "file is empty; expected a mapping")])
        builder = _Builder(display, loader)
        builder.doc.data = builder.build(node, (), ())
    except yaml.MarkedYAMLError as exc:
        raise UserError([_mark_problem(display, exc)]) from None
    except yaml.YAMLError as exc:
        raise UserError([Problem(display, None, None, f"YAML: {str(exc)[:200]}")]) from None
    except RecursionError:
        raise UserError([Problem(display, None, None, "YAML: nested too deeply to be a state file")]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise UserError(builder.problems)
    if not isinstance(builder.doc.data, dict):
        kind = "a list" if isinstance(builder.doc.data, list) else f"a {type(builder.doc.data).__name__} scalar"
        pos = builder.doc.values[()]
        raise UserError([Problem(display, pos.line, pos.column, f"the document must be a mapping, not {kind}")])
    return builder.doc


def load(path: Path | str, display: str | None = None) -> Document:
    shown = display if display is not None else str(path)
    return parse(read_text(path, shown), shown)


def dump(data: Any, header: str = "") -> str:
    """YAML text for plain data, keys in the order given (so files read like the examples)."""
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    return header + body
