"""Loading deliveries: discover new landing files, validate each, load or quarantine it.

Each delivery is written in one transaction (raw rows, manifest row, validation results):
all of it is visible or none of it. The manifest is keyed by content, so a file delivered
again, under any name, is recorded as a duplicate and changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from netpulse.config.instruments import default_instrument, find_instrument
from netpulse.config.networks import (
    Network,
    default_network,
    earliest_date_setting,
    load_networks,
)
from netpulse.config.settings import InputLimits, Settings
from netpulse.config.sources import FORMATS, FORMATS_BY_SOURCE, GENERIC, REGISTRY, SOURCES
from netpulse.errors import DeliveryRejected, UnknownNetwork
from netpulse.ingest.formats import (
    DateBounds,
    header_holds_data,
    read_rows,
    tidy_cells,
    type_delivery,
    vendor_frame,
)
from netpulse.ingest.identity import MemberHasher, check_hash_key, key_meeting_ids
from netpulse.ingest.landing import LandingFile, find_landing_files
from netpulse.ingest.network_records import store_networks, stored_networks
from netpulse.ingest.vendors import ParseOptions
from netpulse.progress import Progress
from netpulse.quality.validation import (
    PART,
    ValidationReport,
    delivery_label,
    publish_run_docs,
    validate_frame,
    validate_parts,
)
from netpulse.store.warehouse import open_warehouse, registered

log = logging.getLogger(__name__)

@dataclass
class DeliveryOutcome:
    path: str
    network_id: str
    source: str
    status: str  # loaded | duplicate | quarantined
    rows: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    run_id: str
    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    @property
    def loaded(self) -> list[DeliveryOutcome]:
        return [o for o in self.outcomes if o.status == "loaded"]

    @property
    def changed(self) -> bool:
        """Whether the warehouse holds new data a build should pick up."""
        return bool(self.loaded)

    def summary(self) -> str:
        counts = Counter(o.status for o in self.outcomes)
        if not self.outcomes:
            return "no new deliveries"
        return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "changed": self.changed,
                "outcomes": [o.__dict__ for o in self.outcomes]}


def new_run_id(prefix: str = "manual") -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}__{stamp}__{uuid.uuid4().hex[:8]}"


def resolve_networks(settings: Settings, con: duckdb.DuckDBPyConnection,
                     found: list[LandingFile]) -> dict[str, Network]:
    """Configured networks, plus defaults for networks that only exist in the landing zone."""
    stored = stored_networks(con)
    networks = dict(stored)
    networks.update(load_networks(settings.network_config))
    for network_id in sorted({f.network_id for f in found} - networks.keys()):
        networks[network_id] = default_network(network_id)
    store_networks(con, list(networks.values()), stored)
    return networks


def _select_files(settings: Settings, sources: tuple[str, ...],
                  network_ids: tuple[str, ...] | None) -> list[LandingFile]:
    found = find_landing_files(settings.landing, sources,
                               allow_symlinks_outside=settings.limits.allow_symlinks_outside)
    if network_ids:
        known = load_networks(settings.network_config).keys() | {f.network_id for f in found}
        unknown = sorted(set(network_ids) - known)
        if unknown:
            raise UnknownNetwork(
                f"unknown network {', '.join(unknown)}: not in the network configuration "
                f"({settings.network_config or 'none given'}) and no folder under {settings.landing}"
            )
        found = [f for f in found if f.network_id in network_ids]
    return found


def _new_files(con: duckdb.DuckDBPyConnection, found: list[LandingFile], retry_quarantined: bool = False):
    """Files whose content at their path is not yet in the manifest, with their sha256.

    A quarantined file is not read again until it changes, unless ``retry_quarantined``
    (after a configuration fix, such as declaring a date order).
    """
    skip = "where status <> 'quarantined'" if retry_quarantined else ""
    rows = con.execute(f"select path, size_bytes, modified_at, sha256 from meta.deliveries {skip}").fetchall()
    unchanged = {(p, s, m) for p, s, m, _ in rows}
    recorded = {(p, h) for p, _, _, h in rows}
    for landing_file in found:
        if (landing_file.relative_path, landing_file.size_bytes, landing_file.modified_at) in unchanged:
            continue  # same size and mtime as when we read it: skip without hashing
        try:
            sha = landing_file.sha256()
        except OSError as exc:  # gone, or swapped for a link or a pipe, since the listing
            log.warning("%s could not be read (%s); it is looked at again on the next run",
                        landing_file.relative_path, exc.strerror or exc)
            continue
        if (landing_file.relative_path, sha) not in recorded:
            recorded.add((landing_file.relative_path, sha))
            yield landing_file, sha



# Vendor formats whose dates are written day/month or month/day by locale: the order must
# be declared for the network, because a guess is silently wrong for days 1 to 12.
DATE_ORDER_REQUIRED = ("zoom", "teams", "signin", "msforms")


def parse_vendor_export(landing_file: LandingFile, content: bytes, network: Network,
                        limits: InputLimits | None = None) -> tuple[pd.DataFrame, str]:
    """Rows of the generic format from a vendor's export, and the time zone of its local times.

    ``frame.attrs["source_columns"]`` keeps the export's own header for drift detection.
    """
    fmt = FORMATS[landing_file.source]
    export_format = landing_file.format
    if export_format not in FORMATS_BY_SOURCE[landing_file.source]:
        belongs = next(s for s, formats in FORMATS_BY_SOURCE.items() if export_format in formats)
        raise DeliveryRejected(f"{export_format} exports belong under {belongs}/{export_format}/, "
                               f"not {landing_file.source}/{export_format}/")
    options = network.options_for(landing_file.source, export_format)
    # A pulled API response (JSON) writes ISO 8601 times with their offset: no locale to declare.
    api_response = Path(landing_file.relative_path).suffix.lower() == ".json"
    if export_format in DATE_ORDER_REQUIRED and "date_order" not in options and not api_response:
        raise DeliveryRejected(
            f"{export_format} exports write dates in the account's locale: declare it for network "
            f"{network.network_id!r} in the networks file, e.g. sources: {{{landing_file.source}/"
            f"{export_format}: {{date_order: dmy}}}} (or mdy)"
        )
    parser = importlib.import_module(f"netpulse.ingest.vendors.{export_format}")
    parse_options = ParseOptions(timezone=options["timezone"], date_order=options.get("date_order", "ymd"),
                                 file_name=Path(landing_file.relative_path).name,
                                 limits=limits or InputLimits())
    extra = {}
    if landing_file.source == "survey":
        # Vendor answers are labels or codes: the instrument maps them to items and scores.
        extra["instrument"] = (find_instrument(options["instrument"]) if "instrument" in options
                               else default_instrument())
    parsed = parser.parse(content, parse_options, **extra)
    frame = vendor_frame(parsed, fmt)
    frame.attrs["source_columns"] = parsed.attrs.get("source_columns")
    return frame, options["timezone"]




# Files are read, typed, validated and written in batches of about this much text: large
# enough that per-call costs (GX's metric graph, a transaction) are paid per batch rather
# than per file, small enough to bound memory on a landing zone of millions of rows.
BATCH_BYTES = 64 * 1024 * 1024


@dataclass
class _Delivery:
    """One new file of this run, on its way to loaded, duplicate or quarantined."""

    landing_file: LandingFile
    sha: str
    network: Network
    outcome: DeliveryOutcome
    received_at: datetime
    # Rows in the generic format, as text: a vendor parser's frame, or a generic file's rows.
    columns: list[str] | None = None
    frame: pd.DataFrame | None = None
    rows: list[list[str]] | None = None
    timezone: str | None = None
    source_columns: list[str] | None = None
    rows_in_file: int | None = None
    ignored_columns: tuple[str, ...] = ()
    validation: ValidationReport | None = None
    duplicate_of: int | None = None
    schema_drift: str | None = None
    delivery_id: int | None = None
    typed_rows: pd.DataFrame | None = None  # kept for a failing file's Data Docs page
    # The dates its rows may hold: not before earliest (set where earliest_rule says), not after
    # received_at + margin_days (see DateBounds).
    earliest: date = date(2000, 1, 1)
    earliest_rule: str = ""
    margin_days: int = 0
    limits: InputLimits = field(default_factory=InputLimits)

    @property
    def group(self) -> tuple:
        """Files typed and validated together: same source, format, time zone and columns."""
        f = self.landing_file
        return f.source, f.format, self.timezone, tuple(self.columns)

    @property
    def row_count(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.frame) if self.frame is not None else 0


def ingest(settings: Settings, *, sources: tuple[str, ...] = SOURCES,
           network_ids: tuple[str, ...] | None = None, only_paths: tuple[str, ...] | None = None,
           run_id: str | None = None, retry_quarantined: bool = False) -> IngestReport:
    """Load every new landing file of the given sources; safe to run again at any time.

    New files are handled in batches (see BATCH_BYTES): each is read file by file, then typed,
    validated (one Great Expectations run per source and column layout) and written set-based,
    in one transaction per batch, so a file is either wholly loaded or not at all.
    """
    hasher = MemberHasher(settings.require_hash_key())
    earliest_date_setting(settings.limits)  # a mistyped setting fails before anything is read
    report = IngestReport(run_id=run_id or new_run_id())
    found = _select_files(settings, sources, network_ids)
    if only_paths is not None:
        found = [f for f in found if f.relative_path in set(only_paths)]
    failed_validations: list[tuple[ValidationReport, str, str]] = []
    with open_warehouse(settings) as con:
        check_hash_key(con, settings.require_hash_key())
        key_meeting_ids(con, hasher)
        networks = resolve_networks(settings, con, found)
        new = list(_new_files(con, found, retry_quarantined))
        progress = Progress("files", len(new), rate_unit="rows")
        for batch in _batches(new):
            deliveries = _ingest_batch(con, batch, networks, hasher, report.run_id, progress, settings.limits)
            report.outcomes += [d.outcome for d in deliveries]
            failed_validations += [(_full_result(d), report.run_id, delivery_label(d.delivery_id, d.sha))
                                   for d in deliveries if d.validation is not None and not d.validation.success]
    publish_run_docs(report.outcomes, failed_validations, settings.data_docs, run_id=report.run_id)
    for outcome in report.outcomes:
        if outcome.status == "quarantined":
            log.warning("quarantined %s: %s", outcome.path, outcome.error)
    log.info("deliveries: %s", report.summary())
    return report


def _batches(new: list[tuple[LandingFile, str]]):
    """Batches of new files; a second file with the content of one earlier in the run waits
    for a later batch, so that it is recorded as that one's duplicate once that is loaded."""
    pending = new
    while pending:
        seen: set[str] = set()
        now: list[tuple[LandingFile, str]] = []
        later: list[tuple[LandingFile, str]] = []
        for landing_file, sha in pending:
            (later if sha in seen else now).append((landing_file, sha))
            seen.add(sha)
        batch, size = [], 0
        for item in now:
            batch.append(item)
            size += item[0].size_bytes
            if size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch
        pending = later


