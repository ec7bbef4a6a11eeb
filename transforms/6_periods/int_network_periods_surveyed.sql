-- One row per network x grain x period of the spine with survey evidence: for each key
-- feature (survey_<id>), the mean score (1-5, favourable end 5) of the members who answered its items in
-- the survey window (this period and the periods before it, survey_lookback periods in all),
-- from each member's latest finished response to each instrument (a member answering two
-- instruments contributes both; a resubmission replaces the earlier response). Means from fewer than
-- min_respondents members are NULL (too few to say anything). The response rate is
-- respondents / members active in the same window.
with parameters as (
    select * from staging.int_methodology_parameters
),

spine as (
    select
        spine.network_id, spine.grain, spine.period_start,
        shift_period(spine.period_start, spine.grain,
            1 - case spine.grain when 'month' then parameters.survey_lookback_months
                                 else parameters.survey_lookback_quarters end) as window_start,
        shift_period(spine.period_start, spine.grain, 1) as window_end,
    from staging.int_network_periods_spined as spine
    cross join parameters
),

responses as (
    select network_id, response_id, instrument, member_key, submitted_at_utc, local_date,
    from core.survey_responses
    where finished
),

latest as (
    select spine.network_id, spine.grain, spine.period_start, responses.response_id, responses.instrument,
        responses.member_key,
    from spine
    inner join responses
        on responses.network_id = spine.network_id
        and responses.local_date >= spine.window_start
        and responses.local_date < spine.window_end
    qualify row_number() over (
        partition by spine.network_id, spine.grain, spine.period_start, responses.member_key, responses.instrument
        order by responses.submitted_at_utc desc, responses.response_id desc
    ) = 1
),

member_features as (
    select latest.network_id, latest.grain, latest.period_start, latest.member_key, items.key_feature,
        avg(answers.answer) as score,
    from latest
    inner join core.survey_answers as answers
        on answers.network_id = latest.network_id and answers.response_id = latest.response_id
    inner join staging.int_instrument_items as items
        on items.instrument = latest.instrument and items.item = answers.item
    group by all
),

feature_means as (
    -- Summed as exact decimals: DuckDB's threads add the member scores in any order, and a mean
    -- of exactly 3 must not come out as 2.9999999999999996 in one build and 3 in the next (the
    -- warning signs and scores compare it with thresholds).
    select network_id, grain, period_start, key_feature, avg(score::decimal(38, 18))::double as mean_score,
        count(*) as respondents,
    from member_features
    group by all
),

respondents as (
    select network_id, grain, period_start, count(distinct member_key) as survey_respondents,
    from latest
    group by all
),

active_in_window as (
    select spine.network_id, spine.grain, spine.period_start, count(distinct events.member_key) as members,
    from spine
    inner join core.engagement_events as events
        on events.network_id = spine.network_id
        and events.local_date >= spine.window_start
        and events.local_date < spine.window_end
    group by all
),

usable as (
    select feature_means.*,
    from feature_means
    cross join parameters
    where feature_means.respondents >= parameters.min_respondents
),

survey_signals as (
    -- One column survey_<key feature id> per key feature, in the order config/key_features.yaml
    -- declares them (the build creates the key_feature_survey_signal type from it).
    pivot (
        select network_id, grain, period_start,
            ('survey_' || key_feature)::key_feature_survey_signal as signal, mean_score,
        from usable
    )
    on signal in key_feature_survey_signal
    using max(mean_score)
    group by network_id, grain, period_start
)

select
    respondents.network_id,
    respondents.grain,
    respondents.period_start,
    respondents.survey_respondents,
    respondents.survey_respondents / active_in_window.members::double as survey_response_rate,
    survey_signals.* exclude (network_id, grain, period_start),
from respondents
inner join active_in_window using (network_id, grain, period_start)
left join survey_signals using (network_id, grain, period_start)
