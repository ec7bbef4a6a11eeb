"""Loading deliveries: discover new landing files, validate each, load or quarantine it.

Each delivery is written in one transaction (raw rows, manifest row, validation results):
all of it is visible or none of it. The manifest is keyed by content, so a file delivered
again, under any name, is recorded as a duplicate and changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import pandas as pd

from netpulse.errors import DeliveryRejected, UnknownNetwork
from netpulse.formats import FORMATS, read_delivery, type_delivery, vendor_frame
from netpulse.identity import MemberHasher
from netpulse.instruments import default_instrument, find_instrument
from netpulse.landing import FORMATS_BY_SOURCE, GENERIC, SOURCES, LandingFile, find_landing_files
from netpulse.networks import Network, default_network, load_networks
from netpulse.settings import Settings
from netpulse.validation import ValidationReport, publish_data_docs, store_validation, validate_frame
from netpulse.vendors import ParseOptions
from netpulse.warehouse import check_hash_key, known_networks, open_warehouse, registered, upsert_networks

log = logging.getLogger(__name__)

# Columns written to each raw table, in table order after delivery_id and network_id.
VENDOR_IDENTITY = ("source_system", "source_user_id", "display_name", "is_guest", "identity_hash")
RAW_COLUMNS = {
    "attendance": ("line_number", "meeting_id", "meeting_title", "meeting_start", "meeting_end",
                   "email", "email_hash", "name", "joined_at", "left_at", "role", "status", *VENDOR_IDENTITY),
    "forum": ("line_number", "post_id", "topic_id", "reply_to_post_id", "email", "email_hash",
              "name", "created_at", "kind", *VENDOR_IDENTITY),
    "survey": ("line_number", "response_id", "instrument", "submitted_at", "email",
               "email_hash", "finished", *VENDOR_IDENTITY),
    "roster": ("line_number", "email", "email_hash", "name", "organisation", "sector",
               "profession", "region", "patient_or_carer", "joined_on", "left_on",
               "other_emails", "other_email_hashes"),
}
RAW_TABLES = {"attendance": "raw.attendance", "forum": "raw.forum",
              "survey": "raw.survey_responses", "roster": "raw.roster"}


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
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}__{stamp}__{uuid.uuid4().hex[:8]}"


def resolve_networks(settings: Settings, con: duckdb.DuckDBPyConnection,
                     found: list[LandingFile]) -> dict[str, Network]:
    """Configured networks, plus defaults for networks that only exist in the landing zone."""
    networks = known_networks(con)
    networks.update(load_networks(settings.network_config))
    for network_id in sorted({f.network_id for f in found} - networks.keys()):
        networks[network_id] = default_network(network_id)
    upsert_networks(con, list(networks.values()))
    return networks


def _select_files(settings: Settings, sources: tuple[str, ...],
                  network_ids: tuple[str, ...] | None) -> list[LandingFile]:
    found = find_landing_files(settings.landing, sources)
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
        sha = landing_file.sha256()
        if (landing_file.relative_path, sha) not in recorded:
            recorded.add((landing_file.relative_path, sha))
            yield landing_file, sha


def pending_files(settings: Settings, source: str) -> list[str]:
    """Relative paths of a source's landing files that a load would read."""
    found = _select_files(settings, (source,), None)
    with open_warehouse(settings) as con:
        return [f.relative_path for f, _ in _new_files(con, found)]


def ingest(settings: Settings, *, sources: tuple[str, ...] = SOURCES,
           network_ids: tuple[str, ...] | None = None, only_paths: tuple[str, ...] | None = None,
           run_id: str | None = None, retry_quarantined: bool = False) -> IngestReport:
    """Load every new landing file of the given sources; safe to run again at any time."""
    hasher = MemberHasher(settings.require_hash_key())
    report = IngestReport(run_id=run_id or new_run_id())
    found = _select_files(settings, sources, network_ids)
    if only_paths is not None:
        found = [f for f in found if f.relative_path in set(only_paths)]
    with open_warehouse(settings) as con:
        check_hash_key(con, settings.require_hash_key())
        networks = resolve_networks(settings, con, found)
        validations = []
        for landing_file, sha in list(_new_files(con, found, retry_quarantined)):
            outcome, validation = _ingest_file(con, landing_file, sha, networks[landing_file.network_id],
                                               hasher, report.run_id)
            if outcome is None:
                continue
            report.outcomes.append(outcome)
            if validation is not None:
                validations.append((validation, report.run_id, landing_file.relative_path))
    publish_data_docs(validations, settings.data_docs, run_id=report.run_id, part="deliveries")
    for outcome in report.outcomes:
        if outcome.status == "quarantined":
            log.warning("quarantined %s: %s", outcome.path, outcome.error)
        else:
            log.info("%s %s (%d rows)", outcome.status, outcome.path, outcome.rows)
    return report


