"""The loopback Zoom and Microsoft Graph servers behave as the vendors document (tests/vendor_apis/).

The pullers are tested against these servers, so the servers themselves are checked here over real
HTTP with httpx: tokens issued and refused, expiry, every pagination walking every item once, page
tokens expiring, Zoom's double-encoded UUIDs, Graph's permission errors, and the Forms workbook the
Graph drive serves parsing with netpulse's own Forms parser.
"""

from __future__ import annotations

import base64
from collections import Counter
from urllib.parse import quote, unquote

import httpx
import pytest

from netpulse.config.instruments import default_instrument
from netpulse.ingest.vendors import ParseOptions, msforms
from tests.vendor_apis.graph import GRAPH_SCOPE, GraphApi
from tests.vendor_apis.zoom import ZoomApi

ACCOUNT, ZOOM_CLIENT, ZOOM_SECRET = "Ac9xQw2ERt5yUi8oPa3sDf", "nP4kLm7QrS2tUv9wXy1zAb", "s3cr3t-zoom-client-value"
HELEN, TOMASZ = "z8Kq3LmNQvO1rT5sUw7yXa", "pR4tY6uI8oP0aS2dF4gH6j"
SLASH_FIRST, DOUBLE_SLASH = "/pA8sLw3RkiBq5mZ0vXoHg==", "Kq2V//mTRGu7c4x+9aPbDw=="
MONTHS = [("2026-03-01", "2026-03-31"), ("2026-04-01", "2026-04-30"), ("2026-05-01", "2026-05-31")]

TENANT, GRAPH_CLIENT = "5f0c2d8e-7a41-4b6e-9d3a-2c81f4e6a901", "b2e4c6a8-1d3f-4e5a-8b7c-9d0e1f2a3b4c"
GRAPH_SECRET = "Gq8~app.secret"  # noqa: S105 -- what the loopback server accepts, not a secret
RACHEL, IMRAN = "3c9e1f4a-6b2d-4e8f-a1c3-5d7e9f0b2a4c", "7a1b3c5d-9e2f-4a6b-8c0d-1e3f5a7b9c2d"
WINDOW = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-06-01T00:00:00Z"}


# -- Zoom --------------------------------------------------------------------------------------

@pytest.fixture
def zoom():
    with ZoomApi(ACCOUNT, ZOOM_CLIENT, ZOOM_SECRET) as api, httpx.Client(base_url=api.url, timeout=5) as client:
        yield api, client


def zoom_token(client: httpx.Client, account: str = ACCOUNT, secret: str = ZOOM_SECRET) -> httpx.Response:
    return client.post("/oauth/token", params={"grant_type": "account_credentials", "account_id": account},
                       auth=(ZOOM_CLIENT, secret))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def zoom_walk(client: httpx.Client, path: str, key: str, token: str, **params) -> tuple[list[dict], int]:
    """Every item of a Zoom list, following next_page_token; and the number of pages."""
    items, pages, following = [], 0, ""
    while True:
        answer = client.get(path, params={**params, "next_page_token": following}, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body[key]
        pages += 1
        following = body["next_page_token"]
        if not following:
            assert body["page_count"] == pages or body["total_records"] == 0
            return items, pages


def twice(uuid: str) -> str:
    return quote(quote(uuid, safe=""), safe="")


def test_zoom_issues_a_token_for_the_account_credentials_and_says_where_the_api_is(zoom):
    api, client = zoom
    answer = zoom_token(client)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["token_type"], body["expires_in"], body["api_url"]) == ("bearer", 3600, api.url)
    assert "report:read:admin" in body["scope"].split()
    assert client.get(f"/v2/report/users/{HELEN}/meetings", params={"from": "2026-03-01", "to": "2026-03-31"},
                      headers=bearer(body["access_token"])).status_code == 200
    basic = base64.b64encode(f"{ZOOM_CLIENT}:{ZOOM_SECRET}".encode()).decode()
    form = client.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": ACCOUNT},
                       headers={"Authorization": f"Basic {basic}"})
    assert form.status_code == 200


