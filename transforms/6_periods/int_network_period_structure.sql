-- One row per network x grain x period of the indicator spine: the interaction graph's structure,
-- as indicators.network_structure publishes it (the signals read it here, before the indicators).
with spine as (
    select network_id, grain, period_start from staging.int_network_periods_counted
),

structure as (
    select * from staging.int_network_periods_structured
),

connected as (
    select * from staging.int_network_periods_connected
)

select
    spine.network_id,
    spine.grain,
    spine.period_start,
    coalesce(structure.members_in_graph, 0) as members_in_graph,
    coalesce(structure.ties, 0) as ties,
    structure.density,
    structure.mean_degree,
    structure.mean_strength,
    structure.reciprocity,
    structure.share_two_or_more_ties,
    structure.share_ties_across_organisations,
    structure.tie_persistence,
    connected.* exclude (network_id, grain, period_start),
from spine
left join structure using (network_id, grain, period_start)
left join connected using (network_id, grain, period_start)
order by spine.network_id, spine.grain, spine.period_start