def _ingest_file(con: duckdb.DuckDBPyConnection, landing_file: LandingFile, sha: str,
                 network: Network, hasher: MemberHasher, run_id: str
                 ) -> tuple[DeliveryOutcome | None, ValidationReport | None]:
    received_at = _utc_now()
    # Only content already loaded is a duplicate: a quarantined file moved to the right
    # folder, or delivered again after a configuration fix, is read again.
    earlier = con.execute(
        "select delivery_id, path, status from meta.deliveries "
        "where sha256 = ? and status = 'loaded' order by delivery_id limit 1",
        [sha],
    ).fetchone()
    outcome = DeliveryOutcome(landing_file.relative_path, landing_file.network_id, landing_file.source, "")
    if earlier is not None:
        outcome.status = "duplicate"
        outcome.error = f"same content as delivery {earlier[0]} ({earlier[1]}, {earlier[2]})"
        _record_delivery(con, landing_file, sha, run_id, outcome, received_at, duplicate_of=earlier[0])
        return outcome, None

    content = landing_file.path.read_bytes()
    if hashlib.sha256(content).hexdigest() != sha:
        # Still being written (or replaced): what we hashed is not what we would load.
        log.warning("%s changed while it was being read; it will be loaded on the next run",
                    landing_file.relative_path)
        return None, None

    fmt = FORMATS[landing_file.source]
    typed, validation, source_columns = None, None, None
    try:
        rows, timezone = parse_delivery(landing_file, content, network)
        source_columns = rows.attrs.get("source_columns")
        typed = type_delivery(rows, fmt, timezone, hasher, source_system=landing_file.format)
        validation = validate_frame(landing_file.source, typed.frame)
        if not validation.success:
            raise DeliveryRejected(validation.failures_in_words())
    except DeliveryRejected as exc:
        source_columns = source_columns or exc.source_columns
        outcome.status, outcome.error = "quarantined", str(exc)
        outcome.rows = 0
    except Exception as exc:  # a parser bug must not block every later file, run after run
        log.exception("internal error while reading %s", landing_file.relative_path)
        outcome.status, outcome.rows = "quarantined", 0
        outcome.error = (f"netpulse could not read this file (internal error {type(exc).__name__}: {exc}); "
                         "the file is kept: please report it with the file's format")
        typed = validation = None
    else:
        outcome.status, outcome.rows = "loaded", len(typed.frame)

    drift = _schema_drift(con, landing_file, source_columns)
    if drift:
        log.warning("%s: %s", landing_file.relative_path, drift)
    con.execute("begin transaction")
    try:
        delivery_id = _record_delivery(
            con, landing_file, sha, run_id, outcome, received_at,
            rows_in_file=typed.rows_in_file if typed else None,
            ignored_columns=typed.ignored_columns if typed else (),
            source_columns=source_columns, schema_drift=drift,
        )
        if validation is not None:
            store_validation(con, validation, run_id=run_id, delivery_id=delivery_id)
        if outcome.status == "loaded":
            _insert_raw(con, landing_file.source, typed.frame, delivery_id, network.network_id)
            if typed.answers is not None and len(typed.answers):
                _insert_answers(con, typed.answers, delivery_id, network.network_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return outcome, validation


# Vendor formats whose dates are written day/month or month/day by locale: the order must
# be declared for the network, because a guess is silently wrong for days 1 to 12.
DATE_ORDER_REQUIRED = ("zoom", "teams", "signin", "msforms")


def parse_delivery(landing_file: LandingFile, content: bytes, network: Network) -> tuple[pd.DataFrame, str]:
    """Rows of the generic format from a delivery, and the time zone of its local times.

    ``frame.attrs["source_columns"]`` keeps the export's own header for drift detection.
    """
    fmt = FORMATS[landing_file.source]
    if landing_file.format == GENERIC:
        frame = read_delivery(content, fmt)
        frame.attrs["source_columns"] = list(frame.columns)
        return frame, network.timezone
    export_format = landing_file.format
    if export_format not in FORMATS_BY_SOURCE[landing_file.source]:
        belongs = next(s for s, formats in FORMATS_BY_SOURCE.items() if export_format in formats)
        raise DeliveryRejected(f"{export_format} exports belong under {belongs}/{export_format}/, "
                               f"not {landing_file.source}/{export_format}/")
    options = network.options_for(landing_file.source, export_format)
    if export_format in DATE_ORDER_REQUIRED and "date_order" not in options:
        raise DeliveryRejected(
            f"{export_format} exports write dates in the account's locale: declare it for network "
            f"{network.network_id!r} in the networks file, e.g. sources: {{{landing_file.source}/"
            f"{export_format}: {{date_order: dmy}}}} (or mdy)"
        )
    parser = importlib.import_module(f"netpulse.vendors.{export_format}")
    parse_options = ParseOptions(timezone=options["timezone"], date_order=options.get("date_order", "ymd"),
                                 file_name=landing_file.path.name)
    extra = {}
    if landing_file.source == "survey":
        # Vendor answers are labels or codes: the instrument maps them to items and scores.
        extra["instrument"] = (find_instrument(options["instrument"]) if "instrument" in options
                               else default_instrument())
    parsed = parser.parse(content, parse_options, **extra)
    frame = vendor_frame(parsed, fmt)
    frame.attrs["source_columns"] = parsed.attrs.get("source_columns")
    return frame, options["timezone"]


def _schema_drift(con, landing_file: LandingFile, columns: list[str] | None) -> str | None:
    """How the export's columns differ from the last loaded delivery of its kind, in words."""
    if columns is None:
        return None
    previous = con.execute(
        "select delivery_id, path, source_columns from meta.deliveries where network_id = ? and source = ? "
        "and format = ? and status = 'loaded' and source_columns is not null order by delivery_id desc limit 1",
        [landing_file.network_id, landing_file.source, landing_file.format],
    ).fetchone()
    if previous is None:
        return None
    before = previous[2].split(" | ")
    added = [c for c in columns if c not in before]
    removed = [c for c in before if c not in columns]
    if not added and not removed:
        return None
    parts = ([f"added {', '.join(added)}"] if added else []) + ([f"removed {', '.join(removed)}"] if removed else [])
    return f"the export's columns changed since delivery {previous[0]} ({previous[1]}): {'; '.join(parts)}"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _record_delivery(con, landing_file: LandingFile, sha: str, run_id: str, outcome: DeliveryOutcome,
                     received_at: datetime, *, duplicate_of: int | None = None,
                     rows_in_file: int | None = None, ignored_columns: tuple[str, ...] = (),
                     source_columns: list[str] | None = None, schema_drift: str | None = None) -> int:
    delivery_id = con.execute("select nextval('meta.delivery_id_seq')").fetchone()[0]
    con.execute(
        """
        insert into meta.deliveries (delivery_id, run_id, network_id, source, format, path, sha256,
            size_bytes, modified_at, status, rows_in_file, rows_loaded, error, duplicate_of,
            ignored_columns, source_columns, schema_drift, received_at, finished_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [delivery_id, run_id, landing_file.network_id, landing_file.source, landing_file.format,
         landing_file.relative_path,
         sha, landing_file.size_bytes, landing_file.modified_at, outcome.status, rows_in_file,
         outcome.rows, outcome.error, duplicate_of, ", ".join(ignored_columns) or None,
         " | ".join(source_columns) if source_columns is not None else None, schema_drift,
         received_at, _utc_now()],
    )
    return delivery_id


def _insert_raw(con, source: str, frame: pd.DataFrame, delivery_id: int, network_id: str) -> None:
    columns = RAW_COLUMNS[source]
    # A member erased from the network (meta.erasures) stays erased when a file is delivered again.
    people = [c for c in ("email_hash", "identity_hash") if c in columns]
    not_erased = " and ".join(
        f"(delivery_rows.{c} is null or delivery_rows.{c} not in "
        "(select erased_key from meta.erasures where network_id = $network))" for c in people)
    with registered(con, "delivery_rows", frame[list(columns)]):
        con.execute(
            f"insert into {RAW_TABLES[source]} (delivery_id, network_id, {', '.join(columns)}) "
            f"select $delivery, $network, {', '.join(columns)} from delivery_rows where {not_erased}",
            {"delivery": delivery_id, "network": network_id},
        )


def _insert_answers(con, answers: pd.DataFrame, delivery_id: int, network_id: str) -> None:
    # Only answers of responses that were loaded (an erased member's responses were not).
    with registered(con, "answer_rows", answers):
        con.execute(
            "insert into raw.survey_answers (delivery_id, network_id, response_id, item, answer) "
            "select ?, ?, response_id, item, answer from answer_rows where response_id in "
            "(select response_id from raw.survey_responses where delivery_id = ?)",
            [delivery_id, network_id, delivery_id],
        )


