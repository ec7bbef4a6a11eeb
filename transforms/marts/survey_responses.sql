-- One row per survey response (complete or not), with the number of items answered.
with responses as (
    select * from staging.stg_survey__responses
),

answers as (
    select network_id, response_id, count(*) as items_answered,
    from staging.stg_survey__answers
    group by all
),

aliases as (
    select * from staging.int_member_aliases
),

networks as (
    select network_id, timezone from meta.networks
)

select
    responses.network_id,
    responses.response_id,
    responses.instrument,
    coalesce(aliases.member_key, responses.email_hash) as member_key,
    responses.submitted_at_utc,
    local_date(responses.submitted_at_utc, networks.timezone) as local_date,
    responses.finished,
    coalesce(answers.items_answered, 0) as items_answered,
from responses
inner join networks using (network_id)
left join aliases using (email_hash)
left join answers using (network_id, response_id)
