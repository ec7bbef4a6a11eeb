"""Participation, diversity, conversation, priority themes and period signals, worked out by hand.

Two networks; the warehouse's latest engagement is in June 2026, so both spines run to June.

Network `net` (quarters from January, priority themes "COPD" and "falls"; roster: a Org1 acute
nurse staff, b Org1 acute gp staff, c Org2 primary-care nurse patient/carer, d Org2 community
pharmacist (patient/carer blank), e Org3 staff (sector, profession blank); f not on the roster).

  Jan  m1 "COPD pathway review": a host, b, c, d, e.  m2 "Team catch-up": a host, b cohost, f.
       m3 "Falls prevention huddle": a host, b, c, d.
       Forum: p1 topic by a (10th 09:00); p2 a replies to p1 (10:00: own topic, not an answer);
       p3 b replies to p1 (15:00: first answer by another member, 6 h); p4 topic by b (12th);
       p5 b replies to p4 (own: p4 stays unanswered); p6 c reacts to p1; p7 b reacts to p4
       (own post: not appreciated); p8 topic by c (20th 09:00); p9 d replies (21st 21:00, 36 h);
       p10 d reacts to p3.
       Events: a 5 (3 meetings, p1, p2), b 7 (3, p3, p4, p5, p7), c 4 (2, p6, p8),
       d 4 (2, p9, p10), e 1, f 1 = 22.  Activity of the members more active than each: b 0,
       a 7, c and d 12 (tied, they share it), e and f 20: 80% = 17.6, 95% = 20.9 -> a, b, c, d
       core; e and f regular (equal activity shares a tier).  Absence factor (ranked b, a, c|d,
       ..., before < 11): b, a -> 2.  Gini of 1,1,4,4,5,7: 2*98/(6*22) - 7/6 = 7/22.  Meeting load 12 / 6 = 2.
       Hosted: a 3, b 1 -> hosts 2, top host share 3/4; leaders a, b, c (topic) = 3, share 1/2.
       Topics 3, answered 2 (p1, p8), share 2/3, median hours (6, 36) = 21; posts (topics and
       replies) 7, appreciated p1, p3 -> 2/7; forum posts per active member 7/6.
       Priority themes: m1 and m3 of 3 meetings -> 2/3.
       Diversity (known values only): organisation 2,2,1 of 5 -> 1 - 9/25 = 0.64; sector
       acute 2, primary care 1, community 1 -> 0.625; profession nurse 2, gp 1, pharmacist 1 ->
       0.625; patient/carer staff 3, patient 1 -> 0.375; mean 0.56625.  Roster coverage 5/6.
       Largest organisation's share of the period's activity: Org1 (a 5 + b 7) / 22 = 6/11.
  Feb  m4 "COPD self-management": b host, a, c, d, f (one event each); m8 "COPD webinar": e
       registered only (no attendance: not a meeting held, not on a theme).
       Equal activity: nobody is more active than anyone -> all five core.
       Absence factor 3; Gini 0; churned 1 (e); retention 5/6; growth -1/6; core stability
       4/4 = 1; hosts {b} vs {a, b}: rotation 1 - 1/2 = 1/2; top host share 1; leaders 1 of 5.
       Forum delivered but no posts: posts per active member 0, not NULL.  Themes 1/1.
       Diversity: organisation 2,2 of 4 -> 0.5; sector 0.625; profession 0.625; patient/carer
       staff 2, patient 1 -> 4/9.  Coverage 4/5.  Org1 share of activity 2/5.
       Ties: m4 gives 10 pairs; 8 of them (all but cf, df) were January ties -> persistence 0.8.
  Mar  nothing: churned 5 (everyone active in February), counts 0, core stability 0/4,
       retention 0, growth -1; Gini, absence factor, meeting load, top host share, rotation,
       leadership share, posts per member and trace coverage are NULL, not 0.
  Apr  a alone hosts m6 "Falls prevention launch" and m7 "Avoiding pitfalls in rota planning".
       One member: Gini 0, core 1, absence factor 1; reactivated 1; churned 0; rotation NULL
       (nobody hosted in March); core stability NULL (no core in March); retention and growth
       NULL (nobody active in March).  Themes: m6 mentions "falls", m7 only "pitfalls" -> 1/2.
  May  nothing: churned 1 (a).  Jun  nothing.
  Quarters: Q1 events a 6, b 8, c 5, d 5, e 1, f 2; Q2 a 2: Q2 churned 5, retention 1/6,
  hosts {a, b} -> {a}: rotation 1/2; Q1 top host share a 3 of 5 hosted.

Network `clinic` (no roster, no forum, no themes):
  Jan k1 ann host, bob, cat, dan.  Feb k2 ann host, bob.  Mar k3 bob host, ann, cat, dan, and
  a Zoom call hosted by dan with "Gill Guest", who has no e-mail (an unmatched identity).
  Apr k4 ann host, cat.  May k5 dan alone.  Jun k6 dan host, ann.
  Active 4, 2, 5, 2, 1, 2.  Feb: ann and bob one event each -> absence factor 1 (the first
  member already holds exactly half of the activity).  Dips (under 75% of the previous period): Feb (recovered in Mar to
  5 >= 3.6), Apr (not recovered: max(1, 2) < 4.5), May.  Adaptability looks at the periods 2
  to 11 back: Jan-Mar NULL (no dips), Apr (Jan-Feb) 1/1, May (Jan-Mar) 1/1, Jun (Jan-Apr) 1/2.
  Trace coverage: Mar 1 - 1/5 = 0.8, else 1.  Posts per active member NULL (no forum file).
  Host rotation: Feb {ann} vs {ann} 0; Mar {bob, dan} vs {ann} 1; Apr 1; May NULL (no
  hosts); Jun {dan} NULL (no hosts in May).  Tie persistence: Jan NULL (first), Feb 1/1
  (ann-bob), Mar 1/7 (ann-bob of 6 k3 pairs and dan-gill), Apr 1/1 (ann-cat), Jun NULL (May had
  no ties).  Diversity NULL (no roster), roster coverage 0.  May: one member, Gini 0.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from netpulse.build.run import build
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.loading import ingest
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    ROSTER_HEADER,
    TEST_KEY,
    Warehouse,
    attendance_row,
    make_settings,
    write_csv,
    write_networks,
)

HASH = MemberHasher(TEST_KEY)
NET = {m: f"{m}@net.example" for m in "abcdef"}
CLINIC = {m: f"{m}@clinic.example" for m in ("ann", "bob", "cat", "dan")}
ROSTER = {  # organisation, sector, profession, patient_or_carer
    "a": ("Org1", "acute", "nurse", "false"),
    "b": ("Org1", "acute", "gp", "false"),
    "c": ("Org2", "primary care", "nurse", "true"),
    "d": ("Org2", "community", "pharmacist", ""),
    "e": ("Org3", "", "", "false"),
}
ZOOM_HEADER = ("Topic,Meeting ID,User Name,User Email,Start Time,End Time,Duration (Minutes),Participants,"
               "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest")


def key(email: str) -> str:
    return HASH.hash_one(email)


def meeting(meeting_id: str, title: str, start: str, attendees: list[tuple[str, str]]) -> list[list]:
    rows = []
    for email, role in attendees:
        row = attendance_row(meeting_id, start, email, role=role)
        row[1] = title
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("participation")
    config = write_networks(
        root / "networks.yaml",
        {"id": "net", "name": "Net", "timezone": "Europe/London", "quarter_start_month": 1,
         "priority_themes": ["COPD", "falls"]},
        {"id": "clinic", "name": "Clinic", "timezone": "Europe/London", "quarter_start_month": 1,
         "sources": {"attendance/zoom": {"date_order": "dmy"}}},
    )
    settings = make_settings(root, network_config=config)
    landing = settings.landing
    a, b, c, d, e, f = (NET[m] for m in "abcdef")
    write_csv(landing, "net", "roster", "roster.csv", ROSTER_HEADER, [
        [NET[m], m.upper(), org, sector, profession, "", poc, "", "", ""]
        for m, (org, sector, profession, poc) in ROSTER.items()
    ])
    write_csv(landing, "net", "attendance", "meetings.csv", ATTENDANCE_HEADER, [
        *meeting("m1", "COPD pathway review", "2026-01-08T10:00:00",
                 [(a, "host"), (b, ""), (c, ""), (d, ""), (e, "")]),
        *meeting("m2", "Team catch-up", "2026-01-22T10:00:00", [(a, "host"), (b, "cohost"), (f, "")]),
        *meeting("m3", "Falls prevention huddle", "2026-01-29T10:00:00", [(a, "host"), (b, ""), (c, ""), (d, "")]),
        *meeting("m4", "COPD self-management", "2026-02-05T10:00:00",
                 [(b, "host"), (a, ""), (c, ""), (d, ""), (f, "")]),
        ["m8", "COPD webinar", "2026-02-20T10:00:00", "2026-02-20T11:00:00", e, "E", "", "", "", "registered"],
        *meeting("m6", "Falls prevention launch", "2026-04-09T10:00:00", [(a, "host")]),
        *meeting("m7", "Avoiding pitfalls in rota planning", "2026-04-23T10:00:00", [(a, "host")]),
    ])
    write_csv(landing, "net", "forum", "posts.csv", FORUM_HEADER, [
        ["p1", "", "", a, "A", "2026-01-10T09:00:00", "topic"],
        ["p2", "p1", "p1", a, "A", "2026-01-10T10:00:00", "reply"],
        ["p3", "p1", "p1", b, "B", "2026-01-10T15:00:00", "reply"],
        ["p4", "", "", b, "B", "2026-01-12T09:00:00", "topic"],
        ["p5", "p4", "p4", b, "B", "2026-01-12T11:00:00", "reply"],
        ["p6", "p1", "p1", c, "C", "2026-01-11T09:00:00", "reaction"],
        ["p7", "p4", "p4", b, "B", "2026-01-12T12:00:00", "reaction"],
        ["p8", "", "", c, "C", "2026-01-20T09:00:00", "topic"],
        ["p9", "p8", "p8", d, "D", "2026-01-21T21:00:00", "reply"],
        ["p10", "p1", "p3", d, "D", "2026-01-22T09:00:00", "reaction"],
    ])
    ann, bob, cat, dan = (CLINIC[m] for m in ("ann", "bob", "cat", "dan"))
    write_csv(landing, "clinic", "attendance", "clinic.csv", ATTENDANCE_HEADER, [
        *meeting("k1", "Clinic", "2026-01-14T10:00:00", [(ann, "host"), (bob, ""), (cat, ""), (dan, "")]),
        *meeting("k2", "Clinic", "2026-02-11T10:00:00", [(ann, "host"), (bob, "")]),
        *meeting("k3", "Clinic", "2026-03-11T10:00:00", [(bob, "host"), (ann, ""), (cat, ""), (dan, "")]),
        *meeting("k4", "Clinic", "2026-04-08T10:00:00", [(ann, "host"), (cat, "")]),
        *meeting("k5", "Clinic", "2026-05-13T10:00:00", [(dan, "")]),
        *meeting("k6", "Clinic", "2026-06-10T10:00:00", [(dan, "host"), (ann, "")]),
    ])
    zoom = landing / "clinic" / "attendance" / "zoom" / "drop-in.csv"
    zoom.parent.mkdir(parents=True)
    details = "Clinic drop-in,123 456 789,Dan,dan@clinic.example,18/03/2026 10:00,18/03/2026 11:00,60,2"
    zoom.write_text("\n".join([
        ZOOM_HEADER,
        f"{details},Dan,dan@clinic.example,18/03/2026 10:00,18/03/2026 11:00,60,No",
        f"{details},Gill Guest,,18/03/2026 10:05,18/03/2026 10:50,45,Yes",
    ]) + "\n", encoding="utf-8")
    report = ingest(settings)
    assert {o.status for o in report.outcomes} == {"loaded"}, [o for o in report.outcomes if o.status != "loaded"]
    build(settings)
    warehouse = Warehouse(settings)
    yield warehouse
    warehouse.close()


def one(settings, table: str, column: str, network: str, period: str, grain: str = "month"):
    rows = settings.query(f"select {column} from {table} where network_id = ? and grain = ? and period_start = ?",
                 [network, grain, period])
    assert len(rows) <= 1
    return rows[0][0] if rows else None


def participation(settings, column: str, network: str, period: str, grain: str = "month"):
    return one(settings, "indicators.network_participation", column, network, period, grain)


def signal(settings, column: str, network: str, period: str, grain: str = "month"):
    return one(settings, "staging.int_network_period_signals", column, network, period, grain)


def member_rows(settings, network: str, period: str, grain: str = "month") -> dict[str, dict]:
    columns = ("member_key", "events", "attendances", "meetings_hosted", "topics", "replies", "reactions", "tier",
               "in_absence_factor", "is_new", "was_active_previous")
    rows = settings.query(f"select {', '.join(columns)} from staging.int_member_periods_active "
                 "where network_id = ? and grain = ? and period_start = ?", [network, grain, period])
    return {row[0]: dict(zip(columns[1:], row[1:], strict=True)) for row in rows}


def gini(values: list[float]) -> float:
    """Gini as the mean absolute difference over twice the mean, independent of the SQL formula."""
    n, mean = len(values), sum(values) / len(values)
    return sum(abs(x - y) for x in values for y in values) / (2 * n * n * mean)


def blau(categories: list[str]) -> float:
    counts = Counter(categories)
    total = sum(counts.values())
    return 1 - sum((n / total) ** 2 for n in counts.values())


def approx(value):
    return None if value is None else pytest.approx(value)


# --- int_member_periods_active -------------------------------------------------------------


@pytest.mark.parametrize("member, period, expected", [
    ("a", "2026-01-01", dict(events=5, attendances=3, meetings_hosted=3, topics=1, replies=1, reactions=0)),
    ("b", "2026-01-01", dict(events=7, attendances=3, meetings_hosted=1, topics=1, replies=2, reactions=1)),
    ("c", "2026-01-01", dict(events=4, attendances=2, meetings_hosted=0, topics=1, replies=0, reactions=1)),
    ("d", "2026-01-01", dict(events=4, attendances=2, meetings_hosted=0, topics=0, replies=1, reactions=1)),
    ("e", "2026-01-01", dict(events=1, attendances=1, meetings_hosted=0, topics=0, replies=0, reactions=0)),
    ("f", "2026-01-01", dict(events=1, attendances=1, meetings_hosted=0, topics=0, replies=0, reactions=0)),
    ("b", "2026-02-01", dict(events=1, attendances=1, meetings_hosted=1, topics=0, replies=0, reactions=0)),
    ("a", "2026-04-01", dict(events=2, attendances=2, meetings_hosted=2, topics=0, replies=0, reactions=0)),
])
def test_a_members_activity_is_counted_by_kind(built, member, period, expected):
    row = member_rows(built, "net", period)[key(NET[member])]
    assert {k: row[k] for k in expected} == expected


def test_a_registration_alone_is_not_activity(built):
    assert key(NET["e"]) not in member_rows(built, "net", "2026-02-01")


def test_tiers_cut_the_ranked_activity_at_80_and_95_percent(built):
    members = member_rows(built, "net", "2026-01-01")
    tiers = {m: members[key(NET[m])]["tier"] for m in "abcdef"}
    assert tiers == {"a": "core", "b": "core", "c": "core", "d": "core", "e": "regular", "f": "regular"}


def test_members_with_equal_activity_share_a_tier(built):
    members = member_rows(built, "net", "2026-02-01")
    assert {m["tier"] for m in members.values()} == {"core"} and len(members) == 5


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", {"a", "b"}),
    ("2026-02-01", "three lowest keys"),
    ("2026-04-01", {"a"}),
])
def test_the_absence_factor_is_the_fewest_members_holding_half_the_activity(built, period, expected):
    members = member_rows(built, "net", period)
    if expected == "three lowest keys":
        expected_keys = set(sorted(members)[:3])
    else:
        expected_keys = {key(NET[m]) for m in expected}
    assert {k for k, m in members.items() if m["in_absence_factor"]} == expected_keys


@pytest.mark.parametrize("period, new, previous", [
    ("2026-01-01", set("abcdef"), set()),
    ("2026-02-01", set(), set("abcdf")),
    ("2026-04-01", set(), set()),
])
def test_new_members_and_members_active_the_period_before(built, period, new, previous):
    members = member_rows(built, "net", period)
    names = {key(NET[m]): m for m in NET}
    assert {names[k] for k, m in members.items() if m["is_new"]} == new
    assert {names[k] for k, m in members.items() if m["was_active_previous"]} == previous


# --- int_network_periods_participation -----------------------------------------------------


@pytest.mark.parametrize("network, grain, period, core, regular, casual", [
    ("net", "month", "2026-01-01", 4, 2, 0),
    ("net", "month", "2026-02-01", 5, 0, 0),
    ("net", "month", "2026-03-01", 0, 0, 0),
    ("net", "month", "2026-04-01", 1, 0, 0),
    ("clinic", "month", "2026-05-01", 1, 0, 0),
])
def test_tier_counts(built, network, grain, period, core, regular, casual):
    assert [participation(built, c, network, period, grain)
            for c in ("core_members", "regular_members", "casual_members")] == [core, regular, casual]


@pytest.mark.parametrize("network, period, expected", [
    ("net", "2026-01-01", 2), ("net", "2026-02-01", 3), ("net", "2026-03-01", None), ("net", "2026-04-01", 1),
    ("clinic", "2026-02-01", 1),  # ann and bob, one event each: the first already holds half
])
def test_absence_factor_counts_and_is_null_without_activity(built, network, period, expected):
    assert participation(built, "absence_factor", network, period) == expected


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", 2 / 6), ("2026-02-01", 3 / 5), ("2026-03-01", None), ("2026-04-01", 1.0),
])
def test_absence_factor_share_of_active_members(built, period, expected):
    assert participation(built, "absence_factor_share", "net", period) == approx(expected)


@pytest.mark.parametrize("network, grain, period, expected", [
    ("net", "month", "2026-01-01", 7 / 22),
    ("net", "month", "2026-02-01", 0.0),
    ("net", "month", "2026-03-01", None),
    ("net", "month", "2026-04-01", 0.0),  # a single member
    ("clinic", "month", "2026-05-01", 0.0),  # a single member
    ("net", "quarter", "2026-01-01", gini([6, 8, 5, 5, 1, 2])),
])
def test_activity_gini_matches_the_hand_value(built, network, grain, period, expected):
    assert participation(built, "activity_gini", network, period, grain) == approx(expected)


@pytest.mark.parametrize("network, grain, period", [
    ("net", "month", "2026-01-01"), ("net", "month", "2026-02-01"), ("net", "quarter", "2026-01-01"),
    ("clinic", "month", "2026-03-01"), ("clinic", "quarter", "2026-01-01"), ("clinic", "quarter", "2026-04-01"),
])
def test_activity_gini_matches_an_independent_computation_on_the_members_events(built, network, grain, period):
    events = [m["events"] for m in member_rows(built, network, period, grain).values()]
    assert participation(built, "activity_gini", network, period, grain) == pytest.approx(gini(events))


@pytest.mark.parametrize("network, grain, period, expected", [
    ("net", "month", "2026-01-01", 0),
    ("net", "month", "2026-02-01", 1),  # e
    ("net", "month", "2026-03-01", 5),  # everyone active in February
    ("net", "month", "2026-04-01", 0),  # nobody was active in March
    ("net", "month", "2026-05-01", 1),  # a
    ("net", "month", "2026-06-01", 0),
    ("net", "quarter", "2026-04-01", 5),
    ("clinic", "month", "2026-02-01", 2),  # cat, dan
])
def test_churned_members_are_counted_in_the_period_they_missed(built, network, grain, period, expected):
    assert participation(built, "churned_members", network, period, grain) == expected


@pytest.mark.parametrize("network, grain, period, expected", [
    ("net", "month", "2026-01-01", 0),
    ("net", "month", "2026-02-01", 0),
    ("net", "month", "2026-04-01", 1),  # a, back after a silent March
    ("net", "quarter", "2026-04-01", 0),  # a was active in Q1: retained, not reactivated
    ("clinic", "month", "2026-03-01", 2),  # cat and dan, away in February (Gill is new)
    ("clinic", "month", "2026-06-01", 1),  # ann
])
def test_reactivated_members_were_active_before_but_not_the_period_before(built, network, grain, period, expected):
    assert participation(built, "reactivated_members", network, period, grain) == expected


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", None),  # no earlier period
    ("2026-02-01", 1.0),  # a, b, c, d all back
    ("2026-03-01", 0.0),  # nobody back: a true zero
    ("2026-04-01", None),  # March had no core members
    ("2026-05-01", 0.0),
])
def test_core_stability_is_the_share_of_last_periods_core_active_again(built, period, expected):
    assert participation(built, "core_stability", "net", period) == expected


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", 2.0), ("2026-02-01", 1.0), ("2026-03-01", None), ("2026-04-01", 2.0),
])
def test_meeting_load_is_attendances_per_attending_member(built, period, expected):
    assert participation(built, "meeting_load_per_member", "net", period) == approx(expected)


@pytest.mark.parametrize("grain, period, leaders, hosts, top_host_share", [
    ("month", "2026-01-01", 3, 2, 0.75),
    ("month", "2026-02-01", 1, 1, 1.0),
    ("month", "2026-03-01", 0, 0, None),
    ("month", "2026-04-01", 1, 1, 1.0),
    ("quarter", "2026-01-01", 3, 2, 0.6),
])
def test_leaders_hosts_and_the_top_hosts_share(built, grain, period, leaders, hosts, top_host_share):
    assert [participation(built, c, "net", period, grain) for c in ("leaders", "hosts", "top_host_share")] \
        == [leaders, hosts, approx(top_host_share)]


@pytest.mark.parametrize("network, grain, period, expected", [
    ("net", "month", "2026-01-01", None),  # no earlier period
    ("net", "month", "2026-02-01", 0.5),  # {b} vs {a, b}
    ("net", "month", "2026-03-01", None),  # nobody hosted
    ("net", "month", "2026-04-01", None),  # nobody hosted in March
    ("net", "quarter", "2026-04-01", 0.5),  # {a} vs {a, b}
    ("clinic", "month", "2026-02-01", 0.0),  # ann both times
    ("clinic", "month", "2026-03-01", 1.0),  # {bob, dan} vs {ann}
    ("clinic", "month", "2026-04-01", 1.0),  # {ann} vs {bob, dan}
    ("clinic", "month", "2026-05-01", None),  # nobody hosted
    ("clinic", "month", "2026-06-01", None),  # nobody hosted in May
])
def test_host_rotation_is_the_jaccard_distance_of_consecutive_host_sets(built, network, grain, period, expected):
    assert participation(built, "host_rotation", network, period, grain) == expected


# --- int_network_periods_diversity -----------------------------------------------------------


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", dict(diversity_organisation=0.64, diversity_sector=0.625, diversity_profession=0.625,
                        diversity_patient_or_carer=0.375, diversity_blau=0.56625)),
    ("2026-02-01", dict(diversity_organisation=0.5, diversity_sector=0.625, diversity_profession=0.625,
                        diversity_patient_or_carer=4 / 9, diversity_blau=(0.5 + 0.625 + 0.625 + 4 / 9) / 4)),
    ("2026-04-01", dict(diversity_organisation=0.0, diversity_sector=0.0, diversity_profession=0.0,
                        diversity_patient_or_carer=0.0, diversity_blau=0.0)),
])
def test_blau_indices_match_the_hand_values(built, period, expected):
    got = {c: one(built, "indicators.network_distinctiveness", c, "net", period) for c in expected}
    assert got == {c: pytest.approx(v) for c, v in expected.items()}


@pytest.mark.parametrize("period", ["2026-01-01", "2026-02-01", "2026-04-01"])
@pytest.mark.parametrize("attribute, position", [
    ("organisation", 0), ("sector", 1), ("profession", 2), ("patient_or_carer", 3),
])
def test_blau_matches_an_independent_computation_over_the_active_members(built, period, attribute, position):
    active = set(member_rows(built, "net", period))
    names = {key(NET[m]): m for m in NET}
    labels = {"true": "patient or carer", "false": "staff"}
    values = [ROSTER[names[k]][position] for k in active if names[k] in ROSTER]
    values = [labels.get(v, v) if attribute == "patient_or_carer" else v for v in values if v]
    assert one(built, "indicators.network_distinctiveness", f"diversity_{attribute}", "net", period) \
        == pytest.approx(blau(values))


@pytest.mark.parametrize("network, period, expected", [
    ("net", "2026-01-01", 5 / 6), ("net", "2026-02-01", 4 / 5), ("net", "2026-04-01", 1.0),
    ("clinic", "2026-01-01", 0.0),
])
def test_roster_coverage_is_the_share_of_active_members_with_an_organisation(built, network, period, expected):
    assert one(built, "indicators.network_distinctiveness", "roster_coverage", network, period) \
        == pytest.approx(expected)


def test_without_a_roster_diversity_is_null_not_zero(built):
    columns = ("diversity_blau", "diversity_organisation", "largest_organisation_share_of_activity")
    assert [one(built, "indicators.network_distinctiveness", c, "clinic", "2026-01-01") for c in columns] \
        == [None, None, None]


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", 12 / 22),  # Org1: a 5 + b 7 of the period's 22 events (f's 1 has no organisation)
    ("2026-02-01", 2 / 5),  # Org1 (or Org2): 2 of 5 events
    ("2026-04-01", 1.0),
])
def test_largest_organisation_share_of_the_periods_activity(built, period, expected):
    assert one(built, "indicators.network_distinctiveness", "largest_organisation_share_of_activity", "net",
               period) == pytest.approx(expected)


# --- int_network_periods_conversation --------------------------------------------------------


@pytest.mark.parametrize("column, expected", [
    ("topics_opened", 3),
    ("topics_answered", 2),  # p4 was answered only by its own author
    ("share_topics_answered", 2 / 3),
    ("median_hours_to_first_reply", 21.0),  # 6 h (a's own reply at 1 h does not count) and 36 h
    ("share_posts_appreciated", 2 / 7),  # p1, p3; b's reaction to their own p4 does not count
])
def test_forum_conversation_in_january(built, column, expected):
    assert participation(built, column, "net", "2026-01-01") == pytest.approx(expected)


def test_the_quarter_holds_the_same_threads(built):
    columns = ("topics_opened", "topics_answered", "median_hours_to_first_reply", "share_posts_appreciated")
    assert [participation(built, c, "net", "2026-01-01", "quarter") for c in columns] == [3, 2, 21.0,
                                                                                         pytest.approx(2 / 7)]


@pytest.mark.parametrize("column", ["share_topics_answered", "median_hours_to_first_reply", "share_posts_appreciated"])
def test_forum_ratios_are_null_in_a_period_without_posts(built, column):
    assert participation(built, column, "net", "2026-02-01") is None


@pytest.mark.parametrize("network, period, expected", [
    ("net", "2026-01-01", 7 / 6),
    ("net", "2026-02-01", 0.0),  # a forum is delivered: no posts is 0
    ("net", "2026-03-01", None),  # nobody active
    ("clinic", "2026-01-01", None),  # the network never delivered a forum file: unknown
    ("clinic", "2026-03-01", None),
])
def test_forum_posts_per_active_member(built, network, period, expected):
    assert participation(built, "forum_posts_per_active_member", network, period) == approx(expected)


# --- int_network_periods_themed --------------------------------------------------------------


@pytest.mark.parametrize("grain, period, meetings, share", [
    ("month", "2026-01-01", 2, 2 / 3),  # "COPD pathway review", "Falls prevention huddle" (any case)
    ("month", "2026-02-01", 1, 1.0),  # the registration-only "COPD webinar" was not held
    ("month", "2026-03-01", None, None),  # no meetings
    ("quarter", "2026-01-01", 3, 3 / 4),
])
def test_share_of_meetings_on_priority_themes(built, grain, period, meetings, share):
    assert [participation(built, c, "net", period, grain)
            for c in ("meetings_on_priority_themes", "share_meetings_on_priority_themes")] == [meetings, approx(share)]


def test_a_theme_must_be_mentioned_as_a_word_not_inside_another_word(built):
    # April: "Falls prevention launch" mentions "falls"; "Avoiding pitfalls in rota planning" does not.
    assert participation(built, "share_meetings_on_priority_themes", "net", "2026-04-01") == pytest.approx(0.5)


def test_a_network_without_priority_themes_has_no_theme_share(built):
    assert participation(built, "share_meetings_on_priority_themes", "clinic", "2026-01-01") is None


# --- int_network_period_signals --------------------------------------------------------------


@pytest.mark.parametrize("network, grain, period, retention, growth", [
    ("net", "month", "2026-01-01", None, None),
    ("net", "month", "2026-02-01", 5 / 6, -1 / 6),
    ("net", "month", "2026-03-01", 0.0, -1.0),
    ("net", "month", "2026-04-01", None, None),  # nobody active in March
    ("net", "quarter", "2026-04-01", 1 / 6, -5 / 6),
    ("clinic", "month", "2026-02-01", 0.5, -0.5),
    ("clinic", "month", "2026-03-01", 1.0, 1.5),
])
def test_retention_and_growth_rates(built, network, grain, period, retention, growth):
    assert [signal(built, c, network, period, grain) for c in ("retention_rate", "growth_rate")] \
        == [approx(retention), approx(growth)]


ACTIVE = {"net": [6, 5, 0, 1, 0, 0], "clinic": [4, 2, 5, 2, 1, 2]}
MONTHS = [f"2026-{m:02d}-01" for m in range(1, 7)]


@pytest.mark.parametrize("network", ["net", "clinic"])
@pytest.mark.parametrize("index", range(6))
def test_engagement_fluctuation_is_the_coefficient_of_variation_of_active_members(built, network, index):
    window = np.array(ACTIVE[network][max(0, index - 11): index + 1], dtype=float)
    assert signal(built, "active_members", network, MONTHS[index]) == ACTIVE[network][index]
    expected = window.std() / window.mean()  # population standard deviation over the mean
    assert signal(built, "engagement_fluctuation", network, MONTHS[index]) == pytest.approx(expected)


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", None), ("2026-02-01", None), ("2026-03-01", None),
    ("2026-04-01", 1.0), ("2026-05-01", 1.0), ("2026-06-01", 0.5),
])
def test_adaptability_is_the_share_of_earlier_dips_recovered(built, period, expected):
    assert signal(built, "adaptability", "clinic", period) == expected


@pytest.mark.parametrize("network, period, expected", [
    ("net", "2026-01-01", 0.5), ("net", "2026-02-01", 0.2), ("net", "2026-03-01", None), ("net", "2026-04-01", 1.0),
    ("clinic", "2026-03-01", 0.4),  # bob and dan hosted, of 5 active
])
def test_leadership_share_is_leaders_per_active_member(built, network, period, expected):
    assert participation(built, "leadership_share", network, period) == approx(expected)


@pytest.mark.parametrize("network, period, expected", [
    ("net", "2026-01-01", 1.0), ("net", "2026-03-01", None),
    ("clinic", "2026-02-01", 1.0), ("clinic", "2026-03-01", 0.8),  # Gill Guest is unmatched
])
def test_trace_coverage_is_the_share_of_active_members_identified(built, network, period, expected):
    assert participation(built, "trace_coverage", network, period) == approx(expected)


# --- int_network_periods_structured: tie_persistence -----------------------------------------


@pytest.mark.parametrize("network, period, ties, expected", [
    ("net", "2026-01-01", 12, None),  # no earlier ties
    ("net", "2026-02-01", 10, 0.8),
    ("clinic", "2026-01-01", 6, None),
    ("clinic", "2026-02-01", 1, 1.0),
    ("clinic", "2026-03-01", 7, 1 / 7),
    ("clinic", "2026-04-01", 1, 1.0),
    ("clinic", "2026-06-01", 1, None),  # May had no ties
])
def test_tie_persistence_is_the_share_of_own_ties_already_tied_the_period_before(built, network, period, ties,
                                                                                   expected):
    rows = built.query("select ties, tie_persistence from indicators.network_structure "
                 "where network_id = ? and grain = 'month' and period_start = ?", [network, period])
    assert rows == [(ties, approx(expected))]


# --- analyst tables --------------------------------------------------------------------------


def test_every_spine_period_has_one_participation_row(built):
    rows = built.query("select network_id, grain, count(*), count(distinct period_start) "
                 "from indicators.network_participation group by all order by all")
    assert rows == [("clinic", "month", 6, 6), ("clinic", "quarter", 2, 2), ("net", "month", 6, 6),
                    ("net", "quarter", 2, 2)]


def test_distinctiveness_carries_the_signals_under_their_names(built):
    columns = ("growth_rate", "adaptability", "knowledge_function", "activity_gini", "absence_factor_share")
    got = [one(built, "indicators.network_distinctiveness", c, "net", "2026-01-01") for c in columns]
    assert got == [None, None, pytest.approx(2 / 3), pytest.approx(7 / 22), pytest.approx(1 / 3)]


def test_network_indicators_is_one_row_per_network_grain_period_and_indicator(built):
    duplicated = built.query("select indicator, list(family order by family) from indicators.network_indicators "
                       "where network_id = 'net' and grain = 'month' and period_start = '2026-01-01' "
                       "group by indicator having count(*) > 1 order by indicator")
    assert duplicated == []


@pytest.mark.parametrize("indicator, period, value, coverage", [
    ("host_rotation", "2026-02-01", 0.5, 1.0),
    ("churned_members", "2026-03-01", 5.0, None),
    ("share_meetings_on_priority_themes", "2026-01-01", 2 / 3, 1.0),
    ("diversity_blau", "2026-01-01", 0.56625, 1.0),
    ("tie_persistence", "2026-02-01", 0.8, 1.0),
])
def test_network_indicators_carries_each_measure_with_its_coverage(built, indicator, period, value, coverage):
    rows = built.query("select distinct value, raw_value, coverage from indicators.network_indicators "
                 "where network_id = 'net' and grain = 'month' and period_start = ? and indicator = ?",
                 [period, indicator])
    assert rows == [(pytest.approx(value), pytest.approx(value), approx(coverage))]


@pytest.mark.parametrize("component, raw, score", [
    ("hosts", 1.0, 0.0),  # scale [1, 6]
    ("top_host_share", 1.0, 0.0),  # scale [1, 0.3]
    ("host_rotation", 0.5, 0.5 / 0.6 * 100),  # scale [0, 0.6]
    ("leadership_share", 0.2, (0.2 - 0.05) / 0.45 * 100),  # scale [0.05, 0.5]
    ("survey_adaptive_leadership", None, None),  # no survey
])
def test_key_feature_component_rows_score_the_february_leadership_signals(built, component, raw, score):
    rows = built.query("select raw_value, value, weight, evidence_kind, family from indicators.network_indicators "
                 "where network_id = 'net' and grain = 'month' and period_start = '2026-02-01' and indicator = ?",
                 [f"kf_adaptive_leadership.{component}"])
    evidence = "survey" if component.startswith("survey") else "trace"
    weight = 2.0 if evidence == "survey" else 1.0
    assert rows == [(approx(raw), approx(score), weight, evidence, "key feature component")]


def test_the_key_feature_is_the_weighted_mean_of_the_components_with_evidence(built):
    rows = built.query("select value, evidence_kind, family from indicators.network_indicators "
                 "where network_id = 'net' and grain = 'month' and period_start = '2026-02-01' "
                 "and indicator = 'kf_adaptive_leadership'")
    expected = (0 + 0 + 0.5 / 0.6 * 100 + 0.15 / 0.45 * 100) / 4
    assert rows == [(pytest.approx(expected), "trace", "key feature")]
