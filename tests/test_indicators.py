"""The core counts of docs/framework.md on a small landing zone whose answers were worked out by hand.

Network `net` (quarters start in April, Europe/London):
  Jan  m1: a (rejoined: two segments), b; c registered only. Forum: a topic, b reply, c reaction.
  Feb  m2: c registered only, nobody attended -> not a meeting held.
  Mar  survey: b twice (resubmission), c unfinished.
  Apr  m3 at 2026-03-31T23:30Z = 00:30 BST on 1 April: b, and a under the alias a.alt@home.example.
  May  nothing.
  Jun  m4: d walks in.
Network `quiet`: one meeting in January, then silence up to June (the warehouse's latest data).
"""

from __future__ import annotations

import pytest

from netpulse import METHODOLOGY_VERSION
from netpulse.build.run import build
from netpulse.config.key_features import load_key_features
from netpulse.ingest.loading import ingest
from netpulse.measures.stages import load_stage_rules
from netpulse.measures.warning_signs import load_warning_signs
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    ROSTER_HEADER,
    SURVEY_HEADER,
    attendance_row,
    make_settings,
    meeting_key,
    query,
    write_csv,
    write_networks,
)

COUNTS = ("active_members", "new_members", "retained_members", "meetings_held", "attendances",
          "forum_posts", "forum_replies", "survey_responses")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("indicators")
    config = write_networks(
        root / "networks.yaml",
        {"id": "net", "name": "Net", "timezone": "Europe/London", "quarter_start_month": 4},
        {"id": "quiet", "name": "Quiet", "timezone": "Europe/London", "quarter_start_month": 1},
    )
    settings = make_settings(root, network_config=config)
    landing = settings.landing
    write_csv(landing, "net", "roster", "roster.csv", ROSTER_HEADER, [
        ["a@x.example", "A", "Org1", "acute", "nurse", "north", "false", "2025-12-01", "", "a.alt@home.example"],
        ["b@x.example", "B", "Org2", "primary care", "gp", "south", "false", "2025-12-01", "", ""],
        ["c@x.example", "C", "Org2", "patient/carer", "", "south", "true", "2025-12-01", "", ""],
    ])
    write_csv(landing, "net", "attendance", "2026-q1.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "a@x.example", "2026-01-15T10:00:00", "2026-01-15T10:30:00"),
        attendance_row("m1", "2026-01-15T10:00:00", "a@x.example", "2026-01-15T10:20:00", "2026-01-15T11:00:00"),
        attendance_row("m1", "2026-01-15T10:00:00", "b@x.example", role="host"),
        attendance_row("m1", "2026-01-15T10:00:00", "c@x.example", status="registered"),
        attendance_row("m2", "2026-02-12T10:00:00", "c@x.example", status="registered"),
    ])
    write_csv(landing, "net", "attendance", "2026-q2.csv", ATTENDANCE_HEADER, [
        attendance_row("m3", "2026-03-31T23:30:00Z", " B@X.example ", end="2026-04-01T00:30:00Z"),
        attendance_row("m3", "2026-03-31T23:30:00Z", "A.Alt@Home.example", end="2026-04-01T00:30:00Z"),
        attendance_row("m4", "2026-06-10T10:00:00", "d@x.example", status="walk-in"),
    ])
    write_csv(landing, "net", "forum", "posts.csv", FORUM_HEADER, [
        ["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"],
        ["p2", "p1", "p1", "b@x.example", "B", "2026-01-21T09:00:00", "reply"],
        ["p3", "p1", "p2", "c@x.example", "C", "2026-01-22T09:00:00", "reaction"],
    ])
    write_csv(landing, "net", "survey", "wave1.csv", SURVEY_HEADER + ["q1", "q2"], [
        ["r1", "core", "2026-03-05T09:00:00", "b@x.example", "true", "4", "5"],
        ["r2", "core", "2026-03-20T09:00:00", "b@x.example", "true", "5", "5"],
        ["r3", "core", "2026-03-06T09:00:00", "c@x.example", "false", "3", ""],
    ])
    write_csv(landing, "quiet", "attendance", "jan.csv", ATTENDANCE_HEADER, [
        attendance_row("q1", "2026-01-08T10:00:00", "z@x.example"),
    ])
    report = ingest(settings)
    assert {o.status for o in report.outcomes} == {"loaded"}
    build(settings)
    return settings


