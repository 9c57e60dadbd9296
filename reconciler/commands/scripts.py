"""`reconciler collector-script` and `reconciler task-script`: print the PowerShell scripts that ship with the tool."""

from __future__ import annotations

import sys
from importlib import resources

from reconciler.errors import EXIT_OK

COLLECTOR = "Collect-ADSyncObservedState.ps1"
SCHEDULED_TASK = "Register-ReconcilerTask.ps1"


def script_text(name: str) -> str:
    return (resources.files("reconciler") / "powershell" / name).read_text(encoding="utf-8")


def print_script(name: str) -> int:
    sys.stdout.write(script_text(name))
    return EXIT_OK
