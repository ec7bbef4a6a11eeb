"""An incremental build: the same models, run on the inputs of a few networks only.

A private in-memory catalog (``netpulse_scratch``) is attached to the build's connection. It
gets the schemas of the warehouse: in ``raw`` and ``meta``, a copy of the rows of the networks
being built (tables without network_id are views of the warehouse's). The build then ``USE``s
that catalog and runs the unchanged model list there, so ``raw.attendance`` or
``staging.int_people_resolved`` in a model resolve to the scratch catalog. Afterwards, in the
build's one warehouse transaction, each model table loses the rebuilt networks' rows and gets the
scratch rows instead (tables without network_id are replaced whole). Views are left as the last
full build created them: they read ``raw``, which is always current.

Every model is per network except two, which read across networks (docs/decisions.md) and say
so in their header (``across networks: roster aliases`` / ``latest activity``):

- ``staging.int_member_aliases``: roster aliases are resolved from all rosters together. It is
  computed here from every network's roster, and a network whose members' aliases changed (a
  roster delivered to another network lists their address) is rebuilt too.
- ``staging.int_latest_activity``: every spine runs to the latest activity in the warehouse. It is
  computed from the rebuilt networks' events and the others' current events; if its month moved,
  every network gains or loses periods and the build is a full one instead.

Models whose table has no network_id and that only restate configuration (the build context,
parameters and instrument items of ``transforms/0_context/``) are recomputed in the scratch
catalog and replaced whole. Any other table without network_id makes the build a full one:
nobody has said how to build it incrementally.
"""

from __future__ import annotations

import dataclasses
import logging

import duckdb

from netpulse.build.models import LATEST_ACTIVITY, ROSTER_ALIASES, Model, ordered, run_models
from netpulse.config.sources import REGISTRY
from netpulse.errors import ConfigError

log = logging.getLogger(__name__)

SCRATCH = "netpulse_scratch"
SCHEMAS = ("raw", "meta", "staging", "core", "indicators")
# Raw tables and the columns that hold a person's e-mail hash, which roster aliases resolve.
ALIASED = {source.raw_table: "email_hash" for source in REGISTRY.values() if "email_hash" in source.raw_columns}


def across_networks(models: list[Model], kind: str) -> Model:
    """The model a build computes over every network (``across networks: <kind>`` in its header)."""
    found = [m for m in models if m.across_networks == kind]
    if len(found) != 1:
        raise ConfigError(f"expected one model marked 'across networks: {kind}', found {len(found)}")
    return found[0]