def _ingest_batch(con: duckdb.DuckDBPyConnection, batch: list[tuple[LandingFile, str]],
                  networks: dict[str, Network], hasher: MemberHasher, run_id: str,
                  progress: Progress, limits: InputLimits) -> list[_Delivery]:
    loaded_before = _loaded_by_content(con, [sha for _, sha in batch])
    default_earliest = earliest_date_setting(limits)
    deliveries = []
    for landing_file, sha in batch:
        network = networks[landing_file.network_id]
        delivery = _Delivery(landing_file, sha, network,
                             DeliveryOutcome(landing_file.relative_path, landing_file.network_id,
                                             landing_file.source, ""), _utc_now(),
                             margin_days=limits.future_margin_days, limits=limits)
        delivery.earliest, delivery.earliest_rule = _earliest(network, default_earliest)
        # Only content already loaded is a duplicate: a quarantined file moved to the right
        # folder, or delivered again after a configuration fix, is read again.
        if sha in loaded_before:
            earlier = loaded_before[sha]
            delivery.outcome.status, delivery.duplicate_of = "duplicate", earlier[0]
            delivery.outcome.error = f"same content as delivery {earlier[0]} ({earlier[1]}, loaded)"
        elif not _read(delivery):
            progress.advance(label=landing_file.relative_path)
            continue
        deliveries.append(delivery)
        progress.advance(units=delivery.row_count)
    groups: dict[tuple, list[_Delivery]] = {}
    for delivery in deliveries:
        if delivery.columns is not None and delivery.outcome.status == "":
            groups.setdefault(delivery.group, []).append(delivery)
    written = []
    for members in groups.values():
        written += _type_and_validate(members, hasher)
    ids = con.execute("select nextval('meta.delivery_id_seq') from range(?)", [len(deliveries)]).fetchall()
    for delivery, (delivery_id,) in zip(deliveries, sorted(ids), strict=True):
        delivery.delivery_id = delivery_id
    _note_schema_drift(con, deliveries)
    _write(con, deliveries, written, run_id)
    return deliveries


