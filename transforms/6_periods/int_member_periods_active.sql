-- One row per member per network x grain x period in which they were active, with what
-- they did, their participation tier and how they relate to the previous period.
-- Tiers (docs/framework.md): a member is core while the activity of the members with more engagement
-- events in the period than them is under 80% of the period's total, regular under 95%, casual
-- after that (members with equal activity share a tier). The absence factor takes members
-- most active first (equal activity in member-key order) until they hold half the activity.
-- A survey resubmission replaces the earlier response: one event per member per instrument.
with events as (
    select * from staging.int_engagement_events_in_periods
),

activity as (
    select
        network_id, grain, period_start, member_key,
        count(*) filter (where event_type <> 'survey') + count(distinct event_id) filter (where event_type = 'survey')
            as events,
        count(*) filter (where event_type = 'attendance') as attendances,
        count(*) filter (where event_type = 'attendance' and role in ('host', 'cohost')) as meetings_hosted,
        count(*) filter (where event_type = 'topic') as topics,
        count(*) filter (where event_type = 'reply') as replies,
        count(*) filter (where event_type = 'reaction') as reactions,
        count(distinct event_id) filter (where event_type = 'survey') as surveys,
        bool_or(is_unmatched) as is_unmatched,
    from events
    group by all
),

ranked as (
    select
        *,
        coalesce(sum(events) over (
            partition by network_id, grain, period_start
            order by events desc, member_key
            rows between unbounded preceding and 1 preceding
        ), 0) as activity_before,
        coalesce(sum(events) over (
            partition by network_id, grain, period_start
            order by events desc
            range between unbounded preceding and 1 preceding
        ), 0) as activity_of_more_active,
        sum(events) over (partition by network_id, grain, period_start) as activity_total,
        min(period_start) over (partition by network_id, grain, member_key) as first_period,
    from activity
),

with_neighbours as (
    -- The same member in the previous and the next period of the grain.
    select
        ranked.*,
        previous.member_key is not null as was_active_previous,
        coalesce(previous.meetings_hosted > 0, false) as hosted_previous,
        following.member_key is not null as is_active_next,
    from ranked
    left join activity as previous
        on previous.network_id = ranked.network_id
        and previous.grain = ranked.grain
        and previous.member_key = ranked.member_key
        and previous.period_start = shift_period(ranked.period_start, ranked.grain, -1)
    left join activity as following
        on following.network_id = ranked.network_id
        and following.grain = ranked.grain
        and following.member_key = ranked.member_key
        and following.period_start = shift_period(ranked.period_start, ranked.grain, 1)
)

select
    network_id,
    grain,
    period_start,
    member_key,
    events,
    attendances,
    meetings_hosted,
    topics,
    replies,
    reactions,
    surveys,
    is_unmatched,
    case
        when activity_of_more_active < 0.80 * activity_total then 'core'
        when activity_of_more_active < 0.95 * activity_total then 'regular'
        else 'casual'
    end as tier,
    activity_before < 0.5 * activity_total as in_absence_factor,
    first_period = period_start as is_new,
    was_active_previous,
    hosted_previous,
    is_active_next,
from with_neighbours
