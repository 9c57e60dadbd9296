"""Writes an observed state as a `Get-ADSyncServerConfiguration -Path DIR` export, in the real
format (element for element as the 1.1.130.0 export in shared/fixtures), so that the suite can test
the export reader from this repository alone.

    python -m tests.exportwriter      # regenerate tests/fixtures/export-*/ from the simulator
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from reconciler.model import facts
from reconciler.model.observed import ObservedState, SyncRule

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AUTHORITIES = {
    "AzureCommercial": "https://login.windows.net/contoso.onmicrosoft.com",
    "AzureUSGovernment": "https://login.microsoftonline.us/contoso.onmicrosoft.us",
    "AzureChina21Vianet": "https://login.chinacloudapi.cn/contoso.partner.onmschina.cn",
    "AzureGermany": "https://login.microsoftonline.de/contoso.onmicrosoft.de",
}
AD_CONNECTOR = "ae4db4cc-b16b-4eb2-acf5-837ca84e4d7d"
EXPORT_DATE = "2026-11-23 09:00:00.000"
NO_RULE = "{00000000-0000-0000-0000-000000000000}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _write(root: ET.Element, path: Path) -> None:
    ET.indent(root, space="  ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n")


def _braced(guid: str) -> str:
    return "{" + guid.strip("{}") + "}"


def _bool(value: bool) -> str:
    return "True" if value else "False"


def _mv(state: ObservedState) -> ET.Element:
    root = ET.Element("saved-mv-configuration", {"server": state.server.name.upper(), "export-date": EXPORT_DATE})
    data = _add(root, "mv-data")
    _add(data, "format-version", "1")
    _add(data, "version", "1")
    values = _add(data, "parameter-values")
    scheduler = state.scheduler
    parameters = {
        "Microsoft.Synchronize.SynchronizationPolicy": scheduler.next_sync_cycle_policy_type or "Delta",
        "Microsoft.Synchronize.MaintenanceEnabled": _bool(bool(scheduler.maintenance_enabled)),
        "Microsoft.Synchronize.SchedulerSuspended": _bool(bool(scheduler.scheduler_suspended)),
        "Microsoft.Synchronize.TimeInterval": scheduler.currently_effective_sync_cycle_interval or "00:30:00",
        facts.VERSION_PARAMETER: state.server.version,
        facts.STAGING_PARAMETER: _bool(bool(scheduler.staging_mode_enabled)),
    }
    for name, value in parameters.items():
        _add(values, "parameter", value, name=name, type="string", use="SynchronizationGlobal", dataType="String")
    return root


def _connector(identifier: str, name: str, category: str, export_type: int | None, cloud: str) -> ET.Element:
    root = ET.Element("ma-data")
    _add(root, "format-version", "1")
    _add(root, "id", _braced(identifier).upper())
    _add(root, "name", name)
    _add(root, "category", category)
    _add(root, "description")
    if export_type is not None:
        config = _add(_add(root, "private-configuration"), "MAConfig")
        extension = _add(config, "extension-config")
        _add(extension, "filename", "Microsoft.Azure.ActiveDirectory.Connector.dll")
        _add(extension, "export-type", str(export_type))
        reset = _add(config, "aad-password-reset-config")
        _add(reset, "enabled", "0")
        _add(reset, "adal-authority", AUTHORITIES[cloud])
    return root


def _rule(rule: SyncRule) -> ET.Element:
    root = ET.Element("synchronizationRule")
    _add(root, "id", _braced(rule.identifier))
    _add(root, "internal-id", _braced(rule.identifier))
    _add(root, "version", str(rule.version))
    _add(root, "name", rule.name)
    _add(root, "description")
    _add(root, "immutable-tag", rule.immutable_tag)
    _add(root, "direction", rule.direction)
    _add(root, "disabled", _bool(rule.disabled))
    _add(root, "connector", _braced(rule.connector))
    _add(root, "sourceObjectType", rule.source_object_type)
    _add(root, "targetObjectType", rule.target_object_type)
    _add(root, "linkType", rule.link_type)
    _add(root, "precedence", str(rule.precedence))
    _add(root, "precedence-after", NO_RULE)
    _add(root, "precedence-before", NO_RULE)
    _add(root, "softDeleteExpiryInterval", "00:00:00")
    _add(root, "EnablePasswordSync", "false")
    mappings = _add(root, "attribute-mappings")
    for flow in rule.attribute_flow_mappings:
        mapping = _add(mappings, "mapping")
        _add(mapping, "dest", flow.destination)
        if flow.source:
            sources = _add(mapping, "src")
            for source in flow.source:
                _add(sources, "attr", source)
        if flow.flow_type != "Direct":
            _add(mapping, "expression" if flow.flow_type == "Expression" else "constant", flow.expression or "")
        if flow.execute_once:
            _add(mapping, "executeOnce", "True")
        _add(mapping, "valueMergeType", flow.value_merge_type)
    for group in rule.join_filter:
        conditions = _add(_add(root, "relationshipCriteria"), "conditions")
        for join in group.conditions:
            condition = _add(conditions, "condition")
            _add(condition, "csAttribute", join.cs_attribute)
            _add(condition, "ilmAttribute", join.mv_attribute)
            if join.case_sensitive:
                _add(condition, "caseSensitive", "True")
    if rule.scope_filter:
        criteria = _add(root, "synchronizationCriteria")
        for group in rule.scope_filter:
            conditions = _add(criteria, "conditions")
            for scope in group.conditions:
                element = _add(conditions, "scope")
                _add(element, "csAttribute", scope.attribute)
                _add(element, "csOperator", scope.comparison_operator)
                _add(element, "csValue", scope.comparison_value or None)
    return root


def write(state: ObservedState, folder: Path) -> None:
    """The export `Get-ADSyncServerConfiguration -Path folder` would write of this server."""
    if folder.exists():
        shutil.rmtree(folder)
    _write(_mv(state), folder / "GlobalSettings" / "MV.xml")
    aad = state.aad_connector
    connectors = folder / "Connectors"
    cloud = state.server.cloud
    _write(
        _connector(aad.identifier, aad.name, "Extensible2", aad.export_type, cloud),
        connectors / f"Connector_{_braced(aad.identifier)}.xml",
    )
    _write(
        _connector(AD_CONNECTOR, "contoso.com", "AD", None, cloud),
        connectors / f"Connector_{_braced(AD_CONNECTOR)}.xml",
    )
    for rule in state.sync_rules:
        _write(_rule(rule), folder / "SynchronizationRules" / f"SynchronizationRule_{_braced(rule.identifier)}.xml")


def examples() -> dict[str, ObservedState]:
    """The exports the suite reads: the twin of the real 1.1.130.0 sample (same build, same 62
    rules, V1), and a 1.6.2.4 server reconciled to 100,000 members (both limit rules cloned)."""
    import tempfile  # noqa: PLC0415 - only to build the examples

    from tests.scenario import apply, server, state  # noqa: PLC0415

    sample = server("1.1.130.0", name="contoso-sync01")
    raised = server("1.6.2.4", name="contoso-sim02")
    with tempfile.TemporaryDirectory() as journal:
        apply(raised, state("contoso-sim02"), Path(journal))
    return {"export-sim-1.1.130.0": sample.observe(), "export-sim-1.6.2.4-raised": raised.observe()}


def main() -> None:
    for name, observed in examples().items():
        write(observed, FIXTURES / name)
        print(f"wrote {FIXTURES / name}")


if __name__ == "__main__":
    main()
