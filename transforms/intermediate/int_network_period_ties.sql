-- One row per undirected tie (pair of members with any interaction) per network x grain x
-- period: the graph the structure measures are computed on.
with networks as (
    select network_id, quarter_start_month from meta.networks
),

edges as (
    select interactions.*, 'month' as grain, date_trunc('month', local_date)::date as period_start,
    from core.interactions as interactions
    union all
    select interactions.*, 'quarter' as grain, quarter_start(local_date, networks.quarter_start_month) as period_start,
    from core.interactions as interactions
    inner join networks using (network_id)
)

select distinct
    network_id, grain, period_start,
    least(member_a, member_b) as member_a,
    greatest(member_a, member_b) as member_b,
from edges
