"""A build builds the networks whose inputs changed: nothing when nothing did, every network when
the definitions did. (That an incremental build equals a full one: test_incremental_property.py.)

Three networks, each with ten members meeting monthly from January to June 2026.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

import netpulse.build.python_runtime
from netpulse.admin.erasure import erase_member
from netpulse.build.run import build
from netpulse.config.settings import project_dir
from netpulse.ingest.loading import ingest
from netpulse.outputs.extract import write_quarter_extracts
from tests.helpers import ATTENDANCE_HEADER, attendance_row, make_settings, query, write_csv

NETWORKS = ("east", "north", "west")


def meetings(network: str, months: range, members: int = 10, tag: str = "m") -> list[list]:
    return [attendance_row(f"{tag}{m}", f"2026-{m:02d}-15T10:00:00", f"p{j}@{network}.example")
            for m in months for j in range(members)]


@pytest.fixture
def built(tmp_path):
    # A file name that is no plain SQL identifier: the build names the warehouse's catalog after it.
    settings = make_settings(tmp_path, warehouse=tmp_path / "net-pulse.v2.duckdb")
    for network in NETWORKS:
        write_csv(settings.landing, network, "attendance", "h1.csv", ATTENDANCE_HEADER, meetings(network, range(1, 7)))
    ingest(settings)
    first = build(settings)
    return settings, first


def last_builds(settings) -> dict:
    return dict(query(settings, "select network_id, arg_max(build_id, built_at) from meta.network_builds group by all"))


def test_nothing_new_builds_nothing_and_records_nothing(built):
    settings, first = built
    report = build(settings)
    assert (report.kind, report.build_id) == ("nothing", None)
    assert report.summary() == f"nothing to build: 3 networks unchanged since build {first.build_id}"
    assert query(settings, "select count(*) from meta.builds") == [(1,)]


def test_a_new_file_rebuilds_its_network_only_and_appends_only_its_rows_to_history(built):
    settings, first = built
    write_csv(settings.landing, "north", "attendance", "late.csv", ATTENDANCE_HEADER,
              meetings("north", range(3, 4), members=4, tag="late"))  # late data for March
    ingest(settings)
    report = build(settings)
    assert (report.kind, report.networks_built) == ("incremental", ["north"])
    assert last_builds(settings) == {"east": first.build_id, "north": report.build_id, "west": first.build_id}
    by_build = dict(query(settings, "select build_id, list(distinct network_id order by network_id) "
                          "from indicators.network_period_history group by all"))
    assert by_build == {first.build_id: list(NETWORKS), report.build_id: ["north"]}
    # The current table: each network's rows from the build that last built it.
    current = dict(query(settings, "select network_id, list(distinct build_id) from indicators.network_period "
                         "group by all"))
    assert current == {"east": [first.build_id], "north": [report.build_id], "west": [first.build_id]}
    # As of the first build, north still has its first figures; as of the second, its new ones.
    march = """select h.active_members from indicators.network_period_history as h
        inner join meta.network_builds_as_of(?) using (network_id, build_id)
        where network_id = 'north' and grain = 'month' and period_start = '2026-03-01'"""
    assert query(settings, march, [first.build_id]) == [(10,)]
    assert query(settings, march, [report.build_id]) == [(10,)]  # the four late attendees were members already
    kinds = query(settings, "select build_kind, networks_built from meta.builds order by started_at")
    assert kinds == [("full", 3), ("incremental", 1)]


def test_an_erasure_rebuilds_the_network_it_was_in(built):
    settings, _first = built
    erase_member(settings, "west", "p0@west.example")
    report = build(settings)
    assert (report.kind, report.networks_built) == ("incremental", ["west"])
    assert query(settings, "select max(active_members) from indicators.network_period where network_id = 'west'") \
        == [(9,)]


def test_new_definitions_rebuild_every_network(built, tmp_path, monkeypatch):
    settings, _ = built
    project = tmp_path / "project"
    for folder in ("transforms", "expectations", "warehouse", "config"):
        shutil.copytree(project_dir() / folder, project / folder)
    path = project / "transforms" / "7_indicators" / "network_period.sql"
    path.write_text(path.read_text(encoding="utf-8") + "\n-- a comment is a change of definitions too\n")
    monkeypatch.setenv("NETPULSE_PROJECT_DIR", str(project))
    report = build(settings)
    assert (report.kind, report.reason, len(report.networks_built)) == ("full", "the definitions changed", 3)


def test_a_failed_incremental_build_leaves_the_previous_build_visible(built, monkeypatch):
    settings, first = built
    write_csv(settings.landing, "east", "attendance", "july.csv", ATTENDANCE_HEADER, meetings("east", range(6, 7),
                                                                                             tag="x"))
    ingest(settings)

    def broken(*args, **kwargs):
        raise RuntimeError("deliberate failure")

    monkeypatch.setattr(netpulse.build.python_runtime, "classify_versions", broken)
    with pytest.raises(RuntimeError, match="deliberate failure"):
        build(settings)
    assert query(settings, "select distinct build_id from indicators.network_period") == [(first.build_id,)]
    assert query(settings, "select status, build_kind from meta.builds order by started_at") == [
        ("succeeded", "full"), ("failed", "incremental")]
    monkeypatch.undo()
    assert build(settings).networks_built == ["east"]  # still to build: its inputs changed


def test_an_extract_of_an_earlier_build_has_every_network_as_of_that_build(built):
    settings, first = built
    write_csv(settings.landing, "east", "attendance", "more.csv", ATTENDANCE_HEADER,
              meetings("east", range(4, 7), members=14, tag="y"))
    ingest(settings)
    second = build(settings)
    assert second.networks_built == ["east"]
    files = write_quarter_extracts(settings, as_of=date(2026, 7, 1), build_id=second.build_id)
    assert sorted(p.name for p in files) == [f"{n}_quarter_2026-04-01_build-{second.build_id}.csv" for n in NETWORKS]
    files = write_quarter_extracts(settings, as_of=date(2026, 7, 1), build_id=first.build_id)
    assert len(files) == 3


def test_a_table_across_networks_without_an_incremental_rule_makes_the_build_full(built, tmp_path, monkeypatch):
    # An incremental build replaces a table without network_id whole: a new model counting every
    # network's members would count only the networks rebuilt. The build notices and builds in full.
    settings, _ = built
    project = tmp_path / "project"
    for folder in ("transforms", "expectations", "warehouse", "config"):
        shutil.copytree(project_dir() / folder, project / folder)
    (project / "transforms" / "6_periods" / "int_members_counted.sql").write_text(
        "select count(*) as members from core.members\n")
    monkeypatch.setenv("NETPULSE_PROJECT_DIR", str(project))
    assert build(settings).kind == "full"  # new definitions
    write_csv(settings.landing, "west", "attendance", "more.csv", ATTENDANCE_HEADER, meetings("west", range(5, 6),
                                                                                             tag="z"))
    ingest(settings)
    report = build(settings)
    assert (report.kind, report.reason) == (
        "full", "staging.int_members_counted has no network_id and no incremental rule")
    assert query(settings, "select members from staging.int_members_counted") == [(30,)]


def test_worker_processes_give_the_same_figures_as_one_process(tmp_path, monkeypatch):
    figures = {}
    for workers in (1, 2):
        settings = make_settings(tmp_path / str(workers), workers=workers)
        for network in NETWORKS:
            write_csv(settings.landing, network, "attendance", "h1.csv", ATTENDANCE_HEADER,
                      meetings(network, range(1, 7)))
        ingest(settings)
        monkeypatch.setattr(netpulse.build.python_runtime, "PARALLEL_TIES", 0)
        monkeypatch.setattr(netpulse.build.python_runtime, "PARALLEL_PERIODS", 0)
        build(settings)
        figures[workers] = query(settings, """
            select n.* exclude (build_id), s.* exclude (build_id), w.warning_sign
            from indicators.network_period as n
            inner join indicators.network_structure as s using (network_id, grain, period_start)
            left join indicators.warning_signs as w using (network_id, grain, period_start)
            order by all""")
    assert figures[1] == figures[2]
