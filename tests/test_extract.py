"""Funder extracts: one CSV per network and quarter, small numbers suppressed."""

from __future__ import annotations

import csv
import dataclasses
from datetime import date

import pytest

from netpulse.build.run import build
from netpulse.ingest.loading import ingest
from netpulse.outputs.disclosure import Suppression, load_suppression
from netpulse.outputs.extract import stage_basis, write_quarter_extracts
from tests.helpers import ATTENDANCE_HEADER, attendance_row, write_csv, write_networks


@pytest.mark.parametrize("value, shown", [
    (0, "0"), (1, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15"), (102, "100"),
])
def test_counts_of_one_to_seven_are_suppressed_and_the_rest_rounded_to_five(value, shown):
    assert Suppression().count_text("active_members", value) == shown


def test_the_suppression_rule_is_configurable(tmp_path):
    config = tmp_path / "networks.yaml"
    config.write_text("suppression: {min_count: 10, round_to: 10}\nnetworks: []\n")
    rule = load_suppression(config)
    assert [rule.count_text("attendances", v) for v in (9, 14, 16)] == ["*", "10", "20"]


def test_each_network_gets_its_latest_complete_quarter_with_no_small_numbers(settings, tmp_path):
    config = write_networks(tmp_path / "networks.yaml",
                            {"id": "net", "name": "Net", "quarter_start_month": 4})
    settings = dataclasses.replace(settings, network_config=config)
    rows = [attendance_row("m1", "2026-02-10T10:00:00", f"m{i}@x.example") for i in range(12)]
    rows += [attendance_row("m2", "2026-04-10T10:00:00", f"m{i}@x.example") for i in range(3)]
    write_csv(settings.landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, rows)
    ingest(settings)
    build(settings)

    (path,) = write_quarter_extracts(settings, as_of=date(2026, 4, 15))  # April-June not over yet
    assert path.name == "net_quarter_2026-01-01.csv"
    with path.open(newline="") as handle:
        (record,) = list(csv.DictReader(handle))
    assert (record["quarter_start"], record["quarter_end"]) == ("2026-01-01", "2026-03-31")
    # Meetings held count events, not people: shown as they are.
    assert (record["active_members"], record["new_members"], record["meetings_held"]) == ("10", "10", "1")
    # One active quarter is not yet "emerging" (two are needed); the basis quotes the rule,
    # never the quarter's own small counts.
    assert record["stage"] == "pre-emergent"
    assert record["stage_basis"] == stage_basis("pre-emergent", "quarter") == (
        "activity has not yet reached the emerging thresholds")
    assert record["build_id"] and record["methodology_version"]


@pytest.mark.parametrize("value, active, shown", [
    (None, 30, ""), (float("nan"), 30, ""), (62.4, 30, "62"), (0.0, 30, "0"), (62.4, 7, "*"), (None, 3, "*"),
])
def test_key_feature_scores_of_fewer_than_min_count_members_are_suppressed(value, active, shown):
    assert Suppression().score_text(value, active) == shown


def test_the_extract_carries_the_key_features_and_warning_signs_of_the_quarter(settings, tmp_path):
    # Twelve members meet in January; only three in April-June: activity falls to 25% of its
    # peak, a warning sign of the second quarter, whose scores describe too few members to show.
    rows = [attendance_row("m1", "2026-01-10T10:00:00", f"m{i}@x.example") for i in range(12)]
    rows += [attendance_row("m2", "2026-04-10T10:00:00", f"m{i}@x.example") for i in range(3)]
    rows += [attendance_row("m3", "2026-07-10T10:00:00", f"m{i}@x.example") for i in range(3)]
    write_csv(settings.landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, rows)
    ingest(settings)
    build(settings)
    (path,) = write_quarter_extracts(settings, as_of=date(2026, 7, 15))
    with path.open(newline="") as handle:
        (record,) = list(csv.DictReader(handle))
    assert record["quarter_start"] == "2026-04-01"
    assert record["warning_signs"] == "activity falling (high, 1 quarter)"
    scores = [record[c] for c in ("kf_shared_purpose", "kf_compelling_purpose", "kf_member_needs",
                                  "kf_adaptive_leadership", "kf_relationships", "kf_helpful_outputs")]
    assert set(scores) <= {"*", ""} and "*" in scores  # some evidence, all of it about 3 members
    assert record["key_features_version"]


def test_an_extract_from_an_earlier_build_is_reproduced_after_late_data(settings, tmp_path):
    from tests.helpers import query

    settings = dataclasses.replace(settings, network_config=write_networks(tmp_path / "n.yaml", {"id": "net"}))
    rows = [attendance_row("m1", "2026-02-10T10:00:00", f"m{i}@x.example") for i in range(12)]
    write_csv(settings.landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, rows)
    ingest(settings)
    first = build(settings)
    (path,) = write_quarter_extracts(settings, as_of=date(2026, 4, 15))
    published = path.read_text()  # what the funder received

    late = [attendance_row("m2", "2026-03-10T10:00:00", f"late{i}@x.example") for i in range(10)]
    write_csv(settings.landing, "net", "attendance", "late.csv", ATTENDANCE_HEADER, late)
    ingest(settings)
    build(settings)
    (current,) = write_quarter_extracts(settings, as_of=date(2026, 4, 15))
    (reproduced,) = write_quarter_extracts(settings, as_of=date(2026, 4, 15), build_id=first.build_id)

    assert reproduced.name == f"net_quarter_2026-01-01_build-{first.build_id}.csv"
    assert reproduced.read_text() == published
    assert current.read_text() != published  # 22 active members now, not 12
    history = query(settings, "select count(distinct build_id) from indicators.network_period_history")
    assert history == [(2,)]


def test_an_unknown_build_is_a_clear_error(settings):
    from netpulse.errors import NetpulseError

    build(settings)
    with pytest.raises(NetpulseError, match="no successful build 'nope'"):
        write_quarter_extracts(settings, as_of=date(2026, 4, 15), build_id="nope")
