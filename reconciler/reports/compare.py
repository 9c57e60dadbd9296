"""`reconciler compare` for people (text), programs (JSON) and pull requests (Markdown) (docs/compare.md)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.planning.compare import MANAGED, NOISE, OTHER, Comparison, Difference, noise_summary
from reconciler.reports.values import printable, shown

FORMAT_VERSION = 1
# Text shows this many noise lines of each kind; JSON has them all.
NOISE_SHOWN = 3


def _side(state_label: str, c: Comparison, side: str) -> str:
    state = c.left if side == "left" else c.right
    server = state.server
    host = f", machine {server.host}" if server.host else ""
    staging = state.scheduler.staging_mode_enabled
    mode = "" if staging is None else ", staging" if staging else ", active"
    return printable(f"{state_label} — {server.name}{host}, build {server.version}{mode}")


def _value(value: Any) -> str:
    return "(absent)" if value is None else shown(value)


def _line(d: Difference) -> str:
    return printable(f"{d.path}: {_value(d.left)} | {_value(d.right)}")


def verdict(c: Comparison) -> str:
    if c.differs:
        return "they differ in what the state files manage"
    if c.of(OTHER):
        return "the same managed settings; other differences below"
    return "the same managed settings and nothing else differs" + (" but upgrade noise" if c.of(NOISE) else "")


def text(c: Comparison, left: str, right: str) -> str:
    lines = [f"left:  {_side(left, c, 'left')}", f"right: {_side(right, c, 'right')}"]
    lines.append(f"compared: {verdict(c)}")
    remapped = [printable(f"{name}: {a} = {b}") for name, a, b in c.connectors if a != b]
    rules = f"{c.matched_rules} rules matched, {c.remapped_rules} of them under another identifier"
    lines.append("remapped: " + "; ".join([*remapped, rules]))
    if c.unobserved:
        lines.append("not compared (one side could not observe it): " + ", ".join(c.unobserved))
    managed, other, noise = c.of(MANAGED), c.of(OTHER), c.of(NOISE)
    lines.append(f"\nmanaged settings: {len(managed) or 'no'} difference(s)" + (" (left | right)" if managed else ""))
    lines += [f"  {_line(d)}" for d in managed]
    lines.append(f"\nother differences (not managed): {len(other) or 'none'}")
    lines += [f"  {_line(d)}" for d in other]
    lines.append(f"\nupgrade noise (not differences): {len(noise) or 'none'}")
    for why, count in noise_summary(noise):
        examples = [d for d in noise if d.why.split(":", 1)[0] == why]
        lines.append(printable(f"  {why}: {count}"))
        lines += [f"    {_line(d)}" for d in examples[:NOISE_SHOWN]]
        if count > NOISE_SHOWN:
            lines.append(f"    … and {count - NOISE_SHOWN} more (--output json lists them all)")
    return "\n".join(lines) + "\n"


def _difference(d: Difference) -> dict[str, Any]:
    entry = {"path": d.path, "left": d.left, "right": d.right}
    return entry | ({"why": d.why} if d.why else {})


def _server(c: Comparison, label: str, side: str) -> dict[str, Any]:
    state = c.left if side == "left" else c.right
    return {
        "target": label,
        "server": state.server.name,
        "host": state.server.host,
        "version": state.server.version,
        "staging": state.scheduler.staging_mode_enabled,
        "aadConnector": {"name": state.aad_connector.name, "identifier": state.aad_connector.identifier},
    }


def as_json(c: Comparison, left: str, right: str) -> str:
    document = {
        "formatVersion": FORMAT_VERSION,
        "left": _server(c, left, "left"),
        "right": _server(c, right, "right"),
        "differ": c.differs,
        "managed": [_difference(d) for d in c.of(MANAGED)],
        "other": [_difference(d) for d in c.of(OTHER)],
        "noise": [_difference(d) for d in c.of(NOISE)],
        "remapped": {
            "connectors": [{"connector": n, "left": a, "right": b} for n, a, b in c.connectors],
            "rulesMatched": c.matched_rules,
            "rulesUnderAnotherIdentifier": c.remapped_rules,
        },
        "notCompared": list(c.unobserved),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("`", "'")


def _rows(differences: tuple[Difference, ...], why: bool = False) -> list[str]:
    header = "| what | left | right |" + (" why |" if why else "")
    rows = [header, "| --- | --- | --- |" + (" --- |" if why else "")]
    for d in differences:
        row = f"| {_cell(d.path)} | {_cell(_value(d.left))} | {_cell(_value(d.right))} |"
        rows.append(row + (f" {_cell(d.why)} |" if why else ""))
    return rows


def markdown(c: Comparison, left: str, right: str) -> str:
    out = [f"## ADSync Reconciler compare: {verdict(c)}", ""]
    out += [f"- left: {_cell(_side(left, c, 'left'))}", f"- right: {_cell(_side(right, c, 'right'))}", ""]
    for title, kind in (("Managed settings", MANAGED), ("Other differences (not managed)", OTHER)):
        found = c.of(kind)
        out.append(f"### {title}: {len(found) or 'none'}")
        out += [*(_rows(found) if found else []), ""]
    noise = c.of(NOISE)
    out.append(f"### Upgrade noise (not differences): {len(noise) or 'none'}")
    if noise:
        out += [
            "<details><summary>" + ", ".join(f"{_cell(w)}: {n}" for w, n in noise_summary(noise)) + "</summary>",
            "",
        ]
        out += [*_rows(noise, why=True), "", "</details>"]
    return "\n".join(out) + "\n"


FORMATS = {"text": text, "json": as_json, "markdown": markdown}
