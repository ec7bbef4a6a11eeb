"""`netpulse demo-landing DIR`: only the demo's landing zone and networks file, nothing loaded."""

from __future__ import annotations

from netpulse.cli import main


def test_demo_landing_writes_only_the_landing_zone_and_the_networks_file(settings, tmp_path, capsys):
    landing = tmp_path / "watched"
    config = tmp_path / "conf" / "networks.yaml"
    assert main(["demo-landing", str(landing), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    files = sorted(p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file())
    assert f"landing zone: {landing} ({len(files)} files, 1 deliberately malformed)" in out
    assert {path.split("/")[1] for path in files} == {"attendance", "forum", "survey", "roster"}
    assert "resp-clinical" in config.read_text(encoding="utf-8")
    assert not settings.warehouse.exists()  # nothing loaded: the scheduler does that
