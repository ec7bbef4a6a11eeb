"""Meeting-attendance export parsers: Zoom participant reports, Teams attendance reports, sign-in sheets.

Expected values are worked out by hand from the fixtures under tests/fixtures/vendors/, which
reproduce the vendors' layouts (XLSX sign-in sheets are built here with openpyxl instead of
committing binaries).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpulse.config.sources import FORMATS
from netpulse.errors import DeliveryRejected
from netpulse.ingest.formats import read_delivery
from netpulse.ingest.vendors import ParseOptions, signin, teams, zoom

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"
US, UK = ParseOptions(date_order="mdy"), ParseOptions(date_order="dmy")
CONTRACT_COLUMNS = [*FORMATS["attendance"].required, "line_number", "source_user_id", "display_name", "is_guest"]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def text_of(frame: pd.DataFrame, column: str) -> list:
    """A column as plain values, pd.NA as None, for comparing with hand-written lists."""
    return [None if value is pd.NA else value for value in frame[column]]


def assert_contract(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == CONTRACT_COLUMNS
    assert frame["line_number"].dtype == "int64"
    for column in CONTRACT_COLUMNS:
        if column != "line_number":
            assert all(v is pd.NA or isinstance(v, str) for v in frame[column]), column


def rejection(parser, content: bytes, options: ParseOptions = US) -> str:
    with pytest.raises(DeliveryRejected) as caught:
        parser(content, options)
    return str(caught.value)


# --- Zoom ------------------------------------------------------------------------------------

ZOOM_US = "zoom/participants_meeting_data_us.csv"


def test_zoom_report_with_meeting_data_gives_one_row_per_join_segment():
    frame = zoom.parse(fixture(ZOOM_US), US)
    assert_contract(frame)
    assert set(frame["meeting_id"]) == {"81234567890"}  # "812 3456 7890" without spaces
    assert set(frame["meeting_title"]) == {"Quality improvement network call"}
    assert set(frame["meeting_start"]) == {"2025-03-12T14:00:00"}
    assert set(frame["meeting_end"]) == {"2025-03-12T15:00:00"}
    assert text_of(frame, "line_number") == [5, 6, 7, 8, 9]  # line 3 is Zoom's ",,,,,," separator
    assert text_of(frame, "email") == ["chair@trust-a.nhs.uk", "samuel.okafor@trust-b.nhs.uk",
                                       "samuel.okafor@trust-b.nhs.uk", "dana.lee@charity.org.uk", None]
    assert text_of(frame, "joined_at") == ["2025-03-12T13:58:12", "2025-03-12T14:00:05", "2025-03-12T14:35:02",
                                           "2025-03-12T14:04:30", "2025-03-12T14:10:00"]
    assert text_of(frame, "left_at") == ["2025-03-12T15:00:00", "2025-03-12T14:31:40", "2025-03-12T15:00:00",
                                         "2025-03-12T14:59:10", "2025-03-12T14:45:00"]
    assert text_of(frame, "role") == ["host", "attendee", "attendee", "attendee", "attendee"]
    assert set(frame["status"]) == {"attended"}
    assert text_of(frame, "is_guest") == ["false", "true", "true", "true", "true"]


def test_zoom_member_who_drops_and_rejoins_has_two_rows_under_their_original_name():
    frame = zoom.parse(fixture(ZOOM_US), US)
    sam = frame[frame["email"] == "samuel.okafor@trust-b.nhs.uk"]
    assert len(sam) == 2
    # "Sam (Samuel Okafor)": renamed in the meeting; the original name is the stable one.
    assert set(sam["source_user_id"]) == set(sam["display_name"]) == set(sam["name"]) == {"Samuel Okafor"}


def test_zoom_row_without_email_is_identified_by_its_zoom_name():
    frame = zoom.parse(fixture(ZOOM_US), US)
    caller = frame[frame["email"].isna()]
    assert text_of(caller, "source_user_id") == ["+44 20 7946 0000"]


def test_zoom_unique_users_export_is_read_the_same_way():
    frame = zoom.parse(fixture("zoom/participants_unique_users_us.csv"), US)
    assert len(frame) == 4
    sam = frame[frame["email"] == "samuel.okafor@trust-b.nhs.uk"]
    assert text_of(sam, "joined_at") == ["2025-03-12T14:00:05"]  # first join
    assert text_of(sam, "left_at") == ["2025-03-12T15:00:00"]    # last leave
    assert set(frame["meeting_id"]) == {"81234567890"}


def test_zoom_newer_details_layout_in_windows_1252_with_day_first_dates():
    frame = zoom.parse(fixture("zoom/participants_meeting_data_uk_cp1252.csv"), UK)
    assert set(frame["meeting_id"]) == {"85218486288"}
    assert set(frame["meeting_title"]) == {"Carers' forum"}
    assert set(frame["meeting_start"]) == {"2025-03-12T18:00:00"}
    assert text_of(frame, "name") == ["Zoë Hartley", "Renée Blanc", "Tom Baker"]
    assert text_of(frame, "role") == ["host", "attendee", "attendee"]
    assert text_of(frame, "joined_at") == ["2025-03-12T17:55:00", "2025-03-12T18:02:00", "2025-03-12T18:20:00"]


def test_zoom_flat_table_takes_the_meeting_from_its_own_columns():
    frame = zoom.parse(fixture("zoom/participants_flat_table_uk.csv"), UK)
    assert text_of(frame, "meeting_id") == ["85218486288", "85218486288"]
    # Two "User Email" columns: left of the name column the host's, right of it the participant's.
    assert text_of(frame, "email") == ["james.warren@contoso.com", "matthew.giordano@contoso.com"]
    assert text_of(frame, "role") == ["host", "attendee"]
    assert set(frame["meeting_start"]) == {"2023-06-01T00:00:00"}
    assert set(frame["meeting_end"]) == {"2023-06-01T00:21:00"}


def test_zoom_flat_table_without_start_time_uses_earliest_join_and_latest_leave():
    content = (b"Meeting ID,Name (Original Name),User Email,Join Time,Leave Time\n"
               b"812 3456 7890,Ann,ann@x.org,03/12/2025 02:05:00 PM,03/12/2025 02:50:00 PM\n"
               b"812 3456 7890,Bob,bob@x.org,03/12/2025 01:59:00 PM,03/12/2025 03:01:00 PM\n")
    frame = zoom.parse(content, US)
    assert set(frame["meeting_start"]) == {"2025-03-12T13:59:00"}
    assert set(frame["meeting_end"]) == {"2025-03-12T15:01:00"}
    assert set(frame["role"]) == {"attendee"}


def _redelimit(content: bytes, delimiter: str) -> str:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("encode", [
    lambda c: c,
    lambda c: b"\xef\xbb\xbf" + c,
    lambda c: c.decode("utf-8").encode("utf-16"),
    lambda c: c.decode("utf-8").encode("cp1252"),
    lambda c: _redelimit(c, ";").encode("utf-8"),
    lambda c: _redelimit(c, "\t").encode("utf-16"),
    lambda c: c.replace(b"\r\n", b"\n"),
], ids=["utf8", "utf8-bom", "utf16", "cp1252", "semicolon", "tab-utf16", "lf"])
def test_zoom_encodings_and_delimiters_give_the_same_rows(encode):
    expected = zoom.parse(fixture(ZOOM_US), US)
    pd.testing.assert_frame_equal(zoom.parse(encode(fixture(ZOOM_US)), US), expected)


def test_zoom_repeated_header_rows_and_extra_columns_are_skipped():
    lines = fixture(ZOOM_US).decode().split("\r\n")
    lines.insert(6, lines[3])  # the participant header again, as when pages are pasted together
    lines = [line + ",extra" if i >= 3 and line else line for i, line in enumerate(lines)]
    frame = zoom.parse("\r\n".join(lines).encode(), US)
    assert len(frame) == 5
    assert text_of(frame, "line_number") == [5, 6, 8, 9, 10]


def test_zoom_leave_before_join_names_the_row():
    content = fixture(ZOOM_US).replace(b"03/12/2025 02:35:02 PM,03/12/2025 03:00:00 PM",
                                       b"03/12/2025 02:35:02 PM,03/12/2025 02:30:00 PM")
    assert rejection(zoom.parse, content).startswith("row 7: Leave Time before Join Time")


def test_zoom_unparseable_date_names_the_row():
    content = fixture(ZOOM_US).replace(b"03/12/2025 02:04:30 PM", b"12th March 2:04")
    message = rejection(zoom.parse, content)
    assert message.startswith("row 8: Join Time '12th March 2:04'")


def test_zoom_month_first_date_in_a_day_first_network_is_rejected_not_guessed():
    content = fixture(ZOOM_US).replace(b"03/12/2025 02:04:30 PM", b"03/13/2025 02:04:30 PM")
    assert "row 8" in rejection(zoom.parse, content, UK)


@pytest.mark.parametrize("day, parses", [("26/10/2025", True), ("19/10/2025", False)])
def test_zoom_local_times_in_the_repeated_autumn_hour_are_left_to_the_loader(day, parses):
    # 01:50 summer time then 01:10 winter time on the night the clocks go back in London:
    # the text alone cannot order them; on an ordinary night the same text is an error.
    content = (f"Meeting ID,Topic,Start Time,End Time,User Email\n"
               f"1,Night shift,{day} 01:00,{day} 03:00,h@x.org\n\n"
               f"Name (Original Name),User Email,Join Time,Leave Time\n"
               f"Ann,ann@x.org,{day} 01:50,{day} 01:10\n").encode()
    if parses:
        assert text_of(zoom.parse(content, UK), "left_at") == ["2025-10-26T01:10:00"]
    else:
        assert rejection(zoom.parse, content, UK).startswith("row 5: Leave Time before Join Time")


def test_zoom_without_meeting_details_or_meeting_id_column_is_rejected():
    lines = fixture(ZOOM_US).decode().split("\r\n")[3:]
    message = rejection(zoom.parse, "\r\n".join(lines).encode())
    assert message == "the report has no meeting details block: export it with 'Export with meeting data' ticked"


def test_zoom_empty_participant_table_is_rejected():
    lines = fixture(ZOOM_US).decode().split("\r\n")[:4]
    assert "has no rows" in rejection(zoom.parse, "\r\n".join(lines).encode())


def test_zoom_truncated_file_names_the_cut_row():
    content = fixture(ZOOM_US)
    cut = content[:content.index(b"dana.lee@charity.org.uk") + 5]
    assert rejection(zoom.parse, cut).startswith("row 8: only 2 of the table's 8 columns")


def test_zoom_missing_join_and_leave_columns_are_named():
    content = (b"Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants,\n"
               b"00000000001,Reunion,09/24/2020 11:35:16 AM,09/24/2020 12:49:20 PM,k@x.edu,75,170,\n\n"
               b"Name (Original Name),User Email,Total Duration (Minutes),Guest\n"
               b"Andrew Knight,k@x.edu,75,\n")
    message = rejection(zoom.parse, content)
    assert message.startswith("the participant table lacks column(s) Join Time, Leave Time")


def test_zoom_details_header_without_values_is_rejected():
    lines = fixture(ZOOM_US).decode().split("\r\n")
    del lines[1:3]
    assert rejection(zoom.parse, "\r\n".join(lines).encode()).startswith("row 1: the meeting details block")


# --- Teams -----------------------------------------------------------------------------------

TEAMS_US = "teams/attendance_report_us.csv"


def test_teams_utf16_report_with_three_sections_reads_the_join_leave_segments():
    content = fixture(TEAMS_US)
    assert content.startswith(b"\xff\xfe")  # UTF-16 LE with BOM, as Teams writes it
    frame = teams.parse(content, US)
    assert_contract(frame)
    assert set(frame["meeting_id"]) == {"teams-202503121400-quality-improvement-network-call"}
    assert set(frame["meeting_title"]) == {"Quality improvement network call"}
    assert set(frame["meeting_start"]) == {"2025-03-12T14:00:00"}
    assert set(frame["meeting_end"]) == {"2025-03-12T15:00:00"}
    assert text_of(frame, "line_number") == [18, 19, 20, 21, 22]  # section 3, not section 2
    assert text_of(frame, "role") == ["host", "cohost", "cohost", "attendee", "attendee"]
    assert text_of(frame, "joined_at") == ["2025-03-12T13:58:12", "2025-03-12T14:00:05", "2025-03-12T14:35:02",
                                           "2025-03-12T14:04:30", "2025-03-12T14:10:00"]
    assert text_of(frame, "left_at") == ["2025-03-12T15:00:00", "2025-03-12T14:31:40", "2025-03-12T15:00:00",
                                         "2025-03-12T14:59:10", "2025-03-12T14:45:00"]
    assert text_of(frame, "is_guest") == [None, None, None, "true", "true"]


def test_teams_member_who_drops_and_rejoins_has_two_rows():
    frame = teams.parse(fixture(TEAMS_US), US)
    assert (frame["email"] == "samuel.okafor@trust-b.nhs.uk").sum() == 2


def test_teams_user_id_is_the_upn_from_section_two_else_email_else_name():
    frame = teams.parse(fixture(TEAMS_US), US)
    assert text_of(frame, "source_user_id") == [
        "priya.chair@trust-a.nhs.uk",  # UPN differs from the e-mail: looked up by e-mail
        "samuel.okafor@trust-b.nhs.uk", "samuel.okafor@trust-b.nhs.uk",
        "dana.lee_charity.org.uk#EXT#@trusta.onmicrosoft.com",
        "Guest Caller (Guest)",  # no e-mail, no UPN
    ]


def test_teams_without_section_three_falls_back_to_participants_and_reads_uk_dates():
    frame = teams.parse(fixture("teams/attendance_report_uk_participants_only.csv"), UK)
    assert set(frame["meeting_id"]) == {"teams-202503121800-carers-forum"}
    assert text_of(frame, "name") == ["Zoë Hartley", "Renée Blanc", "Tom Baker"]
    assert text_of(frame, "role") == ["host", "attendee", "cohost"]  # Organiser, Attendee, Co-organizer
    assert text_of(frame, "joined_at") == ["2025-03-12T17:55:00", "2025-03-12T18:02:00", "2025-03-12T18:20:00"]
    assert text_of(frame, "line_number") == [10, 11, 12]
    # No End time in the summary: Start time + Meeting duration "1h 30m 5s".
    assert set(frame["meeting_end"]) == {"2025-03-12T19:30:05"}


def test_teams_2021_layout_with_meeting_summary_and_full_name_table():
    frame = teams.parse(fixture("teams/attendance_report_2021.csv"), US)
    assert set(frame["meeting_id"]) == {"teams-202112101937-devops-project-review"}
    assert text_of(frame, "role") == ["host", "cohost"]
    assert set(frame["meeting_end"]) == {"2021-12-10T20:07:14"}
    assert text_of(frame, "source_user_id") == ["nia.sharma@uni.example.ie", "paul.s@uni.example.ie"]


def test_teams_report_saved_again_as_utf8_csv_gives_the_same_rows():
    text = fixture(TEAMS_US).decode("utf-16")
    rows = [line.split("\t") for line in text.split("\r\n")]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    expected = teams.parse(fixture(TEAMS_US), US)
    pd.testing.assert_frame_equal(teams.parse(out.getvalue().encode("utf-8-sig"), US), expected)


def test_teams_restarted_meeting_gives_separate_meetings():
    first = teams.parse(fixture(TEAMS_US), US)
    restart = fixture(TEAMS_US).decode("utf-16").replace("Start time\t3/12/25, 2:00:00 PM",
                                                          "Start time\t3/12/25, 2:20:00 PM")
    second = teams.parse(restart.encode("utf-16"), US)
    assert set(first["meeting_id"]) == {"teams-202503121400-quality-improvement-network-call"}
    assert set(second["meeting_id"]) == {"teams-202503121420-quality-improvement-network-call"}


@pytest.mark.parametrize("text, seconds", [
    ("1h 5m 3s", 3903), ("52m 10s", 3130), ("45s", 45), ("2h", 7200), ("1h 0m 0s", 3600), ("", None), ("soon", None),
])
def test_teams_durations(text, seconds):
    duration = teams.parse_duration(text)
    assert (duration.total_seconds() if duration is not None else None) == seconds


def test_teams_legacy_attendee_list_is_rejected_with_what_to_download_instead():
    message = rejection(teams.parse, fixture("teams/attendee_list_legacy.csv"))
    assert message.startswith("row 1: this is the legacy Teams attendee list")
    assert "Attendance tab" in message


def _teams_edit(old: str, new: str) -> bytes:
    text = fixture(TEAMS_US).decode("utf-16")
    assert old in text
    return text.replace(old, new).encode("utf-16")


def test_teams_leave_before_join_names_the_row():
    content = _teams_edit("3/12/25, 2:35:02 PM\t3/12/25, 3:00:00 PM\t24m 58s",
                          "3/12/25, 2:35:02 PM\t3/12/25, 2:15:00 PM\t24m 58s")
    assert rejection(teams.parse, content).startswith("row 20: Leave Time before Join Time")


def test_teams_unparseable_date_names_the_row():
    content = _teams_edit("3/12/25, 2:04:30 PM\t3/12/25, 2:59:10 PM\t54m 40s\tdana.lee@charity.org.uk\tAttendee",
                          "yesterday\t3/12/25, 2:59:10 PM\t54m 40s\tdana.lee@charity.org.uk\tAttendee")
    assert rejection(teams.parse, content).startswith("row 21: Join Time 'yesterday'")


def test_teams_report_without_summary_start_is_rejected():
    content = _teams_edit("Start time\t3/12/25, 2:00:00 PM\r\n", "")
    assert "no Start time in its summary" in rejection(teams.parse, content)


def test_teams_report_without_participant_rows_is_rejected():
    text = fixture(TEAMS_US).decode("utf-16")
    content = text[:text.index("Priya Chair")].encode("utf-16")
    assert "has no rows" in rejection(teams.parse, content)


def test_teams_utf16_file_cut_mid_character_is_rejected_as_truncated():
    content = fixture(TEAMS_US)[:-1]
    assert "truncated or damaged" in rejection(teams.parse, content)


def test_teams_file_cut_mid_row_names_the_row():
    text = fixture(TEAMS_US).decode("utf-16")
    content = text[:text.rindex("\t35m 0s")].encode("utf-16")
    assert rejection(teams.parse, content).startswith("row 22: only 3 of the table's 6 columns")


# --- Sign-in sheets --------------------------------------------------------------------------

def test_signin_csv_with_label_block_keeps_registrations_apart_from_attendance():
    frame = signin.parse(fixture("signin/signin_sheet_label_block.csv"), UK)
    assert_contract(frame)
    assert set(frame["meeting_id"]) == {"signin-202503121000-spring-network-day"}
    assert set(frame["meeting_title"]) == {"Spring network day"}
    assert set(frame["meeting_start"]) == {"2025-03-12T10:00:00"}
    assert set(frame["meeting_end"]) == {"2025-03-12T16:00:00"}
    assert text_of(frame, "line_number") == [7, 8, 9, 10]
    assert text_of(frame, "status") == ["attended", "registered", "walk-in", "attended"]
    assert text_of(frame, "joined_at") == ["2025-03-12T10:05:00", None, "2025-03-12T11:20:00", "2025-03-12T10:00:00"]
    assert text_of(frame, "left_at") == ["2025-03-12T16:00:00", None, "2025-03-12T16:00:00", "2025-03-12T16:00:00"]
    assert set(frame["role"]) == {"attendee"}


def test_signin_csv_with_meeting_columns_and_attended_yes_no():
    frame = signin.parse(fixture("signin/signin_sheet_meeting_columns.csv"), UK)
    assert text_of(frame, "meeting_id") == ["ws-01", "ws-01", "ws-02"]
    assert text_of(frame, "status") == ["attended", "registered", "attended"]
    assert text_of(frame, "meeting_start") == ["2025-03-12T09:30:00", "2025-03-12T09:30:00", "2025-03-13T13:00:00"]
    assert text_of(frame, "joined_at") == ["2025-03-12T09:30:00", None, "2025-03-13T13:00:00"]
    assert text_of(frame, "left_at") == ["2025-03-12T12:00:00", None, "2025-03-13T15:30:00"]


def signin_workbook(rows: list[list]) -> bytes:
    """An .xlsx sign-in sheet with the given cells (datetime objects stay date cells).

    openpyxl stamps the save time into the workbook; it is fixed here so that the same
    cells always give the same bytes (hypothesis replays examples byte for byte).
    """
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    saved = io.BytesIO()
    workbook.save(saved)
    fixed = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", b"2025-01-01T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return fixed.getvalue()


XLSX_ROWS = [
    ["Meeting:", "Spring network day"],
    ["Date:", datetime(2025, 3, 12)],
    ["Start:", time(10, 0)],
    ["End:", "16:00"],
    [],
    ["Name", "Email", "Organisation", "Status", "Signed in at", "Signed out at"],
    ["Ann Lee", "ann.lee@trust-a.nhs.uk", "Trust A", "Attended", time(10, 5), None],
    ["Bob Shah", "bob.shah@trust-b.nhs.uk", "Trust B", "Registered", None, None],
    ["Cy Dunn", "cy.dunn@charity.org.uk", None, "Walk-in", datetime(2025, 3, 12, 11, 20), "15:10"],
]


def test_signin_xlsx_with_date_and_time_cells():
    frame = signin.parse(signin_workbook(XLSX_ROWS), UK)
    assert_contract(frame)
    assert set(frame["meeting_id"]) == {"signin-202503121000-spring-network-day"}
    assert set(frame["meeting_start"]) == {"2025-03-12T10:00:00"}
    assert text_of(frame, "line_number") == [7, 8, 9]  # sheet rows
    assert text_of(frame, "status") == ["attended", "registered", "walk-in"]
    assert text_of(frame, "joined_at") == ["2025-03-12T10:05:00", None, "2025-03-12T11:20:00"]
    assert text_of(frame, "left_at") == ["2025-03-12T16:00:00", None, "2025-03-12T15:10:00"]


def test_signin_xlsx_with_meeting_columns_and_a_numeric_meeting_id():
    rows = [["Meeting ID", "Meeting title", "Start", "End", "Name", "Email", "Attended"],
            [81234567890, "Workshop", datetime(2025, 3, 12, 9, 30), datetime(2025, 3, 12, 12, 0),
             "Ann Lee", "ann@x.org", "Yes"],
            [81234567890, "Workshop", datetime(2025, 3, 12, 9, 30), datetime(2025, 3, 12, 12, 0),
             "Bob Shah", "bob@x.org", None]]
    frame = signin.parse(signin_workbook(rows), UK)
    assert text_of(frame, "meeting_id") == ["81234567890", "81234567890"]
    assert text_of(frame, "status") == ["attended", "registered"]  # a blank Attended box: not attended


@pytest.mark.parametrize("edit, expected", [
    (lambda rows: rows[:5] + [["Who", "Where"]] + rows[6:], "no sign-in table found"),
    (lambda rows: rows[:6], "has no rows"),
    (lambda rows: rows[:6] + [["Ann Lee", "a@x.org", "", "maybe"]], "row 7: Status 'maybe'"),
    (lambda rows: rows[:2] + rows[3:], "row 6: the meeting has no start"),
    (lambda rows: rows[:3] + rows[4:], "row 6: attended, but the sheet gives no meeting End"),
    (lambda rows: rows[1:], "row 6: the sheet names no meeting"),
    (lambda rows: rows[:6] + [["Ann Lee", "a@x.org", "", "attended", time(12, 0), "11:00"]],
     "row 7: Signed out at before Signed in at"),
])
def test_signin_malformations_are_rejected_naming_the_row(edit, expected):
    message = rejection(signin.parse, signin_workbook(edit(XLSX_ROWS)), UK)
    assert expected in message


def test_signin_csv_with_iso_dates_and_a_full_end_time():
    content = (b"Meeting ID,Meeting title,Date,Start,End,Name,Email\n"
               b"x1,Clinic visit,2025-03-12,2.15 pm,2025-03-12 15:30,Ann,a@x.org\n")
    frame = signin.parse(content, US)
    assert text_of(frame, "meeting_start") == ["2025-03-12T14:15:00"]
    assert text_of(frame, "left_at") == ["2025-03-12T15:30"]


def test_signin_csv_row_cut_short_is_rejected():
    content = fixture("signin/signin_sheet_label_block.csv") + b"Eve Hart"
    assert rejection(signin.parse, content, UK).startswith("row 11: only 1 cells")


def test_signin_damaged_workbook_is_rejected():
    content = signin_workbook(XLSX_ROWS)
    assert "the workbook cannot be read" in rejection(signin.parse, content[: len(content) // 2], UK)


def test_signin_unparseable_date_names_the_label_row():
    content = fixture("signin/signin_sheet_label_block.csv").replace(b"12/03/2025", b"31/31/2025")
    assert rejection(signin.parse, content, UK).startswith("row 2: Date '31/31/2025'")


# --- The same meeting from every source --------------------------------------------------------

# The same meeting written by hand in the generic format (the phone caller has no e-mail).
GENERIC_EQUIVALENT = [
    ("chair@trust-a.nhs.uk", "Priya Chair", "2025-03-12T13:58:12", "2025-03-12T15:00:00", "host"),
    ("samuel.okafor@trust-b.nhs.uk", "Samuel Okafor", "2025-03-12T14:00:05", "2025-03-12T14:31:40", "attendee"),
    ("samuel.okafor@trust-b.nhs.uk", "Samuel Okafor", "2025-03-12T14:35:02", "2025-03-12T15:00:00", "attendee"),
    ("dana.lee@charity.org.uk", "Dana Lee", "2025-03-12T14:04:30", "2025-03-12T14:59:10", "attendee"),
    ("", "Guest caller", "2025-03-12T14:10:00", "2025-03-12T14:45:00", "attendee"),
]


def generic_csv(rows: list[tuple]) -> bytes:
    meeting = ["qi-2025-03-12", "QI call", "2025-03-12T14:00:00", "2025-03-12T15:00:00"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FORMATS["attendance"].required)
    for email, name, joined, left, role in rows:
        writer.writerow([*meeting, email, name, joined, left, role, "attended"])
    return out.getvalue().encode()


def _segments(frame: pd.DataFrame) -> set[tuple]:
    return {tuple(None if pd.isna(v) else v for v in row)
            for row in frame[["email", "joined_at", "left_at"]].itertuples(index=False)}


def test_zoom_and_teams_reports_of_one_meeting_match_the_generic_rows():
    generic = read_delivery(generic_csv(GENERIC_EQUIVALENT), FORMATS["attendance"])
    expected = _segments(generic)
    assert len(expected) == 5
    assert _segments(zoom.parse(fixture(ZOOM_US), US)) == expected
    assert _segments(teams.parse(fixture(TEAMS_US), US)) == expected


# --- Property: mutated inputs parse or are rejected, never crash ----------------------------

def _cut_lines(text: str, data) -> str:
    lines = text.split("\n")
    start = data.draw(st.integers(0, len(lines) - 1))
    count = data.draw(st.integers(1, 3))
    return "\n".join(lines[:start] + lines[start + count:])


def _set_cell(text: str, data, delimiter: str) -> str:
    lines = text.split("\n")
    at = data.draw(st.integers(0, len(lines) - 1))
    cells = lines[at].split(delimiter)
    cell = data.draw(st.integers(0, len(cells) - 1))
    cells[cell] = data.draw(st.text(max_size=25))
    lines[at] = delimiter.join(cells)
    return "\n".join(lines)


def _cut_bytes(content: bytes, data) -> bytes:
    start = data.draw(st.integers(0, len(content) - 1))
    return content[:start] + content[start + data.draw(st.integers(1, 8)):]


def mutate(content: bytes, data, encoding: str, delimiter: str) -> bytes:
    """One random damage: bytes or lines deleted, the file truncated, or a cell's text replaced."""
    kind = data.draw(st.sampled_from(["bytes", "truncate", "lines", "cell"]))
    if kind == "bytes":
        return _cut_bytes(content, data)
    if kind == "truncate":
        return content[:data.draw(st.integers(0, len(content)))]
    text = content.decode(encoding)
    text = _cut_lines(text, data) if kind == "lines" else _set_cell(text, data, delimiter)
    return text.encode(encoding, errors="replace")


