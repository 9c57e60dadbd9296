"""`plan --output powershell`: the plan as a script a Windows admin reads, reviews and runs.

Each action is the guarded step its kind renders (`reconciler.planning.actions`), so running the script
again changes nothing more; the scheduler is restored in a `finally` if the script stops
half-way; the AADConnector module is imported from the install folder the registry names. The
steps are built as a live apply's are (`reconciler.planning.scripts`); all PowerShell text comes
from `reconciler.cmdlets`.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler import __version__, cmdlets
from reconciler.errors import UserError
from reconciler.options import DEFAULT_WAIT_TIMEOUT
from reconciler.planning import scripts
from reconciler.planning.plans import Plan
from reconciler.running.results import ServerResult


def _header(p: Plan) -> list[str]:
    lines = [
        "#Requires -RunAsAdministrator",
        # The ADSync module's objects are only live in Windows PowerShell 5.1 (docs/targets.md).
        "#Requires -PSEdition Desktop",
        # A script with nothing to do needs no sync engine: it runs anywhere.
        *([cmdlets.REQUIRES_ADSYNC] if p.actions else []),
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
        "    The script is pure ASCII (other characters are written as [char] code points), so it",
        "    reads the same in any code page.",
    ]
    if p.impact.groups_to_delete:
        lines.append(f"    Deletes on the next full sync: {', '.join(p.impact.groups_to_delete)}")
    # No server or user text may close the block comment early, or bring a byte beyond ASCII.
    return [cmdlets.comment(line) for line in lines] + ["#>"]


def script(p: Plan) -> str:
    if not p.actions:
        return "\n".join([*_header(p), "", cmdlets.write_host(p.server + ": no changes"), ""])
    return "\n".join([*_header(p), *scripts.printed(p, int(DEFAULT_WAIT_TIMEOUT))])


def report(outcomes: Sequence[ServerResult]) -> str:
    # A script's param() must be its first statement: one server, one script.
    if len(outcomes) != 1 or outcomes[0].plan is None:
        raise UserError(f"--output powershell writes one server's script; {len(outcomes)} state files were given")
    return script(outcomes[0].plan)
