"""Key features of effective networks: six scores 0-100 per network and period.

Each feature is the weighted mean of components, each component a signal of
``staging.int_network_period_signals`` turned into 0-100 by a linear scale from
``config/key_features.yaml`` (read by ``netpulse.config.key_features``). A component without
evidence (its signal is NULL) drops out and the weights of the others are renormalised; a
feature with no component left is NULL, never 0. Every component row keeps its raw value, its
score, the kind of evidence (trace, structure, survey) and how much of the network that
evidence covers.

The input is one row per network x period, so this runs in pandas inside the build.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netpulse.config.key_features import EVIDENCE_KINDS, Component, Feature, KeyFeatureConfig
from netpulse.errors import ConfigError

KEYS = ["network_id", "grain", "period_start"]
# Which signal says how much of the network each kind of evidence covers.
COVERAGE_SIGNALS = {"trace": "trace_coverage", "structure": "structure_coverage", "survey": "survey_response_rate"}
SCORE_COLUMNS = [*KEYS, "key_feature", "feature_column", "component", "evidence_kind", "raw_value", "score",
                 "weight", "coverage", "is_feature"]


def component_score(component: Component, values: pd.Series) -> pd.Series:
    """The signal on the component's linear scale, 0-100, clamped."""
    low, high = component.scale
    return ((values.astype("float64") - low) / (high - low)).clip(0, 1) * 100 + 0.0  # no -0.0


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
            score = component_score(component, raw)
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

