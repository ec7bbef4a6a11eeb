"""Structure measures that need the graph itself, not just counts.

Computed per network x grain x period from the undirected, unweighted ties of
``staging.int_network_period_ties`` (one row per pair, member_a < member_b; a ``weight`` column, if
present, is ignored). Everything is sparse matrix work (scipy), so a period of a 5,000-member network
is a few dozen sparse products, not a Python loop over members or ties.

The measures, for one graph of n members:

- components, largest_component_share, average_clustering: connectivity and local cohesion.
- top_connector_share: share of the other members tied to the best-connected member.
- betweenness_concentration: share of all (normalised) betweenness held by the top 10% of members,
  i.e. how much of the brokerage a few members carry. Exact Brandes for n <= 500 (equal to NetworkX's
  ``betweenness_centrality(normalized=True)``). Above that, Brandes from 64 sources sampled with
  ``numpy.random.default_rng(0)`` (deterministic), each member's sum scaled by (n - 1) / (sampled
  sources other than itself), with Geisberger, Sanders and Schultes' (2008) "linear scaling": a pair
  (s, t) credits v with d(s, v) / d(s, t) of its share from the s side, so members next to a sampled
  source are not overcounted. Why: the top-10% share of noisy estimates is biased upwards, and with the
  plain estimator (NetworkX's ``k=...``) that bias was +0.05 on G(600, 0.02) and +0.16 on a
  5,000-member random graph; linear scaling halves it (it is still exact if every source is used).
- average_path_length: mean shortest-path length between the members of the largest component, from
  all of them (<= 500) or the same kind of seeded sample of 64 of them.
- clustering_vs_random, path_length_vs_random, small_world_sigma: the small-world comparison
  against an Erdos-Renyi graph with the same n and density p. The random graph's *expected* values
  are used, C_rand = p and L_rand = ln(n) / ln(mean degree), rather than generating random graphs:
  this is deterministic (the same ties always give the same figure, which a published indicator
  needs) and costs nothing, where averaging over generated graphs would cost many times the rest.
  sigma = (C / C_rand) / (L / L_rand); sigma > 1 is the usual reading of "small world" (much more
  clustered than chance with paths about as short).
- resilience: largest component after removing the top 5% of members by degree, over the largest
  component before.
- structural_phase, structural_phase_rule: one of four phases after June Holley's network-weaving
  phases, chosen by the thresholds in ``PHASE_THRESHOLDS``, with the rule that chose it in words.

Brandes runs over all sources at once: a level-synchronous BFS whose frontier is a (sources x n)
sparse matrix, so path counts come from one sparse product per level, and dependencies are
accumulated backwards a level at a time the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

KEYS = ["network_id", "grain", "period_start"]
CONNECTIVITY = ["components", "largest_component_share", "average_clustering"]
STRUCTURE = ["top_connector_share", "betweenness_concentration", "average_path_length", "clustering_vs_random",
             "path_length_vs_random", "small_world_sigma", "resilience", "hub_dependence", "structural_phase",
             "structural_phase_rule"]
COLUMNS = [*KEYS, *CONNECTIVITY, *STRUCTURE]

EXACT_UP_TO = 500  # members; above this, shortest paths are sampled from SAMPLED_SOURCES sources
SAMPLED_SOURCES = 64
SAMPLE_SEED = 0
TOP_BROKERS = 0.10  # share of members whose share of betweenness is the concentration
REMOVED_CONNECTORS = 0.05  # share of members (by degree) removed to test resilience

# A phase is the first that applies: scattered clusters, hub-and-spoke, multi-hub, else core/periphery.
PHASE_THRESHOLDS = {
    "largest_component_share": 0.5,  # below: scattered clusters
    "top_connector_share": 0.5,  # at or above, with the network depending on that member: hub-and-spoke
    "hub_dependence": 0.5,  # at or above (with the above): hub-and-spoke
    "betweenness_concentration": 0.5,  # at or above: hub-and-spoke or multi-hub
}
PHASES = ("scattered clusters", "hub-and-spoke", "multi-hub", "core/periphery")


@dataclass(frozen=True)
class Graph:
    adjacency: sparse.csr_matrix  # symmetric 0/1, members in key order
    degree: np.ndarray
    labels: np.ndarray  # component of each member
    components: int

    @property
    def n(self) -> int:
        return self.adjacency.shape[0]

    @property
    def largest(self) -> int:
        return int(np.bincount(self.labels).max())

    @property
    def in_largest(self) -> np.ndarray:
        """Which members are in the largest component (the first, by label, among equals)."""
        return self.labels == np.bincount(self.labels).argmax()

    def largest_without(self, removed: np.ndarray, among: np.ndarray | None = None) -> int:
        """Size of the largest component left among ``among`` (default everyone) once ``removed`` go."""
        keep = np.ones(self.n, dtype=bool) if among is None else among.copy()
        keep[removed] = False
        _, labels = connected_components(self.adjacency[keep][:, keep], directed=False)
        return int(np.bincount(labels).max())


@dataclass(frozen=True)
class ShortestPaths:
    """BFS from each source (one row each): distance (-1 if unreachable), path counts, and levels."""

    sources: np.ndarray
    distance: np.ndarray
    sigma: np.ndarray
    levels: list[tuple[np.ndarray, np.ndarray]]  # (row, member) of every pair at distance d


def graph_of(ties: pd.DataFrame) -> Graph:
    members, codes = np.unique(np.concatenate([ties["member_a"].to_numpy(), ties["member_b"].to_numpy()]),
                               return_inverse=True)
    n = len(members)
    a, b = codes[: len(ties)], codes[len(ties):]
    adjacency = sparse.coo_matrix((np.ones(len(ties)), (a, b)), shape=(n, n)).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64).tocsr()
    components, labels = connected_components(adjacency, directed=False)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return Graph(adjacency, degree, labels, int(components))


def connectivity(graph: Graph) -> dict:
    """Components, share of members in the largest, and average clustering.

    Clustering of a member = ties among their neighbours / possible ties among them; members
    with fewer than two ties have 0, and the average is over every member in the graph
    (the usual definition, e.g. NetworkX's average_clustering).
    """
    adjacency, degree = graph.adjacency, graph.degree
    triangles = np.asarray((adjacency @ adjacency).multiply(adjacency).sum(axis=1)).ravel() / 2
    possible = degree * (degree - 1) / 2
    clustering = np.divide(triangles, possible, out=np.zeros(graph.n), where=possible > 0)
    return {
        "components": graph.components,
        "largest_component_share": float(graph.largest / graph.n),
        "average_clustering": float(clustering.mean()),
    }


def measures_of(ties: pd.DataFrame) -> dict:
    """The connectivity measures of one graph (see ``connectivity``); ``all_measures_of`` adds the rest."""
    return connectivity(graph_of(ties))


def all_measures_of(ties: pd.DataFrame) -> dict:
    """Every measure of one graph, in the order of ``COLUMNS``."""
    graph = graph_of(ties)
    measures = connectivity(graph)
    sources = sample_of(np.arange(graph.n))
    paths = shortest_paths(graph.adjacency, sources)
    measures["top_connector_share"] = float(graph.degree.max() / (graph.n - 1))
    measures["hub_dependence"] = hub_dependence(graph)
    measures["betweenness_concentration"] = concentration(betweenness(graph, paths))
    measures["average_path_length"] = average_path_length(graph, paths)
    measures.update(small_world(graph, measures["average_clustering"], measures["average_path_length"]))
    measures["resilience"] = resilience(graph)
    measures["structural_phase"], measures["structural_phase_rule"] = phase(
        measures["largest_component_share"], measures["top_connector_share"], measures["hub_dependence"],
        measures["betweenness_concentration"])
    return measures


def graph_measures(ties: pd.DataFrame) -> pd.DataFrame:
    """One row of measures per network x grain x period that has ties."""
    if ties.empty:
        return pd.DataFrame(columns=COLUMNS)
    graphs = ties.groupby(KEYS, sort=True, observed=True)
    keys = pd.DataFrame(list(graphs.groups.keys()), columns=KEYS)
    graph = graphs.ngroup().to_numpy()
    order = np.argsort(graph, kind="stable")
    # Members as integers in their own sort order (keys or codes alike).
    codes, _ = pd.factorize(pd.concat([ties["member_a"], ties["member_b"]], ignore_index=True), sort=True)
    member_a, member_b = codes[: len(ties)], codes[len(ties):]
    rows = measures_by_graph(graph[order], member_a[order], member_b[order])
    return pd.DataFrame([{**key, **row} for key, row in zip(keys.to_dict("records"), rows, strict=True)],
                        columns=COLUMNS)


# Graphs measured together, their (source, member) pairs held in flat arrays: at most this many pairs.
PAIRS_PER_BATCH = 2_000_000


def measures_by_graph(graph: np.ndarray, member_a: np.ndarray, member_b: np.ndarray) -> list[dict]:
    """Every measure of every graph, in graph order: ``graph`` numbers the graphs 0..k-1 (sorted).

    The same figures as ``all_measures_of`` on each graph, to the last bit: the graphs of a batch
    are one block-diagonal sparse matrix, so each sparse product, component search or BFS level
    is one call for all of them instead of one per graph (a network's 80 small monthly and
    quarterly graphs cost what one did). Sums run in the same order as graph by graph: within a
    block, members keep their order, and the per-graph reductions run on each graph's own slice.
    Graphs of more than EXACT_UP_TO members (sampled shortest paths) are measured one at a time.
    """
    count = int(graph[-1]) + 1 if len(graph) else 0
    # Members of each graph in key order: one node per (graph, member), numbered graph by graph.
    members = np.concatenate([member_a, member_b]).astype(np.int64)
    span = int(members.max()) + 1 if len(members) else 1
    node_keys = np.concatenate([graph, graph]).astype(np.int64) * span + members
    if count * span <= 64_000_000:  # mark who is in each graph: no sort needed
        present = np.zeros(count * span, dtype=bool)
        present[node_keys] = True
        nodes = np.flatnonzero(present)
        node_index = np.searchsorted(nodes, node_keys)
    else:
        nodes, node_index = np.unique(node_keys, return_inverse=True)
    node_graph = nodes // span
    sizes = np.bincount(node_graph, minlength=count)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    edge_start = np.searchsorted(graph, np.arange(count + 1))
    results: list[dict | None] = [None] * count
    batch: list[int] = []
    pairs = 0
    for g in range(count):
        n = int(sizes[g])
        if n > EXACT_UP_TO:
            ties = pd.DataFrame({"member_a": member_a[edge_start[g]:edge_start[g + 1]],
                                 "member_b": member_b[edge_start[g]:edge_start[g + 1]]})
            results[g] = all_measures_of(ties)
            continue
        if batch and (pairs + n * n > PAIRS_PER_BATCH or batch[-1] != g - 1):
            _measure_batch(batch, sizes, offsets, edge_start, node_index, len(graph), results)
            batch, pairs = [], 0
        batch.append(g)
        pairs += n * n
    if batch:
        _measure_batch(batch, sizes, offsets, edge_start, node_index, len(graph), results)
    return results  # type: ignore[return-value]  # every slot is filled above


def _measure_batch(batch: list[int], sizes, offsets, edge_start, node_index, edges: int, results: list) -> None:
    """Measure consecutive graphs ``batch`` of at most EXACT_UP_TO members each (exact shortest paths)."""
    first, last = batch[0], batch[-1]
    lo, hi = int(offsets[first]), int(offsets[last + 1])
    size = hi - lo
    ends = slice(int(edge_start[first]), int(edge_start[last + 1]))
    a, b = node_index[:edges][ends] - lo, node_index[edges:][ends] - lo
    adjacency = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(size, size)).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64).tocsr()
    _, labels = connected_components(adjacency, directed=False)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    row_nnz = np.diff(adjacency.indptr)

    # Which graph each node is in, where the graph starts, and where its rows start in the pair space.
    n_of = sizes[first:last + 1].astype(np.int64)
    start_of = offsets[first:last + 1].astype(np.int64) - lo
    pair_start = np.concatenate([[0], np.cumsum(n_of * n_of)])
    node_graph = np.repeat(np.arange(len(batch)), n_of)
    local = np.arange(size) - start_of[node_graph]
    row_base = pair_start[node_graph] + local * n_of[node_graph] - start_of[node_graph]
    total_pairs = int(pair_start[-1])

    # Brandes from every source (see shortest_paths and dependencies). Distances and path counts
    # graph by graph with dense products: counts are integers, so any order of summing gives the
    # same figure. The dependencies, whose sums are not, then for every graph of the batch at once
    # with the sparse products of ``dependencies``, which sum in member order.
    distance = np.full(total_pairs, -1, dtype=np.int32)
    sigma = np.zeros(total_pairs)
    levels: list[list[np.ndarray]] = []
    triangles = np.zeros(size)
    graph_of_edge = node_graph[a]
    edge_bounds = np.searchsorted(graph_of_edge, np.arange(len(batch) + 1))
    for i in range(len(batch)):
        n, s0 = int(n_of[i]), int(start_of[i])
        square = slice(int(pair_start[i]), int(pair_start[i + 1]))
        block = np.zeros((n, n))
        ea, eb = a[edge_bounds[i]:edge_bounds[i + 1]] - s0, b[edge_bounds[i]:edge_bounds[i + 1]] - s0
        block[ea, eb] = block[eb, ea] = 1.0
        # Paths of two ties: their counts are the next level's path counts, and on ties they count
        # the triangles (ties among each member's neighbours).
        two = block @ block
        triangles[s0:s0 + n] = (two * block).sum(axis=1) / 2
        dist, paths = distance[square].reshape(n, n), sigma[square].reshape(n, n)
        np.fill_diagonal(dist, 0)
        np.fill_diagonal(paths, 1.0)
        dist[block > 0], paths[block > 0] = 1, 1.0
        reached, depth = two, 1
        while True:
            new = (reached > 0) & (dist < 0)
            row, member = np.nonzero(new)
            if not len(row):
                break
            depth += 1
            dist[row, member], paths[row, member] = depth, reached[row, member]
            while len(levels) < depth - 1:
                levels.append([])
            levels[depth - 2].append((row + s0, member + s0))
            frontier = np.zeros((n, n))
            frontier[row, member] = reached[row, member]
            reached = frontier @ block
    delta = np.zeros(total_pairs)
    for depth in range(len(levels) + 1, 1, -1):
        row = np.concatenate([r for r, _ in levels[depth - 2]])
        member = np.concatenate([m for _, m in levels[depth - 2]])
        at = row_base[row] + member
        share = (1.0 + delta[at]) / sigma[at]
        pulled = (sparse.csr_matrix((share, (row, member)), shape=(size, size)) @ adjacency).tocoo()
        at = row_base[pulled.row] + pulled.col
        parent = distance[at] == depth - 1
        delta[at[parent]] += sigma[at[parent]] * pulled.data[parent]

    # Per graph: the reductions of all_measures_of, on each graph's own slice.
    removed = np.zeros(size, dtype=bool)  # resilience: the top connectors of every graph
    hubs = np.zeros(size, dtype=bool)  # hub dependence: the hub of every graph
    largest_members = np.zeros(size, dtype=bool)
    partial = []
    for i, g in enumerate(batch):
        n, s0 = int(n_of[i]), int(start_of[i])
        part = slice(s0, s0 + n)
        own = labels[part] - labels[part].min()
        counts = np.bincount(own)
        in_largest = own == counts.argmax()
        largest = int(counts.max())
        deg = degree[part].copy()
        possible = deg * (deg - 1) / 2
        clustering = np.divide(triangles[part], possible, out=np.zeros(n), where=possible > 0)
        measures = {"components": int(len(counts)), "largest_component_share": float(largest / n),
                    "average_clustering": float(clustering.mean())}
        measures["top_connector_share"] = float(deg.max() / (n - 1))
        square = slice(int(pair_start[i]), int(pair_start[i + 1]))
        dist = distance[square].reshape(n, n)
        if n < 3:
            centrality = np.zeros(n)
        else:
            centrality = delta[square].reshape(n, n).sum(axis=0) / ((n - 1) * (n - 2))
        measures["betweenness_concentration"] = concentration(centrality)
        members = np.flatnonzero(in_largest)
        if len(members) < 2:
            measures["average_path_length"] = math.nan
        else:
            within = dist[members][:, members]
            measures["average_path_length"] = float(within[within > 0].mean())
        measures.update(_small_world(n, int(row_nnz[part].sum()), measures["average_clustering"],
                                     measures["average_path_length"]))
        if n >= 3:
            removed[s0 + np.argsort(-deg, kind="stable")[: top_count(n, REMOVED_CONNECTORS)]] = True
        if in_largest.sum() >= 3:
            hubs[s0 + int(np.argmax(np.where(in_largest, deg, -1)))] = True
            largest_members[part] = in_largest
        partial.append((g, n, largest, int(in_largest.sum()), measures))
    left = _largest_left(adjacency, ~removed, node_graph, len(batch))
    left_of_largest = _largest_left(adjacency, largest_members & ~hubs, node_graph, len(batch))
    for i, (g, n, largest, in_largest, measures) in enumerate(partial):
        measures["resilience"] = float(left[i] / largest) if n >= 3 else math.nan
        measures["hub_dependence"] = (float(1 - left_of_largest[i] / (in_largest - 1)) if in_largest >= 3
                                      else math.nan)
        measures["structural_phase"], measures["structural_phase_rule"] = phase(
            measures["largest_component_share"], measures["top_connector_share"], measures["hub_dependence"],
            measures["betweenness_concentration"])
        results[g] = {name: measures[name] for name in (*CONNECTIVITY, *STRUCTURE)}


def _largest_left(adjacency: sparse.csr_matrix, keep: np.ndarray, node_graph: np.ndarray, graphs: int) -> np.ndarray:
    """For each graph of a batch, the size of the largest component among its ``keep`` members."""
    best = np.zeros(graphs, dtype=np.int64)
    if not keep.any():
        return best
    _, labels = connected_components(adjacency[keep][:, keep], directed=False)
    component_sizes = np.bincount(labels)
    first_node = np.zeros(len(component_sizes), dtype=np.int64)
    first_node[labels[::-1]] = np.arange(len(labels))[::-1]
    np.maximum.at(best, node_graph[keep][first_node], component_sizes)
    return best


def top_count(n: int, fraction: float) -> int:
    # rounded first: 0.1 * 30 is 3.0000000000000004 in floating point, which would ceil to 4
    return max(1, math.ceil(round(fraction * n, 9)))


def sample_of(pool: np.ndarray) -> np.ndarray:
    """Every member of ``pool`` up to EXACT_UP_TO, else a seeded sample; the same pool gives the same sample."""
    if len(pool) <= EXACT_UP_TO:
        return pool
    picked = np.random.default_rng(SAMPLE_SEED).choice(len(pool), size=SAMPLED_SOURCES, replace=False)
    return pool[np.sort(picked)]


def shortest_paths(adjacency: sparse.csr_matrix, sources: np.ndarray) -> ShortestPaths:
    """Level-synchronous BFS from all sources at once, counting shortest paths (Brandes' sigma)."""
    shape = (len(sources), adjacency.shape[0])
    rows = np.arange(len(sources))
    distance = np.full(shape, -1, dtype=np.int32)
    sigma = np.zeros(shape)
    distance[rows, sources], sigma[rows, sources] = 0, 1.0
    levels = [(rows, sources)]
    frontier = sparse.csr_matrix((np.ones(len(sources)), (rows, sources)), shape=shape)
    while True:
        # every shortest path to a newly reached member comes through the frontier, so summing
        # the frontier's path counts over ties gives the new members' counts
        reached = (frontier @ adjacency).tocoo()
        new = distance[reached.row, reached.col] < 0
        row, member, count = reached.row[new], reached.col[new], reached.data[new]
        if not len(row):
            return ShortestPaths(sources, distance, sigma, levels)
        distance[row, member], sigma[row, member] = len(levels), count
        levels.append((row, member))
        frontier = sparse.csr_matrix((count, (row, member)), shape=shape)


def dependencies(adjacency: sparse.csr_matrix, paths: ShortestPaths, *, linear: bool = False) -> np.ndarray:
    """Brandes' delta of every member for every source, accumulated from the farthest level back.

    ``linear``: each target t at distance d(s, t) counts 1 / d(s, t) instead of 1, and the sum is then
    multiplied by d(s, v), which gives v the d(s, v) / d(s, t) share of linear scaling.
    """
    delta = np.zeros_like(paths.sigma)
    # level 1 passes dependency only to the source itself, which Brandes leaves out
    for depth in range(len(paths.levels) - 1, 1, -1):
        row, member = paths.levels[depth]
        target = 1 / depth if linear else 1.0
        share = (target + delta[row, member]) / paths.sigma[row, member]
        pulled = (sparse.csr_matrix((share, (row, member)), shape=delta.shape) @ adjacency).tocoo()
        parent = paths.distance[pulled.row, pulled.col] == depth - 1
        row, member = pulled.row[parent], pulled.col[parent]
        delta[row, member] += paths.sigma[row, member] * pulled.data[parent]
    return delta * np.maximum(paths.distance, 0) if linear else delta


def betweenness(graph: Graph, paths: ShortestPaths) -> np.ndarray:
    """Normalised betweenness of every member (NetworkX's ``normalized=True``), exact or sampled."""
    n = graph.n
    if n < 3:
        return np.zeros(n)
    if len(paths.sources) == n:
        return dependencies(graph.adjacency, paths).sum(axis=0) / ((n - 1) * (n - 2))
    # linear scaling credits each pair once, split between its two ends: twice that is the
    # ordered-pair sum that exact Brandes gives
    summed = 2 * dependencies(graph.adjacency, paths, linear=True).sum(axis=0)
    # a member's estimate uses the sampled sources other than itself (k - 1 or k of them), so it
    # is scaled up to the n - 1 sources it stands for
    others = np.full(n, len(paths.sources), dtype=np.float64)
    others[paths.sources] -= 1
    return summed * (n - 1) / others / ((n - 1) * (n - 2))


def concentration(centrality: np.ndarray) -> float:
    """Share of the total held by the top TOP_BROKERS of members; NaN when nobody brokers any path."""
    total = centrality.sum()
    if total <= 0:
        return math.nan
    top = top_count(len(centrality), TOP_BROKERS)
    return float(np.sort(centrality)[::-1][:top].sum() / total)


def average_path_length(graph: Graph, paths: ShortestPaths) -> float:
    """Mean distance between members of the largest component; NaN if it has fewer than two."""
    largest = np.flatnonzero(graph.in_largest)
    if len(largest) < 2:
        return math.nan
    sources = sample_of(largest)
    # the betweenness BFS already covers these sources when exact, or when the largest component is
    # everyone (then the two samples are the same draw from the same pool)
    if np.isin(sources, paths.sources).all():
        distance = paths.distance[np.searchsorted(paths.sources, sources)]
    else:
        distance = shortest_paths(graph.adjacency, sources).distance
    distance = distance[:, largest]
    return float(distance[distance > 0].mean())


def small_world(graph: Graph, clustering: float, path_length: float) -> dict:
    """Clustering and path length against an Erdos-Renyi graph's expected values (see module docstring)."""
    return _small_world(graph.n, graph.adjacency.nnz, clustering, path_length)


def _small_world(n: int, nnz: int, clustering: float, path_length: float) -> dict:
    ties = nnz / 2
    density = ties / (n * (n - 1) / 2)
    mean_degree = 2 * ties / n
    random_length = math.log(n) / math.log(mean_degree) if mean_degree > 1 else math.nan
    clustering_ratio = clustering / density
    length_ratio = path_length / random_length
    return {
        "clustering_vs_random": float(clustering_ratio),
        "path_length_vs_random": float(length_ratio),
        "small_world_sigma": float(clustering_ratio / length_ratio) if length_ratio > 0 else math.nan,
    }


def resilience(graph: Graph) -> float:
    """Largest component left after removing the top REMOVED_CONNECTORS by degree, over the one before."""
    if graph.n < 3:
        return math.nan
    # stable sort: equal degrees are removed in member key order, so the result is reproducible
    removed = np.argsort(-graph.degree, kind="stable")[: top_count(graph.n, REMOVED_CONNECTORS)]
    return float(graph.largest_without(removed) / graph.largest)


def hub_dependence(graph: Graph) -> float:
    """Share of the largest component's other members cut off from it when its best-connected member goes.

    1 for a star (without the hub nobody is connected), 0 when the others stay connected
    without them (a co-attended meeting where the host knows everyone, but so does everyone
    else). This is what makes a hub a hub: the network depends on it, not just knows it.
    """
    in_largest = graph.in_largest
    if in_largest.sum() < 3:
        return math.nan
    hub = int(np.argmax(np.where(in_largest, graph.degree, -1)))  # first in key order among equals
    return float(1 - graph.largest_without(np.array([hub]), among=in_largest) / (in_largest.sum() - 1))


def percent(value: float, threshold: float) -> str:
    # enough decimals that a value just under the threshold doesn't read as the threshold itself
    for decimals in range(4):
        text = f"{value:.{decimals}%}"
        if value == threshold or text != f"{threshold:.{decimals}%}":
            return text
    return text


def phase(largest_share: float, top_connector: float, dependence: float, brokerage: float) -> tuple[str, str]:
    """The structural phase and the rule that chose it, quoting the observed values and thresholds."""
    limit = PHASE_THRESHOLDS
    component_limit, hub_limit, broker_limit = (limit["largest_component_share"], limit["top_connector_share"],
                                                limit["betweenness_concentration"])
    dependence_limit = limit["hub_dependence"]
    component = f"the largest component (connected group) holds {percent(largest_share, component_limit)} of members"
    if largest_share < component_limit:
        return PHASES[0], f"{component} (< {component_limit:.0%}): the network is several unconnected groups"
    component += f" (≥ {component_limit:.0%})"
    hub_says = "≥" if top_connector >= hub_limit else "<"
    hub = (f"the best-connected member is tied to {percent(top_connector, hub_limit)} of the other members "
           f"({hub_says} {hub_limit:.0%})")
    depends = not math.isnan(dependence) and dependence >= dependence_limit
    dependence_words = ("nobody" if math.isnan(dependence) else percent(dependence, dependence_limit))
    cut_off = (f"without them {dependence_words} of the others would be cut off "
               f"({'≥' if depends else '<'} {dependence_limit:.0%})")
    top = f"top {TOP_BROKERS:.0%} of members"
    if math.isnan(brokerage):
        broker = (f"no member lies on a shortest path between two others, so the {top} hold no brokerage "
                  f"(needs ≥ {broker_limit:.0%} to count as concentrated)")
    else:
        broker_says = "≥" if brokerage >= broker_limit else "<"
        broker = (f"the {top} hold {percent(brokerage, broker_limit)} of all brokerage (betweenness) "
                  f"({broker_says} {broker_limit:.0%})")
    if top_connector >= hub_limit and depends:
        return PHASES[1], f"{component}; {hub}, and {cut_off}: one hub holds the network together"
    if brokerage >= broker_limit:
        return PHASES[2], f"{component}; {hub}, and {cut_off}; {broker}: several hubs broker most paths"
    return PHASES[3], f"{component}; {cut_off}; {broker}: a well-connected core with a periphery, brokerage is spread"
