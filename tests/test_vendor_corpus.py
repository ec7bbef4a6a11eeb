"""The vendor fixture corpus, good files and malformed ones, through `netpulse run` and Airflow.

Both routes must load every good file and quarantine every malformed one with a reason,
and agree with each other file by file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from netpulse.orchestration.dag_runs import load_dags, prepare_airflow, run_dag
from tests.helpers import query, slack_export_zip

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"

GOOD = {
    "usnet/attendance/zoom/meeting-data.csv": FIXTURES / "zoom" / "participants_meeting_data_us.csv",
    "usnet/attendance/zoom/unique-users.csv": FIXTURES / "zoom" / "participants_unique_users_us.csv",
    "usnet/attendance/teams/report.csv": FIXTURES / "teams" / "attendance_report_us.csv",
    "uknet/attendance/zoom/flat-table.csv": FIXTURES / "zoom" / "participants_flat_table_uk.csv",
    "uknet/attendance/zoom/meeting-data-cp1252.csv": FIXTURES / "zoom" / "participants_meeting_data_uk_cp1252.csv",
    "uknet/attendance/teams/report-2021.csv": FIXTURES / "teams" / "attendance_report_2021.csv",
    "uknet/attendance/teams/participants-only.csv": FIXTURES / "teams" / "attendance_report_uk_participants_only.csv",
    "uknet/attendance/signin/label-block.csv": FIXTURES / "signin" / "signin_sheet_label_block.csv",
    "uknet/attendance/signin/meeting-columns.csv": FIXTURES / "signin" / "signin_sheet_meeting_columns.csv",
    "uknet/forum/discourse/topic-1042.json": FIXTURES / "discourse" / "topic.json",
    "uknet/forum/discourse/latest-posts.json": FIXTURES / "discourse" / "latest_posts.json",
    "uknet/survey/qualtrics/choice-text.csv": FIXTURES / "qualtrics" / "choice-text.csv",
    "uknet/survey/qualtrics/numeric.tsv": FIXTURES / "qualtrics" / "numeric-values.tsv",
    "uknet/survey/qualtrics/legacy.csv": FIXTURES / "qualtrics" / "legacy.csv",
}


def malformed() -> dict[str, bytes]:
    zoom_uk = (FIXTURES / "zoom" / "participants_meeting_data_uk_cp1252.csv").read_bytes()
    zoom_us = (FIXTURES / "zoom" / "participants_meeting_data_us.csv").read_text().split("\n")
    row = zoom_us[5].split(",")
    row[2], row[3] = row[3], row[2]  # Leave Time before Join Time
    qualtrics = (FIXTURES / "qualtrics" / "choice-text.csv").read_text(encoding="utf-8-sig").split("\n")
    return {
        "uknet/attendance/teams/legacy-attendee-list.csv":
            (FIXTURES / "teams" / "attendee_list_legacy.csv").read_bytes(),
        "uknet/attendance/zoom/truncated.csv": zoom_uk[: len(zoom_uk) - 40],
        "usnet/attendance/zoom/leave-before-join.csv": "\n".join(zoom_us[:5] + [",".join(row)] + zoom_us[6:]).encode(),
        "uknet/forum/slack/corrupt.zip": slack_export_zip()[:300],
        "uknet/forum/discourse/cut.json": b'{"post_stream": {"posts": [{"id": 1, "post_num',
        "uknet/survey/qualtrics/no-header-rows.csv": "\n".join(qualtrics[:1] + qualtrics[3:]).encode(),
    }


def write_corpus(landing: Path, config: Path) -> None:
    for relative, fixture in GOOD.items():
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_bytes(fixture.read_bytes())
    (landing / "uknet/forum/slack").mkdir(parents=True, exist_ok=True)
    (landing / "uknet/forum/slack/export.zip").write_bytes(slack_export_zip())
    for relative, content in malformed().items():
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_bytes(content)
    instrument = str(FIXTURES / "qualtrics" / "instrument.yaml")
    config.write_text(yaml.safe_dump({"networks": [
        {"id": "usnet", "sources": {"attendance": {"date_order": "mdy"}}},
        {"id": "uknet", "sources": {"attendance": {"date_order": "dmy"},
                                    "survey/qualtrics": {"instrument": instrument}}},
    ]}))


def statuses(warehouse: Path) -> dict[str, tuple[str, str | None]]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {p: (s, e) for p, s, e in con.execute("select path, status, error from meta.deliveries").fetchall()}
    finally:
        con.close()


def assert_corpus_outcome(result: dict) -> None:
    good = set(GOOD) | {"uknet/forum/slack/export.zip"}
    assert {p for p, (s, _) in result.items() if s == "loaded"} == good
    bad = {p: e for p, (s, e) in result.items() if s == "quarantined"}
    assert set(bad) == set(malformed())
    assert "legacy Teams attendee list" in bad["uknet/attendance/teams/legacy-attendee-list.csv"]
    assert "Leave Time before Join Time" in bad["usnet/attendance/zoom/leave-before-join.csv"]
    assert "three header rows" in bad["uknet/survey/qualtrics/no-header-rows.csv"]
    assert all(reason and len(reason) > 20 for reason in bad.values())


@pytest.fixture
def corpus(settings, tmp_path):
    config = tmp_path / "networks.yaml"
    write_corpus(settings.landing, config)
    return config


def test_the_corpus_through_netpulse_run(settings, corpus, tmp_path):
    warehouse = tmp_path / "cli.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "netpulse.cli", "run", "--landing", str(settings.landing),
         "--warehouse", str(warehouse), "--config", str(corpus)],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "15 loaded, 6 quarantined" in result.stdout
    assert_corpus_outcome(statuses(warehouse))


def test_the_corpus_through_the_airflow_ingest_dag(settings, corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("NETPULSE_CONFIG", str(corpus))
    monkeypatch.setenv("NETPULSE_WATCH_QUIET_SECONDS", "0")  # every file is there already
    prepare_airflow(settings)
    dags = load_dags(settings)
    log = tmp_path / "dag.log"
    outcome = run_dag(dags, "netpulse_ingest", log)
    # The corpus holds files meant to be quarantined: everything else loads, the check fails.
    assert outcome.succeeded_but_quarantined, log.read_text()[-3000:]
    assert run_dag(dags, "netpulse_build", log).succeeded, log.read_text()[-3000:]
    assert_corpus_outcome(statuses(settings.warehouse))
    assert query(settings, "select count(distinct network_id) from indicators.network_period") == [(2,)]
