"""The analysts' snapshot: a read-only copy of what analysts need, published after every build.

DuckDB lets one process write a file, and a writer locks out readers in other processes (and a
reader locks out writers). Analysts therefore never open the warehouse: after each successful
build the pipeline writes ``<warehouse>.snapshot.duckdb`` beside it, a complete DuckDB file
written under a temporary name and renamed over the previous one. The rename is atomic, so a
reader opens either the previous snapshot or the new one, never a half-written file; a reader
holding the previous one open keeps reading it (the old file lives on until it is closed) and
never blocks a load, because the pipeline never opens the snapshot for writing.

What it holds: the ``indicators`` and ``core`` schemas and the parts of ``meta`` that say what
was loaded and built, every table and column with its ``COMMENT ON``, the date macros the build
uses, and views for longitudinal work (``transforms/8_snapshot/``, one select per view). What it leaves out, because it
could name someone: ``raw`` and ``staging``, identity decisions and erasures (the review queue),
free text (meeting titles), and everything of a delivery that comes from the file rather than
from netpulse: its path (file names name people: "jane-doe-1-1.csv"), its header cells (a roster
without its header row has a person there), its refusal (it can quote the file's values), and
validation examples; and no path of the machine (docs/security.md). The file is written with
mode 0640: readable by the analysts' group, not by every account on the machine.

Views stay views: ``core.interactions`` (millions of co-attendance pairs) reads the members'
integer codes, which the snapshot holds in the schema ``coded``, as the warehouse's view reads
them in ``staging``.

A snapshot costs what the build changed. When the previous snapshot has the same tables and
columns, it is copied and only the networks built since it was published are swapped: their rows
deleted and the warehouse's inserted, in every table with a ``network_id`` (history tables too);
``meta`` tables and tables without a ``network_id`` are written whole. Which networks those are is
read from ``meta.network_builds`` (each network's latest build, in the warehouse and in the
previous snapshot). A full build, a changed layout, or more than half the networks built, writes
the snapshot afresh. Either way the new file is complete before it is renamed into place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

from netpulse.config.settings import project_path

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SNAPSHOT_SCHEMAS = ("indicators", "core", "coded", "meta")
# The snapshot's schema for the warehouse tables its views read (``staging`` there): integer codes
# of members and their interactions, nothing that names anyone.
CODED = "coded"
# Above this share of the networks built since the previous snapshot, a fresh one is cheaper
# than swapping most rows of every table.
SWAP_UP_TO = 0.5
# meta tables analysts may read; the others hold review-queue decisions, erased members' keys
# and the hash key's fingerprint.
META_TABLES = ("networks", "deliveries", "builds", "network_builds", "validation_results")
LEFT_OUT_COLUMNS = {
    "core.meetings": {"meeting_title"},  # free text: titles can carry people's names
    # From the file, not from netpulse: its name, its header cells, a refusal quoting its values.
    "meta.deliveries": {"path", "error", "source_columns", "ignored_columns", "schema_drift"},
    "meta.builds": {"error"},  # an exception's text: it can name a path of the machine
    "meta.validation_results": {"unexpected_examples"},  # quotes the file's values
}
SNAPSHOT_MODE = 0o640
# In place of meta.deliveries' path: what the Airflow watcher compares the landing zone with, as a
# hash of path, size and modification time (microseconds), so the snapshot names no file and an
# analyst cannot confirm a guessed file name without its exact size and time.
LANDING_FINGERPRINT_SQL = "sha256(path || '|' || size_bytes::varchar || '|' || epoch_us(modified_at)::varchar)"


def landing_fingerprint(path: str, size_bytes: int, modified_at: datetime) -> str:
    """The snapshot's ``meta.deliveries.landing_fingerprint`` of a landing file (naive UTC mtime)."""
    micros = (modified_at - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    return hashlib.sha256(f"{path}|{size_bytes}|{micros}".encode()).hexdigest()


def snapshot_path(warehouse: Path) -> Path:
    """``warehouse/netpulse.duckdb`` → ``warehouse/netpulse.snapshot.duckdb``."""
    return warehouse.with_name(f"{warehouse.stem}.snapshot.duckdb")


def load_dictionary() -> dict[str, dict]:
    """Table → {description, columns}: what every analyst-facing table and column means."""
    entries = yaml.load((_HERE / "dictionary.yaml").read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a SafeLoader
    for name in list(entries):
        if name.startswith("indicators."):
            base = entries[name]
            entries[f"{name}_history"] = {
                "description": f"Every build's rows of {name}, for the networks the build built; "
                               f"`build_id` says which build. {base['description']}",
                "columns": base["columns"],
            }
    return entries


def snapshot_build(path: Path) -> str | None:
    """The build a published snapshot holds, or None when there is none (or it is unreadable)."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("select build_id from meta.snapshot").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def publish_snapshot(con: duckdb.DuckDBPyConnection, warehouse: Path, *, force: bool = False) -> Path | None:
    """Write the snapshot of the warehouse ``con`` has open for writing; None if already current.

    Called by the writer after a build commits, so it reads a consistent warehouse without
    another lock. The last successful build is the snapshot's version.
    """
    latest = con.execute("select build_id from meta.builds where status = 'succeeded' "
                         "order by finished_at desc limit 1").fetchone()
    if latest is None:
        return None
    target = snapshot_path(warehouse)
    if not force and snapshot_build(target) == latest[0]:
        return None
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    home = con.execute("select current_database()").fetchone()[0]
    layout = _layout(con)
    swap = None if force else _networks_to_swap(con, target, layout)
    try:
        if swap is not None:
            shutil.copyfile(target, temporary)  # the previous snapshot is never written: a consistent copy
        con.execute(f"attach '{_quoted(temporary)}' as analyst_snapshot")
    except BaseException:
        temporary.unlink(missing_ok=True)  # a copy cut short (a full disk) is not left behind
        raise
    try:
        # One transaction: a catalog change per statement costs milliseconds each on its own.
        con.execute("begin transaction")
        if swap is None:
            _copy_tables(con, layout)
        else:
            _swap_networks(con, layout, swap)
        con.execute("use analyst_snapshot")
        try:
            for statement in _macros():
                con.execute(statement)
            for name, sql in [*layout.views.items(), *snapshot_views()]:
                con.execute(f"create or replace view {name} as\n{sql}")
            con.execute("create or replace table meta.snapshot as select ? as build_id, ? as published_at",
                        [latest[0], datetime.now(UTC).replace(tzinfo=None)])
            apply_comments(con)
        finally:
            con.execute(f"use {_identifier(home)}")
        con.execute("commit")
        con.execute("checkpoint analyst_snapshot")
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:
            pass  # no transaction open: the failure came before it or from the commit
        con.execute("detach analyst_snapshot")
        temporary.unlink(missing_ok=True)
        raise
    con.execute("detach analyst_snapshot")
    os.chmod(temporary, SNAPSHOT_MODE)  # before the rename: the published file is never wider
    os.replace(temporary, target)
    how = "written afresh" if swap is None else f"{len(swap)} network(s) swapped into the previous one"
    log.info("analysts' snapshot of build %s (%s): %s", latest[0], how, target)
    return target


# The folder of transforms/ whose models are views of the snapshot (transforms/folders.yaml says
# so too, and tests/test_models.py that the two agree).
SNAPSHOT_VIEWS = ("8_snapshot", "indicators")


def snapshot_views() -> list[tuple[str, str]]:
    """(schema.view, select) of each view the snapshot adds for longitudinal work."""
    folder, schema = SNAPSHOT_VIEWS
    return [(f"{schema}.{path.stem}", path.read_text(encoding="utf-8"))
            for path in sorted(project_path("transforms", folder).glob("*.sql"))]


def _macros() -> list[str]:
    """The date macros of the models and the warehouse's own (``meta.network_builds_as_of``)."""
    statements = [project_path("transforms", "macros.sql").read_text(encoding="utf-8")]
    for ddl in sorted(project_path("warehouse").glob("*.sql")):
        text = re.sub(r"--[^\n]*", "", ddl.read_text(encoding="utf-8"))
        statements += [s.strip() for s in text.split(";") if s.strip().lower().startswith("create or replace macro")]
    return statements


@dataclass
class _Layout:
    """What the snapshot holds: each table's select from the warehouse, and its views."""

    tables: dict[str, str] = field(default_factory=dict)  # snapshot table -> select from the warehouse
    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # snapshot table -> (column, type)
    views: dict[str, str] = field(default_factory=dict)  # snapshot view -> its select in the snapshot

    def per_network(self, table: str) -> bool:
        """Rows swapped network by network (else the table is written whole)."""
        return not table.startswith("meta.") and any(c == "network_id" for c, _ in self.columns[table])


def _layout(con: duckdb.DuckDBPyConnection) -> _Layout:
    """The snapshot's tables and views, from the warehouse ``con`` has open."""
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where database_name = current_database() order by schema_name, table_name, column_index").fetchall():
        columns.setdefault((schema, table), []).append((column, data_type))
    layout = _Layout()

    def add(name: str, schema: str, table: str, extra: str = "") -> None:
        left_out = LEFT_OUT_COLUMNS.get(name, set())
        kept = [(c, t) for c, t in columns[(schema, table)] if c not in left_out]
        layout.tables[name] = f"select {', '.join(_identifier(c) for c, _ in kept)}{extra} from {schema}.{table}"
        layout.columns[name] = kept + ([("landing_fingerprint", "VARCHAR")] if extra else [])

    for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name in ('indicators', 'core') and not temporary order by 1, 2").fetchall():
        add(f"{schema}.{table}", schema, table)
    for schema, view, sql in con.execute(
            "select schema_name, view_name, sql from duckdb_views() where database_name = current_database() "
            "and schema_name in ('indicators', 'core') and not internal order by 1, 2").fetchall():
        select = re.sub(r"^\s*create\s+(?:or\s+replace\s+)?view\s+\S+\s+as\s+", "", sql, flags=re.IGNORECASE)
        # The warehouse's schemas it names (an alias named like one only makes it a table: safe).
        reads = {(s.lower(), t.lower()) for s, t in re.findall(
            r"\b(raw|meta|staging|core|indicators)\.([a-z_0-9]+)\b", select, flags=re.IGNORECASE)}
        staged = sorted(t for s, t in reads if s == "staging")
        if any(s in ("raw", "meta") for s, _ in reads) or not all(("staging", t) in columns for t in staged):
            add(f"{schema}.{view}", schema, view)  # it reads what the snapshot leaves out: its rows, as a table
            continue
        for table in staged:
            add(f"{CODED}.{table}", "staging", table)
        layout.views[f"{schema}.{view}"] = re.sub(r"\bstaging\.", f"{CODED}.", select, flags=re.IGNORECASE)
    for table in META_TABLES:
        add(f"meta.{table}", "meta", table,
            f", {LANDING_FINGERPRINT_SQL} as landing_fingerprint" if table == "deliveries" else "")
    return layout


def _copy_tables(con: duckdb.DuckDBPyConnection, layout: _Layout) -> None:
    statements = [f"create schema analyst_snapshot.{schema}" for schema in SNAPSHOT_SCHEMAS]
    statements += [f"create table analyst_snapshot.{name} as {select}" for name, select in layout.tables.items()]
    con.execute(";\n".join(statements))


def _networks_to_swap(con: duckdb.DuckDBPyConnection, target: Path, layout: _Layout) -> list[str] | None:
    """The networks whose rows differ between the previous snapshot and the warehouse; None: write afresh."""
    if not target.exists():
        return None
    try:
        con.execute(f"attach '{_quoted(target)}' as previous_snapshot (read_only)")
    except duckdb.Error as exc:
        log.warning("analysts' snapshot: the previous one is unreadable (%s); writing it afresh", exc)
        return None
    latest = ("select network_id, arg_max(build_id, built_at) as build_id from {}.meta.network_builds "
              "group by network_id")
    home = _identifier(con.execute("select current_database()").fetchone()[0])
    try:
        found: dict[str, list[tuple[str, str]]] = {}
        for schema, table, column, data_type in con.execute(
                "select schema_name, table_name, column_name, data_type from duckdb_columns() "
                "where database_name = 'previous_snapshot' and table_name in (select table_name from duckdb_tables() "
                "where database_name = 'previous_snapshot' and schema_name = duckdb_columns.schema_name) "
                "order by schema_name, table_name, column_index").fetchall():
            found.setdefault(f"{schema}.{table}", []).append((column, data_type))
        views = {f"{schema}.{view}" for schema, view in con.execute(
            "select schema_name, view_name from duckdb_views() where database_name = 'previous_snapshot' "
            "and not internal").fetchall()}
        if (set(found) != {*layout.tables, "meta.snapshot"} or not views <= {*layout.views, *dict(snapshot_views())}
                or any(found[name] != columns for name, columns in layout.columns.items()
                       if layout.per_network(name))):
            return None  # other tables, views or columns than a fresh snapshot would have
        changed = [network for (network,) in con.execute(
            f"select network_id from (({latest.format(home)} except {latest.format('previous_snapshot')}) "
            f"union all ({latest.format('previous_snapshot')} except {latest.format(home)})) "
            "group by network_id order by network_id").fetchall()]
        total = con.execute(f"select count(distinct network_id) from {home}.meta.network_builds").fetchone()[0]
    except duckdb.Error as exc:
        log.warning("analysts' snapshot: the previous one cannot be compared (%s); writing it afresh", exc)
        return None
    finally:
        con.execute("detach previous_snapshot")
    return None if len(changed) > SWAP_UP_TO * max(total, 1) else changed


def _swap_networks(con: duckdb.DuckDBPyConnection, layout: _Layout, networks: list[str]) -> None:
    """In the copied snapshot: the networks' rows replaced by the warehouse's; other tables written whole."""
    chosen = "network_id in (select unnest(?::varchar[]))"
    for name, select in layout.tables.items():
        if layout.per_network(name):
            con.execute(f"delete from analyst_snapshot.{name} where {chosen}", [networks])
            con.execute(f"insert into analyst_snapshot.{name} {select} where {chosen}", [networks])
        else:
            con.execute(f"create or replace table analyst_snapshot.{name} as {select}")


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    """``COMMENT ON`` every table, view and column of the analyst schemas in the current catalog."""
    dictionary = load_dictionary()
    objects = con.execute(
        "select schema_name, table_name, 'table' from duckdb_tables() where database_name = current_database() "
        "and schema_name in (select unnest(?::varchar[])) "
        "union all select schema_name, view_name, 'view' from duckdb_views() "
        "where database_name = current_database() and schema_name in (select unnest(?::varchar[])) "
        "and not internal", [list(SNAPSHOT_SCHEMAS)] * 2).fetchall()
    statements = []
    columns: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and schema_name in (select unnest(?::varchar[]))",
            [list(SNAPSHOT_SCHEMAS)]).fetchall():
        columns.setdefault((schema, table), set()).add(column)
    for schema, table, kind in objects:
        entry = dictionary.get(f"{schema}.{table}")
        if entry is None:
            continue  # a table with no entry shows as undocumented in the dictionary test
        statements.append(f"comment on {kind} {schema}.{table} is {_literal(entry['description'])}")
        statements += [f"comment on column {schema}.{table}.{_identifier(column)} is {_literal(meaning)}"
                       for column, meaning in entry["columns"].items() if column in columns[(schema, table)]]
    if statements:
        con.execute(";\n".join(statements))


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
