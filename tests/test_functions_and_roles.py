"""Network functions and member roles on a small landing zone worked out by hand.

Network `fn` (quarters from January; roster a Org1, b Org2, c Org3, d Org1, g Org2):
  Jan  m1: a host, b, c (everyone new).  Forum: p1 topic by a; p2 b replies to p1 and p3 c
       reacts to p1 (both to a, new this month: community building); p4 a replies to their own
       p1 (not "to another member": no community building, no facilitating).
       Functions: convening 3, filtering 1, community building 2.
       Roles: co-ordinator a (1 meeting); facilitator b (1 reply to a newcomer; a's reply to
       themselves does not bring anyone in); connector/catalyst a, b, c (each tied to the two
       other organisations: co-attendance of m1).
  Feb  m2: a host, b cohost, d, g (d, g new).  Forum: p5 topic by b; p6 a replies to p5
       (facilitating: b is not new); p7 c reacts to p5 (amplifying); p9 topic by d; p10 a
       replies to p9 and p11 a reacts to p9 (community building: d is new); p12 b replies to
       their own p5 (not facilitating).
       Functions: convening 4, filtering 2, facilitating 1, amplifying 1, community building 2.
       Roles: co-ordinators a, b; facilitator a (1 reply to d); connector b only: ties ab ad ag
       bd bg dg (m2) and bc (p7) -> b reaches Org1 (a, d) and Org3 (c); a, d and g reach only
       one other organisation (d through two members of Org2, b and g: still one).
  Mar  nothing: every function 0 events, shares NULL (no events to share).
  Apr  m3: a host alone; p13 topic by a; p14 b replies (facilitating); a also answers a survey
       (survey responses serve no function). Functions 1, 1, 1 of 3: each share 1/3.
  investing/providing: NULL events and share in every period.
  Q1 (Jan-Mar): everyone is in their first quarter, so every reply or reaction to another
  member is community building (6: p2, p3, p6, p7, p10, p11), none facilitating or amplifying.

Network `steady` (no roster): Sep 2025 - Jan 2026 one meeting a month with z, x and y (y misses
December): everyone core (1 event each of 3, or of 2 in December). Feb 2026: z 5 meetings, y 2,
x 1 (total 8; before z 0, y 5, x 7: 80% = 6.4 -> z, y core, x regular).
Network guardian (core and active in each of the five months before): Feb z only (x is not
core, y missed December); in January nobody has six months yet.
"""

from __future__ import annotations

import pytest

from netpulse.build.run import build
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.loading import ingest
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    ROSTER_HEADER,
    SURVEY_HEADER,
    TEST_KEY,
    Warehouse,
    attendance_row,
    make_settings,
    write_csv,
    write_networks,
)

HASH = MemberHasher(TEST_KEY)
FN = {m: f"{m}@fn.example" for m in "abcdg"}
STEADY = {m: f"{m}@steady.example" for m in "zxy"}
ORGANISATIONS = {"a": "Org1", "b": "Org2", "c": "Org3", "d": "Org1", "g": "Org2"}
FUNCTIONS = ("convening", "filtering", "facilitating", "amplifying", "community building", "investing/providing")


def name_of(member_key: str) -> str:
    names = {HASH.hash_one(email): name for people in (FN, STEADY) for name, email in people.items()}
    return names[member_key]


