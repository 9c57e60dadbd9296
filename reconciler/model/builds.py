"""The version behaviour table: every way Entra Connect Sync behaves differently by build.

Nothing else in the package compares version numbers; it asks this table. Each row holds the
builds it applies to and where the fact comes from (docs/domain.md). The support lifecycle (which
builds synchronize, their end of support, the current build) is data: builds.json beside this
module, with its sources and the day it was checked.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering
from pathlib import Path
from typing import Any

from reconciler.errors import UserError

_VERSION = re.compile(r"^\d{1,5}(\.\d{1,9}){1,3}$")


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    """A four-part product build number such as 1.6.2.4."""

    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> Version:
        if not isinstance(text, str):
            raise UserError(f"not a product version: {text!r} (expected e.g. 2.4.18.0)")
        return _parsed(text)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.parts < other.parts

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> Version:
    # A plan asks a server's version a dozen questions, each parsing it: parsed once.
    if not _VERSION.match(text.strip()):
        raise UserError(f"not a product version: {text!r} (expected e.g. 2.4.18.0)")
    parts = tuple(int(p) for p in text.strip().split("."))
    return Version(parts + (0,) * (4 - len(parts)))


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One fact: `key` has `value` on builds in [since, until)."""

    key: str
    since: Version
    until: Version | None
    value: Any
    source: str

    def applies_to(self, version: Version) -> bool:
        return self.since <= version and (self.until is None or version < self.until)


def _v(text: str) -> Version:
    return Version.parse(text)


_ZERO = _v("0.0.0.0")
_V1_5_30 = _v("1.5.30.0")
_V1_6_2_4 = _v("1.6.2.4")
_V2_0_3_0 = _v("2.0.3.0")

TABLE: tuple[Behaviour, ...] = (
    Behaviour(
        "v2_supported",
        _ZERO,
        _V1_5_30,
        False,
        "V2 endpoint page, prerequisites: V2 needs Azure AD Connect 1.5.30.0 or later",
    ),
    Behaviour(
        "v2_supported",
        _V1_5_30,
        None,
        True,
        "V2 endpoint page, prerequisites: V2 needs Azure AD Connect 1.5.30.0 or later",
    ),
    Behaviour(
        "default_api_version",
        _ZERO,
        _V1_6_2_4,
        1,
        "version history 1.6.2.4: V2 becomes the default; before it an absent registry value means V1",
    ),
    Behaviour(
        "default_api_version",
        _V1_6_2_4,
        None,
        2,
        "version history 1.6.2.4: V2 endpoint is the default when the registry value is absent",
    ),
    Behaviour(
        "standard_member_limit",
        _ZERO,
        _V2_0_3_0,
        50_000,
        "real 1.1.130.0 export: Out to AAD - Group Join flows member only up to 50000",
    ),
    Behaviour(
        "standard_member_limit",
        _V2_0_3_0,
        None,
        250_000,
        "version history 2.0.3.0: V2 used and the default group limit raised to 250,000",
    ),
    Behaviour(
        "group_writeup_member_limit_rule",
        _ZERO,
        _V1_6_2_4,
        False,
        "version history 1.6.2.4: 'Out to AAD - Group Writeup Member Limit' rule added",
    ),
    Behaviour(
        "group_writeup_member_limit_rule",
        _V1_6_2_4,
        None,
        True,
        "version history 1.6.2.4: 'Out to AAD - Group Writeup Member Limit' rule added",
    ),
    Behaviour(
        "upgrade_resets_member_limit",
        _v("1.6.0.0"),
        _v("1.7.0.0"),
        True,
        "V2 endpoint page, known issue: upgrading to a 1.6 build resets the group membership limit to 50k",
    ),
    Behaviour("upgrade_resets_member_limit", _ZERO, _v("1.6.0.0"), False, "no such known issue outside 1.6"),
    Behaviour("upgrade_resets_member_limit", _v("1.7.0.0"), None, False, "no such known issue outside 1.6"),
    Behaviour(
        "upgrade_keeps_endpoint_settings",
        _ZERO,
        None,
        False,
        "V2 endpoint page: endpoint settings are not preserved through an in-place upgrade",
    ),
    Behaviour(
        "upgrade_sets_full_sync_overrides",
        _ZERO,
        None,
        True,
        "scheduler reference: an upgrade records full import and full sync connector overrides",
    ),
)

