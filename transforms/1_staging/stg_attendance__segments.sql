-- One row per member per join segment (or registration), latest delivery wins.
-- Re-exports of the same meeting overlap; the natural key keeps one copy of each segment.
with source as (
    -- Without rows whose dates cannot be true (loaded before loads checked dates).
    select attendance.*
    from raw.attendance
    left join staging.stg_deliveries__date_bounds as bounds using (delivery_id)
    where is_possible(meeting_start, bounds.earliest_at, bounds.latest_at)
        and is_possible(meeting_end, bounds.earliest_at, bounds.latest_at)
        and is_possible(joined_at, bounds.earliest_at, bounds.latest_at)
        and is_possible(left_at, bounds.earliest_at, bounds.latest_at)
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by network_id, meeting_id, coalesce(email_hash, identity_hash), status, joined_at
        order by delivery_id desc, line_number desc
    ) = 1
)

select
    network_id,
    meeting_id,
    meeting_title,
    meeting_start as meeting_start_utc,
    meeting_end as meeting_end_utc,
    email_hash,
    identity_hash,
    coalesce(email_hash, identity_hash) as person,
    coalesce(source_system, 'generic') as source_system,
    coalesce(is_guest, false) as is_guest,
    joined_at as joined_at_utc,
    left_at as left_at_utc,
    role,
    status,
    delivery_id,
from deduplicated
