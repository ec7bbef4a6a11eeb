"""The command line: safe to run again, clear one-line errors, no tracebacks for user errors."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from tests.helpers import ATTENDANCE_HEADER, attendance_row, query, write_csv


def netpulse(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netpulse.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("netpulse: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr


@pytest.fixture
def landing(settings):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "a@x.example"),
    ])
    write_csv(settings.landing, "net", "attendance", "old-layout.csv", ATTENDANCE_HEADER[:-2], [["m"] * 8])
    return settings.landing


def test_run_loads_builds_and_is_safe_to_run_again(settings, landing):
    first = netpulse("run", "--landing", str(landing), "--warehouse", str(settings.warehouse))
    assert first.returncode == 0, first.stderr
    assert "deliveries: 1 loaded, 1 quarantined" in first.stdout
    assert "quarantined net/attendance/old-layout.csv: missing required column(s) role, status" in first.stdout
    periods = query(settings, "select * exclude (build_id) from indicators.network_period order by all")

    second = netpulse("run", "--landing", str(landing), "--warehouse", str(settings.warehouse))
    assert second.returncode == 0, second.stderr
    assert "deliveries: no new deliveries" in second.stdout
    assert query(settings, "select * exclude (build_id) from indicators.network_period order by all") == periods
    assert query(settings, "select count(*) from meta.deliveries") == [(2,)]


def test_status_reports_loads_quarantine_reasons_and_the_last_build(settings, landing):
    netpulse("run", "--landing", str(landing), "--warehouse", str(settings.warehouse))
    result = netpulse("status", "--warehouse", str(settings.warehouse))
    assert result.returncode == 0, result.stderr
    assert "deliveries: 1 loaded (1 rows), 0 duplicate, 1 quarantined" in result.stdout
    assert "net/attendance/old-layout.csv: missing required column(s) role, status" in result.stdout
    assert "last build: " in result.stdout and " succeeded at " in result.stdout


def test_a_missing_landing_zone_is_one_clear_line(settings):
    result = netpulse("run", "--landing", str(settings.landing / "nope"), "--warehouse", str(settings.warehouse))
    assert_one_line_error(result, "is not a directory")


def test_an_unknown_network_is_one_clear_line(settings, landing):
    result = netpulse("run", "--landing", str(landing), "--warehouse", str(settings.warehouse), "--network", "nope")
    assert_one_line_error(result, "unknown network nope")


def test_a_missing_hash_key_is_one_clear_line(settings, landing):
    result = netpulse("run", "--landing", str(landing), "--warehouse", str(settings.warehouse),
                      env={"NETPULSE_HASH_KEY": ""})
    assert_one_line_error(result, "NETPULSE_HASH_KEY is not set")


def test_a_locked_warehouse_is_one_clear_line(settings, landing):
    holder = duckdb.connect(str(settings.warehouse))  # this process holds the write lock
    try:
        result = netpulse("run", "--landing", str(landing), "--warehouse", str(settings.warehouse))
    finally:
        holder.close()
    assert_one_line_error(result, f"is locked by process {os.getpid()} (")


def test_status_before_any_load_is_one_clear_line(settings):
    assert_one_line_error(netpulse("status", "--warehouse", str(settings.warehouse)), "does not exist yet")


def test_a_broken_network_configuration_is_one_clear_line(settings, landing, tmp_path):
    config = tmp_path / "networks.yaml"
    config.write_text("networks:\n  - id: net\n    timezone: Mars/Olympus\n")
    result = netpulse("run", "--landing", str(landing), "--warehouse", str(settings.warehouse),
                      "--config", str(config))
    assert_one_line_error(result, "unknown time zone 'Mars/Olympus'")