# Support lifecycle: data with its sources and the day it was checked (builds.json, docs/domain.md).
TABLE_FILE = Path(__file__).with_name("builds.json")
# A table older than this may miss builds and dates: every plan says so.
STALE_AFTER_DAYS = 180
# A plan names an end of support this close, so that next month's upgrades can be planned.
END_OF_SUPPORT_NOTICE_DAYS = 90
# The 1.x builds (Azure AD Connect 1.0 to 1.6), which the table leaves out, all alike; a 0.x build never was.
_ONE_X_START, _ONE_X_END = "1.0.0.0", "2.0.0.0"
TODAY_ENV = "RECONCILER_TODAY"


@dataclass(frozen=True)
class Source:
    """Where a fact comes from; `kind` is "microsoft" (Microsoft's own text) or "secondary"."""

    key: str
    kind: str
    title: str
    url: str
    read: str


@dataclass(frozen=True)
class SupportRow:
    """One build Microsoft's version-history page listed, with its end of support (None: current)."""

    version: Version
    end_of_support: str | None
    source: Source
    note: str | None


@dataclass(frozen=True)
class SupportTable:
    checked: str
    sources: tuple[Source, ...]
    rows: tuple[SupportRow, ...]
    minimum: Version
    minimum_since: str
    minimum_source: Source
    one_x_stopped: str
    one_x_source: Source
    wizard_since: str
    wizard_minimum: dict[str, str]
    wizard_source: Source
    document: dict[str, Any]

    @property
    def newest(self) -> Version:
        return max(r.version for r in self.rows)

    @property
    def current(self) -> Version:
        """The newest build with no end of support: what every warning tells users to upgrade to."""
        return max((r.version for r in self.rows if r.end_of_support is None), default=self.newest)

    def row(self, version: Version) -> SupportRow | None:
        return next((r for r in self.rows if r.version == version), None)

    def knows(self, version: Version | str) -> bool:
        """True for a build in the table, and for a 1.x build (the table leaves them out, all alike)."""
        v = Version.parse(version) if isinstance(version, str) else version
        return _one_x(v) or self.row(v) is not None


def _one_x(v: Version) -> bool:
    return _v(_ONE_X_START) <= v < _v(_ONE_X_END)


@functools.cache
def support_table() -> SupportTable:
    document: dict[str, Any] = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    sources = {k: Source(k, s["kind"], s["title"], s["url"], s["read"]) for k, s in document["sources"].items()}
    rows = tuple(
        SupportRow(Version.parse(b["version"]), b["endOfSupport"], sources[b["source"]], b.get("note"))
        for b in document["builds"]
    )
    minimum, wizard, one_x = document["minimum"], document["wizardSignIn"], document["oneX"]
    return SupportTable(
        checked=document["checked"],
        sources=tuple(sources.values()),
        rows=tuple(sorted(rows, key=lambda r: r.version)),
        minimum=Version.parse(minimum["version"]),
        minimum_since=minimum["since"],
        minimum_source=sources[minimum["source"]],
        one_x_stopped=one_x["stoppedSynchronizing"],
        one_x_source=sources[one_x["source"]],
        wizard_since=wizard["since"],
        wizard_minimum=dict(wizard["minimum"]),
        wizard_source=sources[wizard["source"]],
        document=document,
    )


def current_version() -> str:
    """The build a new simulated server runs, and the one every support warning names."""
    return str(support_table().current)


def today() -> str:
    """The day support is judged on (ISO date): the clock's, or RECONCILER_TODAY's (a plan as of a later day)."""
    given = os.environ.get(TODAY_ENV)
    if not given:
        return date.today().isoformat()
    try:
        return date.fromisoformat(given).isoformat()
    except ValueError:
        raise UserError(f"{TODAY_ENV}: {given[:40]!r} is not a date (YYYY-MM-DD)") from None


def table_age_days(on: str) -> int:
    return _days(support_table().checked, on)


def table_age_warning(on: str) -> str | None:
    """Said once in every plan when the table is older than STALE_AFTER_DAYS on `on` (ISO date)."""
    age = table_age_days(on)
    if age <= STALE_AFTER_DAYS:
        return None
    return (
        f"this tool's build table was checked on {support_table().checked}, {age} days ago: builds and support dates "
        "Microsoft published since are unknown to it (reconciler builds)"
    )


