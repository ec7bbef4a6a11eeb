"""Docs are part of the feature: every indicator column is defined in the methodology.

The fixture warehouse is small but has every source (roster, attendance with a host, forum,
survey), so every indicators table has rows and the long-form table has its key-feature
component rows.
"""

from __future__ import annotations

import re

import pytest

from netpulse.build.run import build
from netpulse.config.key_features import load_key_features
from netpulse.ingest.loading import ingest
from netpulse.measures.warning_signs import load_warning_signs
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    REPO,
    ROSTER_HEADER,
    SURVEY_HEADER,
    attendance_row,
    make_settings,
    query,
    write_csv,
)

METHODOLOGY = (REPO / "docs" / "methodology.md").read_text(encoding="utf-8")
ANALYST_GUIDE = (REPO / "docs" / "analyst-guide.md").read_text(encoding="utf-8")

MEMBERS = [("a", "Org1"), ("b", "Org1"), ("c", "Org2"), ("d", "Org2"), ("e", "Org3"), ("f", "Org3")]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("docs"))
    landing = settings.landing
    write_csv(landing, "net", "roster", "r.csv", ROSTER_HEADER, [
        [f"{m}@x.example", m.upper(), org, "acute", "nurse", "north", "false", "2025-12-01", "", ""]
        for m, org in MEMBERS
    ])
    attendance = []
    for meeting, start in (("m1", "2026-01-15T10:00:00"), ("m2", "2026-02-12T10:00:00")):
        for m, _ in MEMBERS:
            attendance.append(attendance_row(meeting, start, f"{m}@x.example", role="host" if m == "a" else ""))
    write_csv(landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, attendance)
    write_csv(landing, "net", "forum", "f.csv", FORUM_HEADER, [
        ["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"],
        ["p2", "p1", "p1", "b@x.example", "B", "2026-01-20T11:00:00", "reply"],
        ["p3", "p1", "p2", "a@x.example", "A", "2026-01-21T09:00:00", "reply"],
        ["p4", "p1", "p2", "c@x.example", "C", "2026-01-22T09:00:00", "reaction"],
        ["p5", "", "", "d@x.example", "D", "2026-02-03T09:00:00", "topic"],
        ["p6", "p5", "p5", "e@x.example", "E", "2026-02-04T09:00:00", "reply"],
    ])
    items = [f"q{i}" for i in range(1, 7)]
    write_csv(landing, "net", "survey", "s.csv", SURVEY_HEADER + items, [
        [f"r{i}", "netpulse-core-v1", "2026-02-20T09:00:00", f"{m}@x.example", "true", *([str(2 + i % 3)] * 6)]
        for i, (m, _) in enumerate(MEMBERS)
    ])
    report = ingest(settings)
    assert {o.status for o in report.outcomes} == {"loaded"}
    build(settings)
    return settings


def defined_columns(text: str) -> set[str]:
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", text, flags=re.MULTILINE))


def indicator_tables(settings) -> list[str]:
    return [t for (t,) in query(settings, "select table_name from information_schema.tables "
                                "where table_schema = 'indicators' and table_name not like '%\\_history' escape '\\' "
                                "order by table_name")]


def test_the_fixture_covers_every_indicators_table(warehouse):
    for table in indicator_tables(warehouse):
        (rows,) = query(warehouse, f"select count(*) from indicators.{table}")[0]
        assert rows > 0, table
    ((components,),) = query(warehouse, "select count(*) from indicators.network_indicators "
                             "where family = 'key feature component' and value is not null")
    ((survey,),) = query(warehouse, "select count(*) from indicators.network_indicators "
                         "where family = 'key feature component' and evidence_kind = 'survey' and value is not null")
    assert components > 0 and survey > 0


