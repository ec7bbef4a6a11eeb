"""Trailing windows over a network's periods: the one helper the stage rules and warning signs use.

A trailing window of n periods at period t covers t-n+1..t (or, with ``before``, t-n..t-1: the
network's own recent past, not counting the period being judged), within one network and one
grain, in period order, and is never cut short at the start (``min_periods=1``: a network's
first periods look back as far as they can). Windows are counted in rows of the period spine,
which has a row for every period from a network's first activity on, so rows are periods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AGGREGATES = ("sum", "max", "mean")


def trailing(periods: pd.DataFrame, values: pd.Series, windows: dict[str, int], how: str, *,
             before: bool = False) -> pd.Series:
    """``how`` (sum, max or mean) of ``values`` over each row's trailing window.

    ``periods`` has network_id and grain and is sorted by network, grain and period start;
    ``values`` is aligned with it; ``windows`` gives the window length per grain.
    """
    if how not in AGGREGATES:
        raise ValueError(f"how must be one of {', '.join(AGGREGATES)}, not {how!r}")
    result = pd.Series(np.nan, index=periods.index, dtype="float64")
    values = pd.to_numeric(values, errors="coerce").astype("float64")
    for grain in periods["grain"].unique():
        rows = periods.index[periods["grain"] == grain]
        networks = periods.loc[rows, "network_id"]
        series = values.loc[rows]
        if before:
            series = series.groupby(networks, sort=False).shift(1)
        rolled = series.groupby(networks, sort=False).rolling(windows[grain], min_periods=1).agg(how)
        result.loc[rolled.index.get_level_values(-1)] = rolled.to_numpy()
    return result


def network_runs(periods: pd.DataFrame) -> list[tuple[int, int, str]]:
    """(first row, end row, grain) of each network x grain of periods sorted by network, grain, period.

    For walking a network's periods in order over one ``to_dict("records")`` of the whole frame:
    converting each network's rows on their own cost more than the rules applied to them.
    """
    keys = list(zip(periods["network_id"], periods["grain"], strict=True))
    starts = [i for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1]]
    ends = [*starts[1:], len(keys)] if starts else []
    return [(lo, hi, keys[lo][1]) for lo, hi in zip(starts, ends, strict=True)]
