-- One row per undirected tie (pair of members with any interaction, as member codes: see
-- int_member_codes) per network x grain x period: the graph the structure measures are computed
-- on. Weights keep the kinds apart (co-attendance, forum replies and reactions; see
-- int_interactions_coded): a quarter's are the sums of its months'. With a graph decay
-- configured (config/key_features.yaml), a tie of an earlier period also counts in the next
-- graph_decay_periods periods, its weight multiplied by graph_decay for each period of age.
with parameters as (
    select * from staging.int_methodology_parameters
),

networks as (
    select network_id, quarter_start_month from meta.networks
),

monthly as (
    select
        network_id,
        date_trunc('month', local_date)::date as period_start,
        least(member_a, member_b) as member_a,
        greatest(member_a, member_b) as member_b,
        kind,
        sum(weight) as weight,
    from staging.int_interactions_coded
    group by all
),

interactions as (
    select network_id, 'month' as grain, period_start, member_a, member_b, kind, weight, from monthly
    union all
    select
        monthly.network_id, 'quarter' as grain, quarter_start(monthly.period_start, networks.quarter_start_month),
        monthly.member_a, monthly.member_b, monthly.kind, sum(monthly.weight),
    from monthly
    inner join networks using (network_id)
    group by all
),

spine_end as (
    select network_id, grain, max(period_start) as last_period from staging.int_network_periods_spined group by all
),

expanded as (
    select interactions.*, parameters.graph_decay, unnest(range(0, parameters.graph_decay_periods + 1)) as age,
    from interactions
    cross join parameters
),

aged as (
    select
        network_id,
        grain,
        shift_period(period_start, grain, age) as period_start,
        member_a,
        member_b,
        kind,
        weight * power(graph_decay, age) as weight,
        age,
    from expanded
)

select
    aged.network_id, aged.grain, aged.period_start, aged.member_a, aged.member_b,
    sum(aged.weight) as weight,
    sum(aged.weight) filter (where aged.kind = 'co_attendance') as co_attendance_weight,
    sum(aged.weight) filter (where aged.kind in ('reply', 'reaction')) as forum_weight,
    min(aged.age) = 0 as in_period,
from aged
inner join spine_end using (network_id, grain)
where aged.period_start <= spine_end.last_period
group by all
