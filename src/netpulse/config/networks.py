"""Network configuration: who the networks are, their time zone and their quarters."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from netpulse.config.pulling import PullSpec, read_pull_section
from netpulse.config.sources import FORMAT_SUFFIXES, SOURCES
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_QUARTER_START_MONTH = 1
NETWORK_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Network:
    network_id: str
    name: str
    type: str | None = None
    programme: str | None = None
    started_on: date | None = None
    timezone: str = DEFAULT_TIMEZONE
    quarter_start_month: int = DEFAULT_QUARTER_START_MONTH
    configured: bool = True
    # The big issues the network works on; meeting titles that mention one count as
    # activity on its priority themes (key feature "compelling purpose").
    priority_themes: tuple[str, ...] = ()
    # No activity of the network is dated before this (None: NETPULSE_EARLIEST_DATE applies).
    earliest_date: date | None = None
    # Per "<source>" or "<source>/<format>": date_order, timezone, instrument.
    source_options: dict = field(default_factory=dict, compare=False)
    # The vendor APIs this network's data is pulled from (netpulse.config.pulling).
    pulls: tuple[PullSpec, ...] = field(default=(), compare=False)

    def options_for(self, source: str, export_format: str) -> dict:
        """Declared options for one source and format; the more specific key wins."""
        return {
            "timezone": self.timezone,
            **self.source_options.get(source, {}),
            **self.source_options.get(f"{source}/{export_format}", {}),
        }


def _network_from_entry(entry: dict, source: Path) -> Network:
    where = f"{source}: network {entry.get('id')!r}"
    network_id = str(entry.get("id", ""))
    if not NETWORK_ID_PATTERN.match(network_id):
        raise ConfigError(f"{where}: id must be lower-case letters, digits, '-' or '_'")
    timezone = entry.get("timezone", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {timezone!r}") from None
    quarter_start = entry.get("quarter_start_month", DEFAULT_QUARTER_START_MONTH)
    if not isinstance(quarter_start, int) or not 1 <= quarter_start <= 12:
        raise ConfigError(f"{where}: quarter_start_month must be a month number 1-12")
    started_on = entry.get("started_on")
    if started_on is not None and not isinstance(started_on, date):
        raise ConfigError(f"{where}: started_on must be a date like 2024-01-01")
    earliest_date = entry.get("earliest_date")
    if earliest_date is not None and not isinstance(earliest_date, date):
        raise ConfigError(f"{where}: earliest_date must be a date like 2015-01-01")
    source_options = _source_options(entry.get("sources") or {}, where)
    themes = entry.get("priority_themes") or []
    if not isinstance(themes, list) or not all(isinstance(t, str) and t.strip() for t in themes):
        raise ConfigError(f"{where}: priority_themes must be a list of words or phrases")
    return Network(
        network_id=network_id,
        name=str(entry.get("name", network_id)),
        type=entry.get("type"),
        programme=entry.get("programme"),
        started_on=started_on,
        timezone=timezone,
        quarter_start_month=quarter_start,
        priority_themes=tuple(t.strip() for t in themes),
        earliest_date=earliest_date,
        source_options=source_options,
        pulls=read_pull_section(entry.get("pull"), network_id, where),
    )


SOURCE_OPTION_NAMES = ("date_order", "timezone", "instrument")


def _source_options(sources: dict, where: str) -> dict:
    """Validate the per-source options: keys "<source>" or "<source>/<format>"."""
    if not isinstance(sources, dict):
        raise ConfigError(f"{where}: sources must map '<source>' or '<source>/<format>' to options")
    for key, options in sources.items():
        source, _, export_format = str(key).partition("/")
        if source not in SOURCES or (export_format and export_format not in FORMAT_SUFFIXES):
            raise ConfigError(f"{where}: sources key {key!r} is not '<source>' or '<source>/<format>'")
        unknown = set(options or {}) - set(SOURCE_OPTION_NAMES)
        if unknown:
            raise ConfigError(f"{where}: sources {key!r}: unknown option(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(SOURCE_OPTION_NAMES)}")
        if options.get("date_order") not in (None, "dmy", "mdy", "ymd"):
            raise ConfigError(f"{where}: sources {key!r}: date_order must be dmy, mdy or ymd")
        if "timezone" in options:
            try:
                ZoneInfo(options["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"{where}: sources {key!r}: unknown time zone {options['timezone']!r}") from None
    return {str(k): dict(v or {}) for k, v in sources.items()}


def load_networks(path: Path | None) -> dict[str, Network]:
    """Read the networks YAML; no file means no configured networks."""
    if path is None:
        return {}
    if not path.exists():
        raise ConfigError(f"network configuration {path} does not exist")
    document = read_yaml(path, "network configuration", empty={})
    entries = document.get("networks", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'networks' must be a list")
    networks = {}
    for entry in entries:
        network = _network_from_entry(entry, path)
        if network.network_id in networks:
            raise ConfigError(f"{path}: network {network.network_id!r} is configured twice")
        networks[network.network_id] = network
    return networks


def earliest_date_setting(limits) -> date:
    """NETPULSE_EARLIEST_DATE (settings.limits.earliest_date) as a date."""
    try:
        return date.fromisoformat(str(limits.earliest_date))
    except ValueError:
        raise ConfigError(f"NETPULSE_EARLIEST_DATE must be a date like 2000-01-01, "
                          f"not {limits.earliest_date!r}") from None


def default_network(network_id: str) -> Network:
    """A network found in the landing zone without configuration."""
    log.warning(
        "network %r has landing files but no configuration: registered with defaults "
        "(time zone %s, quarters from month %d); add it to the networks file",
        network_id, DEFAULT_TIMEZONE, DEFAULT_QUARTER_START_MONTH,
    )
    return Network(network_id=network_id, name=network_id, configured=False)
