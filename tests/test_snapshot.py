"""The analysts' snapshot: published after every build, readable while the pipeline writes, naming nobody."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from netpulse.build.run import build
from netpulse.cli import main as cli_main
from netpulse.ingest.loading import ingest
from netpulse.outputs.analyst_sql import data_dictionary
from netpulse.store.snapshot import snapshot_build, snapshot_path
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    REPO,
    ROSTER_HEADER,
    attendance_row,
    make_settings,
    query,
    write_csv,
)

ANALYST_GUIDE = REPO / "docs" / "analyst-guide.md"
DATA_DICTIONARY = REPO / "docs" / "data-dictionary.md"
PEOPLE = [("amira.haddad", "Amira Haddad", "Northgate Trust"), ("bram.visser", "Bram Visser", "Northgate Trust"),
          ("chioma.obi", "Chioma Obi", "Eastfield Council"), ("dmitri.volkov", "Dmitri Volkov", "Eastfield Council"),
          ("eilidh.ross", "Eilidh Ross", "Westbay Carers"), ("farah.khan", "Farah Khan", "Westbay Carers")]


def _email(user: str) -> str:
    return f"{user}@care.example"


def write_network(landing: Path, network: str, months: list[str], *, roster: bool = True) -> None:
    """A network whose six people meet monthly and talk in the forum; ``months`` as 'YYYY-MM'."""
    if roster:
        write_csv(landing, network, "roster", "roster.csv", ROSTER_HEADER, [
            [_email(u), name, org, "acute", "nurse", "north", "false", "2024-01-01", "", ""]
            for u, name, org in PEOPLE])
    for month in months:
        write_csv(landing, network, "attendance", f"{month}.csv", ATTENDANCE_HEADER, [
            attendance_row(f"{network}-{month}", f"{month}-10T10:00:00", _email(u), role="host" if i == 0 else "")
            for i, (u, _, _) in enumerate(PEOPLE)])
        write_csv(landing, network, "forum", f"{month}.csv", FORUM_HEADER, [
            [f"{network}-{month}-t", "", "", _email(PEOPLE[1][0]), PEOPLE[1][1], f"{month}-12T09:00:00", "topic"],
            [f"{network}-{month}-r", f"{network}-{month}-t", f"{network}-{month}-t", _email(PEOPLE[2][0]),
             PEOPLE[2][1], f"{month}-12T11:00:00", "reply"],
        ])


MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]


def _build_two_networks(settings):
    write_network(settings.landing, "north", MONTHS_2025)
    write_network(settings.landing, "south", MONTHS_2025[:6])
    ingest(settings)
    build(settings)
    return settings


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Read-only tests share one warehouse."""
    return _build_two_networks(make_settings(tmp_path_factory.mktemp("snapshot")))


@pytest.fixture
def fresh(settings):
    """Tests that run the pipeline again get their own (``settings`` also sets NETPULSE_*)."""
    return _build_two_networks(settings)


def snapshot(settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(snapshot_path(settings.warehouse)), read_only=True)


def test_a_build_publishes_a_snapshot_of_its_figures(built):
    (last_build,) = query(built, "select build_id from meta.builds where status = 'succeeded' "
                                 "order by finished_at desc limit 1")[0]
    assert snapshot_build(snapshot_path(built.warehouse)) == last_build
    with snapshot(built) as con:
        published = con.execute("select * from indicators.network_period order by all").df()
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        warehouse = con.execute("select * from indicators.network_period order by all").df()
    pd.testing.assert_frame_equal(published, warehouse)
    assert len(published) > 0
    assert schemas == {"indicators", "core", "coded", "meta"}
    assert not list(built.warehouse.parent.glob(".*.tmp")), "the temporary file was renamed, not left behind"


def test_nothing_new_keeps_the_snapshot_and_a_missing_one_is_published_again(fresh):
    path = snapshot_path(fresh.warehouse)
    before = path.stat().st_mtime_ns
    report = build(fresh)
    assert report.kind == "nothing"
    assert path.stat().st_mtime_ns == before
    path.unlink()
    build(fresh)
    assert path.exists()


def _south_rows(con) -> pd.DataFrame:
    return con.execute("select * exclude (build_id) from indicators.network_period "
                       "where network_id = 'south' order by all").df()


