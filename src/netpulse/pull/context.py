"""What a puller works with for one network and API: its client, cursors, lander and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from netpulse.config.pulling import DEFAULT_BACKFILL_DAYS, PullSpec
from netpulse.config.settings import InputLimits
from netpulse.pull.cursors import CursorStore
from netpulse.pull.http import ApiClient
from netpulse.pull.landing import Lander


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PullContext:
    spec: PullSpec
    client: ApiClient
    lander: Lander
    cursors: CursorStore
    limits: InputLimits = field(default_factory=InputLimits)
    now: Callable[[], datetime] = utc_now

    def since(self) -> datetime:
        """Where a stream's first pull starts: ``since``, else 90 days back (midnight, UTC)."""
        if self.spec.since is not None:
            return datetime(self.spec.since.year, self.spec.since.month, self.spec.since.day, tzinfo=UTC)
        start = self.now() - timedelta(days=DEFAULT_BACKFILL_DAYS)
        return start.replace(hour=0, minute=0, second=0, microsecond=0)

    def lookback(self) -> timedelta:
        return timedelta(days=self.spec.lookback_days)

    def cursor(self, stream: str) -> dict | None:
        return self.cursors.read(self.spec.network_id, self.spec.api, stream)

    def save(self, stream: str, cursor: dict) -> None:
        """Advance the cursor: only after what it covers is landed."""
        self.cursors.write(self.spec.network_id, self.spec.api, stream, cursor)

    def land(self, stream: str, piece: str, content: bytes, suffix: str) -> bool:
        return self.lander.land(stream, piece, content, suffix)


def parse_time(text: str) -> datetime:
    """An API's ISO 8601 time ("2026-03-12T10:00:00.000Z") as an aware UTC datetime."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
