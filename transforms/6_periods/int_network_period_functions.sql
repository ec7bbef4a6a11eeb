-- One row per network x grain x period x network function, as indicators.network_functions
-- publishes it (the stage classifier reads it here, before the indicators).
with events as (
    select * from staging.int_engagement_events_in_periods where event_type <> 'survey'
),

responses as (
    select * from staging.int_forum_responses_in_periods
),

classified as (
    select
        events.network_id, events.grain, events.period_start,
        case
            when events.event_type = 'attendance' then 'convening'
            when events.event_type = 'topic' then 'filtering'
            -- Answering or reacting to oneself serves no one else: no function.
            when responses.is_to_self then null
            when responses.is_to_newcomer then 'community building'
            when events.event_type = 'reply' then 'facilitating'
            when events.event_type = 'reaction' then 'amplifying'
        end as network_function,
    from events
    left join responses
        on responses.network_id = events.network_id
        and responses.grain = events.grain
        and responses.post_id = events.event_id
        and events.event_type in ('reply', 'reaction')
),

functions as (
    select unnest(['convening', 'filtering', 'facilitating', 'amplifying', 'community building',
                   'investing/providing']) as network_function
),

spine as (
    select network_id, grain, period_start from staging.int_network_periods_spined
),

counted as (
    select network_id, grain, period_start, network_function, count(*) as events,
    from classified
    where network_function is not null
    group by all
)

select
    spine.network_id,
    spine.grain,
    spine.period_start,
    functions.network_function,
    case when functions.network_function = 'investing/providing' then null
         else coalesce(counted.events, 0) end as events,
    case when functions.network_function = 'investing/providing' then null
         else coalesce(counted.events, 0) / nullif(sum(counted.events) over (
             partition by spine.network_id, spine.grain, spine.period_start), 0)::double end as share,
from spine
cross join functions
left join counted using (network_id, grain, period_start, network_function)
order by spine.network_id, spine.grain, spine.period_start, functions.network_function
