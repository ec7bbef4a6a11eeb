"""Microsoft identity platform (client credentials) and Microsoft Graph v1.0 on one loopback server.

Behaves as Microsoft's public documentation describes (field names as documented):

- ``POST /{tenant}/oauth2/v2.0/token`` (form: client_id, client_secret,
  scope=https://graph.microsoft.com/.default, grant_type=client_credentials) issues a bearer token
  that carries the application permissions (``roles``) granted when it was issued.
- ``GET /v1.0/users/{id|upn}/calendarView?startDateTime=&endDateTime=&$select=&$top=`` (Calendars.Read):
  events overlapping the window, in start order, paged by ``@odata.nextLink`` (absolute, $skiptoken).
- ``GET /v1.0/users/{id}/onlineMeetings?$filter=JoinWebUrl eq '<url>'`` and ``.../onlineMeetings/{id}``
  (OnlineMeetings.Read.All), ``.../onlineMeetings/{id}/attendanceReports`` (at most the 50 most recent,
  newest first) and ``.../attendanceReports/{id}/attendanceRecords`` (paged by nextLink)
  (OnlineMeetingArtifact.Read.All). All of them also need the organiser covered by an application
  access policy (``access_policy_users``; None = a global policy).
- ``GET /v1.0/drives/{drive}/items/{item}`` (Files.Read.All or Sites.Read.All): the driveItem of a
  Microsoft Forms response workbook; ``.../content`` answers 302 to a pre-authenticated download URL
  on this server, as Graph does (follow redirects, and send no Authorization there).
- Errors: 401 InvalidAuthenticationToken (no, unknown or expired token; ``expire_tokens()``), 403 for a
  missing permission or policy, 404 for unknown users/meetings/items, 429 via ``throttle()`` and
  503/504 via ``unavailable()``.

Server-driven paging: a page holds at most ``page_size`` items whatever ``$top`` asks (Graph may send
fewer than $top, with a nextLink), so a client must follow ``@odata.nextLink`` to the end.
Time is the server's clock: ``advance(seconds)`` moves it on. Seed data: tests/fixtures/api/graph/.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import uuid as uuidlib
import zipfile
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

import openpyxl

from tests.vendor_apis.base import LoopbackApi, Request, Response
from tests.vendor_apis.zoom import parse_time

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "graph"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEFAULT_ROLES = ("Calendars.Read", "OnlineMeetings.Read.All", "OnlineMeetingArtifact.Read.All", "Files.Read.All")
CALENDAR_ROLES = ("Calendars.Read", "Calendars.ReadBasic.All", "Calendars.ReadWrite")
MEETING_ROLES = ("OnlineMeetings.Read.All", "OnlineMeetings.ReadWrite.All")
ARTIFACT_ROLES = ("OnlineMeetingArtifact.Read.All",)
FILE_ROLES = ("Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All")
REPORT_LIMIT = 50  # attendanceReports lists at most the 50 most recent reports of a meeting
TOKEN_LIFETIME = 3599
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMS_METADATA = ("ID", "Start time", "Completion time", "Email", "Name")


def graph_time(moment: datetime) -> str:
    """Graph's dateTimeOffset text: UTC with milliseconds when there are any ("...:41.217Z")."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if moment.microsecond else f"{text}Z"


def event_time(moment: datetime) -> dict:
    """An event's dateTimeTimeZone: local time with seven decimals, and its zone."""
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _unquote_fully(text: str) -> str:
    for _ in range(3):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


