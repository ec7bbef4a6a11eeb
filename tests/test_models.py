"""Every table the build makes has a file under transforms/, and the folders run in order.

The model list is read as the build reads it: SQL and Python models, their dependencies from
the tables they name, their properties from the folder and their header.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from netpulse.build.models import LATEST_ACTIVITY, ROSTER_ALIASES, folders, sql_models, transform_models
from netpulse.build.python_runtime import ModelContext
from netpulse.build.run import build
from netpulse.config.key_features import load_key_features
from netpulse.ingest.loading import ingest
from netpulse.measures.stages import current_rules, load_rule_sets
from netpulse.measures.warning_signs import load_warning_signs
from netpulse.store.snapshot import SNAPSHOT_VIEWS, snapshot_views
from tests.helpers import ATTENDANCE_HEADER, FORUM_HEADER, attendance_row, make_settings, write_csv


def models():
    rule_sets = load_rule_sets()
    context = ModelContext("b", "r", datetime.now(UTC), rule_sets, current_rules(rule_sets), load_key_features(),
                           load_warning_signs())
    return transform_models(context) + [m for m in sql_models(snapshot=True) if m.folder.in_snapshot]


def test_a_model_reads_only_its_own_or_earlier_folders():
    every = models()
    by_name = {m.name: m for m in every}
    later = [f"{m.path.parent.name}/{m.path.name} reads {d} ({by_name[d].path.parent.name})"
             for m in every for d in sorted(m.depends_on)
             if d in by_name and by_name[d].folder.order > m.folder.order]
    assert later == []


def test_every_table_named_as_a_dependency_is_a_model():
    every = models()
    names = {m.name for m in every}
    # History tables are made by the folder property, not a file.
    history = {f"{m.name}_history" for m in every if m.history}
    unknown = sorted({d for m in every for d in m.depends_on} - names - history)
    assert unknown == []


def test_the_folder_decides_the_schema_and_the_header_the_exceptions():
    every = models()
    by_name = {m.name: m for m in every}
    for model in every:
        assert model.name.split(".")[0] == model.folder.schema, model.name
    assert [m.name for m in every if m.across_networks == ROSTER_ALIASES] == ["staging.int_member_aliases"]
    assert [m.name for m in every if m.across_networks == LATEST_ACTIVITY] == ["staging.int_latest_activity"]
    kept = sorted(m.name for m in every if m.history)
    assert "indicators.member_roles" not in kept and len(kept) == 9, kept
    assert all(name.startswith("indicators.") for name in kept)
    assert {m.name for m in every if m.configuration} == {
        "staging.int_build_context", "staging.int_methodology_parameters", "staging.int_instrument_items"}
    assert by_name["staging.int_network_period_stages"].run is not None  # a Python model, from its file
    assert by_name["staging.int_network_period_stages"].depends_on == {"staging.int_network_periods_classifiable"}
    (folder,) = [f for f in folders() if f.in_snapshot]
    assert (folder.name, folder.schema) == SNAPSHOT_VIEWS
    assert [name for name, _ in snapshot_views()] == sorted(
        m.name for m in every if m.folder.in_snapshot)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("models"))
    write_csv(settings.landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-10T10:00:00", f"{p}@x.example") for p in "abc"])
    write_csv(settings.landing, "net", "forum", "f.csv", FORUM_HEADER, [
        ["t1", "", "", "a@x.example", "A", "2026-01-11T09:00:00", "topic"],
        ["r1", "t1", "t1", "b@x.example", "B", "2026-01-11T10:00:00", "reply"]])
    ingest(settings)
    build(settings)
    return settings


def test_every_table_of_the_built_warehouse_has_a_model_file(built):
    con = duckdb.connect(str(built.warehouse), read_only=True)
    try:
        tables = {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'core', 'indicators')").fetchall()}
    finally:
        con.close()
    every = models()
    made = {m.name for m in every if not m.folder.in_snapshot} | {f"{m.name}_history" for m in every if m.history}
    assert tables == made
    assert all(m.path is not None and m.path.is_file() for m in every)


def test_the_indicator_folder_appends_the_build_columns():
    every = [m for m in models() if m.folder.name == "7_indicators"]
    assert every and all(m.build_columns[0] == "methodology_version" and m.build_columns[-1] == "build_id"
                         for m in every)
    assert all("int_build_context" not in m.sql for m in every), "the folder appends them, not the model"
    assert {m.name for m in every if "key_features_version" in m.build_columns} == {
        "indicators.network_period", "indicators.network_indicators"}


def test_the_built_indicator_tables_end_with_their_build_columns(built):
    con = duckdb.connect(str(built.warehouse), read_only=True)
    try:
        for model in (m for m in models() if m.folder.name == "7_indicators"):
            schema, table = model.name.split(".")
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall()]
            assert tuple(columns[-len(model.build_columns):]) == model.build_columns, model.name
            (build_ids,) = con.execute(f"select count(distinct build_id) from {model.name}").fetchone()
            assert build_ids <= 1
    finally:
        con.close()
