"""A build: every SQL model and the Python models (graph measures, key-feature scores, stage
classifier, warning signs), in one transaction.

Either the whole build becomes visible, with its indicator tables validated, or none of
it does and the previous build stays in place. Every build is recorded with its run id and
the versions of the methodology, stage rules, key features and warning signs it used.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import pandas as pd

from netpulse import METHODOLOGY_VERSION
from netpulse.errors import NetpulseError
from netpulse.key_features import load_key_features
from netpulse.python_models import python_models
from netpulse.settings import Settings
from netpulse.stages import current_rules, load_rule_sets
from netpulse.transforms import run_models, sql_models
from netpulse.validation import ValidationReport, publish_data_docs, store_validation, validate_frame
from netpulse.warehouse import open_warehouse
from netpulse.warning_signs import load_warning_signs

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
    model_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"build {self.build_id}: {len(self.models)} models, "
                f"{self.network_periods} network periods (rules {self.stage_rules_version})")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def build(settings: Settings, *, run_id: str | None = None) -> BuildReport:
    """Rebuild staging, core and indicators from the raw schema."""
    # Configuration is read before the warehouse is opened: a mistake in it fails fast and
    # names the file, with nothing written.
    rule_sets = load_rule_sets()
    rules = current_rules(rule_sets)
    features = load_key_features()
    signs = load_warning_signs()
    versions = {"stage_rules_version": rules.version, "key_features_version": features.version,
                "warning_signs_version": signs.version}
    run_id = run_id or f"manual__{_utc_now():%Y%m%dT%H%M%SZ}"
    build_id = uuid.uuid4().hex[:12]
    started_at = _utc_now()
    with open_warehouse(settings) as con:
        last_delivery = con.execute("select max(delivery_id) from meta.deliveries").fetchone()[0]
        models = sql_models() + python_models(build_id, run_id, started_at, rule_sets, rules, features, signs)
        validations: list[tuple[ValidationReport, str, str]] = []
        model_seconds: dict[str, float] = {}
        con.execute("begin transaction")
        try:
            names = run_models(con, models, timings=model_seconds)
            periods = con.execute("select * from indicators.network_period").df()
            for suite, (table, sql) in INDICATOR_SUITES.items():
                validation = validate_frame(suite, periods if table == "indicators.network_period"
                                            else con.execute(sql).df())
                validations.append((validation, run_id, table))
                store_validation(con, validation, run_id=run_id, build_id=build_id)
            failed = [f"{table}: {v.failures_in_words()}" for v, _, table in validations if not v.success]
            if failed:
                raise BuildFailed("indicator tables failed validation: " + "; ".join(failed))
            keep_history(con)
            _record_build(con, build_id, run_id, versions, "succeeded", None, last_delivery, names, started_at)
            con.execute("commit")
        except Exception as exc:
            con.execute("rollback")
            # The failed build's tables are gone; its record and validation results stay.
            _record_build(con, build_id, run_id, versions, "failed", str(exc), last_delivery, [], started_at)
            for validation, _, _ in validations:
                store_validation(con, validation, run_id=run_id, build_id=build_id)
            raise
        finally:
            if validations:
                publish_data_docs(validations, settings.data_docs, run_id=run_id, part="indicators")
    report = BuildReport(build_id, run_id, names, len(periods), rules.version, model_seconds)
    log.info(report.summary())
    return report


# Expectation suites run on the build's indicator tables before anything becomes visible.
INDICATOR_SUITES = {
    "indicators": ("indicators.network_period", "select * from indicators.network_period"),
    "key_feature_scores": ("indicators.network_indicators", "select * from indicators.network_indicators "
                           "where family in ('key feature', 'key feature component')"),
}


# Tables whose every build is kept, tagged with its build_id, so that figures published
# from an earlier build (a funder's quarter) can be reproduced after late data or merges.
HISTORY_TABLES = {f"indicators.{name}": f"indicators.{name}_history" for name in (
    "network_period", "network_indicators", "network_structure", "network_participation",
    "network_distinctiveness", "network_functions", "network_stages", "stage_transitions", "warning_signs")}
# indicators.member_roles is about individuals: only the current build's rows are kept, so an
# erasure or an identity merge leaves no earlier trace of a person's roles.


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


def _record_build(con, build_id, run_id, versions, status, error, last_delivery, names, started_at) -> None:
    con.execute(
        "insert into meta.builds by name select ? as build_id, ? as run_id, ? as methodology_version, "
        "? as stage_rules_version, ? as key_features_version, ? as warning_signs_version, ? as status, "
        "? as error, ? as last_delivery_id, ? as models, ?::timestamp as started_at, ?::timestamp as finished_at",
        [build_id, run_id, METHODOLOGY_VERSION, versions["stage_rules_version"], versions["key_features_version"],
         versions["warning_signs_version"], status, error, last_delivery, ", ".join(names), started_at, _utc_now()],
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
