"""The landing zone: files under ``<landing>/<network_id>/<source>/...``."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from netpulse.networks import NETWORK_ID_PATTERN

log = logging.getLogger(__name__)

SOURCES = ("roster", "attendance", "forum", "survey")
FILE_SUFFIXES = (".csv",)


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str
    network_id: str
    source: str
    size_bytes: int
    modified_at: datetime

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


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
            for path in sorted(source_dir.rglob("*")):
                if not path.is_file() or path.name.startswith("."):
                    continue
                if path.suffix.lower() not in FILE_SUFFIXES:
                    log.warning("ignoring %s: only %s files are read", path, ", ".join(FILE_SUFFIXES))
                    continue
                stat = path.stat()
                found.append(
                    LandingFile(
                        path=path,
                        relative_path=path.relative_to(landing).as_posix(),
                        network_id=network_dir.name,
                        source=source_dir.name,
                        size_bytes=stat.st_size,
                        modified_at=datetime.fromtimestamp(stat.st_mtime, timezone.utc).replace(tzinfo=None),
                    )
                )
    return found
