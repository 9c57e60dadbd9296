"""The published JSON Schemas, and checking a document against one with located messages.

The schemas live in the top-level `schemas/` folder and ship inside the wheel as
`reconciler/schemas/`; a source checkout reads them from the folder itself.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from reconciler.errors import Problem
from reconciler.yamlsource import Document, JsonPath

DESIRED_STATE = "desired-state.schema.json"


def _is_integer(_checker: object, instance: object) -> bool:
    # jsonschema counts 100000.0 as an integer; a state file that says 100000.0 is not one.
    return isinstance(instance, int) and not isinstance(instance, bool)


_STRICT_TYPES = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
StrictValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, type_checker=_STRICT_TYPES
)


def _schema_text(name: str) -> str:
    packaged = resources.files("reconciler") / "schemas" / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "schemas" / name).read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_schema_text(name))
    return loaded


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    return StrictValidator(schema(name))  # type: ignore[no-any-return]


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
    kind, value, inst = error.validator, cast(Any, error.validator_value), cast(Any, error.instance)
    subschema = cast(dict[str, Any], error.schema)
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
    return [(path, f"{where}: {error.message}", False)]


def check(doc: Document, name: str) -> list[Problem]:
    """Every schema problem of `doc`, each located at the offending key or value."""
    errors = list(validator(name).iter_errors(doc.data))
    # A value of the wrong type also fails its enum or range; the type error says it all.
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    problems = []
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        for path, message, at_key in _messages(error):
            problems.append(doc.problem(path, message, key=at_key))
    # jsonschema reports a `required` error per missing key, each listing all of them.
    return list(dict.fromkeys(problems))
