"""Every line of PowerShell the tool writes: quoting, the module imports, and each cmdlet call.

The live targets (`reconciler.servers.powershell`) and `plan --output powershell`
(`reconciler.reports.powershell`) both build their scripts from these functions, so what a live
apply sends and what a reviewed script runs can never disagree.

Cmdlet facts (docs/domain.md#cmdlets; Microsoft's V2 endpoint page, the ADSync module of build
2.2.8.0, AADConnector.psm1, AADConnectDsc):
- scheduler: `Set-ADSyncScheduler -SyncCycleEnabled $true|$false`, read with `Get-ADSyncScheduler`;
- endpoint: `Set-ADSyncAADConnectorExportApiVersion N`, `Set-ADSyncAADConnectorImportApiVersion N`,
  from `<install>\\Extensions\\AADConnector.psm1`, the install folder being the `Path` value of
  `HKLM:\\SYSTEM\\CurrentControlSet\\Services\\ADSync\\Parameters` (the drive letter varies); the AAD
  connector's export type is `(Get-ADSyncConnector -Identifier <id>).ExtensionConfiguration.ExportType`;
- rules: there is no Set-ADSyncRule. A rule is created with `New-ADSyncRule`, then
  `Add-ADSyncAttributeFlowMapping`, `Add-ADSyncScopeConditionGroup`, `Add-ADSyncJoinConditionGroup`
  and stored with `Add-ADSyncRule` (the Synchronization Rules Editor's own export has this shape);
  disabled or enabled with `$r.Disabled = ...; $r | Add-ADSyncRule`; removed with
  `Remove-ADSyncRule -Identifier`;
- overrides: `Set-ADSyncSchedulerConnectorOverride -FullSyncRequired $false -ConnectorName '...'`.

Every value that comes from a user or a server (names, expressions) is written by `quote`, never
interpolated: printable ASCII inside single quotes (PowerShell expands nothing there; a quote is
written twice), every other character as `[char]0xNNNN` outside them. Every script is pure ASCII:
Windows PowerShell 5.1 reads a `.ps1` without a byte order mark in the ANSI code page, where the
UTF-8 bytes of letters such as Cyrillic Be (U+0411) become U+2018, U+2019 or U+201A, which it takes
as single quotes
(docs/targets.md#running-powershell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.errors import printable
from reconciler.model import facts
from reconciler.model.observed import SyncRule

PARAMETERS_KEY = r"HKLM:\SYSTEM\CurrentControlSet\Services\ADSync\Parameters"
NO_RULE = "00000000-0000-0000-0000-000000000000"
SCOPE_CONDITION_TYPE = "Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition"
JOIN_CONDITION_TYPE = "Microsoft.IdentityManagement.PowerShell.ObjectModel.JoinCondition"

# Pinned, not Latest: a later PowerShell must not change what a reviewed script may do.
STRICT_MODE = "Set-StrictMode -Version 3.0"
# For a script file that needs the sync engine's module (script blocks cannot carry it).
REQUIRES_ADSYNC = "#Requires -Modules ADSync"
# What every script that talks to the sync engine starts with.
PREAMBLE = [STRICT_MODE, "$ErrorActionPreference = 'Stop'", "Import-Module ADSync"]


def quote(value: str) -> str:
    """A PowerShell expression, in pure ASCII, that reads back as exactly `value`.

    Printable ASCII stays inside single-quoted literals (a quote written twice); every other
    character is `[char]0xNNNN` (UTF-16 code units) outside them, so the script means the same in
    any code page, with or without a byte order mark: no byte of a user's text can end a literal."""
    parts: list[str] = []
    run: list[str] = []
    for char in value:
        if " " <= char <= "~":
            run.append("''" if char == "'" else char)
            continue
        if run or not parts:
            parts.append("'" + "".join(run) + "'")  # a string first, so + concatenates
            run = []
        units = char.encode("utf-16-le")
        parts += [f"[char]0x{int.from_bytes(units[i : i + 2], 'little'):04X}" for i in range(0, len(units), 2)]
    if run or not parts:
        parts.append("'" + "".join(run) + "'")
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def comment(text: str) -> str:
    """Text for a comment, in pure ASCII: other characters as \\uNNNN, and no comment-closing `#>`."""
    ascii_text = printable(text).encode("ascii", "backslashreplace").decode("ascii")  # no ESC, no line break
    return ascii_text.replace("#>", "# >").replace("\n", " ").replace("\r", " ")


