-- One row per tie between members (as codes) of two different known organisations per network x grain x
-- period (own interactions of the period only), with both organisations: the bridges that
-- share_ties_across_organisations counts and connectors are recognised by.
-- Joined one side at a time (materialised): joining both organisation lookups first lets the
-- planner pair every member with every other member of the network before meeting the ties.
with organisations as (
    select members.network_id, codes.member_code, members.organisation,
    from core.members as members
    inner join staging.int_member_codes as codes using (network_id, member_key)
    where members.organisation is not null
),

one_side as materialized (
    select ties.network_id, ties.grain, ties.period_start, ties.member_a, ties.member_b,
        org_a.organisation as organisation_a,
    from staging.int_network_period_ties as ties
    inner join organisations as org_a
        on ties.network_id = org_a.network_id and ties.member_a = org_a.member_code
    where ties.in_period
)

select one_side.*, org_b.organisation as organisation_b,
from one_side
inner join organisations as org_b
    on one_side.network_id = org_b.network_id and one_side.member_b = org_b.member_code
where one_side.organisation_a <> org_b.organisation
