#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Registers a Windows scheduled task on the Entra Connect Sync server that runs
    `reconciler reconcile STATE --target powershell` at start-up and on a schedule, so that
    whatever an in-place upgrade resets is put back without anyone noticing first.

.DESCRIPTION
    The task runs the reconciler installed on this server (pip install adsync-reconciler) against
    a state file or folder on this server, e.g. a git checkout of the state repository kept current
    by your deployment. Each run waits for a running sync cycle, turns the scheduler off around
    its changes and always turns it back on; its journal is kept in the working directory.

    The account it runs as is named with -User: a group managed service account (a name ending
    in $, or -Gmsa; Windows fetches its password), or a user account with its password, given as
    -Password or asked for. SYSTEM is taken only when named (-User SYSTEM): it is not a member of
    ADSyncAdmins, so the ADSync cmdlets refuse it until it is added. The account needs the right
    to log on as a batch job, membership of the ADSyncAdmins group to run the ADSync cmdlets and
    change sync rules, write access to the ADSync Parameters registry key
    (Set-ADSyncAADConnector*ApiVersion), and write access to the working directory. Registration
    checks that it is a member of the local ADSyncAdmins group and says so when it is not (or
    when the group is a domain one, which it cannot check).

.EXAMPLE
    .\Register-ReconcilerTask.ps1 -StatePath 'D:\states' -User 'CONTOSO\svc-reconciler$'

.EXAMPLE
    .\Register-ReconcilerTask.ps1 -StatePath 'D:\states\contoso-aadc01.yaml' -User 'CONTOSO\svc-reconciler' -EveryMinutes 60
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $StatePath,
    [Parameter(Mandatory)] [string] $User,
    [string] $Reconciler,
    [ValidateRange(5, 1440)] [int] $EveryMinutes = 60,
    [string] $TaskName = 'ADSync Reconciler',
    [string] $WorkingDirectory = (Join-Path $env:ProgramData 'ADSyncReconciler'),
    [switch] $Gmsa,
    [securestring] $Password
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

function ConvertTo-TaskPath([string] $Path) {
    # Absolute (the task runs in its working directory), and without the trailing backslash tab
    # completion adds: in "D:\states\" the backslash would escape the closing quote and swallow
    # the next argument. A drive's root stays a folder as D:\. instead.
    $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    $trimmed = $full.TrimEnd('\')
    if ($trimmed.EndsWith(':')) { return $trimmed + '\.' }
    return $trimmed
}

function Test-SyncAdminsMember([string] $Account) {
    # The ADSync cmdlets run only for members of ADSyncAdmins: a local group on a member server,
    # a domain group on a domain controller or where custom sync groups were chosen.
    $group = Get-LocalGroup -Name 'ADSyncAdmins' -ErrorAction SilentlyContinue
    if ($null -eq $group) {
        Write-Warning "There is no local ADSyncAdmins group here (a domain group serves instead): make sure $Account is a member of it."
        return
    }
    try {
        $sid = ([Security.Principal.NTAccount]::new($Account)).Translate([Security.Principal.SecurityIdentifier])
        $members = @(Get-LocalGroupMember -Group $group)
    }
    catch {
        Write-Warning "Could not check that $Account is a member of ADSyncAdmins: $($_.Exception.Message)"
        return
    }
    if (@($members | Where-Object { $_.SID -eq $sid }).Count -gt 0) { return }
    Write-Warning ("$Account is not a member of ADSyncAdmins, so the ADSync cmdlets will refuse the task " +
        "(unless it is a member through a domain group): Add-LocalGroupMember -Group ADSyncAdmins -Member '$Account'")
}

if (-not $Reconciler) {
    $Reconciler = (Get-Command -Name 'reconciler.exe' -CommandType Application).Source
}
if (-not (Test-Path -LiteralPath $StatePath)) { throw "No state file or folder at $StatePath" }
# The task's argument string is split by the Windows command-line rules: a double quote in a
# path cannot be carried safely, and Windows paths cannot hold one anyway.
if ($StatePath.Contains('"') -or $WorkingDirectory.Contains('"')) { throw 'Paths must not contain double quotes.' }
$StatePath = ConvertTo-TaskPath $StatePath
$null = New-Item -ItemType Directory -Force -Path $WorkingDirectory
# A group managed service account's name ends in $ (its sAMAccountName).
$isGmsa = $Gmsa.IsPresent -or $User.EndsWith('$')
Test-SyncAdminsMember $User

# The task's events go to the Application log under the tool's own source (docs/eventlog.md): made
# here, elevated, as the task's account may not create one.
if (-not [System.Diagnostics.EventLog]::SourceExists('ADSync Reconciler')) {
    New-EventLog -LogName 'Application' -Source 'ADSync Reconciler'
}
$action = New-ScheduledTaskAction -Execute $Reconciler -Argument "reconcile `"$StatePath`" --target powershell --event-log" `
    -WorkingDirectory $WorkingDirectory
$triggers = @(
    New-ScheduledTaskTrigger -AtStartup
    New-ScheduledTaskTrigger -Once -At (Get-Date) -RepetitionInterval (New-TimeSpan -Minutes $EveryMinutes)
)
# One run at a time, and none left running forever: the reconciler's own wait is bounded too.
$settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -StartWhenAvailable `
    -ExecutionTimeLimit (New-TimeSpan -Hours 2)
$task = @{
    TaskName    = $TaskName
    Action      = $action
    Trigger     = $triggers
    Settings    = $settings
    Force       = $true
    Description = 'Re-applies the desired Entra Connect Sync V2 endpoint settings (ADSync Reconciler).'
}
if ($User -in 'SYSTEM', 'NT AUTHORITY\SYSTEM') {
    $principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $null = Register-ScheduledTask @task -Principal $principal
}
elseif ($isGmsa) {
    # A group managed service account: Windows retrieves its password, none is given here.
    $principal = New-ScheduledTaskPrincipal -UserId $User -LogonType Password -RunLevel Highest
    $null = Register-ScheduledTask @task -Principal $principal
}
else {
    # A user account: a principal carries no password, so the user and password go to the task.
    if (-not $Password) { $Password = Read-Host -AsSecureString -Prompt "Password of $User" }
    $plain = [pscredential]::new($User, $Password).GetNetworkCredential().Password
    $null = Register-ScheduledTask @task -User $User -Password $plain -RunLevel Highest
}
Write-Host "Registered '$TaskName' for ${User}: at start-up and every $EveryMinutes minutes, in $WorkingDirectory."
