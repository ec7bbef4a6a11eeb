"""Docs stand alone: every link resolves inside the repository, and nothing cites what a clone lacks."""

from __future__ import annotations

import re

from tests.helpers import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TEXT = [*DOCS, *sorted(p for folder in ("src", "transforms", "config", "dags", "tests", "bench")
                       for p in (REPO / folder).rglob("*") if p.suffix in (".py", ".sql", ".yaml", ".md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_relative_link_of_the_docs_resolves():
    broken = [f"{doc.relative_to(REPO)}: {target}" for doc in DOCS for target in LINK.findall(doc.read_text("utf-8"))
              if "://" not in target and not target.startswith("mailto:") and not (doc.parent / target).exists()]
    assert broken == []


def test_nothing_cites_a_file_or_an_issue_outside_the_repository():
    # The framework once lived outside the repository, beside the "seed" texts it summarised;
    # issue numbers name a tracker a clone does not have.
    pattern = re.compile(r"FRAMEWORK\.md|\b[Ss]eeds? 00\d|\b[Ii]ssue \d+")
    found = [f"{path.relative_to(REPO)}: {match.group(0)}" for path in TEXT if path.name != "test_doc_links.py"
             for match in pattern.finditer(path.read_text("utf-8", errors="replace"))]
    assert found == []
