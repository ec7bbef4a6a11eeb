"""The landing zone: files under ``<landing>/<network_id>/<source>/...``."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from netpulse.config.networks import NETWORK_ID_PATTERN
from netpulse.ingest.sources import FORMAT_SUFFIXES, GENERIC, SOURCES

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str
    network_id: str
    source: str
    format: str  # "generic" or a vendor format folder name
    size_bytes: int
    modified_at: datetime

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def format_of(source_dir: Path, path: Path) -> str:
    """The export format of a file: its first folder below the source, if that names a format.

    A file directly under ``<source>/``, under ``<source>/generic/`` or under any other
    folder (``attendance/2026/q1.csv``) is in the generic format. A vendor folder under the
    wrong source (``forum/zoom/``) keeps its name, so the loader can reject it by name.
    """
    parts = path.relative_to(source_dir).parts
    if len(parts) > 1 and parts[0] in FORMAT_SUFFIXES:
        return parts[0]
    return GENERIC


def _files_under(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """Every visible file below ``folder`` with its stat, in path order.

    os.scandir, not Path.rglob: a run with nothing new is mostly this walk, over thousands of files.
    """
    found = []
    stack = [folder]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file() and not entry.name.startswith("."):
                    found.append((Path(entry.path), entry.stat()))
    return sorted(found, key=lambda item: item[0])


def find_landing_files(landing: Path, sources: tuple[str, ...] = SOURCES) -> list[LandingFile]:
    """Every data file in the landing zone for the given sources, in a stable order.

    Files in unexpected places are reported, not guessed at.
    """
    if not landing.is_dir():
        return []
    found = []
    for network_dir in sorted(p for p in landing.iterdir() if p.is_dir()):
        if not NETWORK_ID_PATTERN.match(network_dir.name):
            log.warning("ignoring %s: not a valid network id folder", network_dir)
            continue
        for source_dir in sorted(p for p in network_dir.iterdir() if p.is_dir()):
            if source_dir.name not in SOURCES:
                log.warning("ignoring %s: source must be one of %s", source_dir, ", ".join(SOURCES))
                continue
            if source_dir.name not in sources:
                continue
            for path, stat in _files_under(source_dir):
                export_format = format_of(source_dir, path)
                suffixes = FORMAT_SUFFIXES[export_format]
                if path.suffix.lower() not in suffixes:
                    log.warning("ignoring %s: %s files are read from %s", path, export_format, ", ".join(suffixes))
                    continue
                found.append(
                    LandingFile(
                        path=path,
                        relative_path=path.relative_to(landing).as_posix(),
                        network_id=network_dir.name,
                        source=source_dir.name,
                        format=export_format,
                        size_bytes=stat.st_size,
                        modified_at=datetime.fromtimestamp(stat.st_mtime, timezone.utc).replace(tzinfo=None),
                    )
                )
    return found
