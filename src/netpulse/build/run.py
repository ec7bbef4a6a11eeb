"""A build: every SQL model and the Python models (graph measures, key-feature scores, stage
classifier, warning signs), made visible in one transaction.

The network is the unit of work. A build compares every network's input signature with the one
it was last built from (``netpulse.build.network_builds``) and

- builds nothing when no network's inputs changed ("nothing to build"), recording nothing;
- builds only the networks whose inputs changed (``incremental``): the models run on those
  networks' inputs in a scratch catalog, then their rows replace the networks' rows in every table
  (``netpulse.build.incremental``);
- builds everything (``full``: every table created or replaced) on the first build, when the
  definitions changed (methodology, rules, configuration, models), when asked (``full=True``) or
  when most networks changed anyway.

Either the whole build becomes visible, with the indicator rows it built validated, or none of
it does and the previous build stays in place. Every build is recorded with its run id, the
versions of the methodology, stage rules, key features and warning signs it used, and the
networks it built (``meta.network_builds``), whose indicator rows it appends to the history tables.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from netpulse import METHODOLOGY_VERSION
from netpulse.build.incremental import SCRATCH, Fallback, Scratch, across_networks
from netpulse.build.models import ROSTER_ALIASES, Model, history_tables, run_models, transform_models
from netpulse.build.network_builds import BuildPlan, definitions_fingerprint, plan_build, record_network_builds
from netpulse.build.python_runtime import ModelContext
from netpulse.build.workers import Workers
from netpulse.config.key_features import feature_enum_sql, load_key_features
from netpulse.config.networks import earliest_date_setting
from netpulse.config.settings import Settings
from netpulse.errors import NetpulseError
from netpulse.measures.stages import current_rules, load_rule_sets
from netpulse.measures.warning_signs import load_warning_signs
from netpulse.progress import Progress
from netpulse.quality.validation import (
    ValidationReport,
    publish_data_docs,
    store_validation,
    suite_columns,
    validate_frame,
)
from netpulse.store.snapshot import publish_snapshot
from netpulse.store.warehouse import open_warehouse

log = logging.getLogger(__name__)

# An incremental build of more than this share of the networks is a full build: replacing most
# rows of every table costs more than creating the tables again.
INCREMENTAL_UP_TO = 0.5


class BuildFailed(NetpulseError):
    pass


@dataclass
class BuildReport:
    build_id: str | None  # None: nothing to build
    run_id: str
    models: list[str]
    network_periods: int  # rows of indicators.network_period built (of the networks built)
    stage_rules_version: str
    model_seconds: dict[str, float] = field(default_factory=dict)
    kind: str = "full"  # full, incremental or nothing
    networks_built: list[str] = field(default_factory=list)
    networks_total: int = 0
    last_build: str | None = None  # for "nothing": the build the networks are unchanged since
    reason: str = ""

    def summary(self) -> str:
        if self.kind == "nothing":
            return f"nothing to build: {self.networks_total} networks unchanged since build {self.last_build}"
        networks = (f"{len(self.networks_built)} of {self.networks_total} networks"
                    if self.kind == "incremental" else f"{self.networks_total} networks")
        return (f"build {self.build_id} ({self.kind}, {self.reason}): {networks}, {len(self.models)} models, "
                f"{self.network_periods} network periods (rules {self.stage_rules_version})")


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class _Build:
    """What every kind of build records."""

    build_id: str
    run_id: str
    versions: dict
    definitions: str
    started_at: datetime
    last_delivery: int | None
    settings: Settings
    stage_rules_version: str
    model_seconds: dict[str, float] = field(default_factory=dict)
    validations: list[tuple[ValidationReport, str, str]] = field(default_factory=list)
    fallback: str = ""  # why an incremental build became a full one


def build(settings: Settings, *, run_id: str | None = None, full: bool = False,
          networks: list[str] | None = None) -> BuildReport:
    """Build the networks whose inputs changed (all of them with ``full``) from the raw schema.

    ``networks`` limits an incremental build to those of the given networks whose inputs changed
    (and any whose roster aliases those change); a build that must be full builds every network.
    """
    if full and networks is not None:
        raise ValueError("a full build builds every network: give full=True or networks, not both")
    # Configuration is read before the warehouse is opened: a mistake in it fails fast and
    # names the file, with nothing written.
    rule_sets = load_rule_sets()
    rules = current_rules(rule_sets)
    features = load_key_features()
    signs = load_warning_signs()
    versions = {"stage_rules_version": rules.version, "key_features_version": features.version,
                "warning_signs_version": signs.version}
    earliest = earliest_date_setting(settings.limits)
    definitions = definitions_fingerprint(rule_sets, rules, features, signs,
                                          f"{earliest} +{settings.limits.future_margin_days}d")
    run_id = run_id or f"manual__{_utc_now():%Y%m%dT%H%M%SZ}"
    build_id = uuid.uuid4().hex[:12]
    started_at = _utc_now()
    with open_warehouse(settings) as con, Workers(settings.workers) as workers:
        con.execute(f"set threads = {max(1, settings.workers)}")
        for statement in feature_enum_sql(features):  # what the models pivot the key features on
            con.execute(statement)
        models = transform_models(ModelContext(build_id, run_id, started_at, rule_sets, rules, features, signs,
                                               workers=workers, limits=settings.limits, earliest_date=earliest))
        plan = plan_build(con, definitions, [m.name for m in models], full=full, networks=networks)
        if plan.kind == "nothing":
            nothing = BuildReport(None, run_id, [], 0, rules.version, kind="nothing", networks_total=plan.total,
                                  last_build=plan.last_build, reason=plan.reason)
            log.info(nothing.summary())
            publish_snapshot(con, settings.warehouse)  # only when missing or behind the last build
            return nothing
        last_delivery = con.execute("select max(delivery_id) from meta.deliveries").fetchone()[0]
        state = _Build(build_id, run_id, versions, definitions, started_at, last_delivery, settings, rules.version)
        report: BuildReport | None = None
        if plan.kind == "incremental":
            report = _build_incremental(con, models, plan, state)
            if report is None:  # fell back: the reason is logged
                plan = plan_build(con, definitions, [m.name for m in models], full=True)
                plan.reason = state.fallback
        if report is None:
            report = _build_full(con, models, plan, state)
        publish_snapshot(con, settings.warehouse)
    log.info(report.summary())
    return report


def _build_full(con: duckdb.DuckDBPyConnection, models: list[Model], plan: BuildPlan, state: _Build) -> BuildReport:
    progress = Progress("models", len(models))

    def write() -> list[str]:
        names = run_models(con, models, timings=state.model_seconds, progress=progress)
        keep_history(con, models)
        return names

    return _commit(con, plan, state, write, catalog=None)


def _build_incremental(con: duckdb.DuckDBPyConnection, models: list[Model], plan: BuildPlan,
                       state: _Build) -> BuildReport | None:
    """Build the plan's networks in a scratch catalog and swap their rows in; None: build in full instead."""
    aliases = across_networks(models, ROSTER_ALIASES)
    with Scratch(con) as scratch:
        try:
            plan.add(sorted(scratch.networks_sharing_aliases(aliases, plan.networks)))
            if len(plan.networks) > INCREMENTAL_UP_TO * max(plan.total, 1):
                raise Fallback(f"{len(plan.networks)} of {plan.total} networks to build")
            scratch.load(plan.networks)
            names = scratch.run(models, timings=state.model_seconds, progress=Progress("models", len(models)))
            scratch.check(models)
        except Fallback as reason:
            log.info("building every network: %s", reason)
            state.fallback = str(reason)
            return None
        except Exception as exc:
            _record_build(con, state, "failed", str(exc), [], plan)
            raise

        def write() -> list[str]:
            scratch.write_back(models)
            keep_history(con, models, source=SCRATCH)
            return names

        return _commit(con, plan, state, write, catalog=SCRATCH)


