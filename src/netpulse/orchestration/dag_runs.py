"""Running the netpulse DAGs in-process with Airflow's ``dag.test()``.

Used by ``netpulse demo`` and the tests: the same DAG files the scheduler runs, executed
here without a scheduler. Asset events are recorded but start nothing, so the caller runs
the build DAG itself after the ingest DAG.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from netpulse.config.settings import Settings, project_path
from netpulse.orchestration.tasks import WAREHOUSE_POOL

INGEST_DAG_ID = "netpulse_ingest"
# The ingest task that fails when a file was quarantined, after the good files loaded.
QUARANTINE_CHECK_TASK = "check_quarantined"
BUILD_DAG_ID = "netpulse_build"
EXTRACT_DAG_ID = "netpulse_quarterly_extract"
PULL_DAG_ID = "netpulse_pull"


@dataclass
class DagOutcome:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    @property
    def succeeded_but_quarantined(self) -> bool:
        """Everything loaded and announced; only the quarantine check failed, as designed."""
        others = {task: state for task, state in self.task_states.items() if task != QUARANTINE_CHECK_TASK}
        return (self.task_states.get(QUARANTINE_CHECK_TASK) == "failed"
                and all(state in ("success", "skipped") for state in others.values()))


def configure_airflow_env(settings: Settings) -> Path:
    """Point Airflow at our DAGs and a git-ignored home; must run before airflow is imported."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str((settings.home / "airflow").resolve())))
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(project_path("dags")))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    home.mkdir(parents=True, exist_ok=True)
    return home


def prepare_airflow(settings: Settings) -> Path:
    """Create or migrate Airflow's metadata database and the warehouse pool."""
    home = configure_airflow_env(settings)
    warnings.filterwarnings("ignore", module="airflow")
    from airflow.models.pool import Pool
    from airflow.utils.db import initdb

    initdb()
    Pool.create_or_update_pool(
        WAREHOUSE_POOL, slots=1, include_deferred=False,
        description="DuckDB allows one writing process: tasks that write the warehouse take turns",
    )
    return home


def load_dags(settings: Settings) -> dict:
    configure_airflow_env(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        problems = "; ".join(f"{path}: {error}" for path, error in bag.import_errors.items())
        raise RuntimeError(f"DAG files failed to import: {problems}")
    return bag.dags


def run_dag(dags: dict, dag_id: str, log_path: Path, *, logical_date: datetime | None = None) -> DagOutcome:
    """``dag.test()`` one DAG, with Airflow's log output appended to ``log_path``."""
    with (log_path.open("a", encoding="utf-8") as log_file,
          contextlib.redirect_stdout(log_file), contextlib.redirect_stderr(log_file)):
        run = dags[dag_id].test(logical_date=logical_date)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    return DagOutcome(dag_id, run.run_id, str(run.state), states)
