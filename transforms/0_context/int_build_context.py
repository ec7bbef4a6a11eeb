"""One row: the build itself (ids, when, the methodology and definition versions, the date bounds).

Every indicator model appends its build columns from here.
"""

from __future__ import annotations

import pandas as pd

from netpulse import METHODOLOGY_VERSION
from netpulse.build.python_runtime import materialise

TYPES = {
    "build_id": "varchar", "run_id": "varchar", "methodology_version": "varchar",
    "stage_rules_version": "varchar", "key_features_version": "varchar", "warning_signs_version": "varchar",
    "built_at": "timestamp", "earliest_date": "date", "future_margin_days": "integer",
}


def build(con, context) -> None:
    materialise(con, "staging.int_build_context", pd.DataFrame([{
        "build_id": context.build_id, "run_id": context.run_id, "methodology_version": METHODOLOGY_VERSION,
        "stage_rules_version": context.current.version, "key_features_version": context.features.version,
        "warning_signs_version": context.signs.version, "built_at": context.built_at,
        "earliest_date": context.earliest_date, "future_margin_days": context.limits.future_margin_days,
    }]), TYPES)