def assert_parses_or_rejects(parser, content: bytes, options: ParseOptions) -> None:
    try:
        frame = parser(content, options)
    except DeliveryRejected:
        return
    assert list(frame.columns) == CONTRACT_COLUMNS


PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(data=st.data(), name=st.sampled_from([ZOOM_US, "zoom/participants_unique_users_us.csv",
                                             "zoom/participants_flat_table_uk.csv"]))
def test_zoom_mutated_reports_parse_or_are_rejected(data, name):
    assert_parses_or_rejects(zoom.parse, mutate(fixture(name), data, "utf-8", ","), US)


@PROPERTY
@given(data=st.data(), name=st.sampled_from([TEAMS_US, "teams/attendance_report_uk_participants_only.csv",
                                             "teams/attendance_report_2021.csv"]))
def test_teams_mutated_reports_parse_or_are_rejected(data, name):
    assert_parses_or_rejects(teams.parse, mutate(fixture(name), data, "utf-16", "\t"), UK)


@PROPERTY
@given(data=st.data(), name=st.sampled_from(["signin/signin_sheet_label_block.csv",
                                             "signin/signin_sheet_meeting_columns.csv"]))
def test_signin_mutated_csv_sheets_parse_or_are_rejected(data, name):
    delimiter = ";" if "columns" in name else ","
    assert_parses_or_rejects(signin.parse, mutate(fixture(name), data, "utf-8-sig", delimiter), UK)


CELL_VALUES = st.one_of(st.none(), st.text(max_size=20), st.integers(-10, 10**12),
                        st.floats(allow_nan=False, allow_infinity=False),
                        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
                        st.dates(min_value=date(1990, 1, 1)), st.times(), st.sampled_from(
                            ["attended", "registered", "walk-in", "Yes", "No", "10:30", "2.15 pm", "Date:"]))


@PROPERTY
@given(data=st.data())
def test_signin_xlsx_with_random_cells_or_bytes_parses_or_is_rejected(data):
    rows = [list(row) for row in XLSX_ROWS]
    for _ in range(data.draw(st.integers(1, 4))):
        row = data.draw(st.integers(0, len(rows) - 1))
        rows[row] = rows[row] + [None] * max(0, 6 - len(rows[row]))
        rows[row][data.draw(st.integers(0, 5))] = data.draw(CELL_VALUES)
    content = signin_workbook([[_xlsx_safe(c) for c in row] for row in rows])
    if data.draw(st.booleans()):
        content = _cut_bytes(content, data)
    assert_parses_or_rejects(signin.parse, content, UK)


def _xlsx_safe(value):
    """openpyxl refuses control characters in strings; a spreadsheet cannot hold them either."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isprintable())
    return value
