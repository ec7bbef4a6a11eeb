-- One row per network x grain x period x network function (Health Foundation 2011): where
-- the period's activity goes. Each engagement event counts towards one function:
--   convening            attending a meeting (hosts included);
--   filtering            opening a forum thread (choosing what the network attends to);
--   facilitating         replying to another member;
--   amplifying           reacting to another member's post;
--   community building   replying or reacting to a member in their first active period;
--   investing/providing  no source carries this evidence yet: NULL, never 0.
-- share = the function's events / the period's events counted towards any function.
select functions.*,
from staging.int_network_period_functions as functions
order by functions.network_id, functions.grain, functions.period_start, functions.network_function