def test_a_build_of_one_network_swaps_its_rows_into_a_copy_of_the_previous_snapshot(fresh, caplog):
    with snapshot(fresh) as con:
        north = con.execute("select * from indicators.network_period where network_id = 'north' order by all").df()
        south = _south_rows(con)
    write_network(fresh.landing, "south", ["2025-07"], roster=False)
    ingest(fresh)
    with caplog.at_level("INFO", logger="netpulse.store.snapshot"):
        report = build(fresh)
    assert (report.kind, report.networks_built) == ("incremental", ["south"])
    assert "1 network(s) swapped into the previous one" in caplog.text
    with snapshot(fresh) as con:
        pd.testing.assert_frame_equal(
            con.execute("select * from indicators.network_period where network_id = 'north' order by all").df(), north)
        south_after = _south_rows(con)
        kind = con.execute("select table_type from information_schema.tables "
                           "where table_schema = 'core' and table_name = 'interactions'").fetchone()[0]
        interactions = con.execute("select count(*) from core.interactions").fetchone()[0]
        build_id = con.execute("select build_id from meta.snapshot").fetchone()[0]
    with duckdb.connect(str(fresh.warehouse), read_only=True) as con:
        pd.testing.assert_frame_equal(south_after, _south_rows(con))
        assert interactions == con.execute("select count(*) from core.interactions").fetchone()[0] > 0
    assert south_after["attendances"].sum() > south["attendances"].sum()  # the new month counted
    assert kind == "VIEW"  # views stay views: the members' codes are in the snapshot, not the pairs
    assert build_id == report.build_id


def test_a_snapshot_laid_out_otherwise_is_written_afresh(fresh, caplog):
    with duckdb.connect(str(snapshot_path(fresh.warehouse))) as con:  # as an older netpulse wrote it
        con.execute("drop view core.interactions")
        con.execute("create table core.interactions as select 1 as network_id")
    write_network(fresh.landing, "south", ["2025-07"], roster=False)
    ingest(fresh)
    with caplog.at_level("INFO", logger="netpulse.store.snapshot"):
        build(fresh)
    assert "written afresh" in caplog.text
    with snapshot(fresh) as con:
        kind = con.execute("select table_type from information_schema.tables "
                           "where table_schema = 'core' and table_name = 'interactions'").fetchone()[0]
    assert kind == "VIEW"


def test_the_snapshot_names_nobody(built):
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        identifying = set()
        for table in ("raw.roster", "raw.attendance", "raw.forum"):
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name || '.' || table_name = ? "
                "and column_name in ('email', 'name', 'other_emails', 'meeting_title')", [table]).fetchall()]
            for column in columns:
                identifying |= {v for (v,) in con.execute(f"select distinct {column} from {table}").fetchall() if v}
    assert {_email("amira.haddad"), "Amira Haddad"} <= identifying
    surnames = {name.split()[-1] for _, name, _ in PEOPLE}
    found = []
    with snapshot(built) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                "and data_type = 'VARCHAR'", [schema, table]).fetchall()]
            for column in columns:
                for (value,) in con.execute(f'select distinct "{column}" from {schema}.{table}').fetchall():
                    text = str(value or "")
                    if (text in identifying or re.search(r"[\w.]+@[\w.]+", text)
                            or any(s in text for s in surnames)):
                        found.append((schema, table, column, text))
        tables = {f"{s}.{t}" for s, t in tables}
    assert found == []
    assert not tables & {"meta.identity_decisions", "meta.erasures", "meta.settings"}
    assert not any(t.startswith(("raw.", "staging.")) for t in tables)


def test_every_table_and_column_is_documented_and_the_data_dictionary_is_current(built):
    with snapshot(built) as con:
        undocumented = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where comment is null "
            "union all select schema_name || '.' || view_name from duckdb_views() "
            "where not internal and comment is null and schema_name <> 'information_schema' "
            "union all select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
            "where comment is null and schema_name in ('indicators', 'core', 'meta')").fetchall()
        text = data_dictionary(con)
    assert undocumented == []
    assert DATA_DICTIONARY.read_text(encoding="utf-8") == text, (
        "docs/data-dictionary.md is stale: run `netpulse dictionary --out docs/data-dictionary.md` "
        "after a build (see the file's header)")


def test_longitudinal_views_give_previous_period_year_ago_and_publications(built):
    with snapshot(built) as con:
        rows = con.execute(
            "select period_start, value, previous_value, change_on_previous, year_ago_value "
            "from indicators.indicator_changes where network_id = 'north' and grain = 'month' "
            "and indicator = 'active_members' order by period_start").fetchall()
        publications = con.execute(
            "select count(*), count(*) filter (where first_publication) from indicators.published_values").fetchone()
        history_rows = con.execute("select count(*) from indicators.network_indicators_history").fetchone()[0]
    assert [r[1] for r in rows] == [6] * 12
    assert rows[0][2] is None and all(r[2] == 6 and r[3] == 0 for r in rows[1:])
    assert all(r[4] is None for r in rows), "no 2024 data: no year-ago value"
    assert publications == (history_rows, history_rows)


