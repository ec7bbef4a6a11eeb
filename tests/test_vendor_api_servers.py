"""The loopback vendor API servers (tests/vendor_apis) behave as the vendors document.

The pullers are tested against these servers, so the servers are checked first: pagination walks
every item exactly once, credentials are refused with the vendor's own error bodies, time windows
are exclusive where the vendor says so, scripted 429s carry Retry-After, and what the servers send
parses with netpulse's own vendor parsers.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from netpulse.config.instruments import load_instrument
from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions, discourse, qualtrics, slack
from tests.vendor_apis.discourse import DiscourseApi
from tests.vendor_apis.qualtrics import QualtricsApi
from tests.vendor_apis.slack import DEFAULT_SCOPES, SlackApi

INSTRUMENT = load_instrument(Path(__file__).parent / "fixtures" / "vendors" / "qualtrics" / "instrument.yaml")


# -- Discourse ------------------------------------------------------------------------------------

D_HEADERS = {"Api-Key": "discourse-test-key", "Api-Username": "netpulse_bot"}


# One running server per vendor for the module (stopping one takes half a second); each test gets it
# reseeded, with the constructor's settings back.
@pytest.fixture(scope="module")
def forum_server():
    with DiscourseApi.seeded(page_size=2) as api:
        yield api


@pytest.fixture
def forum(forum_server):
    forum_server.reseed()
    forum_server.page_size, forum_server.print_chunk = 2, 1000
    return forum_server


def walk_latest(api: DiscourseApi, first: str) -> list[dict]:
    topics, path, pages = [], first, 0
    while path:
        body = httpx.get(api.url + path, headers=D_HEADERS).raise_for_status().json()
        assert body["topic_list"]["per_page"] == api.page_size
        topics += body["topic_list"]["topics"]
        more = body["topic_list"].get("more_topics_url")
        path = more.replace("?", ".json?", 1) if more else None
        pages += 1
    assert pages == -(-len(topics) // api.page_size)
    return topics


def test_discourse_seed_counts(forum):
    posts = [p for t in forum.topics.values() for p in t["posts"]]
    assert (len(forum.topics), len(forum.categories), len(posts)) == (5, 2, 16)
    assert sorted(p["post_type"] for p in posts) == [1] * 13 + [2, 3, 4]
    assert len([u for u in forum.users.values() if u["id"] > 0]) == 5


def test_discourse_latest_walks_every_topic_once_pinned_first_then_bumped(forum):
    topics = walk_latest(forum, "/latest.json")
    ids = [t["id"] for t in topics]
    assert ids == [2001, 2005, 2004, 2003, 2002]
    assert topics[0]["pinned"] and not any(t["pinned"] for t in topics[1:])
    bumped = [t["bumped_at"] for t in topics[1:]]
    assert bumped == sorted(bumped, reverse=True)
    assert all(t["bumped_at"] == t["last_posted_at"] for t in topics)

    in_category = walk_latest(forum, "/c/discharge-planning/7/l/latest.json")
    assert [t["id"] for t in in_category] == [2004, 2002]
    assert httpx.get(forum.url + "/c/general/7/l/latest.json", headers=D_HEADERS).status_code == 404


def test_discourse_refuses_a_wrong_key_or_username(forum):
    for headers in ({}, {**D_HEADERS, "Api-Key": "wrong"}, {**D_HEADERS, "Api-Username": "someone"}):
        response = httpx.get(forum.url + "/latest.json", headers=headers)
        assert response.status_code == 403
        assert response.json()["error_type"] == "invalid_access"
    missing = httpx.get(forum.url + "/t/9999.json", headers=D_HEADERS)
    assert (missing.status_code, missing.json()["error_type"]) == (404, "not_found")


def test_discourse_topics_parse_with_netpulse_and_filtering_is_exercised(forum):
    rows = 0
    for topic_id in forum.topics:
        response = httpx.get(f"{forum.url}/t/{topic_id}.json", params={"print": "true"}, headers=D_HEADERS)
        body = response.raise_for_status().json()
        assert body["post_stream"]["stream"] == forum.post_ids(topic_id)
        rows += len(discourse.parse(response.content, ParseOptions()))
    assert rows == 12  # 16 posts less the system post, the whisper, the small action, the moderator action


def test_discourse_topic_sends_20_posts_without_print_and_the_rest_by_post_ids(forum):
    for i in range(22):
        forum.add_reply(2005, "raj.kumar" if i % 2 else "mbello", f"2026-04-{15 + i // 4:02d}T10:{i:02d}:00.000Z",
                        reply_to_post_number=2 if i == 0 else None)
    plain = httpx.get(forum.url + "/t/2005.json", headers=D_HEADERS)
    body = plain.json()
    assert (len(body["post_stream"]["posts"]), len(body["post_stream"]["stream"])) == (20, 24)
    with pytest.raises(DeliveryRejected, match="incomplete"):
        discourse.parse(plain.content, ParseOptions())
    printed = httpx.get(forum.url + "/t/2005.json?print=true", headers=D_HEADERS)
    assert len(discourse.parse(printed.content, ParseOptions())) == 24

    rest = body["post_stream"]["stream"][20:]
    query = "&".join(f"post_ids[]={post_id}" for post_id in rest)
    extra = httpx.get(f"{forum.url}/t/2005/posts.json?{query}", headers=D_HEADERS).json()
    assert extra["id"] == 2005 and [p["id"] for p in extra["post_stream"]["posts"]] == rest

    summary = next(t for t in walk_latest(forum, "/latest.json") if t["id"] == 2005)
    assert (summary["posts_count"], summary["highest_post_number"]) == (24, 24)
    assert summary["last_posted_at"] == "2026-04-20T10:21:00.000Z"


def test_discourse_print_chunk_and_pin(forum):
    forum.print_chunk = 3
    body = httpx.get(forum.url + "/t/2002.json?print=true", headers=D_HEADERS).json()
    assert len(body["post_stream"]["posts"]) == 3
    forum.pin(2003)
    assert [t["id"] for t in walk_latest(forum, "/latest.json")][:2] == [2003, 2001]
    new = forum.add_topic("Virtual ward referrals", "mbello", "2026-05-04T09:00:00.000Z", 7)
    assert new["id"] == 2006
    assert [t["id"] for t in walk_latest(forum, "/latest.json")][:3] == [2003, 2001, 2006]
    body = httpx.get(forum.url + "/t/2006.json", headers=D_HEADERS).json()
    assert (body["posts_count"], body["post_stream"]["posts"][0]["username"]) == (1, "mbello")


def test_discourse_scripted_429(forum):
    forum.rate_limit(seconds=5)
    limited = httpx.get(forum.url + "/latest.json", headers=D_HEADERS)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "5"
    assert limited.json()["extras"] == {"wait_seconds": 5, "time_left": "5 seconds"}
    assert httpx.get(forum.url + "/latest.json", headers=D_HEADERS).status_code == 200
    assert len(forum.calls("/latest.json")) == 2


# -- Slack ------------------------------------------------------------------------------------------

S_HEADERS = {"Authorization": "Bearer xoxb-test-token"}


@pytest.fixture(scope="module")
def workspace_server():
    with SlackApi.seeded(page_size=3) as api:
        yield api


@pytest.fixture
def workspace(workspace_server):
    workspace_server.reseed()
    workspace_server.page_size, workspace_server.scopes = 3, DEFAULT_SCOPES
    return workspace_server


def call(api: SlackApi, method: str, **args) -> dict:
    response = httpx.get(f"{api.url}/api/{method}", params=args, headers=S_HEADERS)
    assert response.status_code == 200
    return response.json()


def walk(api: SlackApi, method: str, key: str, **args) -> list[dict]:
    items, cursor = [], None
    while True:
        body = call(api, method, **args, **({"cursor": cursor} if cursor else {}))
        assert body["ok"], body
        items += body[key]
        cursor = body["response_metadata"]["next_cursor"]
        assert body.get("has_more", bool(cursor)) == bool(cursor)
        if not cursor:
            return items


def test_slack_history_walks_top_level_messages_once_newest_first(workspace):
    messages = walk(workspace, "conversations.history", "messages", channel="C01GEN")
    stamps = [m["ts"] for m in messages]
    assert len(stamps) == len(set(stamps)) == 8
    assert stamps == sorted(stamps, reverse=True)
    assert all(m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast" for m in messages)
    parent = next(m for m in messages if m["ts"] == "1773305000.000300")
    assert (parent["reply_count"], parent["reply_users_count"], parent["latest_reply"]) == (3, 3, "1773307700.000600")
    assert parent["reply_users"] == ["U03MAYA", "U04RAJ", "U02TOM"]
    assert len(walk(workspace, "conversations.history", "messages", channel="C02STEER")) == 4


def test_slack_replies_parent_first_then_replies_in_time_order(workspace):
    thread = walk(workspace, "conversations.replies", "messages", channel="C02STEER", ts="1773310000.000100", limit=2)
    assert [m["ts"] for m in thread] == ["1773310000.000100", "1773311000.000200", "1773312000.000300",
                                         "1773313000.000400"]
    assert all(m["parent_user_id"] == "U01ASHA" for m in thread[1:])
    assert thread[3]["edited"] == {"user": "U01ASHA", "ts": "1773313100.000000"}
    later = call(workspace, "conversations.replies", channel="C02STEER", ts="1773310000.000100",
                 oldest="1773311000.000200")
    assert [m["ts"] for m in later["messages"]] == ["1773310000.000100", "1773312000.000300", "1773313000.000400"]


def test_slack_oldest_and_latest_are_exclusive_unless_inclusive(workspace):
    window = {"channel": "C01GEN", "oldest": "1773300600.000200", "latest": "1773481000.000900", "limit": 10}
    exclusive = [m["ts"] for m in call(workspace, "conversations.history", **window)["messages"]]
    assert exclusive == ["1773400000.000800", "1773390000.000700", "1773305000.000300"]
    inclusive = [m["ts"] for m in call(workspace, "conversations.history", **window, inclusive="true")["messages"]]
    assert inclusive == ["1773481000.000900", *exclusive, "1773300600.000200"]


def test_slack_auth_scopes_and_membership(workspace):
    assert httpx.get(f"{workspace.url}/api/conversations.history", params={"channel": "C01GEN"}).json() == {
        "ok": False, "error": "not_authed"}
    wrong = httpx.post(f"{workspace.url}/api/conversations.history", data={"channel": "C01GEN"},
                       headers={"Authorization": "Bearer xoxb-wrong"})
    assert (wrong.status_code, wrong.json()) == (200, {"ok": False, "error": "invalid_auth"})
    form = httpx.post(f"{workspace.url}/api/conversations.info", data={"channel": "C02STEER"}, headers=S_HEADERS)
    assert form.json()["channel"]["is_private"] is True
    assert call(workspace, "conversations.info", channel="C99")["error"] == "channel_not_found"
    workspace.set_member("C01GEN", False)
    assert call(workspace, "conversations.history", channel="C01GEN")["error"] == "not_in_channel"
    assert call(workspace, "conversations.info", channel="C01GEN")["channel"]["is_member"] is False
    workspace.set_member("C02STEER", False)
    assert call(workspace, "conversations.history", channel="C02STEER")["error"] == "channel_not_found"

    workspace.scopes = ("channels:read", "users:read")
    assert call(workspace, "conversations.history", channel="C01GEN") == {
        "ok": False, "error": "missing_scope", "needed": "channels:history", "provided": "channels:read,users:read"}
    assert "email" not in call(workspace, "users.info", user="U01ASHA")["user"]["profile"]
    workspace.scopes = DEFAULT_SCOPES
    assert call(workspace, "users.info", user="U01ASHA")["user"]["profile"]["email"] == "asha.patel@nhs.example"
    assert call(workspace, "users.info", user="U404")["error"] == "user_not_found"


def test_slack_users_list_walks_every_user_once(workspace):
    members = walk(workspace, "users.list", "members", limit=2)
    assert [u["id"] for u in members] == ["U01ASHA", "U02TOM", "U03MAYA", "U04RAJ", "U05PULSE"]
    assert [u["id"] for u in members if u["is_restricted"]] == ["U04RAJ"]
    assert [u["id"] for u in members if u["is_bot"]] == ["U05PULSE"]


def test_slack_scripted_429_and_a_new_reply_updates_its_parent(workspace):
    workspace.rate_limit(7, "conversations.history")
    limited = httpx.get(f"{workspace.url}/api/conversations.history", params={"channel": "C01GEN"}, headers=S_HEADERS)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert limited.json() == {"ok": False, "error": "ratelimited"}
    workspace.post("C01GEN", "U01ASHA", "1773600000.000100", "Late answer", thread_ts="1773481000.000900")
    workspace.edit("C01GEN", "1773481000.000900", "Has anyone tried the new leaflet?", "1773600100.000000")
    parent = next(m for m in call(workspace, "conversations.history", channel="C01GEN", limit=10)["messages"]
                  if m["ts"] == "1773481000.000900")
    assert (parent["reply_count"], parent["latest_reply"], parent["reply_users"]) == (
        3, "1773600000.000100", ["U01ASHA", "U02TOM"])
    assert parent["edited"]["ts"] == "1773600100.000000"
    workspace.react("C01GEN", "1773481000.000900", "eyes", "U04RAJ")
    thread = call(workspace, "conversations.replies", channel="C01GEN", ts="1773600000.000100", limit=10)["messages"]
    assert thread[0]["reactions"] == [{"name": "eyes", "users": ["U04RAJ"], "count": 1}]
    assert [m["ts"] for m in thread] == ["1773481000.000900", "1773482000.001000", "1773483000.001100",
                                         "1773600000.000100"]


def test_slack_messages_have_the_export_shape_netpulse_parses(workspace):
    """Messages pulled from the API, laid out as an export ZIP, parse with netpulse's Slack parser."""
    users = walk(workspace, "users.list", "members")
    channels = [call(workspace, "conversations.info", channel=c)["channel"] for c in ("C01GEN", "C02STEER")]
    archive, pulled = io.BytesIO(), 0
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("users.json", json.dumps(users))
        z.writestr("channels.json", json.dumps([c for c in channels if not c["is_private"]]))
        z.writestr("groups.json", json.dumps([c for c in channels if c["is_private"]]))
        for channel in channels:
            by_ts = {}
            for top in walk(workspace, "conversations.history", "messages", channel=channel["id"]):
                by_ts[top["ts"]] = top
                if top.get("reply_count"):
                    for m in walk(workspace, "conversations.replies", "messages", channel=channel["id"], ts=top["ts"]):
                        by_ts[m["ts"]] = m
            pulled += len(by_ts)
            days = defaultdict(list)
            for ts in sorted(by_ts, key=float):
                days[datetime.fromtimestamp(float(ts), UTC).date().isoformat()].append(by_ts[ts])
            for day, messages in days.items():
                z.writestr(f"{channel['name']}/{day}.json", json.dumps(messages))
    assert pulled == 20  # every message once (the broadcast reply is in history and in its thread)
    rows = slack.parse(archive.getvalue(), ParseOptions())
    # 20 messages less the channel_join and the bot's digest; 13 reacting users on kept messages
    assert rows["kind"].value_counts().to_dict() == {"reaction": 13, "reply": 9, "topic": 9}


