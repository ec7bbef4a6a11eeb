"""The analysts' sandbox (docs/security.md): `netpulse sql` reads the snapshot and nothing else, the
snapshot names no path, netpulse's files get private permissions, the key can live in a file,
and what the CLI prints carries no control characters."""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from netpulse.build.run import build
from netpulse.config.settings import Settings
from netpulse.errors import ConfigError
from netpulse.ingest.loading import ingest
from netpulse.outputs.analyst_sql import run_query
from netpulse.store.snapshot import snapshot_path
from tests.helpers import ATTENDANCE_HEADER, TEST_KEY, attendance_row, make_settings, write_csv, write_networks

MONTHS = ["2026-01", "2026-02", "2026-03"]
FORMULA = '=HYPERLINK("http://evil.example/x","click")'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("sandbox")
    config = write_networks(root / "networks.yaml", {"id": "alpha", "name": FORMULA})
    settings = make_settings(root, network_config=config)
    write_csv(settings.landing, "alpha", "attendance", "meetings.csv", ATTENDANCE_HEADER, [
        attendance_row(f"a-{month}", f"{month}-10T10:00:00", f"p{m}@alpha.example")
        for month in MONTHS for m in range(4)])
    # A file name with a terminal escape (clear screen) and a bad value: it is quarantined.
    write_csv(settings.landing, "alpha", "attendance", "esc-\x1b[2J.csv", ATTENDANCE_HEADER, [
        attendance_row("a-x", "not a time", "p1@alpha.example")])
    secret = root / "secret.txt"
    secret.write_text("outside,the,snapshot\n", encoding="utf-8")
    previous = os.umask(0o022)  # a permissive shell: netpulse must still make its files private
    try:
        result = _netpulse(root, settings, "run", "--landing", str(settings.landing), "--config", str(config))
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    return {"settings": settings, "root": root, "secret": secret, "run": result.stdout + result.stderr}


