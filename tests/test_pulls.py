"""Pulls from loopback servers that answer as the vendors' APIs are documented, through the whole pipeline.

Each test pulls with netpulse's own pullers over real HTTP, then loads and builds what landed, and
checks the counts the servers' data implies (tests/vendor_apis/, seed data in tests/fixtures/api/).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from netpulse.admin.erasure import erase_member
from netpulse.build.run import build
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.loading import ingest
from netpulse.pull.run import plan, pull, pull_target
from tests.helpers import REPO, query, write_networks
from tests.vendor_apis.discourse import DiscourseApi
from tests.vendor_apis.graph import GraphApi
from tests.vendor_apis.qualtrics import QualtricsApi
from tests.vendor_apis.slack import SlackApi
from tests.vendor_apis.zoom import ZoomApi

INSTRUMENT = REPO / "tests" / "fixtures" / "vendors" / "qualtrics" / "instrument.yaml"
# Test credentials, made up: the secrets no landed file, cursor or error may hold.
DISCOURSE_KEY, SLACK_TOKEN, QUALTRICS_TOKEN = "discourse-test-key", "xoxb-test-token", "qualtrics-test-token"
SECRETS = (DISCOURSE_KEY, SLACK_TOKEN, QUALTRICS_TOKEN)
SECRET = "password"  # noqa: S105 (the name of the connection field that holds the secret)


def connection(monkeypatch, conn_id: str, **fields) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "http", **fields}))


def configured(settings, tmp_path, *entries) -> object:
    config = write_networks(tmp_path / "networks.yaml", *entries)
    return dataclasses.replace(settings, network_config=config, pull_state=tmp_path / "pull-state")


def load_and_build(settings) -> dict[str, int]:
    report = ingest(settings)
    assert all(o.status in ("loaded", "duplicate") for o in report.outcomes), \
        [(o.path, o.error) for o in report.outcomes if o.status == "quarantined"]
    build(settings)
    return {o.status: sum(1 for p in report.outcomes if p.status == o.status) for o in report.outcomes}


def forum_kinds(settings) -> dict[str, int]:
    return dict(query(settings, "select kind, count(*) from staging.stg_forum__posts group by kind"))


def landed(settings) -> list[Path]:
    return sorted(p for p in settings.landing.rglob("*") if p.is_file())


# --- Discourse --------------------------------------------------------------------------------------


@pytest.fixture
def discourse(monkeypatch):
    with DiscourseApi.seeded(api_key=DISCOURSE_KEY, api_username="netpulse_bot", page_size=2) as api:
        connection(monkeypatch, "forum_site", host=api.url, login="netpulse_bot", **{SECRET: DISCOURSE_KEY})
        yield api


def discourse_network(**pull_settings) -> dict:
    return {"id": "net", "pull": {"discourse": {"connection": "forum_site", "since": date(2026, 1, 1),
                                                **pull_settings}}}


def test_discourse_topics_are_pulled_whole_and_count_as_the_forum_says(settings, tmp_path, discourse):
    settings = configured(settings, tmp_path, discourse_network())
    (outcome,) = pull(settings)
    assert outcome.status == "landed", outcome.errors
    # Five topics, listed over three pages of two (pinned first), each landed as its /t/{id}.json.
    assert len(outcome.files) == 5 and all("/forum/discourse/pulled/" in f for f in outcome.files)
    assert [r.arg("page") for r in discourse.calls("/latest.json")] == ["0", "1", "2"]
    assert all(r.arg("print") == "true" for r in discourse.calls("/t/"))
    load_and_build(settings)
    # Four topics by members and eight replies: the About topic's system post, the whisper, the
    # small action and the moderator notice are not posts of members.
    assert forum_kinds(settings) == {"topic": 4, "reply": 8}

    again = pull(settings)[0]
    assert again.status == "nothing new" and again.files == []
    assert again.requests == 1  # the first page of the listing reaches topics older than the cursor

    discourse.add_reply(2002, "asha.patel", "2026-05-20T09:00:00.000Z")  # a late reply to an old topic
    late = pull(settings)[0]
    assert late.status == "landed" and len(late.files) == 1 and "topic-2002" in late.files[0]
    load_and_build(settings)
    assert forum_kinds(settings) == {"topic": 4, "reply": 9}  # the topic landed twice, its posts once


def test_a_topic_longer_than_one_print_page_is_completed_before_it_lands(settings, tmp_path, monkeypatch):
    with DiscourseApi.seeded(api_key=DISCOURSE_KEY, api_username="netpulse_bot", print_chunk=2) as api:
        connection(monkeypatch, "forum_site", host=api.url, login="netpulse_bot", **{SECRET: DISCOURSE_KEY})
        settings = configured(settings, tmp_path, discourse_network())
        (outcome,) = pull(settings)
        assert outcome.status == "landed", outcome.errors
        assert api.calls("/t/2005/posts.json") or api.calls("/t/2002/posts.json")
    load_and_build(settings)  # the parser refuses a topic whose stream lists posts the file lacks
    assert forum_kinds(settings) == {"topic": 4, "reply": 8}


def test_a_429_is_waited_out_and_a_refused_key_says_what_to_fix(settings, tmp_path, discourse, monkeypatch):
    settings = configured(settings, tmp_path, discourse_network())
    discourse.rate_limit(1, times=2, path_prefix="/t/")
    started = time.monotonic()
    (outcome,) = pull(settings)
    assert outcome.status == "landed" and len(outcome.files) == 5
    assert time.monotonic() - started >= 2

    connection(monkeypatch, "forum_site", host=discourse.url, login="netpulse_bot", **{SECRET: "wrong-key"})
    (refused,) = pull(dataclasses.replace(settings, pull_state=tmp_path / "other-state"))
    assert refused.status == "failed" and refused.permanent
    assert "check the API key and username in the Airflow connection" in refused.errors[0]
    assert "wrong-key" not in refused.errors[0]


def test_a_missing_connection_names_the_variable_that_would_define_it(settings, tmp_path):
    settings = configured(settings, tmp_path, {"id": "net", "pull": {"discourse": {"connection": "nowhere"}}})
    (outcome,) = pull(settings)
    assert outcome.status == "failed"
    assert "Airflow connection 'nowhere' is not defined" in outcome.errors[0]
    assert "AIRFLOW_CONN_NOWHERE" in outcome.errors[0]


class SlowTopics(DiscourseApi):
    """Half a second per topic: time for the test to kill the pull between two topics."""

    def handle(self, request):
        if request.path.startswith("/t/"):
            time.sleep(0.5)
        return super().handle(request)


def test_a_pull_killed_midway_resumes_without_gaps_or_duplicates(settings, tmp_path, monkeypatch):
    with SlowTopics.seeded(api_key=DISCOURSE_KEY, api_username="netpulse_bot", page_size=2) as api:
        connection(monkeypatch, "forum_site", host=api.url, login="netpulse_bot", **{SECRET: DISCOURSE_KEY})
        settings = configured(settings, tmp_path, discourse_network())
        env = {**os.environ, "NETPULSE_LANDING": str(settings.landing), "NETPULSE_CONFIG": str(settings.network_config),
               "NETPULSE_PULL_STATE": str(settings.pull_state), "NETPULSE_HOME": str(tmp_path / "home")}
        process = subprocess.Popen([sys.executable, "-m", "netpulse.cli", "pull"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(landed(settings)) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        before = landed(settings)
        assert 2 <= len(before) < 5, "killed between two topics"
        (outcome,) = pull(settings)
        assert outcome.status == "landed"
    after = landed(settings)
    assert set(before) < set(after) and len(after) == 5  # each topic once: no gap, no second copy
    assert not list(settings.landing.rglob(".*.part")) and not list(settings.pull_state.rglob(".*.part"))
    load_and_build(settings)
    assert forum_kinds(settings) == {"topic": 4, "reply": 8}


# --- Slack ------------------------------------------------------------------------------------------


@pytest.fixture
def slack(monkeypatch):
    with SlackApi.seeded(token=SLACK_TOKEN, max_limit=3) as api:
        connection(monkeypatch, "workspace", **{SECRET: SLACK_TOKEN})
        yield api


def slack_network(api, **pull_settings) -> dict:
    return {"id": "net", "pull": {"slack": {
        "connection": "workspace", "base_url": f"{api.url}/api", "channels": ["C01GEN", "C02STEER"],
        "since": date(2026, 3, 1), "min_request_interval_seconds": 0, **pull_settings}}}


def at(day: str):
    return lambda: datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_slack_channels_are_pulled_as_exports_with_threads_and_late_replies(settings, tmp_path, slack):
    settings = configured(settings, tmp_path, slack_network(slack))
    (spec,) = plan(settings)
    outcome = pull_target(settings, spec, now=at("2026-03-20T12:00:00"))
    assert outcome.status == "landed", outcome.errors
    # The 12th to the 15th of March fall in two windows of a week (from the 1st): two ZIPs a channel.
    assert len(outcome.files) == 4 and all(f.endswith(".zip") for f in outcome.files)
    assert {r.arg("cursor") is not None for r in slack.calls("/api/conversations.history")} == {True, False}
    load_and_build(settings)
    # Of 20 messages: a join and a bot digest are not members' posts; 9 topics, 9 thread replies
    # (one broadcast to the channel), and 13 people reacting.
    assert forum_kinds(settings) == {"topic": 9, "reply": 9, "reaction": 13}

    slack.post("C01GEN", "U02TOM", "1773800000.000100", "A late reply", thread_ts="1773305000.000300")
    slack.edit("C02STEER", "1773400500.000500", "Edited agenda", "1773800100.000000")
    later = pull_target(settings, spec, now=at("2026-03-21T12:00:00"))
    assert later.status == "landed" and len(later.files) == 2
    load_and_build(settings)
    assert forum_kinds(settings) == {"topic": 9, "reply": 10, "reaction": 13}

    quiet = pull_target(settings, spec, now=at("2026-03-21T13:00:00"))
    assert quiet.status == "nothing new" and quiet.files == []


def test_slack_errors_in_ok_false_bodies_stop_one_channel_and_name_the_fix(settings, tmp_path, slack, monkeypatch):
    slack.set_member("C01GEN", False)
    settings = configured(settings, tmp_path, slack_network(slack))
    (spec,) = plan(settings)
    outcome = pull_target(settings, spec, now=at("2026-03-20T12:00:00"))
    assert outcome.status == "failed" and outcome.permanent
    (error,) = outcome.errors
    assert error.startswith("C01GEN: ") and "invite it (/invite @app) in the channel" in error
    assert len(outcome.files) == 2 and all("C02STEER" in f for f in outcome.files)  # the other channel landed

    with SlackApi.seeded(token=SLACK_TOKEN, scopes=("channels:read", "groups:read", "users:read")) as api:
        (tmp_path / "scopes").mkdir()
        settings = configured(settings, tmp_path / "scopes", slack_network(api, channels=["C02STEER"]))
        (missing,) = pull(settings)
    assert missing.status == "failed" and missing.permanent
    assert "the app lacks the scope groups:history" in missing.errors[0]
    assert SLACK_TOKEN not in missing.errors[0]


def test_slack_rate_limits_are_waited_out(settings, tmp_path, slack):
    settings = configured(settings, tmp_path, slack_network(slack, channels=["C02STEER"]))
    slack.rate_limit(1, "conversations.history", times=1)
    (spec,) = plan(settings)
    outcome = pull_target(settings, spec, now=at("2026-03-20T12:00:00"))
    assert outcome.status == "landed" and len(outcome.files) == 2
    assert len(slack.calls("/api/conversations.history")) > len(slack.calls("/api/conversations.history")[1:])


# --- Qualtrics ---------------------------------------------------------------------------------------


@pytest.fixture
def qualtrics(monkeypatch):
    with QualtricsApi.seeded(api_token=QUALTRICS_TOKEN, polls_before_complete=2) as api:
        connection(monkeypatch, "surveys", host=api.url, **{SECRET: QUALTRICS_TOKEN})
        yield api


def test_qualtrics_exports_continue_from_their_token_and_load_through_the_instrument(settings, tmp_path,
                                                                                     qualtrics):
    settings = configured(settings, tmp_path, {
        "id": "net", "sources": {"survey/qualtrics": {"instrument": str(INSTRUMENT)}},
        "pull": {"qualtrics": {"connection": "surveys", "surveys": [QualtricsApi.SURVEY_ID],
                               "since": date(2026, 1, 1)}}})
    (outcome,) = pull(settings)
    assert outcome.status == "landed" and len(outcome.files) == 1 and outcome.files[0].endswith(".zip")
    load_and_build(settings)
    # Six recorded responses: a preview is left out, one is unfinished (kept, not counted).
    assert query(settings, "select count(*), count(*) filter (where finished) from core.survey_responses") == [
        (5, 4)]

    assert pull(settings)[0].status == "nothing new"  # an export with no responses is not landed
    (first, *rest) = qualtrics.calls(f"/API/v3/surveys/{QualtricsApi.SURVEY_ID}/export-responses", "POST")
    assert "startDate" in first.json() and all("continuationToken" in r.json() for r in rest)

    qualtrics.add_response(StartDate="2026-05-02 10:00:00", EndDate="2026-05-02 10:06:00",
                           RecipientEmail="new.person@nhs.example")
    (later,) = pull(settings)
    assert later.status == "landed" and len(later.files) == 1
    load_and_build(settings)
    assert query(settings, "select count(*) from core.survey_responses") == [(6,)]


def test_no_secret_reaches_a_landed_file_a_cursor_or_a_name(settings, tmp_path, discourse, slack, qualtrics):
    settings = configured(settings, tmp_path, {
        "id": "net", "pull": {
            **discourse_network()["pull"], **slack_network(slack)["pull"],
            "qualtrics": {"connection": "surveys", "surveys": [QualtricsApi.SURVEY_ID], "since": date(2026, 1, 1)}}})
    outcomes = pull(settings)
    assert {o.api: o.status for o in outcomes} == {"discourse": "landed", "slack": "landed", "qualtrics": "landed"}
    for path in [*landed(settings), *settings.pull_state.rglob("*")]:
        if path.is_file():
            text = path.read_bytes()
            assert not any(secret.encode() in text or secret in str(path) for secret in SECRETS), path


# --- Zoom -------------------------------------------------------------------------------------------


ZOOM_SECRET, GRAPH_SECRET = "zoom-test-secret", "graph-test-secret"  # made up, like the others
HOSTS = ["helen.ashworth@northcare.example", "tomasz.nowak@northcare.example"]


def zoom_connection(monkeypatch, api) -> None:
    connection(monkeypatch, "nhs_zoom", login="zoom-client", **{SECRET: ZOOM_SECRET},
               extra={"account_id": "acct-1", "token_url": f"{api.url}/oauth/token"})


def zoom_network(api, **pull_settings) -> dict:
    return {"id": "net", "pull": {"zoom": {"connection": "nhs_zoom", "base_url": f"{api.url}/v2", "users": HOSTS,
                                           "since": date(2026, 3, 1), **pull_settings}}}


def expected_attendance(meetings: list[dict]) -> tuple[int, int]:
    """(meetings, attendances) the server's meetings imply: one attendance per person admitted."""
    people = [{p["user_email"] or p["name"] for p in m["participants"] if p.get("status") != "in_waiting_room"}
              for m in meetings]
    return len(meetings), sum(len(p) for p in people)


