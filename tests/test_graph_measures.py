"""Graph structure measures, checked against NetworkX on small graphs and by hand where it is easy.

Hand-computed graphs:
- a star of a hub and 7 leaves (n = 8): only the hub brokers (normalised betweenness 1), so the top
  10% (1 member) hold all of it; distances: 7 hub-leaf pairs at 1, 21 leaf-leaf pairs at 2 -> 49/28;
  removing the hub leaves 8 - 1 isolated members -> resilience 1/8.
- a path a-b-c-d-e: pairs through b: 3, c: 4, d: 3 -> normalised 2*count/((n-1)(n-2)) = 1/2, 2/3,
  1/2, so c holds (2/3)/(5/3) = 0.4; distances 4*1 + 3*2 + 2*3 + 1*4 = 20 over 10 pairs -> 2.0;
  one member removed, b (degree 2, first of b, c, d in key order) -> a | c-d-e -> 3/5.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from netpulse.measures import graph as g
from netpulse.measures.graph import COLUMNS, PHASE_THRESHOLDS, PHASES, all_measures_of, graph_measures, measures_of


def key(node) -> str:
    return f"m{node:04d}" if isinstance(node, int) else str(node)


def ties_of(edges, **extra) -> pd.DataFrame:
    pairs = [tuple(sorted((key(a), key(b)))) for a, b in edges]
    return pd.DataFrame({"network_id": "n", "grain": "month", "period_start": pd.Timestamp("2026-01-01"),
                         "member_a": [a for a, _ in pairs], "member_b": [b for _, b in pairs], **extra})


def nx_graph(ties: pd.DataFrame) -> nx.Graph:
    return nx.Graph(list(zip(ties["member_a"], ties["member_b"], strict=True)))


def nx_concentration(G: nx.Graph) -> float:
    centrality = np.sort(list(nx.betweenness_centrality(G, normalized=True).values()))[::-1]
    if centrality.sum() == 0:
        return math.nan
    return float(centrality[: math.ceil(len(G) / 10)].sum() / centrality.sum())


def nx_largest(G: nx.Graph) -> nx.Graph:
    return G.subgraph(max(nx.connected_components(G), key=len))


def nx_resilience(G: nx.Graph) -> float:
    ranked = sorted(G, key=lambda v: (-G.degree(v), v))
    rest = G.subgraph(set(G) - set(ranked[: math.ceil(0.05 * len(G))]))
    return len(max(nx.connected_components(rest), key=len)) / len(nx_largest(G))


def without_isolates(G: nx.Graph) -> nx.Graph:
    # a graph built from ties has no member without one
    return G.subgraph([v for v in G if G.degree(v)]).copy()


def same(actual: float, expected: float) -> bool:
    return (math.isnan(actual) and math.isnan(expected)) or actual == pytest.approx(expected, abs=1e-9)


SMALL_GRAPHS = {
    "path": nx.path_graph(6),
    "star": nx.star_graph(7),
    "two triangles and a bridge": nx.barbell_graph(3, 0),
    "K5": nx.complete_graph(5),
    "two components": nx.disjoint_union(nx.path_graph(4), nx.complete_graph(3)),
    "G(60, 0.08)": without_isolates(nx.gnp_random_graph(60, 0.08, seed=7)),
}


@pytest.mark.parametrize("G", SMALL_GRAPHS.values(), ids=SMALL_GRAPHS.keys())
def test_measures_agree_with_networkx(G):
    ties = ties_of(G.edges())
    G = nx_graph(ties)
    m = all_measures_of(ties)
    largest = nx_largest(G)
    n, degrees = len(G), dict(G.degree())
    expected = {
        "components": nx.number_connected_components(G),
        "largest_component_share": len(largest) / n,
        "average_clustering": nx.average_clustering(G),
        "top_connector_share": max(degrees.values()) / (n - 1),
        "betweenness_concentration": nx_concentration(G),
        "average_path_length": nx.average_shortest_path_length(largest),
        "resilience": nx_resilience(G),
    }
    assert {k: same(m[k], v) for k, v in expected.items()} == dict.fromkeys(expected, True), (m, expected)
    mean_degree = 2 * G.number_of_edges() / n
    random_length = math.log(n) / math.log(mean_degree) if mean_degree > 1 else math.nan
    assert same(m["clustering_vs_random"], expected["average_clustering"] / nx.density(G))
    assert same(m["path_length_vs_random"], expected["average_path_length"] / random_length)
    assert same(m["small_world_sigma"], m["clustering_vs_random"] / m["path_length_vs_random"])
    assert m["structural_phase"] in PHASES


@pytest.mark.parametrize("G", SMALL_GRAPHS.values(), ids=SMALL_GRAPHS.keys())
def test_betweenness_of_every_member_is_networkx_normalised_betweenness(G):
    ties = ties_of(G.edges())
    graph = g.graph_of(ties)
    ours = g.betweenness(graph, g.shortest_paths(graph.adjacency, np.arange(graph.n)))
    theirs = nx.betweenness_centrality(nx_graph(ties), normalized=True)
    assert ours == pytest.approx([theirs[k] for k in sorted(theirs)], abs=1e-12)


def test_linear_scaling_from_every_source_is_exact_brandes():
    # the estimator used when sampling must reduce to exact betweenness when nothing is left out
    graph = g.graph_of(ties_of(without_isolates(nx.gnp_random_graph(80, 0.06, seed=3)).edges()))
    paths = g.shortest_paths(graph.adjacency, np.arange(graph.n))
    linear = 2 * g.dependencies(graph.adjacency, paths, linear=True).sum(axis=0)
    assert linear == pytest.approx(g.dependencies(graph.adjacency, paths).sum(axis=0), rel=1e-9)
    assert linear.sum() > 0


def test_the_measures_of_a_star_by_hand():
    m = all_measures_of(ties_of([("hub", f"leaf{i}") for i in range(7)]))
    density, mean_degree = 7 / 28, 14 / 8
    assert m["betweenness_concentration"] == 1.0
    assert m["average_path_length"] == pytest.approx(49 / 28)
    assert m["top_connector_share"] == 1.0
    assert m["resilience"] == pytest.approx(1 / 8)
    assert m["clustering_vs_random"] == 0.0 and density > 0
    assert m["path_length_vs_random"] == pytest.approx((49 / 28) / (math.log(8) / math.log(mean_degree)))
    assert m["small_world_sigma"] == 0.0
    assert m["structural_phase"] == "hub-and-spoke"


def test_the_measures_of_a_path_by_hand():
    m = all_measures_of(ties_of([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")]))
    assert m["betweenness_concentration"] == pytest.approx(0.4)
    assert m["average_path_length"] == pytest.approx(2.0)
    assert m["top_connector_share"] == 0.5
    assert m["resilience"] == pytest.approx(3 / 5)
    assert m["path_length_vs_random"] == pytest.approx(2.0 / (math.log(5) / math.log(8 / 5)))
    assert m["structural_phase"] == "core/periphery"


@pytest.mark.parametrize("leaves", [4, 7, 24])
def test_removing_the_top_connectors_of_a_star_leaves_only_isolated_members(leaves):
    # with 25 members two are removed (5% rounded up): the hub and a leaf; the rest are alone
    n = leaves + 1
    assert all_measures_of(ties_of([("hub", f"leaf{i:02d}") for i in range(leaves)]))["resilience"] == (
        pytest.approx(1 / n))


@pytest.mark.parametrize("first, expected", [("b", 1.0), ("zz", 4 / 6)])
def test_equal_degrees_are_removed_in_member_key_order(first, expected):
    # two members of degree 3: `first` (a star of 4) and y (in a component of 6); 10 members -> 1 removed
    edges = [(first, "a"), (first, "c"), (first, "d"),
             ("y", "w"), ("y", "x"), ("y", "z"), ("z", "z1"), ("z1", "z2")]
    assert all_measures_of(ties_of(edges))["resilience"] == pytest.approx(expected)


def stars(hubs: int, leaves: int) -> list[tuple[str, str]]:
    spokes = [(f"hub{h}", f"leaf{h}_{i}") for h in range(hubs) for i in range(leaves)]
    return spokes + [(f"hub{a}", f"hub{b}") for a in range(hubs) for b in range(a + 1, hubs)]


def core_with_pendants(core: int) -> list[tuple[str, str]]:
    return [(f"core{a}", f"core{b}") for a in range(core) for b in range(a + 1, core)] + [
        (f"core{a}", f"pendant{a}") for a in range(core)]


PHASE_GRAPHS = {
    # 38% of members in the largest group
    "scattered clusters": [("a", "b"), ("b", "c"), ("a", "c"), ("d", "e"), ("e", "f"), ("d", "f"), ("g", "h")],
    # one hub tied to everyone, holding all the brokerage
    "hub-and-spoke": stars(1, 7),
    # 4 hubs of 6 leaves, hubs all tied: a hub reaches 9 of 27 (33%); the top 3 hold 3/4 of brokerage
    "multi-hub": stars(4, 6),
    # a K8 with one pendant each: the 8 core members broker equally, the top 2 hold 25%
    "core/periphery": core_with_pendants(8),
}


@pytest.mark.parametrize("expected, edges", PHASE_GRAPHS.items(), ids=PHASE_GRAPHS.keys())
def test_the_phase_rule_picks_the_phase_a_graph_was_built_for(expected, edges):
    m = all_measures_of(ties_of(edges))
    assert m["structural_phase"] == expected, m["structural_phase_rule"]
    assert "50%" in m["structural_phase_rule"]


def test_the_phase_rules_quote_the_values_and_thresholds():
    rules = {phase: all_measures_of(ties_of(edges))["structural_phase_rule"] for phase, edges in PHASE_GRAPHS.items()}
    assert "holds 38% of members (< 50%)" in rules["scattered clusters"]
    assert "tied to 100% of the other members (≥ 50%)" in rules["hub-and-spoke"]
    assert "without them 86% of the others would be cut off (≥ 50%)" in rules["hub-and-spoke"]
    assert "tied to 33% of the other members (< 50%)" in rules["multi-hub"]
    assert "hold 75% of all brokerage (betweenness) (≥ 50%)" in rules["multi-hub"]
    assert "hold 25% of all brokerage (betweenness) (< 50%)" in rules["core/periphery"]


def test_a_value_just_under_a_threshold_is_not_printed_as_the_threshold():
    _, rule = g.phase(0.4996, 1.0, 1.0, 1.0)
    assert "holds 49.96% of members (< 50%)" in rule


def test_the_thresholds_are_data(monkeypatch):
    edges = PHASE_GRAPHS["core/periphery"]  # brokerage 25%, best-connected member tied to 8 of 15
    monkeypatch.setitem(PHASE_THRESHOLDS, "betweenness_concentration", 0.2)
    m = all_measures_of(ties_of(edges))
    assert m["structural_phase"] == "multi-hub"
    assert "(≥ 20%)" in m["structural_phase_rule"]


def networkx_hub_dependence(edges) -> float:
    graph = nx.Graph(edges)
    largest = max(nx.connected_components(graph), key=len)
    hub = max(sorted(largest), key=lambda member: graph.degree(member))  # first in key order among equals
    rest = graph.subgraph(largest - {hub})
    return 1 - max(len(c) for c in nx.connected_components(rest)) / (len(largest) - 1)


@pytest.mark.parametrize("edges", [stars(1, 7), core_with_pendants(8), list(nx.complete_graph(6).edges()),
                                   stars(4, 6), [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")]],
                         ids=["star", "core with pendants", "K6", "four stars", "path"])
def test_hub_dependence_is_the_share_cut_off_without_the_best_connected_member(edges):
    edges = [(str(a), str(b)) for a, b in edges]
    assert all_measures_of(ties_of(edges))["hub_dependence"] == pytest.approx(networkx_hub_dependence(edges))


def test_a_host_who_knows_everyone_at_a_meeting_is_not_a_hub():
    # Co-attendance of one meeting is a clique: the host is tied to everyone, but so is everyone else.
    m = all_measures_of(ties_of(list(nx.complete_graph(12).edges())))
    assert m["top_connector_share"] == 1.0 and m["hub_dependence"] == 0.0
    assert m["structural_phase"] != "hub-and-spoke"


def test_a_complete_graph_has_no_brokerage_and_says_so():
    m = all_measures_of(ties_of(nx.complete_graph(5).edges()))
    assert math.isnan(m["betweenness_concentration"])
    assert m["structural_phase"] == "core/periphery"
    assert "no member lies on a shortest path" in m["structural_phase_rule"]


def test_a_single_pair_has_nulls_where_the_measures_are_undefined():
    m = all_measures_of(ties_of([("a", "b")]))
    assert m["average_path_length"] == 1.0
    assert [math.isnan(m[c]) for c in ("betweenness_concentration", "path_length_vs_random", "small_world_sigma",
                                        "resilience")] == [True] * 4


def test_isolated_pairs_are_scattered_with_no_brokerage():
    m = all_measures_of(ties_of([("a", "b"), ("c", "d"), ("e", "f")]))
    assert math.isnan(m["betweenness_concentration"])
    assert m["structural_phase"] == "scattered clusters"


def test_a_weight_column_is_ignored():
    edges = list(nx.barbell_graph(3, 0).edges())
    weighted = all_measures_of(ties_of(edges, weight=np.linspace(0.1, 5.0, len(edges))))
    assert weighted == all_measures_of(ties_of(edges))
    assert weighted["betweenness_concentration"] == pytest.approx(nx_concentration(nx.barbell_graph(3, 0)))


@pytest.mark.parametrize("seed", [0, 1])
def test_sampled_measures_of_a_large_graph_are_close_to_exact(seed):
    G = without_isolates(nx.gnp_random_graph(600, 0.02, seed=seed))
    ties = ties_of(G.edges())
    assert len(g.sample_of(np.arange(len(G)))) == g.SAMPLED_SOURCES < len(G)
    m = all_measures_of(ties)
    G = nx_graph(ties)
    assert m["betweenness_concentration"] == pytest.approx(nx_concentration(G), abs=0.05)
    assert m["average_path_length"] == pytest.approx(nx.average_shortest_path_length(nx_largest(G)), abs=0.05)
    assert all_measures_of(ties) == m  # seeded: the same ties always give the same figures


def test_path_length_of_a_large_graph_with_a_second_component_is_sampled_within_the_largest():
    G = nx.disjoint_union(without_isolates(nx.gnp_random_graph(600, 0.02, seed=4)), nx.complete_graph(5))
    ties = ties_of(G.edges())
    m = all_measures_of(ties)
    assert m["components"] == 2
    assert m["average_path_length"] == pytest.approx(nx.average_shortest_path_length(nx_largest(nx_graph(ties))),
                                                     abs=0.05)


def test_path_length_is_exact_when_the_largest_component_is_small_enough():
    G = nx.disjoint_union(nx.gnp_random_graph(300, 0.04, seed=5), nx.gnp_random_graph(299, 0.04, seed=6))
    G.add_edges_from([(599, 600), (600, 601)])  # a path of 3 makes n > 500
    ties = ties_of(without_isolates(G).edges())
    G = nx_graph(ties)
    assert len(G) > g.EXACT_UP_TO >= len(nx_largest(G))
    assert all_measures_of(ties)["average_path_length"] == pytest.approx(
        nx.average_shortest_path_length(nx_largest(G)), rel=1e-12)


def test_measures_of_keeps_its_connectivity_measures_only():
    ties = ties_of(nx.barbell_graph(3, 0).edges())
    assert measures_of(ties) == {k: all_measures_of(ties)[k] for k in g.CONNECTIVITY}


def test_graph_measures_are_one_row_per_period_with_every_column():
    ties = pd.concat([ties_of(stars(1, 7)),
                      ties_of(PHASE_GRAPHS["scattered clusters"]).assign(period_start=pd.Timestamp("2026-02-01"))])
    out = graph_measures(ties)
    assert out.columns.tolist() == COLUMNS
    assert out["structural_phase"].tolist() == ["hub-and-spoke", "scattered clusters"]
    # February: one of 8 removed, a (degree 2, first in key order), which leaves the other triangle whole
    assert out["resilience"].tolist() == pytest.approx([1 / 8, 1.0])
    assert out["structural_phase_rule"].map(type).eq(str).all()
