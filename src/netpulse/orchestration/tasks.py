"""What the Airflow tasks do, as plain functions testable without a scheduler.

DAG files import only this module at parse time; it imports nothing heavy at the top,
so parsing stays fast. Settings come from the environment of the worker (NETPULSE_*).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

log = logging.getLogger(__name__)

WAREHOUSE_POOL = "netpulse_warehouse"
# One Asset for all sources: updated once per ingest run that loaded anything, whatever it loaded.
RAW_ASSET_URI = "netpulse://warehouse/raw"
LANDING_ASSET_URI = "netpulse://landing/zone"
INDICATORS_ASSET_URI = "netpulse://warehouse/indicators"


def dag_arguments(*, tag: str, doc_md: str | None) -> dict:
    """Arguments every netpulse DAG shares."""
    from netpulse.orchestration.notify import notify_failure

    return {
        "start_date": datetime(2024, 1, 1),
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["netpulse", tag],
        "doc_md": doc_md,
        "default_args": {
            # A lock conflict outlasting the connection retries, or a transient error (disk full,
            # a worker lost), gets more chances, further apart: 30 s, 1 min, 2 min, 4 min.
            "retries": 4,
            "retry_delay": timedelta(seconds=30),
            "retry_exponential_backoff": 2.0,
            "max_retry_delay": timedelta(minutes=10),
            # After the last try: NETPULSE_NOTIFY (log, e-mail or webhook).
            "on_failure_callback": notify_failure,
        },
    }


def landing_asset():
    """The landing zone as an Asset, updated by a watcher when a delivery has landed and settled."""
    from airflow.sdk import Asset, AssetWatcher

    from netpulse.config.settings import Settings
    from netpulse.orchestration.watch import LandingZoneTrigger, watch_timings

    quiet, poll = watch_timings()
    trigger = LandingZoneTrigger(landing=str(Settings.from_env().landing.resolve()),
                                 quiet_seconds=quiet, poll_seconds=poll)
    return Asset(LANDING_ASSET_URI, watchers=[AssetWatcher(name="netpulse_landing_zone", trigger=trigger)])


def find_new_deliveries() -> list[str]:
    """Landing files the last published snapshot does not know by path, size and mtime.

    Takes no lock: it lists the landing zone and reads the analysts' snapshot (a separate file
    no writer holds). It is a cheap filter, not the judge: the load decides by content hash,
    under the warehouse's write lock. Skips the run (so nothing waits for the pool and no
    build starts) when every file is already known.
    """
    from airflow.sdk.exceptions import AirflowSkipException

    from netpulse.config.settings import Settings
    from netpulse.ingest.landing import find_landing_files
    from netpulse.store.snapshot import landing_fingerprint

    settings = Settings.from_env()
    known = _published_fingerprints(settings)
    new = [f.relative_path for f in find_landing_files(
               settings.landing, allow_symlinks_outside=settings.limits.allow_symlinks_outside)
           if landing_fingerprint(f.relative_path, f.size_bytes, f.modified_at) not in known]
    log.info("%d landing file(s) not in the published snapshot: %s", len(new), ", ".join(new[:50]) or "none")
    if not new:
        raise AirflowSkipException("every landing file is already in the warehouse")
    return new


def _published_fingerprints(settings) -> set[str]:
    """The landing fingerprint (path, size, mtime) of every delivery in the analysts' snapshot."""
    import duckdb

    from netpulse.store.snapshot import snapshot_path

    path = snapshot_path(settings.warehouse)
    if not path.exists():
        return set()
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return {f for (f,) in con.execute("select landing_fingerprint from meta.deliveries").fetchall()}
    except duckdb.Error as exc:  # an older snapshot layout, or a damaged file: let the load judge
        log.warning("could not read %s (%s): treating every landing file as possibly new", path, exc)
        return set()


def _writer_settings():
    """The worker's settings, with the process's new files made private first (NETPULSE_UMASK)."""
    from netpulse.config.settings import Settings, restrict_new_files

    restrict_new_files()
    return Settings.from_env()


def load_pending_deliveries(run_id: str) -> dict:
    """Validate and load every new file of every source, in one run under the write lock.

    All sources of a delivery are loaded before the one Asset event that starts the build, so
    no build ever sees part of a delivery. ``ingest()`` logs each file's outcome, quarantine
    reasons as warnings.
    """
    from netpulse.ingest.loading import ingest
    from netpulse.orchestration.watch import wait_until_settled, watch_timings

    settings = _writer_settings()
    quiet, _ = watch_timings()
    waited = wait_until_settled(settings.landing, quiet, timeout=max(60.0, 6 * quiet))
    if waited >= 1:
        log.info("waited %.0f s for files still landing to settle", waited)
    report = ingest(settings, run_id=run_id)
    return report.as_dict()


