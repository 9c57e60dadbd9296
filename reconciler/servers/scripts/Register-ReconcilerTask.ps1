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

    The account it runs as: SYSTEM by default; a group managed service account with -Gmsa (Windows
    fetches its password); or a user account with its password, given as -Password or asked for.
    A user or gMSA needs the right to log on as a batch job, membership of the local ADSyncAdmins
    group (or Administrators) to run the ADSync cmdlets and change sync rules, write access to the
    ADSync Parameters registry key (Set-ADSyncAADConnector*ApiVersion), and write access to the
    working directory.

.EXAMPLE
    .\Register-ReconcilerTask.ps1 -StatePath 'D:\states\contoso-aadc01.yaml' -EveryMinutes 60

.EXAMPLE
    .\Register-ReconcilerTask.ps1 -StatePath 'D:\states' -User 'CONTOSO\svc-reconciler$' -Gmsa

.EXAMPLE
    .\Register-ReconcilerTask.ps1 -StatePath 'D:\states' -User 'CONTOSO\svc-reconciler'
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $StatePath,
    [string] $Reconciler,
    [ValidateRange(5, 1440)] [int] $EveryMinutes = 60,
    [string] $TaskName = 'ADSync Reconciler',
    [string] $WorkingDirectory = (Join-Path $env:ProgramData 'ADSyncReconciler'),
    [string] $User = 'SYSTEM',
    [switch] $Gmsa,
    [securestring] $Password
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

if (-not $Reconciler) {
    $Reconciler = (Get-Command -Name 'reconciler.exe' -CommandType Application).Source
}
if (-not (Test-Path -LiteralPath $StatePath)) { throw "No state file or folder at $StatePath" }
# The task's argument string is split by the Windows command-line rules: a double quote in a
# path cannot be carried safely, and Windows paths cannot hold one anyway.
if ($StatePath.Contains('"') -or $WorkingDirectory.Contains('"')) { throw 'Paths must not contain double quotes.' }
$null = New-Item -ItemType Directory -Force -Path $WorkingDirectory

$action = New-ScheduledTaskAction -Execute $Reconciler -Argument "reconcile `"$StatePath`" --target powershell" `
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
if ($User -eq 'SYSTEM') {
    $principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $null = Register-ScheduledTask @task -Principal $principal
}
elseif ($Gmsa) {
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
