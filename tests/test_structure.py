"""Interaction graph and structure measures, on a graph worked out by hand.

January: meeting m1 with A, B, C (co-attendance ties AB, AC, BC). Forum: D opens a topic,
A replies to D, D replies to A (reciprocated), E reacts to D's topic.
Undirected ties: AB, AC, BC, AD, DE -> 5 ties among 5 members: density 5/10 = 0.5, mean
degree 2.0; degrees A3 B2 C2 D2 E1 -> 4 of 5 have two or more ties. Directed forum pairs
A->D, D->A, E->D: 2 of 3 reciprocated. Organisations: A, B in Org1; C, D in Org2; E unknown:
of the 4 ties with both known, AC, BC and AD cross (0.75). One component holding everyone.
Clustering: A's neighbours B, C, D have 1 of 3 possible ties (BC): 1/3; B and C: 1; D (A, E
not tied): 0; E (one tie): 0 -> average 7/15.
February: A attends alone -> a period with no graph: 0 members and ties, NULL ratios.
"""

from __future__ import annotations

import pandas as pd
import pytest

from netpulse.build.run import build
from netpulse.ingest.loading import ingest
from netpulse.measures.graph import graph_measures, measures_of
from tests.helpers import (
    ATTENDANCE_HEADER,
    FORUM_HEADER,
    ROSTER_HEADER,
    attendance_row,
    make_settings,
    query,
    write_csv,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("structure"))
    landing = settings.landing
    write_csv(landing, "net", "roster", "r.csv", ROSTER_HEADER, [
        [f"{m}@x.example", m.upper(), org, "", "", "", "", "", "", ""]
        for m, org in [("a", "Org1"), ("b", "Org1"), ("c", "Org2"), ("d", "Org2")]
    ])
    write_csv(landing, "net", "attendance", "a.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "a@x.example"),
        attendance_row("m1", "2026-01-15T10:00:00", "b@x.example"),
        attendance_row("m1", "2026-01-15T10:00:00", "c@x.example"),
        attendance_row("m2", "2026-02-12T10:00:00", "a@x.example"),
    ])
    write_csv(landing, "net", "forum", "f.csv", FORUM_HEADER, [
        ["p1", "", "", "d@x.example", "D", "2026-01-20T09:00:00", "topic"],
        ["p2", "p1", "p1", "a@x.example", "A", "2026-01-21T09:00:00", "reply"],
        ["p3", "p1", "p2", "d@x.example", "D", "2026-01-22T09:00:00", "reply"],
        ["p4", "p1", "p1", "e@x.example", "E", "2026-01-23T09:00:00", "reaction"],
    ])
    ingest(settings)
    build(settings)
    return settings


def structure(settings, period: str) -> dict:
    columns = ("members_in_graph", "ties", "density", "mean_degree", "reciprocity",
               "share_two_or_more_ties", "share_ties_across_organisations", "components",
               "largest_component_share", "average_clustering")
    (row,) = query(settings, f"select {', '.join(columns)} from indicators.network_structure "
                   "where grain = 'month' and period_start = ?", [period])
    return dict(zip(columns, row, strict=True))


def test_the_structure_of_a_hand_computed_graph(built):
    measures = structure(built, "2026-01-01")
    assert measures == {
        "members_in_graph": 5, "ties": 5, "density": 0.5, "mean_degree": 2.0,
        "reciprocity": pytest.approx(2 / 3), "share_two_or_more_ties": 0.8,
        "share_ties_across_organisations": 0.75, "components": 1, "largest_component_share": 1.0,
        "average_clustering": pytest.approx(7 / 15),
    }


def test_a_period_without_interactions_has_no_graph_not_zeros(built):
    assert structure(built, "2026-02-01") == {
        "members_in_graph": 0, "ties": 0, "density": None, "mean_degree": None, "reciprocity": None,
        "share_two_or_more_ties": None, "share_ties_across_organisations": None, "components": None,
        "largest_component_share": None, "average_clustering": None,
    }


def test_edges_tell_the_kinds_apart_and_weigh_co_attendance_by_meeting_size(built):
    rows = query(built, "select kind, directed, count(*), sum(weight) from core.interactions group by all order by all")
    assert rows == [("co_attendance", False, 3, 1.5), ("reaction", True, 1, 0.5), ("reply", True, 2, 2.0)]


def test_every_structure_column_has_a_definition_in_the_methodology(built):
    from tests.test_docs import METHODOLOGY, defined_columns

    columns = {c for (c,) in query(built, "select column_name from information_schema.columns "
                                   "where table_schema = 'indicators' and table_name = 'network_structure'")}
    assert columns - defined_columns(METHODOLOGY) == set()


def ties_frame(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"network_id": "n", "grain": "month", "period_start": pd.Timestamp("2026-01-01"),
                         "member_a": [a for a, _ in pairs], "member_b": [b for _, b in pairs]})


@pytest.mark.parametrize("pairs, expected", [
    # a triangle: one component, every member's neighbours tied
    ([("a", "b"), ("b", "c"), ("a", "c")], {"components": 1, "largest_component_share": 1.0,
                                            "average_clustering": 1.0}),
    # a pair and a path of three: two components, the larger holds 3 of 5, no triangles
    ([("a", "b"), ("c", "d"), ("d", "e")], {"components": 2, "largest_component_share": 0.6,
                                            "average_clustering": 0.0}),
    # a star of four around a hub: one component; the hub's 3 neighbours are untied (0)
    ([("h", "x"), ("h", "y"), ("h", "z")], {"components": 1, "largest_component_share": 1.0,
                                            "average_clustering": 0.0}),
    # a triangle with a tail: a, b = 1; c (neighbours a, b, d: 1 of 3) = 1/3; d = 0 -> 7/12
    ([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")], {"components": 1, "largest_component_share": 1.0,
                                                        "average_clustering": pytest.approx(7 / 12)}),
])
def test_components_and_clustering_of_small_graphs(pairs, expected):
    assert measures_of(ties_frame(pairs)) == expected


def test_graph_measures_are_one_row_per_period():
    ties = pd.concat([ties_frame([("a", "b")]),
                      ties_frame([("a", "b"), ("c", "d")]).assign(period_start=pd.Timestamp("2026-02-01"))])
    assert graph_measures(ties)["components"].tolist() == [1, 2]
