"""Rebuild staging, core and indicator tables whenever an ingest run loaded new data.

Scheduled on the raw Asset that `netpulse_ingest` updates once per run that loaded anything
(event-driven, not on a clock), after every source of the delivery is loaded. The build runs in
one transaction, validates the indicator tables before they become visible, and publishes the
analysts' snapshot.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, get_current_context, task

from netpulse.orchestration.tasks import (
    INDICATORS_ASSET_URI,
    RAW_ASSET_URI,
    WAREHOUSE_POOL,
    build_warehouse,
    dag_arguments,
)


@dag(
    dag_id="netpulse_build",
    schedule=Asset(RAW_ASSET_URI),
    **dag_arguments(tag="build", doc_md=__doc__),
)
def netpulse_build():
    @task(pool=WAREHOUSE_POOL, outlets=[Asset(INDICATORS_ASSET_URI)])
    def build_indicators() -> dict:
        return build_warehouse(run_id=get_current_context()["run_id"])

    build_indicators()


netpulse_build()
