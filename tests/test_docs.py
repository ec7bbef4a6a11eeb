"""Docs are part of the feature: every indicator column is defined in the methodology."""

from __future__ import annotations

import re

import pytest

from netpulse.build import build
from netpulse.loading import ingest
from tests.conftest import ATTENDANCE_HEADER, REPO, attendance_row, make_settings, query, write_csv

METHODOLOGY = (REPO / "docs" / "methodology.md").read_text(encoding="utf-8")
ANALYST_GUIDE = (REPO / "docs" / "analyst-guide.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("docs"))
    write_csv(settings.landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-01-15T10:00:00", "a@x.example")])
    ingest(settings)
    build(settings)
    return settings


def defined_columns(text: str) -> set[str]:
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", text, flags=re.MULTILINE))


@pytest.mark.parametrize("table", ["network_period", "stage_transitions"])
def test_every_indicator_column_has_a_definition_in_the_methodology(warehouse, table):
    columns = {c for (c,) in query(warehouse, "select column_name from information_schema.columns "
                                   "where table_schema = 'indicators' and table_name = ?", [table])}
    assert columns
    assert columns - defined_columns(METHODOLOGY) == set()


def test_every_analyst_table_is_in_the_guide(warehouse):
    tables = query(warehouse, "select table_schema || '.' || table_name from information_schema.tables "
                   "where table_schema in ('core', 'indicators', 'meta')")
    missing = [t for (t,) in tables if t not in ANALYST_GUIDE]
    assert missing == []
