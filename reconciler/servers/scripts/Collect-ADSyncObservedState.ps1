#Requires -RunAsAdministrator
#Requires -PSEdition Desktop
#Requires -Modules ADSync
<#
.SYNOPSIS
    Writes the observed state of this Entra Connect Sync (Azure AD Connect) server as JSON, for
    `reconciler plan --target snapshot:FILE.json`.

.DESCRIPTION
    Reads only; changes nothing. Uses Get-ADSyncGlobalSettings, Get-ADSyncScheduler,
    Get-ADSyncConnector, Get-ADSyncSchedulerConnectorOverride, Get-ADSyncRule and the ADSync
    registry values, and shapes them as the reconciler's observed-state format
    (schemas/observed-state.schema.json): enums and TimeSpans as strings, an absent registry value
    as null. The export API version is read from all three places it lives: the registry value,
    the Azure AD connector's ExtensionConfiguration.ExportType, and the
    EnableNonExistentObjectReferenceExportFiltering value under PerMAInstance\<connector name>.
    The last sync cycle comes from the run history (Get-ADSyncRunProfileResult): the runs up to
    the Azure AD connector's last finished export, their worst result, their errors by type and
    when the export ended, so that a staged rollout steps on real cycle ends.

.PARAMETER OutFile
    Where to write the JSON (UTF-8, no BOM). Prints it when omitted.

.PARAMETER Name
    The server's name as the state file's metadata.name spells it. Default: this computer's name.

.PARAMETER Cloud
    The tenant's cloud: AzureCommercial, AzureUSGovernment, AzureChina21Vianet or AzureGermany.

.PARAMETER TenantHasVerifiedDomain
    Whether the tenant has a verified DNS domain (15,000-member limit without one): true, false or
    unknown (the default). A value, not a switch or a [bool]: powershell.exe -File passes every
    argument as text, which a [bool] parameter refuses.

.PARAMETER GroupsCsv
    Optional CSV with columns name,memberCount,provisioned: group sizes for the impact analysis.

.EXAMPLE
    .\Collect-ADSyncObservedState.ps1 -Name contoso-aadc01 -OutFile .\contoso-aadc01.json

.EXAMPLE
    powershell.exe -NoProfile -File .\Collect-ADSyncObservedState.ps1 -TenantHasVerifiedDomain true
