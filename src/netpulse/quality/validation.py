"""Great Expectations validation of deliveries and indicator tables.

Suites are GX JSON files in ``expectations/``, one per raw source plus one for the
indicator tables. Frames are validated as pandas DataFrames: GX's SQL route through
duckdb-engine returns empty metrics (see docs/decisions.md), the pandas route is exact.

GX drops an expectation it cannot build with only a log line, so suites are loaded one
expectation at a time and any that fails to load is an error, never a silent omission.
"""

from __future__ import annotations

import copy
import html
import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd

from netpulse.config.key_features import feature_columns
from netpulse.config.settings import project_path
from netpulse.config.sources import FORMATS
from netpulse.errors import ConfigError
from netpulse.store.warehouse import registered

os.environ.setdefault("TQDM_DISABLE", "1")
logging.getLogger("great_expectations").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

RESULT_FORMAT = {"result_format": "COMPLETE"}
_ORDER_KEY = "netpulse_order"
MAX_LINES_SHOWN = 10


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    description: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_lines: list[int] = field(default_factory=list)
    unexpected_examples: list[str] = field(default_factory=list)
    error: str | None = None

    def in_words(self) -> str:
        if self.error:
            return f"{self.description}: could not be checked ({self.error})"
        if self.unexpected_count is None:
            return self.description
        shown = ", ".join(str(n) for n in self.unexpected_lines[:MAX_LINES_SHOWN])
        more = "…" if len(self.unexpected_lines) > MAX_LINES_SHOWN else ""
        examples = ", ".join(repr(e) for e in self.unexpected_examples[:3])
        text = f"{self.description}: {self.unexpected_count} of {self.element_count} rows fail"
        if shown:
            text += f" (line {shown}{more})" if len(self.unexpected_lines) == 1 else f" (lines {shown}{more})"
        if examples:
            text += f", e.g. {examples}"
        return text


@dataclass
class ValidationReport:
    suite: str
    outcomes: list[ExpectationOutcome]
    result: object = None  # the GX result, kept for Data Docs

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def failures_in_words(self) -> str:
        return "; ".join(o.in_words() for o in self.failures)

    def as_rows(self, *, run_id: str, delivery_id: int | None = None,
                build_id: str | None = None) -> pd.DataFrame:
        return pd.DataFrame(self.records(run_id=run_id, delivery_id=delivery_id, build_id=build_id))

    def records(self, *, run_id: str, delivery_id: int | None = None, build_id: str | None = None) -> list[dict]:
        """One row per expectation for meta.validation_results."""
        now = datetime.now(UTC).replace(tzinfo=None)
        return [
            {
                "run_id": run_id, "delivery_id": delivery_id, "build_id": build_id,
                "suite": self.suite, "expectation": o.expectation, "column_name": o.column,
                "description": o.description, "success": o.success,
                "element_count": o.element_count, "unexpected_count": o.unexpected_count,
                "unexpected_lines": ", ".join(map(str, o.unexpected_lines[:100])) or None,
                "unexpected_examples": "; ".join(o.unexpected_examples[:10]) or None,
                "validated_at": now,
            }
            for o in self.outcomes
        ]


def suite_path(name: str) -> Path:
    return project_path("expectations", f"{name}.json")


def suite_names() -> list[str]:
    return sorted(p.stem for p in project_path("expectations").glob("*.json"))


def load_suite(name: str):
    """The suite as a GX object; raises if any expectation in the file cannot be built."""
    return _load_suite(name, feature_columns())


@cache
def _load_suite(name: str, features: tuple[str, ...]):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    document = json.loads(suite_path(name).read_text(encoding="utf-8"))
    document["expectations"] = [*source_column_expectations(name, document), *document.get("expectations", []),
                                *declared_expectations(document)]
    expectations, problems = [], []
    for index, entry in enumerate(document.get("expectations", [])):
        entry = copy.deepcopy(entry)
        entry.pop("id", None)
        entry["meta"] = {**(entry.get("meta") or {}), _ORDER_KEY: index}
        try:
            expectations.append(ExpectationConfiguration(**entry).to_domain_obj())
        except Exception as exc:  # GX raises several unrelated types for a bad entry
            problems.append(f"#{index} {entry.get('type')}: {type(exc).__name__}: {exc}")
    if problems:
        raise ConfigError(f"expectation suite {name} has invalid expectations: {'; '.join(problems)}")
    suite = gx.ExpectationSuite(name=name, expectations=expectations, meta=document.get("meta"))
    if len(suite.expectations) != len(document.get("expectations", [])):
        raise ConfigError(f"expectation suite {name}: GX dropped expectations while loading it")
    return suite


