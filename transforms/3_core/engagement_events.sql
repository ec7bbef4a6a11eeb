-- One row per engagement event: a meeting attended, a forum post, reply or reaction,
-- or a completed survey response. This is the definition of "engaged" in every count.
-- role is the attendance role (host, cohost, attendee); NULL for other events.
with attendances as (
    select
        network_id, member_key,
        'attendance' as event_type,
        meeting_id as event_id,
        meeting_start_utc as occurred_at_utc,
        local_date,
        is_guest,
        is_unmatched,
        role,
    from core.attendances
),

posts as (
    select
        network_id, member_key,
        kind as event_type,
        post_id as event_id,
        created_at_utc as occurred_at_utc,
        local_date,
        false as is_guest,
        is_unmatched,
        null::varchar as role,
    from core.forum_posts
),

surveys as (
    select
        network_id, member_key,
        'survey' as event_type,
        instrument as event_id,
        submitted_at_utc as occurred_at_utc,
        local_date,
        false as is_guest,
        is_unmatched,
        null::varchar as role,
    from core.survey_responses
    where finished
)

select * from attendances
union all
select * from posts
union all
select * from surveys