def test_worked_queries_of_the_analyst_guide_run_on_the_snapshot(built):
    blocks = re.findall(r"```sql\n(.*?)```", ANALYST_GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 10
    failures = []
    with snapshot(built) as con:
        for block in blocks:
            try:
                con.execute(block).fetchall()
            except duckdb.Error as exc:
                failures.append(f"{block.strip()[:80]}...: {exc}")
    assert failures == []


def test_relationships_fell_two_quarters_running_is_what_it_says(built):
    guide = ANALYST_GUIDE.read_text(encoding="utf-8")
    sql = re.search(r"<!-- query: fell-two-quarters -->\n```sql\n(.*?)```", guide, flags=re.DOTALL).group(1)
    with snapshot(built) as con:
        got = sorted(con.execute(sql).fetchall())
        scores = con.execute("select network_id, period_start, kf_relationships from indicators.network_period "
                             "where grain = 'quarter' order by 1, 2").fetchall()
    expected = set()
    by_network: dict[str, list] = {}
    for network, start, score in scores:
        by_network.setdefault(network, []).append((start, score))
    for network, series in by_network.items():
        for (_, a), (_, b), (start, c) in zip(series, series[1:], series[2:], strict=False):
            if None not in (a, b, c) and b < a and c < b:
                expected.add((network, start))
    assert {(r[0], r[1]) for r in got} == expected


def test_sql_command_writes_csv_json_and_parquet(built, capsys, tmp_path):
    def main(argv):
        return cli_main([*argv, "--warehouse", str(built.warehouse)])

    # 12 months and 4 quarters each: every network's periods run to the latest month delivered.

    assert main(["sql", "select network_id, count(*) as periods from indicators.network_period "
                 "group by 1 order by 1", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["network_id,periods", "north,16", "south,16"]
    assert main(["sql", "select network_id from meta.networks order by 1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"network_id": "north"}, {"network_id": "south"}]
    out = tmp_path / "periods.parquet"
    assert main(["sql", "select * from indicators.network_period", "--format", "parquet", "--out", str(out)]) == 0
    assert len(pd.read_parquet(out)) == 32
    assert main(["sql", "select * from raw.roster"]) == 2, "raw is not in the snapshot"


def test_readers_never_fail_or_see_a_half_fresh_state_while_the_pipeline_writes(fresh):
    """A reader polls the snapshot (and another holds it open) while a run loads and builds."""
    write_network(fresh.landing, "south", MONTHS_2025[6:], roster=False)
    write_network(fresh.landing, "west", MONTHS_2025)
    held_open = snapshot(fresh)  # an analyst's forgotten session must not block the load
    (before,) = held_open.execute("select build_id from meta.snapshot").fetchone()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.Popen([sys.executable, "-m", "netpulse.cli", "run"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reads, errors, builds_seen = 0, [], set()
    try:
        while run.poll() is None:
            try:
                with snapshot(fresh) as con:
                    builds_seen.add(_consistent_build(con))
                reads += 1
            except Exception as exc:  # every failure a reader could meet counts
                errors.append(repr(exc))
            time.sleep(0.02)
        output = run.stdout.read()
    finally:
        held_open.close()
    assert run.returncode == 0, output
    assert errors == []
    assert reads >= 10, f"only {reads} reads while the run ran"
    with snapshot(fresh) as con:
        final = _consistent_build(con)
        networks = {n for (n,) in con.execute("select distinct network_id from indicators.network_period").fetchall()}
    assert networks == {"north", "south", "west"}
    assert final != before, "the run published a new snapshot"
    assert builds_seen <= {before, final}, "readers saw only the snapshot before the run and the one after"


def _consistent_build(con: duckdb.DuckDBPyConnection) -> str:
    """The snapshot's build, after checking it holds whole builds only: every network's rows from
    the build that last built it, in every indicators table, and its own build the last one."""
    (build_id,) = con.execute("select build_id from meta.snapshot").fetchone()
    (last,) = con.execute("select build_id from meta.builds where status = 'succeeded' "
                          "order by finished_at desc limit 1").fetchone()
    assert build_id == last
    for table in ("network_period", "network_indicators", "network_stages", "network_structure"):
        (mixed,) = con.execute(
            f"select count(*) from indicators.{table} as t join (select network_id, arg_max(build_id, built_at) "
            "as build_id from meta.network_builds group by 1) as latest using (network_id) "
            "where t.build_id <> latest.build_id").fetchone()
        assert mixed == 0, f"{table}: rows of an earlier build beside a later one"
    return build_id
