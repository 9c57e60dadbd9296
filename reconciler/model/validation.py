"""Checks of a state file that a JSON Schema cannot say well (docs/state-file.md#validation).

They run on the raw document even when the schema found problems, so one run reports all of
them; a check whose inputs are missing or mistyped stays silent (the schema already spoke).
Checks that need the server (its version, other rules' precedences, the tenant's domains) belong
to the planner, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from reconciler.errors import Problem
from reconciler.formats.yamlsource import Document, JsonPath
from reconciler.model import builds, facts, limitrules, windows


def _get(data: Any, path: JsonPath, kind: type) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    if kind is int and isinstance(data, bool):
        return None
    return data if isinstance(data, kind) else None


def _limit_needs_v2(doc: Document) -> Iterator[Problem]:
    limit = _get(doc.data, ("spec", "groupMemberLimit"), int)
    export = _get(doc.data, ("spec", "apiVersions", "export"), int)
    import_ = _get(doc.data, ("spec", "apiVersions", "import"), int)
    if limit is None or limit <= facts.V1_MEMBER_LIMIT:
        return
    if export == 2 and import_ == 2:
        return
    yield doc.problem(
        ("spec", "groupMemberLimit"),
        f"spec.groupMemberLimit: {limit} is above {facts.V1_MEMBER_LIMIT}, which needs "
        "apiVersions.export and apiVersions.import both at 2 (V1 syncs at most "
        f"{facts.V1_MEMBER_LIMIT} members)",
    )


def _no_v2_in_cloud(doc: Document) -> Iterator[Problem]:
    cloud = _get(doc.data, ("spec", "cloud"), str)
    if cloud not in facts.CLOUDS_WITHOUT_V2:
        return
    for direction in ("export", "import"):
        path = ("spec", "apiVersions", direction)
        if _get(doc.data, path, int) == 2:
            yield doc.problem(
                path, f"spec.apiVersions.{direction}: the V2 endpoint is not available in the {cloud} cloud"
            )


def _precedence_when_cloned(doc: Document) -> Iterator[Problem]:
    limit = _get(doc.data, ("spec", "groupMemberLimit"), int)
    spec = _get(doc.data, ("spec",), dict)
    standard = sorted(builds.values_of("standard_member_limit"))
    if limit is None or spec is None or "rulePrecedence" in spec or limit in standard:
        return
    yield doc.problem(
        ("spec", "groupMemberLimit"),
        f"spec.rulePrecedence: required, because groupMemberLimit {limit} differs from the standard "
        f"rule's limit ({' or '.join(str(s) for s in standard)}) and the managed clone needs a "
        f"precedence in {facts.CUSTOM_PRECEDENCE_MIN}-{facts.CUSTOM_PRECEDENCE_MAX}",
    )


def _managed_rules_are_distinct(doc: Document) -> Iterator[Problem]:
    """Each managed clone has a precedence and a name of its own; a clone may keep its own standard
    rule's name (an editable copy made in the Rules Editor does), never another standard rule's."""
    spec = _get(doc.data, ("spec",), dict)
    if spec is None:
        return
    join, writeup = limitrules.GROUP_JOIN, limitrules.GROUP_WRITEUP
    precedences = [_get(doc.data, ("spec", f.precedence_key), int) for f in (join, writeup)]
    if precedences[0] is not None and precedences[0] == precedences[1]:
        yield doc.problem(
            ("spec", writeup.precedence_key),
            f"spec.{writeup.precedence_key}: {precedences[1]} is rulePrecedence already; each managed rule "
            "needs a precedence of its own",
        )
    names = {f: _get(doc.data, ("spec", f.name_key), str) or f.default_clone_name for f in (join, writeup)}
    if names[join] == names[writeup]:
        yield doc.problem(
            ("spec", writeup.name_key),
            f"spec.{writeup.name_key}: '{names[writeup]}' is the name of the other managed rule (ruleName)",
        )
    for family in (join, writeup):
        named = limitrules.family_named(names[family])
        if named is not None and named is not family and family.name_key in spec:
            yield doc.problem(
                ("spec", family.name_key),
                f"spec.{family.name_key}: '{names[family]}' is the name of the standard rule '{named.name}'; "
                f"the managed clone of '{family.name}' may keep only its own standard rule's name",
            )


def _windows_open(doc: Document) -> Iterator[Problem]:
    """Each sync window read by the code that opens it in a run, so validate passes none a run refuses."""
    for index, window in enumerate(_get(doc.data, ("spec", "windows"), list) or ()):
        if isinstance(window, dict):
            for key, reason in windows.problems(window):
                yield doc.problem(("spec", "windows", index, key), f"spec.windows[{index}].{key}: {reason}")


CHECKS: tuple[Callable[[Document], Iterator[Problem]], ...] = (
    _limit_needs_v2,
    _no_v2_in_cloud,
    _precedence_when_cloned,
    _managed_rules_are_distinct,
    _windows_open,
)


def check(doc: Document) -> list[Problem]:
    return [p for check_of in CHECKS for p in check_of(doc)]