def attendance_counts(settings) -> tuple[int, int]:
    return query(settings, "select count(*), sum(attendances) from core.meetings")[0]


class PageTokenExpiresOnce(ZoomApi):
    """Every page token expires once, just before it is first used (a pull slower than 15 minutes)."""

    def handle(self, request):
        if "/participants" in request.path and request.arg("next_page_token") and not getattr(self, "expired", 0):
            self.expired = 1
            self.expire_page_tokens()
        return super().handle(request)


def test_zoom_meetings_are_pulled_per_instance_with_token_refresh_and_expired_page_tokens(
        settings, tmp_path, monkeypatch):
    with PageTokenExpiresOnce("acct-1", "zoom-client", ZOOM_SECRET, page_size=2) as api:
        zoom_connection(monkeypatch, api)
        settings = configured(settings, tmp_path, zoom_network(api))
        (spec,) = plan(settings)
        api.rate_limit("/v2/report/users", 1, times=1)
        outcome = pull_target(settings, spec, now=at("2026-06-01T08:00:00"))
        assert outcome.status == "landed", outcome.errors
        assert len(outcome.files) == 6  # one per meeting instance, the recurring huddle's two included
        assert api.expired == 1  # a page token expired: that meeting's participants were read again
        # UUIDs starting with "/" or holding "//" went out encoded twice, as Zoom requires.
        assert any("%252F%252F" in r.raw_path for r in api.calls("/v2/report/meetings/"))
        assert any(r.raw_path.startswith("/v2/report/meetings/%252F") for r in api.calls("/v2/report/meetings/"))
        load_and_build(settings)
        assert attendance_counts(settings) == expected_attendance(api.meetings) == (6, 27)

        uuid = api.add_meeting("z8Kq3LmNQvO1rT5sUw7yXa", "Respiratory network – monthly huddle",
                               "2026-05-30T13:00:00Z", "2026-05-30T14:00:00Z", meeting_id=83215640971)
        api.add_participant(uuid, "Amara Okafor", "amara.okafor@nhs.example", "2026-05-30T13:01:00Z",
                            "2026-05-30T13:58:00Z")
        api.expire_tokens()  # the access token expired since the last run
        tokens_before = len(api.calls("/oauth/token"))
        later = pull_target(settings, spec, now=at("2026-06-01T09:00:00"))
        assert later.status == "landed" and len(later.files) == 1, later.errors
        assert len(api.calls("/oauth/token")) == tokens_before + 1
        load_and_build(settings)
        assert attendance_counts(settings) == expected_attendance(api.meetings) == (7, 28)


