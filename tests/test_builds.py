from __future__ import annotations

import pytest

from reconciler.errors import UserError
from reconciler.model import builds
from reconciler.model.builds import Version


def test_parse_and_order() -> None:
    assert Version.parse("1.6.2.4") < Version.parse("1.6.10.0") < Version.parse("2.0")
    assert str(Version.parse("2.0")) == "2.0.0.0"


@pytest.mark.parametrize("text", ["", "2", "v2.0", "1.2.3.4.5", "1.x.0.0"])
def test_bad_versions_are_user_errors(text: str) -> None:
    with pytest.raises(UserError, match="not a product version"):
        Version.parse(text)


@pytest.mark.parametrize(("version", "supports"), [("1.5.22.0", False), ("1.5.30.0", True), ("2.4.18.0", True)])
def test_v2_minimum(version: str, supports: bool) -> None:
    assert builds.supports_v2(version) is supports


@pytest.mark.parametrize(("version", "default"), [("1.5.30.0", 1), ("1.6.2.3", 1), ("1.6.2.4", 2), ("2.1.1.0", 2)])
def test_default_api_version(version: str, default: int) -> None:
    assert builds.default_api_version(version) == default


@pytest.mark.parametrize(("version", "limit"), [("1.1.130.0", 50000), ("2.0.2.0", 50000), ("2.0.3.0", 250000)])
def test_standard_member_limit(version: str, limit: int) -> None:
    assert builds.standard_member_limit(version) == limit


@pytest.mark.parametrize(("target", "resets"), [("1.5.45.0", False), ("1.6.4.0", True), ("2.0.3.0", False)])
def test_the_1_6_reset(target: str, resets: bool) -> None:
    assert builds.upgrade_resets_member_limit(target) is resets


def test_every_key_covers_every_version_exactly_once() -> None:
    keys = {row.key for row in builds.TABLE}
    probes = [
        Version.parse(v)
        for v in ("0.0.0.1", "1.5.29.9", "1.5.30.0", "1.6.0.0", "1.6.2.4", "1.7.0.0", "2.0.3.0", "9.9.9.9")
    ]
    for key in keys:
        for probe in probes:
            matching = [row for row in builds.TABLE if row.key == key and row.applies_to(probe)]
            assert len(matching) == 1, (key, str(probe))


def test_every_row_names_its_source() -> None:
    assert all(len(row.source) > 20 for row in builds.TABLE)
    assert builds.minimum_v2_version() == Version.parse("1.5.30.0")


@pytest.mark.parametrize(
    ("version", "cloud", "today", "warning"),
    [
        ("1.6.2.4", "AzureCommercial", "2026-11-23",
         "build 1.6.2.4 is a 1.x build: every 1.x build is out of support and synchronization no longer functions; "
         "upgrade to 2.4.18.0 or later"),
        ("2.2.8.0", "AzureCommercial", "2024-12-20",
         "build 2.2.8.0 reached end of support on 2024-12-12; upgrade to 2.4.18.0 or later"),
        ("2.2.8.0", "AzureCommercial", "2024-12-01", None),
        ("2.3.20.0", "AzureCommercial", "2026-11-23",
         "build 2.3.20.0 is below 2.4.18.0, which AzureCommercial sign-in needs since 2025-04-07; upgrade to "
         "2.4.18.0 or later"),
        ("2.4.18.0", "AzureCommercial", "2026-11-23", None),
        ("2.4.18.0", "AzureUSGovernment", "2026-11-23",
         "build 2.4.18.0 is below 2.4.21.0, which AzureUSGovernment sign-in needs since 2025-04-07; upgrade to "
         "2.4.21.0 or later"),
        (builds.CURRENT_VERSION, "AzureChina21Vianet", "2026-11-23", None),
    ],
)  # fmt: skip
def test_support_lifecycle(version: str, cloud: str, today: str, warning: str | None) -> None:
    assert builds.support_warning(version, cloud, today) == warning
