"""Qualtrics survey responses: the CSV or TSV export of Data & Analysis > Export & Import > Export data,
or the ZIP of the API's export download.

Supported layouts
-----------------
- Current exports ("Data table" exporter), CSV or TSV: three header rows, then one row per
  response. Row 1 holds the column ids (``StartDate, EndDate, Status, IPAddress, Progress,
  Duration (in seconds), Finished, RecordedDate, ResponseId, RecipientLastName,
  RecipientFirstName, RecipientEmail, ExternalReference, LocationLatitude, LocationLongitude,
  DistributionChannel, UserLanguage``, then ``Q1, Q2_1, Q2_2, ..., Q5_4_TEXT``), row 2 the
  question texts (matrix rows as "Question - Statement"), row 3 the import ids as JSON,
  ``{"ImportId":"QID2_1"}``; date columns carry their time zone there,
  ``{"ImportId":"endDate","timeZone":"Europe/London"}``.
- Legacy exports: two header rows (ids, texts), ids ``ResponseID, ResponseSet, Name,
  ExternalDataReference, EmailAddress, IPAddress, Status, StartDate, EndDate, Finished``; in
  the oldest form row 1 reads ``V1 ... V10`` and row 2 carries those names.
- Answers exported as choice text ("Strongly agree") or as numeric values (recode values
  1 to 5): both are scored through the instrument's labels. ``-99`` ("seen but unanswered")
  is no answer. Finished is ``True``/``False`` or ``1``/``0``; Status as text or code.
- The ZIP the API's ``export-responses`` download is (one ``<survey name>.csv`` inside): it is
  opened within the archive limits (``ParseOptions.limits``) and its one CSV or TSV read as
  above; a ZIP with no or several CSV/TSV files is refused.
- Encodings UTF-8 with or without BOM, UTF-16 (Qualtrics TSV) and Windows-1252 (a file
  re-saved by Excel); comma, tab or semicolon separated.

What a response becomes
-----------------------
- ``response_id`` = ResponseId; ``email`` = RecipientEmail; ``display_name`` = the
  recipient's first and last name; ``finished`` "true"/"false": incomplete responses
  (Finished False, closed by Qualtrics after they timed out) are kept, marked "false".
- ``submitted_at`` = EndDate (when the respondent submitted, or last answered a partial
  response), RecordedDate when EndDate is blank. Time zone: when row 3 names the zone of the
  column (``timeZone``), the local time is written with that zone's offset at that instant
  ("2026-03-12T08:03:22-06:00"); the file says it, so it wins over the network's zone. A
  legacy file says nothing, so the time is written without an offset and the network's
  time zone (ParseOptions.timezone) applies. Dates re-saved by Excel ("12/03/2026 14:03")
  are read in the declared date order.
- One column per instrument item, holding the stored score "1" to "5" (after reverse
  coding). A question column is an item's when the instrument lists its id under
  ``source_columns: {qualtrics: [...]}`` or its question text (or a matrix row's statement)
  is the item's text. Other question columns are ignored. Free-text columns (``_TEXT`` ids
  or import ids) are always dropped. Without an instrument there are no item columns.
- Responses whose Status is a survey preview, a survey test or spam are not responses of
  members and are left out before anything else is read from them.
- With an instrument, an export in which no column holds one of its items is refused (the
  mapping needs fixing; otherwise every answer would be lost without a word).

Known limits
------------
- Line numbers are rows as a spreadsheet shows them (a question text with line breaks is
  one row), not physical lines.
- Numeric exports must use recode values 1 to 5 for the Likert scale; another recode for a
  "not applicable" option must be listed in the instrument's ``no_answer``.
- Anonymous responses have no RecipientEmail and are refused by validation (netpulse needs
  the member); ExternalReference is not used as an identity.
- Excel exports (.xlsx) and SPSS files are not read; export CSV or TSV.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from netpulse.config.instruments import Instrument
from netpulse.errors import DeliveryRejected
from netpulse.ingest.archives import ZIP_ERRORS, BoundedZip
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.common import decode_text, read_table, to_iso

log = logging.getLogger(__name__)

FORMAT = "qualtrics"
# Row-1 ids of the columns read, current spelling first, compared without regard to case.
META_COLUMNS = {
    "response_id": ("ResponseId", "ResponseID"),
    "finished": ("Finished",),
    "end": ("EndDate",),
    "recorded": ("RecordedDate",),
    "email": ("RecipientEmail", "EmailAddress"),
    "first_name": ("RecipientFirstName",),
    "last_name": ("RecipientLastName",),
    "legacy_name": ("Name",),
    "status": ("Status",),
}
REQUIRED = (("response_id", "ResponseId"), ("finished", "Finished"), ("end", "EndDate"))
# Respondent information columns: never questions, even when an instrument's text matches.
INFO_IDS = {name.casefold() for name in (
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
    "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
    "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
    "UserLanguage", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress",
)}
TRUE_WORDS = {"true", "1"}
FALSE_WORDS = {"false", "0"}
# Status of responses that are not a member's: previews, tests and spam (as text or code).
NOT_RESPONSES = {"survey preview", "survey test", "spam", "preview spam", "offline preview",
                 "1", "2", "8", "9", "17"}
SEEN_BUT_UNANSWERED = "-99"
UTC_NAMES = {"z", "utc", "gmt", "etc/utc", "etc/gmt", "utc+0", "utc+00:00"}
OUTPUT_COLUMNS = ("line_number", "response_id", "instrument", "submitted_at", "email", "finished", "display_name")
ZIP_MAGIC = b"PK\x03\x04"
_LEGACY_V = re.compile(r"^V\d+$")
_HAS_OFFSET = r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"  # a time, then Z or +hh:mm

THREE_ROWS = (
    "this looks like a Qualtrics export without its three header rows (column ids, question "
    "texts, import ids): export the responses again as CSV from Data & Analysis > Export & Import "
    "> Export data and deliver the file unchanged"
)


@dataclass(frozen=True)
class _Header:
    """What the header rows say about the columns."""

    ids: list[str]              # row 1 (legacy V-columns: their names from row 2)
    texts: list[str]            # row 2: question texts
    imports: list[dict]         # row 3: import ids and time zones ({} in legacy files)
    data_start: int             # index of the first response row
    positions: dict[str, int]   # netpulse name of a metadata column -> its position


def parse(content: bytes, options: ParseOptions, instrument: Instrument | None = None) -> pd.DataFrame:
    """Rows of the generic survey format from a Qualtrics CSV/TSV export, or a ZIP holding one (module docstring)."""
    if content.startswith(ZIP_MAGIC) or options.file_name.lower().endswith(".zip"):
        content = _zipped_export(content, options)
    table = _read(decode_text(content))
    header = _header(table)
    numbers, cells = _responses(table, header)
    keep = _members_only(cells, header)
    if not keep.all():
        log.info("qualtrics export: left out %d preview, test or spam response(s)", int((~keep).sum()))
        numbers, cells = numbers[keep].reset_index(drop=True), cells[keep].reset_index(drop=True)
    frame = _response_columns(numbers, cells, header, options, instrument)
    if instrument is not None:
        for item_id, scores in _item_columns(numbers, cells, header, instrument).items():
            frame[item_id] = scores
    frame.attrs["source_columns"] = list(header.ids)
    return frame


def _zipped_export(content: bytes, options: ParseOptions) -> bytes:
    """The one CSV/TSV of a ZIP (the API's export-responses download), read within the archive limits."""
    archive = BoundedZip(content, options.limits, "Qualtrics export ZIP", (
        "the file is not a readable ZIP archive (or it was cut short): download the export again, or "
        "deliver its CSV unzipped"))
    members = [info for info in archive.infos if not info.is_dir() and not info.filename.startswith("__MACOSX/")
               and info.filename.lower().endswith((".csv", ".tsv"))]
    if len(members) != 1:
        names = ", ".join(info.filename for info in members) or "none"
        raise DeliveryRejected(
            f"the ZIP holds {len(members)} CSV/TSV files ({names}), not one: a Qualtrics export ZIP holds one "
            "survey's responses; deliver one export per file, or the CSV unzipped"
        )
    try:
        return archive.read(members[0])
    except ZIP_ERRORS:
        raise DeliveryRejected(
            f"{members[0].filename} in the ZIP cannot be read (the archive is damaged): download the export again"
        ) from None


def _read(text: str) -> list[list[str]]:
    """The table's rows; the separator is the one that splits the first header row most."""
    if not text.strip():
        raise DeliveryRejected("the file is empty (no header rows)")
    first_line = text.split("\n", 1)[0]
    delimiter = max(("\t", ",", ";"), key=first_line.count)
    try:
        return read_table(text, delimiter)
    except csv.Error as exc:
        raise DeliveryRejected(f"the file is not a readable CSV/TSV table ({exc}); export it again") from None


def _header(table: list[list[str]]) -> _Header:
    """Find the metadata columns and where responses start, refusing stripped header rows."""
    ids = list(table[0])
    second = table[1] if len(table) > 1 else None
    third = table[2] if len(table) > 2 else None
    oldest = second is not None and any(_LEGACY_V.match(c) for c in ids) and \
        any(c.casefold() == "responseid" for c in second)
    if oldest:  # V1..V10 on row 1, their names on row 2
        ids = [second[j] if _LEGACY_V.match(c) and j < len(second) else c for j, c in enumerate(ids)]
    positions = _positions(ids)
    missing = [label for key, label in REQUIRED if key not in positions]
    if "EndDate" in missing and "recorded" in positions:  # RecordedDate stands in
        missing.remove("EndDate")
    if missing:
        raise DeliveryRejected(
            f"missing required column(s) {', '.join(missing)} on the first row; a Qualtrics export "
            "has ResponseId, Finished and EndDate there (export with the respondent information columns)"
        )
    legacy = oldest or "ResponseID" in ids
    if _is_label_row(second, positions) and _is_import_row(third):
        data_start = 3
    elif legacy and _is_label_row(second, positions):
        data_start = 2
    else:
        raise DeliveryRejected(THREE_ROWS)
    texts = _padded(second, len(ids))
    imports = [_import_id(c) for c in _padded(third, len(ids))] if data_start == 3 else [{} for _ in ids]
    return _Header(ids=ids, texts=texts, imports=imports, data_start=data_start, positions=positions)


def _positions(ids: list[str]) -> dict[str, int]:
    folded = [c.casefold() for c in ids]
    positions = {}
    for key, names in META_COLUMNS.items():
        for name in names:
            if name.casefold() in folded:
                positions[key] = folded.index(name.casefold())
                break
    return positions


def _padded(row: list[str] | None, width: int) -> list[str]:
    row = list(row or [])
    return (row + [""] * width)[:width]


def _import_id(cell: str) -> dict:
    try:
        value = json.loads(cell) if cell.startswith("{") else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _is_import_row(row: list[str] | None) -> bool:
    """Row 3 of a current export: every filled cell is JSON with an ImportId."""
    cells = [c for c in (row or []) if c]
    return bool(cells) and all("ImportId" in _import_id(c) for c in cells)


def _is_label_row(row: list[str] | None, positions: dict[str, int]) -> bool:
    """Row 2: question texts, recognised by a Finished cell that is not a response's value."""
    if not row or _is_import_row(row):
        return False
    finished = _padded(row, positions["finished"] + 1)[positions["finished"]].casefold()
    return finished not in TRUE_WORDS | FALSE_WORDS and finished != ""


def _responses(table: list[list[str]], header: _Header) -> tuple[pd.Series, pd.DataFrame]:
    """Response rows as text cells (blank = missing) and their row numbers; short rows refused."""
    width = len(header.ids)
    filled = [i for i in range(header.data_start, len(table)) if any(table[i])]
    numbers, rows = [], []
    for index in filled:
        cells = table[index]
        if len(cells) < width:
            hint = ("the file looks truncated (cut off before its end); deliver the whole export"
                    if index == filled[-1] else "the file is damaged; export it again")
            raise DeliveryRejected(f"row {index + 1} has {len(cells)} of the {width} columns of the header: {hint}")
        if any(cells[width:]):
            raise DeliveryRejected(f"row {index + 1} has more cells than the header has columns; export it again")
        numbers.append(index + 1)
        rows.append(cells[:width])
    cells = pd.DataFrame(rows, columns=range(width), dtype="string") if rows else \
        pd.DataFrame({j: pd.Series(dtype="string") for j in range(width)})
    cells = cells.replace("", pd.NA)
    return pd.Series(numbers, dtype="int64"), cells


def _column(cells: pd.DataFrame, header: _Header, key: str) -> pd.Series:
    if key in header.positions:
        return cells[header.positions[key]]
    return pd.Series(pd.NA, index=cells.index, dtype="string")


def _response_columns(numbers: pd.Series, cells: pd.DataFrame, header: _Header, options: ParseOptions,
                      instrument: Instrument | None) -> pd.DataFrame:
    return pd.DataFrame({
        "line_number": numbers,
        "response_id": _column(cells, header, "response_id"),
        "instrument": pd.Series(instrument.id if instrument else FORMAT, index=cells.index, dtype="string"),
        "submitted_at": _submitted_at(numbers, cells, header, options),
        "email": _column(cells, header, "email"),
        "finished": _finished(numbers, _column(cells, header, "finished")),
        "display_name": _display_name(cells, header),
    }, columns=list(OUTPUT_COLUMNS))


def _finished(numbers: pd.Series, values: pd.Series) -> pd.Series:
    lowered = values.str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="string")
    result[lowered.isin(TRUE_WORDS).fillna(False)] = "true"
    result[lowered.isin(FALSE_WORDS).fillna(False)] = "false"
    bad = values.notna() & result.isna()
    if bad.any():
        first = bad[bad].index[0]
        raise DeliveryRejected(f"row {numbers[first]}: Finished {values[first]!r} is not True/False or 1/0")
    return result


