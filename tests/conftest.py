"""Shared fixtures. Airflow reads its environment at import, so it is set here, first."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="netpulse-airflow-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ.update({
    "AIRFLOW_HOME": _AIRFLOW_HOME,
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    "TQDM_DISABLE": "1",
})
for _name in [k for k in os.environ if k.startswith("NETPULSE_")]:
    del os.environ[_name]  # tests never pick up a developer's real settings

from netpulse.config.settings import Settings  # noqa: E402
from tests.helpers import TEST_KEY  # noqa: E402


@pytest.fixture
def settings(tmp_path: Path, monkeypatch) -> Settings:
    """Test settings, also exported as NETPULSE_* for code that reads the environment (DAG tasks)."""
    values = {
        "NETPULSE_HOME": tmp_path / "home",
        "NETPULSE_LANDING": tmp_path / "landing",
        "NETPULSE_WAREHOUSE": tmp_path / "warehouse.duckdb",
        "NETPULSE_EXTRACTS": tmp_path / "extracts",
        "NETPULSE_DATA_DOCS": tmp_path / "data_docs",
        "NETPULSE_HASH_KEY": TEST_KEY,
        "NETPULSE_LOCK_ATTEMPTS": "2",
        "NETPULSE_LOCK_WAIT_SECONDS": "0.05",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, str(value))
    (tmp_path / "landing").mkdir()
    return Settings.from_env()




# --- Tiers ---------------------------------------------------------------------------------------
# Every test module has one tier (a marker), so a lane can pick them: `make test-fast` runs the unit
# tier and the smoke tests below; `make test` runs everything. A module missing here stops the run.
#   unit       no warehouse file: parsers, typing, measures, rules, suites, layering
#   warehouse  loads and builds a real DuckDB warehouse in-process
#   airflow    DAGs parsed by a DagBag and run with dag.test(), or the real scheduler
#   system     the installed command, the wheel, Chromium, PDFs, a whole hostile run
TIERS = {
    "unit": ("doc_links", "windows", "yaml_files", "formats", "generic_properties", "graph_measures", "key_features",
             "layers", "pack_disclosure", "safe_text", "stage_versions", "stages", "validation", "vendor_attendance",
             "vendor_forum", "vendor_survey", "vendor_api_servers", "warning_signs", "instruments", "demo_data",
             "interactions_plan", "notify", "watch", "pull_client", "vendor_api_files",
             "vendor_api_servers_oauth", "workers"),
    "warehouse": ("build", "diffusion", "disclosure_shared", "docs", "erasure", "extract", "functions_and_roles",
                  "graph_decay", "incremental_build", "incremental_property", "indicators", "key_feature_declaration",
                  "loading", "loading_batches", "models", "participation", "snapshot", "source_registry",
                  "stage_backfill", "stage_rules_v3", "structure", "survey_features", "trust_dates", "trust_fields",
                  "trust_files", "trust_outputs", "trust_sql", "vendor_pipeline", "pulls", "memory_limit"),
    "airflow": ("dags", "scheduler", "vendor_corpus"),
    "system": ("cli", "demo", "demo_landing", "pack", "packaging", "trust_scan", "build_imports", "lint",
               "deployment_installs"),
}
# A few tests across the seams, for the fast lane: a load with a quarantined file, a build, the
# analysts' sandbox, the funders' extract, the DAG files.
SMOKE = (
    "test_loading.py::test_a_bad_file_is_quarantined_with_line_numbers_and_the_good_one_still_loads",
    "test_extract.py::test_each_network_gets_its_latest_complete_quarter_with_no_small_numbers",
    "test_trust_fields.py::test_meeting_ids_made_of_titles_and_file_names_are_keyed_everywhere",
    "test_trust_sql.py::test_the_snapshot_holds_no_path_and_nothing_taken_from_a_file",
    "test_dags.py::test_dag_files_import_without_errors",
)
_TIER_OF = {f"test_{module}": tier for tier, modules in TIERS.items() for module in modules}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these markers
def pytest_collection_modifyitems(config, items):
    found = set()
    for item in items:
        module = item.path.stem
        if module not in _TIER_OF:
            raise pytest.UsageError(f"{item.path.name} has no tier: add it to TIERS in tests/conftest.py")
        item.add_marker(getattr(pytest.mark, _TIER_OF[module]))
        name = f"{item.path.name}::{item.originalname}"
        if name in SMOKE:
            item.add_marker(pytest.mark.smoke)
            found.add(name)
    collected = {item.path.name for item in items}
    missing = [s for s in SMOKE if s.split("::")[0] in collected and s not in found]
    if missing:
        raise pytest.UsageError(f"smoke tests not found (renamed?): {', '.join(missing)}")


# Hypothesis: the full suite keeps each test's own examples; the fast lane tries fewer.
from hypothesis import settings as _hypothesis  # noqa: E402

_hypothesis.register_profile("fast", max_examples=15, deadline=None)
