-- One row per network x grain x period x stage-rules version: the stage every version of the
-- rules in config/stage_rules/ gives the period, so a new version is backfilled over all
-- history and earlier versions stay queryable beside it. is_current_rules marks the version
-- indicators.network_period reports. next_stage_needs says what the stage up still needs (each
-- condition with the period's value, ✗ not met, ✓ met; the highest stage says why it holds;
-- dormant says what would count as revival); next_stage_basis says the same with thresholds
-- only, no counts, for outputs that small numbers must not reach (funder extracts and packs).
-- stage_override says who set the stage by hand, when and why (NULL: the rules gave it).
with stages as (
    select * from staging.int_network_period_stages
)

select
    stages.network_id,
    stages.grain,
    stages.period_start,
    stages.stage_rules_version,
    stages.is_current_rules,
    stages.stage,
    stages.evidence_stage,
    stages.stage_reason,
    stages.next_stage_needs,
    stages.next_stage_basis,
    stages.stage_override,
from stages
order by stages.network_id, stages.grain, stages.stage_rules_version, stages.period_start
