#Requires -RunAsAdministrator
#Requires -PSEdition Desktop
#Requires -Modules ADSync
<#
    ADSync Reconciler 0.2.0: plan for server srv1 (observed version 1.6.2.4).
    Desired state sha256:2cfd97c30489a4b4b40461fe486a1d07d8a12f25feadc19edbe3e3c0cf7a1080
    Observed state sha256:0a59aa323f93afd44a00d4f4626ca8af026dcdede6dbe7f66a49e03fb4b323b6

    Review it, then run it on the server in an elevated Windows PowerShell. Every step checks
    the server first, so running the script again changes nothing more. If it stops half-way,
    the sync scheduler is turned back on.

    Steps:
      1. WaitForSyncIdle: settings change only while no sync cycle runs
      2. SetSyncCycleEnabled(enabled=false): no sync cycle may start during the change
      3. UpdateSyncRule(name="Out to AAD - Group Join (member limit)", precedence=90, limit=150000): managed rule limit, scopeLimit as desired
      4. UpdateSyncRule(name="Out to AAD - Group Writeup Member Limit (member limit)", precedence=89, limit=150000): managed rule limit as desired
      5. SetConnectorOverride(connectorName="contoso.onmicrosoft.com - AAD", fullSyncRequired=false): a higher limit on an existing clone needs no full sync
      6. SetSyncCycleEnabled(enabled=true): restore the scheduler as desired
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
    Write-Host '[1/6] WaitForSyncIdle'
    Wait-ADSyncIdle

    # no sync cycle may start during the change
    Write-Host '[2/6] SetSyncCycleEnabled(enabled=false)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if ((Get-ADSyncScheduler).SyncCycleEnabled -ne $false) {
        $Run.Changed = $true
        Set-ADSyncScheduler -SyncCycleEnabled $false
    }

    # managed rule limit, scopeLimit as desired
    Write-Host '[3/6] UpdateSyncRule(name="Out to AAD - Group Join (member limit)", precedence=90, limit=150000)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if (-not (Test-ManagedRule -Name 'Out to AAD - Group Join (member limit)' -Precedence 90 -MemberExpression 'IIF(([memberCount]> 150000),Error("Maximum Group member count exceeded"),IgnoreThisFlow)' -ScopeLimit '150000')) {
        $Run.Changed = $true
        # The whole rule is written under its identifier: Add-ADSyncRule updates it in place.
        $others = @(Get-ManagedRule 'Out to AAD - Group Join (member limit)' | Where-Object { $_.Identifier -ne '24e9eef7-9322-5313-8e7e-5ab8fb6a1725' })
        foreach ($existing in $others) {
            Remove-ADSyncRule -Identifier $existing.Identifier
        }
        $null = New-ADSyncRule `
            -Name 'Out to AAD - Group Join (member limit)' `
            -Identifier '24e9eef7-9322-5313-8e7e-5ab8fb6a1725' `
            -Description '' `
            -Direction 'Outbound' `
            -Precedence 90 `
            -PrecedenceAfter '00000000-0000-0000-0000-000000000000' `
            -PrecedenceBefore '00000000-0000-0000-0000-000000000000' `
            -SourceObjectType 'group' `
            -TargetObjectType 'group' `
            -Connector 'b891884f-051e-4a83-95af-2544101c9083' `
            -LinkType 'Provision' `
            -SoftDeleteExpiryInterval 0 `
            -ImmutableTag '' `
            -OutVariable syncRule

        $null = Add-ADSyncAttributeFlowMapping `
            -SynchronizationRule $syncRule[0] `
            -Source @('cn') `
            -Destination 'commonName' `
            -FlowType 'Direct' `
            -ValueMergeType 'Update' `
            -OutVariable syncRule

        $null = Add-ADSyncAttributeFlowMapping `
            -SynchronizationRule $syncRule[0] `
            -Source @('sourceAnchor') `
            -Destination 'dn' `
            -FlowType 'Expression' `
            -ValueMergeType 'Update' `
            -Expression '"CN={" & ConvertToUTF8Hex([sourceAnchor]) & "}"' `
            -OutVariable syncRule

        $null = Add-ADSyncAttributeFlowMapping `
            -SynchronizationRule $syncRule[0] `
            -Source @('member') `
            -Destination 'member' `
            -FlowType 'Expression' `
            -ValueMergeType 'Update' `
            -Expression 'IIF(([memberCount]> 150000),Error("Maximum Group member count exceeded"),IgnoreThisFlow)' `
            -OutVariable syncRule

        $null = Add-ADSyncAttributeFlowMapping `
            -SynchronizationRule $syncRule[0] `
            -Source @('objectSid') `
            -Destination 'onPremiseSecurityIdentifier' `
            -FlowType 'Direct' `
            -ValueMergeType 'Update' `
            -OutVariable syncRule

        $null = Add-ADSyncAttributeFlowMapping `
            -SynchronizationRule $syncRule[0] `
            -Source @('cloudSourceAnchor','sourceAnchor') `
            -Destination 'sourceAnchor' `
            -FlowType 'Expression' `
            -ValueMergeType 'Update' `
            -Expression 'IIF(IsPresent([cloudSourceAnchor]),IIF([cloudSourceAnchor] = [sourceAnchor],[sourceAnchor],Error("SourceAnchor attribute has changed.")),[sourceAnchor])' `
            -OutVariable syncRule

        $null = Add-ADSyncAttributeFlowMapping `
            -SynchronizationRule $syncRule[0] `
            -Source @('securityEnabled') `
            -Destination 'securityEnabled' `
            -FlowType 'Direct' `
            -ValueMergeType 'Update' `
            -OutVariable syncRule

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudFiltered','True','NOTEQUAL' `
            -OutVariable condition0

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'sourceAnchor','','ISNOTNULL' `
            -OutVariable condition1

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudMastered','True','NOTEQUAL' `
            -OutVariable condition2

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'securityEnabled','True','EQUAL' `
            -OutVariable condition3

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudAnchor','','ISNOTNULL' `
            -OutVariable condition4

        $null = Add-ADSyncScopeConditionGroup `
            -SynchronizationRule $syncRule[0] `
            -ScopeConditions @($condition0[0],$condition1[0],$condition2[0],$condition3[0],$condition4[0]) `
            -OutVariable syncRule

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudFiltered','True','NOTEQUAL' `
            -OutVariable condition0

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'sourceAnchor','','ISNOTNULL' `
            -OutVariable condition1

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudMastered','True','NOTEQUAL' `
            -OutVariable condition2

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'securityEnabled','True','EQUAL' `
            -OutVariable condition3

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'memberCount','150000','LESSTHAN' `
            -OutVariable condition4

        $null = Add-ADSyncScopeConditionGroup `
            -SynchronizationRule $syncRule[0] `
            -ScopeConditions @($condition0[0],$condition1[0],$condition2[0],$condition3[0],$condition4[0]) `
            -OutVariable syncRule

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudFiltered','True','NOTEQUAL' `
            -OutVariable condition0

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'sourceAnchor','','ISNOTNULL' `
            -OutVariable condition1

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudMastered','True','NOTEQUAL' `
            -OutVariable condition2

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'mailEnabled','True','EQUAL' `
            -OutVariable condition3

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudAnchor','','ISNOTNULL' `
            -OutVariable condition4

        $null = Add-ADSyncScopeConditionGroup `
            -SynchronizationRule $syncRule[0] `
            -ScopeConditions @($condition0[0],$condition1[0],$condition2[0],$condition3[0],$condition4[0]) `
            -OutVariable syncRule

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudFiltered','True','NOTEQUAL' `
            -OutVariable condition0

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'sourceAnchor','','ISNOTNULL' `
            -OutVariable condition1

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'cloudMastered','True','NOTEQUAL' `
            -OutVariable condition2

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'mailEnabled','True','EQUAL' `
            -OutVariable condition3

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ScopeCondition' `
            -ArgumentList 'memberCount','150000','LESSTHAN' `
            -OutVariable condition4

        $null = Add-ADSyncScopeConditionGroup `
            -SynchronizationRule $syncRule[0] `
            -ScopeConditions @($condition0[0],$condition1[0],$condition2[0],$condition3[0],$condition4[0]) `
            -OutVariable syncRule

        $null = New-Object `
            -TypeName 'Microsoft.IdentityManagement.PowerShell.ObjectModel.JoinCondition' `
            -ArgumentList 'sourceAnchor','sourceAnchor',$false `
            -OutVariable condition0

        $null = Add-ADSyncJoinConditionGroup `
            -SynchronizationRule $syncRule[0] `
            -JoinConditions @($condition0[0]) `
            -OutVariable syncRule

        $null = Add-ADSyncRule `
            -SynchronizationRule $syncRule[0]
    }
    if ($Run.Changed) { $Run.Rules = $null }

    # managed rule limit as desired
    Write-Host '[4/6] UpdateSyncRule(name="Out to AAD - Group Writeup Member Limit (member limit)", precedence=89, limit=150000)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if (-not (Test-ManagedRule -Name 'Out to AAD - Group Writeup Member Limit (member limit)' -Precedence 89 -MemberExpression 'IIF((ValueCount("member")> 150000),Error("Maximum Group member count exceeded. Visit https://go.microsoft.com/fwlink/?linkid=2154336 for more information."),IgnoreThisFlow)' -ScopeLimit '')) {
        $Run.Changed = $true
        # The whole rule is written under its identifier: Add-ADSyncRule updates it in place.
        $others = @(Get-ManagedRule 'Out to AAD - Group Writeup Member Limit (member limit)' | Where-Object { $_.Identifier -ne '346122b3-e8ed-589b-8705-8c4f062ca1cf' })
        foreach ($existing in $others) {
            Remove-ADSyncRule -Identifier $existing.Identifier
        }
        $null = New-ADSyncRule `
            -Name 'Out to AAD - Group Writeup Member Limit (member limit)' `
            -Identifier '346122b3-e8ed-589b-8705-8c4f062ca1cf' `
            -Description '' `
            -Direction 'Outbound' `
            -Precedence 89 `
            -PrecedenceAfter '00000000-0000-0000-0000-000000000000' `
            -PrecedenceBefore '00000000-0000-0000-0000-000000000000' `
            -SourceObjectType 'group' `
            -TargetObjectType 'group' `
            -Connector 'b891884f-051e-4a83-95af-2544101c9083' `
            -LinkType 'Join' `
            -SoftDeleteExpiryInterval 0 `
            -ImmutableTag '' `
            -OutVariable syncRule

        $null = Add-ADSyncAttributeFlowMapping `
            -SynchronizationRule $syncRule[0] `
            -Source @('member') `
            -Destination 'member' `
            -FlowType 'Expression' `
            -ValueMergeType 'Update' `
            -Expression 'IIF((ValueCount("member")> 150000),Error("Maximum Group member count exceeded. Visit https://go.microsoft.com/fwlink/?linkid=2154336 for more information."),IgnoreThisFlow)' `
            -OutVariable syncRule

        $null = Add-ADSyncRule `
            -SynchronizationRule $syncRule[0]
    }
    if ($Run.Changed) { $Run.Rules = $null }

    # a higher limit on an existing clone needs no full sync
    Write-Host '[5/6] SetConnectorOverride(connectorName="contoso.onmicrosoft.com - AAD", fullSyncRequired=false)'
    Wait-ADSyncIdle
    $Run.Changed = $false
    if ((Get-ADSyncSchedulerConnectorOverride -ConnectorName 'contoso.onmicrosoft.com - AAD').FullSyncRequired -ne $false) {
        $Run.Changed = $true
        $null = Set-ADSyncSchedulerConnectorOverride -FullSyncRequired $false -ConnectorName 'contoso.onmicrosoft.com - AAD'
    }

    # restore the scheduler as desired
    Write-Host '[6/6] SetSyncCycleEnabled(enabled=true)'
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
