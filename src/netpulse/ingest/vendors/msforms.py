"""Microsoft Forms survey responses: the Excel workbook of Responses > Open results in Excel.

Supported layout
----------------
- An .xlsx workbook whose response sheet (the first sheet with ``ID`` and ``Completion
  time`` in its first row; Forms names it ``Form1`` or ``Sheet1``) has one header row:
  ``ID, Start time, Completion time, Email, Name`` (newer exports add ``Last modified
  time``; quizzes add ``Total points, Quiz feedback`` and ``Points - <question>``,
  ``Feedback - <question>``), then one column per question headed by its text (a Likert
  question, one column per statement), then one row per response.
- Answers to choice and Likert questions are the choice text ("Agree"); rating questions
  give a number. Both are scored through the instrument's labels.
- Times are real Excel date-times or text like ``3/12/26 14:03:22``; text is read in the
  declared date order (ParseOptions.date_order), never guessed.
- Header names are matched without regard to case or surrounding spaces.

What a response becomes
-----------------------
- Forms exports only submitted responses, so every row is ``finished`` "true".
- ``submitted_at`` = Completion time, without an offset: the workbook does not say its
  time zone, so the network's (or the source's declared) time zone applies.
- ``response_id`` = "msforms-<ID>-<start time>" (e.g. ``msforms-7-20260312T140322``):
  Forms numbers responses 1, 2, 3 in every form, and the warehouse keeps one response per
  response_id, so a bare ID would let one form's response 7 replace another's. The start
  time does not change when the same form is exported again, so a re-export replaces the
  earlier rows instead of adding to them.
- ``email`` = Email, missing for ``anonymous`` (anonymous forms are then refused by
  validation: netpulse needs the member); ``display_name`` = Name.
- One column per instrument item, holding the stored score "1" to "5" (after reverse
  coding): a question column is an item's when the instrument lists its header under
  ``source_columns: {msforms: [...]}`` or its header (or a Likert statement after the
  question, "Question.Statement") is the item's text. Other columns, open (free-text)
  questions among them, are ignored. Without an instrument there are no item columns; with
  one, a workbook in which no column holds one of its items is refused (a mapping to fix).

Known limits
------------
- The start-time part of ``response_id`` is the time as exported; a re-export by someone
  whose Forms shows another time zone gives new ids (the survey marts then keep one
  response per member per instrument per period, so nothing is counted twice).
- A CSV saved from the workbook is not read; deliver the .xlsx.
- Line numbers are sheet rows (the header is row 1).
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

import openpyxl
import pandas as pd

from netpulse.config.instruments import Instrument
from netpulse.config.settings import InputLimits
from netpulse.errors import DeliveryRejected
from netpulse.ingest.archives import check_workbook
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.common import to_iso

FORMAT = "msforms"
REQUIRED = ("ID", "Completion time", "Email")
# Columns Forms fills itself (not questions), lower-cased.
METADATA = {"id", "start time", "completion time", "email", "name", "last modified time",
            "total points", "quiz feedback"}
QUIZ_PREFIXES = ("points - ", "feedback - ")
OUTPUT_COLUMNS = ("line_number", "response_id", "instrument", "submitted_at", "email", "finished", "display_name")
UNREADABLE = (
    "the file is not a readable Excel workbook (.xlsx); it may be truncated or in another format: "
    "download the responses again from Forms (Responses > Open results in Excel) and deliver that file"
)


def parse(content: bytes, options: ParseOptions, instrument: Instrument | None = None) -> pd.DataFrame:
    """Rows of the generic survey format from a Forms response workbook (see the module docstring)."""
    header, numbers, cells = _read_sheet(content, options.limits)
    positions = _positions(header)
    missing = [name for name in REQUIRED if name.lower() not in positions]
    if missing:
        raise DeliveryRejected(
            f"missing required column(s) {', '.join(missing)} on the first row; a Microsoft Forms "
            "export starts with ID, Start time, Completion time, Email and Name"
        )
    frame = _response_columns(numbers, cells, positions, options, instrument)
    if instrument is not None:
        for item_id, scores in _item_columns(numbers, cells, header, instrument).items():
            frame[item_id] = scores
    frame.attrs["source_columns"] = [str(h) for h in header]
    return frame


def _read_sheet(content: bytes, limits: InputLimits) -> tuple[list[str], pd.Series, pd.DataFrame]:
    """Header texts, row numbers and cell values (objects) of the response sheet.

    The reader is a third-party parser of a zip of XML parts: whatever it fails on, the file
    cannot be read, so every error it raises becomes the one actionable rejection.
    """
    check_workbook(content, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # whatever the reader fails on: see the docstring
        raise DeliveryRejected(UNREADABLE) from None
    try:
        sheet = _response_sheet(workbook)
        rows = [list(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
    except Exception:  # whatever the reader fails on: see the docstring
        raise DeliveryRejected(UNREADABLE) from None
    finally:
        workbook.close()
    if not rows:
        raise DeliveryRejected("the workbook's first sheet is empty (no header row)")
    header = [_header_text(value) for value in rows[0]]
    numbers, body = [], []
    for number, row in enumerate(rows[1:], start=2):
        if any(_filled(value) for value in row):
            numbers.append(number)
            body.append((row + [None] * len(header))[:len(header)])
    cells = pd.DataFrame(body, columns=range(len(header)), dtype=object) if body else \
        pd.DataFrame({j: pd.Series(dtype=object) for j in range(len(header))})
    return header, pd.Series(numbers, dtype="int64"), cells


def _response_sheet(workbook):
    """The first sheet whose header has ID and Completion time, else the first sheet."""
    for sheet in workbook.worksheets:
        first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        names = {_header_text(value).lower() for value in first}
        if {"id", "completion time"} <= names:
            return sheet
    return workbook.worksheets[0]


def _header_text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _positions(header: list[str]) -> dict[str, int]:
    """Position of each metadata column by lower-cased name (the first, if repeated)."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions.setdefault(name.lower(), position)
    return positions


