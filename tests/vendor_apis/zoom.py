"""Zoom: Server-to-Server OAuth and the Reports API (v2) on one loopback server.

Behaves as Zoom's public documentation describes (field names as documented):

- ``POST /oauth/token?grant_type=account_credentials&account_id=...`` with ``Authorization: Basic
  base64(client_id:client_secret)`` issues a bearer token; the answer's ``api_url`` is this server.
- ``GET /v2/report/users/{userId}/meetings?from=&to=&page_size=&next_page_token=&type=past``: the
  host's past meetings whose start date (UTC) is within [from, to]; at most one month apart.
- ``GET /v2/report/meetings/{meetingId}/participants?page_size=&next_page_token=``: one instance's
  participant entries (a rejoin is a second entry). ``meetingId`` is the instance's UUID, or the
  numeric meeting id for the latest instance. A UUID that starts with "/" or contains "//" must be
  double-encoded (``%252F``): sent single-encoded, the "/" becomes a path separator, Zoom's front end
  folds the "//" and the meeting is not found (404, code 3001). A UUID with one "/" inside works
  either way, as on Zoom.
- ``next_page_token`` is opaque and expires after ``page_token_lifetime`` (15 minutes); an unknown or
  expired one, or one used for another query, is 400 code 300.
- Errors: 401 code 124 (no, unknown or expired token; ``expire_tokens()`` expires them all), 400
  code 4711 (the token lacks ``report:read:admin``), 404 code 1001 (unknown user), 404 code 3001
  (unknown meeting), 400 code 300 (validation, page token, date range), 429 via ``rate_limit()``.

Time is the server's clock: ``advance(seconds)`` moves it on (token and page-token expiry).
Seed data: tests/fixtures/api/zoom/ (``seed=False`` starts empty).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import json
import math
import re
import secrets
import string
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote

from tests.vendor_apis.base import LoopbackApi, Request, Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "zoom"
REPORT_SCOPE = "report:read:admin"
DEFAULT_SCOPES = ("report:read:admin", "meeting:read:admin", "user:read:admin")
DEFAULT_PAGE_SIZE = 30  # Zoom's default when page_size is not sent; 300 is its maximum

INVALID_CLIENT = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
# Not found in Zoom's documentation word for word: the reason Zoom gives for an account_id that is
# not the app's account. A puller should act on the 400 and "error", not on this text.
INVALID_ACCOUNT = {"reason": "Invalid account_id", "error": "invalid_request"}
UNSUPPORTED_GRANT = {"reason": "unsupported grant type", "error": "unsupported_grant_type"}
INVALID_TOKEN = {"code": 124, "message": "Invalid access token."}
EXPIRED_TOKEN = {"code": 124, "message": "Access token is expired."}
INVALID_PAGE_TOKEN = {"code": 300, "message": "The next page token is invalid or expired."}
# Zoom documents the limit ("the date range ... should only be one month"), not this message.
DATE_RANGE_TOO_LONG = {"code": 300, "message": "The date range should not exceed one month."}
RATE_LIMITED = {"code": 429, "message": "You have reached the maximum per-second rate limit for this API. "
                                       "Try again later."}
NOT_RECOGNISED = {"code": 2300, "message": "This API endpoint is not recognized."}

_TOKEN_CHARS = string.ascii_letters + string.digits


def parse_time(value: str | datetime) -> datetime:
    """An aware UTC datetime from ISO text ("...Z" or with an offset) or a datetime (naive = UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def zoom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def one_month_after(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _validation(field: str) -> Response:
    return Response(400, {"code": 300, "message": "Validation Failed.",
                          "errors": [{"field": field, "message": "Invalid field."}]})


class ZoomApi(LoopbackApi):
    """Zoom OAuth + Reports API. See the module docstring; state helpers below."""

    def __init__(self, account_id: str, client_id: str, client_secret: str, page_size: int = 300,
                 token_lifetime: int = 3600, scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
                 seed: bool = True):
        super().__init__()
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size                 # the most entries one page holds
        self.token_lifetime = token_lifetime       # seconds; also the token answer's expires_in
        self.page_token_lifetime = 15 * 60         # seconds a next_page_token stays valid
        self.scopes = list(scopes)                 # scopes of tokens issued from now on
        self.clock_offset = 0.0
        self.tokens: dict[str, dict] = {}          # access token -> {"expires", "scopes", "expired"}
        self.page_tokens: dict[str, dict] = {}     # next_page_token -> {"key", "offset", "expires"}
        self.users: dict[str, dict] = {}           # Zoom user id -> {"id", "email", "first_name", "last_name"}
        self.meetings: list[dict] = []             # meeting instances, each with "participants"
        self._next_participant = 16778240          # Zoom's per-meeting participant ids look like this
        self._next_meeting_id = 85100000001
        if seed:
            self.load_seed()

    # --- state ---------------------------------------------------------------------------------
    def load_seed(self, folder: Path = FIXTURES) -> None:
        for user in json.loads((folder / "users.json").read_text(encoding="utf-8"))["users"]:
            self.add_user(user["id"], user["email"], user["first_name"], user["last_name"])
        for meeting in json.loads((folder / "meetings.json").read_text(encoding="utf-8"))["meetings"]:
            uuid = self.add_meeting(meeting["host_id"], meeting["topic"], meeting["start_time"], meeting["end_time"],
                                    uuid=meeting["uuid"], meeting_id=meeting["id"], type=meeting["type"])
            for entry in meeting["participants"]:
                self.add_participant(uuid, entry["name"], entry["user_email"], entry["join_time"],
                                     entry["leave_time"], status=entry["status"], participant_id=entry["id"])

    def add_user(self, user_id: str, email: str, first_name: str, last_name: str) -> str:
        with self.lock:
            self.users[user_id] = {"id": user_id, "email": email, "first_name": first_name, "last_name": last_name}
        return user_id

    def add_meeting(self, host_user_id: str, topic: str, start_time: str | datetime, end_time: str | datetime,
                    uuid: str | None = None, meeting_id: int | None = None, type: int = 2) -> str:
        """A past meeting instance; returns its UUID. Same ``meeting_id`` again = another instance."""
        if host_user_id not in self.users:
            raise KeyError(f"no Zoom user {host_user_id}: add_user() first")
        start, end = parse_time(start_time), parse_time(end_time)
        with self.lock:
            if uuid is None:  # deterministic, and like Zoom's: base64 of 16 bytes (may hold "/" or "+")
                digest = hashlib.sha256(f"{host_user_id}|{topic}|{start.isoformat()}".encode()).digest()
                uuid = base64.b64encode(digest[:16]).decode()
            if meeting_id is None:
                meeting_id = self._next_meeting_id
                self._next_meeting_id += 1
            self.meetings.append({"uuid": uuid, "id": int(meeting_id), "host_id": host_user_id, "type": type,
                                  "topic": topic, "start": start, "end": end, "participants": []})
        return uuid

    def add_participant(self, uuid: str, name: str, user_email: str, join_time: str | datetime,
                        leave_time: str | datetime, status: str = "in_meeting", participant_id: str = "") -> str:
        """One participant entry (a rejoin is another call); returns its per-meeting ``user_id``.

        ``participant_id`` is the person's Zoom user id ("" for a guest who is not signed in)."""
        if status not in ("in_meeting", "in_waiting_room"):
            raise ValueError(f"status {status!r}: in_meeting or in_waiting_room")
        meeting = self._instance(uuid)
        if meeting is None:
            raise KeyError(f"no meeting instance {uuid}")
        with self.lock:
            user_id = str(self._next_participant)
            self._next_participant += 1
            meeting["participants"].append({"id": participant_id, "user_id": user_id, "name": name,
                                            "user_email": user_email, "join": parse_time(join_time),
                                            "leave": parse_time(leave_time), "status": status})
        return user_id

    def issue_token(self) -> str:
        """A valid access token without the OAuth round trip (for tests of the API alone)."""
        token = "".join(secrets.choice(_TOKEN_CHARS) for _ in range(48))
        with self.lock:
            self.tokens[token] = {"expires": self.now() + self.token_lifetime, "scopes": list(self.scopes),
                                  "expired": False}
        return token

    def expire_tokens(self) -> None:
        """Every access token issued so far is expired (401 code 124); the client must fetch a new one."""
        with self.lock:
            for record in self.tokens.values():
                record["expired"] = True

    def expire_page_tokens(self) -> None:
        """Every next_page_token issued so far is expired (400 code 300)."""
        with self.lock:
            for record in self.page_tokens.values():
                record["expires"] = -math.inf

    def rate_limit(self, path_prefix: str = "/v2/", retry_after: int = 1, *, times: int = 1) -> None:
        """The next ``times`` matching requests get Zoom's per-second 429 with ``Retry-After``."""
        self.fail(path_prefix, 429, RATE_LIMITED, {"Retry-After": str(retry_after), "X-RateLimit-Type": "QPS",
                                                   "X-RateLimit-Category": "Heavy"}, times=times)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock on (tokens and page tokens expire by it)."""
        with self.lock:
            self.clock_offset += seconds

    # --- HTTP ----------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path == "/oauth/token":
            if request.method != "POST":
                return Response(405, {"reason": "Method Not Allowed", "error": "invalid_request"})
            return self._token(request)
        if not request.path.startswith("/v2/"):
            return Response(404, NOT_RECOGNISED)
        denied = self._authorise(request)
        if denied is not None:
            return denied
        path = re.sub(r"/{2,}", "/", request.path)  # Zoom's front end folds "//" (why UUIDs are double-encoded)
        if request.method == "GET":
            if match := re.fullmatch(r"/v2/report/users/([^/]+)/meetings", path):
                return self._meetings(request, match.group(1))
            if match := re.fullmatch(r"/v2/report/meetings/(.+)/participants", path):
                return self._participants(request, match.group(1))
        return Response(404, NOT_RECOGNISED)

    def _token(self, request: Request) -> Response:
        params = {name: values[0] for name, values in request.query.items()}
        if "x-www-form-urlencoded" in request.header("Content-Type"):
            params.update(request.form())  # Zoom also reads the parameters from a form body
        scheme, _, credentials = request.header("Authorization").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(credentials, validate=True).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if scheme.lower() != "basic" or (client_id, secret) != (self.client_id, self.client_secret):
            return Response(400, INVALID_CLIENT)
        if params.get("grant_type") != "account_credentials":
            return Response(400, UNSUPPORTED_GRANT)
        if params.get("account_id") != self.account_id:
            return Response(400, INVALID_ACCOUNT)
        token = self.issue_token()
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime,
                              "scope": " ".join(self.tokens[token]["scopes"]), "api_url": self.url})

    def _authorise(self, request: Request) -> Response | None:
        scheme, _, token = request.header("Authorization").partition(" ")
        record = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if record is None:
            return Response(401, INVALID_TOKEN)
        if record["expired"] or record["expires"] <= self.now():
            return Response(401, EXPIRED_TOKEN)
        if REPORT_SCOPE not in record["scopes"]:
            return Response(400, {"code": 4711,
                                  "message": f"Invalid access token, does not contain scopes:[{REPORT_SCOPE}]."})
        return None

    def _user(self, user_id: str) -> dict | None:
        if user_id in self.users:
            return self.users[user_id]
        return next((u for u in self.users.values() if u["email"].lower() == user_id.lower()), None)

    def _instance(self, value: str) -> dict | None:
        """The instance with this UUID, or the latest instance of this numeric meeting id."""
        for meeting in self.meetings:
            if meeting["uuid"] == value:
                return meeting
        if value.isdigit():
            instances = [m for m in self.meetings if m["id"] == int(value)]
            return max(instances, key=lambda m: m["start"]) if instances else None
        return None

    def _meetings(self, request: Request, user_id: str) -> Response:
        host = self._user(unquote(user_id))
        if host is None:
            return Response(404, {"code": 1001, "message": f"User does not exist: {unquote(user_id)}."})
        bounds = {}
        for name in ("from", "to"):
            text = request.arg(name) or ""
            try:
                bounds[name] = date.fromisoformat(text)
            except ValueError:
                return _validation(name)
        if bounds["to"] < bounds["from"]:
            return _validation("to")
        if bounds["to"] > one_month_after(bounds["from"]):
            return Response(400, DATE_RANGE_TOO_LONG)
        if request.arg("type", "past") not in ("past", "pastOne", "pastJoined"):
            return _validation("type")
        found = sorted((m for m in self.meetings if m["host_id"] == host["id"]
                        and bounds["from"] <= m["start"].date() <= bounds["to"]), key=lambda m: m["start"])
        key = ("meetings", host["id"], bounds["from"].isoformat(), bounds["to"].isoformat())
        return self._page(request, key, [self._meeting_json(m) for m in found], "meetings",
                          {"from": bounds["from"].isoformat(), "to": bounds["to"].isoformat()})

    def _participants(self, request: Request, segment: str) -> Response:
        value = unquote(segment) if "%" in segment else segment  # double-encoded: the second decoding
        meeting = self._instance(value)
        if meeting is None:
            return Response(404, {"code": 3001, "message": f"Meeting does not exist: {value}."})
        entries = sorted(meeting["participants"], key=lambda p: p["join"])
        return self._page(request, ("participants", meeting["uuid"]), [self._participant_json(p) for p in entries],
                          "participants", {})

    def _page(self, request: Request, key: tuple, items: list[dict], name: str, head: dict) -> Response:
        try:
            size = int(request.arg("page_size") or DEFAULT_PAGE_SIZE)
        except ValueError:
            return _validation("page_size")
        if size < 1:
            return _validation("page_size")
        size = min(size, self.page_size, 300)
        offset = 0
        token = request.arg("next_page_token") or ""
        with self.lock:
            if token:
                record = self.page_tokens.get(token)
                if record is None or record["expires"] <= self.now() or record["key"] != key:
                    return Response(400, INVALID_PAGE_TOKEN)
                offset = record["offset"]
            following = ""
            if offset + size < len(items):
                following = "".join(secrets.choice(_TOKEN_CHARS) for _ in range(32))
                self.page_tokens[following] = {"key": key, "offset": offset + size,
                                               "expires": self.now() + self.page_token_lifetime}
        return Response(200, {**head, "page_count": math.ceil(len(items) / size), "page_size": size,
                              "total_records": len(items), "next_page_token": following,
                              name: items[offset:offset + size]})

    def _meeting_json(self, meeting: dict) -> dict:
        host = self.users[meeting["host_id"]]
        attended = [p for p in meeting["participants"] if p["status"] == "in_meeting"]
        seconds = sum(int((p["leave"] - p["join"]).total_seconds()) for p in attended)
        return {"uuid": meeting["uuid"], "id": meeting["id"], "host_id": meeting["host_id"], "type": meeting["type"],
                "topic": meeting["topic"], "user_name": f"{host['first_name']} {host['last_name']}",
                "user_email": host["email"], "start_time": zoom_time(meeting["start"]),
                "end_time": zoom_time(meeting["end"]),
                "duration": round((meeting["end"] - meeting["start"]).total_seconds() / 60),
                "total_minutes": round(seconds / 60), "participants_count": len(attended), "source": "Zoom"}

    @staticmethod
    def _participant_json(entry: dict) -> dict:
        return {"id": entry["id"], "user_id": entry["user_id"], "name": entry["name"],
                "user_email": entry["user_email"], "join_time": zoom_time(entry["join"]),
                "leave_time": zoom_time(entry["leave"]),
                "duration": int((entry["leave"] - entry["join"]).total_seconds()), "failover": False,
                "status": entry["status"], "customer_key": "", "registrant_id": "",
                "participant_user_id": entry["id"], "bo_mtg_id": ""}
