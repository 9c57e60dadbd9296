#Requires -RunAsAdministrator
#Requires -PSEdition Desktop
#Requires -Modules ADSync
<#
    ADSync Reconciler 0.2.0: plan for server srv1 (observed version 1.6.2.4).
    Desired state sha256:ef390a3b063523ec93a84f4f0a82d8b4d4fc8c8599712182af50a6ec9fe9442c
    Observed state sha256:567a4ce96bef1399c410be193e80fab8a46732f654fd9efe6b3f88392d383b98

    Review it, then run it on the server in an elevated Windows PowerShell. Every step checks
    the server first, so running the script again changes nothing more. If it stops half-way,
    the sync scheduler is turned back on.

    Steps:
      1. WaitForSyncIdle: settings change only while no sync cycle runs
      2. SetSyncCycleEnabled(enabled=false): no sync cycle may start during the change
      3. SetExportApiVersion(version=1): export API version from 2 to 1
      4. SetImportApiVersion(version=1): import API version from 2 to 1
      5. EnableSyncRule(name="Out to AAD - Group Join"): the standard rule carries the limit
      6. RemoveSyncRule(name="Out to AAD - Group Join (member limit)"): no clone is needed at the standard limit
      7. EnableSyncRule(name="Out to AAD - Group Writeup Member Limit"): the standard rule carries the limit
      8. RemoveSyncRule(name="Out to AAD - Group Writeup Member Limit (member limit)"): no clone is needed at the standard limit
      9. SetSyncCycleEnabled(enabled=true): restore the scheduler as desired
    Warning: support: build 1.6.2.4 is a 1.x build: 1.x builds do not synchronize since 2023-10-01; upgrade to 2.6.92.0

    The script is pure ASCII (other characters are written as [char] code points), so it
    reads the same in any code page.
#>
[CmdletBinding()]
param([int] $WaitTimeoutSeconds = 1800)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ParametersKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\ADSync\Parameters'
Import-Module ADSync
# The install folder (and its drive) is the one the registry names.
$installPath = (Get-ItemProperty -LiteralPath $ParametersKey -Name Path).Path
Import-Module (Join-Path $installPath 'Extensions\AADConnector.psm1')

function Wait-ADSyncIdle {
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
            $_.Name -ceq $Name -and -not $_.IsStandardRule -and $_.Connector -eq 'b891884f-051e-4a83-95af-2544101c9083'
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
    Get-ADSyncConnector -Identifier 'b891884f-051e-4a83-95af-2544101c9083'
}

function Get-ExportFilteringValue {
    $key = Join-Path $ParametersKey ('PerMAInstance\' + (Get-AadConnector).Name)
    $item = Get-ItemProperty -LiteralPath $key -Name 'EnableNonExistentObjectReferenceExportFiltering' -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [int] $item.EnableNonExistentObjectReferenceExportFiltering
}

$Run = @{ Changed = $false; Rules = $null }
$schedulerWasEnabled = (Get-ADSyncScheduler).SyncCycleEnabled
$keepSchedulerOff = $false
$completed = $false
try {

    # settings change only while no sync cycle runs
    Write-Host '[1/9] WaitForSyncIdle'
    Wait-ADSyncIdle

    # no sync cycle may start during the change
    Write-Host '[2/9] SetSyncCycleEnabled(enabled=false)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if ((Get-ADSyncScheduler).SyncCycleEnabled -ne $false) {
        $Run.Changed = $true
        Set-ADSyncScheduler -SyncCycleEnabled $false
    }

    # export API version from 2 to 1
    Write-Host '[3/9] SetExportApiVersion(version=1)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if (((Get-RegistryApiVersion 'AadConnectorExportApiVersion') -ne 1) -or ((Get-AadConnector).ExtensionConfiguration.ExportType -ne 2) -or ((Get-ExportFilteringValue) -ne 0)) {
        $Run.Changed = $true
        $null = Set-ADSyncAADConnectorExportApiVersion 1
    }

    # import API version from 2 to 1
    Write-Host '[4/9] SetImportApiVersion(version=1)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if ((Get-RegistryApiVersion 'AadConnectorImportApiVersion') -ne 1) {
        $Run.Changed = $true
        $null = Set-ADSyncAADConnectorImportApiVersion 1
    }

    # the standard rule carries the limit
    Write-Host '[5/9] EnableSyncRule(name="Out to AAD - Group Join")'
    Wait-ADSyncIdle
    $Run.Changed = $false
    $rule = Get-StandardRule -Name 'Out to AAD - Group Join' -TagPrefix 'Microsoft.OuttoAADGroupJoin.'
    if ($null -eq $rule) { throw 'No standard sync rule named Out to AAD - Group Join' }
    if ($rule.Disabled -ne $false) {
        $Run.Changed = $true
        $rule.Disabled = $false
        $null = $rule | Add-ADSyncRule
    }
    if ($Run.Changed) { $Run.Rules = $null }

    # no clone is needed at the standard limit
    Write-Host '[6/9] RemoveSyncRule(name="Out to AAD - Group Join (member limit)")'
    Wait-ADSyncIdle
    $Run.Changed = $false
    foreach ($existing in @(Get-ManagedRule 'Out to AAD - Group Join (member limit)')) {
        $Run.Changed = $true
        Remove-ADSyncRule -Identifier $existing.Identifier
    }
    if ($Run.Changed) { $Run.Rules = $null }

    # the standard rule carries the limit
    Write-Host '[7/9] EnableSyncRule(name="Out to AAD - Group Writeup Member Limit")'
    Wait-ADSyncIdle
    $Run.Changed = $false
    $rule = Get-StandardRule -Name 'Out to AAD - Group Writeup Member Limit' -TagPrefix 'Microsoft.OuttoAADGroupWriteupMemberLimit.'
    if ($null -eq $rule) { throw 'No standard sync rule named Out to AAD - Group Writeup Member Limit' }
    if ($rule.Disabled -ne $false) {
        $Run.Changed = $true
        $rule.Disabled = $false
        $null = $rule | Add-ADSyncRule
    }
    if ($Run.Changed) { $Run.Rules = $null }

    # no clone is needed at the standard limit
    Write-Host '[8/9] RemoveSyncRule(name="Out to AAD - Group Writeup Member Limit (member limit)")'
    Wait-ADSyncIdle
    $Run.Changed = $false
    foreach ($existing in @(Get-ManagedRule 'Out to AAD - Group Writeup Member Limit (member limit)')) {
        $Run.Changed = $true
        Remove-ADSyncRule -Identifier $existing.Identifier
    }
    if ($Run.Changed) { $Run.Rules = $null }

    # restore the scheduler as desired
    Write-Host '[9/9] SetSyncCycleEnabled(enabled=true)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if ((Get-ADSyncScheduler).SyncCycleEnabled -ne $true) {
        $Run.Changed = $true
        Set-ADSyncScheduler -SyncCycleEnabled $true
    }

    $completed = $true
}
finally {
    if (-not $completed -and $schedulerWasEnabled) {
        if ($keepSchedulerOff) {
            # Invariant 7: its next full cycle would delete groups it would not have before.
            Write-Warning ('Stopped before the end: the sync scheduler stays disabled, because its next ' +
                'full sync cycle would delete groups; run this script again to finish the change.')
        }
        else {
            Write-Warning 'Stopped before the end: turning the sync scheduler back on.'
            Set-ADSyncScheduler -SyncCycleEnabled $true
        }
    }
}
