-- One row per network x grain x period x indicator: every indicator netpulse computes, in
-- long form, with what it is made of and the evidence behind it. Key features come with one
-- row per component (indicator '<feature column>.<signal>', score 0-100, the raw signal, its
-- weight and coverage) and one row for the feature itself; every other indicator is its
-- column of indicators.network_period, network_participation, network_distinctiveness or
-- network_structure. value NULL = no evidence. Definitions: docs/methodology.md.
-- build columns: methodology_version, key_features_version, build_id
with scores as (
    select * from staging.int_network_period_scores
),

signals as (
    select network_id, grain, period_start, trace_coverage, structure_coverage, survey_response_rate,
    from staging.int_network_period_signals
),

key_features as (
    select
        network_id, grain, period_start,
        case when is_feature then feature_column else feature_column || '.' || component end as indicator,
        case when is_feature then 'key feature' else 'key feature component' end as family,
        feature_column as key_feature,
        component,
        evidence_kind,
        score as value,
        raw_value,
        weight,
        coverage,
    from scores
),

engagement_wide as (
    select network_id, grain, period_start,
        columns(lambda c: c in ('active_members', 'new_members', 'retained_members', 'meetings_held', 'attendances',
                                'forum_posts', 'forum_replies', 'survey_responses', 'guest_attendances',
                                'unmatched_identities'))::double,
    from indicators.network_period
),

engagement as (
    from engagement_wide
    unpivot include nulls (value for indicator in (columns(* exclude (network_id, grain, period_start))))
),

participation_wide as (
    select network_id, grain, period_start,
        columns(* exclude (network_id, grain, period_start, methodology_version, build_id))::double,
    from indicators.network_participation
),

participation as (
    from participation_wide
    unpivot include nulls (value for indicator in (columns(* exclude (network_id, grain, period_start))))
),

distinctiveness_wide as (
    -- Measures published in two wide tables appear once here, under participation or structure.
    select network_id, grain, period_start,
        columns(* exclude (network_id, grain, period_start, methodology_version, build_id, activity_gini,
                           absence_factor_share, reciprocity, small_world_sigma, resilience))::double,
    from indicators.network_distinctiveness
),

distinctiveness as (
    from distinctiveness_wide
    unpivot include nulls (value for indicator in (columns(* exclude (network_id, grain, period_start))))
),

structure_wide as (
    select network_id, grain, period_start,
        columns(* exclude (network_id, grain, period_start, methodology_version, build_id,
                           structural_phase, structural_phase_rule))::double,
    from indicators.network_structure
),

structure as (
    from structure_wide
    unpivot include nulls (value for indicator in (columns(* exclude (network_id, grain, period_start))))
),

measures as (
    select *, 'engagement' as family, 'trace' as evidence_kind from engagement
    union all by name
    select *, 'participation' as family,
        case when indicator like 'survey%' then 'survey' else 'trace' end as evidence_kind,
    from participation
    union all by name
    select *, 'distinctiveness' as family,
        case when indicator in ('reciprocity', 'small_world_sigma', 'resilience') then 'structure' else 'trace' end
            as evidence_kind,
    from distinctiveness
    union all by name
    select *, 'structure' as family, 'structure' as evidence_kind from structure
),

measured as (
    select
        measures.network_id, measures.grain, measures.period_start, measures.indicator, measures.family,
        null::varchar as key_feature, null::varchar as component, measures.evidence_kind, measures.value,
        measures.value as raw_value, null::double as weight,
        case measures.evidence_kind
            when 'structure' then signals.structure_coverage
            when 'survey' then signals.survey_response_rate
            else signals.trace_coverage
        end as coverage,
    from measures
    inner join signals using (network_id, grain, period_start)
)

select
    all_rows.*,
from (select * from key_features union all by name select * from measured) as all_rows
order by all_rows.network_id, all_rows.grain, all_rows.period_start, all_rows.family, all_rows.indicator