def test_a_zoom_app_without_the_report_scope_is_told_which_scope_to_add(settings, tmp_path, monkeypatch):
    with ZoomApi("acct-1", "zoom-client", ZOOM_SECRET, scopes=("meeting:read:admin",)) as api:
        zoom_connection(monkeypatch, api)
        settings = configured(settings, tmp_path, zoom_network(api, users=HOSTS[:1]))
        (outcome,) = pull(settings)
    assert outcome.status == "failed" and outcome.permanent
    assert "report:read:admin" in outcome.errors[0] and ZOOM_SECRET not in outcome.errors[0]


# --- Microsoft Graph: Teams and Forms ---------------------------------------------------------------


ORGANISERS = ["3c9e1f4a-6b2d-4e8f-a1c3-5d7e9f0b2a4c", "7a1b3c5d-9e2f-4a6b-8c0d-1e3f5a7b9c2d"]


def graph_connection(monkeypatch, api) -> None:
    connection(monkeypatch, "nhs_graph", login="graph-client", **{SECRET: GRAPH_SECRET},
               extra={"tenant_id": "tenant-1", "authority": api.url})


def test_teams_attendance_reports_are_pulled_for_each_organiser_and_count_per_report(
        settings, tmp_path, monkeypatch):
    with GraphApi("tenant-1", "graph-client", GRAPH_SECRET, page_size=2) as api:
        graph_connection(monkeypatch, api)
        settings = configured(settings, tmp_path, {"id": "net", "pull": {"teams": {
            "connection": "nhs_graph", "base_url": f"{api.url}/v1.0", "organisers": ORGANISERS,
            "since": date(2026, 3, 1)}}})
        (spec,) = plan(settings)
        api.throttle("/v1.0/users", 1, times=1)
        outcome = pull_target(settings, spec, now=at("2026-06-01T08:00:00"))
        assert outcome.status == "landed", outcome.errors
        reports = api.reports
        assert len(outcome.files) == len(reports) == 6  # the restarted meeting has two reports
        assert any(r.arg("$skiptoken") for r in api.calls("/v1.0/users"))  # @odata.nextLink was followed
        load_and_build(settings)
        people = sum(len({rec.get("emailAddress") or rec["identity"]["id"] for rec in r["records"]})
                     for r in reports.values())
        assert attendance_counts(settings) == (6, people) == (6, 25)
        again = pull_target(settings, spec, now=at("2026-06-01T09:00:00"))
        assert again.status == "nothing new" and again.files == []  # the look-back window holds no meeting


