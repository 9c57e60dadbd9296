"""Defaults the command line offers and deeper layers share; nothing here imports anything.

Kept apart so that `reconciler --help` and argument parsing load no stage of the pipeline
(start-up time is most of a small run's time).
"""

from __future__ import annotations

# docs/commands.md#waiting-for-a-sync-cycle: WaitForSyncIdle waits at most --wait-timeout seconds, default 1800.
DEFAULT_WAIT_TIMEOUT = 1800.0
WAIT_ENV = "RECONCILER_WAIT_TIMEOUT"
# A fleet applies its staging servers (Entra Connect's staging mode) first, then the active ones.
WAVES = ("staging", "active")
TARGET_ENV = "RECONCILER_TARGET"
KNOWN_TARGETS = (
    "sim, sim:FILE.json, sim:DIR/, snapshot:FILE.json, snapshot:DIR/, export:DIR, powershell or winrm://HOST"
)
