-- One row per change of development stage of a network, per grain and stage-rules version,
-- with the reason recorded for the period in which it changed. A network's first period is
-- its first transition (from nothing).
with stages as (
    select * from indicators.network_stages
),

with_previous as (
    select
        *,
        lag(stage) over (
            partition by network_id, grain, stage_rules_version order by period_start
        ) as previous_stage,
    from stages
)

select
    network_id,
    grain,
    period_start as changed_in_period,
    previous_stage as from_stage,
    stage as to_stage,
    stage_reason as reason,
    stage_rules_version,
    is_current_rules,
from with_previous
where previous_stage is distinct from stage
order by network_id, grain, stage_rules_version, period_start
