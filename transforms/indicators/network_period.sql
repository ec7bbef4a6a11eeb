-- One row per network x grain (month, quarter) x period_start: the core engagement
-- counts and the development stage, with the reason for it in plain words.
-- Definitions: docs/methodology.md.
with counts as (
    select * from staging.int_network_periods_counted
),

stages as (
    select * from staging.int_network_periods_staged
),

builds as (
    select * from staging.int_build_context
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
    stages.stage,
    stages.stage_reason,
    stages.evidence_stage,
    stages.stage_rules_version,
    builds.methodology_version,
    builds.build_id,
from counts
inner join stages using (network_id, grain, period_start)
cross join builds
order by counts.network_id, counts.grain, counts.period_start
