"""How a managed setting's value reads in text and Markdown reports."""

from __future__ import annotations

import json
from typing import Any


def shown(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (bool, str)) else str(value)
