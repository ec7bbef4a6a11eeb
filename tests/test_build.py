"""A build is all or nothing: a failure leaves the previous build's tables in place, recorded."""

from __future__ import annotations

import json
import shutil

import pytest

import netpulse.quality.validation
from netpulse.build.run import BuildFailed, build
from netpulse.config.settings import project_dir
from netpulse.ingest.loading import ingest
from tests.helpers import ATTENDANCE_HEADER, attendance_row, query, write_csv


def test_a_build_on_an_empty_warehouse_succeeds_with_no_periods(settings):
    report = build(settings)
    assert report.network_periods == 0
    assert query(settings, "select status from meta.builds") == [("succeeded",)]


def _built_once(settings):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER,
              [attendance_row("m1", "2026-01-15T10:00:00", "a@x.example")])
    ingest(settings)
    return build(settings)


def _project_copy(tmp_path):
    """A copy of the project's folders, for a test to change (NETPULSE_PROJECT_DIR)."""
    project = tmp_path / "project"
    for folder in ("transforms", "expectations", "warehouse", "config"):
        shutil.copytree(project_dir() / folder, project / folder)
    return project


def test_a_failing_model_leaves_the_previous_build_visible_and_records_the_failure(settings, tmp_path, monkeypatch):
    first = _built_once(settings)
    # A copy of the project whose indicator layer gains a model that fails at run time.
    project = _project_copy(tmp_path)
    (project / "transforms" / "7_indicators" / "broken_model.sql").write_text(
        "select 1 / 0 as x from indicators.network_period where error('deliberate failure') is null")
    monkeypatch.setenv("NETPULSE_PROJECT_DIR", str(project))
    with pytest.raises(RuntimeError, match=r"model indicators.broken_model .* failed"):
        build(settings)

    assert query(settings, "select distinct build_id from indicators.network_period") == [(first.build_id,)]
    assert query(settings, "select count(*) from information_schema.tables where table_name = 'broken_model'") == [(0,)]
    statuses = query(settings, "select status, coalesce(error like '%deliberate failure%', false) "
                     "from meta.builds order by started_at")
    assert statuses == [("succeeded", False), ("failed", True)]


def test_indicator_rows_that_fail_their_suite_roll_the_build_back(settings, tmp_path, monkeypatch):
    first = _built_once(settings)
    # A copy of the project whose indicators suite allows no attendance at all.
    project = _project_copy(tmp_path)
    suite_file = project / "expectations" / "indicators.json"
    suite = json.loads(suite_file.read_text(encoding="utf-8"))
    suite["expectations"].append({"type": "expect_column_values_to_be_between", "meta": {},
                                  "kwargs": {"column": "attendances", "min_value": 0, "max_value": 0},
                                  "description": "a rule the build's rows break"})
    suite_file.write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setenv("NETPULSE_PROJECT_DIR", str(project))
    netpulse.quality.validation._load_suite.cache_clear()
    try:
        with pytest.raises(BuildFailed, match=r"network_period: a rule the build's rows break: 2 of 2 rows"):
            build(settings, full=True)
    finally:
        netpulse.quality.validation._load_suite.cache_clear()

    assert query(settings, "select distinct build_id from indicators.network_period") == [(first.build_id,)]
    failed = query(settings, "select b.status, v.column_name, v.unexpected_count from meta.validation_results v "
                   "inner join meta.builds b using (build_id) where not v.success")
    assert failed == [("failed", "attendances", 2)]  # the month and the quarter
