"""The contract lives in docs/: every page and heading the code cites exists, and nothing cites a
document outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import ROOT

DOCS = ROOT / "docs"
CITATION = re.compile(r"docs/([a-z\-]+\.md)(?:#([a-z0-9\-]+))?")


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            found.add(re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-"))
    return found


def _sources() -> list[Path]:
    return [*(ROOT / "reconciler").rglob("*.py"), *(ROOT / "tests").rglob("*.py"), ROOT / "README.md"]


def test_every_cited_page_and_heading_exists() -> None:
    missing = []
    for source in _sources():
        for page, anchor in CITATION.findall(source.read_text(encoding="utf-8")):
            target = DOCS / page
            if not target.is_file() or (anchor and anchor not in _anchors(target)):
                missing.append(f"{source.relative_to(ROOT)}: docs/{page}#{anchor}")
    assert missing == []


def test_no_code_cites_a_design_document_outside_the_repository() -> None:
    citing = [str(p.relative_to(ROOT)) for p in (ROOT / "reconciler").rglob("*.py") if "DESIGN" in p.read_text()]
    assert citing == []


def test_the_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    assert {p.name for p in DOCS.glob("*.md")} - {"README.md"} == set(re.findall(r"\]\(([a-z\-]+\.md)\)", index))
