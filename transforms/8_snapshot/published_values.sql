-- Every value each build published for a network, period and indicator, in build order, with
-- what the build before it had published: how late data, corrections and new rules versions
-- moved a figure after it was first reported.
select
    history.network_id,
    history.grain,
    history.period_start,
    history.indicator,
    history.value,
    history.build_id,
    builds.finished_at as published_at,
    lag(history.value) over publications as previously_published,
    lag(history.build_id) over publications as previous_build_id,
    row_number() over publications = 1 as first_publication
from indicators.network_indicators_history as history
join meta.builds as builds using (build_id)
window publications as (
    partition by history.network_id, history.grain, history.period_start, history.indicator
    order by builds.finished_at, history.build_id
)
