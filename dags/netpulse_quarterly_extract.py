"""Write each network's quarterly indicator extract (CSV) for its latest complete quarter.

Runs on the first of every month, because networks' quarters may start in any month
(financial-year quarters start in April); a network whose quarter did not just end gets
its latest complete quarter written again, unchanged unless late data arrived.
Small numbers are suppressed as configured for funder-facing output. The funders' pack
(report, overview, workbook, tables, manifest) is written beside the extracts for the same
quarters.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from netpulse.orchestration.tasks import (
    WAREHOUSE_POOL,
    dag_arguments,
    write_quarterly_extracts,
    write_quarterly_pack,
)


@dag(dag_id="netpulse_quarterly_extract", schedule="0 6 1 * *", **dag_arguments(tag="extract", doc_md=__doc__))
def netpulse_quarterly_extract():
    @task(pool=WAREHOUSE_POOL)
    def write_extracts() -> list[str]:
        context = get_current_context()
        return write_quarterly_extracts(context.get("logical_date"))

    @task(pool=WAREHOUSE_POOL)
    def write_pack() -> dict:
        context = get_current_context()
        return write_quarterly_pack(context.get("logical_date"))

    write_extracts() >> write_pack()


netpulse_quarterly_extract()