def boolean(value: bool) -> str:
    return "$true" if value else "$false"


def literal(value: bool | int | str | None) -> str:
    """A PowerShell literal of a plain value."""
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return boolean(value)
    if isinstance(value, int):
        return str(value)
    return quote(value)


def string_array(values: Sequence[str]) -> str:
    return "@(" + ",".join(quote(v) for v in values) + ")"


def indent(lines: list[str], depth: int = 1) -> list[str]:
    pad = "    " * depth
    return [pad + line if line else line for line in lines]


# A plan script's state: whether the running step changed anything, and the rules read once and
# kept until a step writes one (a hashtable, so that its helper functions can update it in place).
RUN_STATE = "$Run = @{ Changed = $false; Rules = $null }"
STEP_CHANGED = "$Run.Changed = $true"
# The cmdlets that write a rule: a step that ran one reads the rules afresh.
RULE_WRITERS = ("Add-ADSyncRule", "Remove-ADSyncRule")


def guarded(condition: str, body: list[str]) -> list[str]:
    """A change made only when `condition` holds; a plan script notes that its step changed something."""
    return [f"if ({condition}) {{", *indent([STEP_CHANGED, *body]), "}"]


# --- the scheduler --------------------------------------------------------------------------

SCHEDULER_ENABLED = "(Get-ADSyncScheduler).SyncCycleEnabled"


def set_scheduler(enabled: bool) -> str:
    return f"Set-ADSyncScheduler -SyncCycleEnabled {boolean(enabled)}"


# --- the endpoint's API versions -----------------------------------------------------------

DIRECTIONS = {"export": "Export", "import": "Import"}


def import_connector_module(parameters_key: str = "$ParametersKey") -> list[str]:
    """AADConnector.psm1 from the install folder the registry names (its drive letter varies)."""
    return [
        f"$installPath = (Get-ItemProperty -LiteralPath {parameters_key} -Name Path).Path",
        "Import-Module (Join-Path $installPath 'Extensions\\AADConnector.psm1')",
    ]


def api_version_value(direction: str) -> str:
    """The registry value that holds an API version."""
    return f"AadConnector{DIRECTIONS[direction]}ApiVersion"


def registry_api_version(direction: str) -> str:
    """The registry value as it is (`$null` when absent), through the script's helper."""
    return f"(Get-RegistryApiVersion {quote(api_version_value(direction))})"


# Through the plan script's helpers (PLAN_SCRIPT_HELPERS): the AAD connector's export type and
# the export filtering value under PerMAInstance\<AAD connector name> ($null when absent).
AAD_CONNECTOR_EXPORT_TYPE = "(Get-AadConnector).ExtensionConfiguration.ExportType"
EXPORT_FILTERING = "(Get-ExportFilteringValue)"


def set_api_version(direction: str, version: int) -> str:
    # The AADConnector module's functions write their result to the pipeline: discarded, not printed.
    return f"$null = Set-ADSyncAADConnector{DIRECTIONS[direction]}ApiVersion {int(version)}"


# --- sync rules -------------------------------------------------------------------------------


def remove_rule(identifier: str) -> str:
    """Remove-ADSyncRule; `identifier` is a PowerShell expression (a quoted literal or a variable)."""
    return f"Remove-ADSyncRule -Identifier {identifier}"


