"""Pieces shared by the attendance parsers (Zoom, Teams, sign-in sheets).

Reading delimited rows with their file line numbers, finding a table's body, finishing the
generic attendance frame, the leave-before-join check, and derived meeting ids.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from netpulse.config.sources import FORMATS
from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import IDENTITY_COLUMNS
from netpulse.ingest.vendors.common import read_table

OUTPUT_COLUMNS = (*FORMATS["attendance"].required, "line_number", *IDENTITY_COLUMNS)


def read_rows(text: str, delimiter: str | None = None) -> list[list[str]]:
    """read_table, with a malformed CSV (e.g. an oversized quoted field) reported as a rejection."""
    try:
        return read_table(text, delimiter)
    except csv.Error as exc:
        raise DeliveryRejected(f"the file is not a readable table ({exc}); download the export again") from None


def numbered_rows(rows: list[list[str]]) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their 1-based record number (the file line when no cell spans lines)."""
    return [(i, row) for i, row in enumerate(rows, start=1) if any(row)]


def trimmed(row: list[str]) -> list[str]:
    """A row without its trailing empty cells (Zoom and Excel pad rows with commas)."""
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end]


def table_body(rows: list[tuple[int, list[str]]], header_line: int, header: list[str],
               stop=None) -> list[tuple[int, list[str]]]:
    """The data rows under a header: repeated header rows skipped, short (truncated) rows rejected.

    ``stop(row)`` ends the table early (the next section of a multi-section report).
    """
    expected = trimmed(header)
    wanted = [c.lower() for c in expected]
    body = []
    for line, row in rows:
        if line <= header_line:
            continue
        if stop is not None and stop(row):
            break
        if [c.lower() for c in trimmed(row)] == wanted:
            continue  # a header repeated inside the table (pages pasted together)
        if len(row) < len(expected):
            raise DeliveryRejected(
                f"row {line}: only {len(row)} of the table's {len(expected)} columns; the file looks "
                "truncated or damaged, download the export again"
            )
        body.append((line, row))
    return body


def attendance_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The parser's result: the contract's columns in order, text as strings with pd.NA."""
    result = pd.DataFrame(index=frame.index)
    for column in OUTPUT_COLUMNS:
        if column == "line_number":
            result[column] = frame[column].astype("int64")
        elif column in frame.columns:
            values = frame[column].astype("string").str.strip()
            result[column] = values.where(values.ne(""), pd.NA)
        else:
            result[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return result.reset_index(drop=True)


def check_left_not_before_joined(frame: pd.DataFrame, timezone: str, joined_label: str, left_label: str) -> None:
    """Reject the first row that leaves before it joins, naming it.

    Local times in the autumn hour that repeats cannot be ordered from their text (01:50
    summer time is before 01:10 winter time), so those pairs are left for the loader.
    """
    for line, joined, left in zip(frame["line_number"], frame["joined_at"], frame["left_at"], strict=True):
        start, end = _instant(joined), _instant(left)
        if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
            continue
        if end < start and not _in_repeated_hour(start, end, timezone):
            raise DeliveryRejected(f"row {line}: {left_label} before {joined_label} ({left} is before {joined})")


def _instant(text) -> datetime | None:
    if text is None or text is pd.NA:
        return None
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def _in_repeated_hour(start: datetime, end: datetime, timezone: str) -> bool:
    if start.tzinfo is not None or start - end > timedelta(hours=1):
        return False
    try:
        zone = ZoneInfo(timezone)
        return any(t.replace(tzinfo=zone, fold=0).utcoffset() != t.replace(tzinfo=zone, fold=1).utcoffset()
                   for t in (start, end))
    except Exception:  # an unknown zone (or a year zoneinfo cannot place) is the loader's to report
        return False


def slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII words joined by '-', for ids derived from titles."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-") or "untitled"


def derived_meeting_id(prefix: str, title, start_iso) -> str:
    """'<prefix>-<YYYYMMDDHHMM>-<slug of title>' for exports that carry no meeting id."""
    stamp = re.sub(r"\D", "", str(start_iso))[:12]
    return f"{prefix}-{stamp}-{slug('' if title is None or title is pd.NA else str(title))}"
