"""The build's Python models: the steps that are not set-based SQL.

Each reads its inputs from the build's connection and writes one table with explicit column
types, so an empty input gives the same table shape as a full one (history tables and
analysts rely on stable types). Inputs are small (one row per network x period) except for
the interaction graph, whose measures are sparse-matrix work in ``netpulse.graph``.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from netpulse import METHODOLOGY_VERSION
from netpulse.graph import graph_measures
from netpulse.instruments import load_instrument
from netpulse.key_features import KeyFeatureConfig, parameters_frame, score_features
from netpulse.settings import project_path
from netpulse.stages import StageRules, classify_versions
from netpulse.transforms import Model
from netpulse.warehouse import registered
from netpulse.warning_signs import WarningSignRules, detect_warning_signs

# Members as integers in member-key order: the graph code sorts and indexes them, and integers
# are several times cheaper to fetch and sort than 64-character keys; key order keeps every
# tie-break (which of two equal members is "first") the same as on the keys themselves.
CODED_TIES = """
with ties as (
    select network_id, grain, period_start, member_a, member_b from staging.int_network_period_ties
),

codes as (
    select member_key, (dense_rank() over (order by member_key))::integer - 1 as code,
    from (select member_a as member_key from ties union select member_b from ties)
)

select ties.network_id, ties.grain, ties.period_start, a.code as member_a, b.code as member_b,
from ties
inner join codes as a on a.member_key = ties.member_a
inner join codes as b on b.member_key = ties.member_b
"""

KEY_TYPES = {"network_id": "varchar", "grain": "varchar", "period_start": "date"}
TEXT_MEASURES = {"structural_phase", "structural_phase_rule"}
COUNT_MEASURES = {"components"}


def materialise(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """``create or replace table`` from a frame, every column cast to its declared type."""
    columns = ", ".join(f'"{name}"::{sql_type} as "{name}"' for name, sql_type in types.items())
    frame = frame.reindex(columns=list(types))
    # Object columns that are all None would reach DuckDB as an unknown type: make them text first.
    for name in frame.columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].astype("string")
    with registered(con, "python_model_frame", frame):
        con.execute(f"create or replace table {table} as select {columns} from python_model_frame")


def instrument_items() -> pd.DataFrame:
    """Every item of every instrument in config/instruments, with the key feature it measures."""
    rows = []
    for path in sorted(project_path("config", "instruments").glob("*.yaml")):
        instrument = load_instrument(path)
        rows += [{"instrument": instrument.id, "item": item.id, "key_feature": item.key_feature}
                 for item in instrument.items]
    return pd.DataFrame(rows, columns=["instrument", "item", "key_feature"])


def python_models(build_id: str, run_id: str, built_at: datetime, rule_sets: list[StageRules],
                  current: StageRules, features: KeyFeatureConfig, signs: WarningSignRules,
                  workers: int = 1) -> list[Model]:
    def build_context(con: duckdb.DuckDBPyConnection) -> None:
        context = pd.DataFrame([{
            "build_id": build_id, "run_id": run_id, "methodology_version": METHODOLOGY_VERSION,
            "stage_rules_version": current.version, "key_features_version": features.version,
            "warning_signs_version": signs.version, "built_at": built_at,
        }])
        materialise(con, "staging.int_build_context", context, {
            "build_id": "varchar", "run_id": "varchar", "methodology_version": "varchar",
            "stage_rules_version": "varchar", "key_features_version": "varchar",
            "warning_signs_version": "varchar", "built_at": "timestamp"})

    def methodology_parameters(con: duckdb.DuckDBPyConnection) -> None:
        materialise(con, "staging.int_methodology_parameters", parameters_frame(features), {
            "key_features_version": "varchar", "survey_lookback_months": "integer",
            "survey_lookback_quarters": "integer", "min_respondents": "integer", "diffusion_reach": "integer",
            "graph_decay": "double", "graph_decay_periods": "integer"})

    def items(con: duckdb.DuckDBPyConnection) -> None:
        materialise(con, "staging.int_instrument_items", instrument_items(),
                    {"instrument": "varchar", "item": "varchar", "key_feature": "varchar"})

    def network_periods_connected(con: duckdb.DuckDBPyConnection) -> None:
        measures = graph_measures(con.execute(CODED_TIES).df())
        types = dict(KEY_TYPES)
        for name in measures.columns:
            if name not in types:
                types[name] = "varchar" if name in TEXT_MEASURES else "bigint" if name in COUNT_MEASURES else "double"
        materialise(con, "staging.int_network_periods_connected", measures, types)

    def network_period_scores(con: duckdb.DuckDBPyConnection) -> None:
        signals = con.execute("select * from staging.int_network_period_signals").df()
        materialise(con, "staging.int_network_period_scores", score_features(signals, features), {
            **KEY_TYPES, "key_feature": "varchar", "feature_column": "varchar", "component": "varchar",
            "evidence_kind": "varchar", "raw_value": "double", "score": "double", "weight": "double",
            "coverage": "double", "is_feature": "boolean"})

    def network_period_stages(con: duckdb.DuckDBPyConnection) -> None:
        periods = con.execute("select * from staging.int_network_periods_classifiable").df()
        staged = classify_versions(periods, rule_sets, current.version)
        materialise(con, "staging.int_network_period_stages", staged, {
            **KEY_TYPES, "stage_rules_version": "varchar", "is_current_rules": "boolean",
            "evidence_stage": "varchar", "stage": "varchar", "stage_reason": "varchar"})

    def network_period_warnings(con: duckdb.DuckDBPyConnection) -> None:
        periods = con.execute("select * from staging.int_network_periods_classifiable").df()
        materialise(con, "staging.int_network_period_warnings", detect_warning_signs(periods, signs), {
            **KEY_TYPES, "warning_sign": "varchar", "severity": "varchar", "value": "double",
            "threshold": "double", "evidence": "varchar", "periods_held": "integer",
            "held_since": "date", "warning_signs_version": "varchar"})

    return [
        Model("staging.int_build_context", run=build_context),
        Model("staging.int_methodology_parameters", run=methodology_parameters),
        Model("staging.int_instrument_items", run=items),
        Model("staging.int_network_periods_connected", depends_on={"staging.int_network_period_ties"},
              run=network_periods_connected),
        Model("staging.int_network_period_scores", depends_on={"staging.int_network_period_signals"},
              run=network_period_scores),
        Model("staging.int_network_period_stages", depends_on={"staging.int_network_periods_classifiable"},
              run=network_period_stages),
        Model("staging.int_network_period_warnings", depends_on={"staging.int_network_periods_classifiable"},
              run=network_period_warnings),
    ]
