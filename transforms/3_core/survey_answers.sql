-- One row per answered Likert item of a response.
select
    network_id,
    response_id,
    item,
    answer,
from staging.stg_survey__answers