def source_column_expectations(name: str, document: dict) -> list[dict]:
    """A source suite (meta ``source_columns``) first checks every required column of its source.

    The columns come from the source registry (``netpulse.config.sources``), so a source's
    columns are written down once.
    """
    if not (document.get("meta") or {}).get("source_columns"):
        return []
    if name not in FORMATS:
        raise ConfigError(f"expectation suite {name}: meta source_columns, but {name} is not a source")
    return [{"type": "expect_column_to_exist", "kwargs": {"column": column}, "meta": {},
             "description": f"the file has the column {column}"} for column in FORMATS[name].required]


def declared_expectations(document: dict) -> list[dict]:
    """Expectations that follow from a declaration rather than being written out in the suite.

    A suite whose meta has ``key_feature_scores`` gets, per key feature of
    ``config/key_features.yaml``, that its score column exists and holds 0-100 (NULL = no
    evidence), so a new feature is checked without editing the suite.
    """
    if not (document.get("meta") or {}).get("key_feature_scores"):
        return []
    generated = []
    for column in feature_columns():
        generated += [
            {"type": "expect_column_to_exist", "kwargs": {"column": column}, "meta": {},
             "description": f"the key-feature score {column} is there"},
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": column, "min_value": 0, "max_value": 100}, "meta": {},
             "description": f"{column} is a score from 0 to 100 (NULL = no evidence)"},
        ]
    return generated


def _quiet_gx() -> None:
    # GX sets its loggers' levels when imported; ours apply only after that.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _quiet_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (context.data_sources.add_pandas("netpulse_frames")
            .add_dataframe_asset("frame")
            .add_batch_definition_whole_dataframe("whole_frame"))


def suite_columns(suite_name: str) -> set[str]:
    """The columns a suite's rules name: all a frame needs to be validated with it."""
    return {c for e in load_suite(suite_name).expectations for c in _columns_of(e.configuration.kwargs)}


def validate_frame(suite_name: str, frame: pd.DataFrame) -> ValidationReport:
    """Validate a DataFrame; failing rows are reported by ``line_number`` when it has one."""
    suite = load_suite(suite_name)
    # GX copies the frame for each rule it checks: give it only the columns the rules name.
    named = suite_columns(suite_name) | {"line_number"}
    frame = frame[[c for c in frame.columns if c in named]]
    # GX reports failing rows by index label: index by line number so they read as lines.
    indexed = frame.set_index("line_number", drop=False) if "line_number" in frame.columns else frame
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": indexed})
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    outcomes = sorted(
        (_outcome(r) for r in result.results),
        key=lambda pair: pair[0],
    )
    return ValidationReport(suite_name, [o for _, o in outcomes], result)


PART, ROW = "_part", "_row"


def validate_parts(suite_name: str, frame: pd.DataFrame, parts: int) -> dict[int, ValidationReport]:
    """Validate the deliveries of one batch in one GX run; one report per delivery (``_part``).

    The files of a batch share their columns (the loader groups them so), so rules about
    columns hold or fail for all alike; a row's failure belongs to its file, reported by its
    own line numbers. "Unique" means unique within a delivery, as when files were validated
    one by one: the batch checks the value together with the file it is in.
    """
    suite = _per_delivery(suite_name)
    # GX copies the frame for each rule it checks: give it only the columns the rules name.
    named = {PART, "line_number"} | {c for e in suite.expectations for c in _columns_of(e.configuration.kwargs)}
    indexed = frame[[c for c in frame.columns if c in named]].reset_index(drop=True)
    indexed[ROW] = range(len(indexed))
    indexed = indexed.set_index(ROW, drop=False)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": indexed})
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    part_of_row = indexed[PART].to_numpy()
    lines = indexed["line_number"].to_numpy() if "line_number" in indexed.columns else indexed[ROW].to_numpy()
    part_sizes = indexed[PART].value_counts().to_dict()
    # A delivery of a header and no rows has no row in the frame, and is checked all the same.
    reports = {part: ValidationReport(suite_name, []) for part in range(parts)}
    for _, outcome, rows, examples in sorted((_batch_outcome(r) for r in result.results), key=lambda x: x[0]):
        by_part: dict[int, list[tuple[int, object]]] = {}
        for row, example in zip(rows, examples, strict=False):
            by_part.setdefault(int(part_of_row[row]), []).append((int(lines[row]), example))
        for part, report in reports.items():
            failing = by_part.get(part, [])
            report.outcomes.append(ExpectationOutcome(
                expectation=outcome.expectation, column=outcome.column, description=outcome.description,
                success=outcome.success if outcome.unexpected_count is None or outcome.error else not failing,
                element_count=part_sizes.get(part, 0) if outcome.element_count is not None else None,
                unexpected_count=len(failing) if outcome.unexpected_count is not None else None,
                unexpected_lines=[line for line, _ in failing],
                unexpected_examples=[_example(e) for _, e in failing if e is not _NO_EXAMPLE][:20],
                error=outcome.error,
            ))
    return reports


