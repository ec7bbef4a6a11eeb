-- One row per forum post, reply or reaction; a post re-delivered keeps its latest version.
with source as (
    -- Without rows whose dates cannot be true (loaded before loads checked dates).
    select forum.*
    from raw.forum
    left join staging.stg_deliveries__date_bounds as bounds using (delivery_id)
    where is_possible(created_at, bounds.earliest_at, bounds.latest_at)
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
