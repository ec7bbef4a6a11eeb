"""What the Python models in ``transforms/`` share: their context, typed tables, network parts.

A Python model is a file beside the SQL ones (``transforms/<folder>/<table>.py``) with a function
``build(con, context)``. It reads its inputs from the build's connection and writes its one
table with explicit column types (:func:`materialise`), so an empty input gives the same table
shape as a full one (history tables and analysts rely on stable types). Inputs are small (one
row per network x period) except for the interaction graph, whose measures are sparse-matrix
work in ``netpulse.measures.graph``. What runs on worker processes lives here, in an importable
module: the workers receive these functions by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from netpulse.build.workers import Workers, split
from netpulse.config.instruments import instrument_paths, load_instrument
from netpulse.config.key_features import KeyFeatureConfig
from netpulse.config.settings import InputLimits
from netpulse.measures.stages import StageRules, classify_versions
from netpulse.measures.warning_signs import WarningSignRules, detect_warning_signs
from netpulse.store.warehouse import registered

# Inputs at least this large are worth the worker processes (netpulse.build.workers).
PARALLEL_TIES = 200_000
PARALLEL_PERIODS = 4_000

KEY_TYPES = {"network_id": "varchar", "grain": "varchar", "period_start": "date"}


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


@dataclass(frozen=True)
class ModelContext:
    """What a build gives its Python models: who it is, the definitions, the worker pool."""

    build_id: str
    run_id: str
    built_at: datetime
    rule_sets: list[StageRules]
    current: StageRules
    features: KeyFeatureConfig
    signs: WarningSignRules
    workers: Workers = field(default_factory=lambda: Workers(1))
    limits: InputLimits = field(default_factory=InputLimits)
    earliest_date: date = field(default_factory=lambda: date.fromisoformat(InputLimits().earliest_date))


def instrument_items() -> pd.DataFrame:
    """Every item of every instrument (config/instruments and the configuration folder's), with its key feature."""
    rows = []
    for path in instrument_paths().values():
        instrument = load_instrument(path)
        rows += [{"instrument": instrument.id, "item": item.id, "key_feature": item.key_feature}
                 for item in instrument.items]
    return pd.DataFrame(rows, columns=["instrument", "item", "key_feature"])


def by_network(network_ids: pd.Series, weights, workers: Workers, parallel: bool,
               most: int | None = None) -> list[tuple[int, int, int]]:
    """Cut rows sorted by network into parts of whole networks: (first row, end row, networks).

    One part when the work stays in this process; several of about equal weight for the workers,
    each of about ``most`` at most when given (a network is never cut).
    """
    if not len(network_ids):
        return []
    starts = np.flatnonzero(np.r_[True, network_ids.to_numpy()[1:] != network_ids.to_numpy()[:-1]])
    ends = np.r_[starts[1:], len(network_ids)]
    weight = np.add.reduceat(np.asarray(weights, dtype=np.int64), starts)
    count = workers.parts if parallel else 1
    if parallel and most:  # parts of at most about ``most``: what one worker holds at a time
        count = max(count, -(-int(weight.sum()) // most))
    parts = []
    for group in split(list(weight), count):
        parts.append((int(starts[group[0]]), int(ends[group[-1]]), len(group)))
    return parts


# netpulse.measures.graph (scipy) is imported where the graph is computed, not with this module:
# a run with nothing to build never computes it, and the import is a third of a second.
def graph_part(graph: np.ndarray, member_a: np.ndarray, member_b: np.ndarray) -> list[dict]:
    from netpulse.measures.graph import measures_by_graph

    return measures_by_graph(graph - graph[0], member_a, member_b)


def stages_part(periods: pd.DataFrame, rule_sets: list[StageRules], current: str) -> pd.DataFrame:
    return classify_versions(periods, rule_sets, current)


def warnings_part(periods: pd.DataFrame, signs: WarningSignRules) -> pd.DataFrame:
    return detect_warning_signs(periods, signs)



def fetch_parts(con: duckdb.DuckDBPyConnection, sql: str, sizes: list[int], columns: tuple[str, ...]):
    """The rows of ``sql`` as numpy arrays, ``sizes[i]`` rows for part i, read as they are asked for.

    One query, streamed: DuckDB sorts within its memory limit and hands over a chunk at a time, so
    Python holds one part (and a chunk) rather than the whole result.
    """
    con.execute(sql)
    held: list[pd.DataFrame] = []
    rows = 0
    for size in sizes:
        while rows < size:
            chunk = con.fetch_df_chunk(CHUNK_VECTORS)
            if chunk.empty:
                raise RuntimeError(f"expected {size - rows} more rows than the query gave")
            held.append(chunk)
            rows += len(chunk)
        frame = pd.concat(held, ignore_index=True) if len(held) > 1 else held[0] if held else pd.DataFrame(
            {c: np.array([], dtype=np.int64) for c in columns})
        part, rest = frame.iloc[:size], frame.iloc[size:]
        held, rows = ([rest] if len(rest) else []), len(rest)
        yield tuple(part[c].to_numpy() for c in columns)


CHUNK_VECTORS = 128  # DuckDB vectors (2,048 rows) per fetch: a quarter of a million rows
