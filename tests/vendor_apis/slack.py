"""Slack's Web API as documented (https://api.slack.com/methods), over loopback HTTP.

Methods under ``/api/<method>``, arguments as a GET query or a POST form (both read, the form winning):
``conversations.history``, ``conversations.replies``, ``conversations.info``, ``users.info``, ``users.list``.

- Auth: ``Authorization: Bearer <token>`` (or a ``token`` form field, as Slack still accepts in POST
  bodies). Missing: HTTP 200 ``{"ok": false, "error": "not_authed"}``; wrong: ``invalid_auth``.
- Scopes (constructor ``scopes=``; all granted by default): history/replies need ``channels:history``
  (``groups:history`` for a private channel), ``conversations.info`` needs ``channels:read``
  (``groups:read`` for a private channel), ``users.*`` need ``users:read``; ``profile.email`` is only
  sent when ``users:read.email`` is granted. Missing: ``{"ok": false, "error": "missing_scope", "needed",
  "provided"}``.
- Errors as Slack answers them: ``channel_not_found`` (unknown channel, or a private one the bot is not
  in), ``not_in_channel`` (a public channel the bot is not in), ``thread_not_found``, ``user_not_found``,
  ``invalid_cursor``, ``unknown_method``.
- Pagination: ``limit`` (default ``page_size``, at most 1000) and ``cursor``; a page says ``has_more`` and
  ``response_metadata.next_cursor`` (``""`` on the last page). Cursors are opaque base64 text naming where
  the next page starts, so a message posted between pages does not shift later pages.
- ``conversations.history``: top-level messages only (thread parents, standalone messages, channel events,
  ``thread_broadcast`` replies), newest first, within ``oldest``/``latest`` (both exclusive unless
  ``inclusive`` is ``true``/``1``).
- ``conversations.replies``: the thread parent first (always, as Slack does, even when ``oldest`` is
  after it), then its replies oldest first within ``oldest``/``latest``. ``ts`` may name the parent or
  any reply of the thread.

Messages have the shape of a workspace export's day files (netpulse's Slack parser reads those):
``type, user, text, ts, client_msg_id`` (person-written messages), ``team``, ``blocks``, ``subtype``?,
``edited``?, ``reactions``?; parents also ``thread_ts, reply_count, reply_users_count, latest_reply,
reply_users, is_locked, subscribed``; replies ``thread_ts, parent_user_id``.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tests.vendor_apis.base import LoopbackApi, Request, Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "slack"
TEAM = "T07NETPLS"
TEST_TOKEN = "xoxb-test-token"  # noqa: S105 -- what the loopback server accepts, not a secret
DEFAULT_SCOPES = ("channels:history", "groups:history", "channels:read", "groups:read", "users:read",
                  "users:read.email")
MAX_LIMIT = 1000
TZ_LABELS = {"Europe/London": ("Greenwich Mean Time", 0), "America/Los_Angeles": ("Pacific Standard Time", -28800),
             "America/New_York": ("Eastern Standard Time", -18000)}


def _ts(value: str) -> Decimal:
    return Decimal(value)


def _cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _uncursor(cursor: str, kind: str) -> str | None:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, value = text.partition(":")
    return value if prefix == kind and value else None


class SlackApi(LoopbackApi):
    """A Slack workspace answering one bot token with the given scopes."""

    def __init__(self, token: str, page_size: int = 100, scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
                 max_limit: int | None = None):
        super().__init__()
        self.token = token
        self.page_size = page_size
        # The most a page holds whatever ``limit`` asks: 15 for apps outside the Marketplace since 2025.
        self.max_limit = max_limit
        self.scopes = tuple(scopes)
        self.users: dict[str, dict] = {}       # user id -> user state
        self.channels: dict[str, dict] = {}    # channel id -> channel state (incl. is_member, members)
        self.messages: dict[str, list[dict]] = {}  # channel id -> messages (state), in any order

    # --- seed -------------------------------------------------------------------------------------
    @classmethod
    def seeded(cls, token: str = TEST_TOKEN, **kwargs) -> SlackApi:
        """The workspace of tests/fixtures/api/slack: 2 channels, 5 users, 20 messages (see the report)."""
        api = cls(token, **kwargs)
        api.reseed()
        return api

    def reseed(self) -> None:
        """Back to the seed data, with an empty request log and no scripted failures (a running server too)."""
        with self.lock:
            self.users, self.channels, self.messages = {}, {}, {}
            self.requests.clear()
            self.failures.clear()
            for user in json.loads((FIXTURES / "users.json").read_text()):
                self.add_user(**user)
            for channel in json.loads((FIXTURES / "channels.json").read_text()):
                self.add_channel(**channel)
            for channel, messages in json.loads((FIXTURES / "messages.json").read_text()).items():
                for message in messages:
                    self.post(channel, **message)

    # --- state helpers ----------------------------------------------------------------------------
    def add_user(self, id: str, name: str, real_name: str = "", display_name: str = "", email: str | None = None,
                 tz: str = "Europe/London", *, is_bot: bool = False, is_restricted: bool = False,
                 is_ultra_restricted: bool = False, is_admin: bool = False, is_owner: bool = False,
                 deleted: bool = False, bot_id: str | None = None, app_id: str | None = None,
                 updated: int = 1772100000) -> dict:
        user = dict(id=id, name=name, real_name=real_name, display_name=display_name, email=email, tz=tz,
                    is_bot=is_bot, is_restricted=is_restricted, is_ultra_restricted=is_ultra_restricted,
                    is_admin=is_admin, is_owner=is_owner, deleted=deleted, bot_id=bot_id, app_id=app_id,
                    updated=updated)
        with self.lock:
            self.users[id] = user
        return user

    def add_channel(self, id: str, name: str, *, created: int = 1772000000, creator: str = "",
                    is_private: bool = False, is_general: bool = False, is_member: bool = True,
                    is_archived: bool = False, members: list[str] | None = None, topic: dict | None = None,
                    purpose: dict | None = None) -> dict:
        empty = {"value": "", "creator": "", "last_set": 0}
        channel = dict(id=id, name=name, created=created, creator=creator, is_private=is_private,
                       is_general=is_general, is_member=is_member, is_archived=is_archived,
                       members=list(members or []), topic=topic or dict(empty), purpose=purpose or dict(empty))
        with self.lock:
            self.channels[id] = channel
            self.messages.setdefault(id, [])
        return channel

    def set_member(self, channel: str, is_member: bool) -> None:
        """The bot joins (True) or leaves (False) the channel."""
        with self.lock:
            self.channels[channel]["is_member"] = is_member

    def post(self, channel: str, user: str, ts: str, text: str, thread_ts: str | None = None,
             reactions: list[dict] | None = None, *, subtype: str | None = None, edited: dict | None = None,
             **extra) -> dict:
        """A message (a thread reply when ``thread_ts`` names another message's ts); returns its state.

        The parent's reply fields (reply_count, reply_users, latest_reply, ...) are derived when rendered,
        so they always agree with the replies held. ``extra`` keeps other documented fields (bot_id, files).
        """
        with self.lock:
            if channel not in self.channels:
                raise KeyError(f"no channel {channel}")
            if any(m["ts"] == ts for m in self.messages[channel]):
                raise ValueError(f"channel {channel} already has a message at ts {ts}")
            if thread_ts is not None and thread_ts != ts and self._message(channel, thread_ts) is None:
                raise ValueError(f"no thread parent {thread_ts} in {channel}")
            message = {"user": user, "ts": ts, "text": text, "thread_ts": thread_ts, "subtype": subtype,
                       "edited": edited, "reactions": [dict(r) for r in reactions or []], **extra}
            self.messages[channel].append(message)
            return message

    def edit(self, channel: str, ts: str, new_text: str, edited_ts: str, user: str | None = None) -> dict:
        with self.lock:
            message = self._message(channel, ts)
            if message is None:
                raise KeyError(f"no message {ts} in {channel}")
            message["text"] = new_text
            message["edited"] = {"user": user or message["user"], "ts": edited_ts}
            return message

    def react(self, channel: str, ts: str, name: str, user: str) -> None:
        with self.lock:
            message = self._message(channel, ts)
            if message is None:
                raise KeyError(f"no message {ts} in {channel}")
            for reaction in message["reactions"]:
                if reaction["name"] == name:
                    if user not in reaction["users"]:
                        reaction["users"].append(user)
                        reaction["count"] += 1
                    return
            message["reactions"].append({"name": name, "users": [user], "count": 1})

    def rate_limit(self, seconds: int = 30, method: str = "", *, times: int = 1) -> None:
        """The next ``times`` calls (of ``method``, or any) answer HTTP 429 with ``Retry-After: seconds``."""
        self.fail(f"/api/{method}", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(seconds)},
                  times=times)

    # --- model ------------------------------------------------------------------------------------
    def _message(self, channel: str, ts: str) -> dict | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    @staticmethod
    def _is_reply(message: dict) -> bool:
        return message["thread_ts"] is not None and message["thread_ts"] != message["ts"]

    def _replies(self, channel: str, parent_ts: str) -> list[dict]:
        replies = [m for m in self.messages[channel] if self._is_reply(m) and m["thread_ts"] == parent_ts]
        return sorted(replies, key=lambda m: _ts(m["ts"]))

    def _render(self, channel: str, message: dict, *, root: bool = True) -> dict:
        user = self.users.get(message["user"], {})
        out: dict = {"type": "message"}
        if message["subtype"]:
            out["subtype"] = message["subtype"]
        person_written = message["subtype"] in (None, "thread_broadcast") and not user.get("is_bot")
        if person_written:
            out["client_msg_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"slack:{channel}:{message['ts']}"))
        out.update({"text": message["text"], "user": message["user"], "ts": message["ts"]})
        if person_written:
            out["blocks"] = [{"type": "rich_text", "block_id": message["ts"].replace(".", "")[-6:], "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": message["text"]}]}]}]
        out.update({"team": TEAM})
        out.update({key: value for key, value in message.items()
                    if key not in ("user", "ts", "text", "thread_ts", "subtype", "edited", "reactions")})
        if message["edited"]:
            out["edited"] = dict(message["edited"])
        if self._is_reply(message):
            parent = self._message(channel, message["thread_ts"])
            out["thread_ts"] = message["thread_ts"]
            out["parent_user_id"] = parent["user"] if parent else None
            if message["subtype"] == "thread_broadcast" and parent is not None and root:
                out["root"] = self._render(channel, parent, root=False)
        else:
            replies = self._replies(channel, message["ts"])
            if replies or message["thread_ts"] == message["ts"]:
                reply_users = list(dict.fromkeys(r["user"] for r in replies))
                out.update({"thread_ts": message["ts"], "reply_count": len(replies),
                            "reply_users_count": len(reply_users),
                            "latest_reply": replies[-1]["ts"] if replies else message["ts"],
                            "reply_users": reply_users, "is_locked": False, "subscribed": False})
        if message["reactions"]:
            out["reactions"] = [{"name": r["name"], "users": list(r["users"]), "count": r["count"]}
                                for r in message["reactions"]]
        return out

    def _render_user(self, user: dict) -> dict:
        first, _, last = (user["real_name"] or "").partition(" ")
        label, offset = TZ_LABELS.get(user["tz"], (user["tz"], 0))
        profile = {"title": "", "phone": "", "skype": "", "real_name": user["real_name"],
                   "real_name_normalized": user["real_name"], "display_name": user["display_name"],
                   "display_name_normalized": user["display_name"], "fields": None, "status_text": "",
                   "status_emoji": "", "status_expiration": 0, "avatar_hash": f"g{user['id'][-6:].lower()}",
                   "first_name": first, "last_name": last,
                   "image_72": f"https://avatars.slack-edge.example/{user['id']}_72.png", "team": TEAM}
        if user["is_bot"]:
            profile.update({"bot_id": user["bot_id"], "api_app_id": user["app_id"], "always_active": True})
        if "users:read.email" in self.scopes and user["email"]:
            profile["email"] = user["email"]
        out = {"id": user["id"], "team_id": TEAM, "name": user["name"], "deleted": user["deleted"],
               "color": "9f69e7", "real_name": user["real_name"], "tz": user["tz"], "tz_label": label,
               "tz_offset": offset, "profile": profile, "is_admin": user["is_admin"], "is_owner": user["is_owner"],
               "is_primary_owner": user["is_owner"], "is_restricted": user["is_restricted"],
               "is_ultra_restricted": user["is_ultra_restricted"], "is_bot": user["is_bot"],
               "is_app_user": False, "updated": user["updated"], "is_email_confirmed": not user["is_bot"]}
        if user["is_bot"]:
            out["is_workflow_bot"] = False
        return out

    def _render_channel(self, channel: dict) -> dict:
        return {"id": channel["id"], "name": channel["name"], "is_channel": True, "is_group": False,
                "is_im": False, "is_mpim": False, "is_private": channel["is_private"], "created": channel["created"],
                "is_archived": channel["is_archived"], "is_general": channel["is_general"], "unlinked": 0,
                "name_normalized": channel["name"], "is_shared": False, "is_org_shared": False,
                "is_pending_ext_shared": False, "pending_shared": [], "context_team_id": TEAM,
                "updated": channel["created"] * 1000, "parent_conversation": None, "creator": channel["creator"],
                "is_ext_shared": False, "shared_team_ids": [TEAM], "pending_connected_team_ids": [],
                "is_member": channel["is_member"], "topic": dict(channel["topic"]),
                "purpose": dict(channel["purpose"]), "previous_names": []}

    # --- HTTP -------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if not request.path.startswith("/api/"):
            return Response(404, "Not Found")
        method = request.path[len("/api/"):]
        args = {k: v[0] for k, v in request.query.items() if v}
        if request.method == "POST" and "json" not in request.headers.get("Content-Type", ""):
            args.update(request.form())
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else args.get("token")
        if not token:
            return self._error("not_authed")
        if token != self.token:
            return self._error("invalid_auth")
        handler = {
            "conversations.history": self._history, "conversations.replies": self._replies_method,
            "conversations.info": self._info, "users.info": self._users_info, "users.list": self._users_list,
        }.get(method)
        if handler is None:
            return self._error("unknown_method", req_method=method)
        return handler(args)

    @staticmethod
    def _ok(body: dict) -> Response:
        return Response(200, {"ok": True, **body})

    @staticmethod
    def _error(error: str, **extra) -> Response:
        return Response(200, {"ok": False, "error": error, **extra})

    def _missing(self, needed: str) -> Response | None:
        if needed in self.scopes:
            return None
        return self._error("missing_scope", needed=needed, provided=",".join(self.scopes))

    def _channel(self, args: dict, public_scope: str, private_scope: str,
                 need_member: bool) -> tuple[dict | None, Response | None]:
        channel = self.channels.get(args.get("channel", ""))
        if channel is None or (channel["is_private"] and not channel["is_member"]):
            return None, self._error("channel_not_found")
        refusal = self._missing(private_scope if channel["is_private"] else public_scope)
        if refusal:
            return None, refusal
        if need_member and not channel["is_member"]:
            return None, self._error("not_in_channel")
        return channel, None

    def _limit(self, args: dict) -> int:
        value = args.get("limit", "")
        limit = int(value) if value.isdigit() and int(value) > 0 else self.page_size
        return min(limit, MAX_LIMIT, self.max_limit or MAX_LIMIT)

    @staticmethod
    def _window(args: dict):
        """A predicate for ts within oldest/latest (exclusive unless inclusive); None if a bound is bad."""
        inclusive = args.get("inclusive", "").lower() in ("true", "1")
        try:
            oldest = _ts(args["oldest"]) if args.get("oldest") else None
            latest = _ts(args["latest"]) if args.get("latest") else None
        except InvalidOperation:
            return None

        def within(ts: str) -> bool:
            t = _ts(ts)
            if oldest is not None and (t < oldest or (t == oldest and not inclusive)):
                return False
            return not (latest is not None and (t > latest or (t == latest and not inclusive)))
        return within

    def _page(self, items: list[dict], args: dict, kind: str, descending: bool) -> tuple[list[dict], str] | None:
        """One page of ts-ordered ``items`` from the cursor: (page, next cursor or ""); None for a bad cursor."""
        start = 0
        if args.get("cursor"):
            at = _uncursor(args["cursor"], kind)
            try:
                at_ts = _ts(at) if at else None
            except InvalidOperation:
                at_ts = None
            if at_ts is None:
                return None
            start = next((i for i, m in enumerate(items)
                          if (_ts(m["ts"]) <= at_ts if descending else _ts(m["ts"]) >= at_ts)), len(items))
        limit = self._limit(args)
        page = items[start:start + limit]
        rest = items[start + limit:]
        return page, _cursor(kind, rest[0]["ts"]) if rest else ""

    def _history(self, args: dict) -> Response:
        channel, refusal = self._channel(args, "channels:history", "groups:history", need_member=True)
        if refusal:
            return refusal
        within = self._window(args)
        if within is None:
            return self._error("invalid_ts_oldest")
        top = [m for m in self.messages[channel["id"]]
               if (not self._is_reply(m) or m["subtype"] == "thread_broadcast") and within(m["ts"])]
        top.sort(key=lambda m: _ts(m["ts"]), reverse=True)
        paged = self._page(top, args, "next_ts", descending=True)
        if paged is None:
            return self._error("invalid_cursor")
        page, next_cursor = paged
        return self._ok({"messages": [self._render(channel["id"], m) for m in page], "has_more": bool(next_cursor),
                         "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0,
                         "response_metadata": {"next_cursor": next_cursor}})

    def _replies_method(self, args: dict) -> Response:
        channel, refusal = self._channel(args, "channels:history", "groups:history", need_member=True)
        if refusal:
            return refusal
        message = self._message(channel["id"], args.get("ts", ""))
        if message is None:
            return self._error("thread_not_found")
        parent = self._message(channel["id"], message["thread_ts"]) if self._is_reply(message) else message
        within = self._window(args)
        if within is None:
            return self._error("invalid_ts_oldest")
        thread = [parent, *(r for r in self._replies(channel["id"], parent["ts"]) if within(r["ts"]))]
        paged = self._page(thread, args, "next_ts", descending=False)
        if paged is None:
            return self._error("invalid_cursor")
        page, next_cursor = paged
        return self._ok({"messages": [self._render(channel["id"], m) for m in page], "has_more": bool(next_cursor),
                         "response_metadata": {"next_cursor": next_cursor}})

    def _info(self, args: dict) -> Response:
        channel, refusal = self._channel(args, "channels:read", "groups:read", need_member=False)
        if refusal:
            return refusal
        return self._ok({"channel": self._render_channel(channel)})

    def _users_info(self, args: dict) -> Response:
        refusal = self._missing("users:read")
        if refusal:
            return refusal
        user = self.users.get(args.get("user", ""))
        if user is None:
            return self._error("user_not_found")
        return self._ok({"user": self._render_user(user)})

    def _users_list(self, args: dict) -> Response:
        refusal = self._missing("users:read")
        if refusal:
            return refusal
        members = sorted(self.users.values(), key=lambda u: u["id"])
        start = 0
        if args.get("cursor"):
            at = _uncursor(args["cursor"], "users")
            if at is None:
                return self._error("invalid_cursor")
            start = next((i for i, u in enumerate(members) if u["id"] >= at), len(members))
        limit = self._limit(args)
        page, rest = members[start:start + limit], members[start + limit:]
        return self._ok({"members": [self._render_user(u) for u in page], "cache_ts": 1773600000,
                         "response_metadata": {"next_cursor": _cursor("users", rest[0]["id"]) if rest else ""}})
