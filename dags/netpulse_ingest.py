"""Ingest one landing source into the warehouse: find new files, validate and load them.

One DAG per source (`netpulse_ingest_<source>`), hourly and on demand. Files that fail
validation are quarantined with their reasons (see `netpulse status`); the others load.
When anything loaded, the source's Asset is updated, which starts `netpulse_build`.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, get_current_context, task

from netpulse.orchestration.tasks import (
    RAW_ASSET_URIS,
    WAREHOUSE_POOL,
    dag_arguments,
    load_deliveries,
    pending_deliveries,
)


def ingest_dag(source: str):
    @dag(dag_id=f"netpulse_ingest_{source}", schedule="@hourly", **dag_arguments(tag="ingest", doc_md=__doc__))
    def ingest():
        @task(pool=WAREHOUSE_POOL)
        def find_new_deliveries() -> list[str]:
            return pending_deliveries(source)

        @task(pool=WAREHOUSE_POOL, outlets=[Asset(RAW_ASSET_URIS[source])])
        def load_new_deliveries(paths: list[str]) -> dict:
            return load_deliveries(source, paths, run_id=get_current_context()["run_id"])

        load_new_deliveries(find_new_deliveries())

    return ingest()


for _source in RAW_ASSET_URIS:
    ingest_dag(_source)
