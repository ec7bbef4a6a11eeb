"""Pull what is new from the vendors' APIs into the landing zone: one mapped task per network and API.

On the schedule NETPULSE_PULL_SCHEDULE (cron, UTC; hourly at 20 past by default; ``none`` for
runs started by hand). Each network's ``pull:`` section in the networks file names its APIs; the
credentials are Airflow connections. A pull writes the raw responses as landing files and never
takes the warehouse lock: the landing zone's watcher then starts `netpulse_ingest` as for any
delivery. One failing API of one network fails its own task only (docs/pulling.md).
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from netpulse.orchestration.tasks import dag_arguments, plan_pulls, pull_one_target, pull_timetable


@dag(
    dag_id="netpulse_pull",
    schedule=pull_timetable(),
    **dag_arguments(tag="pull", doc_md=__doc__),
)
def netpulse_pull():
    @task
    def plan_targets() -> list[dict]:
        return plan_pulls()

    @task(map_index_template="{{ pull_target }}")  # the UI names each mapped task by its network/API
    def pull(target: dict) -> dict:
        get_current_context()["pull_target"] = target["target"]  # type: ignore[typeddict-unknown-key]
        return pull_one_target(target)

    pull.expand(target=plan_targets())


netpulse_pull()
