-- One row per interaction between two members: attending the same meeting (undirected, one
-- row per pair with member_a < member_b) or a forum reply or reaction (directed, from the author
-- to the member answered). The edges of the interaction graph, as staging.int_interactions_coded
-- defines them (co-attendance weighs 1/(n-1) for a meeting of n, up to 200 attendees), with
-- the members named by their keys.
-- materialised: view
-- (co-attendance gives n(n-1)/2 rows per meeting: millions of rows of two 64-character keys
-- that cost more to write at every build than to derive when read; the build reads the codes)
with interactions as (
    select * from staging.int_interactions_coded
),

codes as (
    select network_id, member_key, member_code from staging.int_member_codes
)

select
    interactions.network_id,
    interactions.local_date,
    a.member_key as member_a,
    b.member_key as member_b,
    interactions.kind,
    interactions.directed,
    interactions.weight,
    interactions.event_id,
from interactions
inner join codes as a on a.network_id = interactions.network_id and a.member_code = interactions.member_a
inner join codes as b on b.network_id = interactions.network_id and b.member_code = interactions.member_b