def _earliest(network: Network, default: date) -> tuple[date, str]:
    """A network's earliest possible date, and the words of a reason that say where it is set."""
    fix = ": fix the date in the export"
    if network.earliest_date is not None:
        return network.earliest_date, (f" is before network {network.network_id!r}'s earliest_date "
                                       f"{network.earliest_date} (networks file){fix}, or set an earlier one")
    return default, (f" is before the earliest date {default} (NETPULSE_EARLIEST_DATE){fix}, or set an "
                     f"earlier earliest_date: for network {network.network_id!r} in the networks file")


def _date_bounds(members: list[_Delivery], parts: pd.Series) -> DateBounds:
    """Each row's date bounds, from the delivery (``_part``) it belongs to."""
    def per_row(values, dtype=None) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=dtype)[parts.to_numpy()], index=parts.index)

    return DateBounds(
        earliest=per_row([m.earliest for m in members], "datetime64[us]"),
        earliest_rule=per_row([m.earliest_rule for m in members], object).astype("string"),
        arrived=per_row([m.received_at for m in members], "datetime64[us]"),
        margin_days=members[0].margin_days,
    )


def _loaded_by_content(con, shas: list[str]) -> dict[str, tuple[int, str]]:
    rows = con.execute(
        "select sha256, min(delivery_id), arg_min(path, delivery_id) from meta.deliveries "
        "where status = 'loaded' and sha256 in (select unnest(?::varchar[])) group by sha256",
        [shas],
    ).fetchall()
    return {sha: (delivery_id, path) for sha, delivery_id, path in rows}