def test_teams_without_the_access_policy_names_the_permission_and_the_policy(settings, tmp_path, monkeypatch):
    with GraphApi("tenant-1", "graph-client", GRAPH_SECRET, access_policy_users=[]) as api:
        graph_connection(monkeypatch, api)
        settings = configured(settings, tmp_path, {"id": "net", "pull": {"teams": {
            "connection": "nhs_graph", "base_url": f"{api.url}/v1.0", "organisers": ORGANISERS[:1],
            "since": date(2026, 3, 1)}}})
        (outcome,) = pull(settings)
    assert outcome.status == "failed" and outcome.permanent
    assert "application access policy" in outcome.errors[0] and GRAPH_SECRET not in outcome.errors[0]


def test_a_forms_workbook_is_landed_when_it_changes_and_its_responses_load_once(settings, tmp_path, monkeypatch):
    with GraphApi("tenant-1", "graph-client", GRAPH_SECRET) as api:
        graph_connection(monkeypatch, api)
        workbook = {"drive": api.form["drive_id"], "item": api.form["item_id"]}
        settings = configured(settings, tmp_path, {"id": "net", "sources": {"survey/msforms": {"date_order": "dmy"}},
                                                   "pull": {"msforms": {"connection": "nhs_graph",
                                                                        "base_url": f"{api.url}/v1.0",
                                                                        "workbooks": [workbook]}}})
        (first,) = pull(settings)
        assert first.status == "landed" and len(first.files) == 1 and first.files[0].endswith(".xlsx")
        assert pull(settings)[0].status == "nothing new"  # same eTag: not even downloaded
        load_and_build(settings)
        assert query(settings, "select count(*) from core.survey_responses") == [(len(api.form["responses"]),)]
        api.add_form_response("new.person@nhs.example", "New Person", [4] * len(api.form["questions"]),
                              "2026-05-02T10:00:00", "2026-05-02T10:05:00")
        (later,) = pull(settings)
        assert later.status == "landed" and len(later.files) == 1
        load_and_build(settings)
        assert query(settings, "select count(*) from core.survey_responses") == [(len(api.form["responses"]),)]


