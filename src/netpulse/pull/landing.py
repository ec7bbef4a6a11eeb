"""Pulled responses written into the landing zone, whole, under a name made of their content.

``<landing>/<network>/<source>/<format>/pulled/<stream>/<piece>-<digest>.<suffix>``: the format
folder is the vendor parser's, so a pulled file is read like an exported one; ``pulled/`` keeps
them apart from what people drop in by hand. The digest of the content ends the name, so a piece
fetched again unchanged finds its file already there and writes nothing, and the manifest
(keyed by content) would call it a duplicate anyway. Names hold ids and digests only: no secret,
no person's name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from netpulse.config.pulling import PullSpec
from netpulse.files import write_whole
from netpulse.pull.cursors import slug


@dataclass
class Lander:
    landing: Path
    spec: PullSpec
    landed: list[str] = field(default_factory=list)  # relative paths written by this run
    unchanged: int = 0  # pieces fetched again whose file was already there

    def folder(self, stream: str) -> Path:
        source, export_format = self.spec.landing
        return self.landing / self.spec.network_id / source / export_format / "pulled" / slug(stream)

    def land(self, stream: str, piece: str, content: bytes, suffix: str) -> bool:
        """Write one piece (a topic, a meeting's report, a channel's new messages); False when the
        same bytes are already landed."""
        digest = hashlib.sha256(content).hexdigest()[:16]
        path = self.folder(stream) / f"{slug(piece, 60)}-{digest}{suffix}"
        if path.exists() and path.stat().st_size == len(content):
            self.unchanged += 1
            return False
        write_whole(path, content)
        self.landed.append(path.relative_to(self.landing).as_posix())
        return True
