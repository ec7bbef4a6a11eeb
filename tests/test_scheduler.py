"""The real scheduler: Airflow standalone on loopback picks up a delivery by itself and publishes it once.

Starts the same processes as `make airflow` (API server, scheduler, DAG processor, triggerer) in
a temporary AIRFLOW_HOME, with a temporary landing zone and warehouse; drops one network's
attendance and forum files into the landing zone and waits, bounded, until the analysts'
snapshot shows indicators from both. Stops everything it started and checks nothing is left.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from netpulse.orchestration.local_airflow import (
    PASSWORD_FILE,
    PID_FILE,
    LocalAirflow,
    api_get,
    api_post,
    api_token,
    group_members,
)
from netpulse.orchestration.tasks import RAW_ASSET_URI
from netpulse.outputs.pack.quarters import latest_complete
from netpulse.store.snapshot import snapshot_path
from tests.helpers import ATTENDANCE_HEADER, FORUM_HEADER, TEST_KEY, attendance_row, write_csv, write_networks
from tests.vendor_apis.discourse import DiscourseApi

pytestmark = pytest.mark.scheduler

START_TIMEOUT = 150  # seconds; standalone was healthy after 15-20 s on an idle 2-core machine
PUBLISH_TIMEOUT = 150
QUIET_SECONDS = 3


def _free_ports() -> int:
    """A port P with P+1 and P+2 free too: the API and the two log servers."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            for offset in (1, 2):
                with socket.socket(socket.AF_INET6 if socket.has_dualstack_ipv6() else socket.AF_INET) as other:
                    other.bind(("", port + offset))
        except OSError:
            continue
        return port
    raise RuntimeError("no three free ports in a row")


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NETPULSE_", "AIRFLOW"))}
    env.update({
        "NETPULSE_HOME": str(tmp_path / "home"),
        "NETPULSE_LANDING": str(tmp_path / "landing"),
        "NETPULSE_WAREHOUSE": str(tmp_path / "warehouse" / "netpulse.duckdb"),
        "NETPULSE_EXTRACTS": str(tmp_path / "extracts"),
        "NETPULSE_DATA_DOCS": str(tmp_path / "data_docs"),
        "NETPULSE_HASH_KEY": TEST_KEY,
        "NETPULSE_WATCH_QUIET_SECONDS": str(QUIET_SECONDS),
        "NETPULSE_WATCH_POLL_SECONDS": "1",
        "NETPULSE_WORKERS": "1",
    })
    (tmp_path / "landing").mkdir()
    (tmp_path / "warehouse").mkdir()
    return env


def _with_a_pull(env: dict, tmp_path: Path, forum: DiscourseApi) -> None:
    """Network 'pulled' pulls a loopback Discourse forum; the pull DAG runs when it is started."""
    env["NETPULSE_CONFIG"] = str(write_networks(tmp_path / "networks.yaml", {"id": "pulled", "pull": {
        "discourse": {"connection": "forum_site", "since": date(2026, 1, 1)}}}))
    env["NETPULSE_PULL_STATE"] = str(tmp_path / "pull-state")
    env["NETPULSE_PULL_SCHEDULE"] = "none"
    env["AIRFLOW_CONN_FORUM_SITE"] = json.dumps({"conn_type": "http", "host": forum.url, "login": "bot",
                                                 "password": forum.api_key})


def _launcher(action: str, home: Path, env: dict, *extra: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netpulse.orchestration.local_airflow", action,
                           "--home", str(home), *extra], env=env, capture_output=True, text=True, timeout=timeout)


def _dag_runs(instance: LocalAirflow, token: str, dag_id: str) -> list[dict]:
    return api_get(instance, token, f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]


def _finished(runs: list[dict]) -> bool:
    return bool(runs) and all(r["state"] in ("success", "failed") for r in runs)


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _published_indicators(snapshot: Path):
    """(builds, attendances, forum posts) of network 'net' in the snapshot, once there is one."""
    if not snapshot.exists():
        return None
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            builds = con.execute("select build_id from meta.builds where status = 'succeeded'").fetchall()
            counts = con.execute("select sum(attendances), sum(forum_posts) from indicators.network_period "
                                 "where network_id = 'net' and grain = 'month'").fetchone()
    except duckdb.Error:
        return None
    return (len(builds), *counts) if counts[0] is not None else None


def _published_posts(snapshot: Path, network_id: str):
    """Forum posts of a network in the snapshot's indicators, once there are any."""
    if not snapshot.exists():
        return None
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            (posts,) = con.execute("select sum(forum_posts) from indicators.network_period "
                                   "where network_id = ? and grain = 'month'", [network_id]).fetchone()
    except duckdb.Error:
        return None
    return posts


