"""Survey means per key feature and the key-feature rows built on them, worked out by hand.

Network `svy` (quarters from January; survey_lookback 6 months / 2 quarters, min_respondents 5;
instrument netpulse-core-v1: shared_purpose q1 q7 q8, compelling_purpose q2 q9,
member_needs q3 q10 q11, adaptive_leadership q4 q12, relationships q5 q13 q14,
helpful_outputs q6 q15; a generic file carries stored scores, so reverse items stay as given).

  Jan 15  meeting j1 with s1..s8 (8 members).
  Feb     r1 s1 (item means per feature: SP (5+4+3)/3 = 4, CP 4, MN 3, DL 3, RL 5, HO 3);
          r2 s2 all 4, then r8 s2 all 1 but unfinished (r2 stays s2's latest finished);
          r3 s3 all 1, resubmitted as r4 s3 all 5 (only r4 counts);
          r5 s4 all 3, unfinished (s4 is no respondent);
          r6 s5 q1 2, q7 3, q8 blank, every other item 2 (SP 2.5, others 2);
          r7 s6 only SP: q1 3, q7 3, q8 5 (SP 11/3: q8 is not reversed again).
  Apr     r9 s1 all 3 (s1's latest from April on); r10 s7: SP 4, CP (5+4)/2, MN 5, DL (1+2)/2,
          RL 4, HO (5+4)/2.
  Aug 12  meeting a1 with s1, s2.

  Feb, Mar (window Sep/Oct - Feb/Mar): respondents s1 s2 s3 s5 s6 = 5.  SP: 5 members ->
          (4 + 4 + 5 + 2.5 + 11/3) / 5; every other feature has 4 respondents -> NULL.
          Active in the window: the 8 of j1 -> response rate 5/8.
  Apr-Jul (window up to 6 months back): respondents s1 (r9) s2 s3 s5 s6 s7 = 6.
          SP (3 + 4 + 5 + 2.5 + 11/3 + 4) / 6; CP (3 + 4 + 5 + 2 + 4.5) / 5 = 3.7;
          MN (3 + 4 + 5 + 2 + 5) / 5 = 3.8; DL (3 + 4 + 5 + 2 + 1.5) / 5 = 3.1;
          RL (3 + 4 + 5 + 2 + 4) / 5 = 3.6; HO (3 + 4 + 5 + 2 + 4.5) / 5 = 3.7.
          Response rate: Apr-Jun 6/8 (j1 still in the window), Jul 6/6 (j1 out: Feb-Jul holds only
          the respondents' survey events).
  Aug     (window Mar-Aug): the February wave is out: respondents s1, s7 = 2, every mean NULL;
          active s1, s7 (surveys), s2 (a1) -> rate 2/3.
  Jan     no response in the window: no survey evidence (NULL respondents and rate).
  Quarters: Q1 = February's figures; Q2 = April's; Q3 (window Q2-Q3) = August's (rate 2/3).

  Key-feature rows: survey components scale [1, 5] with weight 2, coverage = response rate.
  Feb: kf_shared_purpose.survey_shared_purpose raw SP_FEB, score (SP_FEB - 1) / 4 * 100, coverage
  5/8; kf_compelling_purpose has no evidence at all (no survey mean, no priority themes): NULL,
  never 0.  Apr: kf_compelling_purpose = its survey component alone, (3.7 - 1) / 4 * 100 = 67.5.
  Member activity: s3's resubmission is one survey response, one event, not two.
"""

from __future__ import annotations

import pytest

from netpulse.build.run import build
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.loading import ingest
from tests.helpers import (
    ATTENDANCE_HEADER,
    SURVEY_HEADER,
    TEST_KEY,
    Warehouse,
    attendance_row,
    make_settings,
    write_csv,
    write_networks,
)

HASH = MemberHasher(TEST_KEY)
MEMBERS = {f"s{n}": f"s{n}@svy.example" for n in range(1, 9)}
ITEMS = [f"q{n}" for n in range(1, 16)]
FEATURES = {
    "shared_purpose": ("q1", "q7", "q8"), "compelling_purpose": ("q2", "q9"),
    "member_needs": ("q3", "q10", "q11"), "adaptive_leadership": ("q4", "q12"),
    "relationships": ("q5", "q13", "q14"), "helpful_outputs": ("q6", "q15"),
}
SP_FEB = (4 + 4 + 5 + 2.5 + 11 / 3) / 5
SP_APR = (3 + 4 + 5 + 2.5 + 11 / 3 + 4) / 6
APRIL = {"survey_shared_purpose": SP_APR, "survey_compelling_purpose": 3.7, "survey_member_needs": 3.8,
         "survey_adaptive_leadership": 3.1, "survey_relationships": 3.6, "survey_helpful_outputs": 3.7}
NOTHING = dict.fromkeys(APRIL)
FEBRUARY = NOTHING | {"survey_shared_purpose": SP_FEB}


