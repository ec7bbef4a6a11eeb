"""A Discourse site's API as documented (https://docs.discourse.org), over loopback HTTP.

Routes (GET only; every request needs the ``Api-Key`` and ``Api-Username`` headers):

- ``/latest.json?page=N`` and ``/c/{slug}/{category_id}/l/latest.json?page=N`` (``/c/{category_id}/l/latest.json``
  too): ``{"users", "topic_list": {"per_page", "more_topics_url"?, "topics"}}``, pages from 0, pinned topics
  first, then by ``bumped_at`` newest first. ``more_topics_url`` is only there when another page follows.
- ``/t/{id}.json`` (and ``/t/{slug}/{id}.json``): the topic with its first 20 posts in ``post_stream.posts``
  and every post id in ``post_stream.stream``; ``?print=true`` gives up to ``print_chunk`` posts.
- ``/t/{id}/posts.json?post_ids[]=a&post_ids[]=b``: those posts, ``{"post_stream": {"posts"}, "id"}``.

State is plain Python: ``users`` (username -> user dict), ``categories`` (id -> category dict), ``topics``
(id -> topic dict, each with its ``posts`` list of post dicts). The API user is treated as staff: whispers,
small actions and moderator actions are all visible. Rendering rules (the documented fields, derived):

- ``posts_count`` counts the topic's posts that are not whispers and not deleted; ``highest_post_number`` is
  the highest post number that is not a whisper; ``reply_count`` = ``posts_count`` - 1.
- ``last_posted_at`` (and ``bumped_at``; edits are not modelled) is the time of the latest regular post
  (``post_type`` 1): small actions, moderator actions and whispers do not bump a topic.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.vendor_apis.base import LoopbackApi, Request, Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "discourse"

REGULAR, MODERATOR_ACTION, SMALL_ACTION, WHISPER = 1, 2, 3, 4
TOPIC_PAGE = 20  # posts of a topic sent without print=true (Discourse's chunk size)

INVALID_ACCESS = {
    "errors": ["You are not permitted to view the requested resource. The API username or key is invalid."],
    "error_type": "invalid_access",
}
NOT_FOUND = {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}


def rate_limit_body(seconds: int) -> dict:
    unit = "second" if seconds == 1 else "seconds"
    return {
        "errors": [f"You’ve performed this action too many times. Please wait {seconds} {unit} before trying again."],
        "error_type": "rate_limit",
        "extras": {"wait_seconds": seconds, "time_left": f"{seconds} {unit}"},
    }


class DiscourseApi(LoopbackApi):
    """A Discourse site accepting one API key for one API username."""

    def __init__(self, api_key: str, api_username: str, page_size: int = 30, print_chunk: int = 1000):
        super().__init__()
        self.api_key = api_key
        self.api_username = api_username
        self.page_size = page_size
        self.print_chunk = print_chunk
        self.users: dict[str, dict] = {}
        self.categories: dict[int, dict] = {}
        self.topics: dict[int, dict] = {}

    # --- seed -------------------------------------------------------------------------------------
    @classmethod
    def seeded(cls, api_key: str = "discourse-test-key", api_username: str = "netpulse_bot",
               **kwargs) -> DiscourseApi:
        """The site of tests/fixtures/api/discourse: 5 topics, 2 categories, 16 posts, 5 members + system."""
        api = cls(api_key, api_username, **kwargs)
        api.reseed()
        return api

    def reseed(self) -> None:
        """Back to the seed data, with an empty request log and no scripted failures (a running server too)."""
        with self.lock:
            self.users, self.categories, self.topics = {}, {}, {}
            self.requests.clear()
            self.failures.clear()
            for user in json.loads((FIXTURES / "users.json").read_text()):
                self.add_user(**user)
            for category in json.loads((FIXTURES / "categories.json").read_text()):
                self.categories[category["id"]] = category
            for topic in json.loads((FIXTURES / "topics.json").read_text()):
                posts = topic.pop("posts")
                self.topics[topic["id"]] = {**topic, "posts": []}
                for post in posts:
                    self.topics[topic["id"]]["posts"].append(self._post(topic["id"], **post))

    # --- state helpers ----------------------------------------------------------------------------
    def add_user(self, id: int, username: str, name: str | None = None, avatar_template: str | None = None,
                 trust_level: int = 1, admin: bool = False, moderator: bool = False) -> dict:
        avatar = avatar_template or f"/letter_avatar_proxy/v4/letter/{username[0]}/8dc957/{{size}}.png"
        user = {"id": id, "username": username, "name": name, "avatar_template": avatar,
                "trust_level": trust_level, "admin": admin, "moderator": moderator}
        with self.lock:
            self.users[username] = user
        return user

    def add_topic(self, title: str, username: str, created_at: str, category_id: int, *, topic_id: int | None = None,
                  cooked: str = "<p>…</p>", pinned: bool = False, closed: bool = False) -> dict:
        """A new topic with its first post (post_number 1) by ``username``; returns the topic dict."""
        with self.lock:
            if category_id not in self.categories:
                raise KeyError(f"no category {category_id}")
            topic_id = topic_id or max(self.topics, default=2000) + 1
            slug = "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split()) or "topic"
            self.topics[topic_id] = {"id": topic_id, "title": title, "slug": slug, "category_id": category_id,
                                     "pinned": pinned, "closed": closed, "archived": False, "visible": True,
                                     "views": 0, "posts": []}
            self._append(topic_id, username, created_at, REGULAR, None, cooked)
            return self.topics[topic_id]

    def add_reply(self, topic_id: int, username: str, created_at: str, reply_to_post_number: int | None = None, *,
                  post_type: int = REGULAR, cooked: str = "<p>…</p>", action_code: str | None = None) -> dict:
        """A new post at the end of the topic; returns the post dict. The topic's counts and times follow."""
        with self.lock:
            return self._append(topic_id, username, created_at, post_type, reply_to_post_number, cooked, action_code)

    def pin(self, topic_id: int, pinned: bool = True) -> None:
        with self.lock:
            self.topics[topic_id]["pinned"] = pinned

    def delete_post(self, post_id: int, deleted_at: str) -> None:
        with self.lock:
            self._find_post(post_id)["deleted_at"] = deleted_at

    def rate_limit(self, seconds: int = 2, *, times: int = 1, path_prefix: str = "/") -> None:
        """The next ``times`` requests under ``path_prefix`` answer 429 with ``Retry-After: seconds``."""
        self.fail(path_prefix, 429, rate_limit_body(seconds), {"Retry-After": str(seconds)}, times=times)

    def post_ids(self, topic_id: int) -> list[int]:
        return [post["id"] for post in self.topics[topic_id]["posts"]]

    # --- model ------------------------------------------------------------------------------------
    def _append(self, topic_id, username, created_at, post_type, reply_to, cooked, action_code=None) -> dict:
        topic = self.topics[topic_id]
        number = max((p["post_number"] for p in topic["posts"]), default=0) + 1
        if reply_to is not None and not 1 <= reply_to < number:
            raise ValueError(f"topic {topic_id} has no post number {reply_to} to reply to")
        post_id = max((p["id"] for t in self.topics.values() for p in t["posts"]), default=6000) + 1
        post = self._post(topic_id, id=post_id, username=username, created_at=created_at, post_number=number,
                          post_type=post_type, reply_to_post_number=reply_to, cooked=cooked, action_code=action_code)
        topic["posts"].append(post)
        return post

    def _post(self, topic_id: int, *, id: int, username: str, created_at: str, post_number: int,
              post_type: int = REGULAR, reply_to_post_number: int | None = None, cooked: str = "",
              action_code: str | None = None, like_count: int = 0, deleted_at: str | None = None) -> dict:
        if username not in self.users:
            raise KeyError(f"no user {username!r}: add_user first")
        return {"id": id, "username": username, "created_at": created_at, "updated_at": created_at,
                "post_number": post_number, "post_type": post_type, "reply_to_post_number": reply_to_post_number,
                "cooked": cooked, "action_code": action_code, "like_count": like_count, "deleted_at": deleted_at,
                "topic_id": topic_id}

    def _find_post(self, post_id: int) -> dict:
        for topic in self.topics.values():
            for post in topic["posts"]:
                if post["id"] == post_id:
                    return post
        raise KeyError(f"no post {post_id}")

    @staticmethod
    def _counted(topic: dict) -> list[dict]:
        return [p for p in topic["posts"] if p["post_type"] != WHISPER and p["deleted_at"] is None]

    def _summary(self, topic: dict) -> dict:
        counted = self._counted(topic)
        regular = [p for p in topic["posts"] if p["post_type"] == REGULAR and p["deleted_at"] is None]
        last = max((p["created_at"] for p in regular), default=topic["posts"][0]["created_at"])
        return {
            "posts_count": len(counted),
            "reply_count": max(len(counted) - 1, 0),
            "highest_post_number": max((p["post_number"] for p in topic["posts"] if p["post_type"] != WHISPER),
                                       default=1),
            "created_at": topic["posts"][0]["created_at"],
            "last_posted_at": last,
            "bumped_at": last,
            "like_count": sum(p["like_count"] for p in counted),
        }

    def _user_ref(self, username: str) -> dict:
        user = self.users[username]
        return {k: user[k] for k in ("id", "username", "name", "avatar_template")}

    def _render_post(self, topic: dict, post: dict) -> dict:
        user = self.users[post["username"]]
        replies = sum(1 for p in topic["posts"] if p["reply_to_post_number"] == post["post_number"])
        rendered = {
            "id": post["id"], "name": user["name"], "username": user["username"],
            "avatar_template": user["avatar_template"], "created_at": post["created_at"],
            "cooked": post["cooked"], "post_number": post["post_number"], "post_type": post["post_type"],
            "updated_at": post["updated_at"], "reply_count": replies,
            "reply_to_post_number": post["reply_to_post_number"], "quote_count": 0, "incoming_link_count": 0,
            "reads": 1, "readers_count": 0, "score": 0.0, "yours": user["username"] == self.api_username,
            "topic_id": topic["id"], "topic_slug": topic["slug"], "display_username": user["name"],
            "primary_group_name": None, "flair_name": None, "version": 1, "can_edit": False,
            "can_delete": False, "can_recover": False, "can_wiki": False, "read": True, "user_title": None,
            "bookmarked": False,
            "actions_summary": [{"id": 2, "count": post["like_count"]}] if post["like_count"] else [],
            "moderator": user["moderator"], "admin": user["admin"], "staff": user["admin"] or user["moderator"],
            "user_id": user["id"], "hidden": False, "trust_level": user["trust_level"],
            "deleted_at": post["deleted_at"], "user_deleted": False, "edit_reason": None,
            "can_view_edit_history": True, "wiki": False,
        }
        if post["action_code"]:
            rendered["action_code"] = post["action_code"]
        if post["reply_to_post_number"] is not None:
            target = next(p for p in topic["posts"] if p["post_number"] == post["reply_to_post_number"])
            rendered["reply_to_user"] = self._user_ref(target["username"])
        return rendered

    def _posters(self, topic: dict) -> list[dict]:
        counted = [p for p in self._counted(topic) if p["post_type"] == REGULAR]
        order: list[str] = []
        for post in counted:
            if post["username"] not in order:
                order.append(post["username"])
        latest = counted[-1]["username"] if counted else None
        posters = []
        for i, username in enumerate(order[:5]):
            if i == 0:
                description = "Original Poster"
            elif username == latest:
                description = "Most Recent Poster"
            else:
                description = "Frequent Poster"
            extras = "latest" if username == latest else None
            posters.append({"extras": extras, "description": description, "user_id": self.users[username]["id"],
                            "primary_group_id": None, "flair_group_id": None})
        return posters

    def _list_item(self, topic: dict) -> dict:
        summary = self._summary(topic)
        return {
            "id": topic["id"], "title": topic["title"], "fancy_title": topic["title"], "slug": topic["slug"],
            "posts_count": summary["posts_count"], "reply_count": summary["reply_count"],
            "highest_post_number": summary["highest_post_number"], "image_url": None,
            "created_at": summary["created_at"], "last_posted_at": summary["last_posted_at"], "bumped": True,
            "bumped_at": summary["bumped_at"], "archetype": "regular", "unseen": False,
            "pinned": topic["pinned"], "unpinned": None, "visible": topic["visible"], "closed": topic["closed"],
            "archived": topic["archived"], "bookmarked": None, "liked": None, "tags": [],
            "views": topic["views"], "like_count": summary["like_count"], "has_summary": False,
            "last_poster_username": self._last_poster(topic), "category_id": topic["category_id"],
            "pinned_globally": False, "featured_link": None, "posters": self._posters(topic),
        }

    def _last_poster(self, topic: dict) -> str:
        regular = [p for p in self._counted(topic) if p["post_type"] == REGULAR]
        return (regular[-1] if regular else topic["posts"][0])["username"]

    # --- HTTP -------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.headers.get("Api-Key") != self.api_key or request.headers.get("Api-Username") != self.api_username:
            return Response(403, INVALID_ACCESS)
        if request.method != "GET":
            return Response(404, NOT_FOUND)
        parts = request.path.strip("/").split("/")
        if parts == ["latest.json"]:
            return self._latest(request, None, "/latest")
        if len(parts) in (4, 5) and parts[0] == "c" and parts[-2:] == ["l", "latest.json"]:
            category = self.categories.get(int(parts[-3])) if parts[-3].isdigit() else None
            if category is None or (len(parts) == 5 and parts[1] != category["slug"]):
                return Response(404, NOT_FOUND)
            return self._latest(request, category["id"], f"/c/{category['slug']}/{category['id']}/l/latest")
        if len(parts) == 3 and parts[0] == "t" and parts[2] == "posts.json" and parts[1].isdigit():
            return self._posts(request, int(parts[1]))
        if parts[0] == "t" and len(parts) in (2, 3) and parts[-1].endswith(".json"):
            topic_id = parts[-1][: -len(".json")]
            if topic_id.isdigit():
                return self._topic(request, int(topic_id))
        return Response(404, NOT_FOUND)

    def _latest(self, request: Request, category_id: int | None, base: str) -> Response:
        page_arg = request.arg("page", "0") or "0"
        page = int(page_arg) if page_arg.isdigit() else 0
        topics = [t for t in self.topics.values() if t["visible"]
                  and (category_id is None or t["category_id"] == category_id)]
        topics.sort(key=lambda t: self._summary(t)["bumped_at"], reverse=True)
        topics.sort(key=lambda t: not t["pinned"])  # stable: pinned first, each group newest first
        chunk = topics[page * self.page_size:(page + 1) * self.page_size]
        items = [self._list_item(t) for t in chunk]
        user_ids = {p["user_id"] for item in items for p in item["posters"]}
        users = [{**self._user_ref(u["username"]), "trust_level": u["trust_level"]}
                 for u in self.users.values() if u["id"] in user_ids]
        topic_list: dict = {"can_create_topic": False}
        if (page + 1) * self.page_size < len(topics):
            topic_list["more_topics_url"] = f"{base}?page={page + 1}"
        topic_list.update({"per_page": self.page_size, "top_tags": [], "topics": items})
        return Response(200, {"users": users, "primary_groups": [], "flair_groups": [], "topic_list": topic_list})

    def _topic(self, request: Request, topic_id: int) -> Response:
        topic = self.topics.get(topic_id)
        if topic is None:
            return Response(404, NOT_FOUND)
        printing = (request.arg("print") or "").lower() == "true"
        limit = self.print_chunk if printing else TOPIC_PAGE
        posts = topic["posts"]
        summary = self._summary(topic)
        participants = []
        for username in dict.fromkeys(p["username"] for p in self._counted(topic) if p["post_type"] == REGULAR):
            user = self.users[username]
            count = sum(1 for p in self._counted(topic) if p["username"] == username and p["post_type"] == REGULAR)
            participants.append({**self._user_ref(username), "post_count": count, "primary_group_name": None,
                                 "flair_name": None, "admin": user["admin"], "moderator": user["moderator"],
                                 "trust_level": user["trust_level"]})
        body = {
            "post_stream": {"posts": [self._render_post(topic, p) for p in posts[:limit]],
                            "stream": [p["id"] for p in posts]},
            "timeline_lookup": [], "tags": [], "id": topic["id"], "title": topic["title"],
            "fancy_title": topic["title"], "posts_count": summary["posts_count"],
            "created_at": summary["created_at"], "views": topic["views"], "reply_count": summary["reply_count"],
            "like_count": summary["like_count"], "last_posted_at": summary["last_posted_at"],
            "visible": topic["visible"], "closed": topic["closed"], "archived": topic["archived"],
            "has_summary": False, "archetype": "regular", "slug": topic["slug"], "category_id": topic["category_id"],
            "word_count": None, "deleted_at": None, "user_id": self.users[posts[0]["username"]]["id"],
            "featured_link": None, "pinned_globally": False, "pinned_at": None, "pinned_until": None,
            "image_url": None, "slow_mode_seconds": 0, "draft": None, "draft_key": f"topic_{topic['id']}",
            "draft_sequence": 0, "unpinned": None, "pinned": topic["pinned"], "current_post_number": 1,
            "highest_post_number": summary["highest_post_number"], "deleted_by": None, "has_deleted": False,
            "actions_summary": [], "chunk_size": TOPIC_PAGE, "bookmarked": False, "bookmarks": [],
            "topic_timer": None, "message_bus_last_id": 0, "participant_count": len(participants),
            "show_read_indicator": False, "thumbnails": None, "slow_mode_enabled_until": None,
            "details": {
                "can_edit": False, "notification_level": 1, "participants": participants,
                "created_by": self._user_ref(posts[0]["username"]),
                "last_poster": self._user_ref(self._last_poster(topic)), "links": [],
            },
        }
        return Response(200, body)

    def _posts(self, request: Request, topic_id: int) -> Response:
        topic = self.topics.get(topic_id)
        if topic is None:
            return Response(404, NOT_FOUND)
        wanted = {int(v) for v in request.query.get("post_ids[]", []) if v.isdigit()}
        posts = [self._render_post(topic, p) for p in topic["posts"] if p["id"] in wanted]
        return Response(200, {"post_stream": {"posts": posts}, "id": topic_id})
