"""Files netpulse's pulls land from vendor APIs: Zoom and Teams JSON envelopes, the Qualtrics export ZIP.

The JSON fixtures under tests/fixtures/api_files/ are written by hand in the shapes the APIs
document. They describe the same meeting as the CSV fixtures zoom/participants_meeting_data_us.csv
and teams/attendance_report_us.csv (a US account, 2 pm New York time on 12 March 2025, which is
18:00 UTC), so the pulled and the downloaded file can be compared row for row. The Qualtrics ZIP
is made here from the CSV fixture, as the API's export-responses download packs it.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from netpulse.config.networks import Network
from netpulse.config.settings import InputLimits
from netpulse.config.sources import FORMAT_SUFFIXES, FORMATS
from netpulse.errors import DeliveryRejected
from netpulse.ingest.archives import ArchiveLimitExceeded
from netpulse.ingest.formats import parse_timestamps, type_delivery, vendor_frame
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.landing import find_landing_files
from netpulse.ingest.loading import parse_vendor_export
from netpulse.ingest.vendors import ParseOptions, qualtrics, teams, teams_api, zoom, zoom_api

TESTS = Path(__file__).parent
API_FILES = TESTS / "fixtures" / "api_files"
VENDORS = TESTS / "fixtures" / "vendors"
ATTENDANCE = FORMATS["attendance"]
NEW_YORK = ParseOptions(date_order="mdy", timezone="America/New_York")
ZOOM_JSON = ParseOptions(date_order="mdy", timezone="America/New_York", file_name="zoom_meeting.json")
TEAMS_JSON = ParseOptions(date_order="mdy", timezone="America/New_York", file_name="teams_report.json")
CONTRACT_COLUMNS = [*ATTENDANCE.required, "line_number", "source_user_id", "display_name", "is_guest"]


def api_file(name: str) -> bytes:
    return (API_FILES / name).read_bytes()


def document(name: str) -> dict:
    return json.loads(api_file(name))


def encoded(value: dict) -> bytes:
    return json.dumps(value).encode()


def text_of(frame: pd.DataFrame, column: str) -> list:
    return [None if value is pd.NA else value for value in frame[column]]


def rejection(parser, content: bytes, options: ParseOptions) -> str:
    with pytest.raises(DeliveryRejected) as caught:
        parser(content, options)
    return str(caught.value)


def instants(frame: pd.DataFrame, timezone: str) -> list[tuple]:
    """(joined, left) of each row as UTC instants, the way the loader types them, sorted."""
    typed = type_delivery(vendor_frame(frame, ATTENDANCE), ATTENDANCE, timezone, MemberHasher("k"), "zoom").frame
    return sorted(zip(typed["joined_at"], typed["left_at"], strict=True))


# --- Zoom ------------------------------------------------------------------------------------------


def test_pulled_zoom_meeting_gives_one_row_per_admitted_participant_entry():
    frame = zoom.parse(api_file("zoom_meeting.json"), ZOOM_JSON)
    assert list(frame.columns) == CONTRACT_COLUMNS
    assert frame["line_number"].dtype == "int64"
    assert text_of(frame, "line_number") == [1, 2, 4, 5, 6]  # entry 3 waited in the waiting room
    assert set(frame["meeting_id"]) == {"81234567890-202503121800"}  # the id and the instance's start (UTC)
    assert set(frame["meeting_title"]) == {"Quality improvement network call"}
    assert set(frame["meeting_start"]) == {"2025-03-12T18:00:00Z"}
    assert set(frame["meeting_end"]) == {"2025-03-12T19:00:00Z"}
    assert text_of(frame, "email") == ["chair@trust-a.nhs.uk", "samuel.okafor@trust-b.nhs.uk",
                                       "dana.lee@charity.org.uk", "samuel.okafor@trust-b.nhs.uk", None]
    # Renamed participants are known by their original name, as in the CSV report.
    assert text_of(frame, "name") == ["Priya Chair", "Samuel Okafor", "Dana Lee", "Samuel Okafor",
                                      "+44 20 7946 0000"]
    assert text_of(frame, "source_user_id") == text_of(frame, "name") == text_of(frame, "display_name")
    assert text_of(frame, "joined_at") == ["2025-03-12T17:58:12Z", "2025-03-12T18:00:05Z", "2025-03-12T18:04:30Z",
                                           "2025-03-12T18:35:02Z", "2025-03-12T18:10:00Z"]
    assert text_of(frame, "left_at") == ["2025-03-12T19:00:00Z", "2025-03-12T18:31:40Z", "2025-03-12T18:59:10Z",
                                         "2025-03-12T19:00:00Z", "2025-03-12T18:45:00Z"]
    # The meeting's user_email (the host's) is written Chair@Trust-A.nhs.uk: compared without case.
    assert text_of(frame, "role") == ["host", "attendee", "attendee", "attendee", "attendee"]
    assert set(frame["status"]) == {"attended"}
    assert text_of(frame, "is_guest") == [None] * 5  # the Reports API does not say
    assert frame.attrs["source_columns"] == [
        "id", "user_id", "name", "user_email", "join_time", "leave_time", "duration", "failover", "status",
        "customer_key", "registrant_id", "participant_user_id", "bo_mtg_id"]


def test_pulled_zoom_meeting_and_its_csv_report_hold_the_same_attendance_at_the_same_instants():
    pulled = zoom.parse(api_file("zoom_meeting.json"), ZOOM_JSON)
    report = zoom.parse((VENDORS / "zoom" / "participants_meeting_data_us.csv").read_bytes(), NEW_YORK)
    # The report's Meeting ID ("812 3456 7890") is every instance's; the pull keys the instance by its start.
    assert set(report["meeting_id"]) == {"81234567890"} and set(pulled["meeting_id"]) == {"81234567890-202503121800"}
    assert set(pulled["meeting_title"]) == set(report["meeting_title"])
    # The CSV writes New York time, the API UTC: the loader makes them the same instants. (The API
    # also lists Dana Lee's minute in the waiting room as an entry of its own; it is left out.)
    assert instants(pulled, "America/New_York") == instants(report, "America/New_York")
    start = parse_timestamps(pd.concat([pulled["meeting_start"], report["meeting_start"]]), "America/New_York")
    assert set(start) == {pd.Timestamp("2025-03-12T18:00:00")}
    assert text_of(pulled, "role").count("host") == text_of(report, "role").count("host") == 1


def test_zoom_reads_a_json_file_by_its_name_or_else_by_its_first_character():
    content = api_file("zoom_meeting.json")
    expected = zoom.parse(content, ZOOM_JSON)
    pd.testing.assert_frame_equal(zoom.parse(content, NEW_YORK), expected)  # no file name: "{" decides
    pd.testing.assert_frame_equal(zoom.parse(b"\xef\xbb\xbf  \n" + content, NEW_YORK), expected)
    # A CSV export is still read as one, named or not.
    csv = (VENDORS / "zoom" / "participants_meeting_data_us.csv").read_bytes()
    named = ParseOptions(date_order="mdy", file_name="participants.csv")
    pd.testing.assert_frame_equal(zoom.parse(csv, named), zoom.parse(csv, NEW_YORK))
    # The name wins over the content: a .csv that holds JSON is not a pulled file.
    assert "no participant table found" in rejection(zoom.parse, content, named)


def test_zoom_meeting_ids_given_as_text_lose_their_spaces_like_the_csvs():
    pulled = document("zoom_meeting.json")
    pulled["meeting"]["id"] = "812 3456 7890"
    assert set(zoom_api.parse(encoded(pulled), ZOOM_JSON)["meeting_id"]) == {"81234567890-202503121800"}


def zoom_broken(change) -> bytes:
    pulled = document("zoom_meeting.json")
    change(pulled)
    return encoded(pulled)


def _participant(number: int, **fields):
    """A change setting fields of participant entry ``number`` (1-based over the pages)."""
    def change(pulled):
        entries = [e for page in pulled["participants_pages"] for e in page["participants"]]
        entries[number - 1].update(fields)
    return change


@pytest.mark.parametrize(("content", "words"), [
    (b"Meeting ID,Topic\n", "the file is not JSON"),
    (b"{\"meeting\": {}", "the file is not JSON"),
    (b"[1, 2]", "no \"netpulse_pull\" envelope"),
    (b"{\"meeting\": {}, \"participants_pages\": []}", "no \"netpulse_pull\" envelope"),
    (zoom_broken(lambda d: d["netpulse_pull"].update(api="teams")), "pulled from the 'teams' API, not 'zoom'"),
    (zoom_broken(lambda d: d["netpulse_pull"].update(format=2)), "format 2 is not one this netpulse reads"),
    (zoom_broken(lambda d: d.pop("meeting")), "lacks 'meeting'"),
    (zoom_broken(lambda d: d.pop("participants_pages")), "lacks 'participants_pages'"),
    (zoom_broken(lambda d: d.update(meeting=[1])), "'meeting' is not an object"),
    (zoom_broken(lambda d: d.update(participants_pages=[])), "'participants_pages' is not a list of pages"),
    (zoom_broken(lambda d: d["participants_pages"][1].pop("participants")),
     "page 2 of 'participants_pages' has no 'participants' list"),
    (zoom_broken(lambda d: d["meeting"].pop("id")), "the meeting has no numeric id (None)"),
    (zoom_broken(lambda d: d["meeting"].update(id="")), "the meeting has no numeric id ('')"),
    (zoom_broken(lambda d: d["meeting"].pop("start_time")), "the meeting: no start_time"),
    (zoom_broken(lambda d: d["meeting"].update(end_time="2025-03-12T17:00:00Z")),
     "the meeting: end_time before start_time"),
    (zoom_broken(lambda d: [p.update(participants=[]) for p in d["participants_pages"]]),
     "meeting 81234567890-202503121800: the file holds no participant entries"),
    (zoom_broken(_participant(4, leave_time="2025-03-12T18:00:00Z")),
     "participant 4: leave_time before join_time (2025-03-12T18:00:00Z is before 2025-03-12T18:04:30Z)"),
    (zoom_broken(_participant(2, join_time="2025-03-12T14:00:05")),
     "participant 2: join_time '2025-03-12T14:00:05' is not an ISO 8601 time with its UTC offset"),
    (zoom_broken(_participant(6, join_time="03/12/2025 02:10:00 PM")),
     "participant 6: join_time '03/12/2025 02:10:00 PM' is not an ISO 8601 time"),
    (zoom_broken(_participant(5, leave_time="2025-02-30T18:00:00Z")),
     "participant 5: leave_time '2025-02-30T18:00:00Z' is not a date and time"),
    (zoom_broken(_participant(1, leave_time=None)), "participant 1: no leave_time"),
])
def test_zoom_pulled_files_that_cannot_be_read_are_rejected_naming_what_is_wrong(content, words):
    assert words in rejection(zoom.parse, content, ZOOM_JSON)


def test_a_waiting_room_entry_is_left_out_before_its_times_are_read():
    content = zoom_broken(_participant(3, leave_time=None))
    assert text_of(zoom.parse(content, ZOOM_JSON), "line_number") == [1, 2, 4, 5, 6]


# --- Teams -----------------------------------------------------------------------------------------


def test_pulled_teams_report_gives_one_row_per_attendance_interval():
    frame = teams.parse(api_file("teams_report.json"), TEAMS_JSON)
    assert list(frame.columns) == CONTRACT_COLUMNS
    assert text_of(frame, "line_number") == [1, 2, 3, 4, 5]
    assert set(frame["meeting_id"]) == {"teams-202503121400-quality-improvement-network-call"}
    assert set(frame["meeting_title"]) == {"Quality improvement network call"}
    assert set(frame["meeting_start"]) == {"2025-03-12T18:00:00.2170000Z"}
    assert set(frame["meeting_end"]) == {"2025-03-12T19:00:03.5940000Z"}
    assert text_of(frame, "name") == ["Priya Chair", "Samuel Okafor", "Samuel Okafor", "Dana Lee (External)",
                                      "Guest Caller (Guest)"]
    assert text_of(frame, "display_name") == text_of(frame, "name")
    assert text_of(frame, "email") == ["chair@trust-a.nhs.uk", "samuel.okafor@trust-b.nhs.uk",
                                       "samuel.okafor@trust-b.nhs.uk", "dana.lee@charity.org.uk", None]
    # The e-mail, else (the anonymous guest) the identity's id.
    assert text_of(frame, "source_user_id") == ["chair@trust-a.nhs.uk", "samuel.okafor@trust-b.nhs.uk",
                                                "samuel.okafor@trust-b.nhs.uk", "dana.lee@charity.org.uk",
                                                "f0e1d2c3-b4a5-4968-8776-655443322110"]
    assert text_of(frame, "role") == ["host", "cohost", "cohost", "attendee", "attendee"]
    assert set(frame["status"]) == {"attended"}
    assert text_of(frame, "is_guest") == [None, None, None, "true", "true"]
    assert text_of(frame, "joined_at") == ["2025-03-12T17:58:12.0210000Z", "2025-03-12T18:00:05Z",
                                           "2025-03-12T18:35:02Z", "2025-03-12T18:04:30Z", "2025-03-12T18:10:00Z"]
    assert text_of(frame, "left_at") == ["2025-03-12T19:00:00.3310000Z", "2025-03-12T18:31:40Z",
                                         "2025-03-12T19:00:00Z", "2025-03-12T18:59:10Z", "2025-03-12T18:45:00Z"]
    assert frame.attrs["source_columns"] == ["id", "emailAddress", "totalAttendanceInSeconds", "role", "identity",
                                             "attendanceIntervals"]


def test_pulled_teams_report_and_its_downloaded_report_are_the_same_meeting():
    pulled = teams.parse(api_file("teams_report.json"), TEAMS_JSON)
    report = teams.parse((VENDORS / "teams" / "attendance_report_us.csv").read_bytes(), NEW_YORK)
    assert set(pulled["meeting_id"]) == set(report["meeting_id"]) == {
        "teams-202503121400-quality-improvement-network-call"}
    assert text_of(pulled, "role") == text_of(report, "role")
    assert text_of(pulled, "is_guest") == text_of(report, "is_guest")
    # Graph's fractions of a second aside, the same instants once typed.
    seconds = [tuple(t.floor("s") for t in pair) for pair in instants(pulled, "America/New_York")]
    assert seconds == instants(report, "America/New_York")


def test_the_teams_meeting_id_takes_the_start_in_the_networks_time_zone():
    content = api_file("teams_report.json")
    london = ParseOptions(date_order="dmy", timezone="Europe/London", file_name="r.json")
    assert set(teams.parse(content, london)["meeting_id"]) == {"teams-202503121800-quality-improvement-network-call"}
    summer = document("teams_report.json")
    summer["attendance_report"]["meetingStartDateTime"] = "2025-07-02T08:30:00Z"  # 09:30 BST
    summer["attendance_report"]["meetingEndDateTime"] = "2025-07-02T09:30:00Z"
    for page in summer["attendance_records_pages"]:
        for record in page["value"]:
            for interval in record["attendanceIntervals"]:
                interval.update(joinDateTime="2025-07-02T08:31:00Z", leaveDateTime="2025-07-02T09:00:00Z")
    frame = teams.parse(encoded(summer), london)
    assert set(frame["meeting_id"]) == {"teams-202507020930-quality-improvement-network-call"}
    assert set(frame["meeting_start"]) == {"2025-07-02T08:30:00Z"}  # the row keeps UTC


def test_a_teams_report_without_its_online_meeting_is_a_teams_meeting():
    pulled = document("teams_report.json")
    pulled["online_meeting"] = None
    frame = teams_api.parse(encoded(pulled), TEAMS_JSON)
    assert set(frame["meeting_title"]) == {"Teams meeting"}
    assert set(frame["meeting_id"]) == {"teams-202503121400-teams-meeting"}


def test_teams_roles_and_identities_follow_the_downloaded_reports_rules():
    pulled = document("teams_report.json")
    first, second = pulled["attendance_records_pages"][0]["value"]
    first["role"] = "Co-organizer"
    second["role"] = "Producer"
    guest = pulled["attendance_records_pages"][1]["value"][1]
    guest["identity"]["id"] = None
    pulled["attendance_records_pages"][1]["value"][0]["emailAddress"] = ""
    frame = teams_api.parse(encoded(pulled), TEAMS_JSON)
    assert text_of(frame, "role") == ["cohost", "producer", "producer", "attendee", "attendee"]
    assert text_of(frame, "email")[3] is None
    assert text_of(frame, "source_user_id")[3:] == ["a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "Guest Caller (Guest)"]


def teams_broken(change) -> bytes:
    pulled = document("teams_report.json")
    change(pulled)
    return encoded(pulled)


def _interval(record: int, number: int, **fields):
    def change(pulled):
        records = [r for page in pulled["attendance_records_pages"] for r in page["value"]]
        records[record - 1]["attendanceIntervals"][number - 1].update(fields)
    return change


@pytest.mark.parametrize(("content", "words"), [
    (b"{not json", "the file is not JSON"),
    (b"{\"value\": []}", "no \"netpulse_pull\" envelope"),
    (teams_broken(lambda d: d["netpulse_pull"].update(api="zoom")), "pulled from the 'zoom' API, not 'teams'"),
    (teams_broken(lambda d: d.pop("attendance_report")), "lacks 'attendance_report'"),
    (teams_broken(lambda d: d.pop("attendance_records_pages")), "lacks 'attendance_records_pages'"),
    (teams_broken(lambda d: d.update(online_meeting="x")), "'online_meeting' is neither an object nor null"),
    (teams_broken(lambda d: d["attendance_report"].pop("meetingStartDateTime")),
     "the attendance report: no meetingStartDateTime"),
    (teams_broken(lambda d: d["attendance_records_pages"][0].pop("value")),
     "page 1 of 'attendance_records_pages' has no 'value' list"),
    (teams_broken(lambda d: [p.update(value=[]) for p in d["attendance_records_pages"]]),
     "the attendance report holds no attendance intervals (0 records)"),
    (teams_broken(_interval(2, 2, leaveDateTime="2025-03-12T18:30:00Z")),
     "interval 3 (record 2): leaveDateTime before joinDateTime (2025-03-12T18:30:00Z is before 2025-03-12T18:35:02Z)"),
    (teams_broken(_interval(4, 1, joinDateTime="3/12/25, 2:10:00 PM")),
     "interval 5 (record 4): joinDateTime '3/12/25, 2:10:00 PM' is not an ISO 8601 time with its UTC offset"),
    (teams_broken(_interval(1, 1, leaveDateTime=None)), "interval 1 (record 1): no leaveDateTime"),
])
def test_teams_pulled_files_that_cannot_be_read_are_rejected_naming_what_is_wrong(content, words):
    assert words in rejection(teams.parse, content, TEAMS_JSON)


def test_teams_still_reads_its_csv_report_named_or_not():
    csv = (VENDORS / "teams" / "attendance_report_us.csv").read_bytes()
    named = ParseOptions(date_order="mdy", timezone="America/New_York", file_name="report.csv")
    pd.testing.assert_frame_equal(teams.parse(csv, named), teams.parse(csv, NEW_YORK))


# --- Qualtrics -------------------------------------------------------------------------------------

QUALTRICS_CSV = VENDORS / "qualtrics" / "choice-text.csv"
YMD = ParseOptions(date_order="ymd")


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_qualtrics_api_zip_is_read_as_the_csv_it_holds():
    csv = QUALTRICS_CSV.read_bytes()
    content = zipped({"Network pulse survey.csv": csv})
    assert content.startswith(b"PK\x03\x04")
    expected = qualtrics.parse(csv, YMD)
    parsed = qualtrics.parse(content, ParseOptions(date_order="ymd", file_name="responses-1.zip"))
    pd.testing.assert_frame_equal(parsed, expected)
    assert parsed.attrs["source_columns"] == expected.attrs["source_columns"]
    assert len(parsed) == 3 and parsed["response_id"].iloc[0] == "R_1aB2cD3eF4gH5iJ"
    pd.testing.assert_frame_equal(qualtrics.parse(content, YMD), expected)  # no file name: the bytes say ZIP
    # A folder entry and macOS's resource fork copies are not exports.
    noisy = zipped({"export/": b"", "__MACOSX/._Network pulse survey.csv": b"\x00\x05",
                    "export/Network pulse survey.csv": csv})
    pd.testing.assert_frame_equal(qualtrics.parse(noisy, YMD), expected)


@pytest.mark.parametrize(("members", "words"), [
    ({"a.csv": b"x", "b.tsv": b"y"}, "the ZIP holds 2 CSV/TSV files (a.csv, b.tsv), not one"),
    ({"responses.xlsx": b"x"}, "the ZIP holds 0 CSV/TSV files (none), not one"),
    ({}, "the ZIP holds 0 CSV/TSV files"),
])
def test_a_qualtrics_zip_without_exactly_one_csv_is_rejected(members, words):
    assert words in rejection(qualtrics.parse, zipped(members), ParseOptions(date_order="ymd", file_name="r.zip"))


def test_a_qualtrics_zip_is_opened_within_the_archive_limits():
    content = zipped({"survey.csv": QUALTRICS_CSV.read_bytes()})
    small = ParseOptions(date_order="ymd", limits=InputLimits(archive_max_member_bytes=100))
    with pytest.raises(ArchiveLimitExceeded, match="NETPULSE_ARCHIVE_MAX_MEMBER_BYTES"):
        qualtrics.parse(content, small)
    cut = ParseOptions(date_order="ymd", file_name="r.zip")
    assert "not a readable ZIP archive" in rejection(qualtrics.parse, content[:40], cut)


# --- Through the landing zone ----------------------------------------------------------------------


def test_pulled_files_are_listed_and_parsed_from_their_format_folders(tmp_path):
    assert ".json" in FORMAT_SUFFIXES["zoom"] and ".json" in FORMAT_SUFFIXES["teams"]
    assert ".zip" in FORMAT_SUFFIXES["qualtrics"]
    landing = tmp_path / "landing"
    files = {
        "net-a/attendance/zoom/pulled/host/meeting-81234567890-2025-03-12-qI7m.json": api_file("zoom_meeting.json"),
        "net-a/attendance/teams/pulled/chair/report-2025-03-12-c9b6.json": api_file("teams_report.json"),
        "net-a/survey/qualtrics/pulled/SV_1/responses-1.zip": zipped({"survey.csv": QUALTRICS_CSV.read_bytes()}),
    }
    for relative, content in files.items():
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_bytes(content)
    # No date_order declared: pulled files write ISO 8601 with offsets (CSV exports would be refused).
    network = Network("net-a", "Network A", timezone="America/New_York")
    found = {f.format: f for f in find_landing_files(landing)}
    assert sorted(found) == ["qualtrics", "teams", "zoom"]
    rows = {fmt: parse_vendor_export(f, f.read_bytes(), network)[0] for fmt, f in found.items()}
    assert set(rows["zoom"]["meeting_id"]) == {"81234567890-202503121800"}
    assert set(rows["teams"]["meeting_id"]) == {"teams-202503121400-quality-improvement-network-call"}
    assert len(rows["qualtrics"]) == 3
    typed = type_delivery(rows["teams"], ATTENDANCE, "America/New_York", MemberHasher("k"), "teams").frame
    assert typed["bad_values"].isna().all()
    assert typed["meeting_start"].iloc[0] == pd.Timestamp(datetime(2025, 3, 12, 18, 0, 0, 217000))

