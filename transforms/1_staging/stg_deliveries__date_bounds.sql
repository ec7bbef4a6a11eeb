-- One row per loaded delivery: the instants its rows may hold, from the network's earliest
-- date (its own earliest_date:, else NETPULSE_EARLIEST_DATE) to the delivery's arrival plus
-- NETPULSE_FUTURE_MARGIN_DAYS. Loads quarantine a file with any date outside them; rows loaded
-- before loads checked dates (an old warehouse) are left out by the activity staging models,
-- so one of them never stretches the periods of its network or, through the spine end
-- (int_latest_activity), of every other network. Bounded by arrival, never by the clock:
-- a rebuild gives the same rows.
select
    deliveries.delivery_id,
    deliveries.network_id,
    coalesce(networks.earliest_date, context.earliest_date)::timestamp as earliest_at,
    deliveries.received_at + to_days(context.future_margin_days) as latest_at,
from meta.deliveries as deliveries
inner join meta.networks as networks using (network_id)
cross join staging.int_build_context as context
where deliveries.status = 'loaded'
