"""Stages set by hand: a network team's judgement replacing the rules' stage for some periods.

The traces are not the whole story (the seeds' "take the temperature" diagnostic is a judgement
too): a team that knows its network is established, or dormant, records that here, with who
decided, when and why. Overrides are kept in ``<config dir>/stage_overrides.yaml`` (the
configuration folder, ``NETPULSE_CONFIG_DIR``), a file the team keeps under version control; every
build applies them to every rules version, and the indicator history keeps each build's stages,
so an override removed later still shows in the builds that applied it.

Each entry::

    - network: frailty-learning
      grain: quarter            # month or quarter
      from: 2026-04-01          # first period (its start) the override covers
      to: 2026-06-30            # optional: last day covered; open-ended when absent
      stage: dormant
      by: Jo Bloggs (network lead)
      on: 2026-07-03            # the day it was decided
      reason: the network stopped meeting when its funding ended; the forum is archive only
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from netpulse.config.settings import config_dir
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError

FILE_NAME = "stage_overrides.yaml"
_KEYS = {"network", "grain", "from", "to", "stage", "by", "on", "reason"}
_REQUIRED = _KEYS - {"to"}


@dataclass(frozen=True)
class StageOverride:
    network: str
    grain: str
    start: date
    end: date | None
    stage: str
    by: str
    on: date
    reason: str

    def covers(self, network: str, grain: str, period_start: date) -> bool:
        return (network == self.network and grain == self.grain and period_start >= self.start
                and (self.end is None or period_start <= self.end))

    def words(self) -> str:
        return f"set by hand by {self.by} on {self.on:%Y-%m-%d}: {self.reason}"


def overrides_path() -> Path | None:
    """``<config dir>/stage_overrides.yaml``, or None without a configuration folder."""
    folder = config_dir()
    return folder / FILE_NAME if folder is not None else None


def load_overrides(path: Path | None = None, stages: tuple[str, ...] | None = None) -> tuple[StageOverride, ...]:
    """The overrides in ``path`` (default :func:`overrides_path`); none when there is no file."""
    path = path if path is not None else overrides_path()
    if path is None or not path.exists():
        return ()
    document = read_yaml(path, "stage overrides", expect=list, empty=[])
    return tuple(_parse(path, number, entry, stages) for number, entry in enumerate(document, start=1))


def _parse(path: Path, number: int, entry: object, stages: tuple[str, ...] | None) -> StageOverride:
    where = f"stage overrides {path}: entry {number}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with {', '.join(sorted(_REQUIRED))}")
    unknown, absent = sorted(set(map(str, entry)) - _KEYS), sorted(_REQUIRED - set(map(str, entry)))
    if unknown or absent:
        raise ConfigError(f"{where}: " + (f"unknown key {unknown[0]!r}" if unknown else f"missing key {absent[0]!r}"))
    if entry["grain"] not in ("month", "quarter"):
        raise ConfigError(f"{where}: grain must be month or quarter, not {entry['grain']!r}")
    if stages is not None and entry["stage"] not in stages:
        raise ConfigError(f"{where}: unknown stage {entry['stage']!r} (one of {', '.join(stages)})")
    for key in ("by", "reason"):
        if not str(entry[key] or "").strip():
            raise ConfigError(f"{where}: {key} must say who decided and why; it cannot be blank")
    override = StageOverride(
        network=str(entry["network"]), grain=str(entry["grain"]), start=_date(where, "from", entry["from"]),
        end=_date(where, "to", entry["to"]) if entry.get("to") is not None else None, stage=str(entry["stage"]),
        by=str(entry["by"]).strip(), on=_date(where, "on", entry["on"]), reason=str(entry["reason"]).strip())
    if override.end is not None and override.end < override.start:
        raise ConfigError(f"{where}: to {override.end} is before from {override.start}")
    return override


def _date(where: str, key: str, value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {key} must be a date like 2026-04-01, not {value!r}") from None


def add_override(override: StageOverride, path: Path | None = None, stages: tuple[str, ...] | None = None) -> Path:
    """Append an override to the file (created if need be), after checking the file and the entry."""
    path = path if path is not None else overrides_path()
    if path is None:
        raise ConfigError("stage overrides live in the configuration folder: set NETPULSE_CONFIG_DIR")
    existing = load_overrides(path, stages)
    entry = {"network": override.network, "grain": override.grain, "from": override.start.isoformat(),
             **({"to": override.end.isoformat()} if override.end else {}), "stage": override.stage,
             "by": override.by, "on": override.on.isoformat(), "reason": override.reason}
    _parse(path, len(existing) + 1, entry, stages)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if existing else (
        "# Stages set by hand (netpulse override-stage; docs/methodology.md, \"Overriding a stage by hand\").\n")
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + yaml.safe_dump([entry], sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
