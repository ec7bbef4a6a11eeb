"""The limit: DuckDB alone reading every file of each source of a landing zone into a typed table.

Told the format (comma-separated, one header row, the column types of docs/formats.md), as
netpulse is, so DuckDB sniffs nothing. A script of its own so that its process imports DuckDB
only: bench_pipeline.py times it as a separate process.

    python bench/duckdb_typed_read.py LANDING_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

SOURCES = ("roster", "attendance", "forum", "survey")
TYPES = {
    "meeting_start": "TIMESTAMP", "meeting_end": "TIMESTAMP", "joined_at": "TIMESTAMP", "left_at": "TIMESTAMP",
    "created_at": "TIMESTAMP", "submitted_at": "TIMESTAMP", "finished": "BOOLEAN",
    "joined_on": "DATE", "left_on": "DATE", "patient_or_carer": "BOOLEAN",
}
SURVEY_TEXT = {"response_id", "instrument", "email", "name"}  # any other survey column is a Likert item


def landing_files(landing: Path) -> dict[str, list[Path]]:
    return {s: sorted(p for p in landing.glob(f"*/{s}/**/*") if p.suffix.lower() == ".csv") for s in SOURCES}


def typed_read(con: duckdb.DuckDBPyConnection, files: dict[str, list[Path]]) -> None:
    """One table per source; its columns come from the first header (the files of a source share it)."""
    for source, paths in files.items():
        if not paths:
            continue
        with open(paths[0], encoding="utf-8-sig") as first:
            header = [c.strip().lower() for c in first.readline().rstrip("\r\n").split(",")]
        other = "TINYINT" if source == "survey" else "VARCHAR"
        columns = {c: TYPES.get(c, "VARCHAR" if c in SURVEY_TEXT else other) for c in header}
        con.execute(f"create or replace table {source} as select * from read_csv(?, columns = ?, header = true, "
                    "auto_detect = false, delim = ',', quote = '\"', escape = '\"')",
                    [[str(p) for p in paths], columns])


def duckdb_read_seconds(files: dict[str, list[Path]]) -> float:
    started = time.perf_counter()
    with duckdb.connect() as con:
        typed_read(con, files)
    return time.perf_counter() - started


if __name__ == "__main__":
    seconds = duckdb_read_seconds(landing_files(Path(sys.argv[1])))
    print(f"read in {seconds:.2f} s")
