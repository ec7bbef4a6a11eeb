"""`netpulse demo` end to end: synthetic landing zone -> Airflow DAGs -> four distinct stages."""

from __future__ import annotations

import os
from unittest.mock import patch

from netpulse.cli import main
from tests.helpers import query


def test_the_demo_tells_the_four_trajectories_apart(settings, tmp_path, capsys):
    # The demo exports its paths for the DAG tasks; keep them out of later tests.
    with patch.dict(os.environ):
        code = main(["demo", "--landing", str(tmp_path / "demo-landing"),
                     "--config", str(tmp_path / "networks.yaml")])
    out = capsys.readouterr().out
    assert code == 0, out
    for dag in ("netpulse_build", "netpulse_quarterly_extract"):
        assert f"airflow: {dag}: success" in out
    # The demo's malformed files are quarantined: the ingest's check fails after the rest loaded.
    assert "airflow: netpulse_ingest: failed (" in out
    assert "check_quarantined failed" in out and "announce_new_data success" in out
    latest = dict(query(settings, """
        select network_id, stage from indicators.network_period where grain = 'quarter'
        qualify period_start = max(period_start) over (partition by network_id)"""))
    assert latest == {"resp-clinical": "established", "frailty-learning": "dormant",
                      "digital-inclusion": "emerging", "carers-voice": "pre-emergent"}
    broken = "digital-inclusion/attendance/2026-Q3-broken-export.csv"
    assert f"quarantined:\n  {broken}: missing required column(s) left_at" in out
    assert sorted(p.name for p in settings.extracts.rglob("*.csv")) == [
        "carers-voice_quarter_2026-07-01.csv", "digital-inclusion_quarter_2026-07-01.csv",
        "frailty-learning_quarter_2026-07-01.csv", "resp-clinical_quarter_2026-07-01.csv"]
    assert (settings.data_docs / "index.html").exists()
    assert "key features (0-100, - = no evidence): shared purpose" in out
    # netpulse status (in the demo's output) says for every network what the stage up still needs.
    nexts = [line.strip() for line in out.splitlines() if line.strip().startswith("next: ")]
    assert len(nexts) == 4, out
    assert all("✗" in line or "highest stage" in line for line in nexts), nexts
    assert "funder pack (" in out and "overview.html" in out
    assert_key_features_tell_established_from_emerging(settings)
    assert_warning_signs_come_before_dormancy(settings)


def assert_key_features_tell_established_from_emerging(settings):
    # Every quarter after each network's first: the established network scores clearly higher
    # on relationships and on leadership than the emerging one, in its worst quarter against
    # the emerging network's best.
    (low_established_rel, low_established_lead, high_emerging_rel, high_emerging_lead) = query(settings, """
        with later as (
            select * from indicators.network_period where grain = 'quarter'
            qualify row_number() over (partition by network_id order by period_start) > 1
        )
        select
            min(kf_relationships) filter (where network_id = 'resp-clinical'),
            min(kf_adaptive_leadership) filter (where network_id = 'resp-clinical'),
            max(kf_relationships) filter (where network_id = 'digital-inclusion'),
            max(kf_adaptive_leadership) filter (where network_id = 'digital-inclusion'),
        from later""")[0]
    assert low_established_rel > high_emerging_rel + 10
    assert low_established_lead > high_emerging_lead + 30


def assert_warning_signs_come_before_dormancy(settings):
    for grain in ("month", "quarter"):
        (dormant_from,) = query(settings, """
            select min(changed_in_period) from indicators.stage_transitions
            where network_id = 'frailty-learning' and to_stage = 'dormant' and grain = ? and is_current_rules""",
                                [grain])[0]
        (first_sign,) = query(settings, """
            select min(period_start) from indicators.warning_signs
            where network_id = 'frailty-learning' and grain = ?
                and warning_sign in ('activity_falling', 'outputs_falling')""",
                              [grain])[0]
        assert dormant_from is not None and first_sign is not None
        assert first_sign < dormant_from, grain
    # The healthy established network shows neither sign in its latest year.
    (signs,) = query(settings, """
        select count(*) from indicators.warning_signs where network_id = 'resp-clinical'
        and warning_sign in ('activity_falling', 'outputs_falling') and period_start >= '2025-10-01'""")[0]
    assert signs == 0
