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
TEXT_MEASURES = {"structural_phase", "structural_phase_rule"}
COUNT_MEASURES = {"components"}


def build(con, context) -> None:
    from netpulse.measures.graph import COLUMNS as GRAPH_COLUMNS

    workers = context.workers
    graphs = con.execute(GRAPHS).df()
    ties = con.execute(NUMBERED_TIES).fetchnumpy()
    graph, member_a, member_b = (np.asarray(ties[c]) for c in ("graph", "member_a", "member_b"))
    edge_start = np.searchsorted(graph, np.arange(len(graphs) + 1))
    parallel = len(graph) >= runtime.PARALLEL_TIES
    parts = runtime.by_network(graphs["network_id"], graphs["ties"], workers, parallel)
    rows = workers.map(runtime.graph_part, [
        (graph[edge_start[lo]:edge_start[hi]], member_a[edge_start[lo]:edge_start[hi]],
         member_b[edge_start[lo]:edge_start[hi]]) for lo, hi, _ in parts],
        what="graph measures", networks=[n for _, _, n in parts], parallel=parallel)
    measures = pd.DataFrame([row for part in rows for row in part], columns=GRAPH_COLUMNS[3:])
    measures = pd.concat([graphs[["network_id", "grain", "period_start"]].reset_index(drop=True), measures], axis=1)
    types = dict(runtime.KEY_TYPES)
    for name in GRAPH_COLUMNS:
        if name not in types:
            types[name] = "varchar" if name in TEXT_MEASURES else "bigint" if name in COUNT_MEASURES else "double"
    runtime.materialise(con, "staging.int_network_periods_connected", measures, types)
