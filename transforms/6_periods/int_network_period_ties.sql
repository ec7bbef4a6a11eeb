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
        sum(weight) as weight,
        sum(weight) filter (where kind = 'co_attendance') as co_attendance_weight,
        sum(weight) filter (where kind in ('reply', 'reaction')) as forum_weight,
    from staging.int_interactions_coded
    group by all
),

own as (
    -- Each period's own interactions.
    select network_id, 'month' as grain, period_start, member_a, member_b, weight, co_attendance_weight,
        forum_weight,
    from monthly
    union all
    select
        monthly.network_id, 'quarter' as grain, quarter_start(monthly.period_start, networks.quarter_start_month),
        monthly.member_a, monthly.member_b, sum(monthly.weight), sum(monthly.co_attendance_weight),
        sum(monthly.forum_weight),
    from monthly
    inner join networks using (network_id)
    group by all
),

spine_end as (
    select network_id, grain, max(period_start) as last_period from staging.int_network_periods_spined group by all
),

aged as (
    -- With a decay: each tie also in the graph_decay_periods periods after its own, decayed.
    select
        own.network_id,
        own.grain,
        shift_period(own.period_start, own.grain, age) as period_start,
        own.member_a,
        own.member_b,
        own.weight * power(parameters.graph_decay, age) as weight,
        own.co_attendance_weight * power(parameters.graph_decay, age) as co_attendance_weight,
        own.forum_weight * power(parameters.graph_decay, age) as forum_weight,
        age,
    from own
    cross join parameters
    cross join unnest(range(0, parameters.graph_decay_periods + 1)) as ages(age)
    where parameters.graph_decay_periods > 0
)

select own.*, true as in_period,
from own
where (select graph_decay_periods from parameters) = 0
union all
select
    aged.network_id, aged.grain, aged.period_start, aged.member_a, aged.member_b,
    sum(aged.weight) as weight,
    sum(aged.co_attendance_weight) as co_attendance_weight,
    sum(aged.forum_weight) as forum_weight,
    min(aged.age) = 0 as in_period,
from aged
inner join spine_end using (network_id, grain)
where aged.period_start <= spine_end.last_period
group by all
