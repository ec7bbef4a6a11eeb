"""Zoom participant reports (Reports > Usage > Participants > Export) to generic attendance rows.

Layouts supported (all comma-separated CSV as Zoom writes it; semicolon or tab after a
re-save in Excel, in UTF-8 with or without BOM, UTF-16 or Windows-1252):

1. "Export with meeting data" ticked: a meeting-details block, a blank line (Zoom writes
   it as ``,,,,,,`` in some versions), then the participant table::

       Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants
       812 3456 7890,Network call,03/12/2025 02:00:00 PM,03/12/2025 03:00:00 PM,host@x.org,60,3

       Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest
       Ann Lee,ann@x.org,03/12/2025 02:00:05 PM,03/12/2025 02:31:00 PM,31,No

   Newer accounts write a longer details header (``Topic,Meeting ID,User Name,User Email,
   Department,Group,Has Zoom Rooms,Creation Time,Start Time,End Time,...``) and more
   participant columns (``Recording Consent``, ``In Waiting Room``, ...): columns are
   found by name, case-insensitively, and unknown ones are ignored.
2. One flat table that carries the meeting columns on every row (``Topic,Meeting ID,...,
   Name (Original Name),User Email,Join Time,...``): columns left of the name column
   describe the meeting, the rest the participant.
3. "Show unique users": one row per person (Join Time = first join, Leave Time = last
   leave); it is read exactly like the per-segment report.

Rows: one per join segment, so a member who drops and rejoins has several rows; status is
always ``attended``. The host is the details block's ``User Email`` (Zoom marks no role in
the participant table): rows with that e-mail get role ``host``, all others ``attendee``.
``Name (Original Name)``: Zoom appends the original name in brackets when a participant
renamed themselves ("Loki (Loki Laufeyson)"); the original name is the more stable one, so
it becomes ``name``, ``display_name`` and ``source_user_id``. ``Guest`` Yes/No becomes
``is_guest``. A blank ``User Email`` stays missing (the Zoom name identifies the row).
Meeting IDs are written with spaces ("812 3456 7890"); they are removed.

Decision: a report without the details block and without a ``Meeting ID`` column (the
plain participant export) is one meeting named by its file: meeting id ``zoom-<file name>``,
title the file name, start and end the earliest join and latest leave. Name such files by
meeting (``2025-03-12-qi-call.csv``); a re-export of the same meeting must keep its name.
With no file name given, such a report is rejected, asking for "Export with meeting data".
In layout 2 ``Start Time`` and ``End Time`` give the meeting's times when present, else the earliest join and the latest
leave of that meeting's rows stand in.

Times are the account's local time ("03/12/2025 02:00:00 PM" in US accounts); the day/month
order is ``options.date_order``, never guessed; they stay local ISO text (the loader applies
the network's time zone, including across daylight-saving changes).

Pulled files: a ``.json`` file (by its name, or by its first character when no name is given)
is a meeting netpulse's Zoom pull landed from the Reports API; it is read by ``zoom_api``.

Known limits: localised headers ("Nome (nome originale)") are not recognised; a real name
that ends in brackets ("Paul (Wings)") is read as a renamed participant; the older unique-
users export with only ``Total Duration (Minutes)`` (no join and leave times) is rejected;
line numbers count CSV records, so they drift after a cell that spans several lines.

"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.attendance_rows import (
    attendance_frame,
    check_left_not_before_joined,
    numbered_rows,
    read_rows,
    table_body,
)
from netpulse.ingest.vendors.common import decode_text, to_iso
from netpulse.ingest.vendors.pulled_files import is_pulled_file

NAME_HEADERS = ("name (original name)", "name")
ORIGINAL_NAME = re.compile(r"^(?P<current>.*?\S)\s*\((?P<original>[^()]*\S[^()]*)\)$")


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic attendance format from one Zoom participant report (or pulled ``.json`` file)."""
    from netpulse.ingest.vendors import zoom_api  # here, not above: zoom_api imports this module

    if is_pulled_file(content, options):
        return zoom_api.parse(content, options)
    rows = numbered_rows(read_rows(decode_text(content)))
    if not rows:
        raise DeliveryRejected("the file is empty: export the participant report again")
    details, rest = _meeting_details(rows, options)
    header_line, header = _participant_header(rest)
    columns = _participant_columns(header)
    body = table_body(rest, header_line, header)
    if not body:
        raise DeliveryRejected(f"the participant table (header on row {header_line}) has no rows")
    frame = _participant_frame(body, columns, options)
    if details is not None:
        for key in ("meeting_id", "meeting_title", "meeting_start", "meeting_end"):
            frame[key] = details[key]
        host_email = details["host_email"]
    else:
        host_email = _meeting_from_columns(frame, body, columns, options)
    frame["role"] = "attendee"
    if host_email:
        frame.loc[frame["email"].str.lower().eq(host_email.lower()).fillna(False), "role"] = "host"
    frame["status"] = "attended"
    check_left_not_before_joined(frame, options.timezone, "Join Time", "Leave Time")
    result = attendance_frame(frame)
    result.attrs["source_columns"] = list(header)
    return result


def _meeting_details(rows: list[tuple[int, list[str]]], options: ParseOptions) -> tuple[dict | None, list]:
    """The meeting-details block (header row + one value row) and the rows after it, if present."""
    first_line, first = rows[0]
    lowered = [c.lower() for c in first]
    if "meeting id" not in lowered or "join time" in lowered:
        return None, rows
    if len(rows) < 2 or _is_participant_header(rows[1][1]):
        raise DeliveryRejected(f"row {first_line}: the meeting details block has a header but no values; "
                               "export the report again")
    value_line, values = rows[1]
    cell = _cell_reader(lowered, values)
    start, end = (to_iso(pd.Series([cell(label)]), options.date_order, label=label.title(),
                         rows=pd.Series([value_line]))[0] for label in ("start time", "end time"))
    details = {
        "meeting_id": normalise_meeting_id(cell("meeting id")),
        "meeting_title": cell("topic") or pd.NA,
        "meeting_start": start,
        "meeting_end": end,
        "host_email": cell("user email"),
    }
    if details["meeting_id"] is pd.NA:
        raise DeliveryRejected(f"row {value_line}: the meeting details block has no Meeting ID")
    return details, rows[2:]


