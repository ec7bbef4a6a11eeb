-- One row per answered item of a response, from the same delivery as the response kept.
with responses as (
    select * from staging.stg_survey__responses
),

answers as (
    select * from raw.survey_answers
)

select
    answers.network_id,
    answers.response_id,
    answers.item,
    answers.answer,
from answers
inner join responses
    on answers.network_id = responses.network_id
    and answers.response_id = responses.response_id
    and answers.delivery_id = responses.delivery_id
