"""Each Great Expectations suite passes good data, fails bad data, and loses no expectation."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from netpulse.config.key_features import feature_columns
from netpulse.config.settings import project_path
from netpulse.config.sources import FORMATS
from netpulse.errors import ConfigError
from netpulse.ingest.formats import read_delivery, type_delivery
from netpulse.ingest.identity import MemberHasher
from netpulse.quality import validation
from netpulse.quality.validation import (
    declared_expectations,
    load_suite,
    source_column_expectations,
    suite_names,
    validate_frame,
)
from tests.helpers import ATTENDANCE_HEADER, FORUM_HEADER, ROSTER_HEADER, SURVEY_HEADER, write_csv

GOOD = {
    "attendance": (ATTENDANCE_HEADER, [
        ["m1", "t", "2026-01-15T10:00:00", "2026-01-15T11:00:00", "b@x.example", "B", "", "", "", "registered"],
        ["m1", "t", "2026-01-15T10:00:00", "2026-01-15T11:00:00", "a@x.example", "A",
         "2026-01-15T10:00:00", "2026-01-15T11:00:00", "host", ""],
    ]),
    "forum": (FORUM_HEADER, [
        ["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"],
        ["p2", "p1", "p1", "b@x.example", "B", "2026-01-21T09:00:00", "reply"],
    ]),
    "survey": (SURVEY_HEADER + ["q1"], [
        ["r1", "core", "2026-03-05T09:00:00", "a@x.example", "true", "4"],
    ]),
    "roster": (ROSTER_HEADER, [
        ["a@x.example", "A", "Org", "acute", "nurse", "north", "false", "2025-01-01", "", "a2@x.example"],
    ]),
}

# (source, column, bad value, expectation expected to fail)
BAD = [
    ("attendance", "email", "not-an-address", "expect_column_values_to_match_regex"),
    ("attendance", "role", "speaker", "expect_column_values_to_be_in_set"),
    ("attendance", "status", "maybe", "expect_column_values_to_be_in_set"),
    ("attendance", "meeting_id", "", "expect_column_values_to_not_be_null"),
    ("attendance", "joined_at", "", "expect_column_values_to_not_be_null"),
    ("attendance", "joined_at", "2026-01-15T11:30:00", "expect_column_pair_values_a_to_be_greater_than_b"),
    ("attendance", "meeting_start", "15/01/2026", "expect_column_values_to_be_null"),
    ("forum", "kind", "like", "expect_column_values_to_be_in_set"),
    ("forum", "post_id", "p1", "expect_column_values_to_be_unique"),
    ("forum", "created_at", "", "expect_column_values_to_not_be_null"),
    ("survey", "finished", "perhaps", "expect_column_values_to_be_in_set"),
    ("survey", "q1", "9", "expect_column_values_to_be_null"),
    ("survey", "instrument", "", "expect_column_values_to_not_be_null"),
    ("roster", "patient_or_carer", "sometimes", "expect_column_values_to_be_in_set"),
    ("roster", "other_emails", "nobody", "expect_column_values_to_be_null"),
    ("roster", "left_on", "2024-01-01", "expect_column_pair_values_a_to_be_greater_than_b"),
]


def typed_frame(tmp_path, source, header, rows):
    path = write_csv(tmp_path, "n", source, f"{source}.csv", header, rows)
    fmt = FORMATS[source]
    return type_delivery(read_delivery(path, fmt), fmt, "Europe/London", MemberHasher("k")).frame


@pytest.mark.parametrize("name", suite_names())
def test_every_expectation_in_the_file_is_in_the_loaded_suite(name):
    document = json.loads(project_path("expectations", f"{name}.json").read_text())
    suite = load_suite(name)
    expected = [*source_column_expectations(name, document), *document["expectations"],
                *declared_expectations(document)]
    assert len(suite.expectations) == len(expected) > 5
    assert sorted(e.expectation_type for e in suite.expectations) == sorted(e["type"] for e in expected)


def test_every_key_feature_score_is_checked_by_the_indicator_suite():
    checked = {e.column for e in load_suite("indicators").expectations
               if e.expectation_type == "expect_column_values_to_be_between" and e.column.startswith("kf_")}
    assert checked == set(feature_columns()) and len(checked) == 6


def test_a_suite_with_an_unknown_expectation_is_an_error_not_a_silent_drop(tmp_path, monkeypatch):
    shutil.copytree(project_path("expectations"), tmp_path / "expectations")
    shutil.copytree(project_path("config"), tmp_path / "config")
    document = json.loads((tmp_path / "expectations" / "forum.json").read_text())
    document["expectations"].append({"type": "expect_column_values_to_be_splendid", "kwargs": {"column": "x"}})
    (tmp_path / "expectations" / "forum.json").write_text(json.dumps(document))
    monkeypatch.setenv("NETPULSE_PROJECT_DIR", str(tmp_path))
    validation._load_suite.cache_clear()
    try:
        with pytest.raises(ConfigError, match="expect_column_values_to_be_splendid"):
            load_suite("forum")
    finally:
        validation._load_suite.cache_clear()


@pytest.mark.parametrize("source", sorted(GOOD))
def test_each_source_suite_passes_good_data(tmp_path, source):
    report = validate_frame(source, typed_frame(tmp_path, source, *GOOD[source]))
    assert report.success, report.failures_in_words()


@pytest.mark.parametrize("source, column, value, failing", BAD, ids=[f"{s}-{c}-{v}" for s, c, v, _ in BAD])
def test_each_source_suite_fails_bad_data(tmp_path, source, column, value, failing):
    header, rows = GOOD[source]
    rows = [list(r) for r in rows]
    rows[-1][header.index(column)] = value
    report = validate_frame(source, typed_frame(tmp_path, source, header, rows))
    assert not report.success
    assert failing in {o.expectation for o in report.failures}
    last_line = len(rows) + 1
    assert any(last_line in o.unexpected_lines for o in report.failures if o.expectation == failing)


def indicator_frame(**changes) -> pd.DataFrame:
    row = dict(network_id="n", grain="month", period_start=pd.Timestamp("2026-01-01"), active_members=5,
               new_members=2, retained_members=3, meetings_held=1, attendances=4, forum_posts=3,
               forum_replies=1, survey_responses=0, guest_attendances=1, unmatched_identities=1,
               stage="emerging", stage_reason="because", kf_shared_purpose=62.5, kf_compelling_purpose=None,
               kf_member_needs=0.0, kf_adaptive_leadership=100.0, kf_relationships=40.0, kf_helpful_outputs=None)
    row.update(changes)
    return pd.DataFrame([row])


def test_the_indicator_suite_passes_consistent_rows():
    assert validate_frame("indicators", indicator_frame()).success


@pytest.mark.parametrize("changes", [
    {"new_members": 6},            # more new members than active
    {"retained_members": 6},
    {"forum_replies": 4},          # more replies than posts
    {"stage": "thriving"},
    {"grain": "week"},
    {"active_members": -1},
    {"stage_reason": None},
    {"guest_attendances": 5},      # more guest attendances than attendances
    {"unmatched_identities": 6},   # more unmatched identities than active members
    {"kf_relationships": 100.5},   # scores run from 0 to 100
    {"kf_member_needs": -1.0},
])
def test_the_indicator_suite_fails_inconsistent_rows(changes):
    assert not validate_frame("indicators", indicator_frame(**changes)).success


def test_the_indicator_suite_fails_a_missing_key_feature_column():
    assert not validate_frame("indicators", indicator_frame().drop(columns=["kf_helpful_outputs"])).success


def test_the_indicator_suite_fails_a_duplicated_period():
    frame = pd.concat([indicator_frame(), indicator_frame()])
    report = validate_frame("indicators", frame)
    assert [o.expectation for o in report.failures] == ["expect_compound_columns_to_be_unique"]


def score_rows(**changes) -> pd.DataFrame:
    feature = dict(network_id="n", grain="month", period_start=pd.Timestamp("2026-01-01"), indicator="kf_relationships",
                   family="key feature", key_feature="kf_relationships", component=None,
                   evidence_kind="structure+survey", value=62.5, raw_value=62.5, weight=None, coverage=0.4)
    part = dict(feature, indicator="kf_relationships.tie_persistence", family="key feature component",
                component="tie_persistence", evidence_kind="structure", value=50.0, raw_value=0.4, weight=2.0,
                coverage=0.9)
    empty = dict(feature, indicator="kf_helpful_outputs", key_feature="kf_helpful_outputs", evidence_kind=None,
                 value=None, raw_value=None, coverage=None)
    rows = pd.DataFrame([feature, part, empty])
    for column, value in changes.items():
        rows.loc[1, column] = value
    return rows


def test_the_key_feature_suite_passes_scores_with_and_without_evidence():
    assert validate_frame("key_feature_scores", score_rows()).success


@pytest.mark.parametrize("changes", [
    {"value": 100.5},                          # scores run from 0 to 100
    {"coverage": 1.2},                         # a share of members
    {"weight": 0.0},                           # weights are positive
    {"evidence_kind": "gossip"},
    {"family": "structure"},                   # only key-feature rows belong here
    {"indicator": "kf_relationships"},         # the same indicator twice in a period
    {"key_feature": None},
])
def test_the_key_feature_suite_fails_inconsistent_scores(changes):
    assert not validate_frame("key_feature_scores", score_rows(**changes)).success