# -- Qualtrics --------------------------------------------------------------------------------------

Q_HEADERS = {"X-API-TOKEN": "qualtrics-test-token"}


@pytest.fixture(scope="module")
def surveys_server():
    with QualtricsApi.seeded() as api:
        yield api


@pytest.fixture
def surveys(surveys_server):
    surveys_server.reseed()
    surveys_server.polls_before_complete = 1
    return surveys_server


def export(api: QualtricsApi, **body) -> tuple[bytes, dict]:
    """The CSV of one export (create, poll, download) and the final progress result."""
    base = f"{api.url}/API/v3/surveys/{api.SURVEY_ID}/export-responses"
    created = httpx.post(base, json={"format": "csv", **body}, headers=Q_HEADERS).raise_for_status().json()
    assert created["result"]["status"] == "inProgress" and created["result"]["progressId"].startswith("ES_")
    polls = 0
    while True:
        progress = httpx.get(f"{base}/{created['result']['progressId']}", headers=Q_HEADERS).json()["result"]
        polls += 1
        if progress["status"] == "complete":
            break
    assert polls == api.polls_before_complete + 1
    file = httpx.get(f"{base}/{progress['fileId']}/file", headers=Q_HEADERS)
    assert file.headers["Content-Type"] == "application/octet-stream"
    with zipfile.ZipFile(io.BytesIO(file.content)) as z:
        assert z.namelist() == ["Respiratory Clinical Network member survey 2026.csv"]
        return z.read(z.namelist()[0]), progress


