"""One row per network x grain x period x key feature, and one per component of each: the 0-100
scores of config/key_features.yaml from staging.int_network_period_signals (netpulse.measures.key_features).
"""

from __future__ import annotations

from netpulse.build import python_runtime as runtime
from netpulse.measures.key_features import score_features


def build(con, context) -> None:
    signals = con.execute("select * from staging.int_network_period_signals").df()
    runtime.materialise(con, "staging.int_network_period_scores", score_features(signals, context.features), {
        **runtime.KEY_TYPES, "key_feature": "varchar", "feature_column": "varchar", "component": "varchar",
        "evidence_kind": "varchar", "raw_value": "double", "score": "double", "weight": "double",
        "coverage": "double", "is_feature": "boolean"})
