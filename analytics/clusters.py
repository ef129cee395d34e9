"""Customer clusters: k-means on RFM-style features (METRICS.md "Customers and segments",
methods.md §4.2).

The features are heavy-tailed (a few customers buy hundreds of times), so each is ``log1p``-
transformed and standardised before k-means.  ``k`` is chosen by the silhouette score on a
fixed-seed sample (the score is O(n²)); k-means runs with a fixed seed and a fixed ``n_init``,
and the clusters are renumbered by mean revenue (cluster 1 brings the most per customer), so
the same data give the same labels whatever order its rows come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_chunked
from threadpoolctl import threadpool_limits

__all__ = ["Clustering", "cluster_customers", "cluster_profiles"]

#: Rows the silhouette score is computed on (it compares every pair of rows).
SILHOUETTE_SAMPLE = 5_000
#: k-means restarts (pinned: scikit-learn's default changed between versions).
N_INIT = 10
#: Memory (MiB) a chunk of the silhouette's pairwise distances may take.
DISTANCE_CHUNK_MIB = 64


@dataclass(frozen=True)
class Clustering:
    """Customers in clusters.

    Attributes
    ----------
    labels : Series
        Cluster 1..k per customer (the index of the features), 1 = highest mean revenue.
    k : int
        Clusters chosen.
    silhouettes : dict[int, float]
        The silhouette score of every k tried (on the sample).
    """

    labels: pd.Series
    k: int
    silhouettes: dict[int, float]


def _standardised(features: pd.DataFrame) -> np.ndarray:
    """``log1p`` of each column (negatives clipped to 0), centred and scaled to unit variance
    (a constant column stays 0).
    """
    values = np.log1p(features.to_numpy(dtype="float64").clip(min=0.0))
    spread = values.std(axis=0)
    scaled: np.ndarray = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    return scaled


def _silhouettes(x: np.ndarray, labelings: dict[int, np.ndarray]) -> dict[int, float]:
    """The mean silhouette coefficient of every labelling of the rows ``x``, as scikit-learn's
    ``silhouette_score`` gives it, with the pairwise distances computed once for all of them.

    A row's silhouette is ``(b − a) / max(a, b)``: ``a`` its mean distance to the other rows
    of its cluster, ``b`` the smallest mean distance to the rows of another cluster; 0 in a
    cluster of one.  Each distance chunk is multiplied by the one-hot matrix of every labelling
    at once, which gives each row's distance sums per cluster.

    Raises
    ------
    ValueError
        When a labelling puts the rows in fewer than 2 or more than ``len(x) − 1`` clusters.

    Examples
    --------
    >>> from sklearn.metrics import silhouette_score
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(60, 3))
    >>> one_row_clusters = np.r_[np.zeros(58, int), 3, 5]
    >>> labelings = {2: rng.integers(0, 2, 60), 4: one_row_clusters}
    >>> ours = _silhouettes(x, labelings)
    >>> [round(ours[k] - silhouette_score(x, labels), 12) for k, labels in labelings.items()]
    [0.0, 0.0]
    """
    codes = {k: np.unique(labels, return_inverse=True)[1] for k, labels in labelings.items()}
    for k, code in codes.items():
        if not 2 <= code.max() + 1 <= len(x) - 1:
            raise ValueError(f"the k = {k} labelling has {code.max() + 1} clusters in the sample")
    onehot = np.hstack([np.eye(code.max() + 1)[code] for code in codes.values()])
    chunks = pairwise_distances_chunked(
        x, reduce_func=lambda d, _start: d @ onehot, working_memory=DISTANCE_CHUNK_MIB
    )
    sums = np.vstack(list(chunks))  # rows × Σ clusters: distance sums per cluster
    rows = np.arange(len(x))
    result: dict[int, float] = {}
    start = 0
    for k, code in codes.items():
        width = code.max() + 1
        block, sizes = sums[:, start : start + width], onehot[:, start : start + width].sum(0)
        start += width
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = block[rows, code] / (sizes[code] - 1)  # NaN in a cluster of one
            means = block / sizes
            means[rows, code] = np.inf
            nearest = means.min(axis=1)
            silhouette = (nearest - inside) / np.maximum(inside, nearest)
        result[k] = float(np.nan_to_num(silhouette).mean())
    return result


def cluster_customers(
    features: pd.DataFrame,
    revenue: pd.Series,
    *,
    ks: Sequence[int] = (2, 3, 4, 5, 6),
    seed: int = 0,
) -> Clustering:
    """k-means clusters of customers, ``k`` chosen by the silhouette score.

    Parameters
    ----------
    features : DataFrame
        One row per customer (its index), numeric columns (e.g. recency days, orders, average
        order value); no missing value.
    revenue : Series
        Revenue per customer (same index): orders the clusters, 1 = highest mean.
    ks : sequence of int
        The numbers of clusters to try (each ≥ 2 and below the number of distinct customers).
    seed : int
        The seed of the sample and of k-means.

    Returns
    -------
    Clustering

    Raises
    ------
    ValueError
        On missing values, a revenue not aligned with the features, or no ``k`` that fits.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> small = pd.DataFrame({"orders": rng.poisson(2, 40), "value": rng.gamma(2, 10, 40)})
    >>> big = pd.DataFrame({"orders": rng.poisson(40, 20), "value": rng.gamma(50, 20, 20)})
    >>> features = pd.concat([small, big], ignore_index=True)
    >>> result = cluster_customers(features, features["orders"] * features["value"], ks=(2, 3))
    >>> result.k, int(result.labels.iloc[-1]), int(result.labels.iloc[0])
    (2, 1, 2)
    """
    if features.isna().any().any():
        raise ValueError("The features have missing values; fill or drop those customers first.")
    if not revenue.index.equals(features.index):
        raise ValueError("revenue must have the features' index (one value per customer).")
    distinct = len(features.drop_duplicates())
    tried = [k for k in ks if 2 <= k < distinct]
    if not tried:
        raise ValueError(
            f"No k of {list(ks)} fits {distinct} distinct customers: need 2 ≤ k < customers."
        )
    x = _standardised(features)
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(x), size=min(len(x), SILHOUETTE_SAMPLE), replace=False)
    # one thread: on tens of thousands of rows of a few features, OpenMP's and BLAS's threads
    # cost more than they save, and far more when another process holds a core (same labels)
    with threadpool_limits(limits=1):
        fits = {k: KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(x) for k in tried}
        silhouettes = _silhouettes(x[sample], {k: fit.labels_[sample] for k, fit in fits.items()})
    k = max(silhouettes, key=lambda key: (round(silhouettes[key], 6), -key))
    raw = pd.Series(fits[k].labels_, index=features.index)
    means = revenue.groupby(raw).mean()
    # rank by mean revenue, ties by the cluster's smallest customer position (stable)
    first = pd.Series(np.arange(len(raw)), index=features.index).groupby(raw).min()
    order = sorted(means.index, key=lambda c: (-means[c], first[c]))
    relabel = {cluster: rank + 1 for rank, cluster in enumerate(order)}
    return Clustering(raw.map(relabel).astype("int64").rename("cluster"), k, silhouettes)


def cluster_profiles(features: pd.DataFrame, revenue: pd.Series, labels: pd.Series) -> pd.DataFrame:
    """Per cluster: ``customers``, ``share`` of customers, ``revenue`` and ``revenue_share``,
    and the median of every feature; cluster 1 first.

    Examples
    --------
    >>> features = pd.DataFrame({"orders": [1, 2, 9, 10]})
    >>> profile = cluster_profiles(features, pd.Series([10.0, 20, 90, 80]),
    ...                            pd.Series([2, 2, 1, 1]))
    >>> profile[["customers", "revenue", "revenue_share", "orders"]].values.tolist()
    [[2.0, 170.0, 0.85, 9.5], [2.0, 30.0, 0.15, 1.5]]
    """
    groups = features.groupby(labels.to_numpy())
    out = groups.median()
    out.insert(0, "customers", groups.size())
    out.insert(1, "share", out["customers"] / len(features))
    total = revenue.to_numpy().sum()
    sums = revenue.groupby(labels.to_numpy()).sum()
    out.insert(2, "revenue", sums)
    out.insert(3, "revenue_share", sums / total if total else np.nan)
    return out.rename_axis("cluster").sort_index()
