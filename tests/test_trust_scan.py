"""One hostile landing zone through the whole pipeline, then one privacy scan over everything a
person opens: the analysts' snapshot (every text cell), `netpulse sql` exports, the funders' CSV
extracts, every file of the funder pack (PDF text, XLSX cells, Parquet), the Data Docs pages and
`netpulse status`. Each kind of attack has its own focused tests (tests/test_trust_*.py); this one
checks that the defences hold together, on one run where good and hostile files sit side by side.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.helpers import (
    ATTENDANCE_HEADER,
    ROSTER_HEADER,
    TEST_KEY,
    attendance_row,
    make_settings,
    query,
    write_csv,
    write_networks,
)

PROGRAMME = "Hostile programme"
FORMULA_NAME = '=HYPERLINK("http://evil.example/x","click")'
MONTHS = ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
# Text that names people or comes from outside the landing zone: none of it may reach an output.
CANARIES = (
    "jane.doe@nhs.example", "jane doe",                        # a meeting title
    "priya.patel@nhs.example",                                 # an e-mail typed as an organisation
    "headless.person@nhs.example", "headless person",          # a roster without its header row
    "outsider@secret.example",                                 # a file outside the landing zone
    "member0@alpha.example", "alpha member",                   # the roster's own members
)
# The data team may see file names (in status and on the run's page: it must find the file to fix
# it, and it can list the landing zone anyway); analysts and funders may not.
FILE_NAME = "jane-doe"


def _row(meeting, start, email, title):
    row = attendance_row(meeting, start, email)
    row[1] = title
    return row


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    outside = root / "outside"
    outside.mkdir()
    config = write_networks(
        root / "networks.yaml",
        {"id": "alpha", "name": FORMULA_NAME, "programme": PROGRAMME},
        {"id": "beta", "name": "Beta <script>alert('name')</script>", "programme": PROGRAMME},
    )
    settings = make_settings(root, network_config=config)
    landing = settings.landing
    members = [[f"member{m}@alpha.example", f"Alpha Member{m}", "Leeds Teaching Hospitals", "NHS",
                "nurse", "Yorkshire", "false", "2026-01-01", "", ""] for m in range(12)]
    write_csv(landing, "alpha", "roster", "roster.csv", ROSTER_HEADER, members)
    # A title naming a person and their e-mail, in a file named after them.
    title = "1:1 Jane Doe jane.doe@nhs.example"
    write_csv(landing, "alpha", "attendance", "jane-doe-catch-up.csv", ATTENDANCE_HEADER, [
        _row(f"Jane Doe {month}", f"{month}-10T10:00:00", f"member{m}@alpha.example", title)
        for month in MONTHS for m in range(12)])
    write_csv(landing, "beta", "attendance", "meetings.csv", ATTENDANCE_HEADER, [
        attendance_row(f"b-{month}", f"{month}-12T10:00:00", f"person{m}@beta.example")
        for month in MONTHS for m in range(10)])
    # Sloppy and hostile files beside the good ones.
    write_csv(landing, "alpha", "roster", "typo.csv", ROSTER_HEADER, [
        ["x1@alpha.example", "X One", "priya.patel@nhs.example", "NHS", "nurse", "Yorkshire", "false",
         "2026-01-01", "", ""]])
    headless = ["headless.person@nhs.example", "Headless Person", "Leeds", "NHS", "nurse", "Yorkshire",
                "false", "2026-01-01", "", ""]  # the first person, where the header should be
    write_csv(landing, "alpha", "roster", "noheader.csv", headless, [
        ["y@alpha.example", "Y", "Leeds", "NHS", "nurse", "Yorkshire", "false", "2026-01-01", "", ""]])
    write_csv(landing, "beta", "attendance", "future.csv", ATTENDANCE_HEADER, [
        attendance_row("b-future", "2099-03-10T10:00:00", "person1@beta.example")])
    write_csv(landing, "beta", "attendance", "bad-<script>alert(1)</script>.csv", ATTENDANCE_HEADER, [
        attendance_row("b-bad", "<script>alert(2)</script>", "person1@beta.example")])
    write_csv(landing, "beta", "attendance", "esc-\x1b[2J.csv", ATTENDANCE_HEADER, [
        attendance_row("b-esc", "not a time", "person1@beta.example")])
    write_csv(outside, "x", "y", "secret.csv", ATTENDANCE_HEADER, [
        attendance_row("s1", "2026-05-10T10:00:00", "outsider@secret.example")])
    (landing / "beta" / "attendance" / "secret.csv").symlink_to(outside / "x" / "y" / "secret.csv")
    (landing / "beta" / "attendance" / "passwd.csv").symlink_to("/etc/passwd")

    env = {**os.environ, "NETPULSE_HASH_KEY": TEST_KEY, "NETPULSE_HOME": str(root / "home"),
           "NETPULSE_EXTRACTS": str(settings.extracts), "NETPULSE_DATA_DOCS": str(settings.data_docs)}
    common = ["--warehouse", str(settings.warehouse)]
    run = _netpulse(env, "run", "--landing", str(landing), "--config", str(config), *common)
    assert run.returncode == 0, run.stderr
    status = _netpulse(env, "status", *common)
    assert status.returncode == 0, status.stderr
    extract = _netpulse(env, "extract", "--as-of", "2026-10-15", *common)
    assert extract.returncode == 0, extract.stderr
    pack_dir = root / "pack"
    pack = _netpulse(env, "pack", "--quarter", "2026Q3", "--programme", PROGRAMME, "--as-of", "2026-10-15",
                     "--out", str(pack_dir), *common)
    assert pack.returncode == 0, pack.stderr
    exported = root / "sql-export"
    exported.mkdir()
    for table in ("core.meetings", "core.attendances", "core.engagement_events", "core.members",
                  "meta.deliveries", "indicators.network_period"):
        for fmt, suffix in (("csv", "csv"), ("parquet", "parquet")):
            result = _netpulse(env, "sql", f"select * from {table}", "--format", fmt,
                               "--out", str(exported / f"{table}.{suffix}"), *common)
            assert result.returncode == 0, result.stderr
    return {"settings": settings, "root": root, "status": status.stdout + status.stderr,
            "run": run.stdout + run.stderr, "pack": pack_dir, "exported": exported}


def _netpulse(env, *args):
    return subprocess.run([sys.executable, "-m", "netpulse.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def _snapshot_text(settings) -> dict[str, str]:
    path = settings.warehouse.with_name(f"{settings.warehouse.stem}.snapshot.duckdb")
    texts = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "union all select schema_name, view_name from duckdb_views() where not internal"
                             ).fetchall()
        for schema, table in tables:
            texts[f"snapshot {schema}.{table}"] = con.execute(
                f'select * from "{schema}"."{table}"').df().to_csv(index=False)
    return texts


def _pdf_text(path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed: `make browsers` installs it"
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _file_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".pdf":
            texts[str(path)] = _pdf_text(path)
        elif path.suffix == ".parquet":
            texts[str(path)] = pd.read_parquet(path).to_csv(index=False)
        elif path.suffix == ".xlsx":
            book = load_workbook(path)
            texts[str(path)] = "\n".join(str(c.value) for sheet in book for row in sheet.iter_rows()
                                         for c in row if c.value is not None)
        else:
            texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    return texts


def _analyst_and_funder_outputs(hostile) -> dict[str, str]:
    texts = _snapshot_text(hostile["settings"])
    for folder in (hostile["settings"].extracts, hostile["pack"], hostile["exported"]):
        texts.update(_file_texts(folder))
    return texts


def _data_team_outputs(hostile) -> dict[str, str]:
    return {**_file_texts(hostile["settings"].data_docs), "netpulse status": hostile["status"]}


def test_good_files_load_beside_the_hostile_ones(hostile):
    settings = hostile["settings"]
    loaded = {path for (path,) in query(settings, "select path from meta.deliveries where status = 'loaded'")}
    assert loaded == {"alpha/roster/roster.csv", "alpha/attendance/jane-doe-catch-up.csv",
                      "beta/attendance/meetings.csv"}
    quarantined = dict(query(settings, "select path, error from meta.deliveries where status = 'quarantined'"))
    assert len(quarantined) == 7, quarantined
    assert "outside the landing zone" in quarantined["beta/attendance/secret.csv"]
    assert "outside the landing zone" in quarantined["beta/attendance/passwd.csv"]
    assert "2099" in quarantined["beta/attendance/future.csv"]
    assert any("e-mail" in error for path, error in quarantined.items() if path.endswith("typo.csv"))
    latest = query(settings, "select max(period_start) from indicators.network_period")[0][0]
    assert latest.year == 2026


def test_no_output_a_person_opens_names_anyone(hostile):
    outputs = _analyst_and_funder_outputs(hostile)
    leaks = [(name, canary) for name, text in outputs.items() for canary in (*CANARIES, FILE_NAME)
             if canary in text.lower()]
    leaks += [(name, canary) for name, text in _data_team_outputs(hostile).items() for canary in CANARIES
              if canary in text.lower()]
    assert leaks == []
    assert any(name.endswith("workbook.xlsx") for name in outputs)


def test_no_analyst_or_funder_output_holds_a_path_of_the_machine(hostile):
    root = str(hostile["root"])
    assert [name for name, text in _analyst_and_funder_outputs(hostile).items() if root in text] == []


def test_no_page_carries_a_script_or_markup_from_the_data(hostile):
    pages = {name: text for name, text in _file_texts(hostile["settings"].data_docs).items()
             if name.endswith(".html")}
    pages.update({name: text for name, text in _file_texts(hostile["pack"]).items() if name.endswith(".html")})
    assert pages
    assert [name for name, text in pages.items() if re.search(r"<script[^>]*>\s*alert", text)] == []


def test_no_spreadsheet_cell_is_a_formula(hostile):
    cells = []
    for folder in (hostile["settings"].extracts, hostile["pack"], hostile["exported"]):
        for path in folder.rglob("*.csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            cells += [(path.name, v) for v in [*frame.columns, *frame.to_numpy().ravel()]]
        for path in folder.rglob("*.xlsx"):
            book = load_workbook(path)
            for sheet in book:
                for row in sheet.iter_rows():
                    cells += [(path.name, c.value) for c in row if c.data_type == "f"]
    risky = [(name, v) for name, v in cells if isinstance(v, str) and re.match(r"[=+@\t\r]|-[^0-9.]", v)]
    assert risky == []
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for _, v in cells)


def test_status_prints_no_control_characters(hostile):
    assert "\x1b" not in hostile["status"] and "\x1b" not in hostile["run"]
    assert "quarantined:" in hostile["status"]
