"""Zoom meetings pulled from the Reports API (``attendance/zoom/*.json``) to generic attendance rows.

netpulse's Zoom pull lands one file per meeting instance, the API's own answers in an envelope::

    {"netpulse_pull": {"api": "zoom", "format": 1},
     "meeting": {"uuid": "...", "id": 81234567890, "topic": "Network call",
                 "user_email": "host@x.org", "start_time": "2025-03-12T14:00:00Z",
                 "end_time": "2025-03-12T15:00:00Z", ...},
     "participants_pages": [{"page_count": 1, "total_records": 3,
                             "participants": [{"id": "...", "name": "Ann Lee",
                                               "user_email": "ann@x.org",
                                               "join_time": "2025-03-12T14:00:05Z",
                                               "leave_time": "2025-03-12T14:31:00Z",
                                               "status": "in_meeting", ...}, ...]}, ...]}

``meeting`` is one element of ``meetings`` of ``GET /v2/report/users/{userId}/meetings``; each
page is a response body of ``GET /v2/report/meetings/{meetingUUID}/participants``, in order.

Rows are those the CSV parser (``zoom.py``) makes of the participant report of the same meeting:
one per participant entry (a join segment, so a rejoin is a second row), status ``attended``.
Entries whose ``status`` is ``in_waiting_room`` were never admitted and are left out.

- ``meeting_id`` is the meeting's numeric ``id`` with its start in UTC, ``<id>-<YYYYMMDDHHMM>``
  ("81234567890-202503121800"): every instance of a recurring meeting shares the numeric id (the
  Meeting ID a CSV report writes), and each instance is a meeting of its own, with its own
  attendances. The CSV report's id is the numeric id alone, so a meeting both pulled and exported
  by hand is counted twice: pull a host's meetings or export them, not both.
- ``meeting_title`` = ``topic``; ``meeting_start``/``meeting_end`` = ``start_time``/``end_time``.
- ``joined_at``/``left_at`` = ``join_time``/``leave_time``. All times are kept as the API writes
  them, ISO 8601 in UTC with their ``Z`` (the network's time zone does not apply to them).
- ``role``: ``host`` for entries whose ``user_email`` is the meeting's ``user_email`` (the
  host's; compared without regard to case), else ``attendee``.
- ``name``, ``display_name``, ``source_user_id``: the entry's ``name``, read as the CSV's
  ``Name (Original Name)`` is (a bracketed original name wins). ``email`` = ``user_email``
  (blank is missing). ``is_guest`` is left unknown: the Reports API does not say.
- ``line_number``: the entry's place among all participant entries of the file, counted from 1
  over the pages in order (waiting-room entries count, so a number always finds its entry).
- ``frame.attrs["source_columns"]``: the participant field names, in first-seen order.

Rejected, naming what is wrong: a file that is not JSON or not this envelope (another API's,
another format number), without the meeting's id or times, without participant entries, or with
an entry whose times are missing, not ISO 8601 with a UTC offset, or leave before join
("participant 3: leave_time before join_time").

The helpers ``is_pulled_file``, ``read_pulled`` and ``utc_time`` are shared with the Teams pulled-file parser.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.attendance_rows import attendance_frame
from netpulse.ingest.vendors.pulled_files import PULL_AGAIN, pages, read_pulled, text, utc_time
from netpulse.ingest.vendors.zoom import normalise_meeting_id, original_name

API = "zoom"
WAITING_ROOM = "in_waiting_room"


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic attendance format from one pulled Zoom meeting (see the module docstring)."""
    document = read_pulled(content, API, ("meeting", "participants_pages"))
    meeting = _object(document, "meeting", "the envelope")
    start = utc_time(meeting.get("start_time"), "the meeting", "start_time")
    meeting_id = f"{_meeting_id(meeting.get('id'))}-{re.sub(r'[^0-9]', '', start)[:12]}"
    end = utc_time(meeting.get("end_time"), "the meeting", "end_time")
    if datetime.fromisoformat(end) < datetime.fromisoformat(start):
        raise DeliveryRejected(f"the meeting: end_time before start_time ({end} is before {start}); {PULL_AGAIN}")
    host_email = text(meeting.get("user_email")).lower()

    rows, columns, number = [], [], 0
    for page_number, page in enumerate(pages(document, "participants_pages", "participants"), start=1):
        for entry in page["participants"]:
            number += 1
            where = f"participant {number}"
            if not isinstance(entry, dict):
                raise DeliveryRejected(f"{where} (page {page_number}) is not an object; {PULL_AGAIN}")
            columns += [key for key in entry if key not in columns]
            if text(entry.get("status")).lower() == WAITING_ROOM:
                continue  # waiting in the waiting room is not attending
            joined = utc_time(entry.get("join_time"), where, "join_time")
            left = utc_time(entry.get("leave_time"), where, "leave_time")
            if datetime.fromisoformat(left) < datetime.fromisoformat(joined):
                raise DeliveryRejected(f"{where}: leave_time before join_time ({left} is before {joined})")
            name = text(entry.get("name"))
            name = original_name(name) if name else ""
            email = text(entry.get("user_email"))
            rows.append({
                "line_number": number,
                "meeting_id": meeting_id,
                "meeting_title": text(meeting.get("topic")),
                "meeting_start": start,
                "meeting_end": end,
                "email": email,
                "name": name,
                "display_name": name,
                "source_user_id": name,
                "joined_at": joined,
                "left_at": left,
                "role": "host" if host_email and email.lower() == host_email else "attendee",
                "status": "attended",
            })
    if number == 0:
        raise DeliveryRejected(
            f"meeting {meeting_id}: the file holds no participant entries (the pages are empty); {PULL_AGAIN}")
    frame = pd.DataFrame(rows, columns=["line_number", "meeting_id", "meeting_title", "meeting_start",
                                        "meeting_end", "email", "name", "display_name", "source_user_id",
                                        "joined_at", "left_at", "role", "status"])
    frame["line_number"] = frame["line_number"].astype("int64")
    result = attendance_frame(frame)
    result.attrs["source_columns"] = columns
    return result


def _object(document: dict, member: str, where: str) -> dict:
    value = document.get(member)
    if not isinstance(value, dict):
        raise DeliveryRejected(f"{where}: {member!r} is not an object; {PULL_AGAIN}")
    return value


def _meeting_id(value: object) -> str:
    """The numeric meeting id as text, as the CSV report writes it without its spaces."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DeliveryRejected(f"the meeting has no numeric id ({value!r}); {PULL_AGAIN}")
    cleaned = normalise_meeting_id(value)
    if cleaned is pd.NA or not str(cleaned).isdigit():
        raise DeliveryRejected(f"the meeting has no numeric id ({value!r}); {PULL_AGAIN}")
    return str(cleaned)
