-- One row per member per meeting attended (attended or walk-in), join segments merged.
-- Minutes attended are the union of the member's segments, so rejoins and second
-- devices are not double counted (gaps-and-islands over sorted segments).
with segments as (
    select
        segments.*,
        people.member_key,
        people.matched_by = 'unmatched' as is_unmatched,
    from staging.stg_attendance__segments as segments
    inner join staging.int_people_resolved as people using (network_id, person)
    where segments.status in ('attended', 'walk-in')
),

ordered as (
    select
        *,
        max(left_at_utc) over (
            partition by network_id, meeting_id, member_key
            order by joined_at_utc, left_at_utc
            rows between unbounded preceding and 1 preceding
        ) as previous_reach,
    from segments
),

islands as (
    select
        *,
        sum(case when previous_reach is null or joined_at_utc > previous_reach then 1 else 0 end) over (
            partition by network_id, meeting_id, member_key
            order by joined_at_utc, left_at_utc
            rows unbounded preceding
        ) as island,
    from ordered
),

island_spans as (
    select
        network_id, meeting_id, member_key, island,
        min(joined_at_utc) as span_start,
        max(left_at_utc) as span_end,
    from islands
    group by all
),

minutes as (
    select
        network_id, meeting_id, member_key,
        sum(date_diff('second', span_start, span_end)) / 60.0 as minutes_attended,
    from island_spans
    group by all
),

merged as (
    select
        network_id,
        meeting_id,
        member_key,
        min(meeting_start_utc) as meeting_start_utc,
        case when bool_or(status = 'walk-in') then 'walk-in' else 'attended' end as status,
        case
            when bool_or(role = 'host') then 'host'
            when bool_or(role = 'cohost') then 'cohost'
            else 'attendee'
        end as role,
        count(*) as segments,
        bool_or(is_guest) as is_guest,
        bool_or(is_unmatched) as is_unmatched,
        min(joined_at_utc) as first_joined_utc,
        max(left_at_utc) as last_left_utc,
    from segments
    group by all
)

select
    merged.*,
    round(minutes.minutes_attended, 1) as minutes_attended,
from merged
left join minutes using (network_id, meeting_id, member_key)
