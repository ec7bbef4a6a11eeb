"""What each network pulls from the vendors' APIs: the ``pull:`` section of its networks-file entry.

```yaml
networks:
  - id: resp-clinical
    pull:
      discourse: {connection: resp_discourse, categories: [clinical-leads/12], since: 2026-01-01}
      slack: {connection: resp_slack, channels: [C07ABCDEF], lookback_days: 14}
      zoom: {connection: nhs_zoom, users: [host@example.org]}
      teams: {connection: nhs_graph, organisers: [3f2a…-user-object-id]}
      qualtrics: {connection: nhs_qualtrics, surveys: [SV_1AbCdEf]}
      msforms: {connection: nhs_graph, workbooks: [{drive: b!Xy…, item: 01ABC…}]}
```

Only names live here: the connection is an Airflow connection id, and its host, login, password
and extra hold the secrets (docs/pulling.md). Each listed thing (a category, a channel, a user…)
is a *stream*, with its own cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from netpulse.errors import ConfigError

# Which landing folder each API's responses are written to: (source, format).
API_LANDING = {
    "discourse": ("forum", "discourse"),
    "slack": ("forum", "slack"),
    "zoom": ("attendance", "zoom"),
    "teams": ("attendance", "teams"),
    "qualtrics": ("survey", "qualtrics"),
    "msforms": ("survey", "msforms"),
}
APIS = tuple(API_LANDING)
# The list of streams each API names, and the stream pulled when the list is left out.
STREAM_LISTS = {"discourse": "categories", "slack": "channels", "zoom": "users", "teams": "organisers",
                "qualtrics": "surveys", "msforms": "workbooks"}
WHOLE_SITE = {"discourse": "latest"}  # Discourse without categories: the whole site's /latest
CONNECTION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
STREAM_NAME = re.compile(r"^[A-Za-z0-9@._:/+!=~-]{1,300}$")
COMMON_OPTIONS = ("connection", "base_url", "since", "lookback_days", "max_pages", "max_seconds",
                  "timeout_seconds", "min_request_interval_seconds")
DEFAULT_BACKFILL_DAYS = 90
DEFAULT_LOOKBACK_DAYS = {"slack": 14, "discourse": 0, "zoom": 2, "teams": 2, "qualtrics": 0, "msforms": 0}
# Slack allows apps outside its Marketplace one history or replies request a minute.
DEFAULT_MIN_INTERVAL = {"slack": 61.0}


@dataclass(frozen=True)
class PullSpec:
    """One API one network pulls from (one entry of its ``pull:`` section)."""

    network_id: str
    api: str
    connection: str
    streams: tuple[str, ...]
    base_url: str | None = None
    since: date | None = None  # the first pull backfills from here (default: 90 days back)
    lookback_days: int = 0  # re-read this far behind the cursor: late replies, edits, late reports
    max_pages: int = 500  # per run and stream set: the rest waits for the next run
    max_seconds: float = 900.0
    timeout_seconds: float = 30.0
    min_request_interval_seconds: float = 0.0
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def landing(self) -> tuple[str, str]:
        return API_LANDING[self.api]

    @property
    def target(self) -> str:
        return f"{self.network_id}/{self.api}"


def read_pull_section(section: Any, network_id: str, where: str) -> tuple[PullSpec, ...]:
    """The ``pull:`` section of one network, checked; a mistake names the key and what it takes."""
    if section is None:
        return ()
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: pull must map an API ({', '.join(APIS)}) to its settings")
    specs = []
    for api, entry in section.items():
        if api not in API_LANDING:
            raise ConfigError(f"{where}: pull: unknown API {api!r}; known: {', '.join(APIS)}")
        specs.append(_spec(api, entry or {}, network_id, f"{where}: pull: {api}"))
    return tuple(specs)


def _spec(api: str, entry: Any, network_id: str, where: str) -> PullSpec:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a mapping of settings (connection, {STREAM_LISTS[api]}, …)")
    list_name = STREAM_LISTS[api]
    unknown = set(map(str, entry)) - set(COMMON_OPTIONS) - {list_name}
    if any(re.search(r"key|secret|token|password|credential", name, re.IGNORECASE) for name in unknown):
        raise ConfigError(f"{where}: secrets never go in the networks file (it is not protected like a "
                          "secret): put them in the Airflow connection the 'connection' setting names")
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; known: "
                          f"{', '.join((*COMMON_OPTIONS, list_name))}")
    connection = entry.get("connection")
    if not isinstance(connection, str) or not CONNECTION_ID.match(connection):
        raise ConfigError(f"{where}: connection must name an Airflow connection id (letters, digits, _ . -)")
    streams = _streams(api, entry.get(list_name), where)
    base_url = entry.get("base_url")
    if base_url is not None and not (isinstance(base_url, str) and re.match(r"^https?://[^\s/]+", base_url)):
        raise ConfigError(f"{where}: base_url must be an http(s) URL like https://forum.example.org")
    since = entry.get("since")
    if since is not None and not isinstance(since, date):
        raise ConfigError(f"{where}: since must be a date like 2026-01-01")
    return PullSpec(
        network_id=network_id, api=api, connection=connection, streams=streams,
        base_url=base_url.rstrip("/") if base_url else None, since=since,
        lookback_days=_number(entry, "lookback_days", DEFAULT_LOOKBACK_DAYS[api], where, whole=True),
        max_pages=_number(entry, "max_pages", 500, where, whole=True, least=1),
        max_seconds=_number(entry, "max_seconds", 900.0, where, least=1),
        timeout_seconds=_number(entry, "timeout_seconds", 30.0, where, least=0.1),
        min_request_interval_seconds=_number(
            entry, "min_request_interval_seconds", DEFAULT_MIN_INTERVAL.get(api, 0.0), where),
    )


def _streams(api: str, listed: Any, where: str) -> tuple[str, ...]:
    list_name = STREAM_LISTS[api]
    if listed is None:
        if api in WHOLE_SITE:
            return (WHOLE_SITE[api],)
        raise ConfigError(f"{where}: {list_name} must list what to pull")
    if not isinstance(listed, list) or not listed:
        raise ConfigError(f"{where}: {list_name} must be a non-empty list")
    streams = []
    for item in listed:
        if api == "msforms":
            if not (isinstance(item, dict) and set(item) == {"drive", "item"}):
                raise ConfigError(f"{where}: each workbook is {{drive: <drive id>, item: <item id>}}")
            item = f"{item['drive']}/{item['item']}"
        if api == "discourse" and not re.match(r"^[a-z0-9-]+/\d+$", str(item)):
            raise ConfigError(f"{where}: a category is '<slug>/<id>' as in its URL (/c/<slug>/<id>), "
                              f"not {item!r}")
        text = str(item)
        if not STREAM_NAME.match(text):
            raise ConfigError(f"{where}: {list_name}: {text[:80]!r} is not an id this API uses")
        streams.append(text)
    if len(set(streams)) != len(streams):
        raise ConfigError(f"{where}: {list_name} lists the same entry twice")
    return tuple(streams)


def _number(entry: dict, key: str, default, where: str, *, whole: bool = False, least: float = 0):
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not isinstance(value, int)) \
            or value < least:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{where}: {key} must be {kind} of at least {least:g}")
    return value