_NO_EXAMPLE = object()


def _columns_of(kwargs: dict) -> list[str]:
    return [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs] + list(kwargs.get("column_list", []))


@cache
def _per_delivery(suite_name: str):
    """The suite with uniqueness checked per delivery (value and ``_part`` together)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = load_suite(suite_name)
    expectations = []
    for expectation in suite.expectations:
        config = expectation.configuration
        if config.type == "expect_column_values_to_be_unique":
            kwargs = {k: v for k, v in config.kwargs.items() if k != "column"}
            config = ExpectationConfiguration(
                type="expect_compound_columns_to_be_unique",
                # A missing value is the not-null rule's business, as in the per-column check.
                kwargs={**kwargs, "column_list": [PART, config.kwargs["column"]],
                        "ignore_row_if": "any_value_is_missing"},
                meta={**(config.meta or {}), "netpulse_original": config.type,
                      "netpulse_column": config.kwargs["column"]},
                description=config.description,
            )
        expectations.append(config.to_domain_obj())
    return gx.ExpectationSuite(name=suite.name, expectations=expectations, meta=suite.meta)


def _batch_outcome(result) -> tuple[int, ExpectationOutcome, list[int], list]:
    """One expectation's batch result, with the failing batch rows and their values."""
    order, outcome = _outcome(result)
    meta = result.expectation_config.meta or {}
    if "netpulse_original" in meta:  # report the rule as the suite states it
        outcome.expectation, outcome.column = meta["netpulse_original"], meta["netpulse_column"]
    details = result.result or {}
    rows = [_row(entry) for entry in details.get("unexpected_index_list") or []]
    values = details.get("unexpected_list")
    shows_values = "not_be_null" not in outcome.expectation and "email" not in (outcome.column or "")
    if shows_values and values is not None and len(values) == len(rows):
        examples = [_batch_example(v, meta) for v in values]
    else:
        examples = [_NO_EXAMPLE] * len(rows)
    return order, outcome, rows, examples


def _batch_example(value, meta):
    # A compound (file, value) pair shows only the value, as a per-file check would.
    if "netpulse_original" in meta and isinstance(value, dict | list | tuple):
        items = list(value.values()) if isinstance(value, dict) else list(value)
        return items[-1] if items else value
    return value


def _row(index_entry) -> int:
    if isinstance(index_entry, dict):
        index_entry = index_entry.get(ROW)
    return int(index_entry)


def _outcome(result) -> tuple[int, ExpectationOutcome]:
    config = result.expectation_config
    kwargs = config.kwargs
    details = result.result or {}
    column = kwargs.get("column")
    if column is None and "column_A" in kwargs:
        column = f"{kwargs['column_A']}, {kwargs['column_B']}"
    if column is None and "column_list" in kwargs:
        column = ", ".join(kwargs["column_list"])
    examples = details.get("partial_unexpected_list") or []
    outcome = ExpectationOutcome(
        expectation=config.type,
        column=column,
        description=config.description or config.type.replace("_", " "),
        success=bool(result.success),
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        unexpected_lines=[_line(i) for i in (details.get("unexpected_index_list") or [])],
        # A null has nothing to show, and e-mail values must not leave the raw schema
        # (reasons are stored in meta): line numbers are enough to find them.
        unexpected_examples=([] if "not_be_null" in config.type or "email" in (column or "")
                             else [_example(e) for e in examples]),
        error=_exception_text(result.exception_info),
    )
    if outcome.error:
        outcome.success = False
    return config.meta.get(_ORDER_KEY, 0), outcome