@functools.lru_cache(maxsize=64)  # one text a fleet's plans share (and pickle once), not 10,000
def support_warning(version: Version | str, cloud: str, today: str) -> str | None:
    """What a server's build means for synchronization and support on `today` (ISO date); None if all is well."""
    v = Version.parse(version) if isinstance(version, str) else version
    table = support_table()
    upgrade = f"upgrade to {table.current}"
    if v > table.newest:
        return f"build {v} is newer than this tool's table ({table.checked}): its support is not judged"
    if _one_x(v):
        return f"build {v} is a 1.x build: 1.x builds do not synchronize since {table.one_x_stopped}; {upgrade}"
    if v < table.minimum and today >= table.minimum_since:
        return f"build {v} does not synchronize since {table.minimum_since} (minimum {table.minimum}); {upgrade}"
    row = table.row(v)
    said = []
    if row is None:
        said.append(f"build {v} is not in this tool's table of supported builds (checked {table.checked})")
    elif row.end_of_support is not None and today >= row.end_of_support:
        said.append(f"build {v} reached end of support on {row.end_of_support}")
    elif row.end_of_support is not None and _days(today, row.end_of_support) <= END_OF_SUPPORT_NOTICE_DAYS:
        said.append(f"build {v} reaches end of support on {row.end_of_support}")
    if v < _v(table.wizard_minimum.get(cloud, table.wizard_minimum["other"])) and today >= table.wizard_since:
        # The 2025 hardening concerns the wizard's sign-in only: synchronization continues.
        said.append(f"the wizard's sign-in fails on it since {table.wizard_since} (synchronization continues)")
    if v < table.minimum:
        said.append(f"it stops synchronizing on {table.minimum_since} (minimum {table.minimum})")
    if not said:
        return None
    if not said[0].startswith("build"):
        said[0] = f"build {v}: {said[0]}"
    return "; ".join([*said, upgrade])


@dataclass(frozen=True, slots=True)
class Support:
    """A build's standing on a day, as health judges it (`support_warning` says it in words)."""

    synchronizes: bool | None  # None: newer than the table, not judged
    supported: bool | None  # in Microsoft's list and not past its end of support; None: not judged
    end_of_support: str | None  # its row's date (None: current, or not in the table)


def support_of(version: Version | str, today: str) -> Support:
    """Whether a build synchronizes and is supported on `today` (ISO date), from the same table."""
    v = Version.parse(version) if isinstance(version, str) else version
    table = support_table()
    if v > table.newest:
        return Support(None, None, None)
    if _one_x(v):
        return Support(today < table.one_x_stopped, False, None)
    synchronizes = not (v < table.minimum and today >= table.minimum_since)
    row = table.row(v)
    if row is None:
        return Support(synchronizes, False, None)
    return Support(synchronizes, row.end_of_support is None or today < row.end_of_support, row.end_of_support)


def _days(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def lookup(key: str, version: Version | str) -> Any:
    """The value of behaviour `key` on `version`."""
    v = Version.parse(version) if isinstance(version, str) else version
    return _lookup(key, v)


@functools.lru_cache(maxsize=1024)
def _lookup(key: str, v: Version) -> Any:
    for row in TABLE:
        if row.key == key and row.applies_to(v):
            return row.value
    raise KeyError(f"version table has no row for {key} at {v}")


def values_of(key: str) -> frozenset[Any]:
    """Every value `key` takes on some build (e.g. every standard member limit)."""
    return frozenset(row.value for row in TABLE if row.key == key)


def supports_v2(version: Version | str) -> bool:
    return bool(lookup("v2_supported", version))


def default_api_version(version: Version | str) -> int:
    return int(lookup("default_api_version", version))


def standard_member_limit(version: Version | str) -> int:
    return int(lookup("standard_member_limit", version))


def upgrade_resets_member_limit(target: Version | str) -> bool:
    return bool(lookup("upgrade_resets_member_limit", target))


def minimum_v2_version() -> Version:
    return min(row.since for row in TABLE if row.key == "v2_supported" and row.value)
