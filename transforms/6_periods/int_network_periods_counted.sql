-- One row per network x grain x period with the core engagement counts of
-- docs/framework.md ("Engagement"). Periods without activity are rows of zeros.
with spine as (
    select * from staging.int_network_periods_spined
),

events_in_periods as (
    select * from staging.int_engagement_events_in_periods
),

member_periods as (
    select distinct network_id, grain, period_start, member_key,
    from events_in_periods
),

unmatched_counts as (
    select network_id, grain, period_start, count(distinct member_key) as unmatched_identities,
    from events_in_periods
    where is_unmatched
    group by all
),

first_periods as (
    select network_id, grain, member_key, min(period_start) as first_period,
    from member_periods
    group by all
),

member_flags as (
    select
        current.network_id,
        current.grain,
        current.period_start,
        current.member_key,
        first_periods.first_period = current.period_start as is_new,
        previous.member_key is not null as is_retained,
    from member_periods as current
    inner join first_periods using (network_id, grain, member_key)
    left join member_periods as previous
        on previous.network_id = current.network_id
        and previous.grain = current.grain
        and previous.member_key = current.member_key
        and previous.period_start = current.period_start
            - case current.grain when 'month' then interval 1 month else interval 3 month end
),

member_counts as (
    select
        network_id, grain, period_start,
        count(*) as active_members,
        count(*) filter (where is_new) as new_members,
        count(*) filter (where is_retained) as retained_members,
    from member_flags
    group by all
),

activity_counts as (
    select
        network_id, grain, period_start,
        count(distinct event_id) filter (where event_type = 'attendance') as meetings_held,
        count(*) filter (where event_type = 'attendance') as attendances,
        count(*) filter (where event_type in ('topic', 'reply')) as forum_posts,
        count(*) filter (where event_type = 'reply') as forum_replies,
        -- A resubmission replaces the earlier response: one per member per instrument per period.
        count(distinct (member_key, event_id)) filter (where event_type = 'survey') as survey_responses,
        count(*) filter (where event_type = 'attendance' and is_guest) as guest_attendances,
    from events_in_periods
    group by all
)

select
    spine.network_id,
    spine.grain,
    spine.period_start,
    coalesce(member_counts.active_members, 0) as active_members,
    coalesce(member_counts.new_members, 0) as new_members,
    coalesce(member_counts.retained_members, 0) as retained_members,
    coalesce(activity_counts.meetings_held, 0) as meetings_held,
    coalesce(activity_counts.attendances, 0) as attendances,
    coalesce(activity_counts.forum_posts, 0) as forum_posts,
    coalesce(activity_counts.forum_replies, 0) as forum_replies,
    coalesce(activity_counts.survey_responses, 0) as survey_responses,
    coalesce(activity_counts.guest_attendances, 0) as guest_attendances,
    coalesce(unmatched_counts.unmatched_identities, 0) as unmatched_identities,
from spine
left join member_counts using (network_id, grain, period_start)
left join activity_counts using (network_id, grain, period_start)
left join unmatched_counts using (network_id, grain, period_start)
order by spine.network_id, spine.grain, spine.period_start
