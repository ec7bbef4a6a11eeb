"""Microsoft Teams meeting attendance reports (Attendance tab > Download) to generic attendance rows.

The downloaded ".csv" is UTF-16 LE with a BOM and tab-separated, in numbered sections::

    1. Summary
    Meeting title<TAB>Network call
    Attended participants<TAB>3
    Start time<TAB>3/12/25, 2:00:00 PM
    End time<TAB>3/12/25, 3:00:00 PM
    Meeting duration<TAB>1h 0m 0s
    Average attendance time<TAB>52m 10s

    2. Participants
    Name<TAB>First Join<TAB>Last Leave<TAB>In-Meeting Duration<TAB>Email<TAB>Participant ID (UPN)<TAB>Role
    ...
    3. In-Meeting Activities
    Name<TAB>Join Time<TAB>Leave Time<TAB>Duration<TAB>Email<TAB>Role
    ...

Header spelling varies between versions ("First Join" / "First join"), so labels and
column names are matched case-insensitively, and extra columns (webinar and engagement
columns) are ignored. The 2021 layout is read too: a "Meeting Summary" block (``Meeting
Title``, ``Meeting Start Time``, ``Meeting End Time``) and one table ``Full Name, Join
Time, Leave Time, Duration, Email, Role, Participant ID (UPN)``. Files saved again by Excel
as comma- or semicolon-separated UTF-8 are accepted (tab wins whenever a tab is present).

Rows come from the join/leave segments of "3. In-Meeting Activities" (one row per segment,
so a member who drops and rejoins has several rows); only when that section is absent or
empty does "2. Participants" (first join to last leave, one row per person) stand in.
Role: Organizer -> host, Co-organizer and Presenter -> cohost, Attendee -> attendee (any
other role text is passed on in lower case for validation to report). Status is
``attended``. ``email`` is the Email column; ``source_user_id`` is the Participant ID (UPN)
(section 3 has none, so it is looked up in section 2 by e-mail, then by name), else the
e-mail, else the name. Names Teams marks "(Guest)", "(External)" or "(Unverified)" get
``is_guest`` "true"; otherwise it is left unknown.

Dates are written in the organiser's locale: "3/12/25, 2:00:05 PM" (US), "12/03/2025,
14:00:05" (UK); the comma is dropped and the day/month order is ``options.date_order``.
Durations such as "1h 5m 3s" are read only to give the meeting's end when the summary has
no End time.

Meeting id: Teams reports carry none (the 2021 layout's "Meeting Id" is ignored for
consistency), so one is derived: ``teams-<YYYYMMDDHHMM of Start time>-<slug of title>``,
e.g. ``teams-202503121400-network-call``. When the organiser restarts a meeting, Teams
writes a separate report for each session, each with its own start time; they become
separate meetings. They cannot be told apart from next week's occurrence of a recurring
meeting by title alone, and each session does have its own participants and times, so
merging them would be a guess.

Rejected: the legacy attendee list downloaded during a meeting (``Full Name, User Action,
Timestamp`` with Joined/Left rows): it has no title, end time or e-mails and its open
segments have no leave time. Reports without a summary start time, with no participant
table, with an empty table, cut short, or with a Leave Time before its Join Time.
Pulled files: a ``.json`` file (by its name, or by its first character when no name is given) is
an attendance report netpulse's Graph pull landed; it is read by ``teams_api``.
Known limits: localised section and column names are not recognised.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pandas as pd

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.attendance_rows import (
    attendance_frame,
    check_left_not_before_joined,
    derived_meeting_id,
    numbered_rows,
    read_rows,
    table_body,
)
from netpulse.ingest.vendors.common import decode_text, sniff_delimiter, to_iso
from netpulse.ingest.vendors.pulled_files import is_pulled_file

SECTION_TITLE = re.compile(r"^(\d+\.\s+\S.*|meeting summary)$", re.IGNORECASE)
SUMMARY_KEYS = {
    "meeting title": "title", "title": "title",
    "start time": "start", "meeting start time": "start",
    "end time": "end", "meeting end time": "end",
    "meeting duration": "duration",
}
NAME_COLUMNS = ("name", "full name")
ROLES = {"organizer": "host", "organiser": "host", "co-organizer": "cohost", "co-organiser": "cohost",
         "presenter": "cohost", "attendee": "attendee"}
GUEST_SUFFIX = re.compile(r"\((?:guest|external|unverified)\)\s*$", re.IGNORECASE)
DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$", re.IGNORECASE)


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic attendance format from one Teams attendance report (or pulled ``.json`` file)."""
    from netpulse.ingest.vendors import teams_api  # here, not above: teams_api imports this module

    if is_pulled_file(content, options):
        return teams_api.parse(content, options)
    text = decode_text(content)
    delimiter = "\t" if "\t" in text else sniff_delimiter(text)
    rows = numbered_rows(read_rows(text, delimiter))
    _reject_legacy(rows)
    tables = _tables(rows)
    segments = tables.get("segments", [])
    participants = tables.get("participants", [])
    chosen = segments if segments and (segments[0][2] or not participants) else participants
    if not chosen:
        raise DeliveryRejected(
            "no participant table found: expected '2. Participants' or '3. In-Meeting Activities' "
            "with Name, Join Time and Leave Time columns; download the attendance report again"
        )
    header_line, header, body = chosen[0]
    if not body:
        raise DeliveryRejected(f"the participant table (header on row {header_line}) has no rows")
    frame = _rows_frame(header, body, options)
    frame["source_user_id"] = _user_ids(frame, participants[0] if participants else None)
    _add_meeting(frame, _summary(rows), options)
    check_left_not_before_joined(frame, options.timezone, "Join Time", "Leave Time")
    result = attendance_frame(frame)
    result.attrs["source_columns"] = list(header)
    return result