class GraphApi(LoopbackApi):
    """Entra ID token endpoint + Graph v1.0. See the module docstring; state helpers below."""

    def __init__(self, tenant_id: str, client_id: str, client_secret: str, page_size: int = 10,
                 roles: tuple[str, ...] | list[str] = DEFAULT_ROLES,
                 access_policy_users: list[str] | tuple[str, ...] | set[str] | None = None, seed: bool = True):
        super().__init__()
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size                      # the most items one page holds
        self.roles = list(roles)                        # application permissions of tokens issued from now on
        self.access_policy_users = None if access_policy_users is None else set(access_policy_users)
        self.content_redirect = True                    # /content answers 302 to a download URL, as Graph does
        self.clock_offset = 0.0
        self.tokens: dict[str, dict] = {}               # token -> {"expires", "roles", "expired"}
        self.skiptokens: dict[str, dict] = {}           # $skiptoken -> {"key", "offset"}
        self.downloads: dict[str, tuple[str, str]] = {}  # tempauth -> (drive id, item id)
        self.users: dict[str, dict] = {}                # user id -> Graph user
        self.events: list[dict] = []                    # calendar events (online or not)
        self.online_meetings: dict[str, dict] = {}      # meeting id -> onlineMeeting state
        self.reports: dict[str, dict] = {}              # report id -> {"meeting_id", "start", "end", "records"}
        self.drive_items: dict[tuple[str, str], dict] = {}
        self.form: dict | None = None                   # the Forms workbook's state (see add_form_response)
        if seed:
            self.load_seed()

    # --- state ---------------------------------------------------------------------------------
    def load_seed(self, folder: Path = FIXTURES) -> None:
        def load(name: str) -> dict:
            return json.loads((folder / name).read_text(encoding="utf-8"))

        for user in load("users.json")["users"]:
            self.add_user(user["id"], user["displayName"], user["mail"], user.get("userPrincipalName"))
        for meeting in load("online_meetings.json")["meetings"]:
            _, meeting_id, _ = self.add_online_meeting(meeting["organiser"], meeting["subject"], meeting["start"],
                                                       meeting["end"], event_id=meeting["event_id"],
                                                       thread=meeting["thread"])
            for report in meeting["reports"]:
                report_id = self.add_attendance_report(meeting_id, report["start"], report["end"],
                                                       report_id=report["id"])
                for record in report["records"]:
                    identity = record["identity"]
                    tenant = self.tenant_id if identity["tenantId"] == "home" else identity["tenantId"]
                    self.add_attendance_record(report_id, record["emailAddress"], identity["displayName"],
                                               record["role"], [tuple(i) for i in record["attendanceIntervals"]],
                                               tenant_id=tenant, user_id=identity["id"])
        for event in load("calendar_events.json")["events"]:
            self.add_calendar_event(event["organiser"], event["subject"], event["start"], event["end"],
                                    event_id=event["id"])
        form = load("forms.json")
        self.add_form_workbook(form["drive_id"], form["item_id"], form["name"], form["questions"],
                               created=form["created"], etag_guid=form["etag_guid"])
        for response in form["responses"]:
            self.add_form_response(response["email"], response["name"], response["answers"], response["start"],
                                   response["completion"])

    def add_user(self, user_id: str, display_name: str, mail: str, user_principal_name: str | None = None) -> str:
        with self.lock:
            self.users[user_id] = {"id": user_id, "displayName": display_name, "mail": mail,
                                   "userPrincipalName": user_principal_name or mail}
        return user_id

    def add_calendar_event(self, organiser_id: str, subject: str, start: str | datetime, end: str | datetime,
                           event_id: str | None = None, join_url: str | None = None) -> str:
        """A calendar event of the organiser (an online meeting when ``join_url`` is given)."""
        organiser = self.users[organiser_id]
        event_id = event_id or "AAMkAG" + secrets.token_hex(30)
        with self.lock:
            self.events.append({"id": event_id, "organiser": organiser["id"], "subject": subject,
                                "start": parse_time(start), "end": parse_time(end), "join_url": join_url})
        return event_id

    def add_online_meeting(self, organiser_id: str, subject: str, start: str | datetime, end: str | datetime,
                           event_id: str | None = None, thread: str | None = None) -> tuple[str, str, str]:
        """A Teams meeting: the organiser's calendar event and its onlineMeeting.

        Returns (event id, online meeting id, join URL)."""
        organiser = self.users[organiser_id]
        if thread is None:
            thread = b64encode(str(uuidlib.uuid4()).encode()).decode().rstrip("=")
        thread_id = f"19:meeting_{thread}@thread.v2"
        meeting_id = b64encode(f"1*{organiser['id']}*0**{thread_id}".encode()).decode()
        # As Teams writes it: the thread id and the context JSON percent-encoded, lower-case hex.
        join_url = (f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"
                    f"?context=%7b%22Tid%22%3a%22{self.tenant_id}%22%2c%22Oid%22%3a%22{organiser['id']}%22%7d")
        event_id = self.add_calendar_event(organiser_id, subject, start, end, event_id=event_id, join_url=join_url)
        with self.lock:
            self.online_meetings[meeting_id] = {
                "id": meeting_id, "organiser": organiser["id"], "subject": subject, "start": parse_time(start),
                "end": parse_time(end), "created": parse_time(start) - timedelta(days=7), "join_url": join_url,
                "thread_id": thread_id, "event_id": event_id}
        return event_id, meeting_id, join_url

    def add_attendance_report(self, meeting_id: str, start: str | datetime, end: str | datetime,
                              report_id: str | None = None) -> str:
        if meeting_id not in self.online_meetings:
            raise KeyError(f"no online meeting {meeting_id}")
        report_id = report_id or str(uuidlib.uuid4())
        with self.lock:
            self.reports[report_id] = {"id": report_id, "meeting_id": meeting_id, "start": parse_time(start),
                                       "end": parse_time(end), "records": []}
        return report_id

    def add_attendance_record(self, report_id: str, email: str | None, display_name: str, role: str,
                              intervals: list[tuple[str | datetime, str | datetime]],
                              tenant_id: str | None = None, user_id: str | None = None) -> str:
        """One person's attendance in a report: every (join, leave) interval. Returns the record id."""
        report = self.reports[report_id]
        user_id = user_id or str(uuidlib.uuid4())
        spans = [(parse_time(join), parse_time(leave)) for join, leave in intervals]
        with self.lock:
            report["records"].append({"id": user_id, "emailAddress": email, "role": role,
                                      "identity": {"id": user_id, "displayName": display_name,
                                                   "tenantId": tenant_id or self.tenant_id},
                                      "intervals": spans})
        return user_id

    def add_form_workbook(self, drive_id: str, item_id: str, name: str, questions: list[str],
                          created: str | datetime = "2026-03-02T09:00:00Z", etag_guid: str | None = None) -> None:
        """The drive item holding the Forms response workbook (no responses yet)."""
        with self.lock:
            self.form = {"drive_id": drive_id, "item_id": item_id, "name": name, "questions": list(questions),
                         "responses": [], "created": parse_time(created), "modified": parse_time(created),
                         "guid": etag_guid or str(uuidlib.uuid4()).upper(), "version": 1}
            self.drive_items[(drive_id, item_id)] = self.form
            self._render_workbook()

    def add_form_response(self, email: str, name: str, answers: list | dict, start_time: str | datetime,
                          completion_time: str | datetime) -> int:
        """A submitted response: the workbook gains a row, its eTag/cTag version and lastModifiedDateTime move on.

        ``answers`` is a list in question order, or a dict by question text. Times are local, without
        an offset, as Forms writes them. Returns the response's ID (1, 2, 3 ...)."""
        form = self.form
        if form is None:
            raise RuntimeError("add_form_workbook() first")
        if isinstance(answers, dict):
            answers = [answers.get(question) for question in form["questions"]]
        with self.lock:
            number = len(form["responses"]) + 1
            start, completed = (datetime.fromisoformat(str(t)).replace(tzinfo=None)
                                for t in (start_time, completion_time))
            form["responses"].append([number, start, completed, email, name, *answers])
            modified = completed.replace(tzinfo=UTC)
            form["modified"] = max(modified, form["modified"] + timedelta(seconds=1))
            form["version"] += 1
            self._render_workbook()
        return number

    def form_workbook(self) -> bytes:
        assert self.form is not None
        return self.form["content"]

    def _render_workbook(self) -> None:
        form = self.form
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Form1"
        sheet.append([*FORMS_METADATA, *form["questions"]])
        for row in form["responses"]:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        form["content"] = _without_clock(buffer.getvalue())

    def issue_token(self) -> str:
        """A valid access token without the token round trip (for tests of the API alone)."""
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = {"expires": self.now() + TOKEN_LIFETIME, "roles": list(self.roles),
                                  "expired": False}
        return token

    def expire_tokens(self) -> None:
        """Every token issued so far is expired (401 InvalidAuthenticationToken); fetch a new one."""
        with self.lock:
            for record in self.tokens.values():
                record["expired"] = True

    def throttle(self, path_prefix: str = "/v1.0/", retry_after: int = 1, *, times: int = 1) -> None:
        """The next ``times`` matching requests get 429 Too Many Requests with ``Retry-After``."""
        self.fail(path_prefix, 429, self._error("TooManyRequests", "Too many requests."),
                  {"Retry-After": str(retry_after)}, times=times)

    def unavailable(self, path_prefix: str = "/v1.0/", status: int = 503, retry_after: int | None = None, *,
                    times: int = 1, delay: float = 0.0) -> None:
        """The next ``times`` matching requests get 503 ServiceUnavailable or 504 GatewayTimeout."""
        code, message = {503: ("ServiceUnavailable", "Service Unavailable"),
                         504: ("GatewayTimeout", "Gateway Timeout")}[status]
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail(path_prefix, status, self._error(code, message), headers, times=times, delay=delay)

    def now(self) -> float:
        return datetime.now(UTC).timestamp() + self.clock_offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += seconds

    # --- HTTP ----------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        if match := re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", path):
            return self._token(request, match.group(1))
        if match := re.fullmatch(r"/download/([^/]+)/([^/]+)", path):
            return self._download(request, match.group(1), match.group(2))
        if not path.startswith("/v1.0/"):
            return Response(404, self._error("BadRequest", f"Invalid version: {path.split('/')[1]}"))
        roles, denied = self._authorise(request)
        if denied is not None:
            return denied
        if request.method != "GET":
            return Response(405, self._error("Request_BadRequest", "Specified HTTP method is not allowed."))
        if match := re.fullmatch(r"/v1\.0/users/([^/]+)/calendarView", path):
            return self._calendar_view(request, roles, match.group(1))
        if match := re.fullmatch(r"/v1\.0/users/([^/]+)/onlineMeetings(?:/([^/]+))?", path):
            return self._online_meetings(request, roles, match.group(1), match.group(2))
        if match := re.fullmatch(r"/v1\.0/users/([^/]+)/onlineMeetings/([^/]+)/attendanceReports", path):
            return self._reports(request, roles, match.group(1), match.group(2))
        if match := re.fullmatch(
                r"/v1\.0/users/([^/]+)/onlineMeetings/([^/]+)/attendanceReports/([^/]+)/attendanceRecords", path):
            return self._records(request, roles, *match.groups())
        if match := re.fullmatch(r"/v1\.0/drives/([^/]+)/items/([^/]+)(/content)?", path):
            return self._drive_item(request, roles, *match.groups())
        return Response(400, self._error("BadRequest", f"Resource not found for the segment '{path.split('/')[-1]}'."))

    def _error(self, code: str, message: str, request: Request | None = None) -> dict:
        request_id = str(uuidlib.uuid4())
        client_id = request.header("client-request-id") if request is not None else ""
        return {"error": {"code": code, "message": message, "innerError": {
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": request_id,
            "client-request-id": client_id or request_id}}}

    def _aad_error(self, status: int, error: str, code: int, description: str) -> Response:
        trace, correlation = str(uuidlib.uuid4()), str(uuidlib.uuid4())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return Response(status, {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
                                 f"Timestamp: {stamp}",
            "error_codes": [code], "timestamp": stamp, "trace_id": trace, "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}"})

    def _token(self, request: Request, tenant: str) -> Response:
        if request.method != "POST":
            return self._aad_error(400, "invalid_request", 900561,
                                   "The endpoint only accepts POST, OPTIONS requests. Received a GET request.")
        form = request.form() if request.body else {}
        if tenant != self.tenant_id:
            return self._aad_error(400, "invalid_request", 90002,
                                   f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                                   "and are signing into the correct cloud.")
        if form.get("grant_type") != "client_credentials":
            return self._aad_error(400, "unsupported_grant_type", 70003,
                                   "The app requested an unsupported grant type "
                                   f"'{form.get('grant_type', '')}'.")
        if form.get("client_id") != self.client_id:
            return self._aad_error(400, "unauthorized_client", 700016,
                                   f"Application with identifier '{form.get('client_id', '')}' was not found in the "
                                   f"directory '{self.tenant_id}'.")
        if form.get("client_secret") != self.client_secret:
            return self._aad_error(401, "invalid_client", 7000215,
                                   "Invalid client secret provided. Ensure the secret being sent in the request is "
                                   "the client secret value, not the client secret ID, for a secret added to app "
                                   f"'{self.client_id}'.")
        scope = form.get("scope", "")
        if not scope:
            return self._aad_error(400, "invalid_request", 900144,
                                   "The request body must contain the following parameter: 'scope'.")
        if scope != GRAPH_SCOPE:
            return self._aad_error(400, "invalid_scope", 1002012,
                                   f"The provided value for scope {scope} is not valid. Client credential flows "
                                   "must have a scope value with /.default suffixed to the resource identifier "
                                   "(application ID URI).")
        return Response(200, {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "ext_expires_in": TOKEN_LIFETIME,
                              "access_token": self.issue_token()})

    def _authorise(self, request: Request) -> tuple[list[str], Response | None]:
        scheme, _, token = request.header("Authorization").partition(" ")
        if not token:
            return [], Response(401, self._error("InvalidAuthenticationToken", "Access token is empty.", request))
        record = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if record is None:
            return [], Response(401, self._error("InvalidAuthenticationToken",
                                                 "IDX14100: JWT is not well formed, there are no dots (.).", request))
        if record["expired"] or record["expires"] <= self.now():
            return [], Response(401, self._error("InvalidAuthenticationToken",
                                                 "Lifetime validation failed, the token is expired.", request))
        return record["roles"], None

    def _user(self, key: str) -> dict | None:
        key = unquote(key)
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u["userPrincipalName"].lower() == key.lower()), None)

    def _teams_access(self, request: Request, roles: list[str], user_key: str,
                      needed: tuple[str, ...]) -> tuple[dict | None, Response | None]:
        """The organiser, or the 403/404 Graph gives a cloud-communications request it refuses."""
        if not set(needed) & set(roles):
            message = (f"Missing role permissions on the request. API requires one of '{', '.join(needed)}'. "
                       f"Roles on the request '{', '.join(roles)}'.")
            return None, Response(403, self._error("Forbidden", message, request))
        user = self._user(user_key)
        if user is None:
            return None, Response(404, self._error("NotFound", f"User '{unquote(user_key)}' was not found.", request))
        policy = self.access_policy_users
        if policy is not None and user["id"] not in policy and user["userPrincipalName"] not in policy:
            return None, Response(403, self._error("Forbidden", "No application access policy found for this app.",
                                                   request))
        return user, None

    def _meeting_of(self, request: Request, user: dict, meeting_id: str) -> tuple[dict | None, Response | None]:
        meeting = self.online_meetings.get(unquote(meeting_id))
        if meeting is None or meeting["organiser"] != user["id"]:
            return None, Response(404, self._error("NotFound", "The requested resource was not found.", request))
        return meeting, None

    def _page(self, request: Request, key: tuple, items: list[dict], context: str, base: str,
              params: dict[str, str]) -> Response:
        try:
            top = int(request.arg("$top") or self.page_size)
        except ValueError:
            return Response(400, self._error("BadRequest", "Invalid $top value.", request))
        size = max(1, min(top, self.page_size))
        offset = 0
        skiptoken = request.arg("$skiptoken")
        with self.lock:
            if skiptoken is not None:
                record = self.skiptokens.get(skiptoken)
                if record is None or record["key"] != key:
                    return Response(400, self._error("BadRequest", "The $skiptoken is invalid.", request))
                offset = record["offset"]
            body: dict = {"@odata.context": context, "value": items[offset:offset + size]}
            if offset + size < len(items):
                token = secrets.token_urlsafe(24)
                self.skiptokens[token] = {"key": key, "offset": offset + size}
                query = urlencode({**params, "$skiptoken": token}, quote_via=quote, safe="$")
                body["@odata.nextLink"] = f"{self.url}{base}?{query}"
        return Response(200, body)

    def _calendar_view(self, request: Request, roles: list[str], user_key: str) -> Response:
        if not set(CALENDAR_ROLES) & set(roles):
            return Response(403, self._error("ErrorAccessDenied", "Access is denied. Check credentials and try again.",
                                             request))
        user = self._user(user_key)
        if user is None:
            message = f"The requested user '{unquote(user_key)}' is invalid."
            return Response(404, self._error("ErrorInvalidUser", message, request))
        try:
            window = [parse_time(request.arg(name) or "") for name in ("startDateTime", "endDateTime")]
        except ValueError:
            return Response(400, self._error(
                "ErrorInvalidParameter", "This request requires a time window specified by the query string "
                "parameters StartDateTime and EndDateTime.", request))
        found = sorted((e for e in self.events if e["organiser"] == user["id"]
                        and e["start"] < window[1] and e["end"] > window[0]), key=lambda e: (e["start"], e["id"]))
        select = [s.strip() for s in (request.arg("$select") or "").split(",") if s.strip()]
        items = [self._event_json(e, user, select) for e in found]
        params = {"startDateTime": request.arg("startDateTime") or "", "endDateTime": request.arg("endDateTime") or ""}
        for name in ("$select", "$top"):
            if request.arg(name):
                params[name] = request.arg(name) or ""
        base = f"/v1.0/users/{quote(unquote(user_key), safe='@')}/calendarView"
        context = f"{self.url}/v1.0/$metadata#users('{user['id']}')/calendarView"
        if select:
            context += f"({','.join(select)})"
        return self._page(request, ("calendarView", user["id"], *params.values()), items, context, base, params)

    def _event_json(self, event: dict, user: dict, select: list[str]) -> dict:
        online = event["join_url"] is not None
        whole = {"@odata.etag": 'W/"' + hashlib.sha1(event["id"].encode()).hexdigest()[:20] + '"',  # noqa: S324
                 "id": event["id"], "subject": event["subject"], "start": event_time(event["start"]),
                 "end": event_time(event["end"]), "isOnlineMeeting": online,
                 "onlineMeetingProvider": "teamsForBusiness" if online else "unknown",
                 "onlineMeeting": {"joinUrl": event["join_url"]} if online else None,
                 "organizer": {"emailAddress": {"name": user["displayName"], "address": user["mail"]}}}
        if not select:
            return whole
        return {k: v for k, v in whole.items() if k in ("@odata.etag", "id") or k in select}

    def _online_meetings(self, request: Request, roles: list[str], user_key: str, meeting_id: str | None) -> Response:
        user, denied = self._teams_access(request, roles, user_key, MEETING_ROLES)
        if denied is not None:
            return denied
        context = f"{self.url}/v1.0/$metadata#users('{user['id']}')/onlineMeetings"
        if meeting_id is not None:
            meeting, missing = self._meeting_of(request, user, meeting_id)
            if missing is not None:
                return missing
            return Response(200, {"@odata.context": context + "/$entity", **self._meeting_json(meeting)})
        expression = request.arg("$filter")
        match = re.fullmatch(r"\s*JoinWebUrl\s+eq\s+'(.*)'\s*", expression or "", flags=re.IGNORECASE | re.DOTALL)
        if match is None:
            return Response(400, self._error(
                "BadRequest", "Filter expression expected - /onlineMeetings?$filter=JoinWebUrl eq 'joinWebUrl'.",
                request))
        wanted = _unquote_fully(match.group(1).replace("''", "'"))
        found = [m for m in self.online_meetings.values()
                 if m["organiser"] == user["id"] and _unquote_fully(m["join_url"]) == wanted]
        return Response(200, {"@odata.context": context, "value": [self._meeting_json(m) for m in found]})

    def _meeting_json(self, meeting: dict) -> dict:
        organiser = self.users[meeting["organiser"]]
        return {"id": meeting["id"], "creationDateTime": graph_time(meeting["created"]),
                "startDateTime": graph_time(meeting["start"]), "endDateTime": graph_time(meeting["end"]),
                "joinWebUrl": meeting["join_url"], "subject": meeting["subject"],
                "chatInfo": {"threadId": meeting["thread_id"], "messageId": "0", "replyChainMessageId": None},
                "participants": {
                    "organizer": {"upn": organiser["userPrincipalName"], "role": "presenter",
                                  "identity": {"user": {"id": organiser["id"], "displayName": None,
                                                        "tenantId": self.tenant_id,
                                                        "identityProvider": "AAD"}}},
                    "attendees": []}}

    def _reports(self, request: Request, roles: list[str], user_key: str, meeting_id: str) -> Response:
        user, denied = self._teams_access(request, roles, user_key, ARTIFACT_ROLES)
        if denied is not None:
            return denied
        meeting, missing = self._meeting_of(request, user, meeting_id)
        if missing is not None:
            return missing
        reports = sorted((r for r in self.reports.values() if r["meeting_id"] == meeting["id"]),
                         key=lambda r: r["start"], reverse=True)[:REPORT_LIMIT]
        context = (f"{self.url}/v1.0/$metadata#users('{user['id']}')/onlineMeetings('{meeting['id']}')"
                   "/attendanceReports")
        return Response(200, {"@odata.context": context, "value": [
            {"id": r["id"], "totalParticipantCount": len(r["records"]),
             "meetingStartDateTime": graph_time(r["start"]), "meetingEndDateTime": graph_time(r["end"])}
            for r in reports]})

    def _records(self, request: Request, roles: list[str], user_key: str, meeting_id: str, report_id: str) -> Response:
        user, denied = self._teams_access(request, roles, user_key, ARTIFACT_ROLES)
        if denied is not None:
            return denied
        meeting, missing = self._meeting_of(request, user, meeting_id)
        if missing is not None:
            return missing
        report = self.reports.get(unquote(report_id))
        if report is None or report["meeting_id"] != meeting["id"]:
            return Response(404, self._error("NotFound", "The requested resource was not found.", request))
        items = [self._record_json(r) for r in report["records"]]
        base = (f"/v1.0/users/{quote(unquote(user_key), safe='@')}/onlineMeetings/{quote(meeting['id'], safe='=')}"
                f"/attendanceReports/{report['id']}/attendanceRecords")
        context = (f"{self.url}/v1.0/$metadata#users('{user['id']}')/onlineMeetings('{meeting['id']}')"
                   f"/attendanceReports('{report['id']}')/attendanceRecords")
        params = {"$top": request.arg("$top") or ""} if request.arg("$top") else {}
        return self._page(request, ("records", report["id"], *params.values()), items, context, base, params)

    @staticmethod
    def _record_json(record: dict) -> dict:
        intervals = [{"joinDateTime": graph_time(join), "leaveDateTime": graph_time(leave),
                      "durationInSeconds": int((leave - join).total_seconds())} for join, leave in record["intervals"]]
        return {"id": record["id"], "emailAddress": record["emailAddress"],
                "totalAttendanceInSeconds": sum(i["durationInSeconds"] for i in intervals), "role": record["role"],
                "identity": dict(record["identity"]), "attendanceIntervals": intervals}

    def _drive_item(self, request: Request, roles: list[str], drive_id: str, item_id: str,
                    content: str | None) -> Response:
        if not set(FILE_ROLES) & set(roles):
            return Response(403, self._error("accessDenied", "Access denied", request))
        item = self.drive_items.get((unquote(drive_id), unquote(item_id)))
        if item is None:
            return Response(404, self._error("itemNotFound", "The resource could not be found.", request))
        if content:
            if not self.content_redirect:
                return Response(200, item["content"], {"Content-Type": XLSX, "ETag": self._etag(item)})
            return Response(302, b"", {"Location": self._download_url(item)})
        return Response(200, self._item_json(item))

    def _download_url(self, item: dict) -> str:
        tempauth = secrets.token_urlsafe(32)
        with self.lock:
            self.downloads[tempauth] = (item["drive_id"], item["item_id"])
        return f"{self.url}/download/{quote(item['drive_id'], safe='')}/{item['item_id']}?tempauth={tempauth}"

    def _download(self, request: Request, drive_id: str, item_id: str) -> Response:
        target = self.downloads.get(request.arg("tempauth") or "")
        if target != (unquote(drive_id), unquote(item_id)):
            return Response(401, {"error": {"code": "unauthenticated", "message": "Invalid or expired tempauth."}})
        item = self.drive_items[target]
        return Response(200, item["content"], {"Content-Type": XLSX, "ETag": self._etag(item)})

    @staticmethod
    def _etag(item: dict) -> str:
        return f'"{{{item["guid"]}}},{item["version"]}"'

    def _item_json(self, item: dict) -> dict:
        digest = b64encode(hashlib.sha256(item["content"]).digest()).decode()
        return {"@odata.context": f"{self.url}/v1.0/$metadata#drives('{item['drive_id']}')/items/$entity",
                "@microsoft.graph.downloadUrl": self._download_url(item),
                "createdDateTime": graph_time(item["created"]), "eTag": self._etag(item),
                "id": item["item_id"], "lastModifiedDateTime": graph_time(item["modified"]), "name": item["name"],
                "webUrl": f"https://northcare-my.sharepoint.example/personal/forms/{quote(item['name'])}",
                "cTag": f'"c:{{{item["guid"]}}},{item["version"]}"', "size": len(item["content"]),
                "parentReference": {"driveType": "business", "driveId": item["drive_id"]},
                "file": {"mimeType": XLSX, "hashes": {"quickXorHash": digest[:28]}},
                "fileSystemInfo": {"createdDateTime": graph_time(item["created"]),
                                   "lastModifiedDateTime": graph_time(item["modified"])}}


def _without_clock(content: bytes) -> bytes:
    """The same workbook without the time it was saved, so the same responses give the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-03-02T09:00:00Z", data)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 3, 2, 9, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()

