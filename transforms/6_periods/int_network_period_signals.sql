-- One row per network x grain x period of the spine with every signal the key features, the
-- distinctiveness measures, the stage rules and the warning signs read: the core counts,
-- participation, diversity, conversation, priority themes, survey means and the structure of
-- the interaction graph, plus the trends that need the periods before (retention rate,
-- growth, fluctuation, recovery after dips). Definitions: docs/methodology.md.
with counts as (
    select * from staging.int_network_periods_counted
),

trends as (
    select
        network_id, grain, period_start,
        lag(active_members) over periods as previous_active_members,
        -- Fluctuation of engagement: coefficient of variation of active members over the last
        -- 12 months or 4 quarters.
        case grain
            when 'month' then stddev_pop(active_members) over last_12 / nullif(avg(active_members) over last_12, 0)
            else stddev_pop(active_members) over last_4 / nullif(avg(active_members) over last_4, 0)
        end as engagement_fluctuation,
        active_members < 0.75 * lag(active_members) over periods as is_dip,
        greatest(lead(active_members, 1) over periods, lead(active_members, 2) over periods)
            >= 0.9 * lag(active_members) over periods as recovered_from_dip,
    from counts
    window
        periods as (partition by network_id, grain order by period_start),
        last_12 as (partition by network_id, grain order by period_start rows between 11 preceding and current row),
        last_4 as (partition by network_id, grain order by period_start rows between 3 preceding and current row)
),

recovery as (
    -- Adaptability: of the dips (a fall of a quarter or more on the previous period) in the
    -- last 12 months or 8 quarters, leaving out the latest two periods (too recent to have
    -- recovered), the share that recovered to 90% of the earlier level within two periods.
    select
        network_id, grain, period_start,
        case grain when 'month' then sum(is_dip::int) over months_back else sum(is_dip::int) over quarters_back end
            as dips_in_window,
        case grain
            when 'month' then sum((is_dip and coalesce(recovered_from_dip, false))::int) over months_back
            else sum((is_dip and coalesce(recovered_from_dip, false))::int) over quarters_back
        end as dips_recovered,
    from trends
    window
        months_back as (partition by network_id, grain order by period_start rows between 11 preceding and 2 preceding),
        quarters_back as (partition by network_id, grain order by period_start rows between 7 preceding and 2 preceding)
),

structure as (
    select * from staging.int_network_period_structure
),

host_roles as (
    -- Networks whose attendance exports say who hosted: without that, hosting signals are
    -- unknown (NULL), not "nobody hosted".
    select distinct network_id, true as has_host_roles, from core.attendances where role in ('host', 'cohost')
),

forum_sources as (
    -- Networks that have delivered a forum export: without one, forum signals are not 0 but
    -- unknown (NULL).
    select distinct network_id, true as has_forum, from meta.deliveries where source = 'forum' and status = 'loaded'
)

select
    counts.*,
    participation.* exclude (network_id, grain, period_start) replace (
        case when host_roles.has_host_roles then participation.hosts end as hosts,
        case when host_roles.has_host_roles then participation.top_host_share end as top_host_share,
        case when host_roles.has_host_roles then participation.host_rotation end as host_rotation
    ),
    diversity.* exclude (network_id, grain, period_start),
    conversation.* exclude (network_id, grain, period_start) replace (
        case when forum_sources.has_forum then coalesce(conversation.topics_opened, 0) end as topics_opened,
        case when forum_sources.has_forum then coalesce(conversation.topics_answered, 0) end as topics_answered
    ),
    themed.* exclude (network_id, grain, period_start),
    surveyed.* exclude (network_id, grain, period_start),
    structure.* exclude (network_id, grain, period_start),
    counts.retained_members / nullif(trends.previous_active_members, 0)::double as retention_rate,
    (counts.active_members - trends.previous_active_members)
        / nullif(trends.previous_active_members, 0)::double as growth_rate,
    trends.engagement_fluctuation,
    recovery.dips_recovered / nullif(recovery.dips_in_window, 0)::double as adaptability,
    case when forum_sources.has_forum
        then counts.forum_posts / nullif(counts.active_members, 0)::double end as forum_posts_per_active_member,
    participation.leaders / nullif(counts.active_members, 0)::double as leadership_share,
    participation.absence_factor / nullif(counts.active_members, 0)::double as absence_factor_share,
    1 - counts.unmatched_identities / nullif(counts.active_members, 0)::double as trace_coverage,
    least(1.0, structure.members_in_graph / nullif(counts.active_members, 0)::double) as structure_coverage,
from counts
inner join trends using (network_id, grain, period_start)
inner join recovery using (network_id, grain, period_start)
left join staging.int_network_periods_participation as participation using (network_id, grain, period_start)
left join staging.int_network_periods_diversity as diversity using (network_id, grain, period_start)
left join staging.int_network_periods_conversation as conversation using (network_id, grain, period_start)
left join staging.int_network_periods_themed as themed using (network_id, grain, period_start)
left join staging.int_network_periods_surveyed as surveyed using (network_id, grain, period_start)
left join structure using (network_id, grain, period_start)
left join forum_sources using (network_id)
left join host_roles using (network_id)
