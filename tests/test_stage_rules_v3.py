"""Stage rules v3: an established network that rests on one host is established, with a
leadership warning sign beside the stage; reasons name what the stage up still needs; calibration
shows every version side by side; survey instruments without a definition are named; the user's
configuration folder is layered over the shipped instruments and stage rules.

The landing zone is generated here. Network `one-host` meets monthly for three years (July 2023 to
June 2026): 50 regulars come to every meeting and 30 others take turns (15 a month), so a quarter
has about 65-80 active members, 50 or more of them retained. `host@` hosts every meeting and opens
every forum thread; members reply to the threads. Network `diagnostic` is small and delivers a
survey of an instrument (`network-diagnostic`, 7 items) that has no definition.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import shutil
from datetime import date
from pathlib import Path
from unittest.mock import patch

import pytest
import yaml

from netpulse.build.python_runtime import instrument_items
from netpulse.build.run import build
from netpulse.cli import main
from netpulse.config.instruments import find_instrument, instrument_paths
from netpulse.errors import ConfigError
from netpulse.ingest.loading import ingest
from netpulse.measures.stages import load_rule_sets, load_stage_rules, rules_folder
from netpulse.outputs.extract import write_quarter_extracts
from netpulse.outputs.status import warehouse_status
from netpulse.store.warehouse import open_warehouse
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    SURVEY_HEADER,
    Warehouse,
    attendance_row,
    make_settings,
    query,
    write_csv,
    write_networks,
)

HOST = "host@onehost.example"
REGULARS = [f"regular{n:02d}@onehost.example" for n in range(50)]
OTHERS = [f"other{n:02d}@onehost.example" for n in range(30)]
FIRST_MONTH, MONTHS = date(2023, 7, 1), 36
DIAGNOSTIC_ITEMS = [f"q{n}" for n in range(1, 8)]
CURRENT = max((p.stem for p in rules_folder().glob("*.yaml")),
              key=lambda v: int(v.rsplit("-", 1)[1]))


def _month(index: int) -> date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return date(FIRST_MONTH.year + year, month + 1, 1)


def write_one_host(landing: Path) -> None:
    attendance, forum = [], []
    for index in range(MONTHS):
        day = _month(index).replace(day=10)
        start = f"{day:%Y-%m-%d}T10:00:00"
        meeting = f"m{index:02d}"
        rotating = [OTHERS[(index * 7 + k) % len(OTHERS)] for k in range(15)]
        attendance.append(attendance_row(meeting, start, HOST, role="host"))
        attendance += [attendance_row(meeting, start, email) for email in REGULARS + rotating]
        topic = f"t{index:02d}"
        forum.append([topic, "", "", HOST, "Host", f"{day:%Y-%m-%d}T12:00:00", "topic"])
        for k, email in enumerate(REGULARS[index % 10::10]):
            forum.append([f"{topic}r{k}", topic, topic, email, "Member", f"{day:%Y-%m-%d}T1{k}:30:00", "reply"])
    write_csv(landing, "one-host", "attendance", "meetings.csv", ATTENDANCE_HEADER, attendance)
    write_csv(landing, "one-host", "forum", "posts.csv", FORUM_HEADER, forum)


def write_diagnostic(landing: Path) -> None:
    people = [f"p{n}@diagnostic.example" for n in range(12)]
    write_csv(landing, "diagnostic", "attendance", "meetings.csv", ATTENDANCE_HEADER, [
        attendance_row("d1", "2026-05-12T10:00:00", people[0], role="host"),
        *[attendance_row("d1", "2026-05-12T10:00:00", email) for email in people[1:]],
    ])
    write_csv(landing, "diagnostic", "survey", "diagnostic.csv", SURVEY_HEADER + DIAGNOSTIC_ITEMS, [
        [f"r{n}", "network-diagnostic", "2026-05-20T09:00:00", email, "true",
         *[str(1 + (n + i) % 5) for i in range(len(DIAGNOSTIC_ITEMS))]]
        for n, email in enumerate(people[:9])
    ])


def diagnostic_instrument(folder: Path) -> Path:
    features = ["shared_purpose", "compelling_purpose", "member_needs", "adaptive_leadership",
                "relationships", "helpful_outputs", "relationships"]
    path = folder / "instruments" / "network-diagnostic.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"id": "network-diagnostic", "items": [
        {"id": item, "key_feature": feature, "text": f"Diagnostic statement {item}"}
        for item, feature in zip(DIAGNOSTIC_ITEMS, features, strict=True)]}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("stages-v3")
    config = write_networks(
        root / "networks.yaml",
        {"id": "one-host", "name": "One Host", "timezone": "Europe/London", "quarter_start_month": 1},
        {"id": "diagnostic", "name": "Diagnostic", "timezone": "Europe/London", "quarter_start_month": 1},
    )
    settings = make_settings(root, network_config=config)
    write_one_host(settings.landing)
    write_diagnostic(settings.landing)
    report = ingest(settings)
    assert {o.status for o in report.outcomes} == {"loaded"}, [o for o in report.outcomes if o.status != "loaded"]
    build(settings)
    warehouse = Warehouse(settings)
    yield warehouse
    warehouse.close()


def latest_quarter(built, version: str) -> dict:
    columns = ["stage", "evidence_stage", "stage_reason", "next_stage_needs", "next_stage_basis", "period_start"]
    row = built.query(f"""
        select {', '.join(columns)} from indicators.network_stages
        where network_id = 'one-host' and grain = 'quarter' and stage_rules_version = ?
        order by period_start desc limit 1""", [version])[0]
    return dict(zip(columns, row, strict=True))


# --- an established network whose hosting rests on one person -------------------------------------

def test_the_current_rules_are_v3_or_later():
    assert int(CURRENT.rsplit("-", 1)[1]) >= 3
    assert CURRENT in {r.version for r in load_rule_sets()}


def test_one_host_is_established_by_v3_with_a_leadership_warning_sign(built):
    v3 = latest_quarter(built, "stage-rules-3")
    assert v3["stage"] == "established", v3
    (quarter, active, retained, meetings, leadership) = built.query("""
        select period_start, active_members, retained_members, meetings_held, kf_adaptive_leadership
        from indicators.network_period where network_id = 'one-host' and grain = 'quarter'
        order by period_start desc limit 1""")[0]
    assert 65 <= active <= 85 and retained >= 50 and meetings == 3
    signs = dict(built.query("""
        select warning_sign, severity from indicators.warning_signs
        where network_id = 'one-host' and grain = 'quarter' and period_start = ?""", [quarter]))
    assert signs.get("leadership_not_rotating") == "high", signs
    # The leadership score is reported beside the stage, and is low: one person leads.
    assert leadership is not None and leadership < 30
    status = warehouse_status(built.settings)
    block = status[status.index(f"  one-host {quarter:%Y-%m-%d}: established"):]
    assert "\n    next: established is the highest stage; it holds because: " in block
    assert "leadership_not_rotating (high)" in block.split("\n  diagnostic")[0]


def test_v2_gates_the_same_network_on_leadership_and_its_reason_now_says_so(built):
    v2 = latest_quarter(built, "stage-rules-2")
    assert v2["stage"] == "emerging"
    needs = v2["next_stage_needs"]
    assert needs.startswith("not established: ")
    failed = needs.split("✓")[0]
    assert re.search(r"adaptive leadership score \d+ of 100 \(≥ 30\) ✗", failed), needs
    assert re.search(r"active in 4 of the last 4 quarters \(≥ 4\) ✓", needs), needs


def test_v3_reasons_say_why_it_holds_and_v3_needs_every_kind_of_evidence(built):
    v3 = latest_quarter(built, "stage-rules-3")
    assert v3["next_stage_needs"].startswith("established is the highest stage; it holds because: ")
    for words in ("meetings held in 4 of the last 4 quarters (≥ 3) ✓", "network functions served (≥ 2) ✓",
                  "retained from the previous quarter (≥ 15) ✓", "structure: "):
        assert words in v3["next_stage_needs"], v3["next_stage_needs"]
    assert "leadership" not in v3["next_stage_needs"]
    # The funder-safe text names thresholds only: no count of the period appears in it.
    assert "retained members ≥ 15 ✓" in v3["next_stage_basis"]
    assert not re.search(r"\b(6\d|7\d|80)\b", v3["next_stage_basis"])


def test_v1_and_v2_reasons_are_unchanged_by_v3(built):
    # stage_reason of the earlier versions is written by the same words as before v3 existed.
    for version in ("stage-rules-1", "stage-rules-2"):
        reason = latest_quarter(built, version)["stage_reason"]
        assert "meetings held" not in reason and "functions" not in reason


def test_the_funder_extract_says_what_the_next_stage_needs_without_counts(built):
    settings = built.settings
    paths = write_quarter_extracts(settings, as_of=date(2026, 7, 1))
    path = next(p for p in paths if p.parent.name == "one-host")
    row = next(csv.DictReader(path.open(encoding="utf-8")))
    assert row["stage"] == "established"
    assert row["next_stage_basis"].startswith("established is the highest stage")
    assert row["next_stage_basis"] == latest_quarter(built, CURRENT)["next_stage_basis"]


# --- calibration ------------------------------------------------------------------------------------

def test_calibrate_prints_every_version_side_by_side_with_the_values_read(built, capsys):
    code = main(["calibrate", "--warehouse", str(built.settings.warehouse), "--network", "one-host"])
    out = capsys.readouterr().out
    assert code == 0
    header = next(line for line in out.splitlines() if line.strip().startswith("period"))
    for column in ("retained", "kf_lead", "meet_in_win", "functions", "structure", "stage-rules-1",
                   "stage-rules-2", f"{CURRENT} (current)"):
        assert column in header, header
    last = [line for line in out.splitlines() if line.strip().startswith("2026-04-01")][-1].split()
    versions = [c for c in header.split() if c.startswith("stage-rules-")]
    stages = [c for c in last if c in ("emerging", "established", "*")]
    assert stages == ["established", "emerging", "*", "established", "*"], last  # v1, v2 (differs), v3
    assert len(versions) == len(load_rule_sets())
    assert re.search(r"stage-rules-2 vs stage-rules-1: \d+ of \d+ quarters differ", out)
    assert "network diagnostic" not in out


def test_calibrate_shows_a_candidate_rules_file_beside_the_adopted_ones(built, tmp_path, capsys):
    document = yaml.safe_load((rules_folder() / "stage-rules-3.yaml").read_text(encoding="utf-8"))
    document["version"] = "stage-rules-98"
    for rule in document["rules"]:
        for condition in rule.get("when") or []:
            if condition["metric"] == "retained_members":
                condition["value"] = {"month": 10, "quarter": 90}
    candidate = tmp_path / "stage-rules-98.yaml"
    candidate.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    code = main(["calibrate", "--warehouse", str(built.settings.warehouse), "--network", "one-host",
                 "--rules", str(candidate), "--grain", "quarter"])
    out = capsys.readouterr().out
    assert code == 0
    assert "stage-rules-98" in out and f"{CURRENT} (current)" in out
    header = next(line for line in out.splitlines() if line.strip().startswith("period")).split()
    rows = {line.split()[0]: line.split() for line in out.splitlines() if re.match(r"\s+20\d\d-\d\d-01", line)}
    assert int(rows["2026-04-01"][header.index("retained")]) < 90
    assert rows["2026-04-01"][-2:] == ["emerging", "*"]  # the candidate, differing from v3 to its left
    # Not adopted: the rules the build uses are unchanged.
    assert "stage-rules-98" not in {r.version for r in load_rule_sets()}


def test_calibrate_builds_a_landing_zone_apart(tmp_path, capsys):
    landing = tmp_path / "landing"
    write_diagnostic(landing)
    settings = make_settings(tmp_path / "configured")
    code = main(["calibrate", "--landing", str(landing), "--grain", "month",
                 "--warehouse", str(settings.warehouse)])
    out = capsys.readouterr().out
    assert code == 0
    assert "network diagnostic" in out and "2026-05-01" in out and "(months)" in out
    assert not settings.warehouse.exists()  # the configured warehouse is not touched


# --- survey instruments without a definition, and the configuration folder ------------------------

def test_an_unknown_instrument_loads_but_is_named_in_status(built):
    (answers,) = built.query("select count(*) from core.survey_answers where network_id = 'diagnostic'")[0]
    assert answers == 9 * len(DIAGNOSTIC_ITEMS)
    features = ["survey_shared_purpose", "survey_compelling_purpose", "survey_member_needs",
                "survey_adaptive_leadership", "survey_relationships", "survey_helpful_outputs"]
    (respondents, evidence) = built.query(f"""select max(survey_respondents), count(coalesce({', '.join(features)}))
        from staging.int_network_periods_classifiable where network_id = 'diagnostic'""")[0]
    assert respondents == 9 and evidence == 0  # answers loaded, no survey evidence from them
    status = warehouse_status(built.settings)
    assert ("instrument network-diagnostic: 7 items (9 responses), not mapped to key features; "
            "add <NETPULSE_CONFIG_DIR>/instruments/network-diagnostic.yaml") in status
    assert "instrument netpulse-core-v1" not in status


def test_run_output_names_an_unknown_instrument(tmp_path, capsys):
    settings = make_settings(tmp_path)
    write_diagnostic(settings.landing)
    env = {"NETPULSE_HASH_KEY": settings.hash_key, "NETPULSE_HOME": str(settings.home)}
    with patch.dict(os.environ, env):
        code = main(["run", "--landing", str(settings.landing), "--warehouse", str(settings.warehouse)])
    out = capsys.readouterr().out
    assert code == 0
    assert "survey: instrument network-diagnostic: 7 items (9 responses), not mapped to key features" in out
    # With its definition in the configuration folder, a fresh warehouse has the survey evidence.
    diagnostic_instrument(tmp_path / "mine")
    fresh = tmp_path / "fresh.duckdb"
    with patch.dict(os.environ, {**env, "NETPULSE_CONFIG_DIR": str(tmp_path / "mine")}):
        code = main(["run", "--landing", str(settings.landing), "--warehouse", str(fresh)])
    out = capsys.readouterr().out
    assert code == 0 and "survey:" not in out
    (evidence,) = query(dataclasses.replace(settings, warehouse=fresh), """select count(survey_shared_purpose)
        from staging.int_network_periods_classifiable where network_id = 'diagnostic'""")[0]
    assert evidence > 0


def test_the_configuration_folder_adds_instruments_and_names_the_file_to_add(built, tmp_path, monkeypatch):
    monkeypatch.setenv("NETPULSE_CONFIG_DIR", str(tmp_path / "mine"))
    (tmp_path / "mine").mkdir()
    assert f"add {tmp_path / 'mine' / 'instruments' / 'network-diagnostic.yaml'}" in warehouse_status(built.settings)
    diagnostic_instrument(tmp_path / "mine")
    assert set(instrument_paths()) == {"netpulse-core-v1", "network-diagnostic"}
    assert find_instrument("network-diagnostic").item_ids == tuple(DIAGNOSTIC_ITEMS)
    items = instrument_items()
    assert set(items[items["instrument"] == "network-diagnostic"]["item"]) == set(DIAGNOSTIC_ITEMS)
    assert "network-diagnostic" not in warehouse_status(built.settings)


def test_a_configuration_folder_file_with_a_shipped_name_wins(tmp_path, monkeypatch):
    shipped = load_stage_rules(rules_folder() / "stage-rules-1.yaml")
    mine = tmp_path / "mine"
    (mine / "stage_rules").mkdir(parents=True)
    (mine / "instruments").mkdir()
    document = yaml.safe_load((rules_folder() / "stage-rules-1.yaml").read_text(encoding="utf-8"))
    document["hold_periods"] = {"month": 5, "quarter": 3}
    (mine / "stage_rules" / "stage-rules-1.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    shutil.copy(rules_folder() / "stage-rules-3.yaml", mine / "stage_rules" / "stage-rules-97.yaml")
    text = (mine / "stage_rules" / "stage-rules-97.yaml").read_text(encoding="utf-8")
    (mine / "stage_rules" / "stage-rules-97.yaml").write_text(
        text.replace("version: stage-rules-3", "version: stage-rules-97"), encoding="utf-8")
    core = instrument_paths()["netpulse-core-v1"]
    (mine / "instruments" / "netpulse-core-v1.yaml").write_text(
        core.read_text(encoding="utf-8").replace("title:", "title: Ours -", 1), encoding="utf-8")
    monkeypatch.setenv("NETPULSE_CONFIG_DIR", str(mine))
    by_version = {r.version: r for r in load_rule_sets()}
    assert by_version["stage-rules-1"].hold_periods == {"month": 5, "quarter": 3} != shipped.hold_periods
    assert "stage-rules-97" in by_version and "stage-rules-2" in by_version
    assert instrument_paths()["netpulse-core-v1"] == mine / "instruments" / "netpulse-core-v1.yaml"
    assert find_instrument("netpulse-core-v1").title.startswith("Ours")


def test_a_configuration_folder_that_is_not_a_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NETPULSE_CONFIG_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"NETPULSE_CONFIG_DIR .* is not a folder"):
        instrument_paths()


# --- the demo: every reason names what the stage up still needs ------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from netpulse.demo.data import write_demo_landing

    root = tmp_path_factory.mktemp("demo-v3")
    settings = make_settings(root, network_config=root / "networks.yaml")
    write_demo_landing(settings.landing, settings.network_config)
    ingest(settings)
    build(settings)
    return settings


NEXT = {"pre-emergent": "not emerging: ", "emerging": "not established: ",
        "dormant": "revival (back to emerging) needs: "}


def test_every_demo_reason_names_what_the_stage_up_still_needs(demo):
    rows = query(demo, "select stage_rules_version, network_id, grain, period_start, stage, next_stage_needs, "
                       "next_stage_basis from indicators.network_stages")
    assert {r[4] for r in rows if r[0] == CURRENT} == {"pre-emergent", "emerging", "established", "dormant"}
    for version, network, grain, start, stage, needs, basis in rows:
        where = (version, network, grain, start)
        if stage == "established":
            assert needs.startswith("established is the highest stage"), where
            assert "✓" in needs, where
            continue
        assert needs.startswith(NEXT[stage]) and basis.startswith(NEXT[stage]), (where, needs)
        missing = [part for part in needs.removeprefix(NEXT[stage]).split("; ") if part.endswith("✗")]
        assert missing, (where, needs)  # something the stage up still needs, with its value
        assert all(re.search(r"\d|no evidence|no structure|not measurable", part) for part in missing), needs


def test_the_demo_keeps_its_four_stages_under_v3(demo):
    latest = dict(query(demo, """
        select network_id, stage from indicators.network_stages
        where grain = 'quarter' and stage_rules_version = 'stage-rules-3'
        qualify period_start = max(period_start) over (partition by network_id)"""))
    assert latest == {"resp-clinical": "established", "frailty-learning": "dormant",
                      "digital-inclusion": "emerging", "carers-voice": "pre-emergent"}
    with open_warehouse(demo, read_only=True) as con:
        (held,) = con.execute("""select count(*) from indicators.network_stages
            where stage <> evidence_stage and stage = 'established' and next_stage_needs like '%held while%'
            and stage_rules_version = 'stage-rules-3'""").fetchone()
    assert held > 0  # a stage held up by hysteresis says which of its conditions lapsed


# --- a stage set by hand ---------------------------------------------------------------------------

def test_a_stage_set_by_hand_is_applied_with_who_and_why_and_history_keeps_both(tmp_path, capsys):
    settings = make_settings(tmp_path)
    write_diagnostic(settings.landing)
    mine = tmp_path / "mine"
    env = {"NETPULSE_HASH_KEY": settings.hash_key, "NETPULSE_HOME": str(settings.home),
           "NETPULSE_CONFIG_DIR": str(mine)}
    run = ["run", "--landing", str(settings.landing), "--warehouse", str(settings.warehouse)]
    with patch.dict(os.environ, env):
        mine.mkdir()
        assert main(run) == 0
        assert main(["override-stage", "--network", "diagnostic", "--grain", "month", "--from", "2026-05-01",
                     "--stage", "established", "--by", "Jo (network lead)",
                     "--reason", "meets weekly off-platform; the traces miss it"]) == 0
        assert main(["override-stage", "--network", "diagnostic", "--from", "2026-13-01", "--stage", "dormant",
                     "--reason", "x"]) == 2
        assert main(run) == 0
    capsys.readouterr()
    assert (mine / "stage_overrides.yaml").exists()
    rows = query(settings, """select period_start, stage, evidence_stage, stage_reason, stage_override
        from indicators.network_stages where network_id = 'diagnostic' and grain = 'month' and is_current_rules
        order by period_start""")
    (may,) = rows  # the spine runs to the latest activity: May 2026
    assert may[1] == "established" and may[2] == "pre-emergent", may
    assert may[4].startswith("set by hand by Jo (network lead) on ") and may[4].endswith("the traces miss it")
    assert may[3].startswith("established: set by hand by Jo") and "(the rules give pre-emergent: " in may[3]
    history = query(settings, """select count(distinct build_id), count(stage_override) from
        indicators.network_stages_history where network_id = 'diagnostic' and grain = 'month'
        and period_start = '2026-05-01' and is_current_rules""")[0]
    assert history == (2, 1)  # the build before the override and the one after, kept side by side