def _reject_legacy(rows: list[tuple[int, list[str]]]) -> None:
    for line, row in rows:
        lowered = {c.lower() for c in row}
        if {"full name", "user action"} <= lowered:
            raise DeliveryRejected(
                f"row {line}: this is the legacy Teams attendee list (Full Name, User Action, Timestamp); "
                "it has no meeting title, end time or e-mail addresses. Download the attendance report "
                "from the meeting's Attendance tab instead"
            )


def _is_section_title(row: list[str]) -> bool:
    cells = [c for c in row if c]
    return len(cells) == 1 and bool(SECTION_TITLE.match(cells[0]))


def _table_kind(row: list[str]) -> str | None:
    """'segments' (Join/Leave Time), 'participants' (First Join/Last Leave) or None for other rows."""
    lowered = {c.lower() for c in row}
    if not lowered & set(NAME_COLUMNS):
        return None
    if {"join time", "leave time"} <= lowered:
        return "segments"
    if {"first join", "last leave"} <= lowered:
        return "participants"
    return None


def _tables(rows: list[tuple[int, list[str]]]) -> dict[str, list[tuple[int, list[str], list]]]:
    """Each table of the report by kind: (header line, header, data rows), in file order."""
    tables: dict[str, list] = {}
    for index, (line, row) in enumerate(rows):
        kind = _table_kind(row)
        if kind is None:
            continue
        rest = rows[index + 1:]
        # A table ends at the next section title, a blank line, or another kind of table.
        end = next((i for i, (at, r) in enumerate(rest) if _is_section_title(r) or
                    (_table_kind(r) not in (None, kind)) or at != line + i + 1), len(rest))
        body = table_body(rest[:end], line, row)
        tables.setdefault(kind, []).append((line, row, body))
    return tables


def _summary(rows: list[tuple[int, list[str]]]) -> dict[str, tuple[int, str]]:
    """Summary label/value pairs before the first table, as {field: (line, value)}."""
    summary: dict[str, tuple[int, str]] = {}
    for line, row in rows:
        if _table_kind(row) is not None:
            break
        key = SUMMARY_KEYS.get(row[0].lower().rstrip(":")) if row else None
        if key and key not in summary:
            summary[key] = (line, next((c for c in row[1:] if c), ""))
    return summary


