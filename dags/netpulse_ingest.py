"""Ingest every new landing file, of every source, in one run; then let the build start once.

Runs when the landing zone's watcher reports a settled delivery (a few seconds after the last
file of a delivery lands), and hourly as a fallback. Finding new files takes no lock; loading
them holds the warehouse pool's one slot. When anything loaded, the one raw Asset is updated,
which starts `netpulse_build` once for the whole delivery. A quarantined file fails the
`fail_on_quarantined` task (after the good files are loaded), with its reasons in that task's log.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, get_current_context, task

from netpulse.orchestration.tasks import (
    RAW_ASSET_URI,
    WAREHOUSE_POOL,
    announce_raw_change,
    dag_arguments,
    fail_on_quarantined,
    find_new_deliveries,
    landing_asset,
    load_pending_deliveries,
)


@dag(
    dag_id="netpulse_ingest",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 * * * *", timezone="UTC"),
                                 assets=landing_asset()),
    **dag_arguments(tag="ingest", doc_md=__doc__),
)
def netpulse_ingest():
    @task
    def find_new_files() -> list[str]:
        return find_new_deliveries()

    # The candidates only gate the run (none: skipped before the pool); the load reads every
    # new file, also those that landed since.
    @task(pool=WAREHOUSE_POOL)
    def load_new_files(candidates: list[str]) -> dict:
        return load_pending_deliveries(run_id=get_current_context()["run_id"])

    @task(outlets=[Asset(RAW_ASSET_URI)])
    def announce_new_data(report: dict) -> str:
        return announce_raw_change(report)

    @task(retries=0)
    def check_quarantined(report: dict) -> int:
        return fail_on_quarantined(report)

    report = load_new_files(find_new_files())
    announce_new_data(report)
    check_quarantined(report)


netpulse_ingest()
