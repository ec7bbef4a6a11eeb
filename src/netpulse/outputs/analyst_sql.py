"""`netpulse sql` and `netpulse dictionary`: analysts' queries against the published snapshot.

Both read the snapshot (``store.snapshot``), never the warehouse, so they work while a load or
build runs and never hold up one.

The analyst's SQL is confined to the snapshot (docs/security.md): the connection is opened with
external access off (no file read or written, no ATTACH, no extension installed or loaded),
extensions never autoloaded, and the configuration locked before the first statement, so no
statement can turn any of it back on. Results leave only through ``--out``/``--format``, written
by this module (DuckDB itself may not write files), with CSV cells made inert for spreadsheets.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

import duckdb
import pyarrow.parquet as pq

from netpulse.config.settings import Settings
from netpulse.errors import ConfigError, NetpulseError
from netpulse.safe_text import inert_row, terminal_text
from netpulse.store.snapshot import SNAPSHOT_SCHEMAS, snapshot_path

FORMATS = ("table", "csv", "json", "parquet")
# Set when the connection opens; lock_configuration comes last in effect (DuckDB applies the
# options, then locks), so a statement can neither SET nor RESET them.
CONFINED = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,
}
REFUSED = ("netpulse sql reads the analysts' snapshot only: files, ATTACH, extensions and settings are "
           "switched off. Write a result with --out FILE --format csv|json|parquet")
_BATCH_ROWS = 100_000


def open_snapshot(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The published snapshot, read-only and confined (see the module docstring)."""
    path = snapshot_path(settings.warehouse)
    if not path.exists():
        raise ConfigError(f"no analysts' snapshot at {path} yet: a successful build publishes it "
                          "(`netpulse run`, or the build DAG)")
    return duckdb.connect(str(path), read_only=True, config=dict(CONFINED))


def run_query(con: duckdb.DuckDBPyConnection, sql: str, fmt: str = "table", out: Path | None = None,
              stream: IO[str] | None = None) -> None:
    """Run one statement and write its result as a table, CSV, JSON (an array of objects) or Parquet."""
    stream = stream or sys.stdout
    if fmt not in FORMATS:
        raise NetpulseError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise NetpulseError("--format parquet needs --out FILE")
    try:
        relation = con.sql(sql)
        if relation is None:
            return  # a statement with no result (SET, PRAGMA)
        if fmt == "parquet":
            _write_parquet(relation, out)
        elif out is not None:
            with out.open("w", encoding="utf-8", newline="") as handle:
                _write(relation, fmt, handle)
        else:
            _write(relation, fmt, stream)
    except (duckdb.PermissionException, duckdb.InvalidInputException) as exc:
        if _is_refusal(exc):
            raise NetpulseError(f"refused: {REFUSED}") from None
        raise NetpulseError(f"query failed: {terminal_text(str(exc))}") from None
    except duckdb.Error as exc:
        raise NetpulseError(f"query failed: {terminal_text(str(exc))}") from None


def _is_refusal(exc: duckdb.Error) -> bool:
    text = str(exc)
    return (isinstance(exc, duckdb.PermissionException) or "configuration has been locked" in text
            or "read-only mode" in text)


def _write_parquet(relation: duckdb.DuckDBPyRelation, out: Path) -> None:
    """Parquet written here, in batches: DuckDB's own COPY is one of the things switched off."""
    reader = relation.fetch_record_batch(_BATCH_ROWS)
    with pq.ParquetWriter(str(out), reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)


def _write(relation: duckdb.DuckDBPyRelation, fmt: str, stream: IO[str]) -> None:
    if fmt == "table":
        # Cell text is the data's: control characters in it must not drive the terminal.
        stream.write(terminal_text(relation.fetch_arrow_table().to_pandas().to_string(index=False)) + "\n")
        return
    columns = relation.columns
    rows = relation.fetchall()
    if fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(inert_row(columns))
        writer.writerows(inert_row(row) for row in rows)
    elif fmt == "json":
        json.dump([dict(zip(columns, row, strict=True)) for row in rows], stream, default=_json_value, indent=1)
        stream.write("\n")
    else:
        raise NetpulseError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


def _json_value(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def shell(con: duckdb.DuckDBPyConnection, fmt: str = "table") -> None:
    """A minimal interactive prompt: statements end with ';', `.tables` lists tables, `.quit` leaves."""
    try:
        import readline  # noqa: F401  (line editing and history where the platform has it)
    except ImportError:
        pass
    print("netpulse sql: the analysts' snapshot, read-only. End statements with ';'. .tables, .quit")
    buffer: list[str] = []
    while True:
        try:
            line = input("... " if buffer else "netpulse> ")
        except EOFError:
            print()
            return
        stripped = line.strip()
        if not buffer and stripped in (".quit", ".exit"):
            return
        if not buffer and stripped == ".tables":
            stripped = ("select table_schema || '.' || table_name as name, table_type from "
                        "information_schema.tables order by 1;")
        buffer.append(stripped)
        if stripped.endswith(";"):
            statement = "\n".join(buffer)
            buffer = []
            try:
                run_query(con, statement, fmt)
            except NetpulseError as exc:
                print(exc)


def data_dictionary(con: duckdb.DuckDBPyConnection) -> str:
    """docs/data-dictionary.md: every table and column of the snapshot, with its comment."""
    lines = [
        "# Data dictionary",
        "",
        "Every table, view and column of the analysts' snapshot (`<warehouse>.snapshot.duckdb`; see",
        "[analyst-guide.md](analyst-guide.md)), with its type and meaning. The same text is stored in",
        "the snapshot as `COMMENT ON` (`select comment from duckdb_columns()`).",
        "",
        "Generated by `netpulse dictionary --out docs/data-dictionary.md` from a warehouse; do not edit",
        "by hand: the meanings live in `src/netpulse/store/dictionary.yaml` (a test fails when this file",
        "is stale).",
    ]
    objects = con.execute(
        "select schema_name, table_name, 'table', comment from duckdb_tables() "
        "union all select schema_name, view_name, 'view', comment from duckdb_views() where not internal "
        "order by 1, 2").fetchall()
    columns: dict[tuple[str, str], list[tuple]] = {}
    for schema, table, column, data_type, comment in con.execute(
            "select schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
            "order by schema_name, table_name, column_index").fetchall():
        columns.setdefault((schema, table), []).append((column, data_type, comment))
    for schema in SNAPSHOT_SCHEMAS:
        lines += ["", f"## {schema}"]
        for object_schema, table, kind, comment in objects:
            if object_schema != schema:
                continue
            lines += ["", f"### {schema}.{table}", "", f"{kind.capitalize()}. {_one_line(comment)}"]
            if table.endswith("_history"):
                lines += ["", f"Columns: as `{schema}.{table.removesuffix('_history')}`."]
                continue
            lines += ["", "| column | type | meaning |", "|---|---|---|"]
            lines += [f"| `{column}` | {data_type.lower()} | {_one_line(meaning)} |"
                      for column, data_type, meaning in columns[(schema, table)]]
    return "\n".join(lines) + "\n"


def _one_line(text: str | None) -> str:
    return " ".join((text or "**undocumented**").split()).replace("|", "\\|")