def _cell_reader(header: list[str], values: list[str]):
    """A lookup of one row's cell by (lower-case) column name; '' when absent."""
    def cell(name: str) -> str:
        if name in header and header.index(name) < len(values):
            return values[header.index(name)]
        return ""
    return cell


def _is_participant_header(row: list[str]) -> bool:
    lowered = [c.lower() for c in row]
    return any(c in NAME_HEADERS or c.startswith("name (") for c in lowered)


def _participant_header(rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    for line, row in rows:
        if _is_participant_header(row):
            return line, row
    raise DeliveryRejected(
        "no participant table found: expected a header row with Name (Original Name), User Email, "
        "Join Time and Leave Time; export the participant report from Reports > Usage"
    )


def _participant_columns(header: list[str]) -> dict[str, int | None]:
    """Where each column the parser reads sits; the name column splits meeting from participant columns."""
    lowered = [c.lower() for c in header]
    name_at = next(i for i, c in enumerate(lowered) if c in NAME_HEADERS or c.startswith("name ("))
    person, meeting = lowered[name_at:], lowered[:name_at]

    def find(names: tuple[str, ...], part: list[str], offset: int) -> int | None:
        return next((i + offset for i, c in enumerate(part) if c in names), None)

    columns = {
        "name": name_at,
        "email": find(("user email", "email"), person, name_at),
        "join": find(("join time",), person, name_at),
        "leave": find(("leave time",), person, name_at),
        "guest": find(("guest",), person, name_at),
        "meeting_id": find(("meeting id",), meeting, 0),
        "topic": find(("topic",), meeting, 0),
        "start": find(("start time",), meeting, 0),
        "end": find(("end time",), meeting, 0),
        "host_email": find(("user email",), meeting, 0),
    }
    missing = [label for key, label in (("join", "Join Time"), ("leave", "Leave Time")) if columns[key] is None]
    if missing:
        raise DeliveryRejected(
            f"the participant table lacks column(s) {', '.join(missing)}; export the participant report "
            "again (the unique-users export without join and leave times cannot be loaded)"
        )
    return columns


def _column(body: list[tuple[int, list[str]]], at: int | None) -> pd.Series:
    """One column of the table body as text; blank (or absent) cells missing."""
    cells = [row[at] if at is not None and at < len(row) else "" for _, row in body]
    return pd.Series(cells, dtype="string").replace("", pd.NA)


def _participant_frame(body: list[tuple[int, list[str]]], columns: dict, options: ParseOptions) -> pd.DataFrame:
    def column(key: str) -> pd.Series:
        return _column(body, columns[key])

    lines = pd.Series([line for line, _ in body], dtype="int64")
    names = column("name").map(original_name, na_action="ignore").astype("string")
    return pd.DataFrame({
        "line_number": lines,
        "email": column("email"),
        "name": names,
        "display_name": names,
        "source_user_id": names,
        "is_guest": column("guest").str.lower().map({"yes": "true", "no": "false"}).astype("string"),
        "joined_at": to_iso(column("join"), options.date_order, label="Join Time", rows=lines),
        "left_at": to_iso(column("leave"), options.date_order, label="Leave Time", rows=lines),
    })


def _meeting_from_columns(frame: pd.DataFrame, body: list, columns: dict, options: ParseOptions) -> str:
    """Meeting fields from a flat table's own columns (no details block); returns the host's e-mail."""
    def column(key: str) -> pd.Series:
        return _column(body, columns[key])

    if columns["meeting_id"] is not None:
        frame["meeting_id"] = column("meeting_id").map(normalise_meeting_id, na_action="ignore").astype("string")
        frame["meeting_title"] = column("topic")
    elif options.file_name:
        # Exported without meeting data: the file is one meeting, named by its file.
        stem = Path(options.file_name).stem
        frame["meeting_id"] = "zoom-" + re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
        frame["meeting_title"] = stem
    else:
        raise DeliveryRejected(
            "the report has no meeting details block: export it with 'Export with meeting data' ticked"
        )
    meeting = frame["meeting_id"].fillna("")
    stand_ins = (("start", "Start Time", "joined_at", "min"), ("end", "End Time", "left_at", "max"))
    for key, label, fallback, pick in stand_ins:
        if columns[key] is not None:
            frame[f"meeting_{key}"] = to_iso(column(key), options.date_order, label=label, rows=frame["line_number"])
        else:  # earliest join / latest leave of the meeting's own rows stands in
            frame[f"meeting_{key}"] = frame[fallback].groupby(meeting).transform(pick).astype("string")
    hosts = column("host_email").dropna()
    return hosts.iloc[0] if len(hosts) else ""


def original_name(name: str) -> str:
    """'Loki (Loki Laufeyson)' -> 'Loki Laufeyson': Zoom brackets the original name after a rename."""
    match = ORIGINAL_NAME.match(name)
    return match["original"].strip() if match else name


def normalise_meeting_id(value):
    """'812 3456 7890' -> '81234567890'; blank -> pd.NA."""
    if value is None or value is pd.NA:
        return pd.NA
    cleaned = re.sub(r"\s+", "", str(value))
    return cleaned or pd.NA
