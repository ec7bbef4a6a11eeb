"""Face-to-face sign-in sheets (XLSX or CSV) to generic attendance rows.

There is no vendor standard, so netpulse defines one layout, with some tolerance::

    Meeting:   | Spring network day          <- optional label rows above the table
    Date:      | 12/03/2025                     (labels case-insensitive, ':' optional)
    Start:     | 10:00
    End:       | 16:00
               |
    Name       | Email         | Organisation | Status     | Signed in at
    Ann Lee    | ann@x.org     | Trust A      | attended   | 10:05
    Bob Shah   | bob@x.org     | Trust B      | registered |
    Cy Dunn    | cy@x.org      |              | walk-in    |

- The table's header is the first row with a ``Name`` and an ``Email`` column (also
  ``Full name``, ``E-mail``, ``Email address``); rows equal to it further down are skipped,
  unknown columns (``Organisation`` included: it belongs to the roster) are ignored.
- The meeting is described by label rows above the table - ``Meeting:`` (or ``Title:``),
  ``Meeting ID:``, ``Date:``, ``Start:``, ``End:`` - or by columns of the same names
  (``Meeting title``, ``Meeting ID``, ``Meeting date``/``Date``, ``Start``, ``End``), which
  win row by row, so one sheet can hold several meetings. ``Start``/``End`` are a time of day
  (with ``Date``) or a full date and time. Without a ``Meeting ID`` the id is derived like
  Teams': ``signin-<YYYYMMDDHHMM of start>-<slug of title>``.
- Status: a ``Status`` column with registered, attended (or present) or walk-in (also
  "walk in", "walkin"); or an ``Attended`` column with Yes/No (Yes -> attended, No or
  blank -> registered); with neither, every row attended. Registrations are kept apart
  from attendance: registered rows have no joined_at/left_at. Attended and walk-in rows
  join at ``Signed in at`` (optional; a time of day or date and time) else the meeting
  start, and leave at ``Signed out at`` (optional) else the meeting end.
- ``Role`` (optional) is passed on in lower case; blank means attendee.

XLSX: the workbook's active sheet is read with openpyxl (read-only, cached formula values);
date and time cells arrive as datetime objects and are converted directly, text dates use
``options.date_order``. CSV: any of the encodings and delimiters the other parsers accept.
``line_number`` is the sheet row (XLSX) or CSV record.

Rejected: no table header, an empty table, a meeting without a start or without a title
or id, an attended row with no end time, an unknown status, unparseable dates, a sign-out
before its sign-in, a damaged workbook or a row cut short. Known limits: no vendor
identity, so a row without an e-mail fails validation (a handwritten name is not an
identity); only the active sheet is read.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

import openpyxl
import pandas as pd

from netpulse.config.settings import InputLimits
from netpulse.errors import DeliveryRejected
from netpulse.ingest.archives import check_workbook
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.attendance_rows import (
    attendance_frame,
    check_left_not_before_joined,
    derived_meeting_id,
    read_rows,
)
from netpulse.ingest.vendors.common import decode_text, to_iso

Cell = str | datetime | date | time

LABELS = {"meeting": "title", "meeting title": "title", "title": "title", "meeting id": "meeting_id",
          "date": "date", "meeting date": "date", "start": "start", "start time": "start",
          "end": "end", "end time": "end"}
COLUMNS = {
    "name": ("name", "full name"),
    "email": ("email", "e-mail", "email address", "e-mail address"),
    "status": ("status",),
    "attended": ("attended",),
    "signed_in": ("signed in at", "signed in", "time in"),
    "signed_out": ("signed out at", "signed out", "time out"),
    "role": ("role",),
    "meeting_id": ("meeting id",),
    "title": ("meeting title", "meeting"),
    "date": ("meeting date", "date"),
    "start": ("start", "start time", "meeting start"),
    "end": ("end", "end time", "meeting end"),
}
STATUSES = {"registered": "registered", "attended": "attended", "present": "attended",
            "walk-in": "walk-in", "walk in": "walk-in", "walkin": "walk-in"}
YES, NO = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOCK = re.compile(r"^\d{2}:\d{2}:\d{2}$")  # what _moments writes for a time of day alone
TIME_OF_DAY = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([ap])?\.?m?\.?$", re.IGNORECASE)


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic attendance format from one sign-in sheet."""
    rows = _rows(content, options.limits)
    header_at = next((i for i, (_, row) in enumerate(rows) if _is_header(row)), None)
    if header_at is None:
        raise DeliveryRejected("no sign-in table found: the sheet needs a header row with Name and Email columns")
    header_line, header = rows[header_at]
    block = _label_block(rows[:header_at])
    columns = _columns(header)
    body = _body(rows[header_at + 1:], header, columns)
    if not body:
        raise DeliveryRejected(f"the sign-in table (header on row {header_line}) has no rows")
    frame = _frame(body, columns, block, options)
    check_left_not_before_joined(frame, options.timezone, "Signed in at", "Signed out at")
    return attendance_frame(frame)


