"""Survey instruments: the shipped default, scoring answers, waves and validation."""

from __future__ import annotations

import copy
import logging
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from netpulse.config.instruments import (
    InvalidAnswer,
    default_instrument,
    find_instrument,
    instrument_from_dict,
    key_feature_titles,
    load_instrument,
)
from netpulse.demo import data as demo_data
from netpulse.errors import ConfigError

FIXTURE = Path(__file__).parent / "fixtures" / "vendors" / "qualtrics" / "instrument.yaml"

MINIMAL = {
    "id": "test-v1",
    "items": [
        {"id": "q1", "key_feature": "shared_purpose", "text": "I know why this network exists."},
        {"id": "q2", "key_feature": "compelling_purpose", "text": "The work is irrelevant to me.", "reverse": True},
    ],
    "waves": [
        {"id": "2026-spring", "opens": date(2026, 3, 1), "closes": date(2026, 4, 30)},
        {"id": "2026-autumn", "opens": "2026-09-01", "closes": "2026-10-31"},
    ],
}


def minimal(**changes) -> dict:
    document = copy.deepcopy(MINIMAL)
    document.update(changes)
    return document


# -- the default instrument ------------------------------------------------------------------


def test_default_instrument_covers_the_six_key_features_with_two_or_three_items_each():
    instrument = default_instrument()
    by_feature = instrument.items_by_feature()
    assert set(by_feature) == set(key_feature_titles())
    assert all(2 <= len(items) <= 3 for items in by_feature.values()), by_feature
    assert instrument.id == "netpulse-core-v1"
    assert not instrument.keep_free_text


def test_default_instrument_has_reverse_items_and_generic_columns_named_like_its_items():
    instrument = default_instrument()
    assert {i.id for i in instrument.items if i.reverse} == {"q8", "q9", "q11"}
    for item in instrument.items:
        assert item.source_columns["generic"] == (item.id,)
        assert instrument.item_for(item.id) == item.id


def test_default_instrument_headline_items_are_one_per_feature_and_match_the_demo_survey():
    """q1..q6 are the framework's survey signal of each feature, the items the demo data answers."""
    instrument = default_instrument()
    headline = [instrument.item(f"q{n}") for n in range(1, 7)]
    assert [i.key_feature for i in headline] == list(key_feature_titles())
    assert not any(i.reverse for i in headline)
    assert instrument.id == demo_data.SURVEY_INSTRUMENT
    assert set(demo_data.SURVEY_ITEMS) <= set(instrument.item_ids)


def test_default_labels_are_the_agreement_scale():
    instrument = default_instrument()
    assert [texts[0] for _, texts in sorted(instrument.labels.items())] == [
        "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]


# -- scoring -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "score"), [
    ("Strongly disagree", 1), ("Disagree", 2), ("Neither agree nor disagree", 3), ("Agree", 4),
    ("Strongly agree", 5), ("  strongly   AGREE ", 5), ("agree.", 4), ("Neutral", 3), ("Somewhat agree", 4),
    ("1", 1), ("5", 5), (" 3 ", 3), ("4.0", 4), (2, 2), (4.0, 4),
    ("", None), ("   ", None), (None, None), (float("nan"), None), ("Not applicable", None), ("don’t know", None),
])
def test_score_reads_labels_numbers_and_no_answers(value, score):
    assert default_instrument().score("q1", value) == score


@pytest.mark.parametrize(("given", "stored"), [("Strongly agree", 1), ("Agree", 2), ("3", 3), (2, 4), ("1", 5)])
def test_reverse_coded_items_store_six_minus_the_answer(given, stored):
    assert default_instrument().score("q9", given) == stored


@pytest.mark.parametrize("value", ["Sometimes", "0", "6", "4.5", "-1", "Agreed", 0, 6, 4.5, True, date(2026, 1, 1)])
def test_score_refuses_answers_that_are_not_labels(value):
    with pytest.raises(InvalidAnswer, match="is not one of the Likert labels"):
        default_instrument().score("q1", value)


def test_score_of_an_unknown_column_is_a_key_error():
    with pytest.raises(KeyError, match="no item for column"):
        default_instrument().score("Q99", "Agree")