def _read(delivery: _Delivery) -> bool:
    """Parse the file into rows of the generic format; False when it changed while being read."""
    landing_file = delivery.landing_file
    if landing_file.refusal is not None:
        _quarantine(delivery, landing_file.refusal)
        return True
    if landing_file.size_bytes > delivery.limits.max_file_bytes:
        _quarantine(delivery, f"the file was not opened: it is {landing_file.size_bytes:,} bytes, over the limit of "
                              f"{delivery.limits.max_file_bytes:,} for one delivery (NETPULSE_MAX_FILE_BYTES), which "
                              "keeps memory bounded: deliver it in parts (a month or a quarter each), or raise "
                              "the limit if the machine has the memory")
        return True
    try:
        content = landing_file.read_bytes()
    except OSError as exc:
        log.warning("%s could not be read (%s); it is looked at again on the next run",
                    landing_file.relative_path, exc.strerror or exc)
        return False
    if hashlib.sha256(content).hexdigest() != delivery.sha:
        # Still being written (or replaced): what we hashed is not what we would load.
        log.warning("%s changed while it was being read; it will be loaded on the next run",
                    landing_file.relative_path)
        return False
    try:
        if landing_file.format == GENERIC:
            # Cells are tidied and typed later, for the whole batch (see _type).
            delivery.columns, delivery.rows = read_rows(content, FORMATS[landing_file.source])
            delivery.source_columns, delivery.timezone = delivery.columns, delivery.network.timezone
        else:
            frame, delivery.timezone = parse_vendor_export(landing_file, content, delivery.network, delivery.limits)
            delivery.source_columns = frame.attrs.get("source_columns")
            delivery.frame, delivery.columns = frame.reset_index(drop=True), list(frame.columns)
    except DeliveryRejected as exc:
        delivery.source_columns = delivery.source_columns or exc.source_columns
        _quarantine(delivery, str(exc))
    except Exception as exc:  # a parser bug must not block every later file, run after run
        _internal_error(delivery, exc)
    _refuse_a_header_of_data(delivery)
    return True


