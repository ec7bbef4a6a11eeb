"""One row per network x grain x period x warning sign raised (config/warning_signs.yaml), from
staging.int_network_periods_classifiable (netpulse.measures.warning_signs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netpulse.build import python_runtime as runtime


def build(con, context) -> None:
    periods = con.execute("select * from staging.int_network_periods_classifiable "
                          "order by network_id, grain, period_start").df()
    parallel = len(periods) >= runtime.PARALLEL_PERIODS
    parts = runtime.by_network(periods["network_id"], np.ones(len(periods)), context.workers, parallel)
    warnings = context.workers.map(runtime.warnings_part, [(periods.iloc[lo:hi], context.signs) for lo, hi, _ in parts],
                                   what="warning signs", networks=[n for _, _, n in parts], parallel=parallel)
    warnings = pd.concat(warnings, ignore_index=True) if warnings else runtime.warnings_part(periods, context.signs)
    runtime.materialise(con, "staging.int_network_period_warnings", warnings, {
        **runtime.KEY_TYPES, "warning_sign": "varchar", "severity": "varchar", "value": "double",
        "threshold": "double", "evidence": "varchar", "periods_held": "integer",
        "held_since": "date", "warning_signs_version": "varchar"})