def remove_managed_rules(name: str, keep: str | None = None) -> list[str]:
    """Every custom rule of that name, however many a dead run left (but the one with identifier `keep`)."""
    if keep is None:
        return [
            f"foreach ($existing in @(Get-ManagedRule {quote(name)})) {{",
            f"    {STEP_CHANGED}",
            f"    {remove_rule('$existing.Identifier')}",
            "}",
        ]
    return [
        f"$others = @(Get-ManagedRule {quote(name)} | Where-Object {{ $_.Identifier -ne {quote(keep)} }})",
        "foreach ($existing in $others) {",
        f"    {remove_rule('$existing.Identifier')}",
        "}",
    ]


def get_rule(identifier: str) -> str:
    return f"Get-ADSyncRule -Identifier {quote(identifier)}"


def set_rule_disabled(variable: str, disabled: bool) -> list[str]:
    """A rule object in `variable` disabled or enabled, and stored."""
    return [f"{variable}.Disabled = {boolean(disabled)}", f"$null = {variable} | Add-ADSyncRule"]


def standard_rule(variable: str, name: str, tag_prefix: str) -> list[str]:
    """The standard rule into `variable` (by its Microsoft tag, or standard and so named), or a failure."""
    return [
        f"{variable} = Get-StandardRule -Name {quote(name)} -TagPrefix {quote(tag_prefix)}",
        f"if ($null -eq {variable}) {{ throw {quote('No standard sync rule named ' + name)} }}",
    ]


def test_managed_rule(name: str, precedence: int, member_expression: str, scope_limit: int | None) -> str:
    scope = "''" if scope_limit is None else quote(str(scope_limit))
    return (
        f"Test-ManagedRule -Name {quote(name)} -Precedence {int(precedence)} "
        f"-MemberExpression {quote(member_expression)} -ScopeLimit {scope}"
    )


def _call(cmdlet: str, arguments: list[tuple[str, str]]) -> list[str]:
    """A cmdlet call, one parameter per line, as the Synchronization Rules Editor writes them; its
    result (each of these writes the whole rule, or the condition, to the pipeline) is discarded:
    -OutVariable keeps it, and nothing is printed."""
    lines = [f"$null = {cmdlet} `"]
    for index, (name, value) in enumerate(arguments):
        end = " `" if index < len(arguments) - 1 else ""
        lines.append(f"    -{name} {value}{end}" if value else f"    -{name}{end}")
    return lines


def create_rule(rule: SyncRule) -> list[str]:
    """The whole rule, built with its identifier and stored: Add-ADSyncRule creates it, or updates the
    rule with that identifier in place, flows included (AADConnectDsc's AADSyncRule does the same)."""
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
        # -Source and -Expression reject empty values (2.2.8.0): left out when empty, as Microsoft's
        # AADConnectConfigDocumenter does.
        arguments = [("SynchronizationRule", "$syncRule[0]")]
        if mapping.source:
            arguments.append(("Source", string_array(mapping.source)))
        arguments += [
            ("Destination", quote(mapping.destination)),
            ("FlowType", quote(mapping.flow_type)),
            ("ValueMergeType", quote(mapping.value_merge_type)),
        ]
        if mapping.expression:
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


# --- connector overrides ----------------------------------------------------------------------


def connector_full_sync_required(connector_name: str) -> str:
    return f"(Get-ADSyncSchedulerConnectorOverride -ConnectorName {quote(connector_name)}).FullSyncRequired"


def set_connector_override(connector_name: str, full_sync_required: bool) -> str:
    # It writes the override object back: discarded, not printed.
    return (
        f"$null = Set-ADSyncSchedulerConnectorOverride -FullSyncRequired {boolean(full_sync_required)} "
        f"-ConnectorName {quote(connector_name)}"
    )


# --- whole scripts ------------------------------------------------------------------------------


# The language mode a script needs (not Constrained Language, which AppLocker and WDAC impose).
FULL_LANGUAGE = "FullLanguage"
LANGUAGE_MODE = "$ExecutionContext.SessionState.LanguageMode"
# How a script run as a file says it is in another language mode: its exit code, the mode on stdout.
LANGUAGE_MODE_EXIT = 3


