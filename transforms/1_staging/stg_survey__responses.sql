-- One row per survey response; a response re-delivered keeps its latest version.
with source as (
    -- Without rows whose dates cannot be true (loaded before loads checked dates).
    select survey_responses.*
    from raw.survey_responses
    left join staging.stg_deliveries__date_bounds as bounds using (delivery_id)
    where is_possible(submitted_at, bounds.earliest_at, bounds.latest_at)
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by network_id, response_id
        order by delivery_id desc, line_number desc
    ) = 1
)

select
    network_id,
    response_id,
    instrument,
    submitted_at as submitted_at_utc,
    email_hash,
    identity_hash,
    coalesce(email_hash, identity_hash) as person,
    coalesce(source_system, 'generic') as source_system,
    finished,
    delivery_id,
from deduplicated
