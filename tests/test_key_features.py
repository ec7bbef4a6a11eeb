"""Key-feature scores: linear scales, weights renormalised over the evidence present, NULL without evidence."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from netpulse.config.key_features import feature_columns, load_key_features
from netpulse.config.settings import project_path
from netpulse.errors import ConfigError
from netpulse.measures.key_features import parameters_frame, score_features

CONFIG = load_key_features()


def signals(**values) -> pd.DataFrame:
    """One period whose signals are all NULL except those given; coverage signals default to 1."""
    names = {c.signal for f in CONFIG.features for c in f.components}
    row = {"network_id": "n", "grain": "month", "period_start": pd.Timestamp("2026-01-01").date(),
           **dict.fromkeys(names, float("nan")),
           "trace_coverage": 1.0, "structure_coverage": 1.0, "survey_response_rate": 1.0}
    row.update(values)
    return pd.DataFrame([row])


def feature(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[frame["is_feature"] & (frame["feature_column"] == column)].iloc[0]


def component(frame: pd.DataFrame, column: str, signal: str) -> pd.Series:
    return frame[(frame["feature_column"] == column) & (frame["component"] == signal)].iloc[0]


def test_the_shipped_configuration_scores_the_six_key_features_under_their_analyst_names():
    assert sorted(CONFIG.columns) == sorted(feature_columns())
    assert all(f.components for f in CONFIG.features)


def test_no_evidence_gives_null_never_zero():
    scored = score_features(signals(), CONFIG)
    for column in feature_columns():
        row = feature(scored, column)
        assert math.isnan(row["score"]) and row["evidence_kind"] is None


@pytest.mark.parametrize(("value", "expected"), [(0.2, 0.0), (0.5, 50.0), (0.8, 100.0), (0.0, 0.0), (1.0, 100.0)])
def test_a_component_scores_linearly_between_its_scale_ends_and_is_clamped(value, expected):
    # retention_rate is scaled [0.2, 0.8] in the shipped configuration.
    scored = score_features(signals(retention_rate=value), CONFIG)
    assert component(scored, "kf_shared_purpose", "retention_rate")["score"] == pytest.approx(expected)


def test_a_reversed_scale_rewards_lower_values():
    # median_hours_to_first_reply is scaled [72, 2]: 2 hours or less is 100, 72 or more is 0.
    scored = score_features(signals(median_hours_to_first_reply=37.0), CONFIG)
    assert component(scored, "kf_member_needs", "median_hours_to_first_reply")["score"] == pytest.approx(50.0)


def test_the_feature_is_the_weighted_mean_of_the_components_with_evidence():
    # shared purpose: retention_rate (w1, [0.2, 0.8]), core_stability (w1, [0.3, 0.9]),
    # survey_shared_purpose (w2, [1, 5]). Retention 0.5 -> 50, survey 4.0 -> 75, no core stability:
    # (1*50 + 2*75) / 3 = 66.67; the missing component's weight is left out, not counted as 0.
    scored = score_features(signals(retention_rate=0.5, survey_shared_purpose=4.0), CONFIG)
    row = feature(scored, "kf_shared_purpose")
    assert row["score"] == pytest.approx(200 / 3)
    assert row["evidence_kind"] == "trace+survey"


def test_coverage_is_the_weighted_share_of_members_the_evidence_covers():
    # Trace evidence covers 90% of active members, survey 30% (the response rate):
    # (1*0.9 + 2*0.3) / 3 = 0.5.
    scored = score_features(signals(retention_rate=0.5, survey_shared_purpose=4.0, trace_coverage=0.9,
                                    survey_response_rate=0.3), CONFIG)
    assert feature(scored, "kf_shared_purpose")["coverage"] == pytest.approx(0.5)
    assert component(scored, "kf_shared_purpose", "survey_shared_purpose")["coverage"] == pytest.approx(0.3)


def test_every_component_keeps_its_raw_value_weight_and_evidence_kind():
    scored = score_features(signals(tie_persistence=0.4), CONFIG)
    row = component(scored, "kf_relationships", "tie_persistence")
    assert (row["raw_value"], row["evidence_kind"], row["weight"]) == (0.4, "structure", 2.0)
    assert row["score"] == pytest.approx(50.0)


def test_an_unknown_signal_is_a_configuration_error():
    with pytest.raises(ConfigError, match="unknown signals"):
        score_features(signals().drop(columns=["retention_rate"]), CONFIG)


def write_config(tmp_path: Path, **changes) -> Path:
    document = yaml.safe_load(project_path("config", "key_features.yaml").read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        target = document
        *parents, last = dotted.split(".")
        for key in parents:
            target = target[key] if not isinstance(target, list) else target[int(key)]
        target[last if not isinstance(target, list) else int(last)] = value
    path = tmp_path / "key_features.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "message"), [
    ({"features.shared_purpose.components.0.evidence": "gossip"}, "evidence must be one of"),
    ({"features.shared_purpose.components.0.scale": [1, 1]}, "two different ends"),
    ({"features.shared_purpose.components.0.weight": 0}, "weight must be positive"),
    ({"features.shared_purpose.column": "kf_member_needs"}, "share an id, a former id or a column"),
    ({"features.shared_purpose.formerly": ["meets_member_needs"]}, "share an id, a former id or a column"),
    ({"features.shared_purpose.column": "purpose"}, "the column kf_"),
    ({"features.shared_purpose.colour": "blue"}, "unknown key"),
    ({"graph.decay": 1.5}, "decay"),
])
def test_a_faulty_configuration_is_refused_with_its_reason(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_key_features(write_config(tmp_path, **change))


def test_the_sql_models_read_the_configuration_as_one_row_of_parameters(tmp_path):
    config = load_key_features(write_config(tmp_path, **{"graph.decay": 0.5, "graph.decay_periods": 2,
                                                         "survey_lookback.month": 3}))
    row = parameters_frame(config).iloc[0]
    assert (row["graph_decay"], row["graph_decay_periods"], row["survey_lookback_months"]) == (0.5, 2, 3)
    assert parameters_frame(CONFIG).iloc[0]["graph_decay_periods"] == 0  # decay off: no earlier ties
