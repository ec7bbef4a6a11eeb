-- One row per engagement event per grain: core.engagement_events with the month and the
-- quarter (the network's quarters) each falls in.
with networks as (
    select network_id, quarter_start_month from meta.networks
),

events as (
    select * from core.engagement_events
)

select events.*, 'month' as grain, date_trunc('month', events.local_date)::date as period_start,
from events
union all
select
    events.*,
    'quarter' as grain,
    quarter_start(events.local_date, networks.quarter_start_month) as period_start,
from events
inner join networks using (network_id)
