"""The DAG files: they import cleanly, are wired as expected, and run end to end with dag.test()."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from netpulse.orchestration.dag_runs import (
    BUILD_DAG_ID,
    EXTRACT_DAG_ID,
    INGEST_DAG_ID,
    PULL_DAG_ID,
    load_dags,
    prepare_airflow,
    run_dag,
)
from netpulse.orchestration.tasks import LANDING_ASSET_URI, RAW_ASSET_URI
from tests.helpers import ATTENDANCE_HEADER, FORUM_HEADER, attendance_row, query, write_csv

# Task ids and their downstream task ids: a change here is a rewiring, made on purpose.
EXPECTED_STRUCTURE = {
    INGEST_DAG_ID: {"find_new_files": ["load_new_files"],
                    "load_new_files": ["announce_new_data", "check_quarantined"],
                    "announce_new_data": [], "check_quarantined": []},
    BUILD_DAG_ID: {"build_indicators": []},
    EXTRACT_DAG_ID: {"write_extracts": ["write_pack"], "write_pack": []},
    PULL_DAG_ID: {"plan_targets": ["pull"], "pull": []},
}
# The tasks that open the warehouse (a reader too is refused while a writer holds the file, so
# they queue for the one slot); every other task takes no lock.
WAREHOUSE_WRITERS = {(INGEST_DAG_ID, "load_new_files"), (BUILD_DAG_ID, "build_indicators"),
                     (EXTRACT_DAG_ID, "write_extracts"), (EXTRACT_DAG_ID, "write_pack")}


@pytest.fixture(scope="module")
def dags(tmp_path_factory):
    from tests.helpers import make_settings

    settings = make_settings(tmp_path_factory.mktemp("airflow"))
    prepare_airflow(settings)
    return load_dags(settings)


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch):
    """Each test writes its files before the run: the load need not wait for them to settle."""
    monkeypatch.setenv("NETPULSE_WATCH_QUIET_SECONDS", "0")


def test_dag_files_import_without_errors():
    import os

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == set(EXPECTED_STRUCTURE)


def test_dag_structure_is_as_wired(dags):
    structure = {dag_id: {t.task_id: sorted(t.downstream_task_ids) for t in dags[dag_id].tasks}
                 for dag_id in EXPECTED_STRUCTURE}
    assert structure == EXPECTED_STRUCTURE


def test_only_the_tasks_writing_the_warehouse_take_the_one_slot_pool(dags):
    from airflow.models.pool import Pool

    for dag_id in EXPECTED_STRUCTURE:
        for task in dags[dag_id].tasks:
            writes = (dag_id, task.task_id) in WAREHOUSE_WRITERS
            assert (task.pool == "netpulse_warehouse") == writes, f"{dag_id}.{task.task_id}: {task.pool}"
    assert Pool.get_pool("netpulse_warehouse").slots == 1


def test_every_task_retries_with_backoff_and_reports_its_failure(dags):
    from netpulse.orchestration.notify import notify_failure

    for dag_id in EXPECTED_STRUCTURE:
        for task in dags[dag_id].tasks:
            callbacks = task.on_failure_callback  # a mapped task keeps the one it was given
            assert notify_failure in (callbacks if isinstance(callbacks, list) else [callbacks]), \
                f"{dag_id}.{task.task_id}"
            if task.task_id == "check_quarantined":
                assert task.retries == 0  # a quarantine is not transient: fail at once
                continue
            assert task.retries >= 3 and task.retry_exponential_backoff >= 2, f"{dag_id}.{task.task_id}"
            assert task.retry_delay.total_seconds() < task.max_retry_delay.total_seconds()


def test_the_ingest_runs_on_the_landing_watcher_and_the_build_on_its_one_asset(dags):
    from netpulse.orchestration.watch import LandingZoneTrigger

    timetable = dags[INGEST_DAG_ID].timetable
    assert type(timetable).__name__ == "AssetOrTimeSchedule"  # the watcher, and hourly as a fallback
    landing = timetable.asset_condition
    assert landing.uri == LANDING_ASSET_URI
    (watcher,) = landing.watchers
    assert isinstance(watcher.trigger, LandingZoneTrigger)

    outlets = {(dag_id, t.task_id): [o.uri for o in t.outlets]
               for dag_id in (INGEST_DAG_ID,) for t in dags[dag_id].tasks if t.outlets}
    assert outlets == {(INGEST_DAG_ID, "announce_new_data"): [RAW_ASSET_URI]}
    condition = dags[BUILD_DAG_ID].timetable.asset_condition
    assert type(condition).__name__ == "Asset" and condition.uri == RAW_ASSET_URI  # one Asset, not "any of"


def asset_events(dag_id: str, run_id: str) -> int:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(select(func.count()).select_from(AssetEvent).where(
            AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id))


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):  # http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Webhook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Webhook.received
    server.shutdown()
    server.server_close()


def test_one_run_loads_every_source_of_a_delivery_then_reports_the_quarantined_file(
        dags, settings, tmp_path, monkeypatch, webhook, caplog):
    url, received = webhook
    monkeypatch.setenv("NETPULSE_NOTIFY", f"webhook:{url}")
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "a@x.example"),
        attendance_row("m1", "2026-01-15T10:00:00", "b@x.example"),
    ])
    write_csv(settings.landing, "net", "forum", "jan.csv", FORUM_HEADER, [
        ["p1", "", "", "c@x.example", "C", "2026-01-20T09:00:00", "topic"],
    ])
    write_csv(settings.landing, "net", "attendance", "broken.csv", ATTENDANCE_HEADER[:-1], [["m2"] * 9])
    log = tmp_path / "dag.log"

    ingest = run_dag(dags, INGEST_DAG_ID, log)
    assert ingest.task_states == {"find_new_files": "success", "load_new_files": "success",
                                  "announce_new_data": "success", "check_quarantined": "failed"}
    assert ingest.succeeded_but_quarantined and not ingest.succeeded
    statuses = query(settings, "select path, status from meta.deliveries order by path")
    assert statuses == [("net/attendance/broken.csv", "quarantined"), ("net/attendance/jan.csv", "loaded"),
                        ("net/forum/jan.csv", "loaded")]
    assert asset_events(INGEST_DAG_ID, ingest.run_id) == 1  # both sources, one build
    reasons = [r.getMessage() for r in caplog.records if r.name == "netpulse.orchestration.tasks"]
    assert any("broken.csv (attendance): missing required column(s) status" in r for r in reasons)
    assert [(m["dag_id"], m["task_id"]) for m in received] == [(INGEST_DAG_ID, "check_quarantined")]
    assert "net/attendance/broken.csv" in received[0]["error"]

    build = run_dag(dags, BUILD_DAG_ID, log)
    assert build.succeeded, log.read_text()[-3000:]
    assert query(settings, "select active_members from indicators.network_period "
                 "where grain = 'month'") == [(3,)]

    # Nothing new since the snapshot the build published: the run stops before the pool.
    again = run_dag(dags, INGEST_DAG_ID, log)
    assert again.task_states == {"find_new_files": "skipped", "load_new_files": "skipped",
                                 "announce_new_data": "skipped", "check_quarantined": "skipped"}
    assert asset_events(INGEST_DAG_ID, again.run_id) == 0


def test_the_load_judges_by_content_and_emits_no_event_when_nothing_loaded(dags, settings, tmp_path):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-01-15T10:00:00", "a@x.example")])
    log = tmp_path / "dag.log"
    loaded = run_dag(dags, INGEST_DAG_ID, log)
    assert loaded.succeeded, log.read_text()[-3000:]
    assert asset_events(INGEST_DAG_ID, loaded.run_id) == 1
    # No build ran, so no snapshot knows the file: the finder passes it on, the load (by
    # content hash) finds nothing new, and no Asset event starts a build.
    again = run_dag(dags, INGEST_DAG_ID, log)
    assert again.task_states["find_new_files"] == "success"
    assert again.task_states["announce_new_data"] == "skipped"
    assert asset_events(INGEST_DAG_ID, again.run_id) == 0


def test_finding_new_files_takes_no_lock_while_a_writer_holds_the_warehouse(settings):
    import duckdb

    from netpulse.orchestration.tasks import find_new_deliveries

    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-01-15T10:00:00", "a@x.example")])
    duckdb.connect(str(settings.warehouse)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('holding', flush=True); time.sleep(60)", str(settings.warehouse)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException):  # the writer really holds the file
            duckdb.connect(str(settings.warehouse), read_only=True)
        assert find_new_deliveries() == ["net/attendance/jan.csv"]
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_backfilled_quarter_writes_what_the_command_line_writes_for_that_quarter(dags, settings, tmp_path,
                                                                                   monkeypatch):
    from datetime import datetime

    from netpulse.cli import main

    for month in ("01", "04"):  # a member in Q1 and in Q2
        write_csv(settings.landing, "net", "attendance", f"{month}.csv", ATTENDANCE_HEADER,
                  [attendance_row(f"m{month}", f"2026-{month}-15T10:00:00", "a@x.example")])
    log = tmp_path / "dag.log"
    assert run_dag(dags, INGEST_DAG_ID, log).succeeded, log.read_text()[-3000:]
    assert run_dag(dags, BUILD_DAG_ID, log).succeeded, log.read_text()[-3000:]

    # What `airflow backfill create --dag-id netpulse_quarterly_extract` runs: one run per
    # logical date, each writing the quarter complete by then.
    written = {}
    for as_of in ("2026-04-01", "2026-07-01"):
        logical = datetime.fromisoformat(as_of).replace(hour=6, tzinfo=UTC)
        assert run_dag(dags, EXTRACT_DAG_ID, log, logical_date=logical).succeeded, log.read_text()[-3000:]
        written.update({p.name: p.read_bytes() for p in settings.extracts.rglob("*.csv")})
    assert sorted(written) == ["net_quarter_2026-01-01.csv", "net_quarter_2026-04-01.csv"]

    by_command = tmp_path / "by-command"
    monkeypatch.setenv("NETPULSE_EXTRACTS", str(by_command))
    for as_of in ("2026-04-01", "2026-07-01"):
        assert main(["extract", "--as-of", as_of]) == 0
    assert {p.name: p.read_bytes() for p in by_command.rglob("*.csv")} == written


def test_the_pull_dag_maps_one_task_per_network_and_api_and_one_failure_stops_no_other(
        dags, settings, tmp_path, monkeypatch):
    import dataclasses as dc
    from datetime import date

    from netpulse.ingest.loading import ingest
    from tests.helpers import write_networks
    from tests.vendor_apis.discourse import DiscourseApi

    with DiscourseApi.seeded(api_key="k-1", api_username="bot") as forum:
        monkeypatch.setenv("AIRFLOW_CONN_FORUM_SITE", json.dumps(
            {"conn_type": "http", "host": forum.url, "login": "bot", "password": "k-1"}))
        config = write_networks(tmp_path / "networks.yaml",
                                {"id": "net-a", "pull": {"discourse": {"connection": "forum_site",
                                                                       "since": date(2026, 1, 1)}}},
                                {"id": "net-b", "pull": {"slack": {"connection": "not_defined_anywhere",
                                                                   "channels": ["C1"]}}})
        monkeypatch.setenv("NETPULSE_CONFIG", str(config))
        monkeypatch.setenv("NETPULSE_PULL_STATE", str(tmp_path / "pull-state"))
        with (tmp_path / "dag.log").open("a") as log, \
                __import__("contextlib").redirect_stdout(log), __import__("contextlib").redirect_stderr(log):
            run = dags[PULL_DAG_ID].test()
    states = {(ti.task_id, ti.rendered_map_index or ti.map_index): str(ti.state) for ti in run.get_task_instances()}
    assert states == {("plan_targets", -1): "success", ("pull", "net-a/discourse"): "success",
                      ("pull", "net-b/slack"): "failed"}, states
    # The mapped tasks take no pool slot (no warehouse lock); what landed loads like any delivery.
    assert all(t.pool != "netpulse_warehouse" for t in dags[PULL_DAG_ID].tasks)
    assert not settings.warehouse.exists()
    report = ingest(dc.replace(settings, network_config=config))
    assert [o.status for o in report.outcomes] == ["loaded"] * 5
    assert {o.path.split("/")[1:4] == ["forum", "discourse", "pulled"] for o in report.outcomes} == {True}
