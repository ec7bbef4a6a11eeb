-- One row per interaction per grain: core.interactions with the month and the quarter
-- (the network's quarters) each falls in.
with networks as (
    select network_id, quarter_start_month from meta.networks
),

interactions as (
    select * from core.interactions
)

select interactions.*, unnest(periods_of(interactions.local_date, networks.quarter_start_month), recursive := true),
from interactions
inner join networks using (network_id)
