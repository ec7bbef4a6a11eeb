"""Shared pieces of the vendor parsers: decoding text and reading vendor dates."""

from __future__ import annotations

import codecs
import csv
import io

import pandas as pd

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import DATE_ORDERS

_DATE_PARTS = {"dmy": ("%d", "%m", "%Y"), "mdy": ("%m", "%d", "%Y"), "ymd": ("%Y", "%m", "%d")}
_SEPARATORS = ("/", "-", ".")
_TIMES = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%H:%M:%S.%f", "")


def _utf16_without_bom(content: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when text looks like UTF-16 written without a byte-order mark.

    Text of Latin letters in UTF-16 has a NUL in every other byte, which no CSV in UTF-8 or
    Windows-1252 has; so a sample where most bytes on one side are NUL and almost none on the other
    is UTF-16 (some Windows tools and PowerShell's Out-File write it so).
    """
    sample = content[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def decode_text(content: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 (with BOM, or recognisably without), else Windows-1252.

    Exports from Windows tools arrive in all of these; a BOM is trusted, UTF-8 is tried
    next, and cp1252 (which maps almost every byte) is the fallback that still lets a
    coordinator see their file's own characters rather than a decoding error.
    """
    try:
        if content.startswith(codecs.BOM_UTF8):
            return content[len(codecs.BOM_UTF8):].decode("utf-8")
        if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return content.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise DeliveryRejected(
            f"the file is truncated or damaged: its text breaks off at byte {exc.start}; deliver it again"
        ) from None
    utf16 = _utf16_without_bom(content)
    if utf16 is not None:
        try:
            return content.decode(utf16)
        except UnicodeDecodeError as exc:
            raise DeliveryRejected(
                f"the file looks like UTF-16 text written without a byte-order mark ({utf16.upper()}), but it "
                f"cannot be read as such (byte {exc.start}): save it again as UTF-8 (\"CSV UTF-8\" in Excel)"
            ) from None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return content.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise DeliveryRejected(
                f"the file is not text in UTF-8, UTF-16 or Windows-1252 (byte {exc.start}); export it again"
            ) from None


def text_encoding(content: bytes) -> str:
    """The codec :func:`decode_text` reads ``content`` with (call it first: it validates)."""
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(content)
    if utf16 is not None:
        return utf16
    try:
        content.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def sniff_delimiter(text: str, candidates: str = ",;\t") -> str:
    """The delimiter of a delimited text table (comma, semicolon or tab)."""
    sample = "\n".join(text[:65536].splitlines()[:50])  # the head only: files can be large
    try:
        return csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in candidates}
        return max(counts, key=counts.__getitem__)


def read_table(text: str, delimiter: str | None = None) -> list[list[str]]:
    """Rows of a delimited text table, as lists of stripped strings."""
    delimiter = delimiter or sniff_delimiter(text)
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def date_formats(date_order: str) -> list[str]:
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}")
    first, second, third = _DATE_PARTS[date_order]
    formats = []
    for separator in _SEPARATORS:
        for year in ("%Y", "%y"):
            parts = [p if p != "%Y" else year for p in (first, second, third)]
            day = separator.join(parts)
            formats += [f"{day} {t}".strip() for t in _TIMES]
    return formats


def to_iso(values: pd.Series, date_order: str, *, label: str, rows: pd.Series | None = None) -> pd.Series:
    """Vendor date/time text to ISO 8601 text (no offset), in the declared day/month order.

    ISO 8601 input is always accepted as it is. Blank stays missing. Anything else that does
    not read in the declared order rejects the file, naming the first offending row.
    """
    text = values.astype("string").str.strip()
    text = text.where(text.ne(""), pd.NA)
    result = pd.Series(pd.NA, index=text.index, dtype="string")
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}([T ]|$)", na=False)
    result[iso] = text[iso].str.replace(" ", "T", n=1)
    pending = text.notna() & ~iso
    for fmt in date_formats(date_order):
        if not pending.any():
            break
        parsed = pd.to_datetime(text[pending], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            index = parsed[ok].index
            result[index] = parsed[ok].dt.strftime("%Y-%m-%dT%H:%M:%S").astype("string")
            pending[index] = False
    if pending.any():
        first = pending[pending].index[0]
        where = f"row {rows[first]}" if rows is not None else f"row {first}"
        order = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year-month-day"}[date_order]
        raise DeliveryRejected(
            f"{where}: {label} {text[first]!r} is not a date and time in the declared order "
            f"({order}); check the export or the network's date_order setting"
        )
    return result
