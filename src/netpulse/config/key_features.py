"""The key features of effective networks, declared once in ``config/key_features.yaml``.

Each feature has an ``id`` (what instruments map their items to, and the ``key_feature`` of
the score rows), the analyst-facing ``column`` of its 0-100 score, a ``title`` (its name in
the framework), a short ``label`` (in stage reasons and the funder pack), the ids it was
``formerly`` known by in instrument files, and its ``components`` (the logic: which signals,
how weighted and scaled; ``netpulse.measures.key_features`` computes them). Its survey
signal is ``survey_<id>``. Everything else that names a feature (SQL pivots, the expectation
suite, instruments, reasons, the pack, the extract, the data dictionary) reads this.

A deployment's ``key_features.yaml`` (NETPULSE_KEY_FEATURES or the configuration folder)
replaces the shipped one whole; :func:`active_key_features` reads whichever applies.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from netpulse.config.settings import methodology_file, project_path
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError

log = logging.getLogger(__name__)

EVIDENCE_KINDS = ("trace", "structure", "survey")
_FEATURE_KEYS = {"column", "title", "label", "formerly", "components"}
_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_COLUMN = re.compile(r"^kf_[a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class Component:
    signal: str
    evidence: str
    weight: float
    scale: tuple[float, float]


@dataclass(frozen=True)
class Feature:
    id: str
    column: str
    title: str
    label: str
    components: tuple[Component, ...]
    formerly: tuple[str, ...] = ()

    @property
    def survey_signal(self) -> str:
        return f"survey_{self.id}"

    @property
    def heading(self) -> str:
        """The label as a heading: "Member needs"."""
        return self.label[:1].upper() + self.label[1:]


@dataclass(frozen=True)
class KeyFeatureConfig:
    version: str
    survey_lookback: dict[str, int]
    min_respondents: int
    diffusion_reach: int
    decay: float
    decay_periods: int
    features: tuple[Feature, ...]

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.features]

    def by_id(self) -> dict[str, Feature]:
        return {f.id: f for f in self.features}

    def current_id(self, feature_id: str) -> str | None:
        """The id a feature has now, for its id or one it was formerly known by."""
        for feature in self.features:
            if feature_id == feature.id or feature_id in feature.formerly:
                return feature.id
        return None


def default_config_path() -> Path:
    return methodology_file("key_features") or project_path("config", "key_features.yaml")


def load_key_features(path: Path | None = None) -> KeyFeatureConfig:
    path = path or default_config_path()
    what = "key features"
    document = read_yaml(path, what)
    try:
        features = tuple(_feature(str(feature_id), entry, path) for feature_id, entry in document["features"].items())
        config = KeyFeatureConfig(
            version=str(document["version"]),
            survey_lookback={grain: int(document["survey_lookback"][grain]) for grain in ("month", "quarter")},
            min_respondents=int(document["min_respondents"]),
            diffusion_reach=int(document["diffusion_reach"]),
            decay=float(document["graph"]["decay"]),
            decay_periods=int(document["graph"]["decay_periods"]),
            features=features,
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ConfigError(f"{what} {path}: not well formed: {exc!r}") from None
    _check(config, path)
    return config


def _feature(feature_id: str, entry: dict, path: Path) -> Feature:
    where = f"key features {path}: feature {feature_id}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with column, title, label and components")
    unknown = set(entry) - _FEATURE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                          f"known: {', '.join(sorted(_FEATURE_KEYS))}")
    formerly = entry.get("formerly") or ()
    formerly = (formerly,) if isinstance(formerly, str) else tuple(str(f) for f in formerly)
    title = str(entry["title"])
    return Feature(
        id=feature_id, column=str(entry["column"]), title=title, label=str(entry.get("label") or title),
        formerly=formerly,
        components=tuple(
            Component(_signal(str(c["signal"]), feature_id, formerly, where), str(c["evidence"]),
                      float(c["weight"]), (float(c["scale"][0]), float(c["scale"][1])))
            for c in entry["components"]),
    )


def _signal(signal: str, feature_id: str, formerly: tuple[str, ...], where: str) -> str:
    """A survey signal named after a former id reads as ``survey_<id>``, saying so."""
    if signal in {f"survey_{old}" for old in formerly}:
        log.warning("%s: signal %s is now survey_%s; read as that in this version only, rename it",
                    where, signal, feature_id)
        return f"survey_{feature_id}"
    return signal


def _check(config: KeyFeatureConfig, path: Path) -> None:
    where = f"key features {path}"
    if not config.features:
        raise ConfigError(f"{where}: no features")
    ids = [f.id for f in config.features] + [old for f in config.features for old in f.formerly]
    columns = config.columns
    for feature in config.features:
        if not _ID.match(feature.id) or not _COLUMN.match(feature.column):
            raise ConfigError(f"{where}: feature {feature.id!r}: the id must be lower case letters, digits and _, "
                              f"and the column kf_ and the same ({feature.column!r})")
        if not feature.components:
            raise ConfigError(f"{where}: feature {feature.id}: no components")
        for component in feature.components:
            if component.evidence not in EVIDENCE_KINDS:
                raise ConfigError(f"{where}: {feature.id}: evidence must be one of "
                                  f"{', '.join(EVIDENCE_KINDS)}, not {component.evidence!r}")
            if component.scale[0] == component.scale[1] or component.weight <= 0:
                raise ConfigError(f"{where}: {feature.id}.{component.signal}: "
                                  "scale needs two different ends and weight must be positive")
    if len(set(ids)) != len(ids) or len(set(columns)) != len(columns):
        raise ConfigError(f"{where}: two features share an id, a former id or a column")
    if (not 0 <= config.decay < 1 or config.decay_periods < 0 or min(config.survey_lookback.values()) < 1
            or config.diffusion_reach < 1):
        raise ConfigError(f"{where}: graph decay must be in [0, 1), decay_periods >= 0, "
                          "survey_lookback >= 1, diffusion_reach >= 1")


_ACTIVE: dict[tuple[str, int, int], KeyFeatureConfig] = {}


def active_key_features() -> KeyFeatureConfig:
    """The key features in force (read again when the file changes)."""
    path = default_config_path()
    try:
        stat = path.stat()
    except OSError:
        return load_key_features(path)  # says which file is missing
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _ACTIVE:
        _ACTIVE.clear()
        _ACTIVE[key] = load_key_features(path)
    return _ACTIVE[key]


def feature_columns() -> tuple[str, ...]:
    """The analyst-facing score columns (``kf_*``), in declaration order."""
    return tuple(active_key_features().columns)


def feature_enum_sql(config: KeyFeatureConfig) -> list[str]:
    """The build's ENUM types that the SQL models pivot on, so no model lists the features."""

    def members(values):
        return ", ".join("'" + v.replace("'", "''") + "'" for v in values)

    return [
        f"create or replace temporary type key_feature_column as enum ({members(config.columns)})",
        "create or replace temporary type key_feature_survey_signal as enum "
        f"({members(f.survey_signal for f in config.features)})",
    ]
