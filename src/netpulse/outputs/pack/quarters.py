"""Quarters in a network's own calendar: labels such as ``2026Q3`` and their months.

A network's year starts in its ``quarter_start_month`` (4 for financial-year networks), and a
year is named after the calendar year it starts in: for a network starting its year in April,
``2026Q1`` is April-June 2026 and ``2026Q4`` is January-March 2027 (docs/decisions.md).
"""

from __future__ import annotations

import re
from datetime import date

from netpulse.errors import NetpulseError

QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_quarter(label: str, quarter_start_month: int) -> date:
    """The first day of quarter ``label`` in a calendar whose year starts in ``quarter_start_month``."""
    found = QUARTER_PATTERN.match(label.strip().upper())
    if not found:
        raise NetpulseError(f"quarter {label!r} is not like 2026Q3 (a year and a quarter 1-4)")
    year, quarter = int(found.group(1)), int(found.group(2))
    month0 = quarter_start_month - 1 + 3 * (quarter - 1)
    return date(year + month0 // 12, month0 % 12 + 1, 1)


def quarter_label(start: date, quarter_start_month: int) -> str:
    """The label (``2026Q3``) of the quarter starting on ``start``."""
    offset = (start.month - quarter_start_month) % 12
    year = start.year if start.month >= quarter_start_month else start.year - 1
    return f"{year}Q{offset // 3 + 1}"


def add_quarters(start: date, quarters: int) -> date:
    month0 = start.year * 12 + start.month - 1 + 3 * quarters
    return date(month0 // 12, month0 % 12 + 1, 1)


def quarter_months(start: date) -> str:
    """``Jul-Sep 2026`` (the year of the first month; ``Nov 2026-Jan 2027`` across a year)."""
    end = add_quarters(start, 1)
    last_month0 = end.year * 12 + end.month - 2
    last_year, last_month = last_month0 // 12, last_month0 % 12
    if last_year == start.year:
        return f"{MONTHS[start.month - 1]}-{MONTHS[last_month]} {start.year}"
    return f"{MONTHS[start.month - 1]} {start.year}-{MONTHS[last_month]} {last_year}"


def latest_complete(as_of: date, quarter_start_month: int) -> date:
    """The start of the latest quarter that ended before ``as_of``."""
    month0 = as_of.year * 12 + as_of.month - 1
    offset = (as_of.month - quarter_start_month) % 12 % 3
    current = date((month0 - offset) // 12, (month0 - offset) % 12 + 1, 1)
    return add_quarters(current, -1)