def file_script(body: str) -> str:
    """A script to run with `powershell.exe -File`: its output UTF-8, and any failure `exit 1` with
    the error on stderr (`-Command -` reads input like a prompt and reports success whatever
    happened; docs/targets.md#running-powershell). In Constrained Language mode, where the .NET
    calls below fail, it only names the mode and exits LANGUAGE_MODE_EXIT."""
    return "\n".join(
        [
            "$ErrorActionPreference = 'Stop'",
            f"if ({LANGUAGE_MODE} -ne '{FULL_LANGUAGE}') {{",
            f"    Write-Output {LANGUAGE_MODE}",
            f"    exit {LANGUAGE_MODE_EXIT}",
            "}",
            "[Console]::OutputEncoding = [Text.UTF8Encoding]::new($false)",
            "try {",
            *indent(body.splitlines()),
            "}",
            "catch {",
            "    [Console]::Error.WriteLine($_.Exception.Message)",
            "    exit 1",
            "}",
            "exit 0",
            "",
        ]
    )


def script_block_call(body: str, arguments: dict[str, str]) -> str:
    """A script's text run as a script block with named string arguments (no file on the server).

    `#Requires` applies to script files; in a script block it would be an error. Elevation is the
    transport's business (an elevated scheduled task, or a WinRM session of an administrator)."""
    kept = "\n".join(line for line in body.splitlines() if not line.startswith("#Requires"))
    named = " ".join(f"-{name} {quote(value)}" for name, value in arguments.items())
    return f"& {{\n{kept}\n}} {named}\n"


# Functions a plan script defines once and its guarded steps call.
PLAN_SCRIPT_HELPERS = r"""function Wait-ADSyncIdle {
    # Settings change only while no sync cycle runs (WaitForSyncIdle), nor a run profile started by
    # hand, which shows in Get-ADSyncConnectorRunStatus only.
    $deadline = (Get-Date).AddSeconds($WaitTimeoutSeconds)
    while ((Get-ADSyncScheduler).SyncCycleInProgress -or @(Get-ADSyncConnectorRunStatus).Count -gt 0) {
        if ((Get-Date) -gt $deadline) {
            throw "A sync cycle was still running after $WaitTimeoutSeconds seconds; nothing further was changed."
        }
        Start-Sleep -Seconds 10
    }
}

function Get-SyncRules {
    # Read once, and again only after a step wrote a rule (which empties $Run.Rules).
    if ($null -eq $Run.Rules) { $Run.Rules = @(Get-ADSyncRule) }
    $Run.Rules
}

function Get-ManagedRule([string] $Name) {
    # A custom rule of the AAD connector with that name: never a standard rule, whatever its name.
    @(Get-SyncRules | Where-Object {
            $_.Name -ceq $Name -and -not $_.IsStandardRule -and $_.Connector -eq 'AAD_CONNECTOR_ID'
        })
}

function Get-StandardRule([string] $Name, [string] $TagPrefix) {
    # Standard by its Microsoft tag (or marked standard and so named): a hand-made copy keeps the name.
    # ImmutableTag is an object, not a string: its text is its TagValue.
    @(Get-SyncRules | Where-Object {
            ($null -ne $_.ImmutableTag -and
                ([string] $_.ImmutableTag.TagValue).StartsWith($TagPrefix, [StringComparison]::Ordinal)) -or
            ($_.IsStandardRule -and $_.Name -ceq $Name)
        }) | Select-Object -First 1
}

function Test-ManagedRule([string] $Name, [int] $Precedence, [string] $MemberExpression, [string] $ScopeLimit) {
    $found = @(Get-ManagedRule $Name)
    if ($found.Count -ne 1 -or $found[0].Precedence -ne $Precedence -or $found[0].Disabled) { return $false }
    $member = @($found[0].AttributeFlowMappings | Where-Object { $_.Destination -ceq 'member' })
    # Compared without white space, which the product may add or drop when it stores an expression.
    if ($member.Count -ne 1) { return $false }
    $stored = $member[0].Expression -replace '\s', ''
    if ($stored -cne ($MemberExpression -replace '\s', '')) { return $false }
    foreach ($group in @($found[0].ScopeFilter)) {
        foreach ($condition in @($group.ScopeConditionList)) {
            $isCount = $condition.Attribute -ceq 'memberCount'
            if ($isCount -and $ScopeLimit -and $condition.ComparisonValue -cne $ScopeLimit) {
                return $false
            }
        }
    }
    return $true
}

function Get-RegistryApiVersion([string] $ValueName) {
    $item = Get-ItemProperty -LiteralPath $ParametersKey -Name $ValueName -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [int] $item.$ValueName
}

function Get-AadConnector {
    Get-ADSyncConnector -Identifier 'AAD_CONNECTOR_ID'
}

function Get-ExportFilteringValue {
    $key = Join-Path $ParametersKey ('PerMAInstance\' + (Get-AadConnector).Name)
    $item = Get-ItemProperty -LiteralPath $key -Name 'EXPORT_FILTERING_VALUE' -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [int] $item.EXPORT_FILTERING_VALUE
}""".replace("AAD_CONNECTOR_ID", facts.AAD_CONNECTOR_ID).replace("EXPORT_FILTERING_VALUE", facts.EXPORT_FILTERING_VALUE)