def _refuse_a_header_of_data(delivery: _Delivery) -> None:
    """A header row holding a person quarantines the file, and no header is stored."""
    problem = header_holds_data(delivery.source_columns, _names_in(delivery))
    if problem is not None:
        delivery.source_columns = None
        delivery.columns = None
        _quarantine(delivery, problem)


def _names_in(delivery: _Delivery) -> list[str]:
    if delivery.frame is not None:
        return [v for c in ("name", "display_name") if c in delivery.frame.columns
                for v in delivery.frame[c].dropna().unique()]
    if delivery.rows is not None and delivery.columns and "name" in delivery.columns:
        at = delivery.columns.index("name")
        return list({row[at] for row in delivery.rows if len(row) > at})
    return []


def _quarantine(delivery: _Delivery, reason: str) -> None:
    delivery.outcome.status, delivery.outcome.error, delivery.outcome.rows = "quarantined", reason, 0
    delivery.frame = delivery.rows = None


def _internal_error(delivery: _Delivery, exc: Exception) -> None:
    log.error("internal error while reading %s", delivery.landing_file.relative_path,
              exc_info=(type(exc), exc, exc.__traceback__))
    _quarantine(delivery, f"netpulse could not read this file (internal error {type(exc).__name__}: {exc}); "
                          "the file is kept: please report it with the file's format")


@dataclass
class _Typed:
    """A group's typed rows (``_part`` = index of the delivery in the group) and survey answers."""

    source: str
    frame: pd.DataFrame
    answers: pd.DataFrame | None
    members: list[_Delivery]


def _type_and_validate(members: list[_Delivery], hasher: MemberHasher) -> list[_Typed]:
    """Type and validate a group's files together; a typing failure falls back to file by file."""
    try:
        typed = _type(members, hasher)
    except Exception:
        if len(members) == 1:
            _internal_error(members[0], sys.exc_info()[1])
            return []
        return [t for m in members for t in _type_and_validate([m], hasher)]
    source = members[0].landing_file.source
    reports = validate_parts(source, typed.frame, len(members))
    for part, delivery in enumerate(members):
        delivery.validation = reports[part]
        if delivery.validation.success:
            delivery.outcome.status, delivery.outcome.rows = "loaded", delivery.rows_in_file
        else:
            _quarantine(delivery, delivery.validation.failures_in_words())
            delivery.typed_rows = typed.frame[typed.frame[PART] == part].drop(columns=[PART])
    return [typed]