def _line(index_entry):
    """GX reports a row by index label, or by a dict of the index and checked columns."""
    if isinstance(index_entry, dict):
        index_entry = index_entry.get("line_number", index_entry)
    return int(index_entry) if str(index_entry).isdigit() else index_entry


def _example(value) -> str:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str)
    return str(value)


def _exception_text(info) -> str | None:
    if not info:
        return None
    items = [info] if "raised_exception" in info else list(info.values())
    messages = [i.get("exception_message") for i in items if isinstance(i, dict) and i.get("raised_exception")]
    return "; ".join(dict.fromkeys(m or "error" for m in messages)) or None


def store_validation(con, report: ValidationReport, *, run_id: str, delivery_id: int | None = None,
                     build_id: str | None = None) -> None:
    """Record every expectation's outcome in meta.validation_results."""
    rows = report.as_rows(run_id=run_id, delivery_id=delivery_id, build_id=build_id)
    if rows.empty:
        return
    with registered(con, "validation_rows", rows):
        con.execute("insert into meta.validation_results by name select * from validation_rows")


def publish_data_docs(reports: list[tuple[ValidationReport, str, str]], out_dir: Path,
                      *, run_id: str, part: str) -> Path | None:
    """Render one run's Data Docs site under ``out_dir/<run>/<part>/`` and list it in the index.

    GX rebuilds a site from scratch, so each run gets its own; the top ``index.html``
    links them all. Rendering problems are logged, never raised: the results are
    already stored in the warehouse and a load must not fail over its report.
    """
    if not reports:
        return None
    site = _run_dir(out_dir, run_id) / part
    try:
        page = render_data_docs(reports, site)
        _write_runs_index(out_dir)
        return page
    except Exception as exc:
        log.warning("could not render Data Docs to %s: %s", site, exc)
        return None


def publish_run_docs(outcomes: list, failed: list[tuple[ValidationReport, str, str]], out_dir: Path,
                     *, run_id: str) -> Path | None:
    """One page per load run: every delivery with its status, and GX Data Docs for failing ones.

    Rendering a GX page per good file cost more than loading it; a person reading a run needs
    the list and the failures in full, and every result of every delivery is in
    meta.validation_results.
    """
    if not outcomes:
        return None
    run_dir = _run_dir(out_dir, run_id)
    try:
        docs = publish_data_docs(failed, out_dir, run_id=run_id, part="failed-deliveries") if failed else None
        run_dir.mkdir(parents=True, exist_ok=True)
        page = run_dir / "deliveries.html"
        counts = ", ".join(f"{sum(o.status == s for o in outcomes):,} {s}"
                           for s in ("loaded", "duplicate", "quarantined") if any(o.status == s for o in outcomes))
        rows = "\n".join(
            f"<tr class='{html.escape(o.status)}'><td>{html.escape(o.path)}</td><td>{html.escape(o.network_id)}</td>"
            f"<td>{html.escape(o.source)}</td><td>{html.escape(o.status)}</td><td>{o.rows:,}</td>"
            f"<td>{html.escape(without_examples(o.error))}</td></tr>"
            for o in sorted(outcomes, key=lambda o: (o.status != "quarantined", o.path))
        )
        link = (f"<p>Great Expectations results of the failing deliveries: "
                f"<a href='{html.escape(docs.relative_to(run_dir).as_posix())}'>Data Docs</a>.</p>" if docs else "")
        page.write_text(
            "<!doctype html><meta charset='utf-8'><title>netpulse run " + html.escape(run_id) + "</title>"
            "<style>body{font-family:sans-serif}td,th{border-bottom:1px solid #ccc;padding:2px 8px;text-align:left}"
            "tr.quarantined td{font-weight:bold}</style>"
            f"<h1>Deliveries of run {html.escape(run_id)}</h1><p>{counts}. Quarantined deliveries first, "
            "with the reason to act on.</p>" + link +
            "<table><tr><th>file</th><th>network</th><th>source</th><th>status</th><th>rows</th><th>reason</th></tr>"
            f"\n{rows}\n</table>\n",
            encoding="utf-8",
        )
        _write_runs_index(out_dir)
        return page
    except Exception as exc:
        log.warning("could not write the run's validation page to %s: %s", run_dir, exc)
        return None


