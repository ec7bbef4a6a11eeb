-- One row per forum post, reply or reaction; a post re-delivered keeps its latest version.
with source as (
    select * from raw.forum
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by network_id, post_id
        order by delivery_id desc, line_number desc
    ) = 1
)

select
    network_id,
    post_id,
    topic_id,
    reply_to_post_id,
    email_hash,
    identity_hash,
    coalesce(email_hash, identity_hash) as person,
    coalesce(source_system, 'generic') as source_system,
    created_at as created_at_utc,
    kind,
    delivery_id,
from deduplicated