WAIT_FOR_IDLE = "Wait-ADSyncIdle"

# A live apply's script tells the tool what happens as it happens: one line per step, and one for
# what its `finally` did, each this mark and a JSON object; the server's state at its end likewise.
EVENT_MARK = "adsync-reconciler-event:"
STATE_MARK = "adsync-reconciler-state:"
ACTION_COMMENT = "# action "  # then the step's action as JSON, for whoever reads the script
# Where a live script run as a local process is told to stop before its next step (the tool makes
# the file when a stop is asked for); over WinRM the tool stops the pipeline instead.
STOP_FILE_VARIABLE = "RECONCILER_STOP_FILE"
STOPPED = "Stopped before this step: the run was asked to stop."
LIVE_SCRIPT_HELPERS = f"""function Write-RunEvent([string] $Name, [int] $Index = -1, [string] $Detail = '') {{
    # One line for the tool running this script, which journals each step as its line arrives.
    $record = [ordered] @{{ event = $Name; index = $Index; changed = [bool] $Run.Changed; detail = $Detail }}
    '{EVENT_MARK}' + (ConvertTo-Json -InputObject $record -Compress)
}}

function Assert-NotStopped {{
    $stopFile = [Environment]::GetEnvironmentVariable('{STOP_FILE_VARIABLE}')
    if ($stopFile -and (Test-Path -LiteralPath $stopFile)) {{ throw '{STOPPED}' }}
}}"""


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One action of a plan as a script runs it."""

    title: str
    reason: str
    body: list[str]  # the guarded step: it checks the server first
    changes_server: bool
    risky_after: bool  # stopped after it, the next full cycle would delete groups it would not have before
    action: str = ""  # the action as JSON: a live script names each step with it


def plan_script_start(
    wait_timeout: int, needs_connector_module: bool, live: bool = False, scheduler_was_enabled: bool = False
) -> list[str]:
    """A plan script's start: a printed one takes its wait as a parameter; a live one is sent as it
    runs, its values written in. `scheduler_was_enabled`: a run that died left the scheduler off,
    and this one turns it back on if it stops half-way (otherwise the server says how it was)."""
    if live:
        lines = [STRICT_MODE, "$ErrorActionPreference = 'Stop'", f"$WaitTimeoutSeconds = {int(wait_timeout)}"]
    else:
        lines = [
            "[CmdletBinding()]",
            f"param([int] $WaitTimeoutSeconds = {int(wait_timeout)})",
            "",
            STRICT_MODE,
            "$ErrorActionPreference = 'Stop'",
        ]
    lines += [f"$ParametersKey = {quote(PARAMETERS_KEY)}", "Import-Module ADSync"]
    if needs_connector_module:
        lines += ["# The install folder (and its drive) is the one the registry names.", *import_connector_module()]
    lines += ["", PLAN_SCRIPT_HELPERS, *(["", LIVE_SCRIPT_HELPERS] if live else []), "", RUN_STATE]
    if live:
        lines.append("$Run.Step = -1")
    was = boolean(True) if scheduler_was_enabled else SCHEDULER_ENABLED
    return [*lines, f"$schedulerWasEnabled = {was}", "$keepSchedulerOff = $false", "$completed = $false"]


def plan_script_steps(steps: Sequence[PlanStep], live: bool) -> list[str]:
    """The steps in a `try` whose `finally` turns the scheduler back on if the script stops half-way,
    unless invariant 7 keeps it off. A step that changes the server waits for a sync cycle to end
    first, as apply does; a step that wrote a rule makes the next one read the rules afresh. A
    printed script says each step as it starts; a live one reports each step as it ends."""
    lines = ["try {"]
    risky = False
    for index, step in enumerate(steps):
        title = f"[{index + 1}/{len(steps)}] {step.title}"
        body = [*([WAIT_FOR_IDLE, "$Run.Changed = $false"] if step.changes_server else []), *step.body]
        if any(writer in line for line in step.body for writer in RULE_WRITERS):
            body.append("if ($Run.Changed) { $Run.Rules = $null }")
        if live:
            head = [f"# {comment(title)}", f"{ACTION_COMMENT}{comment(step.action)}", "Assert-NotStopped"]
            head.append(f"$Run.Step = {index}")
            body.append(f"Write-RunEvent 'step' {index}")
        else:
            head = [write_host(title)]
        lines += ["", f"    # {comment(step.reason)}", *indent([*head, *body])]
        # Invariant 7: stopped after this step, would the next full cycle delete groups it would not have?
        if step.risky_after != risky:
            risky = not risky
            lines += indent([f"$keepSchedulerOff = {boolean(risky)}"])
    return [*lines, *_plan_script_end(live)]


def _plan_script_end(live: bool) -> list[str]:
    restore = f"            {set_scheduler(True)}"
    kept_off: list[str] = []
    failed: list[str] = []
    if live:
        # The step that failed, and why, said before the `finally` that follows it.
        failed = [
            "catch {",
            "    Write-RunEvent 'step-failed' $Run.Step -Detail $_.Exception.Message",
            "    throw",
            "}",
        ]
        restore = "\n".join(
            [
                "            try {",
                f"                {set_scheduler(True)}",
                "                Write-RunEvent 'scheduler-restored'",
                "            }",
                "            catch {",
                "                Write-RunEvent 'scheduler-restore-failed' -Detail $_.Exception.Message",
                "            }",
            ]
        )
        kept_off = ["            Write-RunEvent 'scheduler-kept-off'"]
    return [
        "",
        "    $completed = $true",
        "}",
        *failed,
        "finally {",
        "    if (-not $completed -and $schedulerWasEnabled) {",
        "        if ($keepSchedulerOff) {",
        "            # Invariant 7: its next full cycle would delete groups it would not have before.",
        "            Write-Warning ('Stopped before the end: the sync scheduler stays disabled, because its next ' +",
        "                'full sync cycle would delete groups; run this script again to finish the change.')",
        *kept_off,
        "        }",
        "        else {",
        "            Write-Warning 'Stopped before the end: turning the sync scheduler back on.'",
        *restore.split("\n"),
        "        }",
        "    }",
        *(["    Write-RunEvent 'finally'"] if live else []),
        "}",
        "",
    ]


def write_host(text: str) -> str:
    return f"Write-Host {quote(text)}"
