#Requires -RunAsAdministrator
<#
    ADSync Reconciler 0.1.0: plan for server srv1 (observed version 2.4.18.0).
    Desired state sha256:1e76885d6f2f2702db1e6d30c724821eccf6b849911f9ded26418c1f7d70209a
    Observed state sha256:b18cee69b6b2277ad360b898e0ef089f065f4fabc1fff55f2b9af9aa4da407e3

    Review it, then run it on the server in an elevated Windows PowerShell. Every step checks
    the server first, so running the script again changes nothing more. If it stops half-way,
    the sync scheduler is turned back on.

    Steps:
      1. WaitForSyncIdle: settings change only while no sync cycle runs
      2. SetSyncCycleEnabled(enabled=false): no sync cycle may start during the change
    Warning: scheduler.syncCycleEnabled is false: product auto-upgrades abort while the scheduler is disabled

    Save it as UTF-8 with a byte order mark if it holds characters beyond ASCII: Windows
    PowerShell 5.1 reads a script without one in the ANSI code page.
#>
[CmdletBinding()]
param([int] $WaitTimeoutSeconds = 1800)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ParametersKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\ADSync\Parameters'
Import-Module ADSync

function Wait-ADSyncIdle {
    # Settings change only while no sync cycle runs (WaitForSyncIdle).
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
}

function Get-AadConnector {
    Get-ADSyncConnector -Identifier 'b891884f-051e-4a83-95af-2544101c9083'
}

function Get-ExportFilteringValue {
    $key = Join-Path $ParametersKey ('PerMAInstance\' + (Get-AadConnector).Name)
    $item = Get-ItemProperty -LiteralPath $key -Name 'EnableNonExistentObjectReferenceExportFiltering' -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [int] $item.EnableNonExistentObjectReferenceExportFiltering
}

$schedulerWasEnabled = (Get-ADSyncScheduler).SyncCycleEnabled
$completed = $false
try {

    # settings change only while no sync cycle runs
    Write-Host '[1/2] WaitForSyncIdle'
    Wait-ADSyncIdle

    # no sync cycle may start during the change
    Write-Host '[2/2] SetSyncCycleEnabled(enabled=false)'
    if ((Get-ADSyncScheduler).SyncCycleEnabled -ne $false) {
        Set-ADSyncScheduler -SyncCycleEnabled $false
    }

    $completed = $true
}
finally {
    if (-not $completed -and $schedulerWasEnabled) {
        Write-Warning 'Stopped before the end: turning the sync scheduler back on.'
        Set-ADSyncScheduler -SyncCycleEnabled $true
    }
}
