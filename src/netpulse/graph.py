"""Structure measures that need the graph itself, not just counts: components and clustering.

Computed per network x grain x period from the undirected ties of
``staging.int_network_period_ties`` with sparse matrices (scipy), so a period of a
5,000-member network is a few sparse products, not a Python loop over members.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

KEYS = ["network_id", "grain", "period_start"]
COLUMNS = [*KEYS, "components", "largest_component_share", "average_clustering"]


def measures_of(ties: pd.DataFrame) -> dict:
    """Components, share of members in the largest, and average clustering of one graph.

    Clustering of a member = ties among their neighbours / possible ties among them; members
    with fewer than two ties have 0, and the average is over every member in the graph
    (the usual definition, e.g. NetworkX's average_clustering).
    """
    members, codes = np.unique(np.concatenate([ties["member_a"].to_numpy(), ties["member_b"].to_numpy()]),
                               return_inverse=True)
    n = len(members)
    a, b = codes[: len(ties)], codes[len(ties):]
    adjacency = sparse.coo_matrix((np.ones(len(ties)), (a, b)), shape=(n, n)).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64)
    components, labels = connected_components(adjacency, directed=False)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    triangles = np.asarray((adjacency @ adjacency).multiply(adjacency).sum(axis=1)).ravel() / 2
    possible = degree * (degree - 1) / 2
    clustering = np.divide(triangles, possible, out=np.zeros(n), where=possible > 0)
    return {
        "components": int(components),
        "largest_component_share": float(np.bincount(labels).max() / n),
        "average_clustering": float(clustering.mean()),
    }


def graph_measures(ties: pd.DataFrame) -> pd.DataFrame:
    """One row of measures per network x grain x period that has ties."""
    rows = [{**dict(zip(KEYS, key, strict=True)), **measures_of(group)}
            for key, group in ties.groupby(KEYS, sort=True)]
    return pd.DataFrame(rows, columns=COLUMNS)
