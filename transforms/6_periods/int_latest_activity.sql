-- One row: the latest local date with any engagement in the whole warehouse, where every
-- network's spine ends (int_network_periods_spined). The one model that reads across networks
-- (an incremental build computes it over every network, not only those it rebuilds).
-- across networks: latest activity
select max(local_date) as last_date,
from core.engagement_events
