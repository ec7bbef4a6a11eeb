-- One row per engagement event per grain: core.engagement_events with the month and the
-- quarter (the network's quarters) each falls in.
with networks as (
    select network_id, quarter_start_month from meta.networks
),

events as (
    select * from core.engagement_events
)

select events.*, unnest(periods_of(events.local_date, networks.quarter_start_month), recursive := true),
from events
inner join networks using (network_id)
