from __future__ import annotations

import dataclasses

import pytest

from reconciler.model import inforce
from reconciler.model.observed import Registry
from reconciler.servers.simulator import defaults


@pytest.mark.parametrize(("version", "versions"), [("1.5.30.0", (1, 1)), ("1.6.2.4", (2, 2)), ("2.4.18.0", (2, 2))])
def test_absent_registry_values_mean_the_builds_default(version: str, versions: tuple[int, int]) -> None:
    assert inforce.api_versions(defaults.new_server("s", version)) == versions


def test_registry_values_win_over_the_default() -> None:
    state = defaults.new_server("s", "2.4.18.0").replace(registry=Registry(1, None))
    assert inforce.api_versions(state) == (1, 2)
    assert inforce.sync_cap(state) == 50000


def test_unverified_domain_caps_at_15000() -> None:
    state = defaults.new_server("s", "2.4.18.0")
    state = state.replace(server=dataclasses.replace(state.server, tenant_has_verified_domain=False))
    assert inforce.member_limit(state) == 15000


def test_member_limit_is_the_rule_within_the_cap() -> None:
    assert inforce.member_limit(defaults.new_server("s", "2.4.18.0")) == 250000
    assert inforce.member_limit(defaults.new_server("s", "1.6.2.4")) == 50000


def test_the_export_version_lives_in_three_places() -> None:
    state = defaults.new_server("s", "2.4.18.0")
    assert inforce.export_parts(state) == (2, 2, 2)
    absent = state.replace(registry=dataclasses.replace(state.registry, export_filtering=None))
    assert inforce.export_parts(absent) == (2, 2, 2)  # absent, it reads as the build's default: V2
    v1_filtering = state.replace(registry=dataclasses.replace(state.registry, export_filtering=0))
    assert inforce.export_parts(v1_filtering) == (2, 2, 1)
    assert inforce.read(v1_filtering).export_mismatch
    unseen = v1_filtering.replace(unobserved=("registry.EnableNonExistentObjectReferenceExportFiltering",))
    assert inforce.export_parts(unseen) == (2, 2, None)
    assert not inforce.read(unseen).export_mismatch