def test_zoom_refuses_wrong_credentials_account_and_grant(zoom):
    _, client = zoom
    wrong = zoom_token(client, secret=ZOOM_SECRET + "-old")
    assert (wrong.status_code, wrong.json()) == (400, {"reason": "Invalid client_id or client_secret",
                                                       "error": "invalid_client"})
    assert client.post("/oauth/token", params={"grant_type": "account_credentials", "account_id": ACCOUNT}
                       ).status_code == 400
    account = zoom_token(client, account="SomeOtherAccount")
    assert account.status_code == 400 and account.json()["error"] == "invalid_request"
    grant = client.post("/oauth/token", params={"grant_type": "client_credentials", "account_id": ACCOUNT},
                        auth=(ZOOM_CLIENT, ZOOM_SECRET))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_zoom_expired_and_unknown_tokens_get_401_code_124_and_a_new_token_works(zoom):
    api, client = zoom
    path, params = f"/v2/report/users/{HELEN}/meetings", {"from": "2026-03-01", "to": "2026-03-31"}
    token = zoom_token(client).json()["access_token"]
    api.expire_tokens()
    expired = client.get(path, params=params, headers=bearer(token))
    assert expired.status_code == 401 and expired.json()["code"] == 124
    unknown = client.get(path, params=params, headers=bearer("made-up"))
    assert (unknown.status_code, unknown.json()) == (401, {"code": 124, "message": "Invalid access token."})
    assert client.get(path, params=params).status_code == 401
    fresh = zoom_token(client).json()["access_token"]
    assert client.get(path, params=params, headers=bearer(fresh)).status_code == 200
    api.advance(3600)  # the token's lifetime
    assert client.get(path, params=params, headers=bearer(fresh)).json()["code"] == 124


def test_zoom_token_without_the_report_scope_gets_4711(zoom):
    api, client = zoom
    api.scopes = ["meeting:read:admin"]
    token = zoom_token(client).json()["access_token"]
    answer = client.get(f"/v2/report/users/{HELEN}/meetings", params={"from": "2026-03-01", "to": "2026-03-31"},
                        headers=bearer(token))
    assert (answer.status_code, answer.json()) == (400, {
        "code": 4711, "message": "Invalid access token, does not contain scopes:[report:read:admin]."})


def test_zoom_meeting_reports_walk_every_meeting_once_in_documented_shape(zoom):
    api, client = zoom
    api.page_size = 1
    token = api.issue_token()
    seen, pages = [], 0
    for host in (HELEN, "tomasz.nowak@northcare.example"):  # a user id or the e-mail address
        for start, end in MONTHS:
            items, count = zoom_walk(client, f"/v2/report/users/{host}/meetings", "meetings", token,
                                     **{"from": start, "to": end, "page_size": 30, "type": "past"})
            seen += items
            pages += count
    assert len(seen) == 6 and len({m["uuid"] for m in seen}) == 6 and pages == 8  # 1 a page; an empty month is one page
    assert Counter(m["id"] for m in seen)[83215640971] == 2  # the recurring meeting's two instances
    first = next(m for m in seen if m["uuid"] == "4fGh7JkLQ2mN5pR8sT1vWw==")
    assert set(first) == {"uuid", "id", "host_id", "type", "topic", "user_name", "user_email", "start_time",
                          "end_time", "duration", "total_minutes", "participants_count", "source"}
    assert (first["type"], first["duration"], first["participants_count"], first["user_name"]) == (
        8, 62, 6, "Helen Ashworth")
    body = client.get(f"/v2/report/users/{TOMASZ}/meetings", params={"from": "2026-04-01", "to": "2026-04-30"},
                      headers=bearer(token)).json()
    assert (body["from"], body["to"], body["page_size"], body["total_records"], body["page_count"]) == (
        "2026-04-01", "2026-04-30", 1, 2, 2)


