"""The generic CSV formats (v1): reading a delivery and typing its columns.

A delivery is read as text, checked for its required columns, then typed into the frame
that Great Expectations validates and the loader writes to the raw schema. Typing never
raises on a bad value: it records the problem in a ``bad_*`` column so that validation
can report every faulty row of a file at once, by line number.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from netpulse.config.sources import SourceFormat
from netpulse.errors import DeliveryRejected
from netpulse.ingest.identity import MemberHasher, normalise_email, normalise_emails
from netpulse.ingest.vendors import IDENTITY_COLUMNS
from netpulse.ingest.vendors.common import decode_text, sniff_delimiter

# An offset only counts after a time of day: "2026-03-12" ends in "-12" but is a local date.
# A plain pattern without \s or flags, so pandas runs it vectorised in Arrow (RE2).
OFFSET_SUFFIX = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)? ?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}
LIKERT_VALUES = {"1", "2", "3", "4", "5"}
# Parsed values are kept inside years 2 to 9998: pandas reads "9999-12-31T23:30" or "-0001-01-01",
# but moving such a time to UTC, or making it a date, overflows Python's datetime. No date that
# far out is possible, so the bounds check refuses it (quoting its text) either way.
SAFE_RANGE = (pd.Timestamp("0002-01-01"), pd.Timestamp("9998-12-31"))
# A roster's left_on may be a planned end of membership (a fixed-term post): it may lie in the
# future, but not further than this after the delivery arrived (a typed 2206 is still refused).
PLANNED_DATES = {"left_on": 10}  # years


@dataclass(frozen=True)
class DateBounds:
    """The dates each row of a batch may hold (docs/security.md, "Dates that cannot be true").

    Per row, because one batch holds files of several networks and deliveries: ``earliest``
    (midnight of the earliest date) and ``arrived`` (UTC) as datetime64 Series on the batch's
    index, ``earliest_rule`` the words saying where that earliest date is set.
    """

    earliest: pd.Series
    earliest_rule: pd.Series
    arrived: pd.Series
    margin_days: int


@dataclass
class TypedDelivery:
    """A delivery typed for validation and loading."""

    frame: pd.DataFrame
    rows_in_file: int
    answers: pd.DataFrame | None = None  # survey items, long form
    ignored_columns: tuple[str, ...] = ()


def read_delivery(source: Path | bytes, fmt: SourceFormat) -> pd.DataFrame:
    """Read a delimited text delivery (a path or its bytes); blank cells become missing values.

    Accepts what spreadsheet tools write: UTF-8 with or without BOM, UTF-16 with BOM or
    Windows-1252; comma, semicolon or tab delimiters; the header repeated inside the table
    (pasted exports). A last line cut short (a truncated transfer) rejects the file.
    """
    return tidy_cells(read_table(source, fmt))


def read_table(source: Path | bytes, fmt: SourceFormat) -> pd.DataFrame:
    """The checks of :func:`read_delivery` that concern the file; cells stay as written.

    The loader tidies the cells of many files at once (:func:`tidy_cells`): per-file pandas
    calls on small files cost more than the rows they hold.
    """
    columns, rows = read_rows(source, fmt)
    return pd.DataFrame(rows, columns=columns, dtype=str)


def read_rows(source: Path | bytes, fmt: SourceFormat) -> tuple[list[str], list[list[str]]]:
    """The header (lower case) and the rows of a delivery, every row as long as the header.

    Python's csv module, not pandas: on the small files networks deliver it is several times
    faster, and the loader builds one frame from the rows of many files.
    """
    content = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = decode_text(content)
    if not text.strip():
        raise DeliveryRejected("the file is empty (no header row)")
    delimiter = _delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = next(reader, None)
        rows = [row for row in reader if row]  # blank lines are skipped, as spreadsheets do
    except csv.Error as exc:
        raise DeliveryRejected(f"the file is not a readable CSV table: {exc}") from None
    if not header:
        raise DeliveryRejected("the file is empty (no header row)")
    width = len(header)
    for number, row in enumerate(rows):
        if len(row) > width:
            raise DeliveryRejected(
                f"a row has more fields than the header (data row {number + 1}: {len(row)} fields, header "
                f"{width}): check the delimiter and quoting")
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    _reject_truncated(text, delimiter, width, len(rows) + 1)
    columns = [str(c).strip().lower() for c in header]
    at = columns.index("name") if "name" in columns else None
    problem = header_holds_data(header, {row[at] for row in rows} if at is not None else ())
    if problem is not None:  # before anything quotes the header: it is a person's row
        raise DeliveryRejected(problem)
    duplicated = sorted({c or "(blank)" for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DeliveryRejected(f"the header repeats the column(s) {', '.join(duplicated)}")
    missing = [c for c in fmt.required if c not in columns]
    if missing:
        raise DeliveryRejected(
            f"missing required column(s) {', '.join(missing)}; a {fmt.source} file needs "
            f"{', '.join(fmt.required)}",
            source_columns=columns,
        )
    return columns, rows


def _delimiter(text: str) -> str:
    """The delimiter: the only candidate in the header line, else sniffed from the head."""
    header = text[:text.find("\n")] if "\n" in text else text
    present = [d for d in ",;\t" if d in header]
    return present[0] if len(present) == 1 else sniff_delimiter(text)


def tidy_cells(frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> pd.DataFrame:
    """Strip cells, drop header rows repeated inside the table, blank cells to missing values.

    ``skip`` names columns the loader added (line numbers, the file a row came from).
    """
    skipped = frame[[c for c in skip if c in frame.columns]]
    frame = frame.drop(columns=list(skipped.columns))
    frame = frame.apply(lambda col: col.str.strip())
    # A repeated header repeats the first column's name: only those rows are compared in full.
    first = frame.columns[0]
    candidates = frame[frame[first].str.lower().eq(first).fillna(False)]
    if len(candidates):
        header = pd.Series(frame.columns, index=frame.columns)
        repeated = (candidates.apply(lambda col: col.str.lower()) == header).all(axis=1)
        frame = frame.drop(index=repeated[repeated].index)
    frame = frame.replace("", pd.NA)
    return pd.concat([skipped.loc[frame.index], frame], axis=1) if len(skipped.columns) else frame


def _reject_truncated(text: str, delimiter: str, columns: int, last_line: int) -> None:
    """A transfer cut mid-line leaves a last row with too few fields and no line end."""
    if text.endswith(("\n", "\r")):
        return
    last = text[max(text.rfind("\n"), text.rfind("\r")) + 1:]
    fields = next(csv.reader([last], delimiter=delimiter), [])
    if 1 < len(fields) < columns or (columns > 1 and len(fields) == 1):
        raise DeliveryRejected(
            f"the file looks truncated: its last line (line {last_line}) has {len(fields)} of "
            f"{columns} fields and no line end; deliver the complete export again"
        )


def parse_timestamps(text: pd.Series, timezone: str) -> pd.Series:
    """ISO 8601 text to naive UTC timestamps; text without an offset is network-local time.

    Unparseable values become NaT (the caller reports them). In the autumn hour that
    occurs twice, local times are read as the first (summer-time) occurrence; times in the
    spring gap are moved forward to the first valid instant.
    """
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    present = text.notna()
    has_offset = present & text.str.contains(OFFSET_SUFFIX, na=False)
    local = present & ~has_offset
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
        result[has_offset] = _in_safe_range(aware.dt.tz_localize(None).astype("datetime64[us]"))
    if local.any():
        try:
            naive = pd.to_datetime(text[local], format="ISO8601", errors="coerce")
        except ValueError:  # offsets OFFSET_SUFFIX does not accept, e.g. "+0": those values are bad
            naive = pd.to_datetime(text[local].map(_without_unknown_offset), format="ISO8601", errors="coerce")
        placed = _in_safe_range(naive.astype("datetime64[us]")).dt.tz_localize(
            timezone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
        )
        result[local] = placed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    return result


def _without_unknown_offset(value: str):
    parsed = pd.to_datetime(value, format="ISO8601", errors="coerce")
    return None if pd.isna(parsed) or parsed.tzinfo is not None else value


def parse_dates(text: pd.Series) -> pd.Series:
    return _date_stamps(text).dt.date


def _date_stamps(text: pd.Series) -> pd.Series:
    """Dates as midnight datetime64 values (NaT where unparseable), inside SAFE_RANGE."""
    try:
        stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:  # a cell with an offset among plain dates: the date it names in UTC
        stamps = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).dt.tz_localize(None)
    return _in_safe_range(stamps.astype("datetime64[us]")).dt.normalize()


def _in_safe_range(stamps: pd.Series) -> pd.Series:
    return stamps.clip(*SAFE_RANGE)


def _describe_impossible(text: pd.DataFrame, parsed: pd.DataFrame, bounds: DateBounds) -> pd.Series:
    """Per row, the cells whose date cannot be true: before the earliest date, after the arrival.

    The reason quotes the cells as written (a clipped year-9999 value would mislead), the bound,
    and how to change it, once per row and bound.
    """
    arrived_on = bounds.arrived.dt.strftime("%Y-%m-%d")
    early, late, planned = [], [], []
    for column in text.columns:
        value = column + " '" + text[column].astype("string") + "'"
        early.append(value.where(parsed[column] < bounds.earliest))
        if column in PLANNED_DATES:
            planned.append(value.where(parsed[column] > bounds.arrived + pd.DateOffset(years=PLANNED_DATES[column])))
        else:
            late.append(value.where(parsed[column] > bounds.arrived + pd.Timedelta(days=bounds.margin_days)))
    reasons = [
        (early, bounds.earliest_rule),
        (late, " is after the delivery arrived (" + arrived_on + f") + {bounds.margin_days} days "
               "(NETPULSE_FUTURE_MARGIN_DAYS): fix the date in the export"),
        *((planned, f" is more than {years} years after the delivery arrived (" + arrived_on
                    + "): fix the date in the export") for years in set(PLANNED_DATES.values()) if planned),
    ]
    problems = []
    for cells, reason in reasons:
        if cells:
            listed = pd.concat(cells, axis=1)
            found = listed.notna().any(axis=1)
            joined = pd.Series(pd.NA, index=text.index, dtype="string")
            if found.any():
                joined[found] = listed[found].apply(lambda row: ", ".join(row.dropna()), axis=1) + reason[found]
            problems.append(joined)
    return _join_problems(problems, text.index)


def _describe_bad_values(text: pd.DataFrame, parsed: pd.DataFrame) -> pd.Series:
    """Per row, the cells whose text is present but did not parse, e.g. "left_at='14/03/25'"."""
    problems = []
    for column in text.columns:
        bad = text[column].notna() & parsed[column].isna()
        problems.append((column + "='" + text[column].astype("string") + "'").where(bad))
    return _join_problems(problems, text.index)


# Roster columns that describe where and what a member works as: never who anyone is.
DESCRIPTIVE_COLUMNS = ("organisation", "sector", "profession", "region")
EMAIL_IN_TEXT = re.compile(r"[^@\s;,<>()]+@[^@\s;,<>()]+\.[a-z]{2,}", re.IGNORECASE)


def header_holds_data(header: list[str] | None, names=()) -> str | None:
    """Why a header row is data (an e-mail address, a member's name), or None when it is column names.

    A file delivered without its header row has its first person where the column names should be;
    the reason says so without quoting the cell, and the loader then stores no header at all.
    """
    if not header:
        return None
    known = {" ".join(_words(n)) for n in names if isinstance(n, str) and len(_words(n)) >= 2}
    for position, cell in enumerate(header, 1):
        cell = str(cell)
        if EMAIL_IN_TEXT.search(cell):
            what = "an e-mail address"
        elif " ".join(_words(cell)) in known:
            what = "the name of a person in the file"
        else:
            continue
        return (f"the header row holds data, not column names: column {position} is {what} (not repeated here); "
                "the file was probably exported without its header row: export it again with column names, "
                "as the format in docs/analyst-guide.md lists them")
    return None


def _words(text: str) -> list[str]:
    """Lower-case letter runs: "Patel's" and "PATEL," are the word of "Patel"."""
    return re.findall(r"[^\W\d_]+", text.lower())


def _people_in_descriptions(typed: pd.DataFrame) -> pd.Series:
    """Per row, the descriptive cells that hold an e-mail address or a member's name.

    The reason names the column, never the value (it is a person's). Names are the delivery's
    own members' (the name column), of at least two words so that "Leeds" stays a place.
    """
    given = typed["name"] if "name" in typed.columns else pd.Series(dtype="string")
    names = {" ".join(words) for words in map(_words, given.dropna().unique())
             if len(words) >= 2 and sum(map(len, words)) >= 4}
    longest = max((n.count(" ") + 1 for n in names), default=0)

    def names_a_member(value: str) -> bool:
        words = _words(value)
        return any(" ".join(words[i:j]) in names
                   for i in range(len(words)) for j in range(i + 2, min(i + longest, len(words)) + 1))

    problems = []
    for column in DESCRIPTIVE_COLUMNS:
        if column not in typed.columns:
            continue
        text = typed[column].astype("string")
        email = text.str.contains(EMAIL_IN_TEXT, na=False)
        # Descriptions repeat (a few organisations over thousands of members): judge each once.
        distinct = text.dropna().unique()
        hits = {v for v in distinct if names_a_member(v)} if names else set()
        named = text.isin(hits).fillna(False).astype(bool)
        problems.append(pd.Series(f"{column} holds an e-mail address", index=text.index,
                                  dtype="string").where(email))
        problems.append(pd.Series(f"{column} holds the name of a member of this roster", index=text.index,
                                  dtype="string").where(named & ~email))
    return _join_problems(problems, typed.index)


def _add_identity(typed: pd.DataFrame, frame: pd.DataFrame, source_system: str,
                  hasher: MemberHasher) -> None:
    """The vendor's identity of each row, hashed like e-mails, and who the row is about."""
    for column in IDENTITY_COLUMNS:
        typed[column] = frame[column].astype("string") if column in frame.columns else pd.Series(
            pd.NA, index=frame.index, dtype="string")
    typed["source_system"] = source_system
    typed["is_guest"] = _parse_bool(typed["is_guest"])
    vendor_id = typed["source_user_id"].str.strip().str.lower()
    typed["identity_hash"] = hasher.hash_series(source_system + ":" + vendor_id)
    # The person a row is about: their e-mail when given, else their vendor identity.
    typed["person"] = typed["email_hash"].fillna(typed["identity_hash"])


def _join_problems(parts: list[pd.Series], index: pd.Index) -> pd.Series:
    """Row-wise "; "-join of problem descriptions; missing where a row has none."""
    joined = pd.Series(pd.NA, index=index, dtype="string")
    if not parts:
        return joined
    table = pd.concat(parts, axis=1)
    has_problem = table.notna().any(axis=1)
    # Only faulty rows reach the row-wise join, so clean files stay vectorised.
    if has_problem.any():
        joined[has_problem] = table[has_problem].apply(lambda row: "; ".join(row.dropna()), axis=1)
    return joined


def _lower(series: pd.Series) -> pd.Series:
    return series.str.lower()


def _parse_bool(series: pd.Series) -> pd.Series:
    lowered = series.str.lower()
    result = pd.Series(pd.NA, index=series.index, dtype="boolean")
    result[lowered.isin(TRUE_WORDS)] = True
    result[lowered.isin(FALSE_WORDS)] = False
    return result


def vendor_frame(frame: pd.DataFrame, fmt: SourceFormat) -> pd.DataFrame:
    """A vendor parser's rows, completed to the generic columns (absent ones are missing).

    Missing values then fail the same validation rules as in a generic file.
    """
    frame = frame.reset_index(drop=True)
    for column in fmt.required:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


def type_delivery(frame: pd.DataFrame, fmt: SourceFormat, timezone: str,
                  hasher: MemberHasher, source_system: str = "generic",
                  bounds: DateBounds | None = None) -> TypedDelivery:
    """Type a delivery read by :func:`read_delivery` or a vendor parser; never raises on bad cells.

    With ``bounds``, a date outside them is a bad value too (the loader always gives them).
    """
    rows_in_file = len(frame)
    extras = tuple(c for c in frame.columns
                   if c not in fmt.required and c not in IDENTITY_COLUMNS and c != "line_number")
    typed = frame[list(fmt.required)].copy()
    if "line_number" in frame.columns:  # vendor parsers say where each row came from
        typed.insert(0, "line_number", frame["line_number"].astype("int64"))
    else:
        # Line 1 is the header; the reader's index counts data rows (repeated headers keep
        # their place), which matches the file's lines for exports without blank or
        # multi-line rows.
        typed.insert(0, "line_number", pd.Series(frame.index.to_numpy() + 2, index=frame.index))
    typed["email_normalised"] = normalise_emails(typed["email"])
    typed["email_hash"] = hasher.hash_series(typed["email_normalised"], normalised=True)
    _add_identity(typed, frame, source_system, hasher)

    bad_parts = []
    if fmt.timestamps:
        text = frame[list(fmt.timestamps)]
        parsed = pd.DataFrame({c: parse_timestamps(text[c], timezone) for c in fmt.timestamps})
        bad_parts.append(_describe_bad_values(text, parsed))
        if bounds is not None:
            bad_parts.append(_describe_impossible(text, parsed, bounds))
        for column in fmt.timestamps:
            typed[column] = parsed[column]
    if fmt.dates:
        text = frame[list(fmt.dates)]
        parsed = pd.DataFrame({c: _date_stamps(text[c]) for c in fmt.dates})
        bad_parts.append(_describe_bad_values(text, parsed))
        if bounds is not None:
            bad_parts.append(_describe_impossible(text, parsed, bounds))
        for column in fmt.dates:
            typed[column] = parsed[column].dt.date
    typed["bad_values"] = _join_problems(bad_parts, frame.index)

    answers = None
    if fmt.source == "attendance":
        # Meeting ids are made from titles and file names by some exports: kept keyed, never as words.
        typed["meeting_id"] = hasher.opaque_series("meeting", typed["meeting_id"])
        typed["role"] = _lower(typed["role"]).fillna("attendee")
        typed["status"] = _lower(typed["status"]).fillna("attended")
    elif fmt.source == "forum":
        typed["kind"] = _lower(typed["kind"])
        # A topic starter is its own topic when the export leaves topic_id blank.
        is_topic = typed["kind"].eq("topic").fillna(False)
        typed.loc[is_topic, "topic_id"] = typed.loc[is_topic, "topic_id"].fillna(typed.loc[is_topic, "post_id"])
    elif fmt.source == "survey":
        typed["finished_text"] = _lower(typed["finished"])
        typed["finished"] = _parse_bool(typed["finished"])
        items = tuple(c for c in extras if c not in fmt.not_items)
        answers, typed["bad_answers"] = _survey_answers(frame, items)
        extras = tuple(c for c in extras if c in fmt.not_items)
    elif fmt.source == "roster":
        typed["patient_or_carer_text"] = _lower(typed["patient_or_carer"])
        typed["patient_or_carer"] = _parse_bool(typed["patient_or_carer"])
        typed["other_email_hashes"], typed["bad_other_emails"] = _other_emails(typed["other_emails"], hasher)
        typed["people_in_descriptions"] = _people_in_descriptions(typed)
    return TypedDelivery(frame=typed, rows_in_file=rows_in_file, answers=answers, ignored_columns=extras)


def _survey_answers(frame: pd.DataFrame, items: tuple[str, ...]) -> tuple[pd.DataFrame, pd.Series]:
    """Item columns to long form, and per response the items whose answer is not Likert 1-5."""
    bad = pd.Series(pd.NA, index=frame.index, dtype="string")
    if not items:
        empty = pd.DataFrame({"response_id": pd.Series(dtype="string"),
                              "item": pd.Series(dtype="string"),
                              "answer": pd.Series(dtype="Int16")})
        return empty, bad
    long = frame[["response_id", *items]].melt(
        id_vars="response_id", var_name="item", value_name="text", ignore_index=False
    )
    long = long[long["text"].notna()]
    valid = long["text"].isin(LIKERT_VALUES)
    invalid = long[~valid]
    if len(invalid):
        described = (invalid["item"] + "='" + invalid["text"].astype(str) + "'").groupby(level=0).agg("; ".join)
        bad[described.index] = described
    answers = long[valid].assign(answer=lambda d: d["text"].astype("Int16"))[["response_id", "item", "answer"]]
    # The index stays the row's: a loader typing many files at once finds each answer's file by it.
    return answers, bad


def _other_emails(values: pd.Series, hasher: MemberHasher) -> tuple[pd.Series, pd.Series]:
    """`;`-separated alternative addresses to lists of their keyed hashes."""
    hashes = pd.Series([[] for _ in range(len(values))], index=values.index, dtype=object)
    bad = pd.Series(pd.NA, index=values.index, dtype="string")
    pattern = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
    for index, text in values.dropna().items():
        addresses = [normalise_email(a) for a in text.split(";")]
        addresses = [a for a in addresses if a]
        wrong = [a for a in addresses if not pattern.match(a)]
        if wrong:  # counted, not quoted: a near-address is still a person's
            bad[index] = f"other_emails: {len(wrong)} of {len(addresses)} entries not an e-mail address"
        hashes[index] = [hasher.hash_one(a) for a in addresses if pattern.match(a)]
    return hashes, bad
