-- One row per undirected tie (pair of members with any interaction) per network x grain x
-- period: the graph the structure measures are computed on.
select distinct
    network_id, grain, period_start,
    least(member_a, member_b) as member_a,
    greatest(member_a, member_b) as member_b,
from staging.int_interactions_in_periods
