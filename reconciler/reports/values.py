"""How a managed setting's value, and any text from a server or a file, reads in text and Markdown
reports: escaped by `printable` (errors.py, where problems use it too), so it stays one line of text."""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import printable

__all__ = ["printable", "shown"]


def shown(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{printable(str(k))}: {shown(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "(none)"
    return printable(json.dumps(value, ensure_ascii=False) if isinstance(value, (bool, str)) else str(value))