# --- Reading the sheet ---------------------------------------------------------------------

def _rows(content: bytes, limits: InputLimits) -> list[tuple[int, list[Cell]]]:
    """Non-blank rows with their sheet row / CSV record number, cells as text or date/time objects."""
    if content.startswith(b"PK\x03\x04"):
        check_workbook(content, limits)
        raw = _xlsx_rows(content)
    else:
        raw = enumerate(read_rows(decode_text(content)), start=1)
    rows = [(line, [_cell(v) for v in row]) for line, row in raw]
    return [(line, row) for line, row in rows if any(c != "" for c in row)]


def _xlsx_rows(content: bytes) -> list[tuple[int, tuple]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.active if hasattr(workbook.active, "iter_rows") else workbook.worksheets[0]
            rows = list(enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
        finally:
            workbook.close()
    except Exception as exc:  # a damaged zip or XML surfaces as many exception types
        raise DeliveryRejected(
            f"the workbook cannot be read ({type(exc).__name__}): it is damaged, truncated or not an "
            ".xlsx file; save it again as .xlsx or CSV"
        ) from None
    return rows


def _cell(value) -> Cell:
    """A cell as stripped text, or the date/time object openpyxl gives for date cells."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date, time)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(cell: Cell) -> str:
    return cell.lower() if isinstance(cell, str) else ""


def _is_header(row: list[Cell]) -> bool:
    cells = {_text(c) for c in row}
    return bool(cells & set(COLUMNS["name"])) and bool(cells & set(COLUMNS["email"]))


def _label_block(rows: list[tuple[int, list[Cell]]]) -> dict[str, tuple[int, Cell]]:
    """The 'Label: value' rows above the table, as {field: (line, value)}."""
    block: dict[str, tuple[int, Cell]] = {}
    for line, row in rows:
        cells = [c for c in row if c != ""]
        key = LABELS.get(_text(cells[0]).rstrip(":").strip()) if cells else None
        if key and len(cells) > 1 and key not in block:
            block[key] = (line, cells[1])
    return block


def _columns(header: list[Cell]) -> dict[str, int | None]:
    lowered = [_text(c) for c in header]
    return {key: next((lowered.index(n) for n in names if n in lowered), None) for key, names in COLUMNS.items()}


def _body(rows: list[tuple[int, list[Cell]]], header: list[Cell], columns: dict) -> list[tuple[int, list[Cell]]]:
    """Data rows: repeated headers skipped; a row too short to reach Name and Email is cut short."""
    needed = max(columns["name"], columns["email"]) + 1
    header_text = [_text(c) for c in header if c != ""]
    body = []
    for line, row in rows:
        if [_text(c) for c in row if c != ""] == header_text:
            continue
        if len(row) < needed:
            raise DeliveryRejected(f"row {line}: only {len(row)} cells, the table has {needed} or more; "
                                   "the file looks truncated or damaged, save it again")
        body.append((line, row))
    return body


# --- Building the rows ---------------------------------------------------------------------

def _frame(body: list, columns: dict, block: dict, options: ParseOptions) -> pd.DataFrame:
    lines = [line for line, _ in body]

    def value(key: str) -> tuple[list[Cell], list[int]]:
        """Per row: its own cell in the column when given, else the label block's value (and its line)."""
        at = columns.get(key)
        block_line, default = block.get(key, (0, ""))
        own = [at is not None and at < len(row) and row[at] != "" for _, row in body]
        cells = [row[at] if mine else default for mine, (_, row) in zip(own, body, strict=True)]
        return cells, [line if mine else block_line for mine, line in zip(own, lines, strict=True)]

    def moments(key: str, label: str) -> list:
        cells, where = value(key)
        return _moments(cells, where, label, options.date_order)

    def on_meeting_day(key: str, label: str) -> list:
        return [_on_day(s, t) for s, t in zip(start, moments(key, label), strict=True)]

    dates, starts = moments("date", "Date"), moments("start", "Start")
    start = [_meeting_start(d, s, line) for d, s, line in zip(dates, starts, lines, strict=True)]
    end = on_meeting_day("end", "End")
    status = _statuses(body, columns)
    rows = zip(lines, status, on_meeting_day("signed_in", "Signed in at"),
               on_meeting_day("signed_out", "Signed out at"), start, end, strict=True)
    joined, left = [], []
    for line, state, first, last, meeting_start, meeting_end in rows:
        if state == "registered":  # a registration, not attendance: no times
            joined.append(pd.NA)
            left.append(pd.NA)
            continue
        if last is pd.NA and meeting_end is pd.NA:
            raise DeliveryRejected(f"row {line}: {state}, but the sheet gives no meeting End and no "
                                   "Signed out at time; add an 'End:' row above the table")
        joined.append(meeting_start if first is pd.NA else first)
        left.append(meeting_end if last is pd.NA else last)
    titles = [t if isinstance(t, str) and t else pd.NA for t in value("title")[0]]
    ids = [_meeting_id(i, t, s, line)
           for i, t, s, line in zip(value("meeting_id")[0], titles, start, lines, strict=True)]
    return pd.DataFrame({
        "line_number": lines, "meeting_id": ids, "meeting_title": titles, "meeting_start": start,
        "meeting_end": end, "email": [_as_text(c) for c in value("email")[0]],
        "name": [_as_text(c) for c in value("name")[0]], "joined_at": joined, "left_at": left,
        "role": [_text(c) or "attendee" for c in value("role")[0]], "status": status,
    }, dtype="object").astype({"line_number": "int64"})


def _as_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell.isoformat()


def _moments(cells: list[Cell], lines: list[int], label: str, date_order: str) -> list:
    """Each cell as ISO date-time text, 'HH:MM:SS' when it is only a time of day, or pd.NA."""
    result: list = [pd.NA] * len(cells)
    texts: dict[int, str] = {}
    for i, cell in enumerate(cells):
        if isinstance(cell, datetime):
            result[i] = cell.replace(tzinfo=None).isoformat(timespec="seconds")
        elif isinstance(cell, date):
            result[i] = cell.isoformat() + "T00:00:00"
        elif isinstance(cell, time):
            result[i] = cell.replace(tzinfo=None).isoformat(timespec="seconds")
        elif TIME_OF_DAY.match(cell):
            result[i] = _time_of_day(cell, label, lines[i])
        elif cell:
            texts[i] = cell
    if texts:
        converted = to_iso(pd.Series(texts, dtype="string"), date_order, label=label,
                           rows=pd.Series({i: lines[i] for i in texts}))
        for i, iso in converted.items():
            result[i] = iso + "T00:00:00" if ISO_DATE.match(iso) else iso  # '2025-03-12' is a day
    return result


def _time_of_day(text: str, label: str, line: int) -> str:
    """'14:05', '2.05 pm', '9:30:15' -> 'HH:MM:SS'."""
    hours, minutes, seconds, half = TIME_OF_DAY.match(text).groups()
    hour, minute, second = int(hours), int(minutes), int(seconds or 0)
    if (half and not 1 <= hour <= 12) or hour > 23 or minute > 59 or second > 59:
        raise DeliveryRejected(f"row {line}: {label} {text!r} is not a time of day")
    if half:
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    return f"{hour:02d}:{minute:02d}:{second:02d}"


def _is_time_only(moment) -> bool:
    return isinstance(moment, str) and bool(CLOCK.match(moment))


def _meeting_start(day, start, line: int):
    """The meeting's start: Start on Date, a full Start, or a Date that carries its own time."""
    if _is_time_only(day):
        raise DeliveryRejected(f"row {line}: Date {day} is a time of day, not a date")
    if start is pd.NA and day is not pd.NA and not day.endswith("T00:00:00"):
        return day
    if start is pd.NA:
        raise DeliveryRejected(f"row {line}: the meeting has no start; give 'Date:' and 'Start:' rows above "
                               "the table, or Meeting date and Start columns")
    if _is_time_only(start):
        if day is pd.NA:
            raise DeliveryRejected(f"row {line}: Start {start} is a time of day but the sheet gives no Date")
        return f"{day[:10]}T{start}"
    return start


def _on_day(start: str, moment):
    """A time of day placed on the meeting's day; a full date-time as it is."""
    if moment is pd.NA or not _is_time_only(moment):
        return moment
    return f"{start[:10]}T{moment}"


def _statuses(body: list, columns: dict) -> list[str]:
    """Status per row from Status, else Attended (Yes/No), else attended."""
    result = []
    for (line, row) in body:
        status_at, attended_at = columns["status"], columns["attended"]
        status = _text(row[status_at]) if status_at is not None and status_at < len(row) else ""
        attended = _text(row[attended_at]) if attended_at is not None and attended_at < len(row) else ""
        if status:
            if status not in STATUSES:
                raise DeliveryRejected(f"row {line}: Status {status!r} is not registered, attended or walk-in")
            result.append(STATUSES[status])
        elif attended_at is not None:
            if attended not in YES | NO:
                raise DeliveryRejected(f"row {line}: Attended {attended!r} is not Yes or No")
            result.append("attended" if attended in YES else "registered")
        else:
            result.append("attended")
    return result


def _meeting_id(given: Cell, title, start: str, line: int) -> str:
    given_text = re.sub(r"\s+", "", given) if isinstance(given, str) else str(given)
    if given_text:
        return given_text
    if title is pd.NA:
        raise DeliveryRejected(f"row {line}: the sheet names no meeting; add a 'Meeting:' row above the "
                               "table or a Meeting title column")
    return derived_meeting_id("signin", title, start)
