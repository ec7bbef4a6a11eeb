"""Rebuild staging, core and indicator tables whenever a source's raw data changed.

Scheduled on the raw Assets of the ingest DAGs (event-driven, not on a clock). The build
runs in one transaction and validates the indicator tables before they become visible.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from airflow.sdk import Asset, dag, get_current_context, task

from netpulse.orchestration.tasks import (
    INDICATORS_ASSET_URI,
    RAW_ASSET_URIS,
    WAREHOUSE_POOL,
    build_warehouse,
    dag_arguments,
)


@dag(
    dag_id="netpulse_build",
    schedule=reduce(or_, (Asset(uri) for uri in RAW_ASSET_URIS.values())),
    **dag_arguments(tag="build", doc_md=__doc__),
)
def netpulse_build():
    @task(pool=WAREHOUSE_POOL, outlets=[Asset(INDICATORS_ASSET_URI)])
    def build_indicators() -> dict:
        return build_warehouse(run_id=get_current_context()["run_id"])

    build_indicators()


netpulse_build()