def _display_name(cells: pd.DataFrame, header: _Header) -> pd.Series:
    first = _column(cells, header, "first_name").fillna("")
    last = _column(cells, header, "last_name").fillna("")
    joined = (first + " " + last).str.strip()
    if "first_name" not in header.positions and "last_name" not in header.positions:
        joined = _column(cells, header, "legacy_name").fillna("")
    return joined.replace("", pd.NA).astype("string")


def _submitted_at(numbers: pd.Series, cells: pd.DataFrame, header: _Header, options: ParseOptions) -> pd.Series:
    """EndDate, else RecordedDate, as ISO text; with the offset of the zone row 3 names."""
    result = pd.Series(pd.NA, index=cells.index, dtype="string")
    for key, label in (("end", "EndDate"), ("recorded", "RecordedDate")):
        if key not in header.positions:
            continue
        position = header.positions[key]
        pending = result.isna()
        if not pending.any():
            break
        iso = to_iso(cells[position][pending], options.date_order, label=label, rows=numbers)
        zone = header.imports[position].get("timeZone")
        result[pending] = _with_offset(iso, zone, label, numbers) if zone else iso
    return result


def _zone(name: object, label: str) -> ZoneInfo:
    """The zone row 3 names for a date column; an unknown name is refused, not guessed."""
    text = str(name).strip()
    if text.casefold() in UTC_NAMES:
        text = "UTC"
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DeliveryRejected(
            f"row 3: the time zone of {label}, {text!r}, is not a known time zone name; export again "
            "with a named time zone (e.g. Europe/London)"
        ) from None


