"""The DAG files: they import cleanly, are wired as expected, and run end to end with dag.test()."""

from __future__ import annotations

import pytest

from netpulse.orchestration.dag_runs import (
    BUILD_DAG_ID,
    EXTRACT_DAG_ID,
    INGEST_DAG_IDS,
    load_dags,
    prepare_airflow,
    run_dag,
)
from tests.conftest import ATTENDANCE_HEADER, attendance_row, query, write_csv

# Task ids and their downstream task ids: a change here is a rewiring, made on purpose.
EXPECTED_STRUCTURE = {
    **{dag_id: {"find_new_deliveries": ["load_new_deliveries"], "load_new_deliveries": []}
       for dag_id in INGEST_DAG_IDS},
    BUILD_DAG_ID: {"build_indicators": []},
    EXTRACT_DAG_ID: {"write_extracts": ["write_pack"], "write_pack": []},
}


@pytest.fixture(scope="module")
def dags(tmp_path_factory):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path_factory.mktemp("airflow"))
    prepare_airflow(settings)
    return load_dags(settings)


def test_dag_files_import_without_errors():
    import os

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == set(EXPECTED_STRUCTURE)


def test_dag_structure_is_as_wired(dags):
    structure = {dag_id: {t.task_id: sorted(t.downstream_task_ids) for t in dags[dag_id].tasks}
                 for dag_id in EXPECTED_STRUCTURE}
    assert structure == EXPECTED_STRUCTURE


def test_every_task_writing_the_warehouse_uses_the_one_slot_pool(dags):
    from airflow.models.pool import Pool

    for dag_id in EXPECTED_STRUCTURE:
        for task in dags[dag_id].tasks:
            assert task.pool == "netpulse_warehouse", f"{dag_id}.{task.task_id}"
    assert Pool.get_pool("netpulse_warehouse").slots == 1


def test_the_build_is_scheduled_on_the_ingest_assets_not_a_clock(dags):
    ingest_outlets = {o.uri for dag_id in INGEST_DAG_IDS for t in dags[dag_id].tasks for o in t.outlets}
    assert len(ingest_outlets) == len(INGEST_DAG_IDS)
    condition = dags[BUILD_DAG_ID].timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"  # any one source changing triggers a build
    assert {asset.uri for asset in condition.objects} == ingest_outlets


def asset_events(dag_id: str, run_id: str) -> int:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(select(func.count()).select_from(AssetEvent).where(
            AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id))


def test_ingest_and_build_run_end_to_end_against_a_temporary_warehouse(dags, settings, tmp_path):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "a@x.example"),
        attendance_row("m1", "2026-01-15T10:00:00", "b@x.example"),
    ])
    write_csv(settings.landing, "net", "attendance", "broken.csv", ATTENDANCE_HEADER[:-1], [["m2"] * 9])
    log = tmp_path / "dag.log"

    ingest = run_dag(dags, "netpulse_ingest_attendance", log)
    assert ingest.succeeded, log.read_text()[-3000:]
    assert ingest.task_states == {"find_new_deliveries": "success", "load_new_deliveries": "success"}
    statuses = query(settings, "select path, status from meta.deliveries order by path")
    assert statuses == [("net/attendance/broken.csv", "quarantined"), ("net/attendance/jan.csv", "loaded")]

    build = run_dag(dags, BUILD_DAG_ID, log)
    assert build.succeeded, log.read_text()[-3000:]
    assert query(settings, "select active_members from indicators.network_period "
                 "where grain = 'month'") == [(2,)]

    # Nothing new: the load task skips, so no Asset event and no build is triggered.
    again = run_dag(dags, "netpulse_ingest_attendance", log)
    assert again.task_states["load_new_deliveries"] == "skipped"


def test_a_load_emits_its_asset_event_and_a_skip_does_not(dags, settings, tmp_path):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-01-15T10:00:00", "a@x.example")])
    log = tmp_path / "dag.log"
    loaded = run_dag(dags, "netpulse_ingest_attendance", log)
    assert asset_events("netpulse_ingest_attendance", loaded.run_id) == 1
    skipped = run_dag(dags, "netpulse_ingest_attendance", log)
    assert skipped.task_states["load_new_deliveries"] == "skipped"
    assert asset_events("netpulse_ingest_attendance", skipped.run_id) == 0
