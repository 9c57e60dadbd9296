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
        ("1.6.2.4", "AzureCommercial", "2026-12-06",
         "build 1.6.2.4 is a 1.x build: 1.x builds do not synchronize since 2023-10-01; upgrade to 2.6.92.0"),
        # Since 2026-09-30 every build below 2.5.79.0 stops synchronizing, in every cloud.
        ("2.4.21.0", "AzureUSGovernment", "2026-12-06",
         "build 2.4.21.0 does not synchronize since 2026-09-30 (minimum 2.5.79.0); upgrade to 2.6.92.0"),
        ("2.5.76.0", "AzureCommercial", "2026-09-30",
         "build 2.5.76.0 does not synchronize since 2026-09-30 (minimum 2.5.79.0); upgrade to 2.6.92.0"),
        ("2.5.76.0", "AzureCommercial", "2026-09-29",
         "build 2.5.76.0 reached end of support on 2026-09-01; it stops synchronizing on 2026-09-30 (minimum "
         "2.5.79.0); upgrade to 2.6.92.0"),
        # The 2025 hardening broke the wizard's sign-in, not synchronization.
        ("2.4.18.0", "AzureUSGovernment", "2025-05-01",
         "build 2.4.18.0: the wizard's sign-in fails on it since 2025-04-30 (synchronization continues); it stops "
         "synchronizing on 2026-09-30 (minimum 2.5.79.0); upgrade to 2.6.92.0"),
        ("2.2.8.0", "AzureCommercial", "2024-12-20",
         "build 2.2.8.0 reached end of support on 2024-12-12; it stops synchronizing on 2026-09-30 (minimum "
         "2.5.79.0); upgrade to 2.6.92.0"),
        ("2.5.79.0", "AzureCommercial", "2026-12-06",
         "build 2.5.79.0 reached end of support on 2026-10-23; upgrade to 2.6.92.0"),
        ("2.5.190.0", "AzureCommercial", "2026-12-06",
         "build 2.5.190.0 reaches end of support on 2027-02-02; upgrade to 2.6.92.0"),
        ("2.6.1.0", "AzureCommercial", "2026-12-06", None),
        ("2.6.92.0", "AzureChina21Vianet", "2026-12-06", None),
        ("2.6.100.0", "AzureCommercial", "2030-01-01",
         "build 2.6.100.0 is newer than this tool's table (2026-12-06): its support is not judged"),
        ("2.5.100.0", "AzureCommercial", "2026-12-06",
         "build 2.5.100.0 is not in this tool's table of supported builds (checked 2026-12-06); upgrade to 2.6.92.0"),
    ],
)  # fmt: skip
def test_support_lifecycle(version: str, cloud: str, today: str, warning: str | None) -> None:
    assert builds.support_warning(version, cloud, today) == warning


def test_the_current_build_is_the_newest_without_an_end_of_support() -> None:
    table = builds.support_table()
    assert builds.current_version() == "2.6.92.0"
    assert table.current >= table.minimum
    assert all(r.end_of_support is not None for r in table.rows if r.version < table.current)


def test_every_row_and_fact_names_a_source_of_a_known_kind() -> None:
    table = builds.support_table()
    sources = [r.source for r in table.rows] + [table.minimum_source, table.wizard_source, table.one_x_source]
    assert {s.kind for s in sources} <= {"microsoft", "secondary"}
    assert all(s.url.startswith("https://learn.microsoft.com/") and s.read for s in sources)
    # The cut-off itself is Microsoft's own word; dates only transcribed by others say so.
    assert table.minimum_source.kind == "microsoft"


@pytest.mark.parametrize(("on", "stale"), [("2027-06-04", False), ("2027-06-05", True)])
def test_an_old_table_says_its_age(on: str, stale: bool) -> None:
    warning = builds.table_age_warning(on)
    assert (warning is not None) is stale
    if warning is not None:
        assert warning.startswith("this tool's build table was checked on 2026-12-06, 181 days ago")


@pytest.mark.parametrize(("version", "known"), [("2.6.92.0", True), ("1.6.2.4", True), ("9.9.9.9", False),
                                                ("2.4.22.0", False), ("0.0.0.0", False),
                                                ("0.9.1.0", False)])  # fmt: skip
def test_the_table_knows_its_builds_and_every_1x(version: str, known: bool) -> None:
    assert builds.support_table().knows(version) is known
