"""Discourse JSON exports as rows of the generic forum format.

Supported layouts (one ``.json`` file, as the Discourse API returns it):

- **a topic**: ``GET /t/{id}.json`` -- top-level ``id`` and ``post_stream.posts`` (each post
  with ``id``, ``post_number``, ``username``, ``name``, ``created_at``, ``reply_to_post_number``,
  ``topic_id``, ``post_type``, ``deleted_at``, ``user_id``). By default Discourse sends only
  the first 20 posts and lists every post id in ``post_stream.stream``; a topic whose stream
  names posts the file does not hold is rejected as incomplete. ``/t/{id}.json?print=true``
  returns up to 1000 posts in one response.
- **a JSON array of such topics** (several topics delivered in one file).
- **the latest posts list**: ``GET /posts.json`` -- ``{"latest_posts": [...]}``, posts of
  several topics, newest first, each carrying its own ``topic_id``.

Mapping:

- ``post_number`` 1 is the topic starter: kind ``topic``. Every other post is a ``reply`` to
  the post whose ``post_number`` equals its ``reply_to_post_number``, or to post 1 when that
  is null (Discourse's "reply to the topic").
- Identifiers are namespaced so they cannot collide with other sources of the same network:
  ``post_id`` = ``discourse:<post id>``, ``topic_id`` = ``discourse:t/<topic id>``. A reply
  whose target is not in the file (deleted, or a whisper hidden from the exporting account,
  or outside a ``/posts.json`` window) answers ``discourse:t/<topic id>/<post number>`` --
  Discourse's own address for "post N of topic T". The answered member is then unknown.
- Posts excluded (they are not a member's contribution): small actions (``post_type`` 3,
  e.g. "pinned"), whispers (4), moderator-action notices (2), system users (``system``,
  ``discobot``, or a negative ``user_id``), deleted posts (``deleted_at`` set: staff see
  them, other accounts do not, so excluding them keeps every exporter's file equal) and
  posts whose author account was removed (``username`` null: nobody to attribute them to).
  A reply to an excluded post still names that post in ``reply_to_post_id``.
- Identity: ``source_user_id`` = ``username``, ``display_name`` = ``name``; the generic
  ``name`` column is the name, else the username. The JSON carries no e-mail, so the frame
  has no ``email`` column (``vendor_frame`` adds it, missing) and the member is matched by
  ``source_user_id``.
- ``created_at`` is kept as Discourse writes it: ISO 8601 UTC with ``Z``; ``options`` (time
  zone, date order) therefore do not apply.
- ``line_number`` is the 1-based position of the post in the file, counting every post in
  file order (excluded ones too), across all topics of an array.

Known limits:

- **Likes are not loaded.** ``actions_summary`` (id 2 = like) gives only a count per post,
  not who liked it, and a reaction row must name its member. Who liked a post is only in
  ``/post_action_users.json``, which is not read.
- One Discourse site per network: post ids of two sites would collide.
- A post that appears twice (the same topic delivered twice in one array) is kept once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.common import decode_text

SYSTEM_USERNAMES = frozenset({"system", "discobot"})
REGULAR_POST = 1
POST_TYPES = "1 regular, 2 moderator action, 3 small action, 4 whisper"
# No "email": the JSON has none, and the contract lets vendor_frame add the column as missing.
TEXT_COLUMNS = ("post_id", "topic_id", "reply_to_post_id", "name", "created_at", "kind", "source_user_id",
                "display_name")
NOT_A_TOPIC = ("no post_stream.posts: expected the JSON of a Discourse topic (GET /t/{id}.json), "
               "a list of topics, or the latest posts (GET /posts.json)")


@dataclass(frozen=True)
class Post:
    """One post of the file, with what the mapping needs and where it came from."""

    line: int
    id: int
    topic_id: int
    number: int
    reply_to_number: int | None
    username: str | None
    name: str | None
    created_at: str | None
    post_type: int
    deleted: bool
    user_id: int | None

    @property
    def where(self) -> str:
        return f"post {self.line} (id {self.id})"

    @property
    def is_member_post(self) -> bool:
        """A regular, visible post by a person: the only posts that become rows."""
        if self.post_type != REGULAR_POST or self.deleted or self.username is None:
            return False
        system = self.username.lower() in SYSTEM_USERNAMES or (self.user_id is not None and self.user_id < 0)
        return not system


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic forum format from a Discourse JSON export (see the module docstring)."""
    posts = read_posts(load_json(content))
    replies_to = resolve_replies(posts)
    rows = [row(post, replies_to.get(post.id)) for post in posts if post.is_member_post]
    return to_frame(rows)


