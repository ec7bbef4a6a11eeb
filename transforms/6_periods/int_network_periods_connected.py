"""One row per network x grain x period with an interaction graph: the graph measures that need
paths and components (netpulse.measures.graph), computed per network, on worker processes when large.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netpulse.build import python_runtime as runtime

# Ties as integers: one number per graph (network x grain x period, in key order) and the member
# codes of staging.int_member_codes (member-key order within the network), which the graph code
# sorts and indexes; key order keeps every tie-break (which of two equal members is "first") the
# same as on the keys themselves.
GRAPHS = """
select network_id, grain, period_start, count(*) as ties,
from staging.int_network_period_ties
group by all
order by network_id, grain, period_start
"""
NUMBERED_TIES = """
with graphs as (
    select network_id, grain, period_start,
        (row_number() over (order by network_id, grain, period_start) - 1)::integer as graph,
    from (select distinct network_id, grain, period_start from staging.int_network_period_ties)
)

select graphs.graph, ties.member_a, ties.member_b,
from staging.int_network_period_ties as ties
inner join graphs using (network_id, grain, period_start)
order by graphs.graph
"""
PART_TIES = 2_000_000  # ties a worker is given at a time (tens of MB)
TEXT_MEASURES = {"structural_phase", "structural_phase_rule"}
COUNT_MEASURES = {"components"}


def build(con, context) -> None:
    from netpulse.measures.graph import COLUMNS as GRAPH_COLUMNS

    workers = context.workers
    graphs = con.execute(GRAPHS).df()
    parallel = int(graphs["ties"].sum()) >= runtime.PARALLEL_TIES
    parts = runtime.by_network(graphs["network_id"], graphs["ties"], workers, parallel, most=PART_TIES)
    ties = np.asarray(graphs["ties"], dtype=np.int64)
    # Read part by part as the workers take them: the ties of every network at once would be
    # gigabytes at ten million events.
    rows = workers.map(runtime.graph_part, runtime.fetch_parts(
        con, NUMBERED_TIES, [int(ties[lo:hi].sum()) for lo, hi, _ in parts], ("graph", "member_a", "member_b")),
        what="graph measures", networks=[n for _, _, n in parts], parallel=parallel)
    measures = pd.DataFrame([row for part in rows for row in part], columns=GRAPH_COLUMNS[3:])
    measures = pd.concat([graphs[["network_id", "grain", "period_start"]].reset_index(drop=True), measures], axis=1)
    types = dict(runtime.KEY_TYPES)
    for name in GRAPH_COLUMNS:
        if name not in types:
            types[name] = "varchar" if name in TEXT_MEASURES else "bigint" if name in COUNT_MEASURES else "double"
    runtime.materialise(con, "staging.int_network_periods_connected", measures, types)
