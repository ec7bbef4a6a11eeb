-- One row per forum post, reply or reaction, with the member it answers when known.
with posts as (
    select * from staging.stg_forum__posts
),

people as (
    select * from staging.int_people_resolved
),

networks as (
    select network_id, timezone from meta.networks
),

keyed as (
    select
        posts.*,
        people.member_key,
        people.matched_by = 'unmatched' as is_unmatched,
    from posts
    inner join people using (network_id, person)
)

select
    keyed.network_id,
    keyed.post_id,
    keyed.topic_id,
    keyed.reply_to_post_id,
    keyed.kind,
    keyed.member_key,
    keyed.is_unmatched,
    keyed.source_system,
    answered.member_key as replied_to_member_key,
    keyed.created_at_utc,
    local_date(keyed.created_at_utc, networks.timezone) as local_date,
from keyed
inner join networks using (network_id)
left join keyed as answered
    on keyed.network_id = answered.network_id
    and keyed.reply_to_post_id = answered.post_id