def parsed(csv_bytes: bytes):
    return qualtrics.parse(csv_bytes, ParseOptions(date_order="ymd"), INSTRUMENT)


def test_qualtrics_export_parses_with_netpulse_labels_or_recode_values(surveys):
    labels, progress = export(surveys, useLabels=True)
    assert "continuationToken" not in progress
    assert labels.startswith(b"\xef\xbb\xbf")
    rows = parsed(labels)
    assert len(rows) == 5  # 6 responses less the survey preview
    assert rows["finished"].tolist().count("true") == 4
    assert rows["submitted_at"].iloc[-1] == "2026-04-22T16:47:12+01:00"
    numeric, _ = export(surveys)  # useLabels defaults to false: recode values
    assert b'"Strongly agree"' not in numeric
    assert parsed(numeric).equals(rows)


def test_qualtrics_continuation_gives_only_later_responses(surveys):
    _, first = export(surveys, allowContinuation=True)
    surveys.add_response(ResponseId="R_7kL8mN9oP0qR1sT", RecipientEmail="sam.reid@nhs.example",
                         RecipientFirstName="Sam", RecipientLastName="Reid", StartDate="2026-05-06 09:00:00",
                         EndDate="2026-05-06 09:05:00", answers={"Q2_1": "Agree", "Q4": "Strongly agree"})
    later, second = export(surveys, continuationToken=first["continuationToken"])
    assert parsed(later)["response_id"].tolist() == ["R_7kL8mN9oP0qR1sT"]
    assert second["continuationToken"] != first["continuationToken"]
    nothing, _ = export(surveys, continuationToken=second["continuationToken"])
    assert len(parsed(nothing)) == 0
    bad = httpx.post(f"{surveys.url}/API/v3/surveys/{surveys.SURVEY_ID}/export-responses",
                     json={"format": "csv", "continuationToken": "not-a-token"}, headers=Q_HEADERS)
    assert bad.status_code == 400 and bad.json()["meta"]["httpStatus"] == "400 - Bad Request"