def _text(values: pd.Series) -> pd.Series:
    """Cell values as stripped text; Excel date-times as ISO text; blank as missing."""
    def one(value: object) -> object:
        if not _filled(value):
            return pd.NA
        if isinstance(value, datetime):
            return value.replace(microsecond=0).isoformat()
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()
    return values.map(one).astype("string")


def _column(cells: pd.DataFrame, positions: dict[str, int], name: str) -> pd.Series:
    if name in positions:
        return _text(cells[positions[name]])
    return pd.Series(pd.NA, index=cells.index, dtype="string")


def _response_columns(numbers: pd.Series, cells: pd.DataFrame, positions: dict[str, int],
                      options: ParseOptions, instrument: Instrument | None) -> pd.DataFrame:
    completed = to_iso(_column(cells, positions, "completion time"), options.date_order,
                       label="Completion time", rows=numbers)
    started = to_iso(_column(cells, positions, "start time"), options.date_order, label="Start time", rows=numbers)
    email = _column(cells, positions, "email")
    return pd.DataFrame({
        "line_number": numbers,
        "response_id": _response_id(_column(cells, positions, "id"), started.fillna(completed)),
        "instrument": pd.Series(instrument.id if instrument else FORMAT, index=cells.index, dtype="string"),
        "submitted_at": completed,
        "email": email.mask(email.str.lower().eq("anonymous").fillna(False)),
        "finished": pd.Series("true", index=cells.index, dtype="string"),
        "display_name": _column(cells, positions, "name"),
    }, columns=list(OUTPUT_COLUMNS))


def _response_id(ids: pd.Series, started: pd.Series) -> pd.Series:
    """"msforms-<ID>-<start time>": unique across forms, stable across re-exports of one form."""
    stamp = started.str.replace(r"[-:]", "", regex=True).str.replace(r"\.\d+$", "", regex=True)
    return ("msforms-" + ids + "-" + stamp.fillna("")).str.rstrip("-").astype("string")


def _item_columns(numbers: pd.Series, cells: pd.DataFrame, header: list[str],
                  instrument: Instrument) -> dict[str, pd.Series]:
    """Scores of the question columns that hold instrument items, in instrument order."""
    names = [
        () if name.lower() in METADATA or name.lower().startswith(QUIZ_PREFIXES) else (name,)
        for name in header
    ]
    found = instrument.match_columns(names, FORMAT)
    scores = {}
    for position, item_id in found.items():
        answers = cells[position].map(lambda v: v.strip() if isinstance(v, str) else v)
        answers = answers.where(answers.map(_filled), None)
        scores[item_id] = instrument.score_series(item_id, answers, rows=numbers,
                                                   column=f'"{header[position]}"')
    return {item_id: scores[item_id] for item_id in instrument.item_ids if item_id in scores}
