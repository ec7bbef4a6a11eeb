-- One row per interaction per grain: core.interactions with the month and the quarter
-- (the network's quarters) each falls in.
with networks as (
    select network_id, quarter_start_month from meta.networks
),

interactions as (
    select * from core.interactions
)

select interactions.*, 'month' as grain, date_trunc('month', interactions.local_date)::date as period_start,
from interactions
union all
select
    interactions.*,
    'quarter' as grain,
    quarter_start(interactions.local_date, networks.quarter_start_month) as period_start,
from interactions
inner join networks using (network_id)
