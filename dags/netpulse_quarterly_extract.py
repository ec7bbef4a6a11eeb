"""Write each network's quarterly indicator extract (CSV) for its latest complete quarter.

Runs on the first of every month, because networks' quarters may start in any month
(financial-year quarters start in April), and after every build (the indicators Asset), so
late data reaches the extracts and the pack without waiting for the month; a network whose
quarter did not change gets the same files again, byte for byte.
Small numbers are suppressed as configured for funder-facing output. The funders' pack
(report, overview, workbook, tables, manifest) is written beside the extracts for the same
quarters.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, get_current_context, task

from netpulse.orchestration.tasks import (
    INDICATORS_ASSET_URI,
    WAREHOUSE_POOL,
    dag_arguments,
    write_quarterly_extracts,
    write_quarterly_pack,
)


@dag(
    dag_id="netpulse_quarterly_extract",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6 1 * *", timezone="UTC"),
                                 assets=Asset(INDICATORS_ASSET_URI)),
    **dag_arguments(tag="extract", doc_md=__doc__),
)
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
