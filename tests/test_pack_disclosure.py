"""Disclosure control of the funder pack, proved over random indicator tables (hypothesis).

The central property: every table of the pack is a function of the *published* cells. Two
warehouses whose true counts differ only within a suppression class (any hidden 1-7, or any
values rounding to the same multiple of 5) give identical tables, totals and changes, so no
total across networks, quarters or the programme, and no change on a previous quarter, can
narrow a hidden cell down.
"""

from __future__ import annotations

import os
import random
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from netpulse.config.key_features import feature_columns
from netpulse.outputs.disclosure import EVENT_COUNTS, PEOPLE_COUNTS, Suppression, load_suppression
from netpulse.outputs.pack.aggregates import programme_totals, publish_periods, quarter_table, trend_table
from netpulse.outputs.pack.quarters import add_quarters

EXAMPLES = 300  # one rule, one value: cheap
# Whole random tables through the pack's table builders: ~1-3 s each on a shared 2-core machine.
TABLE_EXAMPLES = int(os.environ.get("NETPULSE_PACK_EXAMPLES", "40"))
# No "explain" phase: it re-runs a failing example many times over a large table.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)
rules = st.builds(Suppression, min_count=st.integers(2, 12), round_to=st.sampled_from([1, 2, 5, 10]),
                  events=st.sampled_from(["show", "suppress"]))


@given(rule=rules, value=st.integers(0, 10_000))
@settings(max_examples=EXAMPLES)
def test_a_published_count_of_people_is_never_small_and_always_rounded(rule, value):
    shown = rule.people(value)
    if value == 0:
        assert shown == 0
    elif value < rule.min_count:
        assert shown is None
    else:  # the nearest multiple of round_to, never one that reads as a small number
        assert shown is not None and shown % rule.round_to == 0 and shown >= rule.min_count
        assert abs(shown - value) <= rule.round_to / 2 or shown - rule.round_to < rule.min_count


@given(rule=rules, value=st.integers(0, 500))
@settings(max_examples=EXAMPLES)
def test_counts_of_events_are_shown_as_they_are_unless_configured(rule, value):
    for column in EVENT_COUNTS:
        expected = value if rule.events == "show" else rule.people(value)
        assert rule.count(column, value) == expected


def _class_member(rule: Suppression, value: int, rng: random.Random) -> int:
    """Another true value the published table cannot tell from ``value``."""
    if value == 0:
        return 0
    if value < rule.min_count:
        return rng.randint(1, rule.min_count - 1)
    shown = rule.people(value)
    candidates = [v for v in range(rule.min_count, shown + rule.round_to + 1) if rule.people(v) == shown]
    assert value in candidates
    return rng.choice(candidates)


@st.composite
def indicator_tables(draw):
    """True indicator rows for 1-5 networks over 1-12 quarters, small numbers likely.

    Hypothesis draws the rule, the shape and a seed; the cells come from the seed (one choice
    instead of hundreds per table keeps generation fast; a failure still names its seed).
    """
    rule = draw(rules)
    networks = [f"n{i}" for i in range(draw(st.integers(1, 5)))]
    quarters = draw(st.integers(1, 12))
    rng = random.Random(draw(st.integers(0, 2**32)))

    def count() -> int:  # a third small (around the threshold), a third 0, a third large
        return rng.choice([rng.randint(0, rule.min_count + 2), 0, rng.randint(0, 400)])

    rows = []
    for network in networks:
        for q in range(quarters):
            rows.append({"network_id": network, "period_start": pd.Timestamp(add_quarters(date(2024, 1, 1), q)),
                         "stage": "emerging", "evidence_stage": "emerging", "stage_rules_version": "r",
                         "methodology_version": "m", "key_features_version": "k", "build_id": "b",
                         "stage_reason": "quotes counts", "guest_attendances": 3,
                         **{c: count() for c in (*PEOPLE_COUNTS, *EVENT_COUNTS)},
                         **{c: rng.choice([None, rng.uniform(0, 100)]) for c in feature_columns()}})
    selected = {n: add_quarters(date(2024, 1, 1), rng.randint(0, quarters - 1)) for n in networks}
    return rule, pd.DataFrame(rows), selected


