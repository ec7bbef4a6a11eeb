-- One row per network x grain x period with interactions: the structure measures that
-- set-based SQL can compute (docs/framework.md, "strong relationships and ties"). Ties are
-- undirected pairs of members with any interaction in the period (int_network_period_ties);
-- reciprocity uses the directed forum edges only.
with networks as (
    select network_id, quarter_start_month from meta.networks
),

edges as (
    select edges.network_id, edges.member_a, edges.member_b,
        unnest(periods_of(edges.local_date, networks.quarter_start_month), recursive := true),
    from staging.int_interactions_coded as edges
    inner join networks using (network_id)
    where edges.directed
),

ties as (
    select * from staging.int_network_period_ties
),

degrees as (
    select network_id, grain, period_start, member_code, count(*) as degree,
    from (
        select network_id, grain, period_start, member_a as member_code from ties
        union all
        select network_id, grain, period_start, member_b from ties
    )
    group by all
),

member_counts as (
    select
        network_id, grain, period_start,
        count(*) as members_in_graph,
        count(*) filter (where degree >= 2) as members_with_two_or_more_ties,
    from degrees
    group by all
),

tie_counts as (
    -- Summed as exact decimals, as the survey means are: a float sum depends on the order of
    -- DuckDB's threads, and mean_strength moved in its last bits between two builds.
    select network_id, grain, period_start, count(*) as ties, sum(weight::decimal(38, 18))::double as total_weight,
    from ties
    group by all
),

organisations as (
    select members.network_id, codes.member_code, members.organisation,
    from core.members as members
    inner join staging.int_member_codes as codes using (network_id, member_key)
    where members.organisation is not null
),

organised as materialized (
    -- One organisation lookup at a time (see int_network_period_ties_across).
    select ties.network_id, ties.grain, ties.period_start, ties.member_b, org_a.organisation as organisation_a,
    from ties
    inner join organisations as org_a
        on ties.network_id = org_a.network_id and ties.member_a = org_a.member_code
),

cross_organisation as (
    select
        organised.network_id, organised.grain, organised.period_start,
        count(*) as ties_with_organisations,
        count(*) filter (where organised.organisation_a <> org_b.organisation) as ties_across_organisations,
    from organised
    inner join organisations as org_b
        on organised.network_id = org_b.network_id and organised.member_b = org_b.member_code
    group by all
),

directed_pairs as (
    select distinct network_id, grain, period_start, member_a as from_member, member_b as to_member,
    from edges
),

own_ties as (
    select network_id, grain, period_start, member_a, member_b from ties where in_period
),

persistence as (
    -- Ties of the period's own interactions that were also ties of the previous period's own
    -- interactions: repeated contact, the trace of a strong tie. NULL when the previous period
    -- had no ties (nothing to persist from).
    select
        current.network_id, current.grain, current.period_start,
        count(previous.member_a) / count(*)::double as tie_persistence,
    from own_ties as current
    left join own_ties as previous
        on previous.network_id = current.network_id
        and previous.grain = current.grain
        and previous.member_a = current.member_a
        and previous.member_b = current.member_b
        and previous.period_start = shift_period(current.period_start, current.grain, -1)
    inner join (select distinct network_id, grain, period_start from own_ties) as earlier
        on earlier.network_id = current.network_id
        and earlier.grain = current.grain
        and earlier.period_start = shift_period(current.period_start, current.grain, -1)
    group by all
),

reciprocity as (
    select
        pairs.network_id, pairs.grain, pairs.period_start,
        count(*) as directed_pairs,
        count(back.from_member) as reciprocated_pairs,
    from directed_pairs as pairs
    left join directed_pairs as back
        on pairs.network_id = back.network_id
        and pairs.grain = back.grain
        and pairs.period_start = back.period_start
        and pairs.from_member = back.to_member
        and pairs.to_member = back.from_member
    group by all
)

select
    member_counts.network_id,
    member_counts.grain,
    member_counts.period_start,
    member_counts.members_in_graph,
    tie_counts.ties,
    tie_counts.ties / (member_counts.members_in_graph * (member_counts.members_in_graph - 1) / 2.0) as density,
    2.0 * tie_counts.ties / member_counts.members_in_graph as mean_degree,
    -- Weighted degree: co-attendance adds 1 per meeting attended (n-1 pairs of 1/(n-1)), a
    -- reply 1 and a reaction 1/2 to each side; ties carried from earlier periods by a graph
    -- decay add their decayed weight. The one structure measure that reads weights.
    2.0 * tie_counts.total_weight / member_counts.members_in_graph as mean_strength,
    reciprocity.reciprocated_pairs / reciprocity.directed_pairs::double as reciprocity,
    member_counts.members_with_two_or_more_ties / member_counts.members_in_graph::double
        as share_two_or_more_ties,
    cross_organisation.ties_across_organisations / cross_organisation.ties_with_organisations::double
        as share_ties_across_organisations,
    persistence.tie_persistence,
from member_counts
inner join tie_counts using (network_id, grain, period_start)
left join reciprocity using (network_id, grain, period_start)
left join cross_organisation using (network_id, grain, period_start)
left join persistence using (network_id, grain, period_start)
