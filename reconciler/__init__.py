"""ADSync Reconciler: declarative V2 endpoint settings for Entra Connect Sync servers."""

from __future__ import annotations

__version__ = "0.2.0"
