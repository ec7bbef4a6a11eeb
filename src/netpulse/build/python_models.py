"""The build's Python models: the steps that are not set-based SQL.

Each reads its inputs from the build's connection and writes one table with explicit column
types, so an empty input gives the same table shape as a full one (history tables and
analysts rely on stable types). Inputs are small (one row per network x period) except for
the interaction graph, whose measures are sparse-matrix work in ``netpulse.measures.graph``.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from netpulse import METHODOLOGY_VERSION
from netpulse.build.models import Model
from netpulse.build.workers import Workers, split
from netpulse.config.instruments import instrument_paths, load_instrument
from netpulse.config.key_features import KeyFeatureConfig
from netpulse.config.settings import InputLimits
from netpulse.measures.key_features import parameters_frame, score_features
from netpulse.measures.stages import StageRules, classify_versions
from netpulse.measures.warning_signs import WarningSignRules, detect_warning_signs
from netpulse.store.warehouse import registered

# Ties as integers: one number per graph (network x grain x period, in key order) and the member
# codes of staging.int_member_codes (member-key order within the network), which the graph code
# sorts and indexes; key order keeps every tie-break (which of two equal members is "first") the
# same as on the keys themselves.
GRAPHS = """
select network_id, grain, period_start, count(*) as ties,
from staging.int_network_period_ties
group by all
order by network_id, grain, period_start
"""
NUMBERED_TIES = """
with graphs as (
    select network_id, grain, period_start,
        (row_number() over (order by network_id, grain, period_start) - 1)::integer as graph,
    from (select distinct network_id, grain, period_start from staging.int_network_period_ties)
)

