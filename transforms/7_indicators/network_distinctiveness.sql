-- One row per network x grain x period of the spine: the distinctiveness and success
-- measures of docs/framework.md (diversity, distribution of power, reciprocity, fluctuation of
-- engagement, adaptability, knowledge function) and the benefits claimed for networks that
-- map to graph measures (growth, small-world reach, resilience). Definitions:
-- docs/methodology.md.
with signals as (
    select * from staging.int_network_period_signals
)

select
    signals.network_id,
    signals.grain,
    signals.period_start,
    signals.diversity_blau,
    signals.diversity_organisation,
    signals.diversity_sector,
    signals.diversity_profession,
    signals.diversity_patient_or_carer,
    signals.roster_coverage,
    signals.largest_organisation_share_of_activity,
    signals.activity_gini,
    signals.absence_factor_share,
    signals.reciprocity,
    signals.engagement_fluctuation,
    signals.adaptability,
    signals.share_topics_answered as knowledge_function,
    signals.growth_rate,
    signals.share_topics_reaching_diffusion,
    signals.median_hours_to_diffusion,
    signals.small_world_sigma,
    signals.resilience,
from signals
order by signals.network_id, signals.grain, signals.period_start
