"""The version behaviour table: every way Entra Connect Sync behaves differently by build.

Nothing else in the package compares version numbers; it asks this table. Each row holds the
builds it applies to and where the fact comes from (docs/domain.md).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import total_ordering

from reconciler.errors import UserError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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

# A current, supported 2.x build in every cloud (see SIGN_IN_HARDENING), used for a new simulated
# server when no version is given.
CURRENT_VERSION = "2.4.21.0"

# Support lifecycle (entra-docs reference-connect-version-history.md): every 1.x build is
# unsupported and "synchronization does not function"; since 15 March 2023 a 2.x build retires 12
# months after a newer one is released. Published end-of-support dates of 2.x builds:
SOURCE_LIFECYCLE = "entra-docs reference-connect-version-history.md"
END_OF_SUPPORT: dict[str, str] = {
    "2.2.1.0": "2024-10-11",
    "2.2.8.0": "2024-12-12",
    "2.3.2.0": "2025-02-21",
    "2.3.6.0": "2025-04-01",
}
# entra-docs harden-update-ad-fs-pingfederate.md: from 2025-04-07 sign-in needs 2.4.18.0 in Azure
# Commercial and 2.4.21.0 in the other clouds; older builds stop authenticating.
SIGN_IN_HARDENING_DATE = "2025-04-07"
SIGN_IN_HARDENING = {"AzureCommercial": "2.4.18.0"}
SIGN_IN_HARDENING_OTHER_CLOUDS = "2.4.21.0"


@functools.lru_cache(maxsize=64)  # one text a fleet's plans share (and pickle once), not 10,000
def support_warning(version: Version | str, cloud: str, today: str) -> str | None:
    """Why a server's build is out of support on `today` (ISO date), and what to upgrade to; None if it is not."""
    v = Version.parse(version) if isinstance(version, str) else version
    needed = SIGN_IN_HARDENING.get(cloud, SIGN_IN_HARDENING_OTHER_CLOUDS)
    if v < _v("2.0.0.0"):
        return (
            f"build {v} is a 1.x build: every 1.x build is out of support and synchronization no longer "
            f"functions; upgrade to {needed} or later"
        )
    if today >= SIGN_IN_HARDENING_DATE and v < _v(needed):
        return (
            f"build {v} is below {needed}, which {cloud} sign-in needs since {SIGN_IN_HARDENING_DATE}; "
            f"upgrade to {needed} or later"
        )
    retired = END_OF_SUPPORT.get(str(v))
    if retired is not None and today >= retired:
        return f"build {v} reached end of support on {retired}; upgrade to {needed} or later"
    return None


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
