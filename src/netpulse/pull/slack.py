"""Slack: each channel's new and changed messages, landed as a workspace-export ZIP.

- Messages: ``conversations.history`` over windows of a week, oldest window first (``oldest`` and
  ``latest`` bound a window, ``inclusive`` so no message on a boundary falls between two),
  following ``response_metadata.next_cursor``; thread replies with ``conversations.replies`` for
  every thread whose ``latest_reply`` or reply count changed.
- Look-back: each run reads again the last ``lookback_days`` (14 by default), so late replies,
  edits and new reactions on recent messages are caught; a message is landed again only when it
  changed (the cursor keeps a digest of each message in the window, not its text).
- Landed: one ZIP per channel and window with something new, laid out as Slack's export
  (``channels.json`` or ``groups.json``, ``users.json`` from ``users.info``, ``<channel>/<day>.json``),
  so the export parser reads it; Slack's ``{"ok": false}`` answers (HTTP 200) are errors here.
- Cursor: ``through`` (the end of the last window landed) and the digests of the look-back window.
- Rate: apps outside Slack's Marketplace may make one history or replies request a minute
  (``min_request_interval_seconds``, 61 by default, applied to those two methods only); 429
  waits for ``Retry-After``.
- Connection: password = the bot token (``xoxb-…``); scopes channels:history, channels:read,
  groups:history, groups:read (private channels), users:read, and users:read.email for e-mails.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

from netpulse.errors import PullFailed
from netpulse.pull.context import PullContext
from netpulse.pull.credentials import Credentials
from netpulse.pull.http import ApiClient, Budget, Transient, body_json, refused, short

NAME = "Slack"
WINDOW = timedelta(days=7)
PAGE = 200
PACED = ("conversations.history", "conversations.replies")
ADVICE = {
    "invalid_auth": "the token in the Airflow connection was refused: put the bot token (xoxb-…) in its password",
    "not_authed": "no token was sent: put the bot token (xoxb-…) in the Airflow connection's password",
    "token_revoked": "the token was revoked: reinstall the app and put the new bot token in the connection",
    "account_inactive": "the app's token belongs to a deactivated account: reinstall the app",
    "not_in_channel": "the app is not a member of this channel: invite it (/invite @app) in the channel",
    "channel_not_found": "no such channel, or the app cannot see it: check the channel id in the networks file",
}


def connect(spec, creds: Credentials, budget: Budget) -> ApiClient:
    token = creds.required("password", "the Slack bot token (xoxb-…)")
    return ApiClient(NAME, spec.base_url or creds.host or "https://slack.com/api", budget=budget,
                     timeout=spec.timeout_seconds, check=check, headers={"Authorization": f"Bearer {token}"},
                     min_interval=spec.min_request_interval_seconds)


def check(response, what: str, needs: str | None) -> None:
    document = body_json(response)
    if response.status_code >= 400:
        raise refused(NAME, response, what, needs, (document or {}).get("error", "") if isinstance(document, dict)
                      else "")
    if not isinstance(document, dict):
        raise PullFailed(f"{NAME} answered {what} with something that is not JSON", permanent=False)
    if document.get("ok") is True:
        return
    error = str(document.get("error") or "unknown_error")
    if error in ("ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"):
        raise Transient(f"{NAME} answered {what} with {error}")
    if error == "missing_scope":
        needed = short(document.get("needed") or needs or "a scope", 80)
        raise PullFailed(f"{NAME} refused {what} (missing_scope): the app lacks the scope {needed}; add it under "
                         "OAuth & Permissions > Bot Token Scopes, reinstall the app and update the token")
    advice = ADVICE.get(error, "see docs/pulling.md")
    raise PullFailed(f"{NAME} refused {what} ({short(error, 80)}): {advice}")


def call(client: ApiClient, method: str, params: dict, what: str, needs: str) -> dict:
    # Only history and replies have the one-a-minute limit; users.info and conversations.info do not.
    return client.json("GET", f"/{method}", params=params, what=f"{method} for {what}", needs=needs,
                       paced=method in PACED)


def pages(client: ApiClient, method: str, params: dict, key: str, what: str, needs: str) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        document = call(client, method, {**params, **({"cursor": cursor} if cursor else {})}, what, needs)
        items += [item for item in document.get(key) or [] if isinstance(item, dict)]
        cursor = (document.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return items


def digest(message: dict) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()[:16]


def ts_of(value: datetime) -> str:
    return f"{value.timestamp():.6f}"


def pull_stream(ctx: PullContext, stream: str) -> None:
    client = ctx.client
    channel = call(client, "conversations.info", {"channel": stream}, f"channel {stream}",
                   "channels:read (groups:read for a private channel)").get("channel") or {}
    private = bool(channel.get("is_private") or channel.get("is_group"))
    needs = "groups:history" if private else "channels:history"
    cursor = ctx.cursor(stream) or {}
    seen: dict[str, str] = dict(cursor.get("seen") or {})
    now = ctx.now()
    if "through" in cursor:
        start = min(datetime.fromtimestamp(float(cursor["through"]), UTC), now - ctx.lookback())
    else:
        start = ctx.since()
    users: dict[str, dict | None] = {}
    while start < now:
        end = min(start + WINDOW, now)
        messages = window_messages(client, stream, start, end, seen, needs)
        new = [m for m in messages if seen.get(str(m.get("ts"))) != digest(m)]
        if new:
            export = export_zip(client, channel, stream, private, new, users)
            ctx.land(stream, f"{stream}-{ts_of(start)}", export, ".zip")
        for message in new:
            seen[str(message.get("ts"))] = digest(message)
        for message in messages:
            if message.get("reply_count") and message.get("thread_ts") == message.get("ts"):
                seen[f"thread:{message['ts']}"] = thread_state(message)
        horizon = (now - ctx.lookback()).timestamp() - WINDOW.total_seconds()
        seen = {key: value for key, value in seen.items() if float(key.removeprefix("thread:")) >= horizon}
        ctx.save(stream, {"through": ts_of(end), "seen": seen})
        start = end


def thread_state(parent: dict) -> str:
    return f"{parent.get('reply_count')}:{parent.get('latest_reply')}"


def window_messages(client: ApiClient, channel: str, start: datetime, end: datetime, seen: dict,
                    needs: str) -> list[dict]:
    """The window's top-level messages, and the replies of its threads that changed."""
    what = f"channel {channel}"
    top = pages(client, "conversations.history", {"channel": channel, "oldest": ts_of(start), "latest": ts_of(end),
                                                  "inclusive": "true", "limit": PAGE}, "messages", what, needs)
    messages = list(top)
    for parent in top:
        ts = parent.get("ts")
        if parent.get("reply_count") and parent.get("thread_ts") == ts and \
                seen.get(f"thread:{ts}") != thread_state(parent):
            replies = pages(client, "conversations.replies", {"channel": channel, "ts": ts, "limit": PAGE},
                            "messages", what, needs)
            messages += [reply for reply in replies if reply.get("ts") != ts]
    unique = {str(m.get("ts")): m for m in messages if m.get("ts")}
    return [unique[ts] for ts in sorted(unique, key=float)]


