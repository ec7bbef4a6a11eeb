-- One row per network x grain (month, quarter) x period_start: the core engagement
-- counts, the six key-feature scores (0-100, NULL = no evidence) and the development stage
-- of the current stage rules, with the reason for it in plain words.
-- Definitions: docs/methodology.md.
-- build columns: methodology_version, key_features_version, build_id
with counts as (
    select * from staging.int_network_periods_counted
),

features as (
    select * from staging.int_network_periods_classifiable
),

stages as (
    select * from staging.int_network_period_stages where is_current_rules
)

select
    counts.network_id,
    counts.grain,
    counts.period_start,
    counts.active_members,
    counts.new_members,
    counts.retained_members,
    counts.meetings_held,
    counts.attendances,
    counts.forum_posts,
    counts.forum_replies,
    counts.survey_responses,
    counts.guest_attendances,
    counts.unmatched_identities,
    -- the key-feature scores, in the order config/key_features.yaml declares them
    columns(lambda c: c like 'kf\_%' escape '\'),
    stages.stage,
    stages.stage_reason,
    stages.evidence_stage,
    stages.stage_rules_version,
from counts
inner join features using (network_id, grain, period_start)
inner join stages using (network_id, grain, period_start)
order by counts.network_id, counts.grain, counts.period_start
