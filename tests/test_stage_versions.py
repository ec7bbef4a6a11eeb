"""Stage rules versions side by side, and the conditions stage-rules-2 needs (`in`, `missing: pass`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from netpulse.errors import ConfigError
from netpulse.measures.stages import (
    Condition,
    classify,
    classify_versions,
    describe_metric,
    load_rule_sets,
    load_stage_rules,
    rules_folder,
    version_key,
)
from netpulse.outputs.extract import stage_basis

V1 = load_stage_rules(rules_folder() / "stage-rules-1.yaml")
V2 = load_stage_rules(rules_folder() / "stage-rules-2.yaml")


def months(count: int = 13, active: int = 30, retained: int = 15, **columns) -> pd.DataFrame:
    """A network active every month; extra columns are constant (key-feature scores, structure)."""
    return pd.DataFrame({
        "network_id": "n",
        "grain": "month",
        "period_start": pd.date_range("2024-01-01", periods=count, freq="MS").date,
        "active_members": active,
        "retained_members": retained,
        **columns,
    })


QUALIFIES = {"kf_relationships": 62.0, "kf_adaptive_leadership": 45.0, "structural_phase": "core/periphery"}


def write(folder: Path, version: str, rules: list[dict] | None = None, stem: str | None = None) -> Path:
    document = yaml.safe_load((rules_folder() / "stage-rules-1.yaml").read_text())
    document["version"] = version
    if rules is not None:
        document["rules"] = rules
    path = folder / f"{stem or version}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return path


def one_rule(*conditions: dict, note: str | None = None) -> list[dict]:
    """An `emerging` rule with the given conditions, then the default."""
    rule = {"stage": "emerging", "when": list(conditions)}
    if note:
        rule["note"] = note
    return [rule, {"stage": "pre-emergent", "when": []}]


# --- the folder of versions -------------------------------------------------------------------

def test_every_file_in_the_folder_loads_and_is_named_after_its_version():
    files = sorted(rules_folder().glob("*.yaml"))
    assert {p.stem for p in files} >= {"stage-rules-1", "stage-rules-2"}
    for path in files:
        assert load_stage_rules(path).version == path.stem
    assert [r.version for r in load_rule_sets()] == sorted((p.stem for p in files), key=version_key)


def test_the_old_single_rules_file_is_gone():
    assert not (rules_folder().parent / "stage_rules.yaml").exists()


def test_stage_rules_1_is_kept_unchanged():
    assert V1.version == "stage-rules-1"
    established = next(r for r in V1.rules if r.stage == "established")
    assert [c.metric for c in established.conditions] == [
        "months_since_first_activity", "active_periods_in_window", "active_members", "retained_members"]


def test_the_current_version_is_the_highest_in_the_folder():
    highest = max((p.stem for p in rules_folder().glob("*.yaml")), key=version_key)
    assert load_stage_rules().version == highest == load_rule_sets()[-1].version
    assert highest != "stage-rules-1"


def test_versions_sort_naturally():
    assert sorted(["stage-rules-10", "stage-rules-2", "stage-rules-1"], key=version_key) == [
        "stage-rules-1", "stage-rules-2", "stage-rules-10"]


def test_the_environment_names_the_current_rules_and_adds_them_to_the_versions(tmp_path, monkeypatch):
    path = write(tmp_path, "stage-rules-99-draft")
    monkeypatch.setenv("NETPULSE_STAGE_RULES", str(path))
    assert load_stage_rules().version == "stage-rules-99-draft"
    versions = [r.version for r in load_rule_sets()]
    assert versions.count("stage-rules-99-draft") == 1
    assert {"stage-rules-1", "stage-rules-2"} <= set(versions)


def test_the_environment_may_name_a_version_already_in_the_folder(monkeypatch):
    monkeypatch.setenv("NETPULSE_STAGE_RULES", str(rules_folder() / "stage-rules-1.yaml"))
    assert load_stage_rules().version == "stage-rules-1"
    versions = [r.version for r in load_rule_sets()]
    assert versions.count("stage-rules-1") == 1 and "stage-rules-2" in versions


def test_a_different_file_reusing_a_version_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path, "stage-rules-1", rules=one_rule({"metric": "active_members", "op": ">=", "value": 1}))
    monkeypatch.setenv("NETPULSE_STAGE_RULES", str(path))
    with pytest.raises(ConfigError, match=r"version 'stage-rules-1' is also .*give the new rules a new version"):
        load_rule_sets()


def test_a_rules_file_whose_name_is_not_its_version_is_refused(tmp_path):
    path = write(tmp_path, "stage-rules-3", stem="stage-rules-3-copy")
    with pytest.raises(ConfigError, match=r"stage-rules-3-copy\.yaml: the file name must be its version"):
        load_stage_rules(path)


# --- classifying with every version ------------------------------------------------------------

def test_every_period_is_classified_once_per_version_with_one_current_version():
    periods = pd.concat([months(**QUALIFIES), months(count=5, active=9).assign(network_id="m")])
    result = classify_versions(periods, [V1, V2], current_version="stage-rules-2")
    assert len(result) == 2 * len(periods)
    per_period = result.groupby(["network_id", "grain", "period_start"])["stage_rules_version"]
    assert (per_period.nunique() == 2).all() and (per_period.size() == 2).all()
    assert result.groupby("stage_rules_version")["is_current_rules"].agg(set).to_dict() == {
        "stage-rules-1": {False}, "stage-rules-2": {True}}
    assert result.groupby(["network_id", "grain", "period_start"])["is_current_rules"].sum().eq(1).all()


def test_each_version_keeps_its_own_stages_side_by_side():
    result = classify_versions(months(), [V1, V2], current_version="stage-rules-2")  # no survey evidence
    last = result.groupby("stage_rules_version")["stage"].last().to_dict()
    assert last == {"stage-rules-1": "established", "stage-rules-2": "emerging"}


def test_classify_versions_does_not_change_its_input():
    periods = months(**QUALIFIES)
    before = periods.copy()
    classify_versions(periods, [V1, V2], current_version="stage-rules-1")
    pd.testing.assert_frame_equal(periods, before)


@pytest.mark.parametrize("current, message", [
    ("stage-rules-7", "'stage-rules-7' is not among"),
    ("stage-rules-1", "each version must be given once"),
])
def test_classify_versions_refuses_an_unclear_current_version(current, message):
    rule_sets = [V1, V2] if current == "stage-rules-7" else [V1, V1]
    with pytest.raises(ConfigError, match=message):
        classify_versions(months(), rule_sets, current_version=current)


# --- stage-rules-2 -----------------------------------------------------------------------------

@pytest.mark.parametrize("relationships, stage", [(30.0, "emerging"), (39.9, "emerging"), (50.0, "established")])
def test_v2_established_needs_relationships(relationships, stage):
    frame = classify(months(**{**QUALIFIES, "kf_relationships": relationships}), V2)
    assert frame["stage"].iloc[-1] == stage
    assert classify(months(**{**QUALIFIES, "kf_relationships": relationships}), V1)["stage"].iloc[-1] == (
        "established")  # v1 does not look at surveys


def test_v2_established_needs_adaptive_leadership():
    frame = classify(months(**{**QUALIFIES, "kf_adaptive_leadership": 20.0}), V2)
    assert frame["stage"].iloc[-1] == "emerging"


@pytest.mark.parametrize("phase, stage", [
    ("scattered clusters", "emerging"), ("hub-and-spoke", "emerging"),
    ("multi-hub", "established"), ("core/periphery", "established"),
])
def test_v2_established_needs_a_core_in_the_structure(phase, stage):
    frame = classify(months(**{**QUALIFIES, "structural_phase": phase}), V2)
    assert frame["stage"].iloc[-1] == stage


def test_v2_without_survey_or_structure_evidence_is_not_established():
    frame = classify(months(kf_relationships=float("nan"), kf_adaptive_leadership=float("nan"),
                            structural_phase=None), V2)
    assert frame["stage"].iloc[-1] == "emerging"


def test_v2_reason_names_scores_and_structure_in_words():
    reason = classify(months(**QUALIFIES), V2)["stage_reason"].iloc[-1]
    assert reason.startswith("established: 13 months since its first activity (≥ 12)")
    assert reason.endswith("relationships score 62 of 100 (≥ 40), adaptive leadership score 45 of 100 (≥ 30), "
                           "structure: core/periphery (one of core/periphery, multi-hub)")


def test_v2_keeps_v1_for_everything_but_established():
    assert (V2.window, V2.hold_periods, V2.stage_order) == (V1.window, V1.hold_periods, V1.stage_order)
    assert [r.stage for r in V2.rules] == [r.stage for r in V1.rules]
    def thresholds(rules):  # per grain, so {month: 2, quarter: 2} equals 2
        return [(r.stage, r.note, [(c.metric, c.op, c.missing, [c.threshold(g) for g in rules.window])
                                   for c in r.conditions]) for r in rules.rules if r.stage != "established"]
    assert thresholds(V2) == thresholds(V1)


def test_v2_says_what_changed_from_v1():
    header = (rules_folder() / "stage-rules-2.yaml").read_text().split("version:")[0]
    assert "stage-rules-1" in header and "kf_relationships" in header and "structural_phase" in header


# --- conditions: `in` and `missing: pass` -------------------------------------------------------

def test_in_holds_only_for_a_listed_value():
    condition = Condition("structural_phase", "in", ("core/periphery", "multi-hub"))
    assert condition.holds({"structural_phase": "multi-hub"}, "month")
    assert not condition.holds({"structural_phase": "scattered clusters"}, "month")
    assert not condition.holds({"structural_phase": None}, "month")
    assert condition.describe({"structural_phase": "multi-hub"}, "month", 12) == (
        "structure: multi-hub (one of core/periphery, multi-hub)")


def test_in_from_a_rules_file_takes_a_list(tmp_path):
    rules = load_stage_rules(write(tmp_path, "t-1", one_rule(
        {"metric": "structural_phase", "op": "in", "value": ["core/periphery", "multi-hub"]})))
    stages = classify(months(count=2, structural_phase=["multi-hub", "hub-and-spoke"]), rules)["evidence_stage"]
    assert stages.tolist() == ["emerging", "pre-emergent"]


@pytest.mark.parametrize("missing_value", [float("nan"), None, pd.NA])
def test_missing_pass_holds_when_there_is_no_evidence_and_says_so(missing_value):
    condition = Condition("kf_shared_purpose", ">=", 50, missing="pass")
    metrics = {"kf_shared_purpose": missing_value}
    assert condition.holds(metrics, "month")
    assert condition.describe(metrics, "month", 12) == "no evidence for shared purpose (not required)"
    assert not condition.holds({"kf_shared_purpose": 40.0}, "month")  # evidence, below the threshold


def test_by_default_a_condition_on_an_undefined_metric_does_not_hold():
    condition = Condition("kf_shared_purpose", ">=", 50)
    assert not condition.holds({"kf_shared_purpose": float("nan")}, "month")
    assert not condition.holds({}, "month")
    assert condition.holds({"kf_shared_purpose": 50.0}, "month")


def test_missing_pass_in_a_rules_file_reaches_the_reason(tmp_path):
    rules = load_stage_rules(write(tmp_path, "t-1", one_rule(
        {"metric": "active_members", "op": ">=", "value": 1},
        {"metric": "kf_shared_purpose", "op": ">=", "value": 50, "missing": "pass"})))
    frame = classify(months(count=2, kf_shared_purpose=[float("nan"), 40.0]), rules)
    assert frame["evidence_stage"].tolist() == ["emerging", "pre-emergent"]
    assert frame["stage_reason"].iloc[0] == (
        "emerging: 30 active members (≥ 1), no evidence for shared purpose (not required)")


# --- words for the new metrics ------------------------------------------------------------------

@pytest.mark.parametrize("metric, value, words", [
    ("kf_relationships", 62.4, "relationships score 62 of 100"),
    ("kf_shared_purpose", 70.5, "shared purpose score 71 of 100"),
    ("kf_compelling_purpose", 55.0, "compelling purpose score 55 of 100"),
    ("kf_member_needs", 12.0, "member needs score 12 of 100"),
    ("kf_adaptive_leadership", 30.2, "adaptive leadership score 30 of 100"),
    ("kf_helpful_outputs", 0.0, "helpful outputs score 0 of 100"),
    ("kf_helpful_outputs", float("nan"), "no evidence for helpful outputs"),
    ("structural_phase", "core/periphery", "structure: core/periphery"),
    ("core_members", 7.0, "7 core members"),
    ("warning_signs", 3, "3 warning signs"),
    ("warning_signs", 1, "1 warning sign"),
])
def test_new_metrics_are_described_in_words(metric, value, words):
    assert describe_metric(metric, value, {}, "month", 12) == words


def test_rounding_never_contradicts_the_threshold():
    condition = Condition("kf_relationships", "<", 40)
    assert condition.describe({"kf_relationships": 39.6}, "month", 12) == "relationships score 39.6 of 100 (< 40)"
    assert Condition("kf_relationships", ">=", 40).describe({"kf_relationships": 40.2}, "month", 12) == (
        "relationships score 40 of 100 (≥ 40)")


# --- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, message", [
    ({"metric": "active_members", "op": "~", "value": 1}, r"rule 1 \(emerging\), condition 1: unknown operator '~'"),
    ({"metric": "active_members", "op": ">=", "value": 1, "unless": 2}, r"rule 1 \(emerging\), condition 1: "
                                                                        r"unknown key 'unless'"),
    ({"metric": "active_members", "op": ">=", "value": 1, "missing": "skip"}, "missing must be 'fail' or 'pass'"),
    ({"metric": "structural_phase", "op": "in", "value": "multi-hub"}, "op 'in' needs a list value"),
    ({"metric": "active_members", "op": ">=", "value": [1, 2]}, "op '>=' needs a single value"),
    ({"metric": "active_members", "op": ">=", "value": {"month": 1}}, "a value by grain must give one for each"),
    ({"metric": "active_members", "value": 1}, "missing key 'op'"),
])
def test_malformed_conditions_are_refused_naming_the_file_and_rule(tmp_path, condition, message):
    path = write(tmp_path, "t-1", one_rule(condition))
    with pytest.raises(ConfigError, match=message) as error:
        load_stage_rules(path)
    assert str(path) in str(error.value)


def test_an_unknown_rule_key_is_refused_with_its_rule_number(tmp_path):
    rules = [{"stage": "emerging", "when": [], "unless": []}, {"stage": "pre-emergent", "when": []}]
    rules[0]["when"] = [{"metric": "active_members", "op": ">=", "value": 1}]
    with pytest.raises(ConfigError, match=r"t-1\.yaml: rule 1: unknown key 'unless'"):
        load_stage_rules(write(tmp_path, "t-1", rules))


def test_an_unknown_top_level_key_is_refused(tmp_path):
    path = write(tmp_path, "t-1")
    path.write_text(path.read_text() + "thresholds: {}\n")
    with pytest.raises(ConfigError, match="the file: unknown key 'thresholds'"):
        load_stage_rules(path)


# --- funder extracts explain a stage with the version that classified it ------------------------

def test_the_basis_uses_the_rules_of_the_version_given():
    v1_basis = stage_basis("established", "quarter", V2, version="stage-rules-1")
    assert v1_basis == ("months since first activity ≥ 12; active periods in window ≥ 4; "
                        "active members ≥ 30; retained members ≥ 15")
    assert stage_basis("established", "quarter", V2, version="stage-rules-2").endswith(
        "relationships score ≥ 40; adaptive leadership score ≥ 30; structure one of core/periphery, multi-hub")


def test_the_basis_of_an_unknown_version_says_so():
    assert stage_basis("established", "quarter", V2, version="stage-rules-0") == (
        "classified by stage rules stage-rules-0 (not the current stage-rules-2)")


def test_the_basis_says_where_a_condition_needs_evidence_only_if_there_is_some(tmp_path):
    rules = load_stage_rules(write(tmp_path, "t-1", one_rule(
        {"metric": "kf_shared_purpose", "op": ">=", "value": 50, "missing": "pass"})))
    assert stage_basis("emerging", "month", rules) == "shared purpose score ≥ 50 (where evidence exists)"


def test_no_periods_give_no_rows_with_the_stage_columns():
    empty = months(count=0)
    result = classify_versions(empty, [V1, V2], current_version="stage-rules-2")
    assert len(result) == 0
    assert {"evidence_stage", "stage", "stage_reason", "stage_rules_version", "is_current_rules"} <= set(result)
