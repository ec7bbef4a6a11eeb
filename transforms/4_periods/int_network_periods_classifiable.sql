-- One row per network x grain x period of the spine: every signal plus the six key-feature
-- scores, as the stage classifier and the warning signs read them.
with signals as (
    select * from staging.int_network_period_signals
),

scores as (
    select * from staging.int_network_period_scores where is_feature
),

features as (
    select
        network_id, grain, period_start,
        max(score) filter (where feature_column = 'kf_shared_purpose') as kf_shared_purpose,
        max(score) filter (where feature_column = 'kf_compelling_purpose') as kf_compelling_purpose,
        max(score) filter (where feature_column = 'kf_member_needs') as kf_member_needs,
        max(score) filter (where feature_column = 'kf_adaptive_leadership') as kf_adaptive_leadership,
        max(score) filter (where feature_column = 'kf_relationships') as kf_relationships,
        max(score) filter (where feature_column = 'kf_helpful_outputs') as kf_helpful_outputs,
    from scores
    group by all
)

select signals.*, features.* exclude (network_id, grain, period_start),
from signals
left join features using (network_id, grain, period_start)
