"""Zoom: each host's past meetings, one landed file per meeting instance with its participants.

- Token: Server-to-Server OAuth, ``POST /oauth/token?grant_type=account_credentials&account_id=…``
  with the client id and secret (HTTP Basic); fetched again when it expires or is refused.
- Meetings: ``/report/users/{user}/meetings`` over windows of at most a month (Zoom's limit),
  ``type=past``, following ``next_page_token``.
- Participants: ``/report/meetings/{uuid}/participants``, following ``next_page_token``; a UUID
  that starts with ``/`` or holds ``//`` is encoded twice, as Zoom requires. Page tokens expire
  after 15 minutes: an expired one starts that meeting's participants again from the first page.
- Landed: ``{"netpulse_pull": …, "meeting": <the meeting as listed>, "participants_pages": [<each
  page as returned, without its page token>]}`` (the parser's layout, vendor-formats.md); the
  page tokens are left out because they differ on every request and would make the same
  meeting look new.
- Cursor: ``through``, the last day whose meetings are all landed; each run reads the last
  ``lookback_days`` (2) again, because Zoom's reports fill in some time after a meeting ends.
- Connection: login = client id, password = client secret, extra ``account_id``; the app needs
  the scope ``report:read:admin`` (and a Pro or higher account, for reports).
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from urllib.parse import quote

from netpulse.errors import PullFailed
from netpulse.ingest.vendors.pulled_files import FORMAT_VERSION  # the envelope the parsers read
from netpulse.pull.context import PullContext
from netpulse.pull.credentials import Credentials
from netpulse.pull.http import (
    ApiClient,
    Budget,
    OAuthClientCredentials,
    Refused,
    body_json,
    issued_token,
    refused,
    short,
)

NAME = "Zoom"
WINDOW_DAYS = 30  # "from" to "to" may span at most one month
PAGE = 300
RESTARTS = 3  # expired page tokens tolerated per meeting
EXPIRED_PAGE_TOKEN = "next page token"  # noqa: S105 (words of an error message)
REPORT_SCOPE = "the scope report:read:admin (Server-to-Server OAuth app > Scopes), and a Pro or higher plan"


class PageTokenExpired(PullFailed):
    def __init__(self):
        super().__init__("the page token expired", permanent=False)


def connect(spec, creds: Credentials, budget: Budget) -> ApiClient:
    client_id = creds.required("login", "the Server-to-Server OAuth app's client id")
    secret = creds.required("password", "the Server-to-Server OAuth app's client secret")
    account_id = creds.required("account_id", "the Zoom account id")
    token_url = str(creds.extra.get("token_url") or "https://zoom.us/oauth/token")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token_client = ApiClient(f"{NAME} OAuth", token_url, budget=budget, timeout=spec.timeout_seconds,
                             check=check_token)

    def fetch() -> tuple[str, float]:
        document = token_client.json(
            "POST", token_url, params={"grant_type": "account_credentials", "account_id": account_id},
            extra_headers={"Authorization": f"Basic {basic}"}, what="an access token", authenticated=False)
        return issued_token(NAME, document, 3600, ": check the app is activated")

    return ApiClient(NAME, spec.base_url or creds.host or "https://api.zoom.us/v2", budget=budget,
                     timeout=spec.timeout_seconds, check=check, auth=OAuthClientCredentials(fetch),
                     min_interval=spec.min_request_interval_seconds)


def check_token(response, what: str, needs: str | None) -> None:
    if response.status_code < 400:
        return
    document = body_json(response) or {}
    reason = document.get("reason") or document.get("error") or "" if isinstance(document, dict) else ""
    raise PullFailed(f"{NAME} refused to issue an access token ({response.status_code}: {short(reason)}): check "
                     "the client id and secret (login, password) and the account_id of the Airflow connection")


def check(response, what: str, needs: str | None) -> None:
    if response.status_code < 400:
        return
    document = body_json(response)
    code = document.get("code") if isinstance(document, dict) else None
    message = str(document.get("message") or "") if isinstance(document, dict) else ""
    if EXPIRED_PAGE_TOKEN in message.lower():
        raise PageTokenExpired()
    if code == 4711 or "does not contain scopes" in message:
        raise PullFailed(f"{NAME} refused {what} ({short(message)}): the app needs {needs or REPORT_SCOPE}")
    raise refused(NAME, response, what, needs, f"{code}: {message}" if code else message)


def meeting_path(uuid: str) -> str:
    once = quote(uuid, safe="")
    return f"/report/meetings/{quote(once, safe='') if uuid.startswith('/') or '//' in uuid else once}/participants"


def pull_stream(ctx: PullContext, stream: str) -> None:
    cursor = ctx.cursor(stream)
    yesterday = ctx.now().date() - timedelta(days=1)
    if cursor:
        start = min(date.fromisoformat(cursor["through"]) + timedelta(days=1), yesterday - ctx.lookback())
    else:
        start = ctx.since().date()
    today = ctx.now().date()
    while start <= today:
        end = min(start + timedelta(days=WINDOW_DAYS - 1), today)
        for meeting in meetings(ctx.client, stream, start, end):
            land_meeting(ctx, stream, meeting)
        ctx.save(stream, {"through": min(end, yesterday).isoformat()})
        start = end + timedelta(days=1)


def meetings(client: ApiClient, user: str, start: date, end: date) -> list[dict]:
    found: list[dict] = []
    token = ""
    while True:
        params = {"from": start.isoformat(), "to": end.isoformat(), "page_size": PAGE, "type": "past"}
        if token:
            params["next_page_token"] = token
        document = client.json("GET", f"/report/users/{quote(user, safe='@')}/meetings", params=params,
                               what=f"the meetings of {user} from {start} to {end}", needs=REPORT_SCOPE)
        found += [m for m in document.get("meetings") or [] if isinstance(m, dict) and m.get("uuid")]
        token = document.get("next_page_token") or ""
        if not token:
            return sorted(found, key=lambda m: (str(m.get("start_time")), str(m["uuid"])))


def land_meeting(ctx: PullContext, stream: str, meeting: dict) -> None:
    uuid = str(meeting["uuid"])
    for _ in range(RESTARTS + 1):
        try:
            pages = participant_pages(ctx.client, uuid)
            break
        except PageTokenExpired:
            continue
    else:
        raise PullFailed(f"{NAME}'s page tokens for meeting {meeting.get('id')} kept expiring ({RESTARTS + 1} "
                         "tries): the next run tries again", permanent=False)
    if pages is None:
        return
    document = {"netpulse_pull": {"api": "zoom", "format": FORMAT_VERSION}, "meeting": meeting,
                "participants_pages": pages}
    content = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    ctx.land(stream, f"meeting-{meeting.get('id')}-{str(meeting.get('start_time'))[:10]}-{uuid}", content, ".json")


def participant_pages(client: ApiClient, uuid: str) -> list[dict] | None:
    pages = []
    token = ""
    while True:
        params: dict = {"page_size": PAGE}
        if token:
            params["next_page_token"] = token
        try:
            document = client.json("GET", meeting_path(uuid), params=params, what="a meeting's participants",
                                   needs=REPORT_SCOPE)
        except Refused as failure:
            if failure.status == 404:  # deleted, or its report not kept: nothing to land
                return None
            raise
        token = document.pop("next_page_token", "") or ""
        pages.append(document)
        if not token:
            return pages
