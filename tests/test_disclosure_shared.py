"""The CSV extracts and the funder pack publish one quarter under one disclosure rule.

Both read the networks file's ``suppression:`` section through netpulse.outputs.disclosure, so
with ``events: suppress`` a network's three meetings are hidden in both, and every count and
score of the quarter reads the same in the extract's CSV and the pack's quarter_indicators.csv.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest

from netpulse.build.run import build
from netpulse.config.key_features import feature_columns
from netpulse.ingest.loading import ingest
from netpulse.outputs.extract import COUNT_COLUMNS, write_quarter_extracts
from netpulse.outputs.pack.write import write_pack
from tests.helpers import ATTENDANCE_HEADER, attendance_row, make_settings, write_csv

PROGRAMME = "Shared rule"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared")
    config = root / "networks.yaml"
    config.write_text(
        "suppression: {min_count: 10, round_to: 2, events: suppress}\n"
        "networks:\n"
        + "".join(f"  - {{id: {n}, name: {n.title()}, programme: {PROGRAMME}}}\n" for n in ("few", "many", "odd")),
        encoding="utf-8")
    settings = make_settings(root, network_config=config)
    people = {"few": 4, "many": 40, "odd": 13}  # 13 rounds half up to 14 under round_to 2
    for network, count in people.items():
        write_csv(settings.landing, network, "attendance", "q.csv", ATTENDANCE_HEADER, [
            attendance_row(f"{network}-{month}", f"2026-0{month}-10T10:00:00", f"p{i}@{network}.example")
            for month in (1, 2, 3) for i in range(count)])
    ingest(settings)
    build(settings)
    extracts = {}
    for path in write_quarter_extracts(settings, as_of=date(2026, 4, 15)):
        with path.open(newline="", encoding="utf-8") as handle:
            (record,) = csv.DictReader(handle)
        extracts[record["network_id"]] = record
    pack = write_pack(settings, quarter="2026Q1", programme=PROGRAMME, out=root / "pack")
    with (pack.folder / "tables" / "quarter_indicators.csv").open(newline="", encoding="utf-8") as handle:
        shown = {(r["network_id"], r["metric"]): r["shown"] for r in csv.DictReader(handle)
                 if r["quarter"] == "2026Q1"}
    return extracts, shown


def test_events_suppressed_in_the_networks_file_are_hidden_in_both(published):
    extracts, pack = published
    assert extracts["few"]["meetings_held"] == pack[("few", "meetings_held")] == "*"
    assert extracts["few"]["active_members"] == pack[("few", "active_members")] == "*"


def test_every_count_and_score_of_the_quarter_reads_the_same_in_both(published):
    extracts, pack = published
    assert set(extracts) == {"few", "many", "odd"}
    differ = [(n, c, extracts[n][c], pack[(n, c)]) for n in extracts for c in (*COUNT_COLUMNS, *feature_columns())
              if (n, c) in pack and extracts[n][c] != pack[(n, c)]]
    assert differ == []
    assert extracts["odd"]["active_members"] == "14" and extracts["many"]["active_members"] == "40"
