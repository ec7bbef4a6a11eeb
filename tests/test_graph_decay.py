"""Ties keep their kinds apart and, with a decay configured, earlier ties count in later periods.

January: A, B and C attend meeting m1 (co-attendance, weight 1/2 per pair); D replies to A's
topic (forum reply, weight 1). March: A and B attend m2 (weight 1). February has no activity.
With decay 0.5 over one period, February's graph holds January's ties at half their weight,
and March holds its own tie only (January is two periods back). Without decay, February has
no graph at all.
"""

from __future__ import annotations

import pytest
import yaml

from netpulse.build.run import build
from netpulse.config.settings import project_path
from netpulse.ingest.loading import ingest
from tests.helpers import ATTENDANCE_HEADER, FORUM_HEADER, attendance_row, make_settings, query, write_csv


def landing(settings) -> None:
    write_csv(settings.landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "a@x.example"),
        attendance_row("m1", "2026-01-15T10:00:00", "b@x.example"),
        attendance_row("m1", "2026-01-15T10:00:00", "c@x.example"),
        attendance_row("m2", "2026-03-12T10:00:00", "a@x.example"),
        attendance_row("m2", "2026-03-12T10:00:00", "b@x.example"),
    ])
    write_csv(settings.landing, "net", "forum", "f.csv", FORUM_HEADER, [
        ["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"],
        ["p2", "p1", "p1", "d@x.example", "D", "2026-01-21T09:00:00", "reply"],
    ])


@pytest.fixture(scope="module")
def decayed(tmp_path_factory):
    root = tmp_path_factory.mktemp("decay")
    config = yaml.safe_load(project_path("config", "key_features.yaml").read_text(encoding="utf-8"))
    config["graph"] = {"decay": 0.5, "decay_periods": 1}
    path = root / "key_features.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = make_settings(root)
    landing(settings)
    ingest(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETPULSE_KEY_FEATURES", str(path))
        build(settings)
    return settings


@pytest.fixture(scope="module")
def undecayed(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("no-decay"))
    landing(settings)
    ingest(settings)
    build(settings)
    return settings


def ties(settings, period: str) -> list[tuple]:
    return query(settings, """
        select round(weight, 3), round(coalesce(co_attendance_weight, 0), 3), round(coalesce(forum_weight, 0), 3),
            in_period
        from staging.int_network_period_ties where grain = 'month' and period_start = ? order by all""", [period])


def test_a_tie_keeps_its_weight_by_kind(undecayed):
    # January: three co-attendance ties of 1/2 and one forum reply of 1.
    assert ties(undecayed, "2026-01-01") == [(0.5, 0.5, 0.0, True)] * 3 + [(1.0, 0.0, 1.0, True)]


def test_without_decay_a_quiet_period_has_no_graph(undecayed):
    assert ties(undecayed, "2026-02-01") == []
    (members,) = query(undecayed, "select members_in_graph from indicators.network_structure "
                       "where grain = 'month' and period_start = '2026-02-01'")[0]
    assert members == 0


def test_with_decay_earlier_ties_count_at_a_decayed_weight_for_decay_periods(decayed):
    assert ties(decayed, "2026-02-01") == [(0.25, 0.25, 0.0, False)] * 3 + [(0.5, 0.0, 0.5, False)]
    # March: its own tie A-B (weight 1), plus nothing from January (two periods back) or February.
    assert ties(decayed, "2026-03-01") == [(1.0, 1.0, 0.0, True)]


def test_the_build_records_the_decay_it_used(decayed):
    (decay, periods) = query(decayed, "select graph_decay, graph_decay_periods "
                             "from staging.int_methodology_parameters")[0]
    assert (decay, periods) == (0.5, 1)


def test_mean_strength_reads_the_decayed_weights(decayed, undecayed):
    # January: 3 x 1/2 + 1 = 2.5 of weight among A, B, C, D: 2 x 2.5 / 4 = 1.25.
    # February, decayed to half: 2 x 1.25 / 4 = 0.625.
    def strength(settings, period):
        return query(settings, "select mean_strength from indicators.network_structure "
                     "where grain = 'month' and period_start = ?", [period])[0][0]

    assert strength(undecayed, "2026-01-01") == pytest.approx(1.25)
    assert strength(decayed, "2026-01-01") == pytest.approx(1.25)
    assert strength(decayed, "2026-02-01") == pytest.approx(0.625)
