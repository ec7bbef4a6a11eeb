-- One row per network x grain x period with forum posts: how the forum answers its members
-- (threads answered by another member, median time to the first such reply: the knowledge
-- function and "meets member needs") and how many posts other members appreciated with a
-- reaction (a trace of helpful outputs). A thread belongs to the period its topic was opened in.
with networks as (
    select network_id, quarter_start_month from meta.networks
),

posts as (
    select * from core.forum_posts
),

topics as (
    select network_id, post_id, member_key, created_at_utc, local_date from posts where kind = 'topic'
),

first_replies as (
    select
        topics.network_id, topics.post_id, topics.local_date,
        min(replies.created_at_utc) as first_reply_utc,
        any_value(topics.created_at_utc) as opened_utc,
    from topics
    left join posts as replies
        on replies.network_id = topics.network_id
        and replies.topic_id = topics.post_id
        and replies.kind = 'reply'
        and replies.member_key <> topics.member_key
        and replies.created_at_utc >= topics.created_at_utc
    group by all
),

appreciated as (
    select
        posts.network_id, posts.post_id, posts.local_date,
        count(reactions.post_id) > 0 as was_appreciated,
    from posts
    left join posts as reactions
        on reactions.network_id = posts.network_id
        and reactions.reply_to_post_id = posts.post_id
        and reactions.kind = 'reaction'
        and reactions.member_key <> posts.member_key
    where posts.kind in ('topic', 'reply')
    group by all
),

by_grain as (
    select 'month' as grain union all select 'quarter'
),

thread_periods as (
    select
        first_replies.*,
        by_grain.grain,
        period_start_of(first_replies.local_date, by_grain.grain, networks.quarter_start_month) as period_start,
    from first_replies
    inner join networks using (network_id)
    cross join by_grain
),

post_periods as (
    select
        appreciated.*,
        by_grain.grain,
        period_start_of(appreciated.local_date, by_grain.grain, networks.quarter_start_month) as period_start,
    from appreciated
    inner join networks using (network_id)
    cross join by_grain
),

threads as (
    select
        network_id, grain, period_start,
        count(*) as topics_opened,
        count(first_reply_utc) as topics_answered,
        median(date_diff('second', opened_utc, first_reply_utc) / 3600.0) as median_hours_to_first_reply,
    from thread_periods
    group by all
),

appreciation as (
    select network_id, grain, period_start, avg(was_appreciated::int) as share_posts_appreciated,
    from post_periods
    group by all
)

select
    coalesce(threads.network_id, appreciation.network_id) as network_id,
    coalesce(threads.grain, appreciation.grain) as grain,
    coalesce(threads.period_start, appreciation.period_start) as period_start,
    coalesce(threads.topics_opened, 0) as topics_opened,
    coalesce(threads.topics_answered, 0) as topics_answered,
    threads.topics_answered / nullif(threads.topics_opened, 0)::double as share_topics_answered,
    threads.median_hours_to_first_reply,
    appreciation.share_posts_appreciated,
from threads
full outer join appreciation using (network_id, grain, period_start)
