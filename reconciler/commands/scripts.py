"""`reconciler collector-script`, `task-script` and `schema`: print what ships with the tool.

`schema NAME` lets a state repository keep the schema its editors check against beside its state
files (`schemas/desired-state.schema.json`, which `export` then references), matching the tool
that CI installs.
"""

from __future__ import annotations

import sys

from reconciler.errors import EXIT_OK
from reconciler.formats import schemas
from reconciler.servers import powershell

COLLECTOR = powershell.COLLECTOR
SCHEDULED_TASK = "Register-ReconcilerTask.ps1"


def script_text(name: str) -> str:
    return powershell.shipped_script(name)


def print_script(name: str) -> int:
    sys.stdout.write(script_text(name))
    return EXIT_OK


def print_schema(name: str) -> int:
    sys.stdout.write(schemas.schema_text(f"{name}.schema.json"))
    return EXIT_OK
