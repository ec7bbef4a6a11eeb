"""Microsoft Graph: Teams attendance reports of each organiser's online meetings, and Microsoft
Forms response workbooks.

- Token: client credentials on the Microsoft identity platform
  (``POST /{tenant}/oauth2/v2.0/token``, scope ``https://graph.microsoft.com/.default``).
- Teams: the organiser's ``calendarView`` over windows of 30 days finds their online meetings
  (``onlineMeeting.joinUrl``); ``/users/{id}/onlineMeetings?$filter=JoinWebUrl eq '…'`` gives the
  meeting; ``…/attendanceReports`` its reports (Graph keeps the 50 most recent) and
  ``…/attendanceRecords`` each report's people, following ``@odata.nextLink``. One file per
  report: ``{"netpulse_pull": …, "online_meeting", "attendance_report", "attendance_records_pages"}``.
  Cursor: ``through``, the end of the last window landed; ``lookback_days`` (2) are read again.
  Application permissions: Calendars.Read, OnlineMeetings.Read.All, OnlineMeetingArtifact.Read.All,
  and an application access policy that covers the organisers (Teams PowerShell).
- Microsoft Forms has no API: its responses are an Excel workbook in OneDrive or SharePoint. The
  workbook (``/drives/{drive}/items/{item}``) is landed whole when its ``eTag`` changed; the build
  keeps the latest version of every response. Permission: Files.Read.All (or Sites.Read.All).
- Connection: login = the app's client id, password = a client secret, extra ``tenant_id``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx

from netpulse.errors import PullFailed
from netpulse.ingest.vendors.pulled_files import FORMAT_VERSION  # the envelope the parsers read
from netpulse.pull.context import PullContext, iso, parse_time
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

NAME = "Microsoft Graph"
WINDOW = timedelta(days=30)
CALENDAR = "the application permission Calendars.Read (with admin consent)"
MEETINGS = ("the application permission OnlineMeetings.Read.All (with admin consent) and an application access "
            "policy covering this organiser (New-CsApplicationAccessPolicy, Grant-CsApplicationAccessPolicy)")
ARTIFACTS = ("the application permission OnlineMeetingArtifact.Read.All (with admin consent) and an application "
             "access policy covering this organiser (New-CsApplicationAccessPolicy, Grant-CsApplicationAccessPolicy)")
FILES = "the application permission Files.Read.All (or Sites.Read.All), with admin consent"


def connect(spec, creds: Credentials, budget: Budget) -> ApiClient:
    client_id = creds.required("login", "the app registration's client (application) id")
    secret = creds.required("password", "a client secret of the app registration")
    tenant = creds.required("tenant_id", "the Microsoft Entra tenant id")
    authority = str(creds.extra.get("authority") or "https://login.microsoftonline.com").rstrip("/")
    token_url = f"{authority}/{quote(tenant, safe='')}/oauth2/v2.0/token"
    token_client = ApiClient(f"{NAME} sign-in", token_url, budget=budget, timeout=spec.timeout_seconds,
                             check=check_token)

    def fetch() -> tuple[str, float]:
        document = token_client.json("POST", token_url, authenticated=False, what="an access token", data={
            "client_id": client_id, "client_secret": secret, "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default"})
        return issued_token(NAME, document, 3599)

    return ApiClient(NAME, spec.base_url or creds.host or "https://graph.microsoft.com/v1.0", budget=budget,
                     timeout=spec.timeout_seconds, check=check, auth=OAuthClientCredentials(fetch),
                     min_interval=spec.min_request_interval_seconds)


def check_token(response, what: str, needs: str | None) -> None:
    if response.status_code < 400:
        return
    document = body_json(response)
    reason = document.get("error_description") or document.get("error") if isinstance(document, dict) else ""
    raise PullFailed(f"{NAME} refused to issue an access token ({response.status_code}: "
                     f"{short(str(reason or '').split(chr(10))[0], 200)}): check the client id and secret (login, "
                     "password) and tenant_id of the Airflow connection")


def check(response, what: str, needs: str | None) -> None:
    if response.status_code < 400:
        return
    document = body_json(response)
    error = document.get("error") if isinstance(document, dict) else None
    message = f"{error.get('code')}: {error.get('message')}" if isinstance(error, dict) else ""
    raise refused(NAME, response, what, needs, message)


def values(client: ApiClient, path: str, params: dict | None, what: str, needs: str) -> list[dict]:
    """Every item of a collection, following ``@odata.nextLink`` (which already holds the query)."""
    items: list[dict] = []
    for page in collection_pages(client, path, params, what, needs):
        items += [item for item in page.get("value") or [] if isinstance(item, dict)]
    return items


def collection_pages(client: ApiClient, path: str, params: dict | None, what: str, needs: str) -> list[dict]:
    pages = []
    link: str | None = path
    while link:
        page = client.json("GET", link, params=params if link == path else None, what=what, needs=needs)
        link = page.pop("@odata.nextLink", None)
        pages.append(page)
    return pages


# --- Teams -------------------------------------------------------------------------------------------


def pull_teams_stream(ctx: PullContext, organiser: str) -> None:
    cursor = ctx.cursor(organiser)
    now = ctx.now()
    start = min(parse_time(cursor["through"]), now - ctx.lookback()) if cursor else ctx.since()
    user = quote(organiser, safe="@")
    while start < now:
        end = min(start + WINDOW, now)
        events = values(ctx.client, f"/users/{user}/calendarView",
                        {"startDateTime": iso(start), "endDateTime": iso(end), "$top": 100,
                         "$select": "id,subject,start,end,isOnlineMeeting,onlineMeeting"},
                        f"the calendar of organiser {organiser}", CALENDAR)
        for event in sorted(events, key=lambda e: str((e.get("start") or {}).get("dateTime"))):
            join_url = (event.get("onlineMeeting") or {}).get("joinUrl")
            if event.get("isOnlineMeeting") and join_url:
                land_meeting_reports(ctx, organiser, user, str(join_url))
        ctx.save(organiser, {"through": iso(end)})
        start = end


def land_meeting_reports(ctx: PullContext, organiser: str, user: str, join_url: str) -> None:
    client = ctx.client
    escaped = join_url.replace("'", "''")  # OData string literal
    found = values(client, f"/users/{user}/onlineMeetings", {"$filter": f"JoinWebUrl eq '{escaped}'"},
                   f"the online meeting of an event of {organiser}", MEETINGS)
    if not found:
        return  # an event whose meeting this organiser does not own (an invitation)
    meeting = found[0]
    base = f"/users/{user}/onlineMeetings/{quote(str(meeting.get('id')), safe='')}/attendanceReports"
    reports = values(client, base, None, f"the attendance reports of a meeting of {organiser}", ARTIFACTS)
    for report in reports:
        report_id = str(report.get("id"))
        try:
            pages = collection_pages(client, f"{base}/{quote(report_id, safe='')}/attendanceRecords", None,
                                     f"an attendance report of {organiser}", ARTIFACTS)
        except Refused as failure:
            if failure.status == 404:
                continue
            raise
        document = {"netpulse_pull": {"api": "teams", "format": FORMAT_VERSION}, "online_meeting": meeting,
                    "attendance_report": report, "attendance_records_pages": pages}
        ctx.land(organiser, f"report-{str(report.get('meetingStartDateTime'))[:10]}-{report_id}",
                 json.dumps(document, ensure_ascii=False, sort_keys=True).encode(), ".json")


# --- Microsoft Forms workbooks ------------------------------------------------------------------------


def pull_workbook_stream(ctx: PullContext, stream: str) -> None:
    drive, _, item = stream.partition("/")
    path = f"/drives/{quote(drive, safe='')}/items/{quote(item, safe='')}"
    metadata = ctx.client.json("GET", path, what=f"workbook {item}", needs=FILES)
    tag = str(metadata.get("eTag") or metadata.get("cTag") or metadata.get("lastModifiedDateTime") or "")
    cursor = ctx.cursor(stream) or {}
    if tag and cursor.get("etag") == tag:
        return
    response = ctx.client.request("GET", f"{path}/content", what=f"the content of workbook {item}", needs=FILES)
    content = response.content
    if response.status_code in (301, 302, 303, 307, 308):
        # A pre-authenticated download link: fetched without the token (it may be another host).
        location = response.headers.get("Location", "")
        download = httpx.get(location, timeout=ctx.spec.timeout_seconds, follow_redirects=True)
        if download.status_code != 200:
            raise PullFailed(f"the download link of workbook {item} answered {download.status_code}",
                             permanent=False)
        content = download.content
    if len(content) > ctx.limits.max_file_bytes:
        raise PullFailed(f"workbook {item} is {len(content)} bytes, over NETPULSE_MAX_FILE_BYTES")
    modified = str(metadata.get("lastModifiedDateTime") or datetime.now(UTC).isoformat())[:19]
    ctx.land(stream, f"workbook-{modified}", content, ".xlsx")
    ctx.save(stream, {"etag": tag})
