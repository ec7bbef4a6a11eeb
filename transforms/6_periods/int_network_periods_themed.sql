-- One row per network x grain x period with meetings held, for networks with priority
-- themes configured: the share of meetings whose title mentions one of them (a trace of
-- "compelling purpose": activity on the big issues the network exists for). A theme matches
-- as whole words, in any case: "falls" matches "Falls prevention", not "pitfalls".
with networks as (
    select network_id, quarter_start_month, priority_themes from meta.networks
    where len(coalesce(priority_themes, [])) > 0
),

meetings as (
    select meetings.network_id, meetings.local_date, networks.quarter_start_month,
        len(list_filter(networks.priority_themes, lambda theme: regexp_matches(
            lower(meetings.meeting_title),
            '\b' || regexp_replace(lower(theme), '([.^$*+?()\[\]{}|\\])', '\\\1', 'g') || '\b'
        ))) > 0 as on_priority_theme,
    from core.meetings as meetings
    inner join networks using (network_id)
    where meetings.attendances > 0
),

in_periods as (
    select network_id, on_priority_theme, unnest(periods_of(local_date, quarter_start_month), recursive := true),
    from meetings
)

select
    network_id, grain, period_start,
    count(*) filter (where on_priority_theme) as meetings_on_priority_themes,
    avg(on_priority_theme::int) as share_meetings_on_priority_themes,
from in_periods
group by all
