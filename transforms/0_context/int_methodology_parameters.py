"""One row: the key-features configuration the SQL models read (survey look-back, respondents, graph decay)."""

from __future__ import annotations

from netpulse.build.python_runtime import materialise
from netpulse.measures.key_features import parameters_frame

TYPES = {
    "key_features_version": "varchar", "survey_lookback_months": "integer", "survey_lookback_quarters": "integer",
    "min_respondents": "integer", "diffusion_reach": "integer", "graph_decay": "double",
    "graph_decay_periods": "integer",
}


def build(con, context) -> None:
    materialise(con, "staging.int_methodology_parameters", parameters_frame(context.features), TYPES)
