"""A small model runner: the model files in ``transforms/``, in dependency order.

Every table the build makes has a file: ``<folder>/<table>.sql`` (a select) or
``<folder>/<table>.py`` (a Python model, ``build(con, context)``). The folder decides the schema
and the default materialisation, history and build columns (``transforms/folders.yaml``); a
model's header may set its own (``materialised``, ``history``, ``across networks``, ``build
columns``). Dependencies are read from the tables a
model names (``schema.table`` in its SQL or its Python code), so there is no list to keep in
step with the files.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb

from netpulse.config.settings import project_path
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError
from netpulse.progress import Progress

REFERENCE = re.compile(r"\b(staging|core|indicators)\.([a-z_][a-z0-9_]*)\b", re.IGNORECASE)
SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
PYTHON_COMMENT = re.compile(r"#[^\n]*")
# Header properties: "-- history: none" in SQL, "# history: none" in Python.
PROPERTY = re.compile(r"^(?:--|#)\s*(materialised|history|across networks):\s*([a-z ]+?)\s*$",
                      re.IGNORECASE | re.MULTILINE)
PROPERTY_VALUES = {"materialised": ("view", "table"), "history": ("kept", "none"),
                   "across networks": ("roster aliases", "latest activity")}
ROSTER_ALIASES, LATEST_ACTIVITY = PROPERTY_VALUES["across networks"]
# "-- build columns: methodology_version, key_features_version, build_id" (or "none"): the
# columns of staging.int_build_context appended to the model's rows, when not the folder's.
BUILD_COLUMNS = re.compile(r"^(?:--|#)\s*build columns:\s*([a-z_, ]+?)\s*$", re.IGNORECASE | re.MULTILINE)
BUILD_CONTEXT = "staging.int_build_context"


@dataclass(frozen=True)
class Folder:
    name: str
    order: int
    schema: str
    materialised: str
    history: bool = False
    configuration: bool = False
    in_snapshot: bool = False  # views of the analysts' snapshot, not built in the warehouse
    build_columns: tuple[str, ...] = ()  # of staging.int_build_context, appended to every row


@dataclass
class Model:
    name: str  # schema.table
    depends_on: set[str] = field(default_factory=set)
    sql: str | None = None
    materialisation: str = "table"
    path: Path | None = None
    # Python models read their inputs from the connection and create their own table.
    run: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    folder: Folder | None = None
    history: bool = False  # each build's rows are appended to <name>_history
    across_networks: str | None = None  # ROSTER_ALIASES or LATEST_ACTIVITY: read from every network
    build_columns: tuple[str, ...] = ()  # appended from staging.int_build_context

    @property
    def configuration(self) -> bool:
        """A one-row table of the build's settings, with no network_id."""
        return bool(self.folder and self.folder.configuration)

    def execute(self, con: duckdb.DuckDBPyConnection, existing: str | None = None) -> None:
        """Create the model's table or view; ``existing``: what the name is now ("table", "view")."""
        if self.run is not None:
            self.run(con)
            return
        kind = "view" if self.materialisation == "view" else "table"
        if existing is not None and existing != kind:  # the model changed its materialisation
            con.execute(f"drop {existing} {self.name}")
        con.execute(f"create or replace {kind} {self.name} as\n{self.select()}")

    def select(self) -> str:
        """The model's select, with its build columns appended."""
        if not self.build_columns:
            return self.sql or ""
        appended = ", ".join(f"builds.{column}" for column in self.build_columns)
        return (f"select model.*, {appended},\nfrom (\n{self.sql}\n) as model\n"
                f"cross join {BUILD_CONTEXT} as builds")


def folders(root: Path | None = None) -> list[Folder]:
    """The model folders of ``transforms/folders.yaml``, in run order."""
    root = root or project_path("transforms")
    path = root / "folders.yaml"
    document = read_yaml(path, "model folders")
    try:
        found = [Folder(name=str(name), order=number, schema=str(entry["schema"]),
                        materialised=str(entry.get("materialised", "table")),
                        history=entry.get("history", "none") == "kept",
                        configuration=bool(entry.get("configuration", False)),
                        in_snapshot=bool(entry.get("in_snapshot", False)),
                        build_columns=tuple(str(c) for c in entry.get("build_columns") or ()))
                 for number, (name, entry) in enumerate(dict(document["folders"]).items())]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"model folders {path}: not well formed: {exc!r}") from None
    for folder in found:
        if folder.materialised not in PROPERTY_VALUES["materialised"]:
            raise ConfigError(f"model folders {path}: {folder.name}: materialised must be view or table")
    return found