# -- columns -----------------------------------------------------------------------------------


def test_item_for_generic_columns_is_the_item_id_or_a_listed_generic_column():
    instrument = instrument_from_dict(minimal(items=[
        {"id": "q1", "key_feature": "shared_purpose", "text": "I know why.",
         "source_columns": {"generic": "q_purpose"}},
    ]))
    assert instrument.item_for("q1") == "q1"
    assert instrument.item_for("Q_Purpose") == "q1"
    assert instrument.item_for("I know why.") is None  # generic files name items, not questions
    assert instrument.item_for("q2") is None


def test_item_for_vendor_columns_uses_listed_columns_and_the_question_text():
    instrument = load_instrument(FIXTURE)
    assert instrument.item_for("Q4", "qualtrics") == "q3"
    assert instrument.item_for("q4", "qualtrics") == "q3"
    assert instrument.item_for("Q4", "msforms") is None  # listed for Qualtrics only
    assert instrument.item_for("This network helps me in my day job", "msforms") == "q3"
    assert instrument.item_for("How far do you agree? - I know why this network exists.", "qualtrics") == "q1"
    assert instrument.item_for("The network\u2019s work is irrelevant to my organisation", "qualtrics") == "q9"
    assert instrument.item_for("About the network.I trust other members of this network.", "msforms") == "q5"
    assert instrument.item_for("Q1", "qualtrics") is None  # a Qualtrics Q1 is not generic column q1
    assert instrument.item_for("What is your role?", "qualtrics") is None


def test_item_for_refuses_an_unknown_export_format():
    with pytest.raises(ValueError, match="export_format"):
        default_instrument().item_for("q1", "zoom")


# -- waves -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("when", "wave"), [
    (date(2026, 3, 1), "2026-spring"), (date(2026, 4, 30), "2026-spring"), (date(2026, 2, 28), None),
    (date(2026, 5, 1), None), (datetime(2026, 9, 1, 0, 0), "2026-autumn"), ("2026-10-31", "2026-autumn"),
    ("2026-03-12T14:03:22+00:00", "2026-spring"), ("2026-04-30T23:30:00-01:00", "2026-spring"), (None, None),
])
def test_wave_for_takes_the_date_as_written(when, wave):
    assert instrument_from_dict(MINIMAL).wave_for(when) == wave


def test_wave_for_converts_an_offset_to_the_network_time_zone_when_given():
    instrument = instrument_from_dict(MINIMAL)
    # 23:30 at UTC-1 on 30 April is 00:30 on 1 May in London (BST): after the spring wave.
    assert instrument.wave_for("2026-04-30T23:30:00-01:00", timezone="Europe/London") is None
    assert instrument.wave_for("2026-03-01T00:30:00+01:00", timezone="Europe/London") is None
    assert instrument.wave_for("2026-03-01T00:30:00Z", timezone="Europe/London") == "2026-spring"


def test_wave_for_refuses_text_that_is_not_a_date():
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        instrument_from_dict(MINIMAL).wave_for("12/03/2026")


def test_default_instrument_has_waves():
    assert default_instrument().wave_for(date(2026, 3, 15)) == "2026-spring"


# -- validation --------------------------------------------------------------------------------


def item(**changes) -> dict:
    return {"id": "q3", "key_feature": "relationships", "text": "I trust other members.", **changes}