def meeting(meeting_id: str, start: str, attendees: list[tuple[str, str]]) -> list[list]:
    return [attendance_row(meeting_id, start, email, role=role) for email, role in attendees]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("functions")
    config = write_networks(
        root / "networks.yaml",
        {"id": "fn", "name": "Functions", "timezone": "Europe/London", "quarter_start_month": 1},
        {"id": "steady", "name": "Steady", "timezone": "Europe/London", "quarter_start_month": 1},
    )
    settings = make_settings(root, network_config=config)
    landing = settings.landing
    a, b, c, d, g = (FN[m] for m in "abcdg")
    write_csv(landing, "fn", "roster", "roster.csv", ROSTER_HEADER, [
        [FN[m], m.upper(), org, "", "", "", "", "", "", ""] for m, org in ORGANISATIONS.items()
    ])
    write_csv(landing, "fn", "attendance", "meetings.csv", ATTENDANCE_HEADER, [
        *meeting("m1", "2026-01-13T10:00:00", [(a, "host"), (b, ""), (c, "")]),
        *meeting("m2", "2026-02-10T10:00:00", [(a, "host"), (b, "cohost"), (d, ""), (g, "")]),
        *meeting("m3", "2026-04-07T10:00:00", [(a, "host")]),
    ])
    write_csv(landing, "fn", "forum", "posts.csv", FORUM_HEADER, [
        ["p1", "", "", a, "A", "2026-01-14T09:00:00", "topic"],
        ["p2", "p1", "p1", b, "B", "2026-01-14T10:00:00", "reply"],
        ["p3", "p1", "p1", c, "C", "2026-01-14T11:00:00", "reaction"],
        ["p4", "p1", "p1", a, "A", "2026-01-14T12:00:00", "reply"],
        ["p5", "", "", b, "B", "2026-02-11T09:00:00", "topic"],
        ["p6", "p5", "p5", a, "A", "2026-02-11T10:00:00", "reply"],
        ["p7", "p5", "p5", c, "C", "2026-02-11T11:00:00", "reaction"],
        ["p9", "", "", d, "D", "2026-02-12T09:00:00", "topic"],
        ["p10", "p9", "p9", a, "A", "2026-02-12T10:00:00", "reply"],
        ["p11", "p9", "p9", a, "A", "2026-02-12T11:00:00", "reaction"],
        ["p12", "p5", "p5", b, "B", "2026-02-13T09:00:00", "reply"],
        ["p13", "", "", a, "A", "2026-04-08T09:00:00", "topic"],
        ["p14", "p13", "p13", b, "B", "2026-04-09T09:00:00", "reply"],
    ])
    write_csv(landing, "fn", "survey", "wave.csv", SURVEY_HEADER + ["q1"], [
        ["r1", "netpulse-core-v1", "2026-04-10T09:00:00", a, "true", "4"],
    ])
    z, x, y = (STEADY[m] for m in "zxy")
    steady = []
    for month in ("2025-09", "2025-10", "2025-11", "2025-12", "2026-01"):
        people = [z, x] if month == "2025-12" else [z, x, y]
        steady += meeting(f"s{month}", f"{month}-15T10:00:00", [(p, "") for p in people])
    for n, people in enumerate([[z, y, x], [z, y], [z], [z], [z]]):
        steady += meeting(f"sfeb{n}", f"2026-02-{10 + n:02d}T10:00:00", [(p, "") for p in people])
    write_csv(landing, "steady", "attendance", "meetings.csv", ATTENDANCE_HEADER, steady)
    report = ingest(settings)
    assert {o.status for o in report.outcomes} == {"loaded"}, [o for o in report.outcomes if o.status != "loaded"]
    build(settings)
    warehouse = Warehouse(settings)
    yield warehouse
    warehouse.close()


def functions(built, period: str, grain: str = "month", network: str = "fn") -> dict[str, tuple]:
    rows = built.query("select network_function, events, share from indicators.network_functions "
                       "where network_id = ? and grain = ? and period_start = ?", [network, grain, period])
    return {function: (events, share) for function, events, share in rows}


def roles(built, role: str, period: str, network: str = "fn", grain: str = "month") -> dict[str, str]:
    rows = built.query("select member_key, evidence from indicators.member_roles "
                       "where network_id = ? and grain = ? and period_start = ? and role = ?",
                       [network, grain, period, role])
    return {name_of(member_key): evidence for member_key, evidence in rows}


# --- indicators.network_functions ------------------------------------------------------------


def test_every_spine_period_has_one_row_per_function(built):
    rows = built.query("select network_id, grain, count(distinct period_start), count(*), "
                       "count(distinct (period_start, network_function)) from indicators.network_functions "
                       "group by all order by all")
    # fn: Jan-Apr and Q1, Q2; steady: Sep 2025 - Apr 2026 (the warehouse's latest data) and 4 quarters.
    assert rows == [("fn", "month", 4, 24, 24), ("fn", "quarter", 2, 12, 12),
                    ("steady", "month", 8, 48, 48), ("steady", "quarter", 4, 24, 24)]


@pytest.mark.parametrize("period, function, expected", [
    ("2026-01-01", "convening", 3),
    ("2026-01-01", "filtering", 1),
    ("2026-01-01", "facilitating", 0),
    ("2026-01-01", "amplifying", 0),
    ("2026-02-01", "convening", 4),  # hosts and co-hosts convene too
    ("2026-02-01", "filtering", 2),
    ("2026-02-01", "amplifying", 1),
    ("2026-02-01", "community building", 2),
    ("2026-04-01", "convening", 1),
    ("2026-04-01", "facilitating", 1),
])
def test_each_event_counts_towards_its_function(built, period, function, expected):
    assert functions(built, period)[function][0] == expected