def counts(settings, network: str, grain: str) -> dict:
    rows = query(settings, f"select period_start::varchar, {', '.join(COUNTS)} from indicators.network_period "
                 "where network_id = ? and grain = ? order by period_start", [network, grain])
    return {row[0]: dict(zip(COUNTS, row[1:], strict=False)) for row in rows}


def expected(active, new, retained, meetings, attendances, posts, replies, surveys) -> dict:
    return dict(zip(COUNTS, (active, new, retained, meetings, attendances, posts, replies, surveys), strict=False))


def test_monthly_counts_match_the_hand_computed_values(built):
    assert counts(built, "net", "month") == {
        "2026-01-01": expected(3, 3, 0, 1, 2, 2, 1, 0),
        "2026-02-01": expected(0, 0, 0, 0, 0, 0, 0, 0),
        "2026-03-01": expected(1, 0, 0, 0, 0, 0, 0, 1),
        "2026-04-01": expected(2, 0, 1, 1, 2, 0, 0, 0),
        "2026-05-01": expected(0, 0, 0, 0, 0, 0, 0, 0),
        "2026-06-01": expected(1, 1, 0, 1, 1, 0, 0, 0),
    }


def test_quarters_follow_the_networks_start_month(built):
    # April-start quarters: January-March begins 2026-01-01, April-June 2026-04-01.
    assert counts(built, "net", "quarter") == {
        "2026-01-01": expected(3, 3, 0, 1, 2, 2, 1, 1),
        "2026-04-01": expected(3, 1, 2, 2, 3, 0, 0, 0),
    }


def test_a_silent_network_keeps_zero_rows_up_to_the_latest_data(built):
    months = counts(built, "quiet", "month")
    assert list(months) == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"]
    assert months["2026-01-01"]["active_members"] == 1
    assert all(sum(m.values()) == 0 for period, m in months.items() if period != "2026-01-01")


def test_rejoins_are_one_attendance_and_minutes_are_the_union_of_segments(built):
    rows = query(built, "select segments, minutes_attended from core.attendances "
                 "where meeting_id = ? order by segments desc", [meeting_key("m1")])
    assert rows == [(2, 60.0), (1, 60.0)]


def test_an_alias_from_the_roster_is_the_same_member(built):
    members = query(built, "select count(*) from core.members where network_id = 'net'")[0][0]
    assert members == 4  # a (two addresses), b, c, d
    (april_members,) = query(built, "select count(distinct member_key) from core.attendances "
                             "where meeting_id in (?, ?)", [meeting_key("m1"), meeting_key("m3")])[0]
    assert april_members == 2


def test_a_meeting_is_dated_in_the_networks_time_zone(built):
    assert query(built, "select local_date::varchar from core.meetings where meeting_id = ?",
                 [meeting_key("m3")]) == [("2026-04-01",)]


def test_raw_emails_never_leave_the_raw_schema(built):
    columns = query(built, "select table_schema, table_name, column_name from information_schema.columns "
                    "where table_schema in ('staging', 'core', 'indicators') and data_type = 'VARCHAR'")
    assert columns
    for schema, table, column in columns:
        hits = query(built, f'select count(*) from {schema}.{table} where "{column}" like \'%@%\'')[0][0]
        assert hits == 0, f"{schema}.{table}.{column} holds e-mail addresses"
    names = {c for _, _, c in columns}
    assert "email" not in names and "name" not in names


def test_every_build_is_recorded_with_its_versions(built):
    (status, methodology, rules, features, signs) = query(
        built, "select status, methodology_version, stage_rules_version, key_features_version, "
        "warning_signs_version from meta.builds")[0]
    assert status == "succeeded" and methodology == METHODOLOGY_VERSION
    assert (rules, features, signs) == (load_stage_rules().version, load_key_features().version,
                                        load_warning_signs().version)
    stamped = query(built, "select count(distinct build_id), min(build_id) = (select build_id from meta.builds) "
                    "from indicators.network_period")[0]
    assert stamped == (1, True)
