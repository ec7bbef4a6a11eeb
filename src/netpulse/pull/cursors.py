"""Cursors: how far each network's stream of each API has been pulled and durably landed.

One small JSON file per network, API and stream under ``Settings.pull_state_dir``, written whole
and renamed into place after the pages it covers are landed (never before), so a pull stopped
anywhere, even by ``kill -9``, resumes from the last piece it landed: what it fetches again is
either the same bytes (a landed file of that name exists: nothing is written) or a newer version,
which the build reads as the latest delivery of those records. The folder is not the warehouse:
losing the warehouse loses no cursor, and no pull waits for the warehouse's lock. A lock file per
network and API keeps two pulls of the same streams from running at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from netpulse.errors import PullFailed
from netpulse.files import write_whole


class PullBusy(PullFailed):
    """Another pull of the same network and API holds the lock."""

    def __init__(self, message: str):
        super().__init__(message, permanent=False)


def slug(text: str, limit: int = 40) -> str:
    """``text`` as a file name part, with a digest so that different ids never share a name."""
    plain = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:limit] or "x"
    return f"{plain}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


class CursorStore:
    def __init__(self, root: Path):
        self.root = root

    def path(self, network_id: str, api: str, stream: str) -> Path:
        return self.root / network_id / api / f"{slug(stream)}.json"

    def read(self, network_id: str, api: str, stream: str) -> dict | None:
        path = self.path(network_id, api, stream)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise PullFailed(f"the cursor file {path} cannot be read ({type(exc).__name__}): delete it to pull "
                             "this stream again from its 'since' date (what is already landed loads nothing twice)"
                             ) from None
        if not isinstance(document, dict) or document.get("stream") != stream or \
                not isinstance(document.get("cursor"), dict):
            raise PullFailed(f"the cursor file {path} is not a cursor of stream {stream!r}: delete it to pull "
                             "this stream again from its 'since' date")
        return document["cursor"]

    def write(self, network_id: str, api: str, stream: str, cursor: dict) -> None:
        document = {"network_id": network_id, "api": api, "stream": stream, "cursor": cursor,
                    "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
        write_whole(self.path(network_id, api, stream),
                    json.dumps(document, indent=1, sort_keys=True).encode() + b"\n")

    @contextlib.contextmanager
    def lock(self, network_id: str, api: str) -> Iterator[None]:
        path = self.root / network_id / f"{api}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PullBusy(f"another pull of {network_id}/{api} is running; this one did nothing") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
