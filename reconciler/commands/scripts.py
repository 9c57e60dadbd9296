"""`reconciler collector-script` and `reconciler task-script`: print the PowerShell scripts that ship with the tool."""

from __future__ import annotations

import sys

from reconciler.errors import EXIT_OK
from reconciler.servers import powershell

COLLECTOR = powershell.COLLECTOR
SCHEDULED_TASK = "Register-ReconcilerTask.ps1"


def script_text(name: str) -> str:
    return powershell.shipped_script(name)


def print_script(name: str) -> int:
    sys.stdout.write(script_text(name))
    return EXIT_OK