def _rows_frame(header: list[str], body: list[tuple[int, list[str]]], options: ParseOptions) -> pd.DataFrame:
    lowered = [c.lower() for c in header]

    def column(*names: str) -> pd.Series:
        at = next((lowered.index(n) for n in names if n in lowered), None)
        cells = [row[at] if at is not None and at < len(row) else "" for _, row in body]
        return pd.Series(cells, dtype="string").replace("", pd.NA)

    lines = pd.Series([line for line, _ in body], dtype="int64")
    names = column(*NAME_COLUMNS)
    roles = column("role").str.lower()
    return pd.DataFrame({
        "line_number": lines,
        "name": names,
        "display_name": names,
        "email": column("email"),
        "upn": column("participant id (upn)"),
        "role": roles.map(lambda r: ROLES.get(r, r), na_action="ignore").astype("string"),
        "status": "attended",
        "is_guest": names.str.contains(GUEST_SUFFIX, na=False).map({True: "true", False: pd.NA}).astype("string"),
        "joined_at": to_iso(_drop_comma(column("join time", "first join")), options.date_order,
                            label="Join Time", rows=lines),
        "left_at": to_iso(_drop_comma(column("leave time", "last leave")), options.date_order,
                          label="Leave Time", rows=lines),
    })


def _drop_comma(values: pd.Series) -> pd.Series:
    """'3/12/25, 2:00:05 PM' -> '3/12/25 2:00:05 PM' (Teams separates date and time with a comma)."""
    return values.str.replace(r"^(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}),\s*", r"\1 ", regex=True)


def _user_ids(frame: pd.DataFrame, participants: tuple | None) -> pd.Series:
    """The Teams id of each row: its UPN, else the UPN section 2 gives the same e-mail or name."""
    by_email: dict[str, str] = {}
    by_name: dict[str, str] = {}
    if participants is not None:
        header = [c.lower() for c in participants[1]]
        if "participant id (upn)" in header:
            upn_at = header.index("participant id (upn)")
            email_at = header.index("email") if "email" in header else None
            name_at = next((header.index(n) for n in NAME_COLUMNS if n in header), None)
            for _, row in participants[2]:
                upn = row[upn_at] if upn_at < len(row) else ""
                if not upn:
                    continue
                if email_at is not None and email_at < len(row) and row[email_at]:
                    by_email.setdefault(row[email_at].lower(), upn)
                if name_at is not None and name_at < len(row) and row[name_at]:
                    by_name.setdefault(row[name_at], upn)
    looked_up = frame["email"].str.lower().map(by_email).astype("string")
    looked_up = looked_up.fillna(frame["name"].map(by_name).astype("string"))
    return frame["upn"].fillna(looked_up).fillna(frame["email"]).fillna(frame["name"])


def _add_meeting(frame: pd.DataFrame, summary: dict[str, tuple[int, str]], options: ParseOptions) -> None:
    """Meeting title, start, end and the derived id, from the summary section."""
    if "start" not in summary or not summary["start"][1]:
        raise DeliveryRejected(
            "the report has no Start time in its summary ('1. Summary'); download the full attendance "
            "report from the meeting's Attendance tab"
        )
    line, start_text = summary["start"]
    start = _one_time(start_text, "Start time", line, options)
    end = pd.NA
    if "end" in summary and summary["end"][1]:
        end = _one_time(summary["end"][1], "End time", summary["end"][0], options)
    elif "duration" in summary:
        end = _add_duration(start, summary["duration"][1])
    title = summary.get("title", (0, ""))[1] or pd.NA
    frame["meeting_title"] = title
    frame["meeting_start"] = start
    frame["meeting_end"] = end
    frame["meeting_id"] = derived_meeting_id("teams", title, start)


def _one_time(text: str, label: str, line: int, options: ParseOptions):
    return to_iso(_drop_comma(pd.Series([text], dtype="string")), options.date_order,
                  label=label, rows=pd.Series([line]))[0]


def parse_duration(text: str) -> timedelta | None:
    """'1h 5m 3s' -> 1:05:03; '52m 10s', '45s', '2h' also; None when not a Teams duration."""
    match = DURATION.match(text or "")
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _add_duration(start_iso, duration_text: str):
    """Start + Meeting duration as ISO text; missing when either cannot be read."""
    try:
        duration = parse_duration(duration_text)
        start = datetime.fromisoformat(str(start_iso))
        return pd.NA if duration is None else (start + duration).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        return pd.NA