def test_community_building_is_replying_or_reacting_to_another_member_new_this_period(built):
    # January: b's reply and c's reaction to a (new); a's reply to their own topic is not
    # community building, although a is new too.
    assert functions(built, "2026-01-01")["community building"][0] == 2


def test_facilitating_is_replying_to_another_member(built):
    # February: a's reply to b counts; b's reply to their own topic does not.
    assert functions(built, "2026-02-01")["facilitating"][0] == 1


def test_a_survey_response_serves_no_function(built):
    assert functions(built, "2026-04-01") == {
        "convening": (1, pytest.approx(1 / 3)), "filtering": (1, pytest.approx(1 / 3)),
        "facilitating": (1, pytest.approx(1 / 3)), "amplifying": (0, 0.0), "community building": (0, 0.0),
        "investing/providing": (None, None),
    }


def test_in_a_period_without_activity_functions_have_no_events_and_no_shares(built):
    expected = dict.fromkeys(FUNCTIONS[:-1], (0, None)) | {"investing/providing": (None, None)}
    assert functions(built, "2026-03-01") == expected


@pytest.mark.parametrize("network, grain", [("fn", "month"), ("fn", "quarter"), ("steady", "month")])
def test_investing_and_providing_is_null_never_zero(built, network, grain):
    rows = built.query("select distinct events, share from indicators.network_functions where network_id = ? "
                       "and grain = ? and network_function = 'investing/providing'", [network, grain])
    assert rows == [(None, None)]


@pytest.mark.parametrize("network, grain", [("fn", "month"), ("fn", "quarter"), ("steady", "month")])
def test_shares_of_a_period_with_events_add_up_to_one(built, network, grain):
    rows = built.query("select period_start, sum(share), sum(events) from indicators.network_functions "
                       "where network_id = ? and grain = ? group by all", [network, grain])
    assert rows and all(total == pytest.approx(1.0) for _, total, events in rows if events)
    assert all(total is None for _, total, events in rows if not events)


def test_in_everyones_first_quarter_replies_and_reactions_are_community_building(built):
    quarter = functions(built, "2026-01-01", "quarter")
    assert (quarter["facilitating"][0], quarter["amplifying"][0]) == (0, 0)


def test_convening_share_in_the_steady_network(built):
    assert functions(built, "2026-02-01", network="steady")["convening"] == (8, 1.0)


# --- indicators.member_roles -----------------------------------------------------------------


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", {"a": "hosted or co-hosted 1 meeting(s)"}),
    ("2026-02-01", {"a": "hosted or co-hosted 1 meeting(s)", "b": "hosted or co-hosted 1 meeting(s)"}),
    ("2026-03-01", {}),
    ("2026-04-01", {"a": "hosted or co-hosted 1 meeting(s)"}),
])
def test_co_ordinators_hosted_or_co_hosted(built, period, expected):
    assert roles(built, "co-ordinator", period) == expected


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", {"b": "replied 1 time(s) to members new this period"}),  # not a, who replied to themselves
    ("2026-02-01", {"a": "replied 1 time(s) to members new this period"}),  # to d; the reply to b does not count
    ("2026-04-01", {}),  # b replied to a, who is not new
])
def test_facilitators_replied_to_another_member_new_this_period(built, period, expected):
    assert roles(built, "facilitator", period) == expected


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", dict.fromkeys("abc", "tied to members of 2 other organisations")),
    ("2026-02-01", {"b": "tied to members of 2 other organisations"}),
    ("2026-04-01", {}),
])
def test_connectors_are_tied_to_two_or_more_other_organisations(built, period, expected):
    assert roles(built, "connector/catalyst", period) == expected


@pytest.mark.parametrize("period, expected", [
    ("2026-01-01", {}),  # five months of activity so far
    ("2026-02-01", {"z": "core member, active in each of the last six months"}),
    ("2026-03-01", {}),
])
def test_network_guardians_are_core_and_active_six_periods_running(built, period, expected):
    assert roles(built, "network guardian", period, network="steady") == expected


def test_the_tiers_behind_the_guardian_rule(built):
    rows = built.query("select member_key, tier from staging.int_member_periods_active where network_id = 'steady' "
                       "and grain = 'month' and period_start = '2026-02-01'")
    assert {name_of(k): tier for k, tier in rows} == {"z": "core", "y": "core", "x": "regular"}


def test_there_are_no_quarterly_guardians_without_six_quarters(built):
    assert built.query("select count(*) from indicators.member_roles "
                       "where role = 'network guardian' and grain = 'quarter'") == [(0,)]
