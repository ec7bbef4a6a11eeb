-- One row per member per network with a small integer standing for the member key in the graph
-- models (interactions in periods, ties), where joining and grouping pairs of 64-character keys
-- would cost most of the build. Codes follow member-key order within the network, so "first in
-- key order" is the same on codes, and a network's codes depend on its own members only.
select
    network_id,
    member_key,
    (row_number() over (partition by network_id order by member_key))::integer as member_code,
from core.members
