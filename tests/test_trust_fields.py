"""Fields that must not hold people hold none (docs/security.md).

Meeting ids made from titles or file names become keyed ids; a roster's descriptive columns
(organisation, sector, profession, region) holding an e-mail address or a member's name
quarantine the roster, by line and column, without repeating the value; a header row that holds
data quarantines its file and no header is stored.
"""

from __future__ import annotations

import re

import pytest

from netpulse.build.run import build
from netpulse.ingest.loading import ingest
from netpulse.store.warehouse import open_warehouse
from tests.helpers import (
    ATTENDANCE_HEADER,
    REPO,
    ROSTER_HEADER,
    attendance_row,
    make_settings,
    meeting_key,
    query,
    write_csv,
    write_networks,
)

KEYED = re.compile(r"^m_[0-9a-f]{20}$")
# Where a meeting's id lands (engagement events and interactions call it event_id).
MEETING_ID_COLUMNS = {"core.meetings": "meeting_id", "core.attendances": "meeting_id",
                      "core.engagement_events": "event_id", "core.interactions": "event_id"}


def member(email: str, name: str, organisation: str = "Leeds Teaching Hospitals", profession: str = "nurse",
           region: str = "Yorkshire") -> list[str]:
    return [email, name, organisation, "NHS", profession, region, "false", "2026-01-01", "", ""]


def outcomes(settings) -> dict:
    return {o.path: o for o in ingest(settings).outcomes}


@pytest.fixture
def settings(tmp_path):
    config = write_networks(tmp_path / "networks.yaml",
                            {"id": "n", "name": "N", "sources": {"attendance/zoom": {"date_order": "mdy"}}})
    return make_settings(tmp_path, network_config=config)


def _meeting_ids(settings) -> set[str]:
    ids = set()
    for table, column in MEETING_ID_COLUMNS.items():
        kind = {"core.engagement_events": " and event_type = 'attendance'",
                "core.interactions": " and kind = 'co_attendance'"}.get(table, "")
        ids |= {row[0] for row in query(settings, f"select distinct {column} from {table} "
                                                  f"where {column} is not null{kind}")}
    return ids


def test_meeting_ids_made_of_titles_and_file_names_are_keyed_everywhere(settings):
    title = "1:1 Jane Doe jane.doe@nhs.example"
    write_csv(settings.landing, "n", "attendance", "jane-doe.csv", ATTENDANCE_HEADER,
              [attendance_row(title, "2026-03-10T10:00:00", f"m{i}@x.example") for i in range(3)])
    lines = (REPO / "tests" / "fixtures" / "vendors" / "zoom" / "participants_meeting_data_us.csv"
             ).read_text().split("\n")
    folder = settings.landing / "n" / "attendance" / "zoom"
    folder.mkdir(parents=True)
    (folder / "Priya Patel catch-up.csv").write_text("\n".join(lines[3:]))  # no meeting id: named by file
    assert {o.status for o in outcomes(settings).values()} == {"loaded"}
    build(settings)
    ids = _meeting_ids(settings)
    assert len(ids) == 2 and all(KEYED.match(i) for i in ids), ids
    assert meeting_key(title) in ids
    for table in MEETING_ID_COLUMNS:
        # The title is kept in core.meetings (warehouse only); the snapshot leaves it out.
        columns = "* exclude (meeting_title)" if table == "core.meetings" else "*"
        text = " ".join(str(v) for row in query(settings, f"select {columns} from {table}") for v in row).lower()
        assert "jane" not in text and "priya" not in text, table


def test_the_same_meeting_in_two_deliveries_keeps_one_keyed_id(settings):
    write_csv(settings.landing, "n", "attendance", "a.csv", ATTENDANCE_HEADER,
              [attendance_row("Board call", "2026-03-10T10:00:00", "a@x.example")])
    write_csv(settings.landing, "n", "attendance", "b.csv", ATTENDANCE_HEADER,
              [attendance_row("Board call", "2026-03-10T10:00:00", "b@x.example")])
    ingest(settings)
    build(settings)
    assert query(settings, "select meeting_id, attendances from core.meetings") == [(meeting_key("Board call"), 2)]


def test_a_warehouse_loaded_before_ids_were_keyed_is_re_keyed_once(settings):
    write_csv(settings.landing, "n", "attendance", "a.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-03-10T10:00:00", "a@x.example")])
    ingest(settings)
    with open_warehouse(settings) as con:  # as an earlier netpulse left it
        con.execute("update raw.attendance set meeting_id = 'm1'")
        con.execute("delete from meta.settings where name = 'meeting_ids'")
    write_csv(settings.landing, "n", "attendance", "b.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-03-10T10:00:00", "b@x.example")])
    ingest(settings)
    build(settings)
    assert query(settings, "select distinct meeting_id from raw.attendance") == [(meeting_key("m1"),)]
    assert query(settings, "select meeting_id, attendances from core.meetings") == [(meeting_key("m1"), 2)]


