"""A small model runner: SQL files in ``transforms/`` plus Python models, in dependency order.

The folder decides where a model lands and how it is materialised; the file name is the
table name. A model whose table would be large and is cheap to derive when read may say so in
its header (``-- materialised: view``). Dependencies are read from the SQL itself (``schema.table`` references to
other models), so there is no list to keep in step with the files.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from netpulse.config.settings import project_path
from netpulse.errors import ConfigError
from netpulse.progress import Progress

# folder -> (schema, materialisation), in the order the flow runs: raw rows as views, what the
# marts need, the marts, per-network-period building blocks, the indicators. Within and across
# folders the runner still orders models by what they read; the numbers are for people.
FOLDERS = {
    "1_staging": ("staging", "view"),
    "2_prepared": ("staging", "table"),
    "3_core": ("core", "table"),
    "4_periods": ("staging", "table"),
    "5_indicators": ("indicators", "table"),
}
# A model may set its own materialisation on a line of its header: "-- materialised: view".
MATERIALISED = re.compile(r"^--\s*materialised:\s*(view|table)\b", re.IGNORECASE | re.MULTILINE)
REFERENCE = re.compile(r"\b(staging|core|indicators)\.([a-z_][a-z0-9_]*)", re.IGNORECASE)
COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


@dataclass
class Model:
    name: str  # schema.table
    depends_on: set[str] = field(default_factory=set)
    sql: str | None = None
    materialisation: str = "table"
    path: Path | None = None
    # Python models read their inputs from the connection and create their own table.
    run: Callable[[duckdb.DuckDBPyConnection], None] | None = None

    def execute(self, con: duckdb.DuckDBPyConnection, existing: str | None = None) -> None:
        """Create the model's table or view; ``existing``: what the name is now ("table", "view")."""
        if self.run is not None:
            self.run(con)
            return
        kind = "view" if self.materialisation == "view" else "table"
        if existing is not None and existing != kind:  # the model changed its materialisation
            con.execute(f"drop {existing} {self.name}")
        con.execute(f"create or replace {kind} {self.name} as\n{self.sql}")


def sql_models(root: Path | None = None) -> list[Model]:
    root = root or project_path("transforms")
    models = []
    for folder, (schema, materialisation) in FOLDERS.items():
        for path in sorted((root / folder).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            declared = MATERIALISED.search(sql)
            models.append(Model(
                name=f"{schema}.{path.stem}",
                depends_on={f"{s.lower()}.{t.lower()}" for s, t in REFERENCE.findall(COMMENT.sub("", sql))},
                sql=sql, materialisation=declared.group(1).lower() if declared else materialisation, path=path,
            ))
    return models


def ordered(models: list[Model]) -> list[Model]:
    """Models in an order where each runs after the models it reads."""
    by_name = {}
    for model in models:
        if model.name in by_name:
            raise ConfigError(f"two models are both named {model.name}")
        by_name[model.name] = model
    graph = {m.name: {d for d in m.depends_on if d in by_name and d != m.name} for m in models}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ConfigError(f"transform models depend on each other in a cycle: {exc.args[1]}") from None
    return [by_name[name] for name in order]


def run_models(con: duckdb.DuckDBPyConnection, models: list[Model], root: Path | None = None,
               timings: dict[str, float] | None = None, progress: Progress | None = None) -> list[str]:
    """Run every model in the current catalog; return their names in the order run.

    ``timings``, when given, receives each model's wall-clock seconds (for the benchmark);
    ``progress`` advances by one per model ("models 12 of 52").
    """
    root = root or project_path("transforms")
    macros = root / "macros.sql"
    if macros.exists():
        con.execute(macros.read_text(encoding="utf-8"))
    existing = dict(con.execute(
        "select schema_name || '.' || table_name, 'table' from duckdb_tables() "
        "where database_name = current_database() "
        "union all select schema_name || '.' || view_name, 'view' from duckdb_views() "
        "where database_name = current_database() and not internal").fetchall())
    names = []
    for model in ordered(models):
        started = time.perf_counter()
        try:
            model.execute(con, existing.get(model.name))
        except duckdb.Error as exc:
            where = model.path or model.name
            raise RuntimeError(f"model {model.name} ({where}) failed: {exc}") from exc
        names.append(model.name)
        if timings is not None:
            timings[model.name] = time.perf_counter() - started
        if progress is not None:
            progress.advance(label=model.name)
    return names
