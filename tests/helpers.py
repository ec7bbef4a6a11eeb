"""Helpers the tests share: settings for a test warehouse, files for a landing zone, queries.

Fixtures live in conftest.py; everything else a test imports is here (``from tests.helpers import``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from netpulse.config.settings import Settings
from netpulse.config.sources import FORMATS

REPO = Path(__file__).resolve().parents[1]

TEST_KEY = "test-key-only-for-tests"

# The generic formats' headers, from the source registry (a source's columns are written once).
ATTENDANCE_HEADER = list(FORMATS["attendance"].required)
FORUM_HEADER = list(FORMATS["forum"].required)
SURVEY_HEADER = list(FORMATS["survey"].required)
ROSTER_HEADER = list(FORMATS["roster"].required)


def make_settings(root: Path, **overrides) -> Settings:
    """Settings for a test warehouse under ``root``, independent of the environment."""
    (root / "landing").mkdir(parents=True, exist_ok=True)
    values = dict(
        home=root / "home", landing=root / "landing", warehouse=root / "warehouse.duckdb",
        network_config=None, extracts=root / "extracts", data_docs=root / "data_docs",
        hash_key=TEST_KEY, lock_attempts=2, lock_wait_seconds=0.05,
    )
    values.update(overrides)
    return Settings(**values)


def write_csv(landing: Path, network: str, source: str, name: str, header: list[str],
              rows: list[list]) -> Path:
    path = landing / network / source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def slack_export_zip() -> bytes:
    """The Slack fixture export folder zipped, as Slack delivers it."""
    import io
    import zipfile

    folder = REPO / "tests" / "fixtures" / "vendors" / "slack" / "export"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.json")):
            archive.writestr(path.relative_to(folder).as_posix(), path.read_bytes())
    return buffer.getvalue()


def meeting_key(raw_id: str) -> str:
    """The keyed meeting id the warehouse holds for a delivery's meeting id, under TEST_KEY."""
    from netpulse.ingest.identity import MemberHasher

    return MemberHasher(TEST_KEY).opaque_id("meeting", raw_id)


def write_networks(path: Path, *entries: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"networks": list(entries)}, sort_keys=False), encoding="utf-8")
    return path


class Warehouse:
    """The built warehouse, read through one read-only connection for the whole module."""

    def __init__(self, settings):
        self.settings = settings
        self.con = duckdb.connect(str(settings.warehouse), read_only=True)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def close(self) -> None:
        self.con.close()


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def attendance_row(meeting: str, start: str, email: str, joined: str | None = None,
                   left: str | None = None, *, end: str | None = None, role: str = "",
                   status: str = "") -> list:
    """A join segment; by default the member attends the whole hour-long meeting."""
    end = end or start.replace("T10:", "T11:")
    if status != "registered":
        joined = joined or start
        left = left or end
    return [meeting, f"Meeting {meeting}", start, end, email, email.split("@")[0].title(),
            joined or "", left or "", role, status]
