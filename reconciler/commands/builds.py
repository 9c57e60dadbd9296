"""`reconciler builds`: the build and support table the tool judges servers by, with its sources and age."""

from __future__ import annotations

import json
import sys

from reconciler.errors import EXIT_OK
from reconciler.model import builds


def _text(table: builds.SupportTable, today: str) -> str:
    lines = [f"Builds of Microsoft Entra Connect Sync this tool knows (checked {table.checked})"]
    stale = builds.table_age_warning(today)
    if stale is not None:
        lines.append(f"Warning: {stale}")
    lines += [
        f"Since {table.minimum_since} every build below {table.minimum} does not synchronize, in every cloud "
        f"[{table.minimum_source.key}]; 1.x builds since {table.one_x_stopped} [{table.one_x_source.key}].",
        f"Since {table.wizard_since} the wizard's sign-in needs {table.wizard_minimum['AzureCommercial']} "
        f"(Azure Commercial) or {table.wizard_minimum['other']} (other clouds); synchronization was not affected "
        f"[{table.wizard_source.key}].",
        f"Current build: {table.current}. A build newer than {table.newest} is newer than this table.",
        "",
        f"  {'build':<11} {'end of support':<15} {'source':<28} {'kind':<10} note",
    ]
    for row in reversed(table.rows):
        end = row.end_of_support or "(current)"
        state = "ended" if row.end_of_support is not None and row.end_of_support <= today else ""
        note = "; ".join(n for n in (state, row.note or "") if n)
        line = f"  {row.version!s:<11} {end:<15} {row.source.key:<28} {row.source.kind:<10} {note}"
        lines.append(line.rstrip())
    lines += ["", "Sources:"]
    for source in table.sources:
        lines.append(f"  [{source.key}] {source.kind}: {source.title}")
        lines.append(f"      {source.url}")
        lines.append(f"      read: {source.read}")
    return "\n".join(lines) + "\n"


def _json(table: builds.SupportTable, today: str) -> str:
    document = {
        "checked": table.checked,
        "ageDays": builds.table_age_days(today),
        "stale": builds.table_age_warning(today) is not None,
        "current": str(table.current),
        "newest": str(table.newest),
        "minimum": table.document["minimum"],
        "oneX": table.document["oneX"],
        "wizardSignIn": table.document["wizardSignIn"],
        "builds": [
            {
                "version": str(row.version),
                "endOfSupport": row.end_of_support,
                "ended": row.end_of_support is not None and row.end_of_support <= today,
                "source": row.source.key,
                "sourceKind": row.source.kind,
                "note": row.note,
            }
            for row in table.rows
        ],
        "sources": table.document["sources"],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def print_builds(output: str) -> int:
    table, today = builds.support_table(), builds.today()
    sys.stdout.write(_json(table, today) if output == "json" else _text(table, today))
    return EXIT_OK