# What a kept page may show of a failing expectation: counts and line numbers. The values GX
# keeps (unexpected_list and its partial lists, the index list with the checked columns' values)
# can be a person's e-mail or a script; the page is opened in a browser and kept for years.
_VALUE_KEYS = ("unexpected_list", "partial_unexpected_list", "partial_unexpected_counts",
               "unexpected_index_list", "partial_unexpected_index_list", "unexpected_index_query",
               "observed_value", "details")
_EXAMPLES = re.compile(r", e\.g\. (?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
                       r"(?:, (?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"))*")


def delivery_label(delivery_id: int | None, sha256: str) -> str:
    """How a kept page names a delivery: by id and hash, never by its file name (names name people)."""
    return f"delivery {delivery_id} · sha256 {sha256[:12]}"


def without_examples(reason: str | None) -> str:
    """A reason in words without the values it quotes (``, e.g. 'x', 'y'``): line numbers stay."""
    return _EXAMPLES.sub("", reason or "")


def _without_values(result):
    """A copy of a GX suite result that says which rows failed (line numbers) but holds no value."""
    result = copy.deepcopy(result)
    for item in result.results:
        details = item.result
        if not details:
            continue
        lines = [f"line {_line(i)}" for i in (details.get("unexpected_index_list") or [])[:20]]
        for key in _VALUE_KEYS:
            details.pop(key, None)
        if lines:
            details["partial_unexpected_list"] = lines
    return result


def _run_dir(out_dir: Path, run_id: str) -> Path:
    return out_dir / re.sub(r"[^A-Za-z0-9_.+-]", "_", run_id)


def _write_runs_index(out_dir: Path) -> None:
    sites = [*out_dir.glob("*/*/index.html"), *out_dir.glob("*/deliveries.html")]
    sites.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    items = "\n".join(
        f'<li><a href="{html.escape(p.relative_to(out_dir).as_posix())}">'
        + (f"{html.escape(p.parent.name)} (deliveries)" if p.name == "deliveries.html" else
           f"{html.escape(p.parent.parent.name)} ({html.escape(p.parent.name)})") + "</a></li>"
        for p in sites
    )
    (out_dir / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>netpulse validation results</title>"
        "<h1>netpulse validation results</h1><p>One Great Expectations site per run, newest first. "
        "Every result is also in the warehouse table meta.validation_results.</p>"
        f"<ul>\n{items}\n</ul>\n",
        encoding="utf-8",
    )


def render_data_docs(reports: list[tuple[ValidationReport, str, str]], out_dir: Path) -> Path:
    """Render validation results as GX Data Docs; items are (report, run name, batch name).

    The site index lists the results rendered in this call (the latest run); every
    result, of every run, stays queryable in meta.validation_results.
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    _quiet_gx()
    context = gx.get_context(mode="ephemeral")
    context.update_data_docs_site("local_site", {
        "class_name": "SiteBuilder", "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out_dir.resolve())},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    added = set()
    for report, run_name, batch_name in reports:
        if report.result is None:
            continue
        suite = load_suite(report.suite)
        if suite.name not in added:
            context.suites.add(gx.ExpectationSuite(
                name=suite.name, expectations=[e.configuration for e in suite.expectations], meta=suite.meta))
            added.add(suite.name)
        # GX writes these names into its pages unescaped: only characters that cannot be markup.
        run_name = re.sub(r"[^A-Za-z0-9_.:+-]", "_", run_name)
        run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
        batch_name = re.sub(r"[^A-Za-z0-9_.:+ ·-]", "_", batch_name)
        result = _without_values(report.result)
        result.meta["run_id"] = run_id
        result.meta["active_batch_definition"] = {"data_asset_name": batch_name}
        result.meta["batch_kwargs"] = {"data_asset_name": batch_name}
        context.validation_results_store.set(
            ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
                run_id=run_id, batch_identifier=batch_name),
            result,
        )
    context.build_data_docs()
    return out_dir / "index.html"
