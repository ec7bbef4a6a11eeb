"""Disclosure control for everything a funder sees: aggregates only, small numbers hidden.

The one rule of the CSV extracts and the funder pack, read once from the networks file's
``suppression:`` section (``load_suppression``): anything a funder sees later uses it too.

Three kinds of figure, three rules (docs/methodology.md, "Disclosure control"):

- counts of **people** (active, new, retained members, attendances, survey responses...): 0 is
  shown, 1 to ``min_count - 1`` is hidden (``*``), the rest rounded to the nearest ``round_to``;
- counts of **events** (meetings held, forum posts, topics): shown as they are, unless the
  networks file says ``suppression: {events: suppress}``;
- **rates and scores** (key-feature scores, changes, percentages): hidden whenever a count of
  people they are built from is hidden or below ``min_count``.

Safe against differencing: every figure derived for a funder (a change on the previous quarter,
a total over networks, quarters or a programme) is computed from the *published* values only,
never from the true counts. A published table is therefore a function of the published cells:
two warehouses whose counts differ only within one suppression class (any 1-7, or any value
rounding to the same multiple of 5) give byte-identical packs, so no total or difference can
narrow a hidden cell down. tests/test_pack_disclosure.py proves it over random tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError

SUPPRESSED = "*"

# Counts of people: hidden when small, rounded otherwise.
PEOPLE_COUNTS = ("active_members", "new_members", "retained_members", "attendances", "survey_responses")
# Counts of events: as they are unless configured.
EVENT_COUNTS = ("meetings_held", "forum_posts", "forum_replies")
# The count of people a network's scores describe: a score of fewer than min_count people is hidden.
SCORE_BASE = "active_members"


@dataclass(frozen=True)
class Suppression:
    min_count: int = 8
    round_to: int = 5
    events: str = "show"  # "show" or "suppress" (then events follow the people rule)

    def people(self, value) -> int | None:
        """The published count of people: None when hidden."""
        if value is None or _is_nan(value):
            return None
        value = int(value)
        if value == 0:
            return 0
        if value < self.min_count:
            return None
        # Half up, not Python's half-to-even: 12.5 -> 15 as a reader expects. Never shown below
        # min_count, where it would read as a small number: up to the first multiple at or above it.
        rounded = int(self.round_to * math.floor(value / self.round_to + 0.5))
        return max(rounded, self.round_to * math.ceil(self.min_count / self.round_to))

    def event(self, value) -> int | None:
        if value is None or _is_nan(value):
            return None
        return int(value) if self.events == "show" else self.people(value)

    def count(self, column: str, value) -> int | None:
        return self.event(value) if column in EVENT_COUNTS else self.people(value)

    def hidden(self, column: str, value) -> bool:
        """True when the true value is non-null but the published one is hidden."""
        return value is not None and not _is_nan(value) and self.count(column, value) is None

    def score(self, value, base_count) -> float | None:
        """A score (0-100) built from ``base_count`` people: None when hidden or no evidence."""
        if value is None or _is_nan(value) or base_count is None or _is_nan(base_count):
            return None
        if int(base_count) < self.min_count:
            return None
        return float(round(float(value)))

    def count_text(self, column: str, value) -> str:
        """A count as a funder's CSV shows it: the published number, ``*`` hidden, blank unknown."""
        if value is None or _is_nan(value):
            return ""
        published = self.count(column, value)
        return SUPPRESSED if published is None else str(published)

    def score_text(self, value, base_count) -> str:
        """A score as a funder's CSV shows it: ``*`` whenever its base is hidden (with or without
        evidence, as in the pack), else the published score, blank for no evidence."""
        if self.hidden(SCORE_BASE, base_count):
            return SUPPRESSED
        published = self.score(value, base_count)
        return "" if published is None else str(int(published))

    def describe(self) -> str:
        events = "shown as they are" if self.events == "show" else "treated as counts of people"
        return (f"counts of people 1-{self.min_count - 1} shown as {SUPPRESSED}, others rounded to the nearest "
                f"{self.round_to}; counts of events (meetings, forum posts) {events}; scores and changes "
                f"built from a hidden count, or describing fewer than {self.min_count} active members, "
                f"shown as {SUPPRESSED}; totals and changes are computed from the shown figures")

    def as_dict(self) -> dict:
        return {"min_count": self.min_count, "round_to": self.round_to, "events": self.events,
                "people_counts": list(PEOPLE_COUNTS), "event_counts": list(EVENT_COUNTS),
                "rule": self.describe()}


def _is_nan(value) -> bool:
    try:
        return value != value  # NaN and pandas NA-like
    except (TypeError, ValueError):
        return True


def load_suppression(config: Path | None) -> Suppression:
    """The ``suppression`` section of the networks file (defaults when absent)."""
    if config is None or not Path(config).exists():
        return Suppression()
    section = read_yaml(config, "network configuration", empty={}).get("suppression") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"network configuration {config}: suppression must be a mapping")
    unknown = set(section) - {"min_count", "round_to", "events"}
    if unknown:
        raise ConfigError(f"{config}: suppression: unknown setting(s) {', '.join(sorted(unknown))}; "
                          "known: min_count, round_to, events")
    values = {k: int(v) for k, v in section.items() if k in ("min_count", "round_to")}
    events = str(section.get("events", "show"))
    if events not in ("show", "suppress"):
        raise ConfigError(f"{config}: suppression events must be 'show' or 'suppress'")
    rule = Suppression(**values, events=events)
    if rule.min_count < 1 or rule.round_to < 1:
        raise ConfigError(f"{config}: suppression min_count and round_to must be at least 1")
    return rule


def shown(value, *, digits: int = 0) -> str:
    """A published value as text: hidden is ``*``, no evidence is blank."""
    if value is SUPPRESSED:
        return SUPPRESSED
    if value is None or _is_nan(value):
        return ""
    if digits == 0:
        return str(int(round(value)))
    return f"{value:.{digits}f}"


def change(current: int | float | None, previous: int | float | None) -> int | float | None:
    """The change between two *published* values; hidden when either is hidden."""
    if current is None or previous is None:
        return None
    return current - previous


def total(values) -> tuple[int, bool]:
    """A total of *published* counts: (sum of the shown values, whether any was hidden).

    Hidden cells add nothing: the total is a function of what is shown, so it cannot be
    differenced against the shown cells to recover a hidden one.
    """
    values = list(values)
    shown_values = [v for v in values if v is not None]
    return int(sum(shown_values)), len(shown_values) != len(values)