def export_zip(client: ApiClient, channel: dict, channel_id: str, private: bool, messages: list[dict],
               users: dict[str, dict | None]) -> bytes:
    """The messages as a Slack export: the same bytes for the same messages (fixed entry times)."""
    for user_id in sorted({str(m["user"]) for m in messages if m.get("user")}):
        if user_id not in users:
            users[user_id] = user_info(client, user_id)
    people = [users[u] for u in sorted({str(m["user"]) for m in messages if m.get("user")}) if users.get(u)]
    name = str(channel.get("name") or channel_id)
    listing = [{"id": channel_id, "name": name, "created": channel.get("created"),
                "is_archived": channel.get("is_archived", False)}]
    days: dict[str, list[dict]] = {}
    for message in messages:
        day = datetime.fromtimestamp(float(message["ts"]), UTC).date().isoformat()
        days.setdefault(day, []).append(message)
    entries = {("groups.json" if private else "channels.json"): listing, "users.json": people}
    entries.update({f"{name}/{day}.json": day_messages for day, day_messages in sorted(days.items())})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry_name, value in entries.items():
            info = zipfile.ZipInfo(entry_name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1))
    return buffer.getvalue()


def user_info(client: ApiClient, user_id: str) -> dict | None:
    try:
        return call(client, "users.info", {"user": user_id}, f"user {user_id}", "users:read").get("user")
    except PullFailed as failure:
        if "user_not_found" in str(failure):  # a user of another workspace (Slack Connect)
            return None
        raise
