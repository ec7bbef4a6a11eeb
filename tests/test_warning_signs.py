"""Warning signs: thresholds against a signal or the network's own past, severity, periods held."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from netpulse.errors import ConfigError
from netpulse.measures.warning_signs import detect_warning_signs, load_warning_signs

SIGNS = load_warning_signs()


def months(**columns) -> pd.DataFrame:
    length = len(next(iter(columns.values())))
    return pd.DataFrame({
        "network_id": "n", "grain": "month",
        "period_start": pd.date_range("2025-01-01", periods=length, freq="MS").date,
        **columns,
    })


def signs_of(frame: pd.DataFrame, sign: str) -> pd.DataFrame:
    found = detect_warning_signs(frame, SIGNS)
    return found[found["warning_sign"] == sign].reset_index(drop=True)


def test_activity_falling_against_its_own_trailing_peak():
    # Peak 40 in the months before; 22 is 55% of it (< 60%: medium), 12 is 30% (< 40%: high).
    found = signs_of(months(active_members=[30, 40, 35, 22, 12]), "activity_falling")
    assert found["period_start"].astype(str).tolist() == ["2025-04-01", "2025-05-01"]
    assert found["severity"].tolist() == ["medium", "high"]
    assert found["value"].tolist() == pytest.approx([22 / 40, 12 / 40])
    assert found.loc[0, "evidence"].startswith(
        "activity falling against the network's own peak: active members 22, 55% of its peak of 40")


def test_a_small_network_is_not_assessed_against_its_peak():
    # The trailing peak must be at least 8 members for the comparison to mean anything.
    assert signs_of(months(active_members=[6, 7, 2]), "activity_falling").empty


def test_periods_held_count_consecutive_periods_and_reset_when_the_sign_lapses():
    # outputs_falling: forum posts below half of the trailing mean (which must be at least 5).
    found = signs_of(months(forum_posts=[20, 20, 8, 7, 30, 5]), "outputs_falling")
    assert found["period_start"].astype(str).tolist() == ["2025-03-01", "2025-04-01", "2025-06-01"]
    assert found["periods_held"].tolist() == [1, 2, 1]
    assert found["held_since"].astype(str).tolist() == ["2025-03-01", "2025-03-01", "2025-06-01"]


def test_a_sign_that_persists_becomes_high_severity():
    # The same single host in every month: medium at first, high from the third month
    # (escalate_after: 3 months).
    found = signs_of(months(host_rotation=[None, 0.0, 0.0, 0.0, 0.0], hosts=[1] * 5, meetings_held=[1] * 5),
                     "leadership_not_rotating")
    assert found["severity"].tolist() == ["medium", "medium", "high", "high"]
    assert found["evidence"].iloc[-1].endswith("held for 4 consecutive months")


def test_a_guard_keeps_a_sign_from_being_assessed_without_enough_evidence():
    # Leadership rotation is only a sign when one or two people host; five hosts rotating 0 is not.
    found = signs_of(months(host_rotation=[0.0, 0.0], hosts=[5, 5], meetings_held=[1, 1]), "leadership_not_rotating")
    assert found.empty


def test_an_above_sign_and_its_thresholds():
    found = signs_of(months(largest_organisation_share_of_activity=[0.4, 0.55, 0.8], roster_coverage=[1.0] * 3,
                            active_members=[10] * 3), "interests_uneven")
    assert found["severity"].tolist() == ["medium", "high"]
    assert found["threshold"].tolist() == [0.5, 0.7]


def test_no_signal_no_sign():
    assert signs_of(months(survey_shared_purpose=[None, float("nan")]), "purpose_not_understood").empty
    assert signs_of(months(survey_shared_purpose=[2.4]), "purpose_not_understood")["severity"].tolist() == ["high"]


def test_every_row_names_the_rules_version():
    found = detect_warning_signs(months(active_members=[30, 40, 10]), SIGNS)
    assert set(found["warning_signs_version"]) == {SIGNS.version}


def test_each_network_and_grain_is_assessed_on_its_own_past():
    frame = pd.concat([months(active_members=[40, 10]), months(active_members=[10, 10]).assign(network_id="m")])
    found = detect_warning_signs(frame, SIGNS)
    assert found[found["warning_sign"] == "activity_falling"]["network_id"].tolist() == ["n"]


def rules_file(tmp_path: Path, **sign_changes) -> Path:
    document = yaml.safe_load(Path(SIGNS_PATH).read_text(encoding="utf-8"))
    document["signs"][0].update(sign_changes)
    path = tmp_path / "signs.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


SIGNS_PATH = Path(__file__).resolve().parents[1] / "config" / "warning_signs.yaml"


@pytest.mark.parametrize(("change", "message"), [
    ({"compare": "yesterday"}, "compare must be one of"),
    ({"direction": "sideways"}, "direction must be below or above"),
    ({"thresholds": {"medium": 0.4, "high": 0.6}}, "at least as extreme"),
    ({"only_when": [{"signal": "x", "op": "~", "value": 1}]}, "unknown operator"),
])
def test_a_faulty_sign_is_refused_with_its_reason(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_warning_signs(rules_file(tmp_path, **change))