def test_every_column_of_every_indicators_table_has_a_definition_in_the_methodology(warehouse):
    tables = indicator_tables(warehouse)
    assert {"network_period", "network_indicators", "network_structure", "network_participation",
            "network_distinctiveness", "network_functions", "network_stages", "stage_transitions",
            "warning_signs", "member_roles"} <= set(tables)
    defined = defined_columns(METHODOLOGY)
    missing = {}
    for table in tables:
        columns = {c for (c,) in query(warehouse, "select column_name from information_schema.columns "
                                       "where table_schema = 'indicators' and table_name = ?", [table])}
        assert columns, table
        if columns - defined:
            missing[table] = sorted(columns - defined)
    assert missing == {}


def test_every_indicators_table_has_its_own_section_in_the_methodology(warehouse):
    sections = set(re.findall(r"^### indicators\.([a-z_]+)$", METHODOLOGY, flags=re.MULTILINE))
    assert set(indicator_tables(warehouse)) - sections == set()


def test_every_history_table_copies_its_tables_columns(warehouse):
    for table in indicator_tables(warehouse):
        history = f"{table}_history"
        columns = query(warehouse, "select table_name, column_name from information_schema.columns "
                        "where table_schema = 'indicators' and table_name in (?, ?)", [table, history])
        own = {c for t, c in columns if t == table}
        kept = {c for t, c in columns if t == history}
        if table == "member_roles":
            assert kept == set(), "member_roles keeps no history"
        else:
            assert own <= kept, table


def test_every_long_form_indicator_has_a_definition_in_the_methodology(warehouse):
    indicators = {i for (i,) in query(warehouse, "select distinct indicator from indicators.network_indicators")}
    signals = {i.split(".", 1)[1] if i.startswith("kf_") and "." in i else i for i in indicators}
    assert {"kf_relationships", "tie_persistence", "survey_relationships"} <= signals
    assert signals - defined_columns(METHODOLOGY) == set()


def test_every_configured_signal_and_sign_is_in_the_methodology():
    config = load_key_features()
    signals = {c.signal for f in config.features for c in f.components}
    assert signals - defined_columns(METHODOLOGY) == set()
    for column in config.columns:
        assert f"`{column}`" in METHODOLOGY
    for sign in load_warning_signs().signs:
        assert f"| `{sign.id}` |" in METHODOLOGY, sign.id


def test_every_analyst_table_is_in_the_guide(warehouse):
    tables = query(warehouse, "select table_schema || '.' || table_name from information_schema.tables "
                   "where table_schema in ('core', 'indicators', 'meta')")
    missing = [t for (t,) in tables if t not in ANALYST_GUIDE]
    assert missing == []


def documented_components() -> dict[str, list[tuple]]:
    """The component tables under each '#### kf_…' heading of the methodology."""
    tables: dict[str, list[tuple]] = {}
    feature = None
    for line in METHODOLOGY.splitlines():
        heading = re.match(r"^#### (kf_[a-z_]+):", line)
        if heading:
            feature = heading.group(1)
            tables[feature] = []
        elif line.startswith("#"):
            feature = None
        elif feature:
            row = re.match(r"^\| `([a-z_]+)` \| (\w+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", line)
            if row:
                signal, kind, weight, low, high = row.groups()
                tables[feature].append((signal, kind, float(weight), float(low), float(high)))
    return tables


def test_the_methodology_states_the_configured_components_weights_and_scales():
    from netpulse.config.key_features import load_key_features

    configured = {f.column: [(c.signal, c.evidence, c.weight, *c.scale) for c in f.components]
                  for f in load_key_features().features}
    assert documented_components() == configured


def test_the_methodology_lists_each_key_feature_as_declared():
    from netpulse.config.key_features import load_key_features

    text = (REPO / "docs" / "methodology.md").read_text(encoding="utf-8")
    rows = [[cell.strip().strip("`") for cell in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| `") and line.count("|") == 6]
    declared = [[f.id, f.column, f.title, f.label, ", ".join(f.formerly)] for f in load_key_features().features]
    assert [r for r in rows if r[1].startswith("kf_")] == declared
