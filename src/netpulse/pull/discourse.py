"""Discourse: the topics with new posts since the cursor, each landed as its ``/t/{id}.json``.

- Listing: ``/latest.json?page=N`` (the whole site) or ``/c/{slug}/{id}/l/latest.json?page=N`` (a
  category), newest activity first, pinned topics on top; the walk stops at the first topic that
  is not pinned and whose activity is older than the cursor, or when ``more_topics_url`` is gone.
- Each topic whose ``last_posted_at`` is after the cursor is fetched whole with
  ``/t/{id}.json?print=true``; posts beyond what that returns are fetched with
  ``/t/{id}/posts.json?post_ids[]=…`` and added, so the landed file is one complete topic, as the
  parser requires. A late reply moves ``last_posted_at``: the whole topic is landed again and the
  build keeps the latest version of every post.
- Cursor: ``(last_posted_at, topic id)`` of the last topic landed; topics are landed oldest
  activity first, so a stopped pull resumes after the last one it landed.
- Connection: host = the forum's URL, login = the API username (``Api-Username``), password =
  the API key (``Api-Key``; a user-scoped read-only key will do).
"""

from __future__ import annotations

import json
from datetime import datetime

from netpulse.errors import PullFailed
from netpulse.pull.context import PullContext, parse_time
from netpulse.pull.credentials import Credentials
from netpulse.pull.http import ApiClient, Budget, Refused, Transient, body_json, refused, short

NAME = "Discourse"
MORE_POSTS_AT_ONCE = 50


def connect(spec, creds: Credentials, budget: Budget) -> ApiClient:
    base = spec.base_url or creds.required("host", "the forum's URL, like https://forum.example.org")
    headers = {"Api-Key": creds.required("password", "the Discourse API key"),
               "Api-Username": creds.required("login", "the API username the key belongs to"),
               "Accept": "application/json"}
    return ApiClient(NAME, base, budget=budget, timeout=spec.timeout_seconds, check=check, headers=headers,
                     min_interval=spec.min_request_interval_seconds)


def check(response, what: str, needs: str | None) -> None:
    if response.status_code < 400:
        return
    document = body_json(response)
    errors = document.get("errors") if isinstance(document, dict) else None
    message = "; ".join(map(str, errors)) if isinstance(errors, list) else ""
    if isinstance(document, dict) and document.get("error_type") == "rate_limit":
        wait = (document.get("extras") or {}).get("wait_seconds")
        raise Transient(f"{NAME} rate limit on {what}", float(wait) if isinstance(wait, int | float) else None)
    if response.status_code == 403:
        raise Refused(f"{NAME} refused {what} (403: {short(message) or 'forbidden'}): check the API key and "
                      "username in the Airflow connection, and that the user can read this category", 403)
    raise refused(NAME, response, what, needs, message)


def listing_path(stream: str) -> str:
    if stream == "latest":
        return "/latest.json"
    slug, _, category_id = stream.partition("/")
    return f"/c/{slug}/{category_id}/l/latest.json"


def pull_stream(ctx: PullContext, stream: str) -> None:
    cursor = ctx.cursor(stream)
    after = (parse_time(cursor["last_posted_at"]), int(cursor["topic_id"])) if cursor else (ctx.since(), 0)
    for topic_id, last_posted_at in topics_after(ctx.client, stream, after):
        land_topic(ctx, stream, topic_id)  # None: deleted since it was listed; nothing to land
        ctx.save(stream, {"last_posted_at": last_posted_at.isoformat(), "topic_id": topic_id})


def topics_after(client: ApiClient, stream: str, after: tuple[datetime, int]) -> list[tuple[int, datetime]]:
    """(topic id, last posted at) of the topics with activity after ``after``, oldest first."""
    found: dict[int, datetime] = {}
    page = 0
    while True:
        document = client.json("GET", listing_path(stream), params={"page": page},
                               what=f"the topic list of {stream} (page {page})")
        topic_list = document.get("topic_list") if isinstance(document, dict) else None
        topics = topic_list.get("topics") if isinstance(topic_list, dict) else None
        if not isinstance(topics, list):
            raise PullFailed(f"{NAME} answered the topic list of {stream} without topic_list.topics: is the "
                             "URL a Discourse forum?")
        older = False
        for topic in topics:
            posted = topic.get("last_posted_at") or topic.get("created_at")
            if not isinstance(topic.get("id"), int) or not posted:
                continue
            when = parse_time(posted)
            activity = parse_time(topic.get("bumped_at") or posted)
            if (when, topic["id"]) > after:
                found[topic["id"]] = when
            elif not topic.get("pinned") and max(activity, when) <= after[0]:  # the rest is older
                older = True
                break
        if older or not topics or not (topic_list or {}).get("more_topics_url"):
            break
        page += 1
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def land_topic(ctx: PullContext, stream: str, topic_id: int) -> bool | None:
    client = ctx.client
    try:
        response = client.request("GET", f"/t/{topic_id}.json", params={"print": "true"},
                                  what=f"topic {topic_id}")
    except Refused as failure:
        if failure.status == 404:
            return None
        raise
    content = response.content
    topic = body_json(response)
    stream_ids = ((topic or {}).get("post_stream") or {}).get("stream") or []
    posts = ((topic or {}).get("post_stream") or {}).get("posts") or []
    have = {post.get("id") for post in posts if isinstance(post, dict)}
    missing = [post_id for post_id in stream_ids if post_id not in have]
    if missing:
        for start in range(0, len(missing), MORE_POSTS_AT_ONCE):
            chunk = missing[start:start + MORE_POSTS_AT_ONCE]
            more = client.json("GET", f"/t/{topic_id}/posts.json", params={"post_ids[]": chunk},
                               what=f"posts of topic {topic_id}")
            posts += ((more or {}).get("post_stream") or {}).get("posts") or []
        order = {post_id: at for at, post_id in enumerate(stream_ids)}
        topic["post_stream"]["posts"] = sorted(posts, key=lambda p: order.get(p.get("id"), len(order)))
        content = json.dumps(topic, ensure_ascii=False).encode()
    return ctx.land(stream, f"topic-{topic_id}", content, ".json")
