"""`plan --output powershell`: the plan as a script a Windows admin reads, reviews and runs.

Each action is guarded by its own check of the server, so running the script again changes
nothing more; the scheduler is restored in a `finally` if the script stops half-way; the
AADConnector module is imported from the install folder the registry names.
"""

from __future__ import annotations

from reconciler import __version__
from reconciler.plan import Action, Plan
from reconciler.psscript import PARAMETERS_KEY, boolean, create_rule, indent, quote
from reconciler.server import DEFAULT_WAIT_TIMEOUT

_HELPERS = r"""function Wait-ADSyncIdle {
    # Settings change only while no sync cycle runs (DESIGN: WaitForSyncIdle).
    $deadline = (Get-Date).AddSeconds($WaitTimeoutSeconds)
    while ((Get-ADSyncScheduler).SyncCycleInProgress) {
        if ((Get-Date) -gt $deadline) {
            throw "A sync cycle was still running after $WaitTimeoutSeconds seconds; nothing further was changed."
        }
        Start-Sleep -Seconds 10
    }
}

function Get-ManagedRule([string] $Name) {
    @(Get-ADSyncRule | Where-Object { $_.Name -ceq $Name -and -not $_.IsStandardRule })
}

function Get-RuleByName([string] $Name) {
    @(Get-ADSyncRule | Where-Object { $_.Name -ceq $Name }) | Select-Object -First 1
}

function Test-ManagedRule([string] $Name, [int] $Precedence, [string] $MemberExpression, [string] $ScopeLimit) {
    $found = @(Get-ManagedRule $Name)
    if ($found.Count -ne 1 -or $found[0].Precedence -ne $Precedence) { return $false }
    $member = @($found[0].AttributeFlowMappings | Where-Object { $_.Destination -ceq 'member' })
    if ($member.Count -ne 1 -or $member[0].Expression -cne $MemberExpression) { return $false }
    foreach ($group in @($found[0].ScopeFilter)) {
        foreach ($condition in @($group.ScopeConditionList)) {
            if ($condition.Attribute -ceq 'memberCount' -and $condition.ComparisonValue -cne $ScopeLimit) {
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
}"""


def _header(p: Plan) -> list[str]:
    lines = [
        "#Requires -RunAsAdministrator",
        "<#",
        f"    ADSync Reconciler {__version__}: plan for server {p.server} (observed version {p.observed_version}).",
        f"    Desired state {p.desired_digest}",
        f"    Observed state {p.observed_digest}",
        "",
        "    Review it, then run it on the server in an elevated Windows PowerShell. Every step checks",
        "    the server first, so running the script again changes nothing more. If it stops half-way,",
        "    the sync scheduler is turned back on.",
        "",
        "    Steps:",
        *[f"      {i}. {a.describe()}: {a.reason}" for i, a in enumerate(p.actions, 1)],
    ]
    lines += [f"    Warning: {w}" for w in p.warnings]
    lines += [
        "",
        "    Save it as UTF-8 with a byte order mark if it holds characters beyond ASCII: Windows",
        "    PowerShell 5.1 reads a script without one in the ANSI code page.",
    ]
    if p.impact.groups_to_delete:
        lines.append(f"    Deletes on the next full sync: {', '.join(p.impact.groups_to_delete)}")
    # A block comment ends at the first "#>": no server or user text may close it early.
    return [line.replace("#>", "# >") for line in lines] + ["#>"]


def _step(index: int, total: int, action: Action, body: list[str]) -> list[str]:
    title = quote(f"[{index}/{total}] {action.describe()}")
    return ["", f"    # {action.reason}".replace("\n", " "), f"    Write-Host {title}", *indent(body)]


def _guarded(condition: str, body: list[str]) -> list[str]:
    return [f"if ({condition}) {{", *indent(body), "}"]


def _managed_rule_steps(p: Plan, action: Action) -> list[str]:
    rule = p.managed_rule
    if rule is None:
        raise AssertionError(f"{action.kind} planned without the rule it writes")
    limit = int(action.params["limit"])
    member = next((m.expression for m in rule.attribute_flow_mappings if m.destination == "member"), None)
    check = (
        f"-not (Test-ManagedRule -Name {quote(rule.name)} -Precedence {int(rule.precedence)} "
        f"-MemberExpression {quote(member or '')} -ScopeLimit {quote(str(limit))})"
    )
    replace = [
        "# Add-ADSyncRule cannot change a rule's flows: the managed rule is written anew, same identifier.",
        f"foreach ($existing in @(Get-ManagedRule {quote(rule.name)})) {{",
        "    Remove-ADSyncRule -Identifier $existing.Identifier",
        "}",
        *create_rule(rule),
    ]
    return _guarded(check, replace)


