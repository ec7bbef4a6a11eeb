"""A build: every transform model and the stage classifier, in one transaction.

Either the whole build becomes visible, with its indicator tables validated, or none of
it does and the previous build stays in place. Every build is recorded with its run id,
methodology version and stage-rules version.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb
import pandas as pd

from netpulse import METHODOLOGY_VERSION
from netpulse.errors import NetpulseError
from netpulse.graph import graph_measures
from netpulse.settings import Settings
from netpulse.stages import StageRules, classify, load_stage_rules
from netpulse.transforms import Model, run_models, sql_models
from netpulse.validation import publish_data_docs, store_validation, validate_frame
from netpulse.warehouse import open_warehouse, registered

log = logging.getLogger(__name__)


class BuildFailed(NetpulseError):
    pass


@dataclass
class BuildReport:
    build_id: str
    run_id: str
    models: list[str]
    network_periods: int
    stage_rules_version: str

    def summary(self) -> str:
        return (f"build {self.build_id}: {len(self.models)} models, "
                f"{self.network_periods} network periods (rules {self.stage_rules_version})")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def python_models(build_id: str, run_id: str, rules: StageRules) -> list[Model]:
    def build_context(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "create or replace table staging.int_build_context as select ? as build_id, ? as run_id, "
            "? as methodology_version, ? as stage_rules_version, ?::timestamp as built_at",
            [build_id, run_id, METHODOLOGY_VERSION, rules.version, _utc_now()],
        )

    def network_periods_staged(con: duckdb.DuckDBPyConnection) -> None:
        counts = con.execute("select * from staging.int_network_periods_counted").df()
        staged = classify(counts, rules) if len(counts) else counts.assign(
            evidence_stage=None, stage=None, stage_reason=None, stage_rules_version=None)
        staged = staged[["network_id", "grain", "period_start", "evidence_stage", "stage",
                         "stage_reason", "stage_rules_version"]]
        with registered(con, "staged_periods", staged):
            con.execute(
                "create or replace table staging.int_network_periods_staged as "
                "select network_id::varchar as network_id, grain::varchar as grain, "
                "period_start::date as period_start, evidence_stage::varchar as evidence_stage, "
                "stage::varchar as stage, stage_reason::varchar as stage_reason, "
                "stage_rules_version::varchar as stage_rules_version from staged_periods"
            )

    def network_periods_connected(con: duckdb.DuckDBPyConnection) -> None:
        measures = graph_measures(con.execute("select * from staging.int_network_period_ties").df())
        with registered(con, "graph_measures", measures):
            con.execute(
                "create or replace table staging.int_network_periods_connected as "
                "select network_id::varchar as network_id, grain::varchar as grain, "
                "period_start::date as period_start, components::bigint as components, "
                "largest_component_share::double as largest_component_share, "
                "average_clustering::double as average_clustering from graph_measures"
            )

    return [
        Model("staging.int_network_periods_connected", depends_on={"staging.int_network_period_ties"},
              run=network_periods_connected),
        Model("staging.int_build_context", run=build_context),
        Model("staging.int_network_periods_staged", depends_on={"staging.int_network_periods_counted"},
              run=network_periods_staged),
    ]


def build(settings: Settings, *, run_id: str | None = None) -> BuildReport:
    """Rebuild staging, core and indicators from the raw schema."""
    rules = load_stage_rules()
    run_id = run_id or f"manual__{_utc_now():%Y%m%dT%H%M%SZ}"
    build_id = uuid.uuid4().hex[:12]
    started_at = _utc_now()
    with open_warehouse(settings) as con:
        last_delivery = con.execute("select max(delivery_id) from meta.deliveries").fetchone()[0]
        models = sql_models() + python_models(build_id, run_id, rules)
        validation = None
        con.execute("begin transaction")
        try:
            names = run_models(con, models)
            periods = con.execute("select * from indicators.network_period").df()
            validation = validate_frame("indicators", periods)
            store_validation(con, validation, run_id=run_id, build_id=build_id)
            if not validation.success:
                raise BuildFailed("indicator tables failed validation: " + validation.failures_in_words())
            keep_history(con)
            _record_build(con, build_id, run_id, rules, "succeeded", None, last_delivery, names, started_at)
            con.execute("commit")
        except Exception as exc:
            con.execute("rollback")
            # The failed build's tables are gone; its record and validation results stay.
            _record_build(con, build_id, run_id, rules, "failed", str(exc), last_delivery, [], started_at)
            if validation is not None:
                store_validation(con, validation, run_id=run_id, build_id=build_id)
            raise
        finally:
            if validation is not None:
                publish_data_docs([(validation, run_id, "indicators.network_period")], settings.data_docs,
                                  run_id=run_id, part="indicators")
    report = BuildReport(build_id, run_id, names, len(periods), rules.version)
    log.info(report.summary())
    return report


# Tables whose every build is kept, tagged with its build_id, so that figures published
# from an earlier build (a funder's quarter) can be reproduced after late data or merges.
HISTORY_TABLES = {"indicators.network_period": "indicators.network_period_history",
                  "indicators.stage_transitions": "indicators.stage_transitions_history",
                  "indicators.network_structure": "indicators.network_structure_history"}


def keep_history(con: duckdb.DuckDBPyConnection) -> None:
    """Append this build's indicator rows to their history tables (inside the build's transaction)."""
    for table, history in HISTORY_TABLES.items():
        con.execute(f"create table if not exists {history} as select * from {table} limit 0")
        existing = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema || '.' || table_name = ?",
            [history]).fetchall()}
        for name, data_type in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema || '.' || table_name = ? order by ordinal_position", [table]).fetchall():
            if name not in existing:  # a later methodology added a column: older builds show NULL
                con.execute(f'alter table {history} add column "{name}" {data_type}')
        con.execute(f"insert into {history} by name select * from {table}")


def _record_build(con, build_id, run_id, rules, status, error, last_delivery, names, started_at) -> None:
    con.execute(
        "insert into meta.builds values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [build_id, run_id, METHODOLOGY_VERSION, rules.version, status, error, last_delivery,
         ", ".join(names), started_at, _utc_now()],
    )


def latest_periods(con: duckdb.DuckDBPyConnection, grain: str = "quarter") -> pd.DataFrame:
    """Each network's latest period of a grain, as analysts and the demo read it."""
    return con.execute(
        """
        select * from indicators.network_period
        where grain = ?
        qualify period_start = max(period_start) over (partition by network_id)
        order by network_id
        """,
        [grain],
    ).df()
