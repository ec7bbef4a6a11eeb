-- One row per network x grain x period with forum posts: how the forum answers its members
-- (threads answered by another member, median time to the first such reply: the knowledge
-- function and "meets member needs") and how many posts other members appreciated with a
-- reaction (a trace of helpful outputs), and how fast a new topic reaches diffusion_reach other
-- members (rapid diffusion, Networks for Improvement). A thread belongs to the period its topic was opened in.
with parameters as (
    select * from staging.int_methodology_parameters
),

networks as (
    select network_id, quarter_start_month from meta.networks
),

posts as (
    select * from core.forum_posts
),

topics as (
    select network_id, post_id, member_key, created_at_utc, local_date from posts where kind = 'topic'
),

reached as (
    -- When each other member first replied or reacted in the thread; the topic has reached
    -- diffusion_reach members at the diffusion_reach-th of those moments.
    select topics.network_id, topics.post_id, posts.member_key, min(posts.created_at_utc) as first_joined_utc,
    from topics
    inner join posts
        on posts.network_id = topics.network_id
        and posts.topic_id = topics.post_id
        and posts.kind in ('reply', 'reaction')
        and posts.member_key <> topics.member_key
        and posts.created_at_utc >= topics.created_at_utc
    group by all
),

diffusion as (
    select reached.network_id, reached.post_id, max(reached.first_joined_utc) as reached_utc,
    from (
        select *, row_number() over (partition by network_id, post_id order by first_joined_utc, member_key) as nth,
        from reached
    ) as reached
    cross join parameters
    where reached.nth = parameters.diffusion_reach
    group by all
),

first_replies as (
    select
        topics.network_id, topics.post_id, topics.local_date,
        min(replies.created_at_utc) as first_reply_utc,
        any_value(topics.created_at_utc) as opened_utc,
        any_value(diffusion.reached_utc) as reached_utc,
    from topics
    left join diffusion using (network_id, post_id)
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

thread_periods as (
    select first_replies.*, unnest(periods_of(first_replies.local_date, networks.quarter_start_month), recursive := true),
    from first_replies
    inner join networks using (network_id)
),

post_periods as (
    select appreciated.*, unnest(periods_of(appreciated.local_date, networks.quarter_start_month), recursive := true),
    from appreciated
    inner join networks using (network_id)
),

threads as (
    select
        network_id, grain, period_start,
        count(*) as topics_opened,
        count(first_reply_utc) as topics_answered,
        median(date_diff('second', opened_utc, first_reply_utc) / 3600.0) as median_hours_to_first_reply,
        count(reached_utc) / count(*)::double as share_topics_reaching_diffusion,
        median(date_diff('second', opened_utc, reached_utc) / 3600.0) as median_hours_to_diffusion,
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
    threads.share_topics_reaching_diffusion,
    threads.median_hours_to_diffusion,
    appreciation.share_posts_appreciated,
from threads
full outer join appreciation using (network_id, grain, period_start)