def test_the_command_line_prints_each_target_and_exits_1_when_one_failed(settings, tmp_path, discourse,
                                                                         monkeypatch, capsys):
    from netpulse.cli import main

    settings = configured(settings, tmp_path, {"id": "net", "pull": {
        **discourse_network()["pull"], "slack": {"connection": "nowhere", "channels": ["C1"]}}})
    monkeypatch.setenv("NETPULSE_PULL_STATE", str(settings.pull_state))
    assert main(["pull", "--config", str(settings.network_config), "--landing", str(settings.landing)]) == 1
    out = capsys.readouterr().out
    assert "net/discourse: landed, 5 file(s) landed" in out and "net/slack: failed" in out
    assert "AIRFLOW_CONN_NOWHERE" in out and out.count("  landed net/forum/discourse/pulled/") == 5
    assert main(["pull", "--config", str(settings.network_config), "--landing", str(settings.landing),
                 "--source", "discourse"]) == 0
    assert "net/discourse: nothing new" in capsys.readouterr().out


def test_a_pull_stopped_by_its_bound_goes_on_from_its_cursor_next_run(settings, tmp_path, discourse):
    settings = configured(settings, tmp_path, discourse_network(max_pages=4))
    runs = []
    while not runs or runs[-1].status != "nothing new":
        runs.append(pull(settings)[0])
        assert len(runs) <= 6, [r.summary() for r in runs]
    assert runs[0].status == "stopped at the bound" and "max_pages" in runs[0].errors[0]
    assert all(r.requests <= 4 for r in runs)
    assert sum(len(r.files) for r in runs) == 5 and len(landed(settings)) == 5  # every topic, once
    load_and_build(settings)
    assert forum_kinds(settings) == {"topic": 4, "reply": 8}


