"""A new stage-rules version is backfilled over all history by the next build, and what earlier
versions and earlier builds said stays queryable.

Ten members meet monthly from January to June 2025 (a year's worth of history is not needed:
the new version's "established" rule below asks only for 3 months).
"""

from __future__ import annotations

import pytest
import yaml

from netpulse.build.run import build
from netpulse.ingest.loading import ingest
from netpulse.measures.stages import load_rule_sets, rules_folder
from tests.helpers import ATTENDANCE_HEADER, attendance_row, make_settings, query, write_csv

MONTHS = [f"2025-{m:02d}-15T10:00:00" for m in range(1, 7)]


def new_version(tmp_path) -> str:
    """stage-rules-99: stage-rules-1 with 'established' after 3 months of 8 members."""
    document = yaml.safe_load((rules_folder() / "stage-rules-1.yaml").read_text(encoding="utf-8"))
    document["version"] = "stage-rules-99"
    established = next(r for r in document["rules"] if r["stage"] == "established")
    established["when"] = [{"metric": "months_since_first_activity", "op": ">=", "value": 3},
                           {"metric": "active_members", "op": ">=", "value": 8}]
    path = tmp_path / "stage-rules-99.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("backfill")
    settings = make_settings(root)
    write_csv(settings.landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, [
        attendance_row(f"m{i}", start, f"p{j}@x.example") for i, start in enumerate(MONTHS) for j in range(10)])
    ingest(settings)
    first = build(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETPULSE_STAGE_RULES", new_version(root))
        second = build(settings)
    return settings, first, second


def test_every_build_classifies_every_period_with_every_version(two_builds):
    settings, _first, _second = two_builds
    shipped = {r.version for r in load_rule_sets()}
    rows = query(settings, "select stage_rules_version, count(*), bool_and(is_current_rules) "
                 "from indicators.network_stages where grain = 'month' group by all order by 1")
    assert {v for v, _, _ in rows} == shipped | {"stage-rules-99"}
    assert {n for _, n, _ in rows} == {6}  # all six months, for every version
    assert [v for v, _, current in rows if current] == ["stage-rules-99"]


def test_the_new_current_version_feeds_network_period_and_is_backfilled_from_the_start(two_builds):
    settings, _, second = two_builds
    assert second.stage_rules_version == "stage-rules-99"
    stages = [s for (s,) in query(settings, "select stage from indicators.network_period "
                                  "where grain = 'month' order by period_start")]
    assert stages == ["pre-emergent", "emerging", "established", "established", "established", "established"]
    (changed,) = query(settings, "select changed_in_period from indicators.stage_transitions where grain = 'month' "
                       "and is_current_rules and to_stage = 'established'")[0]
    assert str(changed) == "2025-03-01"


def test_earlier_versions_and_earlier_builds_stay_queryable(two_builds):
    settings, first, _second = two_builds
    # The shipped versions never call six months established.
    (established,) = query(settings, "select count(*) from indicators.network_stages "
                           "where stage_rules_version <> 'stage-rules-99' and stage = 'established'")[0]
    assert established == 0
    # The first build's own classification is kept in history with its build id and version.
    (versions, current) = query(settings, """
        select list(distinct stage_rules_version order by stage_rules_version),
               any_value(stage_rules_version) filter (where is_current_rules)
        from indicators.network_stages_history where build_id = ?""", [first.build_id])[0]
    assert "stage-rules-99" not in versions and current == first.stage_rules_version
    (published,) = query(settings, "select list(stage order by period_start) from indicators.network_period_history "
                         "where build_id = ? and grain = 'month'", [first.build_id])[0]
    assert "established" not in published
