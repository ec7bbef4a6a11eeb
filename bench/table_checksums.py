"""Checksums of every derived table of a warehouse, to prove a change leaves the figures alone.

Order-insensitive (a sum of row hashes), doubles rounded to 6 decimal places (sums in another
order differ in the last bits), and the columns that name a build or the time it ran left out:
two builds of the same data agree.

    python bench/table_checksums.py warehouse/netpulse.duckdb > before.txt
"""

from __future__ import annotations

import sys

import duckdb

# What differs between two builds of the same data by construction.
BUILD_COLUMNS = {"build_id", "run_id", "built_at", "started_at", "finished_at", "validated_at", "updated_at"}
SCHEMAS = ("staging", "core", "indicators")


def checksums(path: str) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(path, read_only=True)
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and table_schema in ? and table_name not like '%_history' order by 1",
        [list(SCHEMAS)]).fetchall()
    result = {}
    for (table,) in tables:
        schema, name = table.split(".")
        columns = con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? "
            "and table_name = ? order by ordinal_position", [schema, name]).fetchall()
        kept = [(c, t) for c, t in columns if c not in BUILD_COLUMNS]
        if not kept:
            continue
        values = ", ".join(
            f'round("{c}", 6)' if t in ("DOUBLE", "FLOAT") else f'"{c}"'
            for c, t in kept)
        rows, digest = con.execute(f"select count(*), coalesce(sum(hash(row({values}))::hugeint), 0) "
                                   f"from {table}").fetchone()
        result[table] = (rows, int(digest))
    return result


if __name__ == "__main__":
    for table, (rows, digest) in checksums(sys.argv[1]).items():
        print(f"{table:60s} {rows:>10,} {digest:>42}")
