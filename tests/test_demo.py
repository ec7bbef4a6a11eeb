"""`netpulse demo` end to end: synthetic landing zone -> Airflow DAGs -> four distinct stages."""

from __future__ import annotations

import os
from unittest.mock import patch

from netpulse.cli import main
from tests.conftest import query


def test_the_demo_tells_the_four_trajectories_apart(settings, tmp_path, capsys):
    # The demo exports its paths for the DAG tasks; keep them out of later tests.
    with patch.dict(os.environ):
        code = main(["demo", "--landing", str(tmp_path / "demo-landing"),
                     "--config", str(tmp_path / "networks.yaml")])
    out = capsys.readouterr().out
    assert code == 0, out
    for dag in ("netpulse_ingest_attendance", "netpulse_build", "netpulse_quarterly_extract"):
        assert f"airflow: {dag}: success" in out
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
