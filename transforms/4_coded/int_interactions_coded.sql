-- One row per interaction between two members (as codes): attending the same meeting (undirected,
-- one row per pair with member_a < member_b) or a forum reply or reaction (directed, from
-- the author to the member answered). The edges of the interaction graph (docs/framework.md,
-- "strong relationships and ties"). Co-attendance of a meeting with n attendees weighs
-- 1/(n-1) per pair, so one large webinar does not outweigh many small working meetings;
-- meetings larger than 200 attendees give no co-attendance ties (pairs grow as n squared,
-- and a plenary says little about who knows whom). Members are codes (int_member_codes);
-- core.interactions names them by member key.
with codes as (
    select network_id, member_key, member_code from staging.int_member_codes
),

attendances as (
    select attendances.network_id, attendances.meeting_id, attendances.local_date, codes.member_code,
    from core.attendances as attendances
    inner join codes using (network_id, member_key)
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
        a.member_code as member_a,
        b.member_code as member_b,
        'co_attendance' as kind,
        false as directed,
        1.0 / (sizes.attendees - 1) as weight,
        a.meeting_id as event_id,
    from attendances as a
    inner join attendances as b
        on a.network_id = b.network_id
        and a.meeting_id = b.meeting_id
        and a.member_code < b.member_code
    inner join meeting_sizes as sizes
        on a.network_id = sizes.network_id
        and a.meeting_id = sizes.meeting_id
    where sizes.attendees <= 200
),

authored as materialized (
    -- Materialised so that each post meets the codes once per side: left to itself, the join
    -- planner may pair author codes with answered codes on network_id alone before reaching
    -- the posts (it did inside the build's transaction, whose new tables lack distinct counts),
    -- which is members squared rows per network: 25 million for a network of 5,000, 6 GiB.
    select
        posts.network_id,
        posts.local_date,
        author.member_code as member_a,
        posts.replied_to_member_key,
        posts.kind,
        posts.post_id,
    from core.forum_posts as posts
    inner join codes as author on author.network_id = posts.network_id and author.member_key = posts.member_key
    where posts.kind in ('reply', 'reaction')
        and posts.replied_to_member_key <> posts.member_key
),

forum as (
    select
        authored.network_id,
        authored.local_date,
        authored.member_a,
        answered.member_code as member_b,
        authored.kind,
        true as directed,
        case authored.kind when 'reply' then 1.0 else 0.5 end as weight,
        authored.post_id as event_id,
    from authored
    inner join codes as answered
        on answered.network_id = authored.network_id and answered.member_key = authored.replied_to_member_key
)

select * from co_attendance
union all
select * from forum