def _commit(con: duckdb.DuckDBPyConnection, plan: BuildPlan, state: _Build, write, catalog: str | None) -> BuildReport:
    """One transaction: write the tables, validate the rows built, record the build; or roll back."""
    con.execute("begin transaction")
    names: list[str] = []
    try:
        names = write()
        source = f"{catalog}." if catalog else ""
        periods = con.execute(f"select count(*) from {source}indicators.network_period").fetchone()[0]
        for suite, (table, sql) in INDICATOR_SUITES.items():
            # Only the columns its rules name (a missing one is left to the rule that expects it).
            present = {c for (c,) in con.execute(
                "select column_name from duckdb_columns() where database_name = ? "
                "and schema_name || '.' || table_name = ?", [catalog or _catalog(con), table]).fetchall()}
            named = ", ".join(f'"{c}"' for c in sorted(suite_columns(suite) & present))
            frame = con.execute(sql.format(source=source, columns=named or "*")).df()
            validation = validate_frame(suite, frame)
            state.validations.append((validation, state.run_id, table))
            store_validation(con, validation, run_id=state.run_id, build_id=state.build_id)
        failed = [f"{table}: {v.failures_in_words()}" for v, _, table in state.validations if not v.success]
        if failed:
            raise BuildFailed("indicator tables failed validation: " + "; ".join(failed))
        record_network_builds(con, state.build_id, state.started_at, plan)
        _record_build(con, state, "succeeded", None, names, plan)
        con.execute("commit")
    except Exception as exc:
        con.execute("rollback")
        # The failed build's tables are gone; its record and validation results stay.
        _record_build(con, state, "failed", str(exc), [], plan)
        for validation, _, _ in state.validations:
            store_validation(con, validation, run_id=state.run_id, build_id=state.build_id)
        raise
    finally:
        if state.validations:
            publish_data_docs(state.validations, state.settings.data_docs, run_id=state.run_id, part="indicators")
    return BuildReport(state.build_id, state.run_id, names, periods, state.stage_rules_version,
                       state.model_seconds, kind=plan.kind, networks_built=list(plan.networks),
                       networks_total=plan.total, last_build=plan.last_build, reason=plan.reason)


