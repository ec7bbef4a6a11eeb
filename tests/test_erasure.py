"""Erasure: a member removed on request is gone from raw data and every derived table, for good.

Member A is on the roster as a@x.example with a second address a2@x.example; A attends m1 under
the second address, opens a forum topic that B answers, and answers a survey. B and C attend m1
too. After `erase` of A (asked for by the second address, typed untidily), A's rows are deleted,
no table outside the history tables holds any of A's keys, the network has two active members,
B's reply to A no longer answers anyone, and a later export that still carries A loads without
A.
"""

from __future__ import annotations

import duckdb
import pytest

from netpulse.admin.erasure import erase_member
from netpulse.build.run import build
from netpulse.cli import main
from netpulse.errors import NetpulseError
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.loading import ingest
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    ROSTER_HEADER,
    SURVEY_HEADER,
    TEST_KEY,
    attendance_row,
    make_settings,
    query,
    write_csv,
)

HASH = MemberHasher(TEST_KEY).hash_one
A_KEYS = {HASH("a@x.example"), HASH("a2@x.example")}


def write_landing(landing) -> None:
    write_csv(landing, "net", "roster", "r.csv", ROSTER_HEADER, [
        ["a@x.example", "A", "Org1", "acute", "nurse", "", "false", "", "", "a2@x.example"],
        ["b@x.example", "B", "Org2", "acute", "gp", "", "false", "", "", ""],
    ])
    write_csv(landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "a2@x.example", role="host"),
        attendance_row("m1", "2026-01-15T10:00:00", "b@x.example"),
        attendance_row("m1", "2026-01-15T10:00:00", "c@x.example"),
    ])
    write_csv(landing, "net", "forum", "f.csv", FORUM_HEADER, [
        ["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"],
        ["p2", "p1", "p1", "b@x.example", "B", "2026-01-20T10:00:00", "reply"],
    ])
    write_csv(landing, "net", "survey", "s.csv", [*SURVEY_HEADER, "q1", "q5"], [
        ["s1", "netpulse-core-v1", "2026-01-25T10:00:00", "a@x.example", "true", "4", "5"],
        ["s2", "netpulse-core-v1", "2026-01-25T11:00:00", "b@x.example", "true", "3", "3"],
    ])


@pytest.fixture(scope="module")
def erased(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("erasure"))
    write_landing(settings.landing)
    ingest(settings)
    build(settings)
    report = erase_member(settings, "net", "  A2@X.example ", requested_by="dpo")
    build(settings)
    return settings, report


def test_the_erasure_finds_the_member_under_every_address_and_deletes_their_raw_rows(erased):
    settings, report = erased
    assert report.rows_removed == {"raw.survey_answers": 2, "raw.attendance": 1, "raw.forum": 1,
                                   "raw.survey_responses": 1, "raw.roster": 1}
    assert {k for (k,) in query(settings, "select erased_key from meta.erasures")} >= A_KEYS
    for table in ("raw.attendance", "raw.forum", "raw.survey_responses", "raw.roster"):
        emails = {e for (e,) in query(settings, f"select lower(trim(email)) from {table}")}
        assert not emails & {"a@x.example", "a2@x.example"}, table


def every_text_value(settings) -> set[str]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        columns = con.execute("""
            select table_schema, table_name, column_name from information_schema.columns
            where table_schema in ('staging', 'core', 'indicators', 'meta') and data_type = 'VARCHAR'
                and table_name not in ('erasures')""").fetchall()
        values = set()
        for schema, table, column in columns:
            values |= {v for (v,) in con.execute(f'select distinct "{column}" from {schema}.{table}').fetchall()}
        return values
    finally:
        con.close()


def test_no_derived_or_meta_table_holds_any_key_of_the_erased_member(erased):
    settings, _ = erased
    assert not every_text_value(settings) & A_KEYS


def test_the_indicators_are_restated_without_the_member(erased):
    settings, _ = erased
    (active, posts, responses) = query(settings, "select active_members, forum_posts, survey_responses "
                                       "from indicators.network_period where grain = 'month'")[0]
    assert (active, posts, responses) == (2, 1, 1)
    assert query(settings, "select replied_to_member_key from core.forum_posts") == [(None,)]
    assert query(settings, "select count(*) from indicators.member_roles where role = 'co-ordinator'") == [(0,)]


def test_a_later_export_is_loaded_without_the_erased_member(erased):
    settings, _ = erased
    # The next exports still carry A: a meeting A hosted and a survey A answered.
    write_csv(settings.landing, "net", "attendance", "a-feb.csv", ATTENDANCE_HEADER, [
        attendance_row("m2", "2026-02-12T10:00:00", "a@x.example", role="host"),
        attendance_row("m2", "2026-02-12T10:00:00", "b@x.example"),
    ])
    write_csv(settings.landing, "net", "survey", "s-feb.csv", [*SURVEY_HEADER, "q1", "q5"], [
        ["s3", "netpulse-core-v1", "2026-02-25T10:00:00", "a2@x.example", "true", "5", "5"],
        ["s4", "netpulse-core-v1", "2026-02-25T11:00:00", "c@x.example", "true", "2", "4"],
    ])
    report = ingest(settings)
    assert {o.status for o in report.outcomes} == {"loaded"}
    build(settings)
    (attendance, responses, answers) = query(settings, """
        select (select count(*) from raw.attendance), (select count(*) from raw.survey_responses),
               (select count(*) from raw.survey_answers)""")[0]
    assert (attendance, responses, answers) == (3, 2, 4)  # B, C and B again; B's and C's responses
    assert not every_text_value(settings) & A_KEYS


def test_an_unknown_network_is_refused(tmp_path):
    settings = make_settings(tmp_path)
    with pytest.raises(NetpulseError, match="no network 'nope'"):
        erase_member(settings, "nope", "a@x.example")


def test_the_command_line_erases_and_rebuilds(settings, capsys):
    write_landing(settings.landing)
    assert main(["run"]) == 0
    assert main(["erase", "--network", "net", "--email", "a@x.example", "--by", "dpo"]) == 0
    out = capsys.readouterr().out
    assert "erased 1 member of net" in out and "every derived table restated without them" in out
    assert query(settings, "select count(*) from core.members where on_roster") == [(1,)]