def test_zoom_meetings_are_chosen_by_utc_start_date_and_the_range_is_checked(zoom):
    api, client = zoom
    token, path = api.issue_token(), f"/v2/report/users/{TOMASZ}/meetings"

    def topics(start, end):
        return [m["topic"] for m in client.get(path, params={"from": start, "to": end},
                                               headers=bearer(token)).json()["meetings"]]

    assert "Community of practice: frailty" in topics("2026-04-29", "2026-04-29")  # 23:30Z, ends next day
    assert "Community of practice: frailty" not in topics("2026-04-30", "2026-05-29")
    assert client.get(path, params={"from": "2026-03-31", "to": "2026-04-30"}, headers=bearer(token)).status_code == 200
    too_long = client.get(path, params={"from": "2026-03-01", "to": "2026-04-15"}, headers=bearer(token))
    assert too_long.status_code == 400 and too_long.json()["code"] == 300
    missing = client.get(path, params={"to": "2026-04-15"}, headers=bearer(token))
    assert missing.status_code == 400 and missing.json()["code"] == 300
    unknown = client.get("/v2/report/users/nobody@northcare.example/meetings",
                         params={"from": "2026-04-01", "to": "2026-04-30"}, headers=bearer(token))
    assert unknown.status_code == 404 and unknown.json()["code"] == 1001