def _properties(text: str, path: Path) -> dict[str, str]:
    found = {}
    for key, value in PROPERTY.findall(text):
        key, value = key.lower(), value.lower()
        if value not in PROPERTY_VALUES[key]:
            raise ConfigError(f"model {path}: {key} must be one of {', '.join(PROPERTY_VALUES[key])}, not {value!r}")
        found[key] = value
    return found


def _references(text: str, comment: re.Pattern) -> set[str]:
    return {f"{s.lower()}.{t.lower()}" for s, t in REFERENCE.findall(comment.sub("", text))}


def _model(path: Path, folder: Folder, text: str, comment: re.Pattern, **kwargs: Any) -> Model:
    properties = _properties(text, path)
    history = properties.get("history")
    name = f"{folder.schema}.{path.stem}"
    build_columns = folder.build_columns if path.suffix == ".sql" else ()
    declared = BUILD_COLUMNS.search(text)
    if declared:
        listed = tuple(c.strip().lower() for c in declared.group(1).split(",") if c.strip())
        build_columns = () if listed == ("none",) else listed
    depends_on = _references(text, comment) - {name} | ({BUILD_CONTEXT} if build_columns else set())
    return Model(
        name=name, depends_on=depends_on, build_columns=build_columns,
        path=path, folder=folder,
        materialisation=properties.get("materialised", folder.materialised),
        history=folder.history if history is None else history == "kept",
        across_networks=properties.get("across networks"), **kwargs)


def sql_models(root: Path | None = None, *, snapshot: bool = False) -> list[Model]:
    """The SQL models (``*.sql``) the build runs; with ``snapshot``, also the snapshot's views."""
    root = root or project_path("transforms")
    models = []
    for folder in folders(root):
        if folder.in_snapshot and not snapshot:
            continue
        for path in sorted((root / folder.name).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            models.append(_model(path, folder, sql, SQL_COMMENT, sql=sql))
    return models


_MODULES: dict[tuple[str, int], ModuleType] = {}


def _python_module(path: Path) -> ModuleType:
    """The model file as a module (loaded again when the file changes)."""
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _MODULES:
        # Compiled from its text rather than imported: nothing (no __pycache__) is written beside
        # the models, and a model file is not a package a deployment could import by accident.
        module = ModuleType(f"netpulse_models.{path.parent.name}.{path.stem}")
        module.__file__ = str(path)
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)  # noqa: S102
        if not callable(getattr(module, "build", None)):
            raise ConfigError(f"model {path} has no function build(con, context)")
        _MODULES[key] = module
    return _MODULES[key]


def python_models(context: Any, root: Path | None = None) -> list[Model]:
    """The Python models (``*.py``) of every folder, each run as ``build(con, context)``."""
    root = root or project_path("transforms")
    models = []
    for folder in folders(root):
        for path in sorted((root / folder.name).glob("*.py")):
            module = _python_module(path)
            models.append(_model(path, folder, path.read_text(encoding="utf-8"), PYTHON_COMMENT,
                                 run=lambda con, module=module: module.build(con, context)))
    return models


def history_tables(models: list[Model] | None = None) -> dict[str, str]:
    """Table -> its history table, for the models that keep one (``history: kept``).

    Without ``models``, read from the model files (Python models are not loaded for it).
    """
    if models is None:
        root = project_path("transforms")
        models = sql_models(root) + [
            _model(path, folder, path.read_text(encoding="utf-8"), PYTHON_COMMENT)
            for folder in folders(root) for path in sorted((root / folder.name).glob("*.py"))]
    return {m.name: f"{m.name}_history" for m in models if m.history}


def transform_models(context: Any, root: Path | None = None) -> list[Model]:
    """Every model of ``transforms/``: the SQL ones and the Python ones."""
    return sql_models(root) + python_models(context, root)


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