def _type(members: list[_Delivery], hasher: MemberHasher) -> _Typed:
    landing_file = members[0].landing_file
    sizes = [m.row_count for m in members]
    if landing_file.format == GENERIC:
        frame = pd.DataFrame([row for m in members for row in m.rows], columns=members[0].columns, dtype=str)
        # Line 1 is the header; rows count from 2 (exact for files without blank or multi-line rows).
        frame.insert(0, "line_number", np.concatenate([np.arange(n, dtype="int64") + 2 for n in sizes]))
        frame.insert(1, PART, np.repeat(np.arange(len(members)), sizes))
        frame = tidy_cells(frame, skip=("line_number", PART))  # may drop repeated header rows
    else:
        frame = pd.concat([m.frame for m in members], ignore_index=True)
        frame.insert(1, PART, np.repeat(np.arange(len(members)), sizes))
    for delivery, rows in zip(members, np.bincount(frame[PART], minlength=len(members)), strict=True):
        delivery.rows_in_file = int(rows)
    typed = type_delivery(frame.drop(columns=[PART]), FORMATS[landing_file.source], members[0].timezone,
                          hasher, source_system=landing_file.format, bounds=_date_bounds(members, frame[PART]))
    for delivery in members:
        delivery.ignored_columns = typed.ignored_columns
        delivery.frame = delivery.rows = None  # the batch's typed frame holds them now
    typed.frame.insert(1, PART, frame[PART].to_numpy())
    answers = typed.answers
    if answers is not None:
        answers = answers.assign(**{PART: frame[PART].loc[answers.index].to_numpy()})
    return _Typed(landing_file.source, typed.frame, answers, members)


def _note_schema_drift(con, deliveries: list[_Delivery]) -> None:
    """How each export's columns differ from the last loaded delivery of its kind, in words."""
    previous = {
        (network, source, fmt): (delivery_id, path, columns.split(" | "))
        for network, source, fmt, delivery_id, path, columns in con.execute(
            "select network_id, source, format, max(delivery_id), arg_max(path, delivery_id), "
            "arg_max(source_columns, delivery_id) from meta.deliveries "
            "where status = 'loaded' and source_columns is not null group by all").fetchall()
    }
    for delivery in deliveries:
        f = delivery.landing_file
        key = (f.network_id, f.source, f.format)
        columns = delivery.source_columns
        if delivery.outcome.status == "duplicate" or columns is None:
            continue
        if key in previous:
            delivery.schema_drift = _drift_in_words(previous[key], columns)
            if delivery.schema_drift:
                log.warning("%s: %s", f.relative_path, delivery.schema_drift)
        if delivery.outcome.status == "loaded":
            previous[key] = (delivery.delivery_id, f.relative_path, columns)


def _drift_in_words(previous: tuple, columns: list[str]) -> str | None:
    delivery_id, path, before = previous
    added = [c for c in columns if c not in before]
    removed = [c for c in before if c not in columns]
    if not added and not removed:
        return None
    parts = ([f"added {', '.join(added)}"] if added else []) + ([f"removed {', '.join(removed)}"] if removed else [])
    return f"the export's columns changed since delivery {delivery_id} ({path}): {'; '.join(parts)}"


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _write(con, deliveries: list[_Delivery], typed: list[_Typed], run_id: str) -> None:
    """The batch's manifest rows, validation results, raw rows and answers: all or nothing."""
    if not deliveries:
        return
    con.execute("begin transaction")
    try:
        _record_deliveries(con, deliveries, run_id)
        results = [row for d in deliveries if d.validation is not None
                   for row in d.validation.records(run_id=run_id, delivery_id=d.delivery_id)]
        if results:
            with registered(con, "validation_rows", pd.DataFrame(results)):
                con.execute("insert into meta.validation_results by name select * from validation_rows")
        for group in typed:
            _insert_raw(con, group)
            if group.answers is not None and len(group.answers):
                _insert_answers(con, group)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _record_deliveries(con, deliveries: list[_Delivery], run_id: str) -> None:
    finished_at = _utc_now()
    rows = pd.DataFrame([{
        "delivery_id": d.delivery_id, "run_id": run_id, "network_id": d.landing_file.network_id,
        "source": d.landing_file.source, "format": d.landing_file.format, "path": d.landing_file.relative_path,
        "sha256": d.sha, "size_bytes": d.landing_file.size_bytes, "modified_at": d.landing_file.modified_at,
        "status": d.outcome.status, "rows_in_file": d.rows_in_file if d.outcome.status != "duplicate" else None,
        "rows_loaded": d.outcome.rows, "error": d.outcome.error, "duplicate_of": d.duplicate_of,
        "ignored_columns": ", ".join(d.ignored_columns) or None,
        "source_columns": " | ".join(d.source_columns) if d.source_columns is not None else None,
        "schema_drift": d.schema_drift, "received_at": d.received_at, "finished_at": finished_at,
    } for d in deliveries])
    with registered(con, "delivery_rows", rows):
        con.execute("insert into meta.deliveries by name select * from delivery_rows")