def test_zoom_participant_reports_walk_every_entry_once(zoom):
    api, client = zoom
    token = api.issue_token()
    entries, rejoins = [], 0
    for meeting in api.meetings:
        items, pages = zoom_walk(client, f"/v2/report/meetings/{twice(meeting['uuid'])}/participants",
                                 "participants", token, page_size=3)
        assert pages == -(-len(meeting["participants"]) // 3)
        entries += items
        joins = Counter(e["id"] or e["name"] for e in items if e["status"] == "in_meeting")
        rejoins += sum(n - 1 for n in joins.values())
    assert len(entries) == 32 and len({e["user_id"] for e in entries}) == 32
    assert Counter(e["status"] for e in entries) == {"in_meeting": 31, "in_waiting_room": 1}
    people = {e["id"] or e["name"] for e in entries}
    assert len(people) == 9 and len({e["user_email"] for e in entries if e["user_email"]}) == 8
    guest = next(e for e in entries if e["name"] == "Chioma (iPhone)")
    assert guest["user_email"] == "" and guest["id"] == ""
    assert set(guest) == {"id", "user_id", "name", "user_email", "join_time", "leave_time", "duration", "failover",
                          "status", "customer_key", "registrant_id", "participant_user_id", "bo_mtg_id"}
    assert rejoins == 4
    amara = next(e for e in entries if e["name"] == "Amara Okafor")
    assert (amara["join_time"], amara["duration"]) == ("2026-03-10T13:01:10Z", 38 * 60 + 55)


def test_zoom_page_tokens_expire_and_belong_to_their_query(zoom):
    api, client = zoom
    api.page_size = 2
    token = api.issue_token()
    path = f"/v2/report/meetings/{twice(DOUBLE_SLASH)}/participants"
    first = client.get(path, headers=bearer(token)).json()["next_page_token"]
    assert first
    other = f"/v2/report/meetings/{quote('bN6cV8xZ0aS2dF4gH6jK8l==', safe='')}/participants"
    elsewhere = client.get(other, params={"next_page_token": first}, headers=bearer(token))
    assert (elsewhere.status_code, elsewhere.json()) == (400, {"code": 300,
                                                               "message": "The next page token is invalid or expired."})
    assert client.get(path, params={"next_page_token": first}, headers=bearer(token)).status_code == 200
    api.expire_page_tokens()
    assert client.get(path, params={"next_page_token": first}, headers=bearer(token)).status_code == 400
    second = client.get(path, headers=bearer(token)).json()["next_page_token"]
    api.advance(api.page_token_lifetime + 1)
    token = api.issue_token()
    assert client.get(path, params={"next_page_token": second}, headers=bearer(token)).json()["code"] == 300
    assert client.get(path, params={"next_page_token": "invented"}, headers=bearer(token)).status_code == 400


def test_zoom_uuids_with_a_leading_or_double_slash_must_be_double_encoded(zoom):
    api, client = zoom
    token = api.issue_token()
    for uuid, entries in ((SLASH_FIRST, 5), (DOUBLE_SLASH, 7)):
        good = client.get(f"/v2/report/meetings/{twice(uuid)}/participants", headers=bearer(token))
        assert good.status_code == 200 and good.json()["total_records"] == entries
        assert quote(quote(uuid, safe=""), safe="") in client.get(
            f"/v2/report/meetings/{twice(uuid)}/participants", headers=bearer(token)).request.url.raw_path.decode()
        once = client.get(f"/v2/report/meetings/{quote(uuid, safe='')}/participants", headers=bearer(token))
        assert once.status_code == 404 and once.json()["code"] == 3001
        assert once.json()["message"].startswith("Meeting does not exist: ")
    middle = api.add_meeting(HELEN, "One slash inside", "2026-05-20T10:00:00Z", "2026-05-20T11:00:00Z",
                             uuid="mS4l/aSh9QkR2vT7wX1yZw==")
    api.add_participant(middle, "Helen Ashworth", "helen.ashworth@northcare.example", "2026-05-20T10:00:00Z",
                        "2026-05-20T11:00:00Z", participant_id=HELEN)
    for encoded in (quote(middle, safe=""), twice(middle)):  # one "/" inside: Zoom takes it either way
        assert client.get(f"/v2/report/meetings/{encoded}/participants", headers=bearer(token)).status_code == 200
    latest = client.get("/v2/report/meetings/83215640971/participants", headers=bearer(token)).json()
    assert latest["total_records"] == 7  # the numeric id is the latest instance (14 April)
    assert client.get("/v2/report/meetings/99999999999/participants", headers=bearer(token)).json()["code"] == 3001


def test_zoom_rate_limit_answers_429_with_retry_after_then_recovers(zoom):
    api, client = zoom
    token = api.issue_token()
    api.rate_limit("/v2/report/", retry_after=2)
    path = f"/v2/report/meetings/{twice(SLASH_FIRST)}/participants"
    limited = client.get(path, headers=bearer(token))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.json() == {"code": 429, "message": "You have reached the maximum per-second rate limit for this "
                                                      "API. Try again later."}
    assert client.get(path, headers=bearer(token)).status_code == 200


# -- Microsoft Graph ---------------------------------------------------------------------------

@pytest.fixture
def graph():
    with GraphApi(TENANT, GRAPH_CLIENT, GRAPH_SECRET, page_size=3) as api, \
            httpx.Client(base_url=api.url, timeout=5) as client:
        yield api, client


def graph_token(client: httpx.Client, secret: str = GRAPH_SECRET, scope: str = GRAPH_SCOPE,
                tenant: str = TENANT) -> httpx.Response:
    return client.post(f"/{tenant}/oauth2/v2.0/token", data={
        "client_id": GRAPH_CLIENT, "client_secret": secret, "scope": scope, "grant_type": "client_credentials"})


def graph_walk(client: httpx.Client, path: str, token: str, **params) -> tuple[list[dict], int]:
    """Every item of a Graph collection, following @odata.nextLink; and the number of pages."""
    items, pages = [], 0
    answer = client.get(path, params=params, headers=bearer(token))
    while True:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["value"]
        pages += 1
        link = body.get("@odata.nextLink")
        if link is None:
            return items, pages
        assert link.startswith(str(client.base_url).rstrip("/")) and "$skiptoken=" in link
        answer = client.get(link, headers=bearer(token))


def teams_records(api: GraphApi, client: httpx.Client, token: str) -> tuple[list[dict], list[dict]]:
    reports, records = [], []
    for meeting in api.online_meetings.values():
        base = f"/v1.0/users/{meeting['organiser']}/onlineMeetings/{meeting['id']}/attendanceReports"
        found = client.get(base, headers=bearer(token)).json()["value"]
        reports += found
        for report in found:
            records += graph_walk(client, f"{base}/{report['id']}/attendanceRecords", token)[0]
    return reports, records


def test_graph_issues_a_client_credentials_token_and_refuses_a_wrong_secret(graph):
    _, client = graph
    answer = graph_token(client)
    assert answer.status_code == 200
    body = answer.json()
    assert {k: body[k] for k in ("token_type", "expires_in", "ext_expires_in")} == {
        "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599}
    wrong = graph_token(client, secret=GRAPH_SECRET + "-old")
    assert wrong.status_code == 401
    error = wrong.json()
    assert error["error"] == "invalid_client" and error["error_codes"] == [7000215]
    assert error["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= set(error)
    scope = graph_token(client, scope="https://graph.microsoft.com/Calendars.Read")
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    assert graph_token(client, tenant="another-tenant").status_code == 400


def test_graph_expired_token_gets_the_documented_401(graph):
    api, client = graph
    token = graph_token(client).json()["access_token"]
    api.expire_tokens()
    answer = client.get(f"/v1.0/users/{RACHEL}/calendarView", params=WINDOW, headers=bearer(token))
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Lifetime validation failed, the token is expired."
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    fresh = graph_token(client).json()["access_token"]
    assert client.get(f"/v1.0/users/{RACHEL}/calendarView", params=WINDOW, headers=bearer(fresh)).status_code == 200


def test_graph_calendar_view_walks_every_event_once_through_next_links(graph):
    api, client = graph
    token = api.issue_token()
    rachel, pages = graph_walk(client, f"/v1.0/users/{RACHEL}/calendarView", token, **WINDOW, **{"$top": "50"})
    assert (len(rachel), pages) == (4, 2)  # server-driven paging: 3 a page, whatever $top asks
    imran, _ = graph_walk(client, "/v1.0/users/imran.qureshi@northcare.example/calendarView", token, **WINDOW)
    events = rachel + imran
    assert len({e["id"] for e in events}) == 6
    assert sum(e["isOnlineMeeting"] for e in events) == 5
    offline = next(e for e in events if not e["isOnlineMeeting"])
    assert offline["onlineMeeting"] is None and offline["onlineMeetingProvider"] == "unknown"
    online = next(e for e in events if e["isOnlineMeeting"])
    assert online["onlineMeetingProvider"] == "teamsForBusiness"
    assert online["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/l/meetup-join/19%3ameeting_")
    assert online["start"] == {"dateTime": "2026-03-11T10:00:00.0000000", "timeZone": "UTC"}
    selected, _ = graph_walk(client, f"/v1.0/users/{RACHEL}/calendarView", token, **WINDOW,
                             **{"$select": "subject,start,end"})
    assert set(selected[0]) == {"@odata.etag", "id", "subject", "start", "end"}
    april = client.get(f"/v1.0/users/{RACHEL}/calendarView", headers=bearer(token), params={
        "startDateTime": "2026-04-01T00:00:00Z", "endDateTime": "2026-05-01T00:00:00Z"}).json()["value"]
    assert [e["subject"] for e in april] == ["Network planning (in person, Leeds)"]


def test_graph_online_meeting_is_found_by_its_join_url_however_it_is_encoded(graph):
    api, client = graph
    token = api.issue_token()
    meeting = next(iter(api.online_meetings.values()))
    for url in (meeting["join_url"], unquote(meeting["join_url"])):  # as Graph gave it, or decoded
        answer = client.get(f"/v1.0/users/{RACHEL}/onlineMeetings", headers=bearer(token),
                            params={"$filter": f"JoinWebUrl eq '{url}'"})
        assert answer.status_code == 200
        assert [m["id"] for m in answer.json()["value"]] == [meeting["id"]]
    found = answer.json()["value"][0]
    assert {"id", "subject", "startDateTime", "endDateTime", "joinWebUrl", "participants"} <= set(found)
    none = client.get(f"/v1.0/users/{RACHEL}/onlineMeetings", headers=bearer(token),
                      params={"$filter": "JoinWebUrl eq 'https://teams.microsoft.com/l/meetup-join/nothing'"})
    assert none.json()["value"] == []
    assert client.get(f"/v1.0/users/{RACHEL}/onlineMeetings", headers=bearer(token)).status_code == 400


def test_graph_attendance_reports_and_records_walk_every_record_once(graph):
    api, client = graph
    reports, records = teams_records(api, client, api.issue_token())
    assert len(reports) == 6 and len(records) == 25
    assert sum(len(r["attendanceIntervals"]) for r in records) == 31
    assert len({r["identity"]["id"] for r in records}) == 8
    assert Counter(r["role"] for r in records) == {"Organizer": 6, "Presenter": 5, "Attendee": 14}
    guests = [r for r in records if r["identity"]["displayName"].endswith(" (Guest)")]
    assert len(guests) == 2 and all(g["identity"]["tenantId"] != TENANT for g in guests)
    seun = next(r for r in records if r["emailAddress"] == "seun.adeyemi@northcare.example"
                and len(r["attendanceIntervals"]) == 3)
    assert seun["totalAttendanceInSeconds"] == sum(i["durationInSeconds"] for i in seun["attendanceIntervals"])
    assert seun["totalAttendanceInSeconds"] == 17 * 60 + 18 * 60 + 18 * 60 + 30
    restarted = next(m for m in api.online_meetings.values() if m["subject"].startswith("Discharge"))
    two = client.get(f"/v1.0/users/{RACHEL}/onlineMeetings/{restarted['id']}/attendanceReports",
                     headers=bearer(api.issue_token())).json()["value"]
    assert [r["meetingStartDateTime"] for r in two] == ["2026-03-25T14:25:00Z", "2026-03-25T14:00:00Z"]
    assert [r["totalParticipantCount"] for r in two] == [4, 3]


def test_graph_lists_at_most_the_50_most_recent_reports(graph):
    api, client = graph
    _, meeting_id, _ = api.add_online_meeting(IMRAN, "Weekly huddle", "2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z")
    for day in range(55):
        api.add_attendance_report(meeting_id, f"2026-03-02T09:{day:02d}:00Z", f"2026-03-02T10:{day:02d}:00Z")
    answer = client.get(f"/v1.0/users/{IMRAN}/onlineMeetings/{meeting_id}/attendanceReports",
                        headers=bearer(api.issue_token())).json()
    assert len(answer["value"]) == 50 and "@odata.nextLink" not in answer
    assert answer["value"][0]["meetingStartDateTime"] == "2026-03-02T09:54:00Z"
    assert answer["value"][-1]["meetingStartDateTime"] == "2026-03-02T09:05:00Z"


def test_graph_permission_and_access_policy_errors(graph):
    api, client = graph
    meeting = next(m for m in api.online_meetings.values() if m["organiser"] == IMRAN)
    reports = f"/v1.0/users/{IMRAN}/onlineMeetings/{meeting['id']}/attendanceReports"
    api.roles = ["Calendars.Read", "OnlineMeetings.Read.All"]
    token = api.issue_token()
    missing = client.get(reports, headers=bearer(token))
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "Forbidden"
    assert "OnlineMeetingArtifact.Read.All" in missing.json()["error"]["message"]
    item = f"/v1.0/drives/{api.form['drive_id']}/items/{api.form['item_id']}"
    assert client.get(item, headers=bearer(token)).status_code == 403
    api.roles = ["OnlineMeetingArtifact.Read.All", "Sites.Read.All"]
    token = api.issue_token()
    calendar = client.get(f"/v1.0/users/{IMRAN}/calendarView", params=WINDOW, headers=bearer(token))
    assert calendar.status_code == 403 and calendar.json()["error"]["code"] == "ErrorAccessDenied"
    lookup = client.get(f"/v1.0/users/{IMRAN}/onlineMeetings", headers=bearer(token),
                        params={"$filter": f"JoinWebUrl eq '{meeting['join_url']}'"})
    assert lookup.status_code == 403
    assert client.get(item, headers=bearer(token)).status_code == 200  # Sites.Read.All reads drive items too
    api.access_policy_users = {RACHEL}
    denied = client.get(reports, headers=bearer(token))
    assert denied.status_code == 403
    assert denied.json()["error"] == {**denied.json()["error"], "code": "Forbidden",
                                      "message": "No application access policy found for this app."}
    rachel = next(m for m in api.online_meetings.values() if m["organiser"] == RACHEL)
    assert client.get(f"/v1.0/users/{RACHEL}/onlineMeetings/{rachel['id']}/attendanceReports",
                      headers=bearer(token)).status_code == 200


def test_graph_drive_serves_a_forms_workbook_that_netpulse_parses(graph):
    api, client = graph
    token = api.issue_token()
    path = f"/v1.0/drives/{api.form['drive_id']}/items/{api.form['item_id']}"
    item = client.get(path, headers=bearer(token)).json()
    assert {"id", "name", "eTag", "cTag", "lastModifiedDateTime", "size", "file"} <= set(item)
    assert item["file"]["mimeType"].endswith("spreadsheetml.sheet")
    redirect = client.get(f"{path}/content", headers=bearer(token))
    assert redirect.status_code == 302
    content = client.get(f"{path}/content", headers=bearer(token), follow_redirects=True).content
    assert len(content) == item["size"] and content == api.form_workbook()
    parsed = msforms.parse(content, ParseOptions(date_order="dmy"), default_instrument())
    assert len(parsed) == 4
    assert [c for c in parsed.columns if c.startswith("q")] == ["q1", "q2", "q3", "q4", "q5", "q6", "q8"]
    assert parsed["email"].tolist()[0] == "megan.hughes@northcare.example"
    assert parsed["q8"].tolist() == ["4", "5", "4", "2"]  # reverse-coded
    assert parsed["submitted_at"].tolist()[0] == "2026-03-18T12:06:45"
    number = api.add_form_response("arjun.mehta@northcare.example", "Arjun Mehta",
                                   {"I know why this network exists.": "Agree"},
                                   "2026-04-27T11:00:00", "2026-04-27T11:03:00")
    after = client.get(path, headers=bearer(token)).json()
    assert number == 5 and after["eTag"] != item["eTag"] and after["cTag"] != item["cTag"]
    assert after["lastModifiedDateTime"] == "2026-04-27T11:03:00Z" > item["lastModifiedDateTime"]
    fresh = client.get(after["@microsoft.graph.downloadUrl"]).content  # pre-authenticated: no token
    assert len(msforms.parse(fresh, ParseOptions(), default_instrument())) == 5


def test_graph_throttling_and_unavailability_are_scripted(graph):
    api, client = graph
    token = api.issue_token()
    path = f"/v1.0/users/{RACHEL}/calendarView"
    api.throttle("/v1.0/users/", retry_after=3)
    api.unavailable("/v1.0/users/", 503, retry_after=1)
    api.unavailable("/v1.0/users/", 504)
    limited = client.get(path, params=WINDOW, headers=bearer(token))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    unavailable = client.get(path, params=WINDOW, headers=bearer(token))
    assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, "ServiceUnavailable")
    timeout = client.get(path, params=WINDOW, headers=bearer(token))
    assert (timeout.status_code, timeout.json()["error"]["code"]) == (504, "GatewayTimeout")
    assert client.get(path, params=WINDOW, headers=bearer(token)).status_code == 200