def test_qualtrics_dates_filter_on_recorded_date(surveys):
    march, _ = export(surveys, startDate="2026-03-12T14:03:23Z", endDate="2026-03-27T17:24:45Z")
    assert parsed(march)["response_id"].tolist() == ["R_1aB2cD3eF4gH5iJ", "R_2kL3mN4oP5qR6sT"]


def test_qualtrics_errors_and_polling(surveys):
    base = f"{surveys.url}/API/v3/surveys/{surveys.SURVEY_ID}/export-responses"
    wrong = httpx.post(base, json={"format": "csv"}, headers={"X-API-TOKEN": "nope"})
    assert wrong.status_code == 401
    assert set(wrong.json()["meta"]) == {"httpStatus", "error", "requestId"}
    assert wrong.json()["meta"]["error"]["errorCode"].startswith("AUTH_")
    assert httpx.post(base, json={"format": "csv"}).status_code == 400
    assert httpx.post(base, json={"format": "json"}, headers=Q_HEADERS).status_code == 400
    unknown = httpx.post(f"{surveys.url}/API/v3/surveys/SV_nope/export-responses", json={"format": "csv"},
                         headers=Q_HEADERS)
    assert unknown.status_code == 404 and unknown.json()["meta"]["httpStatus"] == "404 - Not Found"
    assert httpx.get(f"{base}/ES_unknown", headers=Q_HEADERS).status_code == 404
    for polls in (0, 3):
        surveys.polls_before_complete = polls
        export(surveys)