def response(response_id: str, member: str, submitted: str, finished: bool, answers: dict[str, int] | int) -> list:
    if isinstance(answers, int):
        answers = dict.fromkeys(ITEMS, answers)
    return [response_id, "netpulse-core-v1", submitted, MEMBERS[member], str(finished).lower(),
            *[answers.get(item, "") for item in ITEMS]]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("survey")
    config = write_networks(root / "networks.yaml",
                            {"id": "svy", "name": "Survey", "timezone": "Europe/London", "quarter_start_month": 1})
    settings = make_settings(root, network_config=config)
    landing = settings.landing
    write_csv(landing, "svy", "attendance", "meetings.csv", ATTENDANCE_HEADER, [
        *[attendance_row("j1", "2026-01-15T10:00:00", email) for email in MEMBERS.values()],
        attendance_row("a1", "2026-08-12T10:00:00", MEMBERS["s1"]),
        attendance_row("a1", "2026-08-12T10:00:00", MEMBERS["s2"]),
    ])
    first = dict(zip(ITEMS, [5, 4, 3, 2, 5, 4, 4, 3, 4, 3, 3, 4, 5, 5, 2], strict=True))
    write_csv(landing, "svy", "survey", "waves.csv", SURVEY_HEADER + ITEMS, [
        response("r1", "s1", "2026-02-02T09:00:00", True, first),
        response("r2", "s2", "2026-02-03T09:00:00", True, 4),
        response("r8", "s2", "2026-02-12T09:00:00", False, 1),
        response("r3", "s3", "2026-02-04T09:00:00", True, 1),
        response("r4", "s3", "2026-02-10T09:00:00", True, 5),
        response("r5", "s4", "2026-02-05T09:00:00", False, 3),
        response("r6", "s5", "2026-02-06T09:00:00", True, dict.fromkeys(ITEMS, 2) | {"q1": 2, "q7": 3, "q8": ""}),
        response("r7", "s6", "2026-02-07T09:00:00", True, {"q1": 3, "q7": 3, "q8": 5}),
        response("r9", "s1", "2026-04-08T09:00:00", True, 3),
        response("r10", "s7", "2026-04-09T09:00:00", True, {
            "q1": 4, "q7": 4, "q8": 4, "q2": 5, "q9": 4, "q3": 5, "q10": 5, "q11": 5, "q4": 1, "q12": 2,
            "q5": 4, "q13": 4, "q14": 4, "q6": 5, "q15": 4}),
    ])
    report = ingest(settings)
    assert {o.status for o in report.outcomes} == {"loaded"}, [o for o in report.outcomes if o.status != "loaded"]
    build(settings)
    warehouse = Warehouse(settings)
    yield warehouse
    warehouse.close()


def surveyed(built, period: str, grain: str = "month") -> dict:
    columns = ("survey_respondents", "survey_response_rate", *APRIL)
    rows = built.query(f"select {', '.join(columns)} from staging.int_network_period_signals "
                       "where network_id = 'svy' and grain = ? and period_start = ?", [grain, period])
    assert len(rows) == 1
    return dict(zip(columns, rows[0], strict=True))


def approx(values: dict) -> dict:
    return {k: None if v is None else pytest.approx(v) for k, v in values.items()}


def test_the_instrument_items_map_to_the_key_features(built):
    rows = built.query("select key_feature, list(item order by item) from staging.int_instrument_items "
                       "where instrument = 'netpulse-core-v1' group by all")
    assert {feature: sorted(items) for feature, items in rows} == {f: sorted(i) for f, i in FEATURES.items()}


@pytest.mark.parametrize("grain, period, respondents", [
    ("month", "2026-02-01", 5), ("month", "2026-03-01", 5), ("month", "2026-04-01", 6),
    ("month", "2026-07-01", 6), ("month", "2026-08-01", 2),
    ("quarter", "2026-01-01", 5), ("quarter", "2026-04-01", 6), ("quarter", "2026-07-01", 2),
])
def test_respondents_are_members_with_a_finished_response_in_the_window(built, grain, period, respondents):
    assert surveyed(built, period, grain)["survey_respondents"] == respondents


def test_a_period_without_responses_in_its_window_has_no_survey_evidence(built):
    assert surveyed(built, "2026-01-01") == {"survey_respondents": None, "survey_response_rate": None, **NOTHING}


@pytest.mark.parametrize("grain, period, expected", [
    ("month", "2026-02-01", FEBRUARY),  # only shared purpose has 5 respondents (s6 answered it alone)
    ("month", "2026-03-01", FEBRUARY),  # still in the window
    ("month", "2026-04-01", APRIL),  # s1's April response replaces February's; s7 joins
    ("month", "2026-07-01", APRIL),  # six months back reaches February
    ("month", "2026-08-01", NOTHING),  # 2 respondents: below min_respondents
    ("quarter", "2026-01-01", FEBRUARY),
    ("quarter", "2026-04-01", APRIL),
    ("quarter", "2026-07-01", NOTHING),
])
def test_feature_means_over_each_members_latest_finished_response(built, grain, period, expected):
    got = surveyed(built, period, grain)
    assert {k: got[k] for k in expected} == approx(expected)


