"""Key features of effective networks: six scores 0-100 per network and period.

Each feature is the weighted mean of components, each component a signal of
``staging.int_network_period_signals`` turned into 0-100 by a linear scale from
``config/key_features.yaml``. A component without evidence (its signal is NULL) drops out
and the weights of the others are renormalised; a feature with no component left is NULL,
never 0. Every component row keeps its raw value, its score, the kind of evidence (trace,
structure, survey) and how much of the network that evidence covers.

The input is one row per network x period, so this runs in pandas inside the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from netpulse.config.settings import methodology_file, project_path
from netpulse.errors import ConfigError

KEYS = ["network_id", "grain", "period_start"]
# The analyst-facing names of the six scores (columns of indicators.network_period).
FEATURE_COLUMNS = ("kf_shared_purpose", "kf_compelling_purpose", "kf_member_needs", "kf_adaptive_leadership",
                   "kf_relationships", "kf_helpful_outputs")
EVIDENCE_KINDS = ("trace", "structure", "survey")
# Which signal says how much of the network each kind of evidence covers.
COVERAGE_SIGNALS = {"trace": "trace_coverage", "structure": "structure_coverage", "survey": "survey_response_rate"}
SCORE_COLUMNS = [*KEYS, "key_feature", "feature_column", "component", "evidence_kind", "raw_value", "score",
                 "weight", "coverage", "is_feature"]


@dataclass(frozen=True)
class Component:
    signal: str
    evidence: str
    weight: float
    scale: tuple[float, float]

    def score(self, values: pd.Series) -> pd.Series:
        low, high = self.scale
        return ((values.astype("float64") - low) / (high - low)).clip(0, 1) * 100 + 0.0  # no -0.0


@dataclass(frozen=True)
class Feature:
    id: str
    column: str
    title: str
    components: tuple[Component, ...]


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


def default_config_path() -> Path:
    return methodology_file("key_features") or project_path("config", "key_features.yaml")


def load_key_features(path: Path | None = None) -> KeyFeatureConfig:
    path = path or default_config_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        features = tuple(
            Feature(
                id=feature_id,
                column=entry["column"],
                title=entry.get("title", feature_id),
                components=tuple(
                    Component(c["signal"], c["evidence"], float(c["weight"]), (float(c["scale"][0]),
                                                                              float(c["scale"][1])))
                    for c in entry["components"]
                ),
            )
            for feature_id, entry in document["features"].items()
        )
        config = KeyFeatureConfig(
            version=str(document["version"]),
            survey_lookback={grain: int(document["survey_lookback"][grain]) for grain in ("month", "quarter")},
            min_respondents=int(document["min_respondents"]),
            diffusion_reach=int(document["diffusion_reach"]),
            decay=float(document["graph"]["decay"]),
            decay_periods=int(document["graph"]["decay_periods"]),
            features=features,
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise ConfigError(f"key features {path} cannot be read: {exc!r}") from None
    for feature in config.features:
        for component in feature.components:
            if component.evidence not in EVIDENCE_KINDS:
                raise ConfigError(f"key features {path}: {feature.id}: evidence must be one of "
                                  f"{', '.join(EVIDENCE_KINDS)}, not {component.evidence!r}")
            if component.scale[0] == component.scale[1] or component.weight <= 0:
                raise ConfigError(f"key features {path}: {feature.id}.{component.signal}: "
                                  "scale needs two different ends and weight must be positive")
    if sorted(config.columns) != sorted(FEATURE_COLUMNS):
        raise ConfigError(f"key features {path}: the features' columns must be exactly {', '.join(FEATURE_COLUMNS)}")
    if (not 0 <= config.decay < 1 or config.decay_periods < 0 or min(config.survey_lookback.values()) < 1
            or config.diffusion_reach < 1):
        raise ConfigError(f"key features {path}: graph decay must be in [0, 1), decay_periods >= 0, "
                          "survey_lookback >= 1, diffusion_reach >= 1")
    return config


def parameters_frame(config: KeyFeatureConfig) -> pd.DataFrame:
    """The configuration the SQL models read, as one row (staging.int_methodology_parameters)."""
    return pd.DataFrame([{
        "key_features_version": config.version,
        "survey_lookback_months": config.survey_lookback["month"],
        "survey_lookback_quarters": config.survey_lookback["quarter"],
        "min_respondents": config.min_respondents,
        "diffusion_reach": config.diffusion_reach,
        "graph_decay": config.decay,
        "graph_decay_periods": config.decay_periods if config.decay > 0 else 0,
    }])


def score_features(signals: pd.DataFrame, config: KeyFeatureConfig) -> pd.DataFrame:
    """One row per component and one per feature, per network x grain x period."""
    missing = {c.signal for f in config.features for c in f.components} - set(signals.columns)
    if missing:
        raise ConfigError(f"key features {config.version}: unknown signals {', '.join(sorted(missing))}")
    frames = []
    for feature in config.features:
        scores, weights, coverages = [], [], []
        for component in feature.components:
            raw = pd.to_numeric(signals[component.signal], errors="coerce").astype("float64")
            score = component.score(raw)
            coverage = pd.to_numeric(signals[COVERAGE_SIGNALS[component.evidence]], errors="coerce")
            coverage = coverage.astype("float64").where(score.notna())
            frames.append(_rows(signals, feature, component.signal, component.evidence, raw, score,
                                component.weight, coverage, is_feature=False))
            scores.append(score)
            weights.append(score.notna() * component.weight)
            coverages.append(coverage.fillna(0) * component.weight * score.notna())
        total_weight = sum(weights)
        has_evidence = total_weight > 0
        feature_score = (sum(s.fillna(0) * c.weight for s, c in zip(scores, feature.components, strict=True))
                         / total_weight.where(has_evidence))
        feature_coverage = sum(coverages) / total_weight.where(has_evidence)
        kinds = _evidence_kinds(scores, feature)
        frames.append(_rows(signals, feature, None, kinds, feature_score, feature_score, np.nan,
                            feature_coverage, is_feature=True))
    return pd.concat(frames, ignore_index=True)[SCORE_COLUMNS]


def _evidence_kinds(scores: list[pd.Series], feature: Feature) -> pd.Series:
    """Per row, the kinds of evidence behind a feature score, e.g. 'structure+survey'."""
    joined = pd.Series("", index=scores[0].index, dtype="object")
    for kind in EVIDENCE_KINDS:
        present = pd.Series(False, index=joined.index)
        for score, component in zip(scores, feature.components, strict=True):
            if component.evidence == kind:
                present |= score.notna()
        joined = joined.where(~present, joined + "+" + kind)
    joined = joined.str.lstrip("+")
    return joined.where(joined != "", None)


def _rows(signals, feature, component, evidence, raw, score, weight, coverage, *, is_feature) -> pd.DataFrame:
    return pd.DataFrame({
        **{k: signals[k].to_numpy() for k in KEYS},
        "key_feature": feature.id,
        "feature_column": feature.column,
        "component": component,
        "evidence_kind": evidence,
        "raw_value": raw.to_numpy(dtype="float64") if hasattr(raw, "to_numpy") else raw,
        "score": score.to_numpy(dtype="float64"),
        "weight": weight,
        "coverage": coverage.to_numpy(dtype="float64"),
        "is_feature": is_feature,
    })