def announce_raw_change(report: dict) -> str:
    """Let the build run (through this task's Asset) only when something new was loaded."""
    from airflow.sdk.exceptions import AirflowSkipException

    loaded = [o["path"] for o in report["outcomes"] if o["status"] == "loaded"]
    if not loaded:
        raise AirflowSkipException("nothing new loaded: no build")
    return f"{len(loaded)} file(s) loaded: {', '.join(loaded[:20])}"


def fail_on_quarantined(report: dict) -> int:
    """Fail visibly, with every reason in this task's log, when a file was quarantined.

    Runs after the good files are loaded and the build's Asset event is sent: one bad file
    does not hold back the rest of a delivery, but the run shows failed and the failure
    notification goes out. The exception names the files only; reasons can quote values.
    """
    from airflow.sdk.exceptions import AirflowFailException

    quarantined = [o for o in report["outcomes"] if o["status"] == "quarantined"]
    for outcome in quarantined:
        log.error("quarantined %s (%s): %s", outcome["path"], outcome["source"], outcome["error"])
    if quarantined:
        raise AirflowFailException(
            f"{len(quarantined)} file(s) quarantined: {', '.join(o['path'] for o in quarantined)}; "
            "reasons above and in `netpulse status`; fix and deliver again")
    return len(report["outcomes"])


def build_warehouse(run_id: str) -> dict:
    from netpulse.build.run import build

    report = build(_writer_settings(), run_id=run_id)
    return {"build_id": report.build_id, "models": len(report.models),
            "network_periods": report.network_periods}


def write_quarterly_extracts(as_of: date | datetime | None) -> list[str]:
    from netpulse.outputs.extract import write_quarter_extracts

    settings = _writer_settings()
    _skip_before_first_build(settings)
    as_of = as_of.date() if isinstance(as_of, datetime) else (as_of or date.today())
    paths = write_quarter_extracts(settings, as_of=as_of)
    return [str(p) for p in paths]


def write_quarterly_pack(as_of: date | datetime | None) -> dict:
    """The funders' pack of every network for its quarter just completed (one pack per programme)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from netpulse.outputs.pack.aggregates import NoFiguresForQuarter
    from netpulse.outputs.pack.write import write_pack

    as_of = as_of.date() if isinstance(as_of, datetime) else (as_of or date.today())
    try:
        result = write_pack(_writer_settings(), as_of=as_of)
    except NoFiguresForQuarter as reason:  # e.g. a build of older data only: nothing to publish
        raise AirflowSkipException(str(reason)) from None
    return {"folder": str(result.folder), "files": len(result.files), "seconds": round(result.seconds, 1)}


def _skip_before_first_build(settings) -> None:
    """A run before anything was built (unpausing on a new warehouse) has nothing to write."""
    from airflow.sdk.exceptions import AirflowSkipException

    from netpulse.store.snapshot import snapshot_path

    # The snapshot exists once a build succeeded; looking at it takes no lock.
    if not snapshot_path(settings.warehouse).exists():
        raise AirflowSkipException(f"nothing built yet in {settings.warehouse}: no extract or pack to write")



def pull_timetable():
    """The ``netpulse_pull`` DAG's schedule: NETPULSE_PULL_SCHEDULE (cron, UTC), or None."""
    from airflow.sdk import CronTriggerTimetable

    from netpulse.config.settings import pull_schedule

    schedule = pull_schedule()
    return CronTriggerTimetable(schedule, timezone="UTC") if schedule else None


def plan_pulls() -> list[dict]:
    """One entry per network and API with a pull section: the mapped tasks of ``netpulse_pull``."""
    from airflow.sdk.exceptions import AirflowSkipException

    from netpulse.config.settings import Settings
    from netpulse.pull.run import plan

    targets = [{"network_id": spec.network_id, "api": spec.api, "target": spec.target}
               for spec in plan(Settings.from_env())]
    if not targets:
        raise AirflowSkipException("no network of the networks file has a pull section")
    return targets


def pull_one_target(target: dict) -> dict:
    """Pull one network's API into the landing zone. Takes no warehouse lock and no pool slot: the
    landing zone's watcher starts the ingest once what landed has settled.

    A failure retrying cannot mend (a refused key, a missing scope) fails at once, with what to fix;
    one that may pass (the API down, a 429 beyond the bound) fails so that Airflow tries again; a
    pull that reached its per-run bound succeeds, and the next run goes on from its cursor.
    """
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from netpulse.pull.run import find_target, pull_target

    settings = _writer_settings()
    outcome = pull_target(settings, find_target(settings, target["network_id"], target["api"]))
    for path in outcome.files:
        log.info("landed %s", path)
    if outcome.status == "busy":
        raise AirflowSkipException(outcome.errors[0])
    if outcome.status == "failed":
        message = f"{outcome.target}: " + "; ".join(outcome.errors)
        if outcome.permanent:
            raise AirflowFailException(message)
        raise RuntimeError(message)
    return outcome.as_dict()