def _with_offset(iso: pd.Series, zone_name: object, label: str, numbers: pd.Series) -> pd.Series:
    """Local ISO text of a named zone to ISO text with that zone's UTC offset at that instant.

    In the autumn hour that occurs twice the first (summer-time) reading is taken and times
    in the spring gap move forward, as for the network's own local times.
    """
    zone = _zone(zone_name, label)
    local = iso.notna() & ~iso.str.contains(_HAS_OFFSET, na=False)
    if not local.any():
        return iso
    parsed = pd.to_datetime(iso[local], format="ISO8601", errors="coerce")
    if parsed.isna().any():
        first = parsed[parsed.isna()].index[0]
        raise DeliveryRejected(f"row {numbers[first]}: {label} {iso[first]!r} is not a date and time")
    placed = parsed.dt.tz_localize(zone, ambiguous=np.ones(len(parsed), dtype=bool), nonexistent="shift_forward")
    result = iso.copy()
    result[local] = placed.map(lambda t: t.isoformat()).astype("string")
    return result


def _is_free_text(header: _Header, position: int) -> bool:
    import_id = str(header.imports[position].get("ImportId", ""))
    return header.ids[position].upper().endswith("_TEXT") or import_id.upper().endswith("_TEXT")


def _item_columns(numbers: pd.Series, cells: pd.DataFrame, header: _Header,
                  instrument: Instrument) -> dict[str, pd.Series]:
    """Scores of the question columns that hold instrument items, in instrument order."""
    names = [
        () if c.casefold() in INFO_IDS or _is_free_text(header, j) else (c, header.texts[j])
        for j, c in enumerate(header.ids)
    ]
    found = instrument.match_columns(names, FORMAT)
    scores = {}
    for position, item_id in found.items():
        answers = cells[position].mask(cells[position].eq(SEEN_BUT_UNANSWERED).fillna(False))
        scores[item_id] = instrument.score_series(item_id, answers, rows=numbers, column=header.ids[position])
    return {item_id: scores[item_id] for item_id in instrument.item_ids if item_id in scores}


def _members_only(cells: pd.DataFrame, header: _Header) -> pd.Series:
    """True for rows that are members' responses (not previews, tests or spam)."""
    status = _column(cells, header, "status").str.strip().str.lower()
    return ~status.isin(NOT_RESPONSES).fillna(False)
