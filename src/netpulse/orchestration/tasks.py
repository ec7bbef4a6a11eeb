"""What the Airflow tasks do, as plain functions testable without a scheduler.

DAG files import only this module at parse time; it imports nothing heavy at the top,
so parsing stays fast. Settings come from the environment of the worker (NETPULSE_*).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from netpulse.ingest.sources import SOURCES

log = logging.getLogger(__name__)

WAREHOUSE_POOL = "netpulse_warehouse"
RAW_ASSET_URIS = {source: f"netpulse://warehouse/raw/{source}" for source in SOURCES}
INDICATORS_ASSET_URI = "netpulse://warehouse/indicators"


def dag_arguments(*, tag: str, doc_md: str | None) -> dict:
    """Arguments every netpulse DAG shares."""
    return {
        "start_date": datetime(2024, 1, 1),
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["netpulse", tag],
        "doc_md": doc_md,
        # A lock conflict outlasting the connection retries gets another chance later.
        "default_args": {"retries": 2, "retry_delay": timedelta(seconds=60)},
    }


def pending_deliveries(source: str) -> list[str]:
    """Landing files of a source not yet in the manifest (relative paths)."""
    from netpulse.config.settings import Settings
    from netpulse.ingest.loading import pending_files

    paths = pending_files(Settings.from_env(), source)
    log.info("%d new %s file(s): %s", len(paths), source, ", ".join(paths) or "none")
    return paths


def load_deliveries(source: str, paths: list[str], run_id: str) -> dict:
    """Validate and load the given files; skip (no Asset event) when nothing new loaded."""
    from airflow.sdk.exceptions import AirflowSkipException

    from netpulse.config.settings import Settings
    from netpulse.ingest.loading import ingest

    # ingest() logs each file's outcome, quarantine reasons as warnings.
    report = ingest(Settings.from_env(), sources=(source,), only_paths=tuple(paths), run_id=run_id)
    if not report.changed:
        raise AirflowSkipException(f"warehouse unchanged: {report.summary()}")
    return report.as_dict()


def build_warehouse(run_id: str) -> dict:
    from netpulse.build.run import build
    from netpulse.config.settings import Settings

    report = build(Settings.from_env(), run_id=run_id)
    return {"build_id": report.build_id, "models": len(report.models),
            "network_periods": report.network_periods}


def write_quarterly_extracts(as_of: date | datetime | None) -> list[str]:
    from netpulse.config.settings import Settings
    from netpulse.outputs.extract import write_quarter_extracts

    as_of = as_of.date() if isinstance(as_of, datetime) else (as_of or date.today())
    paths = write_quarter_extracts(Settings.from_env(), as_of=as_of)
    return [str(p) for p in paths]


def write_quarterly_pack(as_of: date | datetime | None) -> dict:
    """The funders' pack of every network for its quarter just completed (one pack per programme)."""
    from netpulse.config.settings import Settings
    from netpulse.outputs.pack.write import write_pack

    as_of = as_of.date() if isinstance(as_of, datetime) else (as_of or date.today())
    result = write_pack(Settings.from_env(), as_of=as_of)
    return {"folder": str(result.folder), "files": len(result.files), "seconds": round(result.seconds, 1)}