def _action_body(p: Plan, action: Action) -> list[str]:
    params, kind = action.params, action.kind
    if kind == "WaitForSyncIdle":
        return ["Wait-ADSyncIdle"]
    if kind == "SetSyncCycleEnabled":
        value = boolean(bool(params["enabled"]))
        return _guarded(
            f"(Get-ADSyncScheduler).SyncCycleEnabled -ne {value}", [f"Set-ADSyncScheduler -SyncCycleEnabled {value}"]
        )
    if kind in ("SetExportApiVersion", "SetImportApiVersion"):
        direction = "Export" if kind == "SetExportApiVersion" else "Import"
        version = int(params["version"])
        value_name = f"AadConnector{direction}ApiVersion"
        return _guarded(
            f"(Get-RegistryApiVersion {quote(value_name)}) -ne {version}",
            [f"Set-ADSyncAADConnector{direction}ApiVersion {version}"],
        )
    if kind in ("CreateSyncRule", "UpdateSyncRule"):
        return _managed_rule_steps(p, action)
    if kind == "RemoveSyncRule":
        return [
            f"foreach ($existing in @(Get-ManagedRule {quote(params['name'])})) {{",
            "    Remove-ADSyncRule -Identifier $existing.Identifier",
            "}",
        ]
    if kind in ("DisableSyncRule", "EnableSyncRule"):
        disabled = boolean(kind == "DisableSyncRule")
        return [
            f"$rule = Get-RuleByName {quote(params['name'])}",
            f"if ($null -eq $rule) {{ throw {quote('No sync rule named ' + params['name'])} }}",
            *_guarded(
                f"$rule.Disabled -ne {disabled}", [f"$rule.Disabled = {disabled}", "$rule | Add-ADSyncRule | Out-Null"]
            ),
        ]
    if kind == "SetConnectorOverride":
        name = quote(params["connectorName"])
        value = boolean(bool(params["fullSyncRequired"]))
        return _guarded(
            f"(Get-ADSyncSchedulerConnectorOverride -ConnectorName {name}).FullSyncRequired -ne {value}",
            [f"Set-ADSyncSchedulerConnectorOverride -FullSyncRequired {value} -ConnectorName {name}"],
        )
    raise AssertionError(f"no PowerShell for {kind}")


def script(p: Plan) -> str:
    if not p.actions:
        return "\n".join([*_header(p), "", f"Write-Host {quote(p.server + ': no changes')}", ""])
    needs_module = any(a.kind in ("SetExportApiVersion", "SetImportApiVersion") for a in p.actions)
    lines = [
        *_header(p),
        "[CmdletBinding()]",
        f"param([int] $WaitTimeoutSeconds = {int(DEFAULT_WAIT_TIMEOUT)})",
        "",
        "Set-StrictMode -Version Latest",
        "$ErrorActionPreference = 'Stop'",
        f"$ParametersKey = {quote(PARAMETERS_KEY)}",
        "Import-Module ADSync",
    ]
    if needs_module:
        lines += [
            "# The install folder (and its drive) is the one the registry names.",
            "$installPath = (Get-ItemProperty -LiteralPath $ParametersKey -Name Path).Path",
            "Import-Module (Join-Path $installPath 'Extensions\\AADConnector.psm1')",
        ]
    lines += [
        "",
        _HELPERS,
        "",
        "$schedulerWasEnabled = (Get-ADSyncScheduler).SyncCycleEnabled",
        "$completed = $false",
        "try {",
    ]
    for index, action in enumerate(p.actions, 1):
        lines += _step(index, len(p.actions), action, _action_body(p, action))
    lines += [
        "",
        "    $completed = $true",
        "}",
        "finally {",
        "    if (-not $completed -and $schedulerWasEnabled) {",
        "        Write-Warning 'Stopped before the end: turning the sync scheduler back on.'",
        "        Set-ADSyncScheduler -SyncCycleEnabled $true",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)