# Expectation suites run on the build's indicator tables before anything becomes visible.
# Each reads the rows the build built: every row of a full build, the rebuilt networks' rows
# (in the scratch catalog, ``{source}``) of an incremental one.
INDICATOR_SUITES = {
    "indicators": ("indicators.network_period", "select {columns} from {source}indicators.network_period"),
    "key_feature_scores": ("indicators.network_indicators",
                           "select {columns} from {source}indicators.network_indicators "
                           "where family in ('key feature', 'key feature component')"),
}


# Tables whose every build is kept, tagged with its build_id, so that figures published
# from an earlier build (a funder's quarter) can be reproduced after late data or merges.
def keep_history(con: duckdb.DuckDBPyConnection, models: list[Model], source: str | None = None) -> None:
    """Append the indicator rows this build built to their history tables (inside its transaction).

    A full build appends every network's rows, an incremental one (``source``: its scratch
    catalog) only the rebuilt networks'. Figures "as of build B" are each network's rows from the
    latest build up to B that built it: ``meta.network_builds_as_of(B)``.
    """
    prefix = f"{source}." if source else ""
    for table, history in history_tables(models).items():
        con.execute(f"create table if not exists {history} as select * from {table} limit 0")
        existing = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = current_database() "
            "and table_schema || '.' || table_name = ?", [history]).fetchall()}
        for name, data_type in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() and table_schema || '.' || table_name = ? "
                "order by ordinal_position", [table]).fetchall():
            if name not in existing:  # a later methodology added a column: older builds show NULL
                con.execute(f'alter table {history} add column "{name}" {data_type}')
        con.execute(f"insert into {history} by name select * from {prefix}{table}")


def _record_build(con, state: _Build, status: str, error: str | None, names: list[str], plan: BuildPlan) -> None:
    versions = state.versions
    con.execute(
        "insert into meta.builds by name select ? as build_id, ? as run_id, ? as methodology_version, "
        "? as stage_rules_version, ? as key_features_version, ? as warning_signs_version, ? as status, "
        "? as error, ? as last_delivery_id, ? as models, ?::timestamp as started_at, ?::timestamp as finished_at, "
        "? as build_kind, ? as networks_built, ? as definitions",
        [state.build_id, state.run_id, METHODOLOGY_VERSION, versions["stage_rules_version"],
         versions["key_features_version"], versions["warning_signs_version"], status, error, state.last_delivery,
         ", ".join(names), state.started_at, _utc_now(), plan.kind, len(plan.networks), state.definitions],
    )


def _catalog(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_database()").fetchone()[0]


def latest_periods(con: duckdb.DuckDBPyConnection, grain: str = "quarter") -> pd.DataFrame:
    """Each network's latest period of a grain, as analysts and the demo read it."""
    return con.execute(
        """
        select * from indicators.network_period
        where grain = ?
        qualify period_start = max(period_start) over (partition by network_id)
        order by network_id
        """,
        [grain],
    ).df()