def _perturbed(rule: Suppression, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    other = frame.copy()
    for column in PEOPLE_COUNTS:
        other[column] = [_class_member(rule, int(v), rng) for v in frame[column]]
    for column in EVENT_COUNTS:
        if rule.events == "suppress":
            other[column] = [_class_member(rule, int(v), rng) for v in frame[column]]
    return other


def _pack_tables(rule: Suppression, frame: pd.DataFrame, selected: dict) -> list[pd.DataFrame]:
    published = publish_periods(frame, rule)
    return [published, quarter_table(published, selected), trend_table(published, selected),
            programme_totals(published, selected)]


@given(table=indicator_tables(), seed=st.integers(0, 2**32))
@settings(max_examples=TABLE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=PHASES,
          database=None)
def test_no_table_total_or_change_can_tell_apart_true_counts_within_a_suppression_class(table, seed):
    rule, frame, selected = table
    other = _perturbed(rule, frame, seed)
    # The perturbation moves true counts (when any is not 0), so the test is not comparing a table with itself.
    assert other.shape == frame.shape
    for mine, theirs in zip(_pack_tables(rule, frame, selected), _pack_tables(rule, other, selected), strict=True):
        pd.testing.assert_frame_equal(mine, theirs)


@given(table=indicator_tables())
@settings(max_examples=TABLE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=PHASES,
          database=None)
def test_hidden_cells_and_everything_built_on_them_stay_hidden(table):
    rule, frame, selected = table
    published, quarters, _, totals = _pack_tables(rule, frame, selected)
    assert "stage_reason" not in published.columns and "guest_attendances" not in published.columns
    for column in (*PEOPLE_COUNTS, *EVENT_COUNTS):
        values = published[column].dropna().astype(int)
        if column in PEOPLE_COUNTS or rule.events == "suppress":
            assert not values.between(1, rule.min_count - 1).any()
            assert (values % rule.round_to == 0).all()
    small_base = frame["active_members"] < rule.min_count
    for column in feature_columns():  # scores of fewer than min_count active members are hidden
        assert published.loc[small_base, column].isna().all()
    for row in quarters.itertuples():
        true = frame[(frame["network_id"] == row.network_id)
                     & (frame["period_start"] == pd.Timestamp(row.quarter_start))].iloc[0]
        if row.metric in PEOPLE_COUNTS and 0 < true[row.metric] < rule.min_count:
            assert pd.isna(row.value) and pd.isna(row.change_on_previous) and pd.isna(row.change_on_year_earlier)
    for column in PEOPLE_COUNTS:  # totals add published values only
        if column in totals:
            expected = sum(int(v) for n, s in selected.items()
                           for v in published.loc[(published["network_id"] == n)
                                                  & (published["period_start"] == pd.Timestamp(s)), column].dropna())
            assert totals.iloc[0][column] == expected


def test_the_rule_is_read_from_the_networks_file(tmp_path):
    config = tmp_path / "networks.yaml"
    config.write_text("suppression: {min_count: 10, round_to: 10, events: suppress}\nnetworks: []\n")
    rule = load_suppression(config)
    assert (rule.people(9), rule.people(14), rule.people(15), rule.count("meetings_held", 3)) == (None, 10, 20, None)
    assert load_suppression(None).count("meetings_held", 3) == 3


def test_an_unknown_suppression_setting_is_refused(tmp_path):
    from netpulse.errors import ConfigError
    config = tmp_path / "networks.yaml"
    config.write_text("suppression: {min_cout: 10}\n")
    with pytest.raises(ConfigError, match="min_cout"):
        load_suppression(config)
