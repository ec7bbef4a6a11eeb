-- One row per network x grain x period, from the network's first period with any
-- engagement up to the period holding the latest engagement in the whole warehouse,
-- so a network that fell silent still shows its silent periods. Both ends are bounded: staging
-- leaves out rows dated before their network's earliest date or after their delivery arrived
-- (stg_deliveries__date_bounds), so no impossible date moves any network's periods.
with events as (
    select * from core.engagement_events
),

networks as (
    select * from meta.networks
),

bounds as (
    select
        events.network_id,
        networks.quarter_start_month,
        min(events.local_date) as first_date,
    from events
    inner join networks using (network_id)
    group by all
),

latest as (
    select last_date from staging.int_latest_activity
),

months as (
    select
        bounds.network_id,
        'month' as grain,
        unnest(generate_series(
            date_trunc('month', bounds.first_date),
            date_trunc('month', latest.last_date),
            interval 1 month
        ))::date as period_start,
    from bounds
    cross join latest
),

quarters as (
    select
        bounds.network_id,
        'quarter' as grain,
        unnest(generate_series(
            quarter_start(bounds.first_date, bounds.quarter_start_month),
            quarter_start(latest.last_date, bounds.quarter_start_month),
            interval 3 month
        ))::date as period_start,
    from bounds
    cross join latest
)

select * from months
union all
select * from quarters
