-- One row per network x grain x period of the spine: every signal plus the six key-feature
-- scores, as the stage classifier and the warning signs read them, and the number of network
-- functions the period's activity served (stage-rules-3: "form and functions").
with signals as (
    select * from staging.int_network_period_signals
),

scores as (
    select * from staging.int_network_period_scores where is_feature
),

features as (
    -- One column per key feature, in the order config/key_features.yaml declares them (the
    -- build creates the key_feature_column type from it).
    pivot (
        select network_id, grain, period_start, feature_column::key_feature_column as feature_column, score,
        from scores
    )
    on feature_column in key_feature_column
    using max(score)
    group by network_id, grain, period_start
),

functions as (
    -- Functions with at least one event in the period (investing/providing has no evidence
    -- yet and is never counted). Without a forum export only convening can be seen, so the
    -- count is unknown (NULL) there, not 1.
    select network_id, grain, period_start, count(*) filter (where events > 0) as functions_served,
    from staging.int_network_period_functions
    group by all
),

forum_sources as (
    select distinct network_id, true as has_forum, from meta.deliveries where source = 'forum' and status = 'loaded'
)

select signals.*, features.* exclude (network_id, grain, period_start),
    case when forum_sources.has_forum then coalesce(functions.functions_served, 0) end as functions_served,
from signals
left join features using (network_id, grain, period_start)
left join functions using (network_id, grain, period_start)
left join forum_sources using (network_id)
