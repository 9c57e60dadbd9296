"""PowerShell as the product speaks it: quoting, and the cmdlets that change a server.

Cmdlet facts (DESIGN §2; Microsoft's V2 endpoint page, the ADSync module, AADConnector.psm1):
- scheduler: `Set-ADSyncScheduler -SyncCycleEnabled $true|$false`, read with `Get-ADSyncScheduler`;
- endpoint: `Set-ADSyncAADConnectorExportApiVersion N`, `Set-ADSyncAADConnectorImportApiVersion N`,
  from `<install>\\Extensions\\AADConnector.psm1`, the install folder being the `Path` value of
  `HKLM:\\SYSTEM\\CurrentControlSet\\Services\\ADSync\\Parameters` (the drive letter varies);
- rules: there is no Set-ADSyncRule. A rule is created with `New-ADSyncRule`, then
  `Add-ADSyncAttributeFlowMapping`, `Add-ADSyncScopeConditionGroup`, `Add-ADSyncJoinConditionGroup`
  and stored with `Add-ADSyncRule` (the Synchronization Rules Editor's own export has this shape);
  disabled or enabled with `$r.Disabled = ...; $r | Add-ADSyncRule`; removed with
  `Remove-ADSyncRule -Identifier`;
- overrides: `Set-ADSyncSchedulerConnectorOverride -FullSyncRequired $false -ConnectorName '...'`.

Every value that comes from a user or a server (names, expressions) is written as a single-quoted
literal, never interpolated: PowerShell expands nothing inside single quotes, and a quote inside
is written twice. PowerShell takes five characters as single quotes (U+0027 apostrophe, U+2018
and U+2019 left and right quotation marks, U+201A low-9 and U+201B high-reversed-9), so all five
are doubled.
"""

from __future__ import annotations

from reconciler.observed import SyncRule

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
PARAMETERS_KEY = r"HKLM:\SYSTEM\CurrentControlSet\Services\ADSync\Parameters"
NO_RULE = "00000000-0000-0000-0000-000000000000"
SCOPE_CONDITION_TYPE = "Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition"
JOIN_CONDITION_TYPE = "Microsoft.IdentityManagement.PowerShell.ObjectModel.JoinCondition"


def quote(value: str) -> str:
    """A PowerShell single-quoted literal that reads back as exactly `value`."""
    return "'" + "".join(c + c if c in SINGLE_QUOTES else c for c in value) + "'"


def boolean(value: bool) -> str:
    return "$true" if value else "$false"


def string_array(values: tuple[str, ...] | list[str]) -> str:
    return "@(" + ",".join(quote(v) for v in values) + ")"


def _call(cmdlet: str, arguments: list[tuple[str, str]]) -> list[str]:
    """A cmdlet call, one parameter per line, as the Synchronization Rules Editor writes them."""
    lines = [f"{cmdlet} `"]
    for index, (name, value) in enumerate(arguments):
        end = " `" if index < len(arguments) - 1 else ""
        lines.append(f"    -{name} {value}{end}" if value else f"    -{name}{end}")
    return lines


def create_rule(rule: SyncRule) -> list[str]:
    """Statements that create `rule` exactly (an existing rule with its identifier must be removed first)."""
    lines = _call(
        "New-ADSyncRule",
        [
            ("Name", quote(rule.name)),
            ("Identifier", quote(rule.identifier)),
            ("Description", quote("")),
            ("Direction", quote(rule.direction)),
            ("Precedence", str(int(rule.precedence))),
            ("PrecedenceAfter", quote(NO_RULE)),
            ("PrecedenceBefore", quote(NO_RULE)),
            ("SourceObjectType", quote(rule.source_object_type)),
            ("TargetObjectType", quote(rule.target_object_type)),
            ("Connector", quote(rule.connector)),
            ("LinkType", quote(rule.link_type)),
            ("SoftDeleteExpiryInterval", "0"),
            ("ImmutableTag", quote(rule.immutable_tag or "")),
            ("OutVariable", "syncRule"),
        ],
    )
    lines += _flows(rule) + _scope_groups(rule) + _join_groups(rule)
    if rule.disabled:
        lines += ["", "$syncRule[0].Disabled = $true"]
    lines += ["", *_call("Add-ADSyncRule", [("SynchronizationRule", "$syncRule[0]")])]
    return lines


def _flows(rule: SyncRule) -> list[str]:
    lines: list[str] = []
    for mapping in rule.attribute_flow_mappings:
        arguments = [
            ("SynchronizationRule", "$syncRule[0]"),
            ("Source", string_array(mapping.source)),
            ("Destination", quote(mapping.destination)),
            ("FlowType", quote(mapping.flow_type)),
            ("ValueMergeType", quote(mapping.value_merge_type)),
        ]
        if mapping.expression is not None:
            arguments.append(("Expression", quote(mapping.expression)))
        if mapping.execute_once:
            arguments.append(("ExecuteOnce", ""))
        lines += ["", *_call("Add-ADSyncAttributeFlowMapping", [*arguments, ("OutVariable", "syncRule")])]
    return lines


def _conditions(type_name: str, argument_lists: list[str]) -> tuple[list[str], str]:
    """New-Object statements for a group's conditions, and the array that names them."""
    lines: list[str] = []
    for index, args in enumerate(argument_lists):
        call = [("TypeName", quote(type_name)), ("ArgumentList", args), ("OutVariable", f"condition{index}")]
        lines += ["", *_call("New-Object", call)]
    return lines, "@(" + ",".join(f"$condition{i}[0]" for i in range(len(argument_lists))) + ")"


def _scope_groups(rule: SyncRule) -> list[str]:
    lines: list[str] = []
    for group in rule.scope_filter:
        made, array = _conditions(
            SCOPE_CONDITION_TYPE,
            [
                ",".join(quote(v) for v in (c.attribute, c.comparison_value, c.comparison_operator))
                for c in group.conditions
            ],
        )
        call = [("SynchronizationRule", "$syncRule[0]"), ("ScopeConditions", array), ("OutVariable", "syncRule")]
        lines += [*made, "", *_call("Add-ADSyncScopeConditionGroup", call)]
    return lines


def _join_groups(rule: SyncRule) -> list[str]:
    lines: list[str] = []
    for group in rule.join_filter:
        made, array = _conditions(
            JOIN_CONDITION_TYPE,
            [f"{quote(j.cs_attribute)},{quote(j.mv_attribute)},{boolean(j.case_sensitive)}" for j in group.conditions],
        )
        call = [("SynchronizationRule", "$syncRule[0]"), ("JoinConditions", array), ("OutVariable", "syncRule")]
        lines += [*made, "", *_call("Add-ADSyncJoinConditionGroup", call)]
    return lines


def indent(lines: list[str], depth: int = 1) -> list[str]:
    pad = "    " * depth
    return [pad + line if line else line for line in lines]
