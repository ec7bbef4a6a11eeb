"""Vendor exports through the whole pipeline: landing folders, loading, identity resolution, review.

March 2026, network `net`, roster: Asha Patel and Tom Hughes (by e-mail).
Slack export: Asha, Tom and Maya post with e-mails (Maya is not on the roster); Raj reacts
with no e-mail. Discourse topic: asha.patel, tom_h and mbello, never with e-mails.
Before review: 7 active people (Asha, Tom, Maya by e-mail; Raj and the three Discourse
usernames as unmatched identities); the Discourse names of Asha and Tom are proposals.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from netpulse.admin.identities import decide, review_queue
from netpulse.build.run import build
from netpulse.ingest.loading import ingest
from tests.helpers import ROSTER_HEADER, meeting_key, query, slack_export_zip, write_csv, write_networks

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"


def march(settings) -> dict:
    (row,) = query(settings, "select active_members, unmatched_identities, forum_posts, forum_replies "
                   "from indicators.network_period where grain = 'month' and period_start = '2026-03-01'")
    return dict(zip(("active", "unmatched", "posts", "replies"), row, strict=True))


@pytest.fixture
def loaded(settings, tmp_path):
    config = write_networks(tmp_path / "networks.yaml", {"id": "net", "name": "Net"})
    settings = dataclasses.replace(settings, network_config=config)
    write_csv(settings.landing, "net", "roster", "roster.csv", ROSTER_HEADER, [
        ["asha.patel@nhs.example", "Asha Patel", "Trust A", "acute", "", "", "false", "", "", ""],
        ["tom.hughes@nhs.example", "Tom Hughes", "Practice B", "primary care", "", "", "false", "", "", ""],
    ])
    (settings.landing / "net" / "forum" / "slack").mkdir(parents=True)
    (settings.landing / "net" / "forum" / "slack" / "export-2026-03.zip").write_bytes(slack_export_zip())
    (settings.landing / "net" / "forum" / "discourse").mkdir(parents=True)
    (settings.landing / "net" / "forum" / "discourse" / "topic-1042.json").write_bytes(
        (FIXTURES / "discourse" / "topic.json").read_bytes())
    report = ingest(settings)
    assert {(o.path.split("/")[2], o.status) for o in report.outcomes} == {
        ("roster.csv", "loaded"), ("slack", "loaded"), ("discourse", "loaded")}
    build(settings)
    return settings


def test_vendor_exports_load_into_the_same_core_tables(loaded):
    formats = dict(query(loaded, "select format, count(*) from meta.deliveries group by format"))
    assert formats == {"generic": 1, "slack": 1, "discourse": 1}
    # Slack: 4 topics and 4 replies; Discourse: 1 topic and 4 replies; reactions are not posts.
    assert march(loaded) == {"active": 7, "unmatched": 4, "posts": 13, "replies": 8}
    # Every reply names whom it answers, except Discourse post 8, which answers a whisper
    # (whispers are not loaded).
    reply_links = query(loaded, "select count(*) from core.forum_posts where kind = 'reply' "
                        "and replied_to_member_key is not null")
    assert reply_links == [(7,)]


def test_names_are_proposals_never_merges(loaded):
    queue = review_queue(loaded)
    records = queue.to_dict("records")
    proposals = {(r["source_system"], r["shown_name"], r["roster_name"])
                 for r in records if isinstance(r["proposal_id"], str)}
    assert proposals == {("discourse", "Asha Patel", "Asha Patel"), ("discourse", "Tom Hughes", "Tom Hughes")}
    unproposed = {(r["source_system"], r["shown_name"]) for r in records if not isinstance(r["proposal_id"], str)}
    assert unproposed == {("discourse", "Maya Bello"), ("slack", "Raj Kumar")}


def test_an_accepted_match_restates_the_periods_and_a_rejected_one_does_not(loaded):
    queue = review_queue(loaded).set_index("shown_name")
    decide(loaded, queue.loc["Asha Patel", "proposal_id"], "accepted", "tester")
    decide(loaded, queue.loc["Tom Hughes", "proposal_id"], "rejected", "tester")
    build(loaded)
    assert march(loaded) == {"active": 6, "unmatched": 3, "posts": 13, "replies": 8}
    decisions = query(loaded, "select decision, decided_by from meta.identity_decisions order by decision")
    assert decisions == [("accepted", "tester"), ("rejected", "tester")]


def test_a_vendor_folder_under_the_wrong_source_is_rejected_by_name(settings):
    (settings.landing / "net" / "attendance" / "slack").mkdir(parents=True)
    (settings.landing / "net" / "attendance" / "slack" / "x.zip").write_bytes(slack_export_zip())
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "quarantined"
    assert outcome.error == "slack exports belong under forum/slack/, not attendance/slack/"


# One meeting (12 March 2025, US account: month/day dates) from Zoom, from Teams, and written
# by hand in the generic format. The generic file cannot hold the phone caller (no e-mail):
# Zoom and Teams count them once more, as an unmatched identity.
GENERIC_MEETING = [
    ["qi-2025-03-12", "QI call", "2025-03-12T14:00:00", "2025-03-12T15:00:00", email, name, joined, left, role, ""]
    for email, name, joined, left, role in [
        ("chair@trust-a.nhs.uk", "Priya Chair", "2025-03-12T13:58:12", "2025-03-12T15:00:00", "host"),
        ("samuel.okafor@trust-b.nhs.uk", "Samuel Okafor", "2025-03-12T14:00:05", "2025-03-12T14:31:40", ""),
        ("samuel.okafor@trust-b.nhs.uk", "Samuel Okafor", "2025-03-12T14:35:02", "2025-03-12T15:00:00", ""),
        ("dana.lee@charity.org.uk", "Dana Lee", "2025-03-12T14:04:30", "2025-03-12T14:59:10", ""),
    ]
]


def test_zoom_teams_and_generic_reports_of_one_meeting_give_the_same_counts(settings, tmp_path):
    from tests.helpers import ATTENDANCE_HEADER

    us = {"attendance": {"date_order": "mdy"}}
    config = write_networks(tmp_path / "networks.yaml", {"id": "gen"}, {"id": "zoomnet", "sources": us},
                            {"id": "teamsnet", "sources": us})
    settings = dataclasses.replace(settings, network_config=config)
    write_csv(settings.landing, "gen", "attendance", "qi.csv", ATTENDANCE_HEADER, GENERIC_MEETING)
    for network, export_format, fixture in [("zoomnet", "zoom", "participants_meeting_data_us.csv"),
                                            ("teamsnet", "teams", "attendance_report_us.csv")]:
        folder = settings.landing / network / "attendance" / export_format
        folder.mkdir(parents=True)
        (folder / fixture).write_bytes((FIXTURES / export_format / fixture).read_bytes())
    assert {o.status for o in ingest(settings).outcomes} == {"loaded"}
    build(settings)

    rows = query(settings, "select network_id, active_members, meetings_held, attendances, guest_attendances, "
                 "unmatched_identities from indicators.network_period where grain = 'month'")
    counts = {r[0]: r[1:] for r in rows}
    assert counts["gen"] == (3, 1, 3, 0, 0)
    assert counts["zoomnet"] == (4, 1, 4, 3, 1)   # Zoom flags Samuel, Dana and the caller as guests
    assert counts["teamsnet"] == (4, 1, 4, 2, 1)  # Teams flags Dana (external) and the caller

    minutes = query(settings, "select a.network_id, round(sum(a.minutes_attended), 1) from core.attendances a "
                    "where not a.is_unmatched group by all")
    assert len({m for _, m in minutes}) == 1  # the same minutes for the same three people


def test_a_zoom_report_waits_for_its_date_order_to_be_declared(settings):
    folder = settings.landing / "net" / "attendance" / "zoom"
    folder.mkdir(parents=True)
    (folder / "r.csv").write_bytes((FIXTURES / "zoom" / "participants_meeting_data_us.csv").read_bytes())
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "quarantined"
    assert "declare it for network 'net'" in outcome.error and "date_order" in outcome.error


def test_a_qualtrics_export_loads_scored_answers_through_the_networks_instrument(settings, tmp_path):
    instrument = FIXTURES / "qualtrics" / "instrument.yaml"
    config = write_networks(tmp_path / "networks.yaml",
                            {"id": "net", "sources": {"survey/qualtrics": {"instrument": str(instrument)}}})
    settings = dataclasses.replace(settings, network_config=config)
    folder = settings.landing / "net" / "survey" / "qualtrics"
    folder.mkdir(parents=True)
    (folder / "wave.csv").write_bytes((FIXTURES / "qualtrics" / "choice-text.csv").read_bytes())
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "loaded", outcome.error
    build(settings)
    answers = query(settings, "select count(*), min(answer) >= 1 and max(answer) <= 5 from core.survey_answers")
    assert answers[0][0] > 0 and answers[0][1]
    assert query(settings, "select count(*) from raw.survey_answers where item like '%text%'") == [(0,)]


def test_a_plain_zoom_export_is_one_meeting_named_by_its_file(settings, tmp_path):
    config = write_networks(tmp_path / "networks.yaml",
                            {"id": "net", "sources": {"attendance/zoom": {"date_order": "mdy"}}})
    settings = dataclasses.replace(settings, network_config=config)
    lines = (FIXTURES / "zoom" / "participants_meeting_data_us.csv").read_text().split("\n")
    folder = settings.landing / "net" / "attendance" / "zoom"
    folder.mkdir(parents=True)
    (folder / "2025-03-12 QI call.csv").write_text("\n".join(lines[3:]))  # the table without meeting data
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "loaded", outcome.error
    build(settings)
    assert query(settings, "select meeting_id, meeting_title, attendances from core.meetings") == [
        (meeting_key("zoom-2025-03-12-qi-call"), "2025-03-12 QI call", 4)]


def test_a_vendor_changing_its_columns_is_reported_by_name(settings):
    from tests.helpers import FORUM_HEADER

    write_csv(settings.landing, "net", "forum", "jan.csv", FORUM_HEADER,
              [["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"]])
    ingest(settings)
    write_csv(settings.landing, "net", "forum", "feb.csv", [c for c in FORUM_HEADER if c != "name"] + ["likes"],
              [["p2", "", "", "a@x.example", "2026-02-20T09:00:00", "topic", "3"]])
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "quarantined"  # name is required: the drift explains why
    (drift,) = query(settings, "select schema_drift from meta.deliveries where path like '%feb.csv'")[0]
    assert drift == "the export's columns changed since delivery 1 (net/forum/jan.csv): added likes; removed name"


def test_the_identity_table_links_vendor_ids_to_members_without_names(loaded):
    rows = query(loaded, "select source_system, matched_by, count(*) from core.identities group by all order by all")
    # Slack: Asha, Tom, Maya with e-mails, Raj without; Discourse: three usernames, never e-mails.
    assert rows == [("discourse", "unmatched", 3), ("slack", "email", 3), ("slack", "unmatched", 1)]
    text_columns = query(loaded, "select column_name from information_schema.columns "
                         "where table_schema = 'core' and table_name = 'identities' and data_type = 'VARCHAR'")
    assert {c for (c,) in text_columns} == {"network_id", "source_system", "identity_hash", "member_key", "matched_by"}


def test_netpulse_identities_lists_and_accepts_from_the_command_line(loaded, capsys, monkeypatch):
    from netpulse.cli import main

    monkeypatch.setenv("NETPULSE_WAREHOUSE", str(loaded.warehouse))
    assert main(["identities"]) == 0
    listing = capsys.readouterr().out
    assert "proposed matches" in listing and "'Asha Patel' (2 rows) -> roster member 'Asha Patel'" in listing
    proposal = next(line.split()[0] for line in listing.splitlines() if "'Asha Patel' (2 rows)" in line)
    assert main(["identities", "accept", proposal, "--by", "coordinator"]) == 0
    assert "accepted: discourse 'Asha Patel' is roster member 'Asha Patel'" in capsys.readouterr().out
    assert main(["identities", "accept", "nonexistent"]) == 2


def test_a_quarantined_file_loads_after_the_fix_when_retried_or_moved(settings, tmp_path):
    folder = settings.landing / "net" / "attendance" / "zoom"
    folder.mkdir(parents=True)
    (folder / "r.csv").write_bytes((FIXTURES / "zoom" / "participants_meeting_data_us.csv").read_bytes())
    assert [o.status for o in ingest(settings).outcomes] == ["quarantined"]  # no date_order yet
    config = write_networks(tmp_path / "networks.yaml",
                            {"id": "net", "sources": {"attendance/zoom": {"date_order": "mdy"}}})
    settings = dataclasses.replace(settings, network_config=config)
    assert ingest(settings).outcomes == []  # unchanged and quarantined: not re-read every run
    assert [o.status for o in ingest(settings, retry_quarantined=True).outcomes] == ["loaded"]

    # A file quarantined for being in the wrong folder loads once moved: same content, new path.
    wrong = settings.landing / "net" / "forum" / "zoom"
    wrong.mkdir(parents=True)
    (wrong / "s.csv").write_bytes((FIXTURES / "zoom" / "participants_unique_users_us.csv").read_bytes())
    assert [o.status for o in ingest(settings).outcomes] == ["quarantined"]
    (wrong / "s.csv").rename(folder / "s.csv")
    assert [o.status for o in ingest(settings).outcomes] == ["loaded"]
