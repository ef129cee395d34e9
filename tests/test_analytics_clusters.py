"""Customer clusters (``analytics.clusters``): planted groups recovered, k chosen by silhouette,
labels ordered by revenue and independent of row order, profiles by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.clusters import cluster_customers, cluster_profiles


def planted(seed: int = 7) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Three planted groups of customers: few small orders (300), regular mid (150), heavy
    buyers (50); their features, revenue and true group (1 = most revenue)."""
    rng = np.random.default_rng(seed)
    groups = []
    for group, (n, orders, value, days) in enumerate(
        [(50, 60, 900.0, 5), (150, 12, 200.0, 30), (300, 1, 40.0, 300)], start=1
    ):
        groups.append(pd.DataFrame({
            "recency_days": rng.gamma(8, days / 8, n),
            "orders": rng.poisson(orders, n) + 1,
            "average_order": rng.gamma(20, value / 20, n),
            "group": group,
        }))  # fmt: skip
    frame = pd.concat(groups, ignore_index=True)
    frame.index = pd.Index(1000 + np.arange(len(frame)), name="account_id")
    revenue = frame["orders"] * frame["average_order"]
    return frame.drop(columns="group"), revenue, frame["group"]


def test_planted_groups_are_found_and_ordered_by_revenue() -> None:
    features, revenue, truth = planted()
    result = cluster_customers(features, revenue)
    assert result.k == 3
    assert result.silhouettes[3] == max(result.silhouettes.values())
    assert set(result.silhouettes) == {2, 3, 4, 5, 6}
    # cluster 1 is the heavy buyers, 3 the one-off small buyers: the labels are the truth
    agreement = (result.labels == truth).mean()
    assert agreement > 0.98, agreement


def test_labels_do_not_depend_on_row_order() -> None:
    features, revenue, _truth = planted()
    first = cluster_customers(features, revenue).labels
    shuffled = features.sample(frac=1.0, random_state=3)
    again = cluster_customers(shuffled, revenue.loc[shuffled.index]).labels
    assert (again.loc[first.index] == first).mean() > 0.99


def test_profiles_by_hand() -> None:
    features = pd.DataFrame({"orders": [1, 3, 10, 12, 2]}, index=[5, 6, 7, 8, 9])
    revenue = pd.Series([10.0, 30.0, 500.0, 460.0, 0.0], index=features.index)
    labels = pd.Series([2, 2, 1, 1, 2], index=features.index)
    profile = cluster_profiles(features, revenue, labels)
    assert profile.index.tolist() == [1, 2]
    assert profile["customers"].tolist() == [2, 3]
    assert profile["share"].tolist() == pytest.approx([0.4, 0.6])
    assert profile["revenue"].tolist() == [960.0, 40.0]
    assert profile["revenue_share"].tolist() == pytest.approx([0.96, 0.04])
    assert profile["orders"].tolist() == [11.0, 2.0]


def test_bad_input_says_what_is_wrong() -> None:
    features, revenue, _truth = planted()
    with pytest.raises(ValueError, match="missing values"):
        cluster_customers(features.assign(orders=np.nan), revenue)
    with pytest.raises(ValueError, match="the features' index"):
        cluster_customers(features, revenue.reset_index(drop=True))
    tiny = features.head(2)
    with pytest.raises(ValueError, match="No k of"):
        cluster_customers(tiny, revenue.head(2))
