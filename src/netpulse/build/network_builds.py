"""What a build must build: the networks whose inputs changed since they were last built.

Every figure netpulse computes is about one network, and is a function of

- the network's inputs: its rows in every ``raw`` table (deliveries loaded, less any erasure),
  its entry in ``meta.networks`` (time zone, quarter start, priority themes...), its loaded
  deliveries in the manifest, its identity decisions and its erasures; and
- the definitions: the methodology version, every stage-rules version and which is current, the
  key-feature and warning-sign configuration, the instruments, the text of every SQL model, the
  macros and the DDL, the source of the Python models, and DuckDB's version.

A network's *signature* hashes both; ``meta.network_builds`` keeps the signature each network was
last built from. A build compares, in one query, every network's signature now with the one
stored, and builds only the networks whose signature changed. When the definitions changed
(their *fingerprint* differs from the last build's), table shapes may have changed too, and the
build is a full one.

Two inputs are shared between networks (see docs/decisions.md, "Incremental builds"): roster
aliases are resolved from all rosters together, and every network's spine runs to the latest
activity in the whole warehouse. ``netpulse.build.run`` handles both.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass, field

import duckdb

from netpulse import METHODOLOGY_VERSION
from netpulse.config.instruments import instrument_paths
from netpulse.config.settings import project_path

# Python modules whose code computes figures: a change to any of them is a change of definitions.
DEFINITION_MODULES = ("netpulse.build.python_runtime", "netpulse.measures.graph", "netpulse.measures.key_features",
                      "netpulse.measures.stages", "netpulse.measures.warning_signs", "netpulse.config.instruments")
# Project folders whose files are definitions: SQL models and macros, DDL, instruments.
DEFINITION_FOLDERS = (("transforms",), ("warehouse",))
DEFINITION_SUFFIXES = (".sql", ".py", ".yaml", ".yml")

# meta tables with network_id that a network's figures read, and which of their rows count.
# Other meta tables (settings, builds, validation results, network_builds) are records, not inputs.
META_INPUTS = {
    "meta.networks": "true",
    "meta.deliveries": "status = 'loaded'",
    "meta.identity_decisions": "true",
    "meta.erasures": "true",
}
# Columns that change without changing any figure (the loader refreshes updated_at at every load).
IGNORED_COLUMNS = {"meta.networks": {"updated_at"}}
# A delivery's figures depend on which deliveries are loaded, not on when or how they were read.
DELIVERY_COLUMNS = ("delivery_id", "source", "status")


def definitions_fingerprint(rule_sets, current, features, signs, date_bounds: str = "") -> str:
    """A hash of every definition the figures depend on (see the module docstring).

    ``date_bounds``: the deployment's earliest date and future margin, which decide the rows of old
    deliveries a build leaves out (a changed bound rebuilds every network).
    """
    digest = hashlib.sha256()

    def add(label: str, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("methodology", METHODOLOGY_VERSION)
    add("meeting ids", "keyed")  # rows loaded before meeting ids were keyed are re-keyed at load
    add("duckdb", duckdb.__version__)
    add("stage rules", repr(rule_sets))
    add("current stage rules", current.version)
    add("key features", repr(features))
    add("warning signs", repr(signs))
    if date_bounds:
        add("date bounds", date_bounds)
    for parts in DEFINITION_FOLDERS:
        folder = project_path(*parts)
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in DEFINITION_SUFFIXES):
            add(f"{'/'.join(parts)}/{path.relative_to(folder).as_posix()}", path.read_bytes())
    # Instruments are the shipped ones with the configuration folder's layered over them.
    for name, path in sorted(instrument_paths().items()):
        add(f"instrument/{name}", path.read_bytes())
    for name in DEFINITION_MODULES:
        # Found, not imported: a build with nothing to build need not import the graph code.
        with open(importlib.util.find_spec(name).origin, "rb") as handle:
            add(name, handle.read())
    return digest.hexdigest()[:16]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def signature_sql(con: duckdb.DuckDBPyConnection) -> str:
    """One query: every network's signature now (``signature``) and as last built (``stored``).

    Each input contributes one short text per network (a count and a sum of delivery ids for a
    raw table, a hash of the rows for a meta table), and the signature is the hash of those texts
    and the definitions fingerprint (the query's one parameter). Set-based: a scan of each raw
    table's network_id and delivery_id, whatever the number of networks.
    """
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns "
            "where table_catalog = current_database() and (table_schema = 'raw' or table_schema || '.' || "
            "table_name in (select unnest(?::varchar[]))) "
            "and (table_schema || '.' || table_name) in (select table_schema || '.' || table_name "
            "from information_schema.tables where table_type = 'BASE TABLE' and table_catalog = current_database()) "
            "order by table_schema, table_name, ordinal_position", [list(META_INPUTS)]).fetchall():
        columns.setdefault(table, []).append(column)
    parts = []
    for table, names in columns.items():
        if "network_id" not in names:
            continue
        if table.startswith("raw."):
            delivery = ("coalesce(sum(delivery_id), 0) || ':' || coalesce(max(delivery_id), 0)"
                        if "delivery_id" in names else "''")
            parts.append(f"select network_id, '{table}:' || count(*) || ':' || {delivery} as part "
                         f"from {table} group by network_id")
            continue
        kept = [c for c in names if c not in IGNORED_COLUMNS.get(table, set())]
        if table == "meta.deliveries":
            kept = [c for c in DELIVERY_COLUMNS if c in names]
        row = "row(" + ", ".join(_quote(c) for c in kept) + ")::varchar"
        parts.append(f"select network_id, '{table}:' || md5(string_agg({row}, chr(10) order by {row})) as part "
                     f"from {table} where {META_INPUTS[table]} group by network_id")
    current = "\nunion all\n".join(parts) if parts else "select null::varchar as network_id, null::varchar as part"
    return f"""
        with parts as (
            {current}
        ),
        now as (
            select network_id, md5(?::varchar || string_agg(part, '|' order by part)) as signature
            from parts
            where network_id is not null
            group by network_id
        ),
        stored as (
            select network_id, arg_max(signature, built_at) as signature
            from meta.network_builds
            group by network_id
        )
        select coalesce(now.network_id, stored.network_id) as network_id, now.signature, stored.signature as stored
        from now
        full outer join stored using (network_id)
        order by 1
    """


@dataclass
class BuildPlan:
    """What one build does: ``full``, ``incremental`` or ``nothing``, and for which networks."""

    kind: str
    networks: list[str]  # the networks this build builds (every known network for a full build)
    signatures: dict[str, str | None]  # their signatures now (None: the network has left the warehouse)
    total: int  # networks known now
    last_build: str | None  # the last successful build
    reason: str
    unchanged: list[str] = field(default_factory=list)
    current: dict[str, str | None] = field(default_factory=dict)  # every network's signature now

    def add(self, networks: list[str]) -> None:
        """Build these networks too (their inputs did not change, but inputs they share did)."""
        for network in networks:
            if network not in self.signatures:
                self.networks.append(network)
                self.signatures[network] = self.current.get(network)
                if network in self.unchanged:
                    self.unchanged.remove(network)

    @property
    def is_full(self) -> bool:
        return self.kind == "full"

    def describe(self) -> str:
        if self.kind == "nothing":
            return f"nothing to build: {self.total} networks unchanged since build {self.last_build}"
        return f"{self.kind} build of {len(self.networks)} of {self.total} networks ({self.reason})"


def missing_models(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[str]:
    """Models of the list that have no table or view in the warehouse."""
    present = {name for (name,) in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = current_database()").fetchall()}
    return [name for name in names if name not in present]


def plan_build(con: duckdb.DuckDBPyConnection, definitions: str, model_names: list[str], *,
               full: bool = False, networks: list[str] | None = None) -> BuildPlan:
    """Compare every network's signature with the one it was last built from and decide the build."""
    last = con.execute("select build_id, definitions from meta.builds where status = 'succeeded' "
                       "order by started_at desc limit 1").fetchone()
    rows = con.execute(signature_sql(con), [definitions]).fetchall()
    now = {network: signature for network, signature, _ in rows}
    known = sorted(n for n, s in now.items() if s is not None)
    last_build = last[0] if last else None

    def full_plan(reason: str) -> BuildPlan:
        # Every network with a signature now, and any that left since it was last built.
        built = [n for n, signature, stored in rows if signature is not None or stored is not None]
        return BuildPlan("full", built, {n: now[n] for n in built}, len(known), last_build, reason, current=now)

    if full:
        return full_plan("asked for")
    if last is None:
        return full_plan("first build")
    if last[1] != definitions:
        return full_plan("the definitions changed" if last[1] else "first build that records networks")
    absent = missing_models(con, model_names)
    if absent:
        return full_plan(f"{absent[0]} is not in the warehouse")
    changed = [n for n, signature, stored in rows if signature != stored]
    if networks is not None:
        wanted = set(networks)
        changed = [n for n in changed if n in wanted]
    unchanged = [n for n in known if n not in set(changed)]
    if not changed:
        return BuildPlan("nothing", [], {}, len(known), last_build, "no input changed", unchanged, current=now)
    return BuildPlan("incremental", changed, {n: now[n] for n in changed}, len(known), last_build,
                     "inputs changed", unchanged, current=now)


def record_network_builds(con: duckdb.DuckDBPyConnection, build_id: str, built_at, plan: BuildPlan) -> None:
    """Store the signature each network of the plan was built from (inside the build's transaction)."""
    if not plan.networks:
        return
    con.execute(
        "insert into meta.network_builds by name "
        "select unnest(?::varchar[]) as network_id, unnest(?::varchar[]) as signature, "
        "? as build_id, ?::timestamp as built_at",
        [plan.networks, [plan.signatures.get(n) for n in plan.networks], build_id, built_at])