@pytest.mark.parametrize(("changes", "message"), [
    ({"items": [item(key_feature="trust")]}, "unknown key feature 'trust'; one of shared_purpose"),
    ({"items": [item(), item(text="Another statement.")]}, "duplicate item id 'q3'"),
    ({"items": [item(), item(id="q4")]}, "items q3 and q4 have the same text"),
    ({"items": []}, "items must be a non-empty list"),
    ({"items": [item(id="Q3")]}, "must be lower case letters"),
    ({"items": [item(id="email")]}, "is a column of the survey format"),
    ({"items": [item(reverse="yes")]}, "reverse must be true or false"),
    ({"items": [item(text="")]}, "text (the statement respondents rate) is required"),
    ({"items": [item(weight=2)]}, "unknown key(s) weight"),
    ({"items": [item(source_columns={"zoom": ["Q1"]})]}, "unknown export format(s) zoom"),
    ({"items": [item(source_columns={"qualtrics": ["Q1"]}),
                item(id="q4", text="Other.", source_columns={"qualtrics": "q1"})]},
     "qualtrics column 'q1' is a source of both q3 and q4"),
    ({"items": [item(), item(id="q4", text="Other.", source_columns={"generic": ["q3"]})]},
     "generic column 'q3' of item q4 is the id of another item"),
    ({"labels": {1: "No", 2: "Hardly", 3: "Maybe", 4: "Mostly"}}, "missing 5"),
    ({"labels": {0: "None", 1: "No", 2: "Hardly", 3: "Maybe", 4: "Mostly", 5: "Yes"}}, "0 is not a score"),
    ({"labels": {1: "No", 2: "Hardly", 3: "Maybe", 4: "Mostly", 6: "Yes"}}, "6 is not a score"),
    ({"labels": {1: "No", 2: "No", 3: "Maybe", 4: "Mostly", 5: "Yes"}}, "'No' is given for both 1 and 2"),
    ({"labels": {1: "No", 2: "Hardly", 3: "Maybe", 4: "Mostly", 5: ["Yes", "4"]}}, "would read as the score 4"),
    ({"labels": {1: "No", 2: "Hardly", 3: "Maybe", 4: "Mostly", 5: []}}, "labels 5 must be a text"),
    ({"labels": ["No", "Hardly", "Maybe", "Mostly", "Yes"]}, "labels must map each score 1 to 5"),
    ({"no_answer": ["Agree"]}, "no_answer 'Agree' is a Likert answer"),
    ({"waves": [{"id": "w1", "opens": "2026-03-01", "closes": "2026-02-01"}]}, "is before opens"),
    ({"waves": [{"id": "w1", "opens": "2026-03-01", "closes": "2026-04-30"},
                {"id": "w2", "opens": "2026-04-30", "closes": "2026-05-31"}]}, "waves w1 and w2 overlap"),
    ({"waves": [{"id": "w1", "opens": "2026-03-01", "closes": "2026-03-31"},
                {"id": "w1", "opens": "2026-05-01", "closes": "2026-05-31"}]}, "duplicate wave id 'w1'"),
    ({"waves": [{"id": "w1", "opens": "March", "closes": "2026-03-31"}]}, "opens must be a date like 2026-03-01"),
    ({"keep_free_text": "no"}, "keep_free_text must be true or false"),
    ({"id": "has space"}, "id must be a name like netpulse-core-v1"),
    ({"scale": 5}, "unknown key(s) scale"),
])
def test_invalid_instruments_are_config_errors_saying_what_is_wrong(changes, message):
    with pytest.raises(ConfigError) as caught:
        instrument_from_dict(minimal(**changes), where="x.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("x.yaml")


def test_load_instrument_names_the_file_in_its_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(minimal(items=[item(key_feature="trust")])), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml \(test-v1\): item 1 \(q3\): unknown key feature"):
        load_instrument(path)
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML: line 1, column"):
        load_instrument(path)
    with pytest.raises(ConfigError, match="not found"):
        load_instrument(tmp_path / "missing.yaml")


def test_keep_free_text_is_accepted_with_a_warning_that_v1_never_loads_it(tmp_path, caplog):
    path = tmp_path / "free.yaml"
    path.write_text(yaml.safe_dump(minimal(keep_free_text=True), default_flow_style=False), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="netpulse.config.instruments"):
        instrument = load_instrument(path)
    assert instrument.keep_free_text
    assert "never loads free-text answers" in caplog.text


def test_find_instrument_by_id_or_path():
    assert find_instrument("netpulse-core-v1").id == "netpulse-core-v1"
    assert find_instrument(str(FIXTURE)).id == "resp-clinical-2026"
    with pytest.raises(ConfigError, match=r"no instrument 'core-v9'.*known: netpulse-core-v1"):
        find_instrument("core-v9")