def test_an_erased_member_stays_erased_when_a_pull_brings_their_messages_again(settings, tmp_path, slack):
    settings = configured(settings, tmp_path, slack_network(slack))
    (spec,) = plan(settings)
    pull_target(settings, spec, now=at("2026-03-20T12:00:00"))
    load_and_build(settings)
    person = "select count(*) from staging.stg_forum__posts where email_hash = ?"
    asha = MemberHasher(settings.hash_key).hash_one("asha.patel@nhs.example")
    assert query(settings, person, [asha])[0][0] > 0
    erase_member(settings, "net", "asha.patel@nhs.example", requested_by="test")
    build(settings)
    assert query(settings, person, [asha]) == [(0,)]
    # She posts again and edits an old message: the pull lands both, with her e-mail, as the API gives them.
    slack.post("C01GEN", "U01ASHA", "1773810000.000100", "Back again")
    slack.edit("C01GEN", "1773300600.000200", "Edited", "1773810100.000000")
    later = pull_target(settings, spec, now=at("2026-03-21T12:00:00"))
    assert later.status == "landed"
    load_and_build(settings)
    assert query(settings, person, [asha]) == [(0,)]  # the erasure's keys keep her out of what loads
    assert query(settings, "select count(*) from raw.forum where email_hash = ?", [asha]) == [(0,)]


def test_a_second_pull_of_the_same_network_and_api_does_nothing_while_the_first_runs(settings, tmp_path, discourse):
    from netpulse.pull.cursors import CursorStore

    settings = configured(settings, tmp_path, discourse_network())
    (spec,) = plan(settings)
    with CursorStore(settings.pull_state_dir).lock("net", "discourse"):  # the first pull, still running
        busy = pull_target(settings, spec)
    assert busy.status == "busy" and busy.files == [] and busy.requests == 0
    assert "another pull of net/discourse is running" in busy.errors[0]
    assert pull_target(settings, spec).status == "landed"
