"""Teams attendance reports pulled from Microsoft Graph (``attendance/teams/*.json``) to attendance rows.

netpulse's Graph pull lands one file per attendance report, Graph's own answers in an envelope::

    {"netpulse_pull": {"api": "teams", "format": 1},
     "online_meeting": {"id": "...", "subject": "Network call", "startDateTime": "...",
                        "endDateTime": "...", "joinWebUrl": "..."},
     "attendance_report": {"id": "...", "totalParticipantCount": 3,
                           "meetingStartDateTime": "2025-03-12T14:00:00.123Z",
                           "meetingEndDateTime": "2025-03-12T15:00:00.456Z"},
     "attendance_records_pages": [{"@odata.context": "...", "@odata.nextLink": "...",
                                   "value": [{"id": "...", "emailAddress": "ann@x.org",
                                              "role": "Attendee", "totalAttendanceInSeconds": 1800,
                                              "identity": {"id": "...", "displayName": "Ann Lee",
                                                           "tenantId": "..."},
                                              "attendanceIntervals": [{"joinDateTime": "...",
                                                                       "leaveDateTime": "...",
                                                                       "durationInSeconds": 1800}]}]}]}

``online_meeting`` is the Graph onlineMeeting (or null when it could not be read),
``attendance_report`` the meetingAttendanceReport, and each page a response body of
``GET .../attendanceReports/{id}/attendanceRecords``, in order.

Rows are those the CSV parser (``teams.py``) makes of section "3. In-Meeting Activities": one
per attendance interval (a rejoin is a second row), status ``attended``.

- ``meeting_title`` = the meeting's ``subject`` (``Teams meeting`` when there is none);
  ``meeting_start``/``meeting_end`` = the report's ``meetingStartDateTime`` /
  ``meetingEndDateTime``; ``joined_at``/``left_at`` = the interval's ``joinDateTime`` /
  ``leaveDateTime``. Times are kept as Graph writes them, UTC with their ``Z``.
- ``meeting_id`` is derived as for a downloaded report: ``teams-<YYYYMMDDHHMM>-<slug of title>``,
  the start being ``meetingStartDateTime`` converted to the network's time zone
  (``ParseOptions.timezone``), because the downloaded report writes local time. A downloaded
  and a pulled report of the same meeting so get the same id.
- ``role``: Organizer -> host, Co-organizer and Presenter -> cohost, Attendee -> attendee, any
  other role in lower case (as ``teams.py``).
- ``email`` = ``emailAddress``; ``source_user_id`` = ``emailAddress`` (the UPN the CSV gives is
  the e-mail), else ``identity.id``, else ``identity.displayName``; ``name`` and ``display_name``
  = ``identity.displayName``; names Teams marks "(Guest)", "(External)" or "(Unverified)" get
  ``is_guest`` "true", others leave it unknown.
- ``line_number``: the interval's place among all intervals of the file, counted from 1 over the
  records of the pages in order. ``frame.attrs["source_columns"]``: the attendance record field
  names, in first-seen order.

Rejected, naming what is wrong: a file that is not JSON or not this envelope, a report without
its start or end, no attendance intervals at all, or an interval whose times are missing, not
ISO 8601 with a UTC offset, or leave before join ("interval 3 (record 2): leaveDateTime before
joinDateTime").
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.attendance_rows import attendance_frame, derived_meeting_id
from netpulse.ingest.vendors.pulled_files import PULL_AGAIN, pages, read_pulled, text, utc_time
from netpulse.ingest.vendors.teams import GUEST_SUFFIX, ROLES

API = "teams"
DEFAULT_TITLE = "Teams meeting"
COLUMNS = ["line_number", "meeting_id", "meeting_title", "meeting_start", "meeting_end", "email", "name",
           "display_name", "source_user_id", "is_guest", "joined_at", "left_at", "role", "status"]


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic attendance format from one pulled Teams attendance report (module docstring)."""
    document = read_pulled(content, API, ("attendance_report", "attendance_records_pages"))
    report = document.get("attendance_report")
    if not isinstance(report, dict):
        raise DeliveryRejected(f"the pulled file's 'attendance_report' is not an object; {PULL_AGAIN}")
    meeting = document.get("online_meeting")
    if meeting is not None and not isinstance(meeting, dict):
        raise DeliveryRejected(f"the pulled file's 'online_meeting' is neither an object nor null; {PULL_AGAIN}")
    title = text((meeting or {}).get("subject")) or DEFAULT_TITLE
    start = utc_time(report.get("meetingStartDateTime"), "the attendance report", "meetingStartDateTime")
    end = utc_time(report.get("meetingEndDateTime"), "the attendance report", "meetingEndDateTime")
    if datetime.fromisoformat(end) < datetime.fromisoformat(start):
        raise DeliveryRejected(f"the attendance report: meetingEndDateTime before meetingStartDateTime "
                               f"({end} is before {start}); {PULL_AGAIN}")
    meeting_id = derived_meeting_id("teams", title, _local(start, options.timezone))

    rows, columns, record_number, number = [], [], 0, 0
    for page in pages(document, "attendance_records_pages", "value"):
        for record in page["value"]:
            record_number += 1
            if not isinstance(record, dict):
                raise DeliveryRejected(f"record {record_number} is not an object; {PULL_AGAIN}")
            columns += [key for key in record if key not in columns]
            identity: dict = record["identity"] if isinstance(record.get("identity"), dict) else {}
            email = text(record.get("emailAddress"))
            name = text(identity.get("displayName"))
            role = text(record.get("role")).lower()
            intervals = record.get("attendanceIntervals") or []
            if not isinstance(intervals, list):
                raise DeliveryRejected(f"record {record_number}: attendanceIntervals is not a list; {PULL_AGAIN}")
            for interval in intervals:
                number += 1
                where = f"interval {number} (record {record_number})"
                if not isinstance(interval, dict):
                    raise DeliveryRejected(f"{where} is not an object; {PULL_AGAIN}")
                joined = utc_time(interval.get("joinDateTime"), where, "joinDateTime")
                left = utc_time(interval.get("leaveDateTime"), where, "leaveDateTime")
                if datetime.fromisoformat(left) < datetime.fromisoformat(joined):
                    raise DeliveryRejected(f"{where}: leaveDateTime before joinDateTime ({left} is before {joined})")
                rows.append({
                    "line_number": number,
                    "meeting_id": meeting_id,
                    "meeting_title": title,
                    "meeting_start": start,
                    "meeting_end": end,
                    "email": email,
                    "name": name,
                    "display_name": name,
                    "source_user_id": email or text(identity.get("id")) or name,
                    "is_guest": "true" if GUEST_SUFFIX.search(name) else "",
                    "joined_at": joined,
                    "left_at": left,
                    "role": ROLES.get(role, role),
                    "status": "attended",
                })
    if number == 0:
        raise DeliveryRejected(
            f"the attendance report holds no attendance intervals ({record_number} records); {PULL_AGAIN}")
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["line_number"] = frame["line_number"].astype("int64")
    result = attendance_frame(frame)
    result.attrs["source_columns"] = columns
    return result


def _local(utc_text: str, timezone: str) -> str:
    """A UTC time as local ISO text (no offset) in the network's zone, as the downloaded report writes it."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeliveryRejected(f"the network's time zone {timezone!r} is not a known time zone name") from None
    return datetime.fromisoformat(utc_text).astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")
