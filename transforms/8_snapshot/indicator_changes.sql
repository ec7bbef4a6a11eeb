-- Each indicator of each network and period beside its value in the previous period and in
-- the same period a year earlier, with the changes: the longitudinal questions ("fell two
-- quarters running", "up on last year") without self-joins in every query.
-- A period the network had no row for gives NULL, never 0.
select
    now.network_id,
    now.grain,
    now.period_start,
    now.indicator,
    now.family,
    now.value,
    previous.value as previous_value,
    now.value - previous.value as change_on_previous,
    year_ago.value as year_ago_value,
    now.value - year_ago.value as change_on_year_ago,
    now.build_id
from indicators.network_indicators as now
left join indicators.network_indicators as previous
    on previous.network_id = now.network_id and previous.grain = now.grain
    and previous.indicator = now.indicator
    and previous.period_start = shift_period(now.period_start, now.grain, -1)
left join indicators.network_indicators as year_ago
    on year_ago.network_id = now.network_id and year_ago.grain = now.grain
    and year_ago.indicator = now.indicator
    and year_ago.period_start = (now.period_start - interval 1 year)::date