class Fallback(Exception):
    """The incremental build cannot give the full build's result: build everything instead."""


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
    """Base tables of the schemas, each with its (column, type) list."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
            "select schema_name || '.' || table_name, column_name, data_type from duckdb_columns() "
            "where database_name = ? and schema_name in (select unnest(?::varchar[])) "
            "and table_name in (select table_name from duckdb_tables() where database_name = ? "
            "and schema_name = duckdb_columns.schema_name) order by schema_name, table_name, column_index",
            [catalog, list(schemas), catalog]).fetchall():
        tables.setdefault(table, []).append((column, data_type))
    return tables


class Scratch:
    """The scratch catalog of one incremental build; use as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.catalog = con.execute("select current_database()").fetchone()[0]
        self.warehouse = '"' + self.catalog.replace('"', '""') + '"'  # for SQL: named after the file
        self.networks: list[str] = []

    def __enter__(self) -> Scratch:
        self.con.execute(f"attach ':memory:' as {SCRATCH}")
        for schema in SCHEMAS:
            self.con.execute(f"create schema {SCRATCH}.{schema}")
        self.con.execute(f"create table {SCRATCH}.main.build_networks (network_id varchar primary key)")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.con.execute(f"use {self.warehouse}")
        finally:
            self.con.execute(f"detach {SCRATCH}")

    # -- which networks ------------------------------------------------------------------------

    def networks_sharing_aliases(self, model: Model, networks: list[str]) -> set[str]:
        """Compute the aliases of every roster; the networks whose members' aliases changed.

        The networks being built changed their own inputs; an alias they brought or took away can
        change how another network's members resolve, and that network must be rebuilt too.
        """
        aliases = model.name
        self.con.execute(f"create or replace table {SCRATCH}.{aliases} as {model.select()}")
        changed = self.con.execute(
            f"""
            select count(*) from (
                (select * from {SCRATCH}.{aliases} except all select * from {self.warehouse}.{aliases})
                union all
                (select * from {self.warehouse}.{aliases} except all select * from {SCRATCH}.{aliases})
            )
            """).fetchone()[0]
        if not changed:
            return set()
        hashes = f"""
            select email_hash from (
                (select * from {SCRATCH}.{aliases} except all select * from {self.warehouse}.{aliases})
                union all
                (select * from {self.warehouse}.{aliases} except all select * from {SCRATCH}.{aliases})
            )
        """
        affected = " union ".join(f"select network_id from {self.warehouse}.{table} where {column} in ({hashes})"
                                  for table, column in ALIASED.items())
        extra = {n for (n,) in self.con.execute(affected).fetchall()} - set(networks)
        if extra:
            log.info("roster aliases changed for members of %d other network(s): %s", len(extra),
                     ", ".join(sorted(extra)))
        return extra

    # -- building --------------------------------------------------------------------------------

    def load(self, networks: list[str]) -> None:
        """The raw and meta rows of the networks (tables without network_id: views of the warehouse's)."""
        self.networks = sorted(networks)
        self.con.execute(f"insert into {SCRATCH}.main.build_networks select unnest(?::varchar[])", [self.networks])
        for table, columns in _tables(self.con, self.catalog, ("raw", "meta")).items():
            source = f"{self.warehouse}.{table}"
            if any(name == "network_id" for name, _ in columns):
                self.con.execute(f"create table {SCRATCH}.{table} as select * from {source} "
                                 f"where network_id in (select network_id from {SCRATCH}.main.build_networks)")
            else:
                self.con.execute(f"create view {SCRATCH}.{table} as select * from {source}")

    def run(self, models: list[Model], **kwargs) -> list[str]:
        """Run the models in the scratch catalog (the aliases are already there)."""
        latest = f"""
            select max(last_date) as last_date, from (
                select max(local_date) as last_date from {SCRATCH}.core.engagement_events
                union all
                select max(local_date) from {self.warehouse}.core.engagement_events
                where network_id not in (select network_id from {SCRATCH}.main.build_networks)
            )
        """
        adjusted = []
        for model in models:
            if model.across_networks == ROSTER_ALIASES:  # computed already, from every roster
                model = dataclasses.replace(model, sql=None, run=lambda con: None)
            elif model.across_networks == LATEST_ACTIVITY:
                model = dataclasses.replace(model, sql=latest)
            adjusted.append(model)
        self.con.execute(f"use {SCRATCH}")
        try:
            return run_models(self.con, adjusted, **kwargs)
        finally:
            self.con.execute(f"use {self.warehouse}")

    def check(self, models: list[Model]) -> None:
        """Raise Fallback unless the scratch tables can replace the rebuilt networks' rows."""
        latest = across_networks(models, LATEST_ACTIVITY).name
        moved = self.con.execute(
            f"select (select date_trunc('month', last_date) from {SCRATCH}.{latest}) "
            f"is distinct from (select date_trunc('month', last_date) from {self.warehouse}.{latest})").fetchone()[0]
        if moved:
            raise Fallback("the latest activity moved to another month: every network's spine changes")
        scratch = _tables(self.con, SCRATCH, SCHEMAS[2:])
        warehouse = _tables(self.con, self.catalog, SCHEMAS[2:])
        for model in self.tables(models):
            if scratch.get(model.name) != warehouse.get(model.name):
                raise Fallback(f"{model.name} has other columns than the warehouse's")
            if not any(name == "network_id" for name, _ in scratch[model.name]) and \
                    not model.configuration and model.across_networks is None:
                raise Fallback(f"{model.name} has no network_id and no incremental rule")

    @staticmethod
    def tables(models: list[Model]) -> list[Model]:
        return [m for m in ordered(models) if m.materialisation != "view"]

    def write_back(self, models: list[Model]) -> None:
        """Replace the rebuilt networks' rows of every model table (inside the build's transaction)."""
        scratch = _tables(self.con, SCRATCH, SCHEMAS[2:])
        for model in self.tables(models):
            target, source = f"{self.warehouse}.{model.name}", f"{SCRATCH}.{model.name}"
            if any(name == "network_id" for name, _ in scratch[model.name]):
                self.con.execute(f"delete from {target} "
                                 f"where network_id in (select network_id from {SCRATCH}.main.build_networks)")
                self.con.execute(f"insert into {target} by name select * from {source}")
            else:
                self.con.execute(f"create or replace table {target} as select * from {source}")
