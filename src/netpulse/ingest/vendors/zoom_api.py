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

import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.attendance_rows import attendance_frame
from netpulse.ingest.vendors.common import decode_text
from netpulse.ingest.vendors.zoom import normalise_meeting_id, original_name

API = "zoom"
FORMAT_VERSION = 1
WAITING_ROOM = "in_waiting_room"
PULL_AGAIN = "let netpulse's pull land it again (do not edit pulled files)"
# ISO 8601 extended format with a time of day and a UTC offset, as the vendors' APIs write times.
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$")


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic attendance format from one pulled Zoom meeting (see the module docstring)."""
    document = read_pulled(content, API, ("meeting", "participants_pages"))
    meeting = _object(document, "meeting", "the envelope")
    start_utc = utc_time(meeting.get("start_time"), "the meeting", "start_time")
    meeting_id = f"{_meeting_id(meeting.get('id'))}-{re.sub(r'[^0-9]', '', start_utc)[:12]}"
    start = utc_time(meeting.get("start_time"), "the meeting", "start_time")
    end = utc_time(meeting.get("end_time"), "the meeting", "end_time")
    if datetime.fromisoformat(end) < datetime.fromisoformat(start):
        raise DeliveryRejected(f"the meeting: end_time before start_time ({end} is before {start}); {PULL_AGAIN}")
    host_email = _text(meeting.get("user_email")).lower()

    rows, columns, number = [], [], 0
    for page_number, page in enumerate(_pages(document, "participants_pages", "participants"), start=1):
        for entry in page["participants"]:
            number += 1
            where = f"participant {number}"
            if not isinstance(entry, dict):
                raise DeliveryRejected(f"{where} (page {page_number}) is not an object; {PULL_AGAIN}")
            columns += [key for key in entry if key not in columns]
            if _text(entry.get("status")).lower() == WAITING_ROOM:
                continue  # waiting in the waiting room is not attending
            joined = utc_time(entry.get("join_time"), where, "join_time")
            left = utc_time(entry.get("leave_time"), where, "leave_time")
            if datetime.fromisoformat(left) < datetime.fromisoformat(joined):
                raise DeliveryRejected(f"{where}: leave_time before join_time ({left} is before {joined})")
            name = _text(entry.get("name"))
            name = original_name(name) if name else ""
            email = _text(entry.get("user_email"))
            rows.append({
                "line_number": number,
                "meeting_id": meeting_id,
                "meeting_title": _text(meeting.get("topic")),
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


# --- Shared by the pulled-file parsers (zoom_api, teams_api) -----------------------------------------


def is_pulled_file(content: bytes, options: ParseOptions) -> bool:
    """A pulled ``.json`` file rather than a CSV export: by the file's suffix, else by its first character."""
    suffix = Path(options.file_name).suffix.lower()
    if suffix:
        return suffix == ".json"
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def read_pulled(content: bytes, api: str, members: tuple[str, ...]) -> dict:
    """The envelope of a file netpulse's pull of ``api`` landed, checked; rejected with the reason."""
    try:
        document = json.loads(decode_text(content))
    except ValueError as exc:
        raise DeliveryRejected(
            f"the file is not JSON ({exc}): a .json file in this folder must be one netpulse's {api} pull "
            f"landed; {PULL_AGAIN}, or deliver the vendor's CSV export as .csv"
        ) from None
    except RecursionError:
        raise DeliveryRejected("the file is JSON nested too deeply to be a pulled file; " + PULL_AGAIN) from None
    pull = document.get("netpulse_pull") if isinstance(document, dict) else None
    if not isinstance(pull, dict):
        raise DeliveryRejected(
            f"the file is JSON but not a file netpulse's {api} pull landed (no \"netpulse_pull\" envelope); "
            f"{PULL_AGAIN}, or deliver the vendor's CSV export as .csv"
        )
    if pull.get("api") != api:
        raise DeliveryRejected(
            f"the file was pulled from the {pull.get('api')!r} API, not {api!r}: it belongs in that API's "
            "format folder"
        )
    if pull.get("format") != FORMAT_VERSION:
        raise DeliveryRejected(
            f"the pulled file's format {pull.get('format')!r} is not one this netpulse reads (format "
            f"{FORMAT_VERSION}); load it with the netpulse version that pulled it, or pull it again"
        )
    missing = [member for member in members if member not in document]
    if missing:
        raise DeliveryRejected(f"the pulled file lacks {', '.join(repr(m) for m in missing)}; {PULL_AGAIN}")
    return document


def utc_time(value: object, where: str, field: str) -> str:
    """An API's time as ISO text with its offset, checked; rejected naming ``where`` and the field."""
    if value is None or value == "":
        raise DeliveryRejected(f"{where}: no {field}; {PULL_AGAIN}")
    text = str(value).strip()
    if not isinstance(value, str) or not ISO_WITH_OFFSET.match(text):
        raise DeliveryRejected(
            f"{where}: {field} {value!r} is not an ISO 8601 time with its UTC offset "
            f"(e.g. 2025-03-12T14:00:00Z); {PULL_AGAIN}"
        )
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise DeliveryRejected(f"{where}: {field} {value!r} is not a date and time; {PULL_AGAIN}") from None
    return text


def _object(document: dict, member: str, where: str) -> dict:
    value = document.get(member)
    if not isinstance(value, dict):
        raise DeliveryRejected(f"{where}: {member!r} is not an object; {PULL_AGAIN}")
    return value


def _pages(document: dict, member: str, items: str) -> list[dict]:
    """The pages of a paged answer, each an object holding a list under ``items``."""
    pages = document.get(member)
    if not isinstance(pages, list) or not pages:
        raise DeliveryRejected(f"the pulled file's {member!r} is not a list of pages; {PULL_AGAIN}")
    for number, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not isinstance(page.get(items), list):
            raise DeliveryRejected(f"page {number} of {member!r} has no {items!r} list; {PULL_AGAIN}")
    return pages


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _meeting_id(value: object) -> str:
    """The numeric meeting id as text, as the CSV report writes it without its spaces."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DeliveryRejected(f"the meeting has no numeric id ({value!r}); {PULL_AGAIN}")
    cleaned = normalise_meeting_id(value)
    if cleaned is pd.NA or not str(cleaned).isdigit():
        raise DeliveryRejected(f"the meeting has no numeric id ({value!r}); {PULL_AGAIN}")
    return str(cleaned)