select graphs.graph, ties.member_a, ties.member_b,
from staging.int_network_period_ties as ties
inner join graphs using (network_id, grain, period_start)
order by graphs.graph
"""
# Inputs at least this large are worth the worker processes (netpulse.build.workers).
PARALLEL_TIES = 200_000
PARALLEL_PERIODS = 4_000

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
    """Every item of every instrument (config/instruments and the configuration folder's), with its key feature."""
    rows = []
    for path in instrument_paths().values():
        instrument = load_instrument(path)
        rows += [{"instrument": instrument.id, "item": item.id, "key_feature": item.key_feature}
                 for item in instrument.items]
    return pd.DataFrame(rows, columns=["instrument", "item", "key_feature"])


def _by_network(network_ids: pd.Series, weights, workers: Workers, parallel: bool) -> list[tuple[int, int, int]]:
    """Cut rows sorted by network into parts of whole networks: (first row, end row, networks).

    One part when the work stays in this process; several of about equal weight for the workers.
    """
    if not len(network_ids):
        return []
    starts = np.flatnonzero(np.r_[True, network_ids.to_numpy()[1:] != network_ids.to_numpy()[:-1]])
    ends = np.r_[starts[1:], len(network_ids)]
    weight = np.add.reduceat(np.asarray(weights, dtype=np.int64), starts)
    parts = []
    for group in split(list(weight), workers.parts if parallel else 1):
        parts.append((int(starts[group[0]]), int(ends[group[-1]]), len(group)))
    return parts


# netpulse.measures.graph (scipy) is imported where the graph is computed, not with this module:
# a run with nothing to build never computes it, and the import is a third of a second.
def _graph_part(graph: np.ndarray, member_a: np.ndarray, member_b: np.ndarray) -> list[dict]:
    from netpulse.measures.graph import measures_by_graph

    return measures_by_graph(graph - graph[0], member_a, member_b)


def _stages_part(periods: pd.DataFrame, rule_sets: list[StageRules], current: str) -> pd.DataFrame:
    return classify_versions(periods, rule_sets, current)


def _warnings_part(periods: pd.DataFrame, signs: WarningSignRules) -> pd.DataFrame:
    return detect_warning_signs(periods, signs)


def python_models(build_id: str, run_id: str, built_at: datetime, rule_sets: list[StageRules],
                  current: StageRules, features: KeyFeatureConfig, signs: WarningSignRules,
                  workers: Workers | None = None, limits: InputLimits | None = None,
                  earliest_date: date | None = None) -> list[Model]:
    """The Python models; ``workers`` computes the per-network ones on several processes when large.

    ``limits`` and ``earliest_date`` (its earliest date, parsed) are the date bounds the staging
    models apply to rows loaded before loads checked dates (stg_deliveries__date_bounds).
    """
    workers = workers or Workers(1)
    limits = limits or InputLimits()
    earliest_date = earliest_date or date.fromisoformat(InputLimits().earliest_date)

    def build_context(con: duckdb.DuckDBPyConnection) -> None:
        context = pd.DataFrame([{
            "build_id": build_id, "run_id": run_id, "methodology_version": METHODOLOGY_VERSION,
            "stage_rules_version": current.version, "key_features_version": features.version,
            "warning_signs_version": signs.version, "built_at": built_at,
            "earliest_date": earliest_date, "future_margin_days": limits.future_margin_days,
        }])
        materialise(con, "staging.int_build_context", context, {
            "build_id": "varchar", "run_id": "varchar", "methodology_version": "varchar",
            "stage_rules_version": "varchar", "key_features_version": "varchar",
            "warning_signs_version": "varchar", "built_at": "timestamp", "earliest_date": "date",
            "future_margin_days": "integer"})

    def methodology_parameters(con: duckdb.DuckDBPyConnection) -> None:
        materialise(con, "staging.int_methodology_parameters", parameters_frame(features), {
            "key_features_version": "varchar", "survey_lookback_months": "integer",
            "survey_lookback_quarters": "integer", "min_respondents": "integer", "diffusion_reach": "integer",
            "graph_decay": "double", "graph_decay_periods": "integer"})

    def items(con: duckdb.DuckDBPyConnection) -> None:
        materialise(con, "staging.int_instrument_items", instrument_items(),
                    {"instrument": "varchar", "item": "varchar", "key_feature": "varchar"})

    def network_periods_connected(con: duckdb.DuckDBPyConnection) -> None:
        from netpulse.measures.graph import COLUMNS as GRAPH_COLUMNS

        graphs = con.execute(GRAPHS).df()
        ties = con.execute(NUMBERED_TIES).fetchnumpy()
        graph, member_a, member_b = (np.asarray(ties[c]) for c in ("graph", "member_a", "member_b"))
        edge_start = np.searchsorted(graph, np.arange(len(graphs) + 1))
        parallel = len(graph) >= PARALLEL_TIES
        parts = _by_network(graphs["network_id"], graphs["ties"], workers, parallel)
        rows = workers.map(_graph_part, [
            (graph[edge_start[lo]:edge_start[hi]], member_a[edge_start[lo]:edge_start[hi]],
             member_b[edge_start[lo]:edge_start[hi]]) for lo, hi, _ in parts],
            what="graph measures", networks=[n for _, _, n in parts], parallel=parallel)
        measures = pd.DataFrame([row for part in rows for row in part], columns=GRAPH_COLUMNS[3:])
        measures = pd.concat([graphs[["network_id", "grain", "period_start"]].reset_index(drop=True), measures],
                             axis=1)
        types = dict(KEY_TYPES)
        for name in GRAPH_COLUMNS:
            if name not in types:
                types[name] = "varchar" if name in TEXT_MEASURES else "bigint" if name in COUNT_MEASURES else "double"
        materialise(con, "staging.int_network_periods_connected", measures, types)

    def network_period_scores(con: duckdb.DuckDBPyConnection) -> None:
        signals = con.execute("select * from staging.int_network_period_signals").df()
        materialise(con, "staging.int_network_period_scores", score_features(signals, features), {
            **KEY_TYPES, "key_feature": "varchar", "feature_column": "varchar", "component": "varchar",
            "evidence_kind": "varchar", "raw_value": "double", "score": "double", "weight": "double",
            "coverage": "double", "is_feature": "boolean"})

    def classifiable(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        return con.execute("select * from staging.int_network_periods_classifiable "
                           "order by network_id, grain, period_start").df()

    def network_period_stages(con: duckdb.DuckDBPyConnection) -> None:
        periods = classifiable(con)
        parallel = len(periods) >= PARALLEL_PERIODS
        parts = _by_network(periods["network_id"], np.ones(len(periods)), workers, parallel)
        staged = workers.map(_stages_part, [(periods.iloc[lo:hi], rule_sets, current.version) for lo, hi, _ in parts],
                             what="stages", networks=[n for _, _, n in parts], parallel=parallel)
        staged = pd.concat(staged, ignore_index=True) if staged else classify_versions(periods, rule_sets,
                                                                                       current.version)
        materialise(con, "staging.int_network_period_stages", staged, {
            **KEY_TYPES, "stage_rules_version": "varchar", "is_current_rules": "boolean",
            "evidence_stage": "varchar", "stage": "varchar", "stage_reason": "varchar",
            "next_stage_needs": "varchar", "next_stage_basis": "varchar", "stage_override": "varchar"})

    def network_period_warnings(con: duckdb.DuckDBPyConnection) -> None:
        periods = classifiable(con)
        parallel = len(periods) >= PARALLEL_PERIODS
        parts = _by_network(periods["network_id"], np.ones(len(periods)), workers, parallel)
        warnings = workers.map(_warnings_part, [(periods.iloc[lo:hi], signs) for lo, hi, _ in parts],
                               what="warning signs", networks=[n for _, _, n in parts], parallel=parallel)
        warnings = (pd.concat(warnings, ignore_index=True) if warnings
                    else detect_warning_signs(periods, signs))
        materialise(con, "staging.int_network_period_warnings", warnings, {
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
