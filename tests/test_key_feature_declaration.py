"""The key features are declared once (config/key_features.yaml) and everything else follows.

A seventh feature added to a copy of the file, with nothing else changed, gets its score column
in indicators.network_period (after the six, in declaration order), its rows in
network_indicators, its survey signal, its checks in the indicator suite, its column in the
funder extract and its heading in the pack. Instrument files that name a feature by a former id
still load, with a warning naming the file.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
import yaml

from netpulse.build.run import build
from netpulse.config.instruments import load_instrument
from netpulse.config.key_features import active_key_features, feature_columns, load_key_features
from netpulse.config.settings import project_path
from netpulse.ingest.loading import ingest
from netpulse.outputs.extract import write_quarter_extracts
from netpulse.outputs.pack.tables import feature_names
from netpulse.quality.validation import load_suite
from tests.helpers import FORUM_HEADER, make_settings, query, write_csv

SIX = ("kf_shared_purpose", "kf_compelling_purpose", "kf_member_needs", "kf_adaptive_leadership",
       "kf_relationships", "kf_helpful_outputs")
POSTS = [
    ["p1", "", "", "a@x.example", "A", "2026-01-10T09:00:00", "topic"],
    ["p2", "p1", "p1", "b@x.example", "B", "2026-01-10T10:00:00", "reply"],
    ["p3", "", "", "c@x.example", "C", "2026-02-10T09:00:00", "topic"],
    ["p4", "p3", "p3", "a@x.example", "A", "2026-02-11T10:00:00", "reply"],
]


def with_seventh_feature(folder):
    document = yaml.safe_load(project_path("config", "key_features.yaml").read_text(encoding="utf-8"))
    document["features"]["peer_support"] = {
        "column": "kf_peer_support", "title": "members support each other", "label": "peer support",
        "components": [
            {"signal": "share_topics_answered", "evidence": "trace", "weight": 1, "scale": [0, 1]},
            {"signal": "survey_peer_support", "evidence": "survey", "weight": 2, "scale": [1, 5]},
        ],
    }
    path = folder / "key_features.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_declaration_names_the_six_features_once():
    config = active_key_features()
    assert feature_columns() == SIX
    assert [f.id for f in config.features] == [c.removeprefix("kf_") for c in SIX]
    assert [f.survey_signal for f in config.features] == [f"survey_{c.removeprefix('kf_')}" for c in SIX]
    assert config.current_id("meets_member_needs") == "member_needs"
    assert config.current_id("distributed_leadership") == "adaptive_leadership"
    assert config.current_id("gossip") is None


def test_a_new_key_feature_is_one_declaration(tmp_path, monkeypatch):
    monkeypatch.setenv("NETPULSE_KEY_FEATURES", str(with_seventh_feature(tmp_path)))
    assert feature_columns() == (*SIX, "kf_peer_support")
    settings = make_settings(tmp_path)
    write_csv(settings.landing, "net", "forum", "f.csv", FORUM_HEADER, POSTS)
    ingest(settings)
    build(settings)

    columns = [c for (c,) in query(settings, "select column_name from information_schema.columns where "
                                   "table_schema = 'indicators' and table_name = 'network_period' "
                                   "and column_name like 'kf%' order by ordinal_position")]
    assert columns == [*SIX, "kf_peer_support"]
    (score,) = query(settings, "select kf_peer_support from indicators.network_period "
                     "where grain = 'month' and period_start = '2026-01-01'")[0]
    assert score == pytest.approx(100.0)  # its one topic answered; no survey: trace only
    components = query(settings, "select distinct indicator from indicators.network_indicators "
                       "where key_feature = 'kf_peer_support' order by 1")
    assert components == [("kf_peer_support",), ("kf_peer_support.share_topics_answered",),
                          ("kf_peer_support.survey_peer_support",)]
    surveyed = query(settings, "select column_name from information_schema.columns where "
                     "table_name = 'int_network_periods_surveyed' and column_name like 'survey\\_%' escape '\\' "
                     "order by ordinal_position")
    assert [c for (c,) in surveyed][-1] == "survey_peer_support"

    checked = {e.column for e in load_suite("indicators").expectations
               if e.expectation_type == "expect_column_values_to_be_between"}
    assert "kf_peer_support" in checked
    assert feature_names()["kf_peer_support"] == "Peer support"
    (extract,) = [p for p in write_quarter_extracts(settings, as_of=date(2026, 4, 1)) if p.suffix == ".csv"]
    header = extract.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "kf_peer_support" in header


def test_an_instrument_naming_a_former_id_loads_with_a_warning_naming_its_file(tmp_path, caplog):
    path = tmp_path / "old-style.yaml"
    path.write_text(yaml.safe_dump({"id": "old-style", "items": [
        {"id": "q1", "key_feature": "meets_member_needs", "text": "The network helps me with my work."},
        {"id": "q2", "key_feature": "distributed_leadership", "text": "Leadership is shared here."},
    ]}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="netpulse.config.instruments"):
        instrument = load_instrument(path)
    assert [i.key_feature for i in instrument.items] == ["member_needs", "adaptive_leadership"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(str(path) in w and "former id" in w for w in warnings), warnings


def test_a_key_features_file_using_a_former_survey_signal_name_still_loads(tmp_path, caplog):
    text = project_path("config", "key_features.yaml").read_text(encoding="utf-8")
    path = tmp_path / "key_features.yaml"
    path.write_text(text.replace("survey_member_needs", "survey_meets_member_needs"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="netpulse.config.key_features"):
        config = load_key_features(path)
    signals = [c.signal for c in config.by_id()["member_needs"].components]
    assert "survey_member_needs" in signals and "survey_meets_member_needs" not in signals
    assert any(str(path) in r.getMessage() for r in caplog.records)
