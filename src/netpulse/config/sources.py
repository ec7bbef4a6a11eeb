"""The landing sources, one entry each: the columns a file holds, the raw table it loads into,
the expectation suite that checks it, and the vendor exports that feed it.

A new source is one entry here (its declaration), plus its logic: the raw table's types
(warehouse/), its rule checks (expectations/<name>.json; the column checks are made from the
entry), its staging model (transforms/1_staging/) and its section of docs/formats.md. Test
headers, the demo's columns and the incremental build's aliased tables are read from here;
tests/test_source_registry.py checks the raw table, the staging model and the docs against it.
A new vendor export is one parser module in ``netpulse.ingest.vendors`` and its name under the
source's ``vendor_formats``.
"""

from __future__ import annotations

from dataclasses import dataclass

GENERIC = "generic"
# Who a row is about, as a vendor knows them (hashed like e-mails), kept beside every activity row.
VENDOR_IDENTITY = ("source_system", "source_user_id", "display_name", "is_guest", "identity_hash")


@dataclass(frozen=True)
class SourceFormat:
    """The generic CSV format of a source (docs/formats.md)."""

    source: str
    required: tuple[str, ...]
    timestamps: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    # In a survey every column beyond the required ones is an item, except these (read
    # as identity, not answers, and ignored); other sources ignore all extra columns.
    not_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    name: str
    format: SourceFormat
    raw_table: str
    # Columns written to the raw table, in table order after delivery_id and network_id.
    raw_columns: tuple[str, ...]
    # Vendor export folders (<source>/<format>/) and the file suffixes each is read from.
    vendor_formats: dict[str, tuple[str, ...]]

    @property
    def suite(self) -> str:
        return self.name


REGISTRY = {source.name: source for source in (
    Source(
        "roster",
        SourceFormat("roster", ("email", "name", "organisation", "sector", "profession", "region",
                                "patient_or_carer", "joined_on", "left_on", "other_emails"),
                     dates=("joined_on", "left_on")),
        "raw.roster",
        ("line_number", "email", "email_hash", "name", "organisation", "sector", "profession", "region",
         "patient_or_carer", "joined_on", "left_on", "other_emails", "other_email_hashes"),
        {},
    ),
    Source(
        "attendance",
        SourceFormat("attendance", ("meeting_id", "meeting_title", "meeting_start", "meeting_end", "email",
                                    "name", "joined_at", "left_at", "role", "status"),
                     timestamps=("meeting_start", "meeting_end", "joined_at", "left_at")),
        "raw.attendance",
        ("line_number", "meeting_id", "meeting_title", "meeting_start", "meeting_end", "email", "email_hash",
         "name", "joined_at", "left_at", "role", "status", *VENDOR_IDENTITY),
        {"zoom": (".csv", ".json"), "teams": (".csv", ".tsv", ".txt", ".json"), "signin": (".csv", ".xlsx")},
    ),
    Source(
        "forum",
        SourceFormat("forum", ("post_id", "topic_id", "reply_to_post_id", "email", "name", "created_at", "kind"),
                     timestamps=("created_at",)),
        "raw.forum",
        ("line_number", "post_id", "topic_id", "reply_to_post_id", "email", "email_hash", "name", "created_at",
         "kind", *VENDOR_IDENTITY),
        {"discourse": (".json",), "slack": (".zip",)},
    ),
    Source(
        "survey",
        SourceFormat("survey", ("response_id", "instrument", "submitted_at", "email", "finished"),
                     timestamps=("submitted_at",), not_items=("name",)),
        "raw.survey_responses",
        ("line_number", "response_id", "instrument", "submitted_at", "email", "email_hash", "finished",
         *VENDOR_IDENTITY),
        {"qualtrics": (".csv", ".tsv", ".zip"), "msforms": (".xlsx",)},
    ),
)}

SOURCES = tuple(REGISTRY)
FORMATS = {name: source.format for name, source in REGISTRY.items()}
FORMATS_BY_SOURCE = {name: tuple(source.vendor_formats) for name, source in REGISTRY.items()}
FORMAT_SUFFIXES = {GENERIC: (".csv",)} | {
    fmt: suffixes for source in REGISTRY.values() for fmt, suffixes in source.vendor_formats.items()}
