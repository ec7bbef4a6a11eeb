"""The stage classifier: rules from configuration, reasons in words, hysteresis on the way down."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from netpulse.errors import ConfigError
from netpulse.measures.stages import classify, load_stage_rules, rules_folder

# These tests are about stage-rules-1's behaviour, so they load it by name, not as "current".
V1_PATH = rules_folder() / "stage-rules-1.yaml"
RULES = load_stage_rules(V1_PATH)


def months(active: list[int], retained: list[int] | None = None) -> pd.DataFrame:
    retained = retained if retained is not None else [min(a, 15) for a in active]
    return pd.DataFrame({
        "network_id": "n",
        "grain": "month",
        "period_start": pd.date_range("2024-01-01", periods=len(active), freq="MS").date,
        "active_members": active,
        "retained_members": retained,
    })


def stages(active: list[int], rules=RULES, **kwargs) -> list[str]:
    return classify(months(active, **kwargs), rules)["stage"].tolist()


def test_a_network_moves_up_as_soon_as_the_evidence_is_there():
    result = stages([3, 9, 9])
    assert result == ["pre-emergent", "emerging", "emerging"]  # month 2: 9 members, active 2 months


def test_established_needs_a_year_of_sustained_activity():
    result = stages([30] * 13)
    assert result[10] == "emerging"  # 11 months in
    assert result[11] == "established"


def test_a_quiet_month_does_not_move_a_network_down():
    frame = classify(months([30] * 13 + [12] + [30] * 2), RULES)
    quiet = frame.iloc[13]
    assert (quiet["evidence_stage"], quiet["stage"]) == ("emerging", "established")
    assert quiet["stage_reason"].startswith("held at established: the evidence points to emerging")
    assert "for 1 of the 3 consecutive months needed to move down" in quiet["stage_reason"]
    assert frame["stage"].iloc[14:].tolist() == ["established", "established"]


def test_a_network_moves_down_once_the_evidence_has_held_for_the_configured_periods():
    result = stages([30] * 13 + [12, 12, 12, 12])
    assert result[13:] == ["established", "established", "emerging", "emerging"]


def test_collapse_against_the_trailing_peak_makes_a_network_dormant_after_the_hold():
    frame = classify(months([30] * 13 + [0, 2, 1, 0]), RULES)
    assert frame["evidence_stage"].iloc[13:].tolist() == ["dormant"] * 4
    assert frame["stage"].iloc[13:].tolist() == ["established", "established", "dormant", "dormant"]
    assert "0% of its peak of 30 active members in the previous 12 months (< 25%)" in frame["stage_reason"].iloc[13]


def test_a_network_that_never_emerged_is_not_called_dormant():
    assert stages([4, 0, 0, 0, 0]) == ["pre-emergent"] * 5


def test_the_reason_names_the_values_and_thresholds_that_decided():
    reason = classify(months([30] * 13, retained=[20] * 13), RULES)["stage_reason"].iloc[-1]
    assert reason == ("established: 13 months since its first activity (≥ 12), active in 12 of the last 12 "
                      "months (≥ 10), 30 active members (≥ 20), 20 retained from the previous month (≥ 10)")


def test_every_row_records_the_rules_version():
    assert set(classify(months([5, 9]), RULES)["stage_rules_version"]) == {"stage-rules-1"}


def write_rules(tmp_path: Path, **changes) -> Path:
    """stage-rules-1 with some top-level keys changed, in a file named after its version."""
    document = yaml.safe_load(V1_PATH.read_text())
    document.update(changes)
    path = tmp_path / f"{document['version']}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_thresholds_and_hold_come_from_the_versioned_rules_file(tmp_path):
    rules = load_stage_rules(write_rules(tmp_path, version="test-2", hold_periods={"month": 1, "quarter": 1}))
    frame = classify(months([30] * 13 + [12]), rules)
    assert frame["stage"].iloc[-1] == "emerging"  # no hold: down at once
    assert set(frame["stage_rules_version"]) == {"test-2"}


@pytest.mark.parametrize("rules, message", [
    ([{"stage": "thriving", "when": []}], "unknown stage 'thriving'"),
    ([{"stage": "emerging", "when": [{"metric": "active_members", "op": "=>", "value": 1}]},
      {"stage": "pre-emergent", "when": []}], "unknown operator '=>'"),
    ([{"stage": "emerging", "when": [{"metric": "active_members", "op": ">=", "value": 1}]}],
     "the last rule must have no conditions"),
])
def test_invalid_rules_are_refused_with_the_reason(tmp_path, rules, message):
    with pytest.raises(ConfigError, match=message):
        load_stage_rules(write_rules(tmp_path, rules=rules))


def test_quarters_count_months_from_the_first_active_month_not_the_quarter_start():
    monthly = months([0, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20])  # activity from February
    quarterly = pd.DataFrame({
        "network_id": "n", "grain": "quarter",
        "period_start": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"]).date,
        "active_members": [40, 40, 40, 40], "retained_members": [30, 30, 30, 30],
    })
    frame = classify(pd.concat([monthly, quarterly]), RULES)
    last_quarter = frame[frame["grain"] == "quarter"].iloc[-1]
    assert last_quarter["months_since_first_activity"] == 11  # February to December
    assert last_quarter["stage"] == "emerging"
