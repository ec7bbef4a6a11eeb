-- One row per survey response (complete or not), with the number of items answered.
with responses as (
    select * from staging.stg_survey__responses
),

answers as (
    select network_id, response_id, count(*) as items_answered,
    from staging.stg_survey__answers
    group by all
),

people as (
    select * from staging.int_people_resolved
),

networks as (
    select network_id, timezone from meta.networks
)

select
    responses.network_id,
    responses.response_id,
    responses.instrument,
    people.member_key,
    people.matched_by = 'unmatched' as is_unmatched,
    responses.source_system,
    responses.submitted_at_utc,
    local_date(responses.submitted_at_utc, networks.timezone) as local_date,
    responses.finished,
    coalesce(answers.items_answered, 0) as items_answered,
from responses
inner join networks using (network_id)
inner join people using (network_id, person)
left join answers using (network_id, response_id)
