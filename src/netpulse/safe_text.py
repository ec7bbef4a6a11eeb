"""Text that is safe where people open it: spreadsheets, terminals.

Values in netpulse's outputs come, in the end, from files someone else wrote (a network's name,
an organisation, a column header). Two places turn such text into actions:

- a spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some tools,
  a tab or carriage return) as a formula: ``=HYPERLINK("http://…","click")`` becomes a live link.
  The usual defence (OWASP, "CSV injection") is to prefix such text with a single quote, which
  every spreadsheet shows as text and which no formula starts with;
- a terminal takes control characters (ESC sequences) as commands: a file name can clear the
  screen or rewrite what was printed before it.

Numbers are never touched: ``-3`` written by netpulse as a number stays a number.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 controls, DEL, and the Unicode bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert_cell(value):
    """``value`` as it may go into a CSV or XLSX cell: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_row(values) -> list:
    return [inert_cell(v) for v in values]


def inert_frame(frame):
    """A pandas frame as it may be written to CSV or XLSX: its text cells and column names inert."""
    import pandas as pd

    frame = frame.rename(columns=inert_cell)
    types = pd.api.types
    text = [c for c in frame.columns if not (types.is_numeric_dtype(frame[c]) or types.is_bool_dtype(frame[c])
                                             or types.is_datetime64_any_dtype(frame[c]))]
    if text:
        frame = frame.copy()
        for column in text:  # object, string and category columns alike
            frame[column] = frame[column].astype(object).map(inert_cell, na_action="ignore")
    return frame


def terminal_text(text: object) -> str:
    """``text`` with control characters shown as ``?``; newlines and tabs kept."""
    return _CONTROL.sub("?", str(text))


def terminal_value(text: object) -> str:
    """One value (a path, a reason) for one line of terminal output: newlines are shown as ``?``
    too, so a file name cannot print a line that looks like netpulse's own."""
    return _LINE_BREAKS.sub("?", terminal_text(text))


_LINE_BREAKS = re.compile("[\n\r\t\u2028\u2029\x85]")
