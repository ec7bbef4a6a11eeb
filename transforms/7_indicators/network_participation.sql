-- One row per network x grain x period of the spine: how members take part. Participation
-- tiers, churn and reactivation, concentration of activity, conversation on the forum,
-- meeting load, survey response and leadership. Definitions: docs/methodology.md.
with signals as (
    select * from staging.int_network_period_signals
)

select
    signals.network_id,
    signals.grain,
    signals.period_start,
    signals.core_members,
    signals.regular_members,
    signals.casual_members,
    signals.churned_members,
    signals.reactivated_members,
    signals.retention_rate,
    signals.core_stability,
    signals.absence_factor,
    signals.absence_factor_share,
    signals.activity_gini,
    signals.meeting_load_per_member,
    signals.topics_opened,
    signals.topics_answered,
    signals.share_topics_answered,
    signals.median_hours_to_first_reply,
    signals.share_posts_appreciated,
    signals.forum_posts_per_active_member,
    signals.survey_respondents,
    signals.survey_response_rate,
    signals.leaders,
    signals.leadership_share,
    signals.hosts,
    signals.top_host_share,
    signals.host_rotation,
    signals.meetings_on_priority_themes,
    signals.share_meetings_on_priority_themes,
    signals.trace_coverage,
from signals
order by signals.network_id, signals.grain, signals.period_start
