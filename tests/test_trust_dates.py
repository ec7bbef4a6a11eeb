"""Dates that cannot be true are refused, per network (docs/security.md).

At load, a date before the earliest date (NETPULSE_EARLIEST_DATE, or the network's own
earliest_date:) or after the delivery's arrival plus NETPULSE_FUTURE_MARGIN_DAYS quarantines its
file, with the line and the bound; the run's other files load. In the build, a row that got in
before dates were checked (an old warehouse) never moves another network's periods.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from netpulse.build.run import build
from netpulse.config.settings import InputLimits
from netpulse.ingest.loading import ingest
from netpulse.store.warehouse import open_warehouse
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    ROSTER_HEADER,
    attendance_row,
    make_settings,
    query,
    write_csv,
    write_networks,
)

GOOD = [attendance_row("m1", "2026-01-15T10:00:00", "a@x.example"),
        attendance_row("m2", "2026-02-12T10:00:00", "b@x.example")]
OTHER = [attendance_row("s1", "2026-03-05T10:00:00", "s@x.example")]


@pytest.fixture
def two_networks(tmp_path):
    config = write_networks(
        tmp_path / "networks.yaml",
        {"id": "north", "name": "North", "timezone": "America/New_York"},
        {"id": "south", "name": "South", "timezone": "America/New_York"},
    )
    return make_settings(tmp_path, network_config=config)


def outcomes(settings) -> dict:
    return {o.path: o for o in ingest(settings).outcomes}


def test_one_meeting_dated_2099_quarantines_its_file_with_the_line_and_the_bound(two_networks):
    landing = two_networks.landing
    write_csv(landing, "north", "attendance", "bad.csv", ATTENDANCE_HEADER,
              [*GOOD, attendance_row("m3", "2099-03-01T10:00:00", "c@x.example")])
    write_csv(landing, "north", "attendance", "good.csv", ATTENDANCE_HEADER, GOOD[:1])
    write_csv(landing, "south", "attendance", "good.csv", ATTENDANCE_HEADER, OTHER)
    write_csv(landing, "north", "forum", "posts.csv", FORUM_HEADER,
              [["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"]])
    result = outcomes(two_networks)
    bad = result["north/attendance/bad.csv"]
    assert bad.status == "quarantined"
    assert "(line 4)" in bad.error
    assert ("meeting_start '2099-03-01T10:00:00', meeting_end '2099-03-01T11:00:00', joined_at "
            "'2099-03-01T10:00:00', left_at '2099-03-01T11:00:00' is after the delivery arrived (") in bad.error
    assert "+ 2 days (NETPULSE_FUTURE_MARGIN_DAYS): fix the date in the export" in bad.error
    for path in ("north/attendance/good.csv", "south/attendance/good.csv", "north/forum/posts.csv"):
        assert result[path].status == "loaded", path
    # Nothing of the quarantined file reached raw: no 2099 anywhere.
    assert query(two_networks, "select max(meeting_start) < '2030-01-01' from raw.attendance") == [(True,)]


def test_a_1900_date_is_before_the_earliest_date(two_networks):
    write_csv(two_networks.landing, "north", "attendance", "old.csv", ATTENDANCE_HEADER,
              [*GOOD, attendance_row("m0", "1900-01-01T10:00:00", "c@x.example")])
    bad = outcomes(two_networks)["north/attendance/old.csv"]
    assert bad.status == "quarantined" and "(line 4)" in bad.error
    assert "meeting_start '1900-01-01T10:00:00', meeting_end" in bad.error
    assert "is before the earliest date 2000-01-01 (NETPULSE_EARLIEST_DATE)" in bad.error
    assert "earliest_date: for network 'north'" in bad.error


@pytest.mark.parametrize("value", ["9999-12-31T23:30:00", "10000-01-01", "0001-01-01T00:00:00",
                                   "-0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00"])
def test_extreme_years_are_bad_values_never_an_error(two_networks, value):
    # Late on 31 December 9999 in New York is in the year 10000 in UTC: pandas cannot localise it.
    write_csv(two_networks.landing, "north", "attendance", "far.csv", ATTENDANCE_HEADER,
              [*GOOD, attendance_row("m9", value, "c@x.example", end="2026-01-15T11:00:00")])
    write_csv(two_networks.landing, "south", "attendance", "good.csv", ATTENDANCE_HEADER, OTHER)
    result = outcomes(two_networks)
    bad = result["north/attendance/far.csv"]
    assert bad.status == "quarantined"
    assert "internal error" not in bad.error and "(line 4)" in bad.error
    assert f"'{value}'" in bad.error
    assert result["south/attendance/good.csv"].status == "loaded"


@pytest.mark.parametrize("value", ["9999-12-31", "-0001-01-01", "0000-01-01"])
def test_extreme_roster_dates_are_bad_values_never_an_error(two_networks, value):
    write_csv(two_networks.landing, "north", "roster", "roster.csv", ROSTER_HEADER, [
        ["a@x.example", "A", "Org1", "acute", "nurse", "north", "false", "2025-12-01", "", ""],
        ["b@x.example", "B", "Org1", "acute", "nurse", "north", "false", value, "", ""],
    ])
    bad = outcomes(two_networks)["north/roster/roster.csv"]
    assert bad.status == "quarantined"
    assert "internal error" not in bad.error and "(line 3)" in bad.error


def test_a_planned_left_on_may_be_in_the_future_but_not_centuries_away(two_networks):
    landing = two_networks.landing
    write_csv(landing, "north", "roster", "roster.csv", ROSTER_HEADER, [
        ["a@x.example", "A", "Org1", "acute", "nurse", "north", "false", "2025-12-01", "2028-03-31", ""],
    ])
    write_csv(landing, "south", "roster", "roster.csv", ROSTER_HEADER, [
        ["a@x.example", "A", "Org1", "acute", "nurse", "north", "false", "2025-12-01", "2206-03-31", ""],
    ])
    result = outcomes(two_networks)
    assert result["north/roster/roster.csv"].status == "loaded"
    south = result["south/roster/roster.csv"]
    assert south.status == "quarantined"
    assert "left_on '2206-03-31' is more than 10 years after the delivery arrived" in south.error


def test_a_network_may_set_its_own_earliest_date(tmp_path):
    config = write_networks(
        tmp_path / "networks.yaml",
        {"id": "history", "name": "History", "earliest_date": date(1995, 1, 1)},
        {"id": "recent", "name": "Recent", "earliest_date": date(2025, 6, 1)},
        {"id": "plain", "name": "Plain"},
    )
    settings = make_settings(tmp_path, network_config=config)
    for network in ("history", "recent", "plain"):
        write_csv(settings.landing, network, "attendance", "old.csv", ATTENDANCE_HEADER,
                  [attendance_row("m1", "1998-05-01T10:00:00", f"a@{network}.example")])
    write_csv(settings.landing, "recent", "attendance", "2025.csv", ATTENDANCE_HEADER,
              [attendance_row("m2", "2025-03-01T10:00:00", "a@x.example")])
    result = outcomes(settings)
    assert result["history/attendance/old.csv"].status == "loaded"
    assert result["plain/attendance/old.csv"].status == "quarantined"
    recent = result["recent/attendance/2025.csv"]
    assert recent.status == "quarantined"
    assert "is before network 'recent''s earliest_date 2025-06-01 (networks file)" in recent.error
    assert query(settings, "select network_id, earliest_date::varchar from meta.networks order by 1") == [
        ("history", "1995-01-01"), ("plain", None), ("recent", "2025-06-01")]


def test_the_deployment_sets_the_earliest_date_and_the_margin(tmp_path):
    settings = make_settings(tmp_path)
    write_csv(settings.landing, "net", "attendance", "wide.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "1991-01-15T10:00:00", "a@x.example"),
        attendance_row("m2", "2099-01-15T10:00:00", "a@x.example")])
    assert outcomes(settings)["net/attendance/wide.csv"].status == "quarantined"
    limits = dataclasses.replace(InputLimits(), earliest_date="1990-01-01", future_margin_days=40000)
    wider = dataclasses.replace(settings, limits=limits)
    retried = {o.path: o for o in ingest(wider, retry_quarantined=True).outcomes}
    assert retried["net/attendance/wide.csv"].status == "loaded"


def test_a_mistyped_earliest_date_setting_is_refused(tmp_path):
    settings = make_settings(tmp_path, limits=dataclasses.replace(InputLimits(), earliest_date="01/01/2000"))
    with pytest.raises(Exception, match="NETPULSE_EARLIEST_DATE must be a date like 2000-01-01"):
        ingest(settings)


def test_an_earliest_date_that_is_not_a_date_is_a_configuration_error(tmp_path):
    config = write_networks(tmp_path / "networks.yaml", {"id": "net", "name": "Net", "earliest_date": "soon"})
    with pytest.raises(Exception, match="earliest_date must be a date like"):
        ingest(make_settings(tmp_path, network_config=config))


@pytest.mark.parametrize("far, old", [("2099-03-01 10:00:00", "1900-01-01 10:00:00"),
                                      ("9999-12-31 10:00:00", "0001-01-01 10:00:00")])
def test_an_impossible_row_in_an_old_warehouse_moves_no_network_s_periods(tmp_path, far, old):
    config = write_networks(
        tmp_path / "networks.yaml",
        {"id": "north", "name": "North", "timezone": "Europe/London"},
        {"id": "south", "name": "South", "timezone": "Europe/London"},
    )
    settings = make_settings(tmp_path, network_config=config)
    write_csv(settings.landing, "north", "attendance", "a.csv", ATTENDANCE_HEADER, GOOD)
    write_csv(settings.landing, "south", "attendance", "b.csv", ATTENDANCE_HEADER, OTHER)
    assert {o.status for o in ingest(settings).outcomes} == {"loaded"}
    # Rows a load before dates were checked would have taken, in north.
    with open_warehouse(settings) as con:
        for meeting, start in (("m-far", far), ("m-old", old)):
            con.execute("""
                insert into raw.attendance by name
                select * replace (? as meeting_id, ?::timestamp as meeting_start,
                                  ?::timestamp as meeting_end, ?::timestamp as joined_at,
                                  ?::timestamp as left_at, line_number + 100 as line_number)
                from raw.attendance where network_id = 'north' limit 1""", [meeting, start, start, start, start])
    build(settings, full=True)
    spans = query(settings, """
        select network_id, grain, min(period_start)::varchar, max(period_start)::varchar
        from indicators.network_period group by all order by all""")
    # South's own last activity is in March 2026, the latest possible activity anywhere.
    assert spans == [("north", "month", "2026-01-01", "2026-03-01"),
                     ("north", "quarter", "2026-01-01", "2026-01-01"),
                     ("south", "month", "2026-03-01", "2026-03-01"),
                     ("south", "quarter", "2026-01-01", "2026-01-01")]
    assert query(settings, "select count(*) from core.meetings where meeting_id in ('m-far', 'm-old')") == [(0,)]
    # The rows stay in raw (nothing is lost); only the build leaves them out.
    assert query(settings, "select count(*) from raw.attendance where meeting_id in ('m-far', 'm-old')") == [(2,)]