def test_a_delivery_of_two_sources_is_published_once_by_the_real_scheduler(tmp_path):
    env = _environment(tmp_path)
    forum = DiscourseApi.seeded(api_key="scheduler-test-key", api_username="bot").start()
    _with_a_pull(env, tmp_path, forum)
    home = tmp_path / "airflow"
    landing = Path(env["NETPULSE_LANDING"])
    snapshot = snapshot_path(Path(env["NETPULSE_WAREHOUSE"]))
    started = time.monotonic()
    launched = _launcher("start", home, env, "--port", str(_free_ports()), timeout=START_TIMEOUT + 60)
    pgid = json.loads((home / PID_FILE).read_text())["pgid"] if (home / PID_FILE).exists() else None
    try:
        assert launched.returncode == 0, launched.stdout + launched.stderr + _tail(home / "standalone.log")
        assert "Airflow is up: http://127.0.0.1:" in launched.stdout
        port = json.loads((home / PID_FILE).read_text())["port"]
        instance = LocalAirflow(home=home, port=port, pgid=pgid,
                                password=json.loads((home / PASSWORD_FILE).read_text())["admin"])
        token = api_token(instance)
        paused = {d: api_get(instance, token, f"/api/v2/dags/{d}")["is_paused"]
                  for d in ("netpulse_ingest", "netpulse_build", "netpulse_quarterly_extract", "netpulse_pull")}
        assert paused == {"netpulse_ingest": False, "netpulse_build": False, "netpulse_quarterly_extract": False,
                          "netpulse_pull": False}
        # Unpausing the ingest starts a run for the latest hour (the hourly fallback): let it
        # finish on the empty landing zone, so that what follows is the watcher's doing.
        _wait(lambda: _finished(_dag_runs(instance, token, "netpulse_ingest")), 90,
              "the run that unpausing the ingest started")
        print(f"\nAirflow up and idle after {time.monotonic() - started:.0f} s")

        # In the last complete calendar quarter, which the pack reports on by default.
        month = latest_complete(date.today(), 1).strftime("%Y-%m")
        staging = tmp_path / "staging"
        write_csv(staging, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, [
            attendance_row("m1", f"{month}-15T10:00:00", "a@x.example"),
            attendance_row("m1", f"{month}-15T10:00:00", "b@x.example"),
        ])
        write_csv(staging, "net", "forum", "jan.csv", FORUM_HEADER, [
            ["p1", "", "", "c@x.example", "C", f"{month}-20T09:00:00", "topic"],
        ])
        landed = time.monotonic()
        (landing / "net").mkdir()
        for source in ("attendance", "forum"):  # one source after the other, as a copy would
            os.rename(staging / "net" / source, landing / "net" / source)
            time.sleep(1)
        builds, attendances, posts = _wait(lambda: _published_indicators(snapshot), PUBLISH_TIMEOUT,
                                           "indicators in the analysts' snapshot")
        latency = time.monotonic() - landed
        print(f"file landing -> indicators published in the snapshot: {latency:.1f} s "
              f"(quiet period {QUIET_SECONDS} s)")
        assert (builds, attendances, posts) == (1, 2, 1)  # one build, with both sources in it
        # The build's indicators Asset starts the quarterly DAG: the funders' pack follows.
        packs = Path(env["NETPULSE_HOME"]) / "packs"
        (manifest,) = _wait(lambda: list(packs.glob("*/manifest.json")) or None, PUBLISH_TIMEOUT,
                            "the funders' pack")
        print(f"file landing -> funders' pack written: {time.monotonic() - landed:.1f} s")
        with duckdb.connect(str(snapshot), read_only=True) as con:
            (published_build,) = con.execute("select build_id from meta.snapshot").fetchone()
        pack = json.loads(manifest.read_text())
        assert pack["build"]["build_id"] == published_build  # the pack of the build just published
        assert sorted(d["source"] for d in pack["deliveries"]) == ["attendance", "forum"]

        # Nothing else is on its way: the ingest runs are done and only one build ever ran.
        _wait(lambda: _finished(_dag_runs(instance, token, "netpulse_ingest")), 60, "the ingest runs to finish")
        time.sleep(QUIET_SECONDS + 3)  # time enough for a second event, were there one
        build_runs = _dag_runs(instance, token, "netpulse_build")
        assert [(r["run_type"], r["state"]) for r in build_runs] == [("asset_triggered", "success")]
        # The data came in through the watcher: the one raw-data event is from an ingest run that
        # the landing zone's Asset started, not from the clock.
        events = api_get(instance, token, "/api/v2/assets/events?source_dag_id=netpulse_ingest")["asset_events"]
        assert [e["source_run_id"].split("__")[0] for e in events if e["uri"] == RAW_ASSET_URI] == ["asset_triggered"]
        assert (home / "netpulse-standalone.pid").exists()
        assert sorted(p.name for p in landing.rglob("*.csv")) == ["jan.csv", "jan.csv"]  # nothing deleted

        # A pull, started by hand (NETPULSE_PULL_SCHEDULE=none): its mapped task lands the forum's
        # topics, the watcher starts the ingest, the build publishes them.
        assert _dag_runs(instance, token, "netpulse_pull") == []  # no schedule: nothing ran by itself
        pulled = time.monotonic()
        api_post(instance, token, "/api/v2/dags/netpulse_pull/dagRuns", {"logical_date": None})
        posts = _wait(lambda: _published_posts(snapshot, "pulled"), PUBLISH_TIMEOUT, "the pulled topics published")
        print(f"pull started -> pulled posts published in the snapshot: {time.monotonic() - pulled:.1f} s")
        assert posts == 12  # 4 topics and 8 replies of members, as the forum's topics imply
        assert [(r["run_type"], r["state"]) for r in _dag_runs(instance, token, "netpulse_pull")] == [
            ("manual", "success")]
        assert len(list(landing.glob("pulled/forum/discourse/pulled/*/*.json"))) == 5
    finally:
        forum.stop()
        stopped = _launcher("stop", home, env, timeout=90)
        print(f"whole test {time.monotonic() - started:.0f} s")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert pgid is not None and group_members(pgid) == []
    assert not (home / PID_FILE).exists()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""
