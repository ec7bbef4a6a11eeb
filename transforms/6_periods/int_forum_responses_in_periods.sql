-- One row per forum reply or reaction per grain, with the member it answers (when known) and
-- whether that is its own author or a member in their first active period of the grain (a
-- newcomer): what the functions profile and the facilitator role read.
with responses as (
    select * from staging.int_engagement_events_in_periods where event_type in ('reply', 'reaction')
),

posts as (
    select network_id, post_id, replied_to_member_key from core.forum_posts
),

members as (
    select network_id, grain, period_start, member_key, is_new from staging.int_member_periods_active
)

select
    responses.network_id,
    responses.grain,
    responses.period_start,
    responses.event_id as post_id,
    responses.event_type as kind,
    responses.member_key,
    posts.replied_to_member_key,
    posts.replied_to_member_key = responses.member_key as is_to_self,
    coalesce(target.is_new and posts.replied_to_member_key <> responses.member_key, false) as is_to_newcomer,
from responses
left join posts
    on posts.network_id = responses.network_id and posts.post_id = responses.event_id
left join members as target
    on target.network_id = responses.network_id
    and target.grain = responses.grain
    and target.period_start = responses.period_start
    and target.member_key = posts.replied_to_member_key
