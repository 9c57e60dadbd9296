"""Reading `Get-ADSyncServerConfiguration` exports: our twin of the real 1.1.130.0 sample, and the real one
where shared/fixtures is beside the checkout."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import UserError
from reconciler.model import inforce, syncrules
from reconciler.planning import views
from reconciler.servers import serverconfig
from tests.support import SIM_EXPORT


def test_the_real_export_reads_as_documented(contoso_export: Path) -> None:
    state = serverconfig.read(contoso_export, "contoso-sync01")
    assert state.server.version == "1.1.130.0"
    assert state.server.cloud == "AzureCommercial"  # from the connector's sign-in authority
    assert len(state.sync_rules) == 62
    assert state.aad_connector.name == "contoso.onmicrosoft.com - AAD"
    assert state.aad_connector.export_type == 2
    assert state.registry.export_api_version == 1
    standard = syncrules.standard_group_join(state)
    assert standard is not None
    assert (standard.name, standard.precedence, standard.identifier) == (
        "Out to AAD - Group Join", 139, "039dcc3a-1513-4c08-b296-0973691e644a"
    )  # fmt: skip
    assert syncrules.rule_limit(standard) == syncrules.RuleLimit(50000, (50000, 50000))
    assert syncrules.effective_limit(state) == 50000
    assert inforce.api_versions(state)[0] == 1


def test_what_an_export_cannot_hold_is_unobserved_not_invented(contoso_export: Path) -> None:
    state = serverconfig.read(contoso_export, "contoso-sync01")
    assert state.registry.import_api_version is None
    assert state.scheduler.sync_cycle_enabled is None and state.scheduler.sync_cycle_in_progress is None
    assert state.groups is None and state.connector_overrides == ()
    assert set(views.unobserved(state)) == {"apiVersions.import", "scheduler.syncCycleEnabled"}
    assert state.scheduler.staging_mode_enabled is False and state.scheduler.maintenance_enabled is True


def test_the_large_on_premises_connector_file_is_never_parsed(
    contoso_export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its 1.8 MB are schema nothing here needs; the speed itself is measured in benchmarks/.
    parsed: list[str] = []
    real_parse, real_iterparse = serverconfig.SafeET.parse, serverconfig.SafeET.iterparse

    def parse(source: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(Path(source).name)
        return real_parse(source, *args, **kwargs)

    def iterparse(source: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(Path(source).name)
        return real_iterparse(source, *args, **kwargs)

    monkeypatch.setattr(serverconfig.SafeET, "parse", parse)
    monkeypatch.setattr(serverconfig.SafeET, "iterparse", iterparse)
    serverconfig.read(contoso_export, "contoso-sync01")
    assert "Connector_{b891884f-051e-4a83-95af-2544101c9083}.xml" in parsed
    assert not any(name.startswith("Connector_{ae4db4cc") for name in parsed)
    assert len(parsed) == 1 + 1 + 62  # MV.xml, the AAD connector, the rules


def _export(tmp_path: Path, mv: str, connector: str | None = None, rule: str | None = None) -> Path:
    (tmp_path / "GlobalSettings").mkdir()
    (tmp_path / "Connectors").mkdir()
    (tmp_path / "SynchronizationRules").mkdir()
    (tmp_path / "GlobalSettings" / "MV.xml").write_text(mv)
    if connector is not None:
        (tmp_path / "Connectors" / "Connector_{B891884F-051E-4A83-95AF-2544101C9083}.xml").write_text(connector)
    if rule is not None:
        (tmp_path / "SynchronizationRules" / "SynchronizationRule_{1}.xml").write_text(rule)
    return tmp_path


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<mv-data><parameter name='x'>&lol2;</parameter></mv-data>"
    )
    folder = _export(tmp_path, bomb)
    with pytest.raises(UserError, match=r"MV.xml: refused: the XML declares entities or external references"):
        serverconfig.read(folder, "x")


def test_external_entities_are_refused(tmp_path: Path) -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><mv-data>&x;</mv-data>'
    folder = _export(tmp_path, xxe)
    with pytest.raises(UserError, match="refused"):
        serverconfig.read(folder, "x")


def test_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no GlobalSettings/MV\.xml: not a Get-ADSyncServerConfiguration export"):
        serverconfig.read(tmp_path, "x")
    with pytest.raises(UserError, match="not a folder"):
        serverconfig.read(tmp_path / "missing", "x")


MV = (
    "<mv-data><parameter-values><parameter name='Microsoft.Synchronize.ServerConfigurationVersion'>"
    "1.6.2.4</parameter></parameter-values></mv-data>"
)
CONNECTOR = (
    "<ma-data><id>{B891884F-051E-4A83-95AF-2544101C9083}</id><name>t - AAD</name><private-configuration>"
    "<MAConfig><extension-config><export-type>{kind}</export-type></extension-config>"
    "<aad-password-reset-config><adal-authority>https://login.microsoftonline.us/t</adal-authority>"
    "</aad-password-reset-config></MAConfig></private-configuration></ma-data>"
)


def test_unknown_export_type_is_an_error(tmp_path: Path) -> None:
    folder = _export(tmp_path, MV, CONNECTOR.replace("{kind}", "3"), "<synchronizationRule/>")
    with pytest.raises(UserError, match="export-type 3 is neither V1 \\(2\\) nor V2 \\(5\\)"):
        serverconfig.read(folder, "x")


def test_a_rule_missing_its_parts_is_named(tmp_path: Path) -> None:
    folder = _export(
        tmp_path, MV, CONNECTOR.replace("{kind}", "5"), "<synchronizationRule><id>{1}</id></synchronizationRule>"
    )
    with pytest.raises(UserError, match=r"SynchronizationRule_\{1\}.xml: no <name> element"):
        serverconfig.read(folder, "x")


def test_us_government_authority_names_the_cloud(tmp_path: Path) -> None:
    rule = SIM_EXPORT / "SynchronizationRules" / "SynchronizationRule_{039dcc3a-1513-4c08-b296-0973691e644a}.xml"
    folder = _export(tmp_path, MV, CONNECTOR.replace("{kind}", "5"), rule.read_text())
    state = serverconfig.read(folder, "x")
    assert state.server.cloud == "AzureUSGovernment" and state.registry.export_api_version == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("<precedence>139</precedence>", "<precedence>13\u00b2</precedence>", "precedence '13²' is not a number"),
        ("<precedence>139</precedence>", "<precedence>--139</precedence>", "precedence '--139' is not a number"),
        ("<version>1</version>", "<version>\u00b9</version>", "version '¹' is not a number"),
    ],
)
def test_hostile_numbers_in_an_export_are_one_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = tmp_path / "export"
    shutil.copytree(SIM_EXPORT, folder)
    rule = folder / "SynchronizationRules" / "SynchronizationRule_{039dcc3a-1513-4c08-b296-0973691e644a}.xml"
    rule.write_text(rule.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(UserError) as caught:
        serverconfig.read(folder, "x")
    assert str(caught.value) == f"{rule}: {message}"


def test_an_unknown_xml_encoding_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(SIM_EXPORT, folder)
    mv = folder / "GlobalSettings" / "MV.xml"
    mv.write_bytes(b"<?xml version='1.0' encoding='x-nonsense'?>\n" + mv.read_bytes())
    with pytest.raises(UserError, match=r"MV.xml: not valid XML"):
        serverconfig.read(folder, "x")
