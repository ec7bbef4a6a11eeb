"""One row per network x grain x period x stage-rules version: the stage, its reasons and what the
stage up needs (netpulse.measures.stages), from staging.int_network_periods_classifiable.
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
    staged = context.workers.map(
        runtime.stages_part, [(periods.iloc[lo:hi], context.rule_sets, context.current.version) for lo, hi, _ in parts],
        what="stages", networks=[n for _, _, n in parts], parallel=parallel)
    staged = (pd.concat(staged, ignore_index=True) if staged
              else runtime.stages_part(periods, context.rule_sets, context.current.version))
    runtime.materialise(con, "staging.int_network_period_stages", staged, {
        **runtime.KEY_TYPES, "stage_rules_version": "varchar", "is_current_rules": "boolean",
        "evidence_stage": "varchar", "stage": "varchar", "stage_reason": "varchar",
        "next_stage_needs": "varchar", "next_stage_basis": "varchar", "stage_override": "varchar"})