def _loaded_parts(group: _Typed) -> dict[int, tuple[int, str]]:
    return {part: (d.delivery_id, d.landing_file.network_id)
            for part, d in enumerate(group.members) if d.outcome.status == "loaded"}


def _with_delivery(frame: pd.DataFrame, loaded: dict[int, tuple[int, str]]) -> pd.DataFrame:
    """The rows of loaded deliveries, with their delivery and network."""
    frame = frame[frame[PART].isin(list(loaded))]
    size = max(loaded) + 1
    delivery_ids = np.zeros(size, dtype="int64")
    network_ids = np.empty(size, dtype=object)
    for part, (delivery_id, network_id) in loaded.items():
        delivery_ids[part], network_ids[part] = delivery_id, network_id
    parts = frame[PART].to_numpy()
    return frame.assign(delivery_id=delivery_ids[parts], network_id=network_ids[parts])


def _insert_raw(con, group: _Typed) -> None:
    loaded = _loaded_parts(group)
    if not loaded:
        return
    columns = REGISTRY[group.source].raw_columns
    rows = _with_delivery(group.frame, loaded)[["delivery_id", "network_id", *columns]]
    # A member erased from the network (meta.erasures) stays erased when a file is delivered again.
    people = [c for c in ("email_hash", "identity_hash") if c in columns]
    not_erased = " and ".join(
        f"not exists (select 1 from meta.erasures as e where e.network_id = r.network_id "
        f"and e.erased_key = r.{c})" for c in people)
    with registered(con, "delivery_rows", rows):
        con.execute(f"insert into {REGISTRY[group.source].raw_table} (delivery_id, network_id, {', '.join(columns)}) "
                    f"select delivery_id, network_id, {', '.join(columns)} from delivery_rows as r "
                    f"where {not_erased}")


def _insert_answers(con, group: _Typed) -> None:
    loaded = _loaded_parts(group)
    if not loaded:
        return
    answers = _with_delivery(group.answers, loaded)[["delivery_id", "network_id", "response_id", "item", "answer"]]
    # Only answers of responses that were loaded (an erased member's responses were not).
    with registered(con, "answer_rows", answers):
        con.execute(
            "insert into raw.survey_answers (delivery_id, network_id, response_id, item, answer) "
            "select a.delivery_id, a.network_id, a.response_id, a.item, a.answer from answer_rows as a "
            "where exists (select 1 from raw.survey_responses as r "
            "where r.delivery_id = a.delivery_id and r.response_id = a.response_id)"
        )


def _full_result(delivery: _Delivery) -> ValidationReport:
    """A failing file validated alone, for its full Great Expectations page in Data Docs.

    Only failing files pay for this: a run of thousands of good files renders a summary.
    """
    return validate_frame(delivery.landing_file.source, delivery.typed_rows)