#>
[CmdletBinding()]
param(
    [string] $OutFile,
    [string] $Name = $env:COMPUTERNAME.ToLowerInvariant(),
    [ValidateSet('AzureCommercial', 'AzureUSGovernment', 'AzureChina21Vianet', 'AzureGermany')]
    [string] $Cloud = 'AzureCommercial',
    [ValidateSet('true', 'false', 'unknown')]
    [string] $TenantHasVerifiedDomain = 'unknown',
    [string] $GroupsCsv
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
Import-Module ADSync

$AadConnectorId = 'b891884f-051e-4a83-95af-2544101c9083'
$ParametersKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\ADSync\Parameters'

function Get-RegistryInt([string] $ValueName) {
    # An absent value means "the build's default" to the product: it is written as null.
    $item = Get-ItemProperty -LiteralPath $ParametersKey -Name $ValueName -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [int] $item.$ValueName
}

function ConvertTo-NullableString($Value) {
    if ($null -eq $Value) { return $null }
    return [string] $Value
}

function ConvertTo-TagText($Tag) {
    # SynchronizationRule.ImmutableTag is an ImmutableTag object; its text is its TagValue.
    if ($null -eq $Tag) { return $null }
    return ConvertTo-NullableString $Tag.TagValue
}

function Get-ExportFiltering([string] $ConnectorName) {
    # The third place of the export API version; absent, the product reads it as V2 (null here).
    $key = Join-Path $ParametersKey ('PerMAInstance\' + $ConnectorName)
    $item = Get-ItemProperty -LiteralPath $key -Name 'EnableNonExistentObjectReferenceExportFiltering' -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [int] $item.EnableNonExistentObjectReferenceExportFiltering
}

function ConvertTo-ObservedRule($Rule) {
    [ordered] @{
        Identifier            = [string] $Rule.Identifier
        Name                  = [string] $Rule.Name
        Version               = [int] $Rule.Version
        Direction             = [string] $Rule.Direction
        Precedence            = [int] $Rule.Precedence
        Disabled              = [bool] $Rule.Disabled
        ImmutableTag          = ConvertTo-TagText $Rule.ImmutableTag
        IsStandardRule        = [bool] $Rule.IsStandardRule
        Connector             = [string] $Rule.Connector
        SourceObjectType      = [string] $Rule.SourceObjectType
        TargetObjectType      = [string] $Rule.TargetObjectType
        LinkType              = [string] $Rule.LinkType
        ScopeFilter           = @(foreach ($group in @($Rule.ScopeFilter)) {
                [ordered] @{ ScopeConditionList = @(foreach ($c in @($group.ScopeConditionList)) {
                            [ordered] @{
                                Attribute          = [string] $c.Attribute
                                ComparisonOperator = [string] $c.ComparisonOperator
                                ComparisonValue    = [string] $c.ComparisonValue
                            }
                        }) }
            })
        JoinFilter            = @(foreach ($group in @($Rule.JoinFilter)) {
                [ordered] @{ JoinConditionList = @(foreach ($c in @($group.JoinConditionList)) {
                            [ordered] @{
                                CSAttribute   = [string] $c.CSAttribute
                                MVAttribute   = [string] $c.MVAttribute
                                CaseSensitive = [bool] $c.CaseSensitive
                            }
                        }) }
            })
        AttributeFlowMappings = @(foreach ($m in @($Rule.AttributeFlowMappings)) {
                [ordered] @{
                    Source         = @(foreach ($s in @($m.Source)) { [string] $s })
                    Destination    = [string] $m.Destination
                    FlowType       = [string] $m.FlowType
                    Expression     = ConvertTo-NullableString $m.Expression
                    ValueMergeType = [string] $m.ValueMergeType
                    ExecuteOnce    = [bool] $m.ExecuteOnce
                }
            })
    }
}

function Get-LastSyncCycle([string] $ConnectorId) {
    # The last cycle: every run since the Azure AD connector's export before its last finished one,
    # up to that export's end. Run history times are UTC (a local time is converted).
    if (-not (Get-Command -Name 'Get-ADSyncRunProfileResult' -ErrorAction SilentlyContinue)) { return $null }
    $runs = @(Get-ADSyncRunProfileResult -NumberRequested 100 | Where-Object { $_.IsRunComplete } |
            Sort-Object -Property StartDate -Descending)
    $exports = @($runs | Where-Object { [string] $_.ConnectorId -eq $ConnectorId -and $_.RunProfileName -like '*Export*' })
    if ($exports.Count -eq 0) { return $null }
    $last = $exports[0]
    $since = [datetime]::MinValue
    if ($exports.Count -gt 1) { $since = $exports[1].EndDate }
    $cycle = @($runs | Where-Object { $_.StartDate -gt $since -and $_.StartDate -le $last.EndDate })
    $errors = @(foreach ($run in $cycle) {
            foreach ($detail in @(Get-ADSyncRunProfileResult -RunHistoryId $run.RunHistoryId -RunStepDetails)) {
                foreach ($step in @($detail.RunStepResults)) {
                    if ($null -ne $step.SyncErrors) { @($step.SyncErrors.SyncErrorsList) }
                }
            }
        })
    $failed = @($cycle | Where-Object { $_.Result -ne 'success' })
    $ended = Get-Date -Date $last.EndDate
    if ($ended.Kind -eq [DateTimeKind]::Local) { $ended = $ended.ToUniversalTime() }
    [ordered] @{
        result       = if ($failed.Count -gt 0) { [string] $failed[0].Result } else { 'success' }
        kind         = if (@($cycle | Where-Object { $_.RunProfileName -like '*Full*' }).Count -gt 0) { 'full' } else { 'delta' }
        endedAt      = $ended.ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
        exportErrors = @(foreach ($group in @($errors | Group-Object -Property ErrorType)) {
                $type = 'unknown'
                if ($group.Name) { $type = [string] $group.Name }
                [ordered] @{ type = $type; count = [int] $group.Count }
            })
    }
}

$verifiedDomain = switch ($TenantHasVerifiedDomain) {
    'true' { $true }
    'false' { $false }
    default { $null }
}
$settings = Get-ADSyncGlobalSettings
$version = $settings.Parameters['Microsoft.Synchronize.ServerConfigurationVersion'].Value
$scheduler = Get-ADSyncScheduler
# The machine's own name, read here and never taken from an argument: the plan checks it against
# metadata.host. The DNS name where DNS answers, else the computer name.
$hostName = $env:COMPUTERNAME
try { $hostName = [System.Net.Dns]::GetHostEntry('').HostName } catch { Write-Verbose "no DNS name: $_" }
$aad = Get-ADSyncConnector -Identifier $AadConnectorId

$overrides = @(foreach ($connector in @(Get-ADSyncConnector)) {
        $o = Get-ADSyncSchedulerConnectorOverride -ConnectorName $connector.Name
        [ordered] @{
            ConnectorName      = [string] $connector.Name
            FullImportRequired = [bool] $o.FullImportRequired
            FullSyncRequired   = [bool] $o.FullSyncRequired
        }
    })

$state = [ordered] @{
    schemaVersion      = 1
    collectedAt        = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
    server             = [ordered] @{
        name                    = $Name
        version                 = [string] $version
        cloud                   = $Cloud
        tenantHasVerifiedDomain = $verifiedDomain
        host                    = [string] $hostName
        instanceId              = [string] $settings.InstanceId
    }
    registry           = [ordered] @{
        AadConnectorExportApiVersion = Get-RegistryInt 'AadConnectorExportApiVersion'
        AadConnectorImportApiVersion = Get-RegistryInt 'AadConnectorImportApiVersion'
        EnableNonExistentObjectReferenceExportFiltering = Get-ExportFiltering ([string] $aad.Name)
    }
    aadConnector       = [ordered] @{
        Identifier = [string] $aad.Identifier
        Name       = [string] $aad.Name
        ExportType = [int] $aad.ExtensionConfiguration.ExportType
    }
    scheduler          = [ordered] @{
        SyncCycleEnabled                    = [bool] $scheduler.SyncCycleEnabled
        # A run profile started by hand shows in Get-ADSyncConnectorRunStatus only.
        SyncCycleInProgress                 = [bool] ($scheduler.SyncCycleInProgress -or @(Get-ADSyncConnectorRunStatus).Count -gt 0)
        StagingModeEnabled                  = [bool] $scheduler.StagingModeEnabled
        SchedulerSuspended                  = [bool] $scheduler.SchedulerSuspended
        MaintenanceEnabled                  = [bool] $scheduler.MaintenanceEnabled
        NextSyncCyclePolicyType             = ConvertTo-NullableString $scheduler.NextSyncCyclePolicyType
        AllowedSyncCycleInterval            = ConvertTo-NullableString $scheduler.AllowedSyncCycleInterval
        CurrentlyEffectiveSyncCycleInterval = ConvertTo-NullableString $scheduler.CurrentlyEffectiveSyncCycleInterval
        CustomizedSyncCycleInterval         = ConvertTo-NullableString $scheduler.CustomizedSyncCycleInterval
    }
    connectorOverrides = $overrides
    syncRules          = @(foreach ($rule in @(Get-ADSyncRule)) { ConvertTo-ObservedRule $rule })
}

if ($GroupsCsv) {
    $state.groups = @(foreach ($row in @(Import-Csv -LiteralPath $GroupsCsv)) {
            [ordered] @{
                name        = [string] $row.name
                memberCount = [int] $row.memberCount
                provisioned = [bool]::Parse($row.provisioned)
            }
        })
}

# A source that cannot read the run history leaves the cycle out rather than fail the whole read.
$lastSyncCycle = $null
try { $lastSyncCycle = Get-LastSyncCycle $AadConnectorId } catch { Write-Verbose "no run history: $_" }
if ($null -ne $lastSyncCycle) { $state.lastSyncCycle = $lastSyncCycle }

# -InputObject, not the pipeline: piping would unwrap one-element arrays.
$json = ConvertTo-Json -InputObject $state -Depth 12
if ($OutFile) {
    # .NET resolves a relative path against the process folder, not the current location.
    $target = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
    [IO.File]::WriteAllText($target, $json, [Text.UTF8Encoding]::new($false))
}
else {
    $json
}
