-- One row per network x grain x period of the spine: participation tiers, concentration of
-- activity, churn and reactivation, meeting load and leadership (docs/framework.md, "Also worth
-- having" and "adaptive, distributed leadership"). Leaders are members who hosted or
-- co-hosted a meeting or started a forum thread; hosts are those who hosted or co-hosted.
with spine as (
    select network_id, grain, period_start from staging.int_network_periods_spined
),

members as (
    select * from staging.int_member_periods_active
),

ascending as (
    select
        *,
        row_number() over (partition by network_id, grain, period_start order by events, member_key) as rank_up,
        count(*) over (partition by network_id, grain, period_start) as n,
    from members
),

concentration as (
    select
        network_id, grain, period_start,
        count(*) filter (where tier = 'core') as core_members,
        count(*) filter (where tier = 'regular') as regular_members,
        count(*) filter (where tier = 'casual') as casual_members,
        count(*) filter (where in_absence_factor) as absence_factor,
        -- Gini of events per active member (0 = everyone equally active).
        2.0 * sum(rank_up * events) / (max(n) * sum(events)) - (max(n) + 1.0) / max(n) as activity_gini,
        count(*) filter (where not is_new and not was_active_previous) as reactivated_members,
        sum(attendances) / nullif(count(*) filter (where attendances > 0), 0)::double as meeting_load_per_member,
        count(*) filter (where meetings_hosted > 0 or topics > 0) as leaders,
        count(*) filter (where meetings_hosted > 0) as hosts,
        max(meetings_hosted) / nullif(sum(meetings_hosted), 0)::double as top_host_share,
    from ascending
    group by all
),

from_previous as (
    -- What the previous period's members did next, counted in the period that follows it:
    -- churned = active then, not now; core stability = share of its core active again.
    select
        network_id, grain,
        shift_period(period_start, grain, 1) as period_start,
        count(*) filter (where not is_active_next) as churned_members,
        count(*) filter (where tier = 'core' and is_active_next)
            / nullif(count(*) filter (where tier = 'core'), 0)::double as core_stability,
        count(*) filter (where meetings_hosted > 0) as previous_hosts,
    from members
    group by all
),

hosts_kept as (
    select network_id, grain, period_start, count(*) as kept_hosts,
    from members
    where meetings_hosted > 0 and hosted_previous
    group by all
),

rotation as (
    -- Jaccard distance between the sets of hosts of consecutive periods: 0 = the same people
    -- hosted, 1 = entirely different people. Only defined when both periods had hosts.
    select
        concentration.network_id, concentration.grain, concentration.period_start,
        1 - coalesce(hosts_kept.kept_hosts, 0) / (
            concentration.hosts + from_previous.previous_hosts - coalesce(hosts_kept.kept_hosts, 0)
        )::double as host_rotation,
    from concentration
    inner join from_previous using (network_id, grain, period_start)
    left join hosts_kept using (network_id, grain, period_start)
    where concentration.hosts > 0 and from_previous.previous_hosts > 0
)

select
    spine.network_id,
    spine.grain,
    spine.period_start,
    coalesce(concentration.core_members, 0) as core_members,
    coalesce(concentration.regular_members, 0) as regular_members,
    coalesce(concentration.casual_members, 0) as casual_members,
    concentration.absence_factor,
    concentration.activity_gini,
    coalesce(from_previous.churned_members, 0) as churned_members,
    coalesce(concentration.reactivated_members, 0) as reactivated_members,
    from_previous.core_stability,
    concentration.meeting_load_per_member,
    coalesce(concentration.leaders, 0) as leaders,
    coalesce(concentration.hosts, 0) as hosts,
    concentration.top_host_share,
    rotation.host_rotation,
from spine
left join concentration using (network_id, grain, period_start)
left join from_previous using (network_id, grain, period_start)
left join rotation using (network_id, grain, period_start)