def load_json(content: bytes) -> Any:
    """The JSON document, or a rejection that says the file is not (or no longer) JSON."""
    text = decode_text(content)
    if not text.strip():
        raise DeliveryRejected("the file is empty; export the Discourse topic again")
    try:
        return json.loads(text)
    except RecursionError:
        raise DeliveryRejected("the file is not a Discourse export: its JSON is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to read
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
        raise DeliveryRejected(
            f"the file is not valid JSON{where}; it may have been cut short: export it again"
        ) from None


def read_posts(document: Any) -> list[Post]:
    """Every post of the file, in file order, each read once (a repeated post id is skipped)."""
    posts: list[Post] = []
    seen: set[int] = set()
    line = 0
    for topic, raw_posts in post_lists(document):
        read = []
        for raw in raw_posts:
            line += 1
            read.append(read_post(raw, line, topic))
        if topic is not None:
            check_complete(topic, read)
        for post in read:
            if post.id not in seen:
                seen.add(post.id)
                posts.append(post)
    return posts


def post_lists(document: Any) -> list[tuple[dict | None, list]]:
    """The post lists of the file, each with the topic holding it (None for /posts.json)."""
    if isinstance(document, dict) and "latest_posts" in document:
        posts = document["latest_posts"]
        if not isinstance(posts, list):
            raise DeliveryRejected("latest_posts is not a list of posts; export /posts.json again")
        return [(None, posts)]
    if isinstance(document, dict):
        return [(document, topic_posts(document, "the file is not a Discourse topic"))]
    if isinstance(document, list):
        return [(topic, topic_posts(topic, f"item {i} of the list is not a Discourse topic"))
                for i, topic in enumerate(document, 1)]
    raise DeliveryRejected(f"the file is not a Discourse topic: {NOT_A_TOPIC}")


def topic_posts(topic: Any, what: str) -> list:
    stream = topic.get("post_stream") if isinstance(topic, dict) else None
    posts = stream.get("posts") if isinstance(stream, dict) else None
    if not isinstance(posts, list):
        raise DeliveryRejected(f"{what}: {NOT_A_TOPIC}")
    return posts


def check_complete(topic: dict, posts: list[Post]) -> None:
    """Reject a topic that lists more posts than it holds: the rest was never fetched.

    Discourse pages a topic 20 posts at a time; loading the first page would silently
    drop every later reply and every member who only replied late.
    """
    stream = topic["post_stream"].get("stream")
    if stream is None:
        return
    if not isinstance(stream, list) or not all(type(post_id) is int for post_id in stream):
        raise DeliveryRejected("post_stream.stream is not a list of post ids; export the topic again")
    held = {post.id for post in posts}
    missing = [post_id for post_id in stream if post_id not in held]
    if missing:
        topic_id = topic.get("id", "?")
        raise DeliveryRejected(
            f"topic {topic_id} is incomplete: post_stream.stream lists {len(stream)} posts but the file holds "
            f"{len(posts)} (Discourse sends 20 per request); export it as /t/{topic_id}.json?print=true "
            "(up to 1000 posts)"
        )


def read_post(raw: Any, line: int, topic: dict | None) -> Post:
    """One post, with its values checked: a post that cannot be read rejects the file, by position."""
    if not isinstance(raw, dict):
        raise DeliveryRejected(f"post {line} is not a JSON object; export the topic again")
    post_id = whole_number(raw, "id", f"post {line}", required=True)
    where = f"post {line} (id {post_id})"
    number = whole_number(raw, "post_number", where, required=True)
    if number < 1:
        raise DeliveryRejected(f"{where}: post_number {number} is not a post number (1 or more)")
    for key in ("username", "created_at"):
        if key not in raw:
            raise DeliveryRejected(f"{where}: no {key}; this is not a post as the Discourse API writes it")
    post_type = whole_number(raw, "post_type", where)
    return Post(
        line=line, id=post_id, topic_id=post_topic(raw, topic, where), number=number,
        reply_to_number=whole_number(raw, "reply_to_post_number", where),
        username=optional_text(raw, "username", where), name=optional_text(raw, "name", where),
        created_at=optional_text(raw, "created_at", where),
        post_type=REGULAR_POST if post_type is None else post_type,
        deleted=raw.get("deleted_at") is not None, user_id=whole_number(raw, "user_id", where),
    )


def post_topic(raw: dict, topic: dict | None, where: str) -> int:
    """The post's own topic_id, else the id of the topic holding it (/posts.json needs its own)."""
    topic_id = whole_number(raw, "topic_id", where)
    if topic_id is None and topic is not None:
        topic_id = whole_number(topic, "id", "the topic")
    if topic_id is None:
        raise DeliveryRejected(f"{where}: no topic_id, so the topic it belongs to is unknown")
    return topic_id


def resolve_replies(posts: list[Post]) -> dict[int, str]:
    """For each reply, the post_id it answers: Discourse gives a post number, rows need an id."""
    by_number: dict[tuple[int, int], Post] = {}
    for post in posts:
        other = by_number.setdefault((post.topic_id, post.number), post)
        if other is not post:
            raise DeliveryRejected(
                f"{post.where}: topic {post.topic_id} has two posts numbered {post.number} "
                f"(ids {other.id} and {post.id}); export the topic again"
            )
    answers = {}
    for post in posts:
        if post.number == 1 or not post.is_member_post:
            continue
        target = post.reply_to_number or 1
        if not 1 <= target < post.number:
            raise DeliveryRejected(
                f"{post.where}: replies to post number {target} of topic {post.topic_id}, which does not exist "
                f"before it (post {post.id} is number {post.number}); the file is damaged: export the topic again"
            )
        found = by_number.get((post.topic_id, target))
        answers[post.id] = f"discourse:{found.id}" if found else f"discourse:t/{post.topic_id}/{target}"
    return answers


def row(post: Post, reply_to: str | None) -> dict:
    return {
        "line_number": post.line,
        "post_id": f"discourse:{post.id}",
        "topic_id": f"discourse:t/{post.topic_id}",
        "reply_to_post_id": reply_to,
        "name": post.name or post.username,
        "created_at": post.created_at,
        "kind": "topic" if post.number == 1 else "reply",
        "source_user_id": post.username,
        "display_name": post.name,
    }


def to_frame(rows: list[dict]) -> pd.DataFrame:
    """The contract's frame: text columns with pd.NA for missing, and an int line_number."""
    frame = pd.DataFrame(rows, columns=["line_number", *TEXT_COLUMNS])
    frame["line_number"] = frame["line_number"].astype("int64")
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("string")
    return frame


def whole_number(raw: dict, key: str, where: str, *, required: bool = False) -> int | None:
    """An integer field (ids, numbers); null or absent gives None unless required."""
    value = raw.get(key)
    if value is None:
        if required:
            raise DeliveryRejected(f"{where}: no {key}; this is not a post as the Discourse API writes it")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        detail = f" (post types: {POST_TYPES})" if key == "post_type" else ""
        raise DeliveryRejected(f"{where}: {key} {json.dumps(value)[:40]} is not a whole number{detail}")
    return value


def optional_text(raw: dict, key: str, where: str) -> str | None:
    """A text field; null, absent or blank gives None."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DeliveryRejected(f"{where}: {key} {json.dumps(value)[:40]} is not text")
    return value.strip() or None
