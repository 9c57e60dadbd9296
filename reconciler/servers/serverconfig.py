"""Reading a `Get-ADSyncServerConfiguration -Path DIR` export into the observed-state model.

Layout (the real format, see shared/fixtures): `GlobalSettings/MV.xml` (global parameters, the
product version among them), `Connectors/Connector_{GUID}.xml` (one `<ma-data>` per connector),
`SynchronizationRules/SynchronizationRule_{GUID}.xml` (one `<synchronizationRule>` each).

An export holds no live state: not the import API version (registry only), not the scheduler's
SyncCycleEnabled or SyncCycleInProgress, not group sizes, not connector overrides. Those are
listed in `unobserved` and the planner plans nothing from them. XML is read with defusedxml, so
entity expansion and external references are refused, and only the Azure AD connector's file is
parsed: the on-premises connector's (megabytes of schema) is never opened.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from reconciler.errors import UserError
from reconciler.formats import files
from reconciler.model import facts, identity, observed
from reconciler.model.observed import (
    AadConnector,
    AttributeFlowMapping,
    JoinCondition,
    JoinConditionGroup,
    ObservedState,
    Registry,
    Scheduler,
    ScopeCondition,
    ScopeConditionGroup,
    ServerInfo,
    SyncRule,
)

API_VERSION_FOR_EXPORT_TYPE = {t: v for v, t in facts.EXPORT_TYPE_FOR_API_VERSION.items()}
NOT_IN_AN_EXPORT = (
    "registry.AadConnectorImportApiVersion",
    observed.EXPORT_FILTERING_PATH,
    "scheduler.SyncCycleEnabled",
    "scheduler.SyncCycleInProgress",
    "scheduler.AllowedSyncCycleInterval",
    "scheduler.CustomizedSyncCycleInterval",
    "server.tenantHasVerifiedDomain",
    observed.OVERRIDES_PATH,
    observed.GROUPS_PATH,
)


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Every way reading an XML file can fail, as one line naming the file."""
    files.check_regular(path, str(path))  # a FIFO or a device would be read forever
    try:
        yield
    except DefusedXmlException as exc:
        raise UserError(
            f"{path}: refused: the XML declares entities or external references ({type(exc).__name__})"
        ) from None
    except SafeET.ParseError as exc:
        raise UserError(f"{path}: not valid XML: {exc}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    except (LookupError, ValueError) as exc:  # an unknown encoding= in the declaration, and the like
        raise UserError(f"{path}: not valid XML: {str(exc)[:120]}") from None


def _parse(path: Path) -> Element:
    with _reading(path):
        root = SafeET.parse(path).getroot()
    if root is None:
        raise UserError(f"{path}: empty XML document")
    return root


def _text(element: Element, tag: str, where: Path, required: bool = True) -> str:
    found = element.find(tag)
    if found is None:
        if required:
            raise UserError(f"{where}: no <{tag}> element")
        return ""
    return (found.text or "").strip()


def _guid(text: str) -> str:
    return text.strip().strip("{}").lower()


def _bool(text: str, where: Path) -> bool:
    if text.lower() in ("true", "1"):
        return True
    if text.lower() in ("false", "0", ""):
        return False
    raise UserError(f"{where}: {text!r} is not True or False")


def _int(text: str, where: Path, what: str) -> int:
    # ASCII digits only: '13²' and '¹' pass str.isdigit() and then fail int().
    if not re.fullmatch(r"-?[0-9]{1,18}", text):
        raise UserError(f"{where}: {what} {text[:40]!r} is not a number")
    return int(text)


def _parameters(mv: Path) -> dict[str, str]:
    root = _parse(mv)
    return {p.get("name", ""): (p.text or "").strip() for p in root.iter("parameter") if p.get("name")}


def _connector_id(path: Path) -> str | None:
    """The connector's `<id>`, read without parsing the rest of the file."""
    with _reading(path):
        for _event, element in SafeET.iterparse(path, events=("end",)):
            if element.tag == "id":
                return _guid(element.text or "")
    return None


def _aad_connector_file(folder: Path) -> Path:
    files = sorted((folder / "Connectors").glob("Connector_*.xml"))
    by_name = [f for f in files if _guid(f.stem.removeprefix("Connector_")) == facts.AAD_CONNECTOR_ID]
    if by_name:
        return by_name[0]
    for path in files:  # renamed files: look inside, id first
        if _connector_id(path) == facts.AAD_CONNECTOR_ID:
            return path
    raise UserError(f"{folder}: no Azure AD connector ({facts.AAD_CONNECTOR_ID}) in Connectors/")


def _aad_connector(path: Path) -> tuple[AadConnector, str | None, str | None]:
    """The connector, the cloud its sign-in authority names (None when it names none we know), and
    the computer its sync account names (None when the account is not one the wizard made)."""
    root = _parse(path)
    export_type = root.find("private-configuration/MAConfig/extension-config/export-type")
    if export_type is None or not (export_type.text or "").strip():
        raise UserError(f"{path}: no private-configuration/MAConfig/extension-config/export-type")
    kind = _int((export_type.text or "").strip(), path, "export-type")
    if kind not in API_VERSION_FOR_EXPORT_TYPE:
        raise UserError(f"{path}: export-type {kind} is neither V1 (2) nor V2 (5)")
    authority = root.findtext("private-configuration/MAConfig/aad-password-reset-config/adal-authority") or ""
    cloud = facts.AUTHORITY_HOST_CLOUDS.get(urlparse(authority.strip()).hostname or "")
    account = next(
        (
            (p.text or "").strip()
            for p in root.iterfind("private-configuration/MAConfig/parameter-values/parameter")
            if p.get("name") == "UserName"
        ),
        "",
    )
    host = identity.host_of_sync_account(account)
    return AadConnector(_guid(_text(root, "id", path)), _text(root, "name", path), kind), cloud, host


def _mapping(element: Element, where: Path) -> AttributeFlowMapping:
    sources = tuple((a.text or "").strip() for a in element.iterfind("src/attr"))
    expression = element.findtext("expression")
    constant = element.findtext("constant")
    if expression is not None:
        flow_type, text = "Expression", expression.strip()
    elif constant is not None:
        flow_type, text = "Constant", constant.strip()
    else:
        flow_type, text = "Direct", None
    merge = _text(element, "valueMergeType", where, required=False) or "Update"
    once = _bool(_text(element, "executeOnce", where, required=False), where)
    return AttributeFlowMapping(sources, _text(element, "dest", where), flow_type, text, merge, once)


def _rule(path: Path) -> SyncRule:
    root = _parse(path)
    if root.tag != "synchronizationRule":
        raise UserError(f"{path}: expected <synchronizationRule>, found <{root.tag}>")
    tag = _text(root, "immutable-tag", path, required=False) or None
    scope = tuple(
        ScopeConditionGroup(
            tuple(
                ScopeCondition(
                    _text(s, "csAttribute", path),
                    _text(s, "csOperator", path),
                    _text(s, "csValue", path, required=False),
                )
                for s in group.iterfind("scope")
            )
        )
        for group in root.iterfind("synchronizationCriteria/conditions")
    )
    join = tuple(
        JoinConditionGroup(
            tuple(
                JoinCondition(
                    _text(c, "csAttribute", path),
                    _text(c, "ilmAttribute", path),
                    _bool(_text(c, "caseSensitive", path, required=False), path),
                )
                for c in group.iterfind("condition")
            )
        )
        for group in root.iterfind("relationshipCriteria/conditions")
    )
    return SyncRule(
        identifier=_guid(_text(root, "id", path)),
        name=_text(root, "name", path),
        version=_int(_text(root, "version", path), path, "version"),
        direction=_text(root, "direction", path),
        precedence=_int(_text(root, "precedence", path), path, "precedence"),
        disabled=_bool(_text(root, "disabled", path), path),
        immutable_tag=tag,
        is_standard_rule=(tag or "").startswith("Microsoft."),
        connector=_guid(_text(root, "connector", path)),
        source_object_type=_text(root, "sourceObjectType", path),
        target_object_type=_text(root, "targetObjectType", path),
        link_type=_text(root, "linkType", path),
        scope_filter=scope,
        join_filter=join,
        attribute_flow_mappings=tuple(_mapping(m, path) for m in root.iterfind("attribute-mappings/mapping")),
    )


def read(folder: Path, name: str) -> ObservedState:
    """The observed state of the server that wrote the export in `folder`, named `name`."""
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder (export:DIR names a Get-ADSyncServerConfiguration export)")
    mv = folder / "GlobalSettings" / "MV.xml"
    if not mv.is_file():
        raise UserError(f"{folder}: no GlobalSettings/MV.xml: not a Get-ADSyncServerConfiguration export")
    params = _parameters(mv)
    version = params.get(facts.VERSION_PARAMETER)
    if not version:
        raise UserError(f"{mv}: no parameter {facts.VERSION_PARAMETER}")
    connector, cloud, host = _aad_connector(_aad_connector_file(folder))
    rule_files = sorted((folder / "SynchronizationRules").glob("SynchronizationRule_*.xml"))
    if not rule_files:
        raise UserError(f"{folder}: no SynchronizationRules/SynchronizationRule_*.xml")
    unobserved = list(NOT_IN_AN_EXPORT)
    if cloud is None:
        unobserved.append("server.cloud")
    data: dict[str, Any] = observed.to_json(
        ObservedState(
            collected_at=_modified(folder),
            # The machine is the one the export's sync account was made on, when it names one.
            server=ServerInfo(name, version, cloud or "AzureCommercial", None, host=host),
            registry=Registry(API_VERSION_FOR_EXPORT_TYPE[connector.export_type], None),
            aad_connector=connector,
            scheduler=Scheduler(
                sync_cycle_enabled=None,
                sync_cycle_in_progress=None,
                staging_mode_enabled=_optional_bool(params, facts.STAGING_PARAMETER, mv),
                scheduler_suspended=_optional_bool(params, "Microsoft.Synchronize.SchedulerSuspended", mv),
                maintenance_enabled=_optional_bool(params, "Microsoft.Synchronize.MaintenanceEnabled", mv),
                next_sync_cycle_policy_type=params.get("Microsoft.Synchronize.SynchronizationPolicy") or None,
                allowed_sync_cycle_interval=None,
                currently_effective_sync_cycle_interval=params.get("Microsoft.Synchronize.TimeInterval") or None,
                customized_sync_cycle_interval=None,
            ),
            connector_overrides=(),
            sync_rules=tuple(_rule(p) for p in rule_files),
            unobserved=tuple(unobserved),
        )
    )
    # Through the schema like any other source: an export with values we do not know is an error.
    return observed.from_json(data, str(folder))


def _optional_bool(params: dict[str, str], key: str, where: Path) -> bool | None:
    return _bool(params[key], where) if key in params else None


def _modified(folder: Path) -> str:
    # The export's own time: when MV.xml was written.
    stamp = datetime.fromtimestamp((folder / "GlobalSettings" / "MV.xml").stat().st_mtime, tz=UTC)
    return stamp.replace(microsecond=0).isoformat().replace("+00:00", "Z")
