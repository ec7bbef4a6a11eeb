"""Progress of long work: a live line on a terminal, one log line per step elsewhere.

Airflow task logs and CI are not terminals: there a redrawn line would be noise, so each
step is logged once (``files 120 of 3,200 …``) at most every few seconds, plus the last one.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("netpulse.progress")

LOG_EVERY_SECONDS = 5.0


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@dataclass
class Progress:
    """Counts ``done`` of ``total`` things (files, models, networks), with an optional rate.

    ``rate_unit`` names what ``advance(rows=...)`` counts, e.g. "rows", shown per second.
    """

    what: str
    total: int
    rate_unit: str | None = None
    stream: Any = None  # a text stream; sys.stderr when not given
    done: int = 0
    units: int = 0
    started: float = field(default_factory=time.perf_counter)
    _last_logged: float = 0.0

    def __post_init__(self) -> None:
        self.stream = self.stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, steps: int = 1, *, units: int = 0, label: str = "") -> None:
        self.done += steps
        self.units += units
        now = time.perf_counter()
        if self.live:
            self.stream.write("\r\033[K" + self.line(label))
            self.stream.flush()
            if self.done >= self.total:
                self.stream.write("\n")
        elif self.done >= self.total or now - self._last_logged >= LOG_EVERY_SECONDS:
            self._last_logged = now
            log.info(self.line(label))

    def line(self, label: str = "") -> str:
        elapsed = time.perf_counter() - self.started
        text = f"{self.what} {self.done:,} of {self.total:,}"
        if self.rate_unit and elapsed > 0:
            text += f", {self.units / elapsed:,.0f} {self.rate_unit}/s"
        text += f", elapsed {_duration(elapsed)}"
        if 0 < self.done < self.total:
            text += f", remaining ~{_duration(elapsed / self.done * (self.total - self.done))}"
        if label:
            text += f" ({label})"
        return text
