"""The one trailing-window helper gives what a plain per-network loop over the periods gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netpulse.measures.windows import trailing

WINDOWS = {"month": 3, "quarter": 2}


def naive(periods: pd.DataFrame, values: pd.Series, how: str, before: bool) -> list[float]:
    """Each row's window, found by walking back over its network's earlier rows of the same grain."""
    out = []
    for position, row in enumerate(periods.itertuples(index=False)):
        same = [i for i in range(position + 1)
                if periods.iloc[i]["network_id"] == row.network_id and periods.iloc[i]["grain"] == row.grain]
        if before:
            same = same[:-1]
        window = [v for v in values.iloc[same[-WINDOWS[row.grain]:]] if not np.isnan(v)] if same else []
        if not window:  # nothing measured in the window: no value, as pandas' min_periods=1 gives
            out.append(np.nan)
            continue
        out.append({"sum": sum, "max": max, "mean": lambda w: sum(w) / len(w)}[how](window))
    return out


@st.composite
def spines(draw):
    rows = []
    for network in draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True)):
        for grain in ("month", "quarter"):
            for period in range(draw(st.integers(0, 7))):
                value = draw(st.one_of(st.none(), st.integers(0, 50)))
                rows.append((network, grain, period, np.nan if value is None else float(value)))
    frame = pd.DataFrame(rows, columns=["network_id", "grain", "period_start", "value"])
    return frame.sort_values(["network_id", "grain", "period_start"]).reset_index(drop=True)


@given(spines(), st.sampled_from(["sum", "max", "mean"]), st.booleans())
def test_trailing_matches_a_plain_loop(periods, how, before):
    got = trailing(periods, periods["value"], WINDOWS, how, before=before).tolist()
    expected = naive(periods, periods["value"], how, before)
    assert got == pytest.approx(expected, nan_ok=True)


def test_a_window_looks_back_within_its_network_and_grain_only():
    periods = pd.DataFrame({"network_id": ["a", "a", "a", "b"], "grain": ["month"] * 4,
                            "period_start": [1, 2, 3, 1], "value": [5.0, 1.0, 2.0, 9.0]})
    peak_before = trailing(periods, periods["value"], WINDOWS, "max", before=True)
    assert np.isnan(peak_before.iloc[0]) and peak_before.iloc[1:3].tolist() == [5.0, 5.0]
    assert np.isnan(peak_before.iloc[3])  # b's first period: nothing before it, a's rows do not count
    assert trailing(periods, periods["value"], {"month": 2}, "sum").tolist() == [5.0, 6.0, 3.0, 9.0]
    with pytest.raises(ValueError, match="how must be one of"):
        trailing(periods, periods["value"], WINDOWS, "median")


def test_network_runs_are_the_rows_of_each_network_and_grain_in_order():
    from netpulse.measures.windows import network_runs

    periods = pd.DataFrame({"network_id": ["a", "a", "a", "b", "b", "c"],
                            "grain": ["month", "month", "quarter", "month", "quarter", "month"]})
    assert network_runs(periods) == [(0, 2, "month"), (2, 3, "quarter"), (3, 4, "month"), (4, 5, "quarter"),
                                     (5, 6, "month")]
    assert network_runs(periods.iloc[:0]) == []
