"""Watching the landing zone: an Airflow event trigger that fires when a delivery has landed.

The triggerer runs ``LandingZoneTrigger`` for the landing Asset's watcher. It only lists the
landing zone (path, size and mtime of every file, by ``os.scandir``): it never opens a file or
the warehouse, and never deletes anything (Airflow's own file triggers delete what they find,
which suits flag files, not data still to be loaded). It fires once the set of files has changed
and then stayed unchanged for a quiet period, so the several sources of one delivery, copied in
one after the other, are one event and one ingest run. Which files are really new is decided
by the ingest (by content hash), so an event too many costs one quick run and loads nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from netpulse.config.settings import WATCH_POLL_SECONDS as POLL_SECONDS
from netpulse.config.settings import WATCH_QUIET_SECONDS as QUIET_SECONDS

Fingerprint = frozenset[tuple[str, int, int]]


def watch_timings() -> tuple[float, float]:
    """(quiet period, poll interval) in seconds; polling never waits longer than the quiet period."""
    from netpulse.config.settings import watch_timings as configured

    quiet, poll = configured()
    return quiet, min(poll, max(quiet, 0.5))


def _walk(landing: Path) -> Iterator[tuple[str, bool, os.stat_result]]:
    """(path, is a folder, stat) of ``landing`` and of everything below it, hidden files too."""
    stack = [landing]
    while stack:
        folder = stack.pop()
        try:
            yield str(folder), True, folder.stat()
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue  # the landing zone (or a folder in it) is not there (yet), or just went
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file():
                    yield entry.path, False, entry.stat()
            except FileNotFoundError:
                continue  # removed while we looked


def landing_fingerprint(landing: Path) -> Fingerprint:
    """(relative path, size, mtime in ns) of every visible file below ``landing``.

    Hidden files are left out: many copy tools write a hidden partial file and rename it
    when complete, and editors keep hidden swap files.
    """
    return frozenset(
        (os.path.relpath(path, landing), stat.st_size, stat.st_mtime_ns)
        for path, is_folder, stat in _walk(landing)
        if not is_folder and not any(part.startswith(".") for part in Path(path).relative_to(landing).parts)
    )


def last_change(landing: Path) -> float:
    """When anything below ``landing`` last changed (epoch seconds), 0 if there is nothing.

    The newest mtime or ctime of any file (hidden partial uploads included) or folder: a file
    moved in from elsewhere keeps its old mtime, but the move changes its ctime and its
    folder's mtime.
    """
    return max((max(stat.st_mtime, stat.st_ctime) for _, _, stat in _walk(landing)), default=0.0)


def wait_until_settled(landing: Path, quiet_seconds: float, *, timeout: float) -> float:
    """Wait until nothing below ``landing`` changed in the last ``quiet_seconds``.

    The load calls this before listing what to load, so a run started by the clock (or by a
    second event) while a delivery is still being copied in waits for the rest of it instead
    of loading part of it. Returns the seconds waited; gives up waiting after ``timeout``
    (a landing zone written to without pause would otherwise hold the load forever).
    """
    started = time.monotonic()
    while True:
        quiet_for = time.time() - last_change(landing)
        waited = time.monotonic() - started
        if quiet_for >= quiet_seconds or waited >= timeout:
            return waited
        time.sleep(min(quiet_seconds - quiet_for, 1.0) + 0.05)


class QuietPeriodDetector:
    """Decides when a changing set of files has settled into something worth an event.

    Fires when the listing holds a file that was not in the listing of the last event (new or
    changed) and the listing has not changed for ``quiet_seconds``. Starts with no last event,
    so after a (re)start it fires once if any file is there: files that landed while the
    scheduler was down are picked up, and the ingest's content check skips what it has.
    """

    def __init__(self, quiet_seconds: float):
        self.quiet_seconds = quiet_seconds
        self._seen: Fingerprint | None = None
        self._seen_since = 0.0
        self._fired: Fingerprint = frozenset()

    def observe(self, listing: Fingerprint, now: float) -> bool:
        if listing != self._seen:
            self._seen, self._seen_since = listing, now
            return False
        if now - self._seen_since < self.quiet_seconds or not (listing - self._fired):
            return False
        self._fired = listing
        return True


class LandingZoneTrigger(BaseEventTrigger):
    """Fires a TriggerEvent each time a delivery has landed and settled (see module doc)."""

    def __init__(self, landing: str, quiet_seconds: float = QUIET_SECONDS, poll_seconds: float = POLL_SECONDS):
        super().__init__()
        self.landing = landing
        self.quiet_seconds = float(quiet_seconds)
        self.poll_seconds = float(poll_seconds)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"landing": self.landing, "quiet_seconds": self.quiet_seconds, "poll_seconds": self.poll_seconds})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        landing = Path(self.landing)
        detector = QuietPeriodDetector(self.quiet_seconds)
        while True:  # one long-lived poll loop: the detector's memory lives as long as the trigger
            listing = await asyncio.to_thread(landing_fingerprint, landing)
            if detector.observe(listing, time.monotonic()):
                digest = hashlib.sha256(repr(sorted(listing)).encode()).hexdigest()[:16]
                self.log.info("landing zone settled: %d file(s), listing %s", len(listing), digest)
                yield TriggerEvent({"landing": self.landing, "files": len(listing), "listing": digest})
            await asyncio.sleep(self.poll_seconds)
