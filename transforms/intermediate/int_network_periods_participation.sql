-- One row per network x grain x period of the spine: participation tiers, concentration of
-- activity, churn and reactivation, meeting load and leadership (FRAMEWORK.md, "Also worth
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

churned as (
    -- Active in the previous period, not in this one: counted in the period they missed.
    select
        previous.network_id, previous.grain,
        shift_period(previous.period_start, previous.grain, 1) as period_start,
        count(*) as churned_members,
    from members as previous
    left join members as current
        on current.network_id = previous.network_id
        and current.grain = previous.grain
        and current.member_key = previous.member_key
        and current.period_start = shift_period(previous.period_start, previous.grain, 1)
    where current.member_key is null
    group by all
),

core_kept as (
    -- Share of the previous period's core members who are active again in this one.
    select
        previous.network_id, previous.grain,
        shift_period(previous.period_start, previous.grain, 1) as period_start,
        count(current.member_key) / count(*)::double as core_stability,
    from members as previous
    left join members as current
        on current.network_id = previous.network_id
        and current.grain = previous.grain
        and current.member_key = previous.member_key
        and current.period_start = shift_period(previous.period_start, previous.grain, 1)
    where previous.tier = 'core'
    group by all
),

host_sets as (
    select network_id, grain, period_start, member_key from members where meetings_hosted > 0
),

rotation as (
    -- Jaccard distance between the sets of hosts of consecutive periods: 0 = the same people
    -- hosted, 1 = entirely different people. Only defined when both periods had hosts.
    select
        current.network_id, current.grain, current.period_start,
        1 - count(previous.member_key) / (
            any_value(current_hosts.hosts) + any_value(previous_hosts.hosts) - count(previous.member_key)
        )::double as host_rotation,
    from host_sets as current
    inner join (select network_id, grain, period_start, count(*) as hosts from host_sets group by all) as current_hosts
        using (network_id, grain, period_start)
    inner join (select network_id, grain, period_start, count(*) as hosts from host_sets group by all) as previous_hosts
        on previous_hosts.network_id = current.network_id
        and previous_hosts.grain = current.grain
        and previous_hosts.period_start = shift_period(current.period_start, current.grain, -1)
    left join host_sets as previous
        on previous.network_id = current.network_id
        and previous.grain = current.grain
        and previous.member_key = current.member_key
        and previous.period_start = previous_hosts.period_start
    group by all
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
    coalesce(churned.churned_members, 0) as churned_members,
    coalesce(concentration.reactivated_members, 0) as reactivated_members,
    core_kept.core_stability,
    concentration.meeting_load_per_member,
    coalesce(concentration.leaders, 0) as leaders,
    coalesce(concentration.hosts, 0) as hosts,
    concentration.top_host_share,
    rotation.host_rotation,
from spine
left join concentration using (network_id, grain, period_start)
left join churned using (network_id, grain, period_start)
left join core_kept using (network_id, grain, period_start)
left join rotation using (network_id, grain, period_start)