@pytest.mark.parametrize("grain, period, expected", [
    ("month", "2026-02-01", 5 / 8), ("month", "2026-04-01", 6 / 8), ("month", "2026-06-01", 6 / 8),
    ("month", "2026-07-01", 1.0), ("month", "2026-08-01", 2 / 3),
    ("quarter", "2026-01-01", 5 / 8), ("quarter", "2026-07-01", 2 / 3),
])
def test_response_rate_is_respondents_over_members_active_in_the_window(built, grain, period, expected):
    assert surveyed(built, period, grain)["survey_response_rate"] == pytest.approx(expected)


def test_the_participation_table_carries_respondents_and_rate(built):
    rows = built.query("select survey_respondents, survey_response_rate from indicators.network_participation "
                       "where network_id = 'svy' and grain = 'month' and period_start = '2026-08-01'")
    assert rows == [(2, pytest.approx(2 / 3))]


@pytest.mark.parametrize("member, events, surveys", [
    ("s3", 1, 1),  # r3 and its resubmission r4: one response
    ("s2", 1, 1),  # r2; the unfinished r8 is no event
    ("s1", 1, 1),
])
def test_a_resubmitted_survey_is_one_event_of_the_member(built, member, events, surveys):
    rows = built.query("select events, surveys from staging.int_member_periods_active where network_id = 'svy' "
                       "and grain = 'month' and period_start = '2026-02-01' and member_key = ?",
                       [HASH.hash_one(MEMBERS[member])])
    assert rows == [(events, surveys)]


def test_an_unfinished_response_alone_is_no_activity(built):
    rows = built.query("select count(*) from staging.int_member_periods_active where network_id = 'svy' "
                       "and period_start = '2026-02-01' and member_key = ?", [HASH.hash_one(MEMBERS["s4"])])
    assert rows == [(0,)]


def test_survey_responses_count_one_per_member_and_instrument(built):
    rows = built.query("select active_members, survey_responses from indicators.network_period "
                       "where network_id = 'svy' and grain = 'month' and period_start = '2026-02-01'")
    assert rows == [(5, 5)]


def test_a_resubmission_does_not_make_a_member_look_more_active(built):
    # February: five respondents with one response each -> activity is spread evenly.
    rows = built.query("select activity_gini from indicators.network_participation "
                       "where network_id = 'svy' and grain = 'month' and period_start = '2026-02-01'")
    assert rows == [(0.0,)]


def indicator(built, name: str, period: str) -> tuple:
    rows = built.query("select raw_value, value, weight, coverage, evidence_kind from indicators.network_indicators "
                       "where network_id = 'svy' and grain = 'month' and period_start = ? and indicator = ?",
                       [period, name])
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("name, period, raw, score, coverage", [
    ("kf_shared_purpose.survey_shared_purpose", "2026-02-01", SP_FEB, (SP_FEB - 1) / 4 * 100, 5 / 8),
    ("kf_member_needs.survey_member_needs", "2026-04-01", 3.8, 70.0, 6 / 8),
    ("kf_adaptive_leadership.survey_adaptive_leadership", "2026-04-01", 3.1, 52.5, 6 / 8),
    ("kf_relationships.survey_relationships", "2026-07-01", 3.6, 65.0, 1.0),
    ("kf_helpful_outputs.survey_helpful_outputs", "2026-04-01", 3.7, 67.5, 6 / 8),
])
def test_survey_components_are_scaled_from_1_to_5_with_weight_2(built, name, period, raw, score, coverage):
    assert indicator(built, name, period) == (pytest.approx(raw), pytest.approx(score), 2.0,
                                              pytest.approx(coverage), "survey")


@pytest.mark.parametrize("name, period", [
    ("kf_compelling_purpose.survey_compelling_purpose", "2026-02-01"),  # 4 respondents
    ("kf_shared_purpose.survey_shared_purpose", "2026-08-01"),  # 2 respondents
])
def test_a_survey_component_below_min_respondents_has_no_score_and_no_coverage(built, name, period):
    assert indicator(built, name, period) == (None, None, 2.0, None, "survey")


def test_a_key_feature_without_any_evidence_is_null_not_zero(built):
    # February: no survey mean for compelling purpose and no priority themes configured.
    assert indicator(built, "kf_compelling_purpose", "2026-02-01") == (None, None, None, None, None)


def test_a_key_feature_with_only_survey_evidence_is_its_survey_score(built):
    assert indicator(built, "kf_compelling_purpose", "2026-04-01") == (pytest.approx(67.5), pytest.approx(67.5),
                                                                       None, pytest.approx(6 / 8), "survey")


def test_survey_indicators_carry_the_response_rate_as_coverage(built):
    assert indicator(built, "survey_respondents", "2026-02-01") == (5.0, 5.0, None, pytest.approx(5 / 8), "survey")
