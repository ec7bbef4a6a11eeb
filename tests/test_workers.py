"""The build's worker pool and the streamed reading of a model's input, part by part."""

from __future__ import annotations

import itertools
import operator

import duckdb
import numpy as np
import pandas as pd
import pytest

import netpulse.build.python_runtime as runtime
from netpulse.build.workers import Workers


@pytest.mark.parametrize("sizes", [[10_000], [0, 5, 3_000, 2_047, 1, 4_947], [2_048] * 4 + [1_808]])
def test_fetch_parts_gives_each_part_its_rows_in_order_whatever_the_chunks(monkeypatch, sizes):
    monkeypatch.setattr(runtime, "CHUNK_VECTORS", 1)  # chunks of 2,048 rows: parts cut across them
    with duckdb.connect() as con:
        parts = list(runtime.fetch_parts(
            con, "select range as graph, range * 2 as member_a from range(10000) order by graph", sizes,
            ("graph", "member_a")))
    assert [len(graph) for graph, _ in parts] == sizes
    graph = np.concatenate([g for g, _ in parts])
    assert (graph == np.arange(10_000)).all()
    assert all((member_a == graph_part * 2).all() for graph_part, member_a in parts)


def test_fetch_parts_says_when_the_query_gave_fewer_rows_than_the_parts_need():
    with duckdb.connect() as con, pytest.raises(RuntimeError, match="expected 5 more rows"):
        list(runtime.fetch_parts(con, "select range as graph from range(10)", [10, 5], ("graph",)))


def test_parts_of_at_most_a_size_never_cut_a_network():
    networks = pd.Series(np.repeat(["a", "b", "c", "d"], [3, 1, 2, 4]))
    weights = np.full(10, 100)
    assert runtime.by_network(networks, weights, Workers(1), True) == [(0, 10, 4)]
    parts = runtime.by_network(networks, weights, Workers(1), True, most=250)
    assert len(parts) >= 3
    assert {lo for lo, _, _ in parts} <= {0, 3, 4, 6} and parts[-1][1] == 10
    assert all(hi == next_lo for (_, hi, _), (next_lo, _, _) in itertools.pairwise(parts))
    assert sum(n for _, _, n in parts) == 4


def test_workers_take_parts_from_a_generator_as_they_free_up_and_keep_their_order():
    taken = []

    def parts():
        for number in range(12):
            taken.append(number)
            yield (number, 1000)

    with Workers(2) as workers:
        results = workers.map(operator.add, parts(), what="test", networks=[1] * 12, parallel=True)
    assert results == [number + 1000 for number in range(12)]
    assert taken == list(range(12))