def test_an_e_mail_typed_as_an_organisation_quarantines_the_roster_by_line_and_column(settings):
    write_csv(settings.landing, "n", "roster", "roster.csv", ROSTER_HEADER, [
        member("a@x.example", "Ann Lee"),
        member("b@x.example", "Tom Jones", organisation="priya.patel@nhs.example"),
        member("c@x.example", "Sam Cole", region="ask sam.cole@nhs.example")])
    write_csv(settings.landing, "n", "attendance", "a.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-03-10T10:00:00", "a@x.example")])
    result = outcomes(settings)
    roster = result["n/roster/roster.csv"]
    assert roster.status == "quarantined"
    assert "lines 3, 4" in roster.error
    assert "organisation holds an e-mail address" in roster.error
    assert "priya" not in roster.error and "sam.cole" not in roster.error
    assert result["n/attendance/a.csv"].status == "loaded"


def test_a_members_name_in_a_descriptive_column_quarantines_the_roster(settings):
    write_csv(settings.landing, "n", "roster", "roster.csv", ROSTER_HEADER, [
        member("a@x.example", "Priya Patel"),
        member("b@x.example", "Tom Jones", profession="PRIYA  PATEL's deputy")])
    roster = outcomes(settings)["n/roster/roster.csv"]
    assert roster.status == "quarantined"
    assert "profession holds the name of a member of this roster" in roster.error and "line 3" in roster.error
    assert "patel" not in roster.error.lower()


def test_places_and_one_word_names_are_not_taken_for_people(settings):
    write_csv(settings.landing, "n", "roster", "roster.csv", ROSTER_HEADER, [
        member("a@x.example", "Kent", organisation="Kent Community Health", region="Kent"),
        member("b@x.example", "Ann Lee", organisation="St Ann's Hospice", profession="Lee-side GP"),
        member("c@x.example", "Jo Bloggs", organisation="NHS England", profession="care co-ordinator")])
    assert outcomes(settings)["n/roster/roster.csv"].status == "loaded"
    build(settings)
    assert query(settings, "select count(*) from core.members") == [(3,)]


def _delivery(settings, path: str) -> tuple:
    return query(settings, "select status, error, source_columns, ignored_columns, schema_drift "
                           "from meta.deliveries where path = ?", [path])[0]


def test_a_roster_without_its_header_row_is_quarantined_and_no_header_is_stored(settings):
    write_csv(settings.landing, "n", "roster", "first.csv", ROSTER_HEADER, [member("a@x.example", "Ann Lee")])
    ingest(settings)
    headless = member("headless.person@nhs.example", "Headless Person")
    write_csv(settings.landing, "n", "roster", "noheader.csv", headless, [member("y@x.example", "Y Y")])
    ingest(settings)
    status, error, source_columns, ignored, drift = _delivery(settings, "n/roster/noheader.csv")
    assert status == "quarantined"
    assert "the header row holds data" in error and "column 1 is an e-mail address" in error
    assert (source_columns, ignored, drift) == (None, None, None)
    assert "headless" not in error.lower()


def test_a_stray_e_mail_or_member_in_a_header_quarantines_without_storing_it(settings):
    write_csv(settings.landing, "n", "roster", "r1.csv", [*ROSTER_HEADER, "note@nhs.example"],
              [[*member("a@x.example", "Ann Lee"), "x"]])
    write_csv(settings.landing, "n", "roster", "r2.csv", [*ROSTER_HEADER, "Tom Jones"],
              [[*member("t@x.example", "Tom Jones"), "x"]])
    ingest(settings)
    for path, what in (("n/roster/r1.csv", "an e-mail address"), ("n/roster/r2.csv", "the name of a person")):
        status, error, source_columns, ignored, drift = _delivery(settings, path)
        assert status == "quarantined" and f"column 11 is {what}" in error
        assert (source_columns, ignored, drift) == (None, None, None)
        assert "note@" not in error and "tom" not in error.lower()


def test_malformed_other_emails_are_counted_not_quoted(settings):
    row = member("a@x.example", "Ann Lee")
    row[9] = "ann.lee@nhs;not-an-address"
    write_csv(settings.landing, "n", "roster", "roster.csv", ROSTER_HEADER, [row])
    roster = outcomes(settings)["n/roster/roster.csv"]
    assert roster.status == "quarantined" and "line 2" in roster.error
    assert "not-an-address" not in roster.error and "ann.lee" not in roster.error
