-- One row per interaction between two members: attending the same meeting (undirected,
-- one row per pair with member_a < member_b) or a forum reply or reaction (directed, from
-- the author to the member answered). The edges of the interaction graph (FRAMEWORK.md,
-- "strong relationships and ties"). Co-attendance of a meeting with n attendees weighs
-- 1/(n-1) per pair, so one large webinar does not outweigh many small working meetings;
-- meetings larger than 200 attendees give no co-attendance ties (pairs grow as n squared,
-- and a plenary says little about who knows whom).
with attendances as (
    select * from core.attendances
),

meeting_sizes as (
    select network_id, meeting_id, count(*) as attendees,
    from attendances
    group by all
),

co_attendance as (
    select
        a.network_id,
        a.local_date,
        a.member_key as member_a,
        b.member_key as member_b,
        'co_attendance' as kind,
        false as directed,
        1.0 / (sizes.attendees - 1) as weight,
        a.meeting_id as event_id,
    from attendances as a
    inner join attendances as b
        on a.network_id = b.network_id
        and a.meeting_id = b.meeting_id
        and a.member_key < b.member_key
    inner join meeting_sizes as sizes
        on a.network_id = sizes.network_id
        and a.meeting_id = sizes.meeting_id
    where sizes.attendees <= 200
),

forum as (
    select
        network_id,
        local_date,
        member_key as member_a,
        replied_to_member_key as member_b,
        kind,
        true as directed,
        case kind when 'reply' then 1.0 else 0.5 end as weight,
        post_id as event_id,
    from core.forum_posts
    where kind in ('reply', 'reaction')
        and replied_to_member_key is not null
        and replied_to_member_key <> member_key
)

select * from co_attendance
union all
select * from forum
