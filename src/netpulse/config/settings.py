"""Where netpulse reads and writes, taken from environment variables.

Every path the pipeline writes to defaults to a git-ignored location under the current
directory, so a fresh clone never gets generated files committed by accident.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from netpulse.errors import ConfigError

log = logging.getLogger(__name__)

# The repository root when netpulse runs from a checkout (editable install): SQL models,
# expectation suites, DDL, DAGs and the shipped configuration live there, beside the package.
# An installed wheel carries the same folders inside the package (pyproject.toml).
_CHECKOUT_ROOT = Path(__file__).resolve().parents[3]
_SHIPPED = Path(__file__).resolve().parents[1] / "_shipped"

DEMO_HASH_KEY = "netpulse-demo-key-not-for-real-data"


def project_dir() -> Path:
    """Where transforms/, expectations/, warehouse/, dags/ and config/ are read from."""
    configured = os.environ.get("NETPULSE_PROJECT_DIR")
    if configured:
        return Path(configured)
    return _CHECKOUT_ROOT if (_CHECKOUT_ROOT / "transforms").is_dir() else _SHIPPED


def project_path(*parts: str) -> Path:
    path = project_dir().joinpath(*parts)
    if not path.exists():
        raise ConfigError(
            f"{path} not found: install netpulse from its wheel, run it from its checkout, "
            "or set NETPULSE_PROJECT_DIR"
        )
    return path


# Versioned methodology files a deployment may point elsewhere (a new version under trial).
METHODOLOGY_VARIABLES = {
    "stage_rules": "NETPULSE_STAGE_RULES",
    "key_features": "NETPULSE_KEY_FEATURES",
    "warning_signs": "NETPULSE_WARNING_SIGNS",
}


def methodology_file(name: str) -> Path | None:
    """The file a ``NETPULSE_*`` variable names for a methodology definition, if it is set.

    This module is the only reader of ``NETPULSE_*``: the measures ask it, never the environment.
    """
    configured = os.environ.get(METHODOLOGY_VARIABLES[name])
    if configured:
        return Path(configured)
    # key_features.yaml and warning_signs.yaml in the configuration folder replace the shipped
    # ones (stage rules are versions: they are layered, see layered_config_files).
    user = config_dir()
    if name != "stage_rules" and user is not None and (user / f"{name}.yaml").is_file():
        return user / f"{name}.yaml"
    return None


def config_dir() -> Path | None:
    """The user's configuration folder (``NETPULSE_CONFIG_DIR``), if set.

    Its ``instruments/`` and ``stage_rules/`` subfolders are layered over the shipped ones in
    ``config/``: a file of the same name there wins, any other file is added.
    """
    configured = os.environ.get("NETPULSE_CONFIG_DIR")
    return Path(configured) if configured else None


def layered_config_files(subfolder: str, shipped: Path) -> dict[str, Path]:
    """YAML files by name (stem) of ``shipped``, with ``<config dir>/<subfolder>`` over them.

    Within one folder a name may be given once (``x.yaml`` and ``x.yml`` together are refused:
    which one counts could not be told from the folder).
    """
    files: dict[str, Path] = {}
    user = config_dir()
    folders = [shipped] + ([user / subfolder] if user is not None else [])
    for folder in folders:
        if not folder.is_dir():
            if folder is not shipped and user is not None and not user.is_dir():
                raise ConfigError(f"NETPULSE_CONFIG_DIR {user} is not a folder")
            continue
        found = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        stems = [p.stem for p in found]
        for path in found:
            if stems.count(path.stem) > 1:
                raise ConfigError(f"{folder}: {path.stem!r} is in more than one file")
            files[path.stem] = path
    return files


@dataclass(frozen=True)
class InputLimits:
    """What netpulse accepts from a landing file before it refuses it (docs/security.md).

    Archives (Slack ZIPs, XLSX workbooks) are read as streams against these limits, so a small
    file that declares, or inflates to, gigabytes is quarantined with the limit it broke instead
    of filling memory. Dates outside [earliest_date, arrival + future_margin_days] cannot be true
    of an activity and are refused, so one mistyped year never stretches every network's periods.
    """

    archive_max_total_bytes: int = 1 << 30  # everything an archive holds, uncompressed
    archive_max_member_bytes: int = 256 << 20  # one member, uncompressed
    archive_max_ratio: int = 200  # uncompressed / compressed size of a member (zip bombs)
    archive_max_members: int = 50_000
    max_file_bytes: int = 1 << 30  # one landing file, as delivered (it is read into memory whole)
    earliest_date: str = "2000-01-01"  # a network may set its own (earliest_date: in the networks file)
    future_margin_days: int = 2  # after the delivery's arrival (clocks, time zones)
    # A symlink in the landing zone pointing outside it is refused unless this is set
    # (deployments that mount storage into the landing zone that way).
    allow_symlinks_outside: bool = False

    @classmethod
    def from_env(cls) -> InputLimits:
        env, defaults = os.environ, cls()
        return cls(
            archive_max_total_bytes=_int(env, "NETPULSE_ARCHIVE_MAX_TOTAL_BYTES", defaults.archive_max_total_bytes),
            archive_max_member_bytes=_int(env, "NETPULSE_ARCHIVE_MAX_MEMBER_BYTES",
                                          defaults.archive_max_member_bytes),
            archive_max_ratio=_int(env, "NETPULSE_ARCHIVE_MAX_RATIO", defaults.archive_max_ratio),
            archive_max_members=_int(env, "NETPULSE_ARCHIVE_MAX_MEMBERS", defaults.archive_max_members),
            max_file_bytes=_int(env, "NETPULSE_MAX_FILE_BYTES", defaults.max_file_bytes),
            earliest_date=env.get("NETPULSE_EARLIEST_DATE") or defaults.earliest_date,
            future_margin_days=_int(env, "NETPULSE_FUTURE_MARGIN_DAYS", defaults.future_margin_days),
            allow_symlinks_outside=(env.get("NETPULSE_ALLOW_SYMLINKS_OUTSIDE_LANDING", "").strip().lower()
                                    in ("1", "true", "yes")),
        )


def _int(env, name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None


DEFAULT_MEMORY_LIMIT = "2GiB"
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def memory_limit(text: str) -> str:
    """A DuckDB memory limit such as 2GiB or 1500MB (checked here: DuckDB's error names no setting)."""
    found = _MEMORY.fullmatch(text.strip())
    if not found or float(found.group(1)) <= 0:
        raise ConfigError(f"NETPULSE_MEMORY_LIMIT must be an amount such as 2GiB or 1500MB, not {text!r}")
    return f"{found.group(1)}{found.group(2)}"


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    warehouse: Path
    network_config: Path | None
    extracts: Path
    data_docs: Path
    hash_key: str | None
    lock_attempts: int
    lock_wait_seconds: float
    # Processes for the build's per-network Python models and DuckDB's threads (NETPULSE_WORKERS).
    workers: int = os.cpu_count() or 1
    # DuckDB's memory limit on the warehouse's connections (NETPULSE_MEMORY_LIMIT): above it,
    # joins, sorts and aggregates spill to <warehouse>.tmp; without it DuckDB takes 80% of the machine.
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    limits: InputLimits = InputLimits()
    # Where the pulls keep their cursors (NETPULSE_PULL_STATE): beside the landing zone, never in
    # the warehouse, so a lost warehouse loses no cursor and a pull takes no warehouse lock.
    pull_state: Path | None = None

    @property
    def pull_state_dir(self) -> Path:
        return self.pull_state or self.home / "pull-state"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        home = Path(env.get("NETPULSE_HOME", "var"))
        config = env.get("NETPULSE_CONFIG")
        values = dict(
            home=home,
            landing=Path(env.get("NETPULSE_LANDING", home / "landing")),
            warehouse=Path(env.get("NETPULSE_WAREHOUSE", "warehouse/netpulse.duckdb")),
            network_config=Path(config) if config else _networks_in_config_dir(),
            extracts=Path(env.get("NETPULSE_EXTRACTS", home / "extracts")),
            data_docs=Path(env.get("NETPULSE_DATA_DOCS", home / "data_docs")),
            hash_key=_hash_key(env),
            lock_attempts=int(env.get("NETPULSE_LOCK_ATTEMPTS", "6")),
            lock_wait_seconds=float(env.get("NETPULSE_LOCK_WAIT_SECONDS", "0.5")),
            workers=max(1, int(env.get("NETPULSE_WORKERS") or os.cpu_count() or 1)),
            memory_limit=memory_limit(env.get("NETPULSE_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT),
            limits=InputLimits.from_env(),
            pull_state=Path(env["NETPULSE_PULL_STATE"]) if env.get("NETPULSE_PULL_STATE") else None,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def require_hash_key(self) -> str:
        if not self.hash_key:
            raise ConfigError(
                "NETPULSE_HASH_KEY is not set: member identifiers are pseudonymised with this "
                "secret key; set it (and keep it out of version control) before loading data"
            )
        return self.hash_key


def _hash_key(env) -> str | None:
    """NETPULSE_HASH_KEY, or the first line of the file NETPULSE_HASH_KEY_FILE names.

    A key file readable only by the data team keeps the key out of every shell's environment
    (where a process of the same account can read it in /proc); docs/security.md.
    """
    key_file = env.get("NETPULSE_HASH_KEY_FILE")
    if not key_file:
        return env.get("NETPULSE_HASH_KEY") or None
    if env.get("NETPULSE_HASH_KEY"):
        raise ConfigError("both NETPULSE_HASH_KEY and NETPULSE_HASH_KEY_FILE are set: keep one (the file)")
    path = Path(key_file)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the hash key file NETPULSE_HASH_KEY_FILE={key_file}: "
                          f"{exc.strerror}") from None
    if mode & stat.S_IROTH:
        log.warning("the hash key file %s is readable by every account on this machine: "
                    "`chmod 600` it (docs/security.md)", key_file)
    key = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not key:
        raise ConfigError(f"the hash key file {key_file} is empty")
    return key


# New files readable by their owner and group only, folders 0750 (NETPULSE_UMASK to change it).
DEFAULT_UMASK = 0o027


def restrict_new_files() -> None:
    """Apply NETPULSE_UMASK (default 027) to this process: the files netpulse writes (warehouse
    WAL, Data Docs, extracts, packs) are never readable by every account on the machine."""
    text = os.environ.get("NETPULSE_UMASK", "").strip()
    try:
        mask = int(text, 8) if text else DEFAULT_UMASK
    except ValueError:
        raise ConfigError(f"NETPULSE_UMASK must be octal, like 027, not {text!r}") from None
    os.umask(mask & 0o777)


def _networks_in_config_dir() -> Path | None:
    """``<config dir>/networks.yaml`` when NETPULSE_CONFIG does not name a networks file."""
    user = config_dir()
    return user / "networks.yaml" if user is not None and (user / "networks.yaml").is_file() else None


WATCH_QUIET_SECONDS, WATCH_POLL_SECONDS = 10.0, 2.0


def watch_timings() -> tuple[float, float]:
    """(quiet period, poll interval) in seconds of the landing-zone watcher.

    ``NETPULSE_WATCH_QUIET_SECONDS`` (default 10) and ``NETPULSE_WATCH_POLL_SECONDS`` (default 2).
    """
    quiet = float(os.environ.get("NETPULSE_WATCH_QUIET_SECONDS") or WATCH_QUIET_SECONDS)
    poll = float(os.environ.get("NETPULSE_WATCH_POLL_SECONDS") or WATCH_POLL_SECONDS)
    return quiet, poll


def notify_target() -> str:
    """Where failures are announced (``NETPULSE_NOTIFY``): ``log``, ``email:<conn>[:<to>,…]``, ``webhook:<url>``."""
    return os.environ.get("NETPULSE_NOTIFY", "log").strip() or "log"


DEFAULT_PULL_SCHEDULE = "20 * * * *"  # hourly, off the hour the ingest fallback runs on


def pull_schedule() -> str | None:
    """The cron schedule of the ``netpulse_pull`` DAG (``NETPULSE_PULL_SCHEDULE``); ``none`` for
    runs started by hand only."""
    text = (os.environ.get("NETPULSE_PULL_SCHEDULE") or DEFAULT_PULL_SCHEDULE).strip()
    return None if text.lower() == "none" else text
