"""The published JSON Schemas, and checking a document against one with located messages.

The schemas live in the top-level `schemas/` folder and ship inside the wheel as
`reconciler/schemas/`; a source checkout reads them from the folder itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.errors import Problem
from reconciler.formats import fastschema
from reconciler.formats.yamlsource import Document, JsonPath

if TYPE_CHECKING:  # jsonschema, slow to import, only words the errors of an invalid document
    import jsonschema
    from jsonschema.exceptions import ValidationError

    _FlatCheck = Callable[[Any, JsonPath], Iterator[tuple[JsonPath, str, bool]]]

DESIRED_STATE = "desired-state.schema.json"
OBSERVED_STATE = "observed-state.schema.json"
PLAN = "plan.schema.json"

# Top-level arrays whose items a compiled checker validates instead of jsonschema: the observed
# state of a large tenant holds 100,000 groups, which jsonschema takes 2.5 s to walk.
_FAST_ARRAYS: dict[str, tuple[str, ...]] = {OBSERVED_STATE: ("groups",)}


def _is_integer(_checker: object, instance: object) -> bool:
    # jsonschema counts 100000.0 as an integer; a state file that says 100000.0 is not one.
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _strict_validator_class() -> Any:
    """Draft 2020-12 with integers that are ints: built on first use, when a document is invalid."""
    import jsonschema  # noqa: PLC0415 - deliberately late, see TYPE_CHECKING above

    draft = jsonschema.Draft202012Validator
    strict = draft.TYPE_CHECKER.redefine("integer", _is_integer)
    return jsonschema.validators.extend(draft, type_checker=strict)  # type: ignore[no-untyped-call]


def __getattr__(name: str) -> Any:
    # `schemas.StrictValidator`, for tests and tools that want the full checker; built on demand.
    if name == "StrictValidator":
        return _strict_validator_class()
    raise AttributeError(name)


def schema_text(name: str) -> str:
    # In the package in a wheel, the top-level folder in a checkout (plain file reads: importlib.resources
    # costs its imports on every start-up), importlib.resources for a zipped install.
    package = Path(__file__).resolve().parent.parent
    for path in (package / "schemas" / name, package.parent / "schemas" / name):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib import resources  # noqa: PLC0415 - a zipped install only

    return (resources.files("reconciler") / "schemas" / name).read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """The validator for a schema, less the items of its fast arrays (see `_flat_checker`)."""
    relaxed = dict(schema(name))
    fast = _FAST_ARRAYS.get(name, ())
    if fast:
        # Without `items` jsonschema does not even walk the array.
        relaxed["properties"] = {
            key: ({k: v for k, v in value.items() if k != "items"} if key in fast else value)
            for key, value in relaxed["properties"].items()
        }
    return _strict_validator_class()(relaxed)  # type: ignore[no-any-return]


def dotted(path: JsonPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"{type(value).__name__.replace('int', 'integer')} {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "integer": "an integer",
    "string": "a string",
    "boolean": "true or false",
    "null": "null",
}


def _expected_type(types: str | list[str]) -> str:
    names = [types] if isinstance(types, str) else types
    return " or ".join(_TYPE_WORDS.get(t, t) for t in names)


def _messages(error: ValidationError) -> list[tuple[JsonPath, str, bool]]:
    """(path, message, points at key) for one schema error, in words a user reads."""
    path: JsonPath = tuple(error.absolute_path)
    where = dotted(path)
    # jsonschema types these as "possibly unset"; on an error from iter_errors they are all set.
    kind = error.validator
    value: Any = error.validator_value
    inst: Any = error.instance
    subschema: Any = error.schema
    if kind == "additionalProperties":
        allowed = sorted(subschema.get("properties", {}))
        return [
            ((*path, key), f"{dotted((*path, key))}: unknown key '{key}' (allowed: {', '.join(allowed)})", True)
            for key in inst
            if key not in allowed
        ]
    if kind == "required":
        missing = [k for k in value if k not in inst]
        return [(path, f"{where}: missing required key '{k}'", bool(path)) for k in missing]
    if kind == "type":
        return [(path, f"{where}: expected {_expected_type(value)}, got {_describe(inst)}", False)]
    if kind == "enum":
        options = ", ".join(str(v) for v in value)
        return [(path, f"{where}: expected one of {options}, got {_describe(inst)}", False)]
    if kind == "const":
        return [(path, f"{where}: expected {value!r}, got {_describe(inst)}", False)]
    if kind == "minimum":
        return [(path, f"{where}: {inst} is below the minimum {value}", False)]
    if kind == "maximum":
        return [(path, f"{where}: {inst} is above the maximum {value}", False)]
    if kind == "minLength":
        return [(path, f"{where}: must not be empty", False)]
    if kind == "maxLength":
        return [(path, f"{where}: longer than {value} characters", False)]
    if kind == "pattern":
        hint = subschema.get("x-hint", f"must match {value}")
        return [(path, f"{where}: {inst!r} is not valid: {hint}", False)]
    if kind in ("oneOf", "anyOf"):
        return _alternatives(error, path, value, inst)
    return [(path, f"{where}: {error.message}", False)]


def _alternatives(error: ValidationError, path: JsonPath, forms: Any, inst: Any) -> list[tuple[JsonPath, str, bool]]:
    """A value that fits none of a oneOf's forms, in words (never jsonschema's repr of the whole
    value): forms told apart by a `kind` constant (a plan's actions) name the kind that is wrong, or
    what is wrong with the form of the kind given; other forms are named by their titles."""
    where = dotted(path)
    if not isinstance(inst, dict) and all(f.get("type") == "object" for f in forms):
        return [(path, f"{where}: expected a mapping, got {_describe(inst)}", False)]
    kinds = [f.get("properties", {}).get("kind", {}).get("const") for f in forms]
    if isinstance(inst, dict) and all(isinstance(k, str) for k in kinds):
        if "kind" not in inst:
            return [(path, f"{where}: missing required key 'kind'", bool(path))]
        given = inst["kind"]
        if given not in kinds:
            at = (*path, "kind")
            return [(at, f"{dotted(at)}: expected one of {', '.join(kinds)}, got {_describe(given)}", False)]
        chosen = kinds.index(given)
        found = [m for e in error.context or () if e.relative_schema_path[0] == chosen for m in _messages(e)]
        if found:
            return found
    titles = [str(f.get("title")) for f in forms if f.get("title")]
    allowed = f" (one of: {', '.join(titles)})" if titles else ""
    return [(path, f"{where}: {_describe(inst)} fits none of the allowed forms{allowed}", False)]


_PY_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_FLAT_KEYWORDS = {"type", "minimum", "minLength", "title", "description"}


@cache
def _flat_checker(name: str, array: str) -> _FlatCheck:
    """A fast check of one item of `array`, compiled from the schema's own item definition.

    Only the keywords a flat record needs are supported; anything else in the schema is a
    programming error here, so the two can never silently disagree.
    """
    item = schema(name)["properties"][array]["items"]
    assert item.get("type") == "object" and item.get("additionalProperties") is False, array
    fields = {}
    for key, sub in item["properties"].items():
        unsupported = set(sub) - _FLAT_KEYWORDS
        assert not unsupported, f"{array}.{key}: flat checker lacks {unsupported}"
        fields[key] = (_PY_TYPES[sub["type"]], sub["type"], sub.get("minimum"), sub.get("minLength"))
    required = tuple(item.get("required", ()))
    allowed = sorted(fields)

    def check_item(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str, bool]]:
        where = dotted(path)
        if not isinstance(value, dict):
            yield path, f"{where}: expected a mapping, got {_describe(value)}", False
            return
        for key in required:
            if key not in value:
                yield path, f"{where}: missing required key '{key}'", bool(path)
        for key, field_value in value.items():
            sub_path = (*path, key)
            if key not in fields:
                yield sub_path, f"{dotted(sub_path)}: unknown key '{key}' (allowed: {', '.join(allowed)})", True
                continue
            is_type, type_name, minimum, min_length = fields[key]
            if not is_type(field_value):
                got = _describe(field_value)
                yield sub_path, f"{dotted(sub_path)}: expected {_expected_type(type_name)}, got {got}", False
            elif minimum is not None and field_value < minimum:
                yield sub_path, f"{dotted(sub_path)}: {field_value} is below the minimum {minimum}", False
            elif min_length is not None and len(field_value) < min_length:
                yield sub_path, f"{dotted(sub_path)}: must not be empty", False

    return check_item


@cache
def _fast_check(name: str) -> fastschema.Check:
    return fastschema.compile_schema(schema(name))


def is_valid(data: Any, name: str) -> bool:
    return _fast_check(name)(data)


def _errors(data: Any, name: str) -> Iterator[tuple[JsonPath, str, bool]]:
    if _fast_check(name)(data):
        return  # valid: the usual case, decided without jsonschema's walk
    errors = list(validator(name).iter_errors(data))
    # A value of the wrong type also fails its enum or range; the type error says it all.
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        yield from _messages(error)
    if isinstance(data, dict):
        for array in _FAST_ARRAYS.get(name, ()):
            items = data.get(array)
            if isinstance(items, list):
                check_item = _flat_checker(name, array)
                for index, item in enumerate(items):
                    yield from check_item(item, (array, index))


def check(doc: Document, name: str) -> list[Problem]:
    """Every schema problem of `doc`, each located at the offending key or value."""
    problems = [doc.problem(path, message, key=at_key) for path, message, at_key in _errors(doc.data, name)]
    # jsonschema reports a `required` error per missing key, each listing all of them.
    return list(dict.fromkeys(problems))


def check_data(data: Any, name: str, source: str) -> list[Problem]:
    """Every schema problem of plain data (e.g. JSON, which carries no positions), by path."""
    problems = [Problem(source, None, None, message) for _path, message, _key in _errors(data, name)]
    return list(dict.fromkeys(problems))