def _env(root, settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPULSE_")}
    return {**env, "NETPULSE_HASH_KEY": TEST_KEY, "NETPULSE_HOME": str(root / "home"),
            "NETPULSE_DATA_DOCS": str(settings.data_docs), "NETPULSE_EXTRACTS": str(settings.extracts)}


def _netpulse(root, settings, *args):
    return subprocess.run([sys.executable, "-m", "netpulse.cli", *args, "--warehouse", str(settings.warehouse)],
                          capture_output=True, text=True, env=_env(root, settings), timeout=600)


def _sql(built, statement, *extra):
    return _netpulse(built["root"], built["settings"], "sql", statement, *extra)


@pytest.mark.parametrize("statement", [
    "select * from read_csv('{secret}')",
    "select * from read_text('{secret}')",
    "select * from read_blob('/proc/self/environ')",
    "select * from read_csv('/etc/passwd')",
    "select * from glob('/*')",
    "copy (select 1) to '{root}/written.csv'",
    "copy indicators.network_period to '{snapshot}'",
    "attach '{warehouse}' as w",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "reset lock_configuration",
    "export database '{root}/exported'",
    "create table core.mine as select 1",
])
def test_analyst_sql_reaches_nothing_but_the_snapshot(built, statement):
    settings = built["settings"]
    snapshot = snapshot_path(settings.warehouse)
    before = snapshot.read_bytes()
    statement = statement.format(secret=built["secret"], root=built["root"], snapshot=snapshot,
                                 warehouse=settings.warehouse)
    result = _sql(built, statement)
    assert result.returncode == 2, (statement, result.stdout)
    assert "refused: netpulse sql reads the analysts' snapshot only" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "outside,the,snapshot" not in result.stdout + result.stderr
    assert TEST_KEY not in result.stdout + result.stderr
    assert not (built["root"] / "written.csv").exists() and not (built["root"] / "exported").exists()
    assert snapshot.read_bytes() == before
    # The snapshot still answers afterwards.
    after = _sql(built, "select count(*) as n from indicators.network_period", "--format", "csv")
    assert after.returncode == 0 and after.stdout.splitlines()[0] == "n"


def test_results_leave_only_through_out_and_csv_cells_are_inert(built, tmp_path):
    out = tmp_path / "networks.csv"
    result = _sql(built, "select network_id, name, -3 as delta from meta.networks", "--format", "csv",
                  "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[1] == ["alpha", "'" + FORMULA, "-3"], "text is made inert, numbers stay numbers"
    parquet = tmp_path / "periods.parquet"
    result = _sql(built, "select * from indicators.network_period", "--format", "parquet", "--out", str(parquet))
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(snapshot_path(built["settings"].warehouse)), read_only=True) as con:
        expected = con.sql("select * from indicators.network_period").fetch_arrow_table()
    assert pq.read_table(parquet).to_pylist() == expected.to_pylist() and expected.num_rows > 0
    empty = tmp_path / "empty.parquet"
    assert _sql(built, "select * from meta.networks where false", "--format", "parquet",
                "--out", str(empty)).returncode == 0
    assert list(pd.read_parquet(empty).columns)[:2] == ["network_id", "name"]


def test_the_snapshot_holds_no_path_and_nothing_taken_from_a_file(built):
    settings = built["settings"]
    with duckdb.connect(str(snapshot_path(settings.warehouse)), read_only=True) as con:
        columns = set(con.execute("select table_schema || '.' || table_name || '.' || column_name "
                                  "from information_schema.columns").fetchall())
        text = "\n".join(con.execute(f'select * from "{schema}"."{table}"').df().to_csv(index=False)
                         for schema, table in con.execute(
                             "select table_schema, table_name from information_schema.tables").fetchall())
    names = {c for (c,) in columns}
    assert "meta.snapshot.build_id" in names and "meta.deliveries.sha256" in names
    for gone in ("meta.snapshot.warehouse", "meta.deliveries.path", "meta.deliveries.error",
                 "meta.deliveries.source_columns", "meta.deliveries.ignored_columns",
                 "meta.deliveries.schema_drift", "meta.builds.error"):
        assert gone not in names
    assert str(built["root"]) not in text and "esc-" not in text


def test_netpulse_creates_its_files_private_even_under_a_permissive_umask(built):
    settings = built["settings"]
    assert stat.S_IMODE(settings.warehouse.stat().st_mode) == 0o600
    assert stat.S_IMODE(snapshot_path(settings.warehouse).stat().st_mode) == 0o640
    written = list(settings.data_docs.rglob("*"))
    assert written, "the quarantined file has a Data Docs page"
    assert [p for p in written if p.stat().st_mode & stat.S_IRWXO] == []


def test_status_and_run_print_no_control_characters(built):
    status = _netpulse(built["root"], built["settings"], "status")
    assert status.returncode == 0, status.stderr
    assert "esc-?[2J.csv" in status.stdout, "the file is named, its escape shown as ?"
    for output in (status.stdout + status.stderr, built["run"]):
        assert "\x1b" not in output


def test_a_table_result_prints_no_control_characters(tmp_path):
    stream = io.StringIO()
    with duckdb.connect() as con:
        run_query(con, "select 'a' || chr(27) || '[2J' || chr(7) as v", "table", stream=stream)
    assert "\x1b" not in stream.getvalue() and "\x07" not in stream.getvalue()
    assert "a?[2J?" in stream.getvalue()


def test_the_key_can_come_from_a_file_readable_by_the_data_team_only(tmp_path, monkeypatch, caplog):
    key_file = tmp_path / "hash.key"
    key_file.write_text("a-long-random-secret-from-a-file\n", encoding="utf-8")
    key_file.chmod(0o600)
    monkeypatch.delenv("NETPULSE_HASH_KEY", raising=False)
    monkeypatch.setenv("NETPULSE_HASH_KEY_FILE", str(key_file))
    with caplog.at_level(logging.WARNING):
        assert Settings.from_env().require_hash_key() == "a-long-random-secret-from-a-file"
    assert "readable by every account" not in caplog.text
    key_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        Settings.from_env()
    assert "readable by every account" in caplog.text
    monkeypatch.setenv("NETPULSE_HASH_KEY", "another")
    with pytest.raises(ConfigError, match="both NETPULSE_HASH_KEY and NETPULSE_HASH_KEY_FILE"):
        Settings.from_env()
    monkeypatch.delenv("NETPULSE_HASH_KEY")
    key_file.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is empty"):
        Settings.from_env()
    monkeypatch.setenv("NETPULSE_HASH_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(ConfigError, match="cannot read the hash key file"):
        Settings.from_env()


def test_a_load_with_the_key_file_gives_the_same_keys_as_the_variable(tmp_path, monkeypatch):
    key_file = tmp_path / "hash.key"
    key_file.write_text(TEST_KEY + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    keys = []
    for name, env in (("variable", {"NETPULSE_HASH_KEY": TEST_KEY}),
                      ("file", {"NETPULSE_HASH_KEY_FILE": str(key_file)})):
        monkeypatch.delenv("NETPULSE_HASH_KEY", raising=False)
        monkeypatch.delenv("NETPULSE_HASH_KEY_FILE", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        settings = make_settings(tmp_path / name, hash_key=Settings.from_env().hash_key)
        write_csv(settings.landing, "alpha", "attendance", "m.csv", ATTENDANCE_HEADER, [
            attendance_row("a-1", "2026-01-10T10:00:00", "p1@alpha.example")])
        ingest(settings)
        build(settings)
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            keys.append(con.execute("select member_key from core.attendances").fetchall())
    assert keys[0] == keys[1] and keys[0]
