"""The Segments page's numbers: who the customers are and what they are worth (METRICS.md
"Customers and segments").

Every customer with an order before ``as_of`` (whole history: the period's start plays no part)
gets its RFM values and scores (scored in SQL, :func:`crm_data.queries.rfm.rfm_scores`), its
attributes (:func:`crm_data.queries.customer_attributes.customer_attributes`), its named RFM
segment, its ABC class and its k-means cluster; the report adds the R × FM grid, the segment
summary, the Pareto curve, the cluster profiles and the monthly cohort retention.  A scope sees
its own customers only (the queries enforce it), and a rep's customers are scored among
themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from analytics.clusters import cluster_customers, cluster_profiles
from analytics.segment_profiles import MISSING, age_band, segment_profile
from analytics.segments import (
    RFM_SEGMENTS,
    SEGMENT_ORDER,
    CohortRetention,
    ParetoSummary,
    cohort_retention,
    fm_score,
    pareto_abc,
    pareto_summary,
    rfm_segment,
)
from crm_data.concurrent import gather
from crm_data.filters import Filters, Scope
from crm_data.queries.currency import main_currency
from crm_data.queries.customer_attributes import customer_attributes, orders_by_customer_month
from crm_data.queries.frames import Bind
from crm_data.queries.rfm import rfm_scores

__all__ = [
    "ATTRIBUTES",
    "CLUSTER_FEATURES",
    "CLUSTER_SAMPLE",
    "CLUSTER_SEED",
    "CUSTOMER_COLUMNS",
    "DIMENSIONS",
    "SegmentsReport",
    "customer_value_table",
    "explore",
    "segment_customers",
    "segments_report",
]

#: The customer attributes the explorer groups by (columns of :attr:`SegmentsReport.customers`).
ATTRIBUTES: tuple[str, ...] = ("region", "industry", "size_band", "source", "kind", "gender",
                               "age_band", "income_band", "owner")  # fmt: skip
#: Every grouping the explorer offers: the attributes, then the RFM segment, cluster, ABC class.
DIMENSIONS: tuple[str, ...] = (*ATTRIBUTES, "segment", "cluster", "abc_class")
#: The features clusters are found on (log1p-transformed and standardised by the analytics).
CLUSTER_FEATURES: tuple[str, ...] = ("recency_days", "frequency", "monetary")
#: Customers clustered at most (a fixed-seed sample above it; the others get no cluster).
CLUSTER_SAMPLE = 20_000
#: Seed of the cluster sample and of k-means.
CLUSTER_SEED = 0
#: Columns of a customer list (:func:`segment_customers`), in the order a table shows them.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "name", "owner", "region", "industry", "size_band", "segment", "abc_class", "cluster",
    "recency_days", "frequency", "orders", "monetary", "revenue", "r_score", "f_score",
    "m_score", "account_id",
)  # fmt: skip


@dataclass(frozen=True)
class SegmentsReport:
    """The customers of a scope at ``as_of``, segmented.

    Attributes
    ----------
    as_of : date
        The evaluation day (nothing on or after it counts).
    currency : str or None
        The deals' most used currency (the amounts' unit).
    customers : DataFrame
        One row per customer, the largest revenue first: ``account_id``, ``name``, ``owner``,
        :data:`ATTRIBUTES`, ``orders``, ``recency_days``, ``frequency`` (order days),
        ``monetary`` (revenue per order day), ``revenue``, ``r_score``, ``f_score``,
        ``m_score``, ``fm_score``, ``segment`` (RFM), ``abc_class``, ``cluster`` (Int64;
        missing outside the cluster sample), ``repeat_buyer`` (two order days or more).
    grid : DataFrame
        The 25 cells of the R × FM grid: ``r_score``, ``fm_score``, ``segment``,
        ``customers``, ``revenue``.
    segments : DataFrame
        Per RFM segment present, in :data:`~analytics.segments.SEGMENT_ORDER`: the columns of
        :func:`~analytics.segment_profiles.segment_profile`.
    pareto : DataFrame
        :func:`~analytics.segments.pareto_abc` of the revenues, ``account_id`` a column.
    pareto_summary : ParetoSummary or None
        Its summary (None without customers).
    clusters : DataFrame
        :func:`~analytics.clusters.cluster_profiles` (cluster a column), empty when there are
        too few distinct customers to cluster.
    silhouettes : dict[int, float]
        Silhouette score per k tried (empty without clusters).
    clustered : int
        Customers clustered (all of them up to :data:`CLUSTER_SAMPLE`).
    retention : CohortRetention or None
        Monthly cohort retention of customers and revenue (None without customers).
    """

    as_of: date
    currency: str | None
    customers: pd.DataFrame
    grid: pd.DataFrame
    segments: pd.DataFrame
    pareto: pd.DataFrame
    pareto_summary: ParetoSummary | None
    clusters: pd.DataFrame
    silhouettes: dict[int, float]
    clustered: int
    retention: CohortRetention | None

    @property
    def customer_count(self) -> int:
        """Customers with an order before ``as_of``."""
        return len(self.customers)

    @property
    def revenue(self) -> float:
        """Their revenue before ``as_of`` (refunds included)."""
        return float(self.customers["revenue"].sum())

    @property
    def repeat_share(self) -> float:
        """Share of customers who bought on two days or more (NaN without customers)."""
        if self.customers.empty:
            return float("nan")
        return float(self.customers["repeat_buyer"].mean())

    @property
    def customer_share_80(self) -> float:
        """Share of customers making 80 % of revenue (class A; NaN without revenue)."""
        summary = self.pareto_summary
        return float("nan") if summary is None else summary.customer_share_80

    @property
    def revenue_per_customer(self) -> float:
        """Mean revenue per customer (NaN without customers)."""
        return self.revenue / self.customer_count if self.customer_count else float("nan")


def _clusters(customers: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame, dict[int, float], int]:
    """Cluster labels (Int64, indexed like ``customers``), profiles, silhouettes, sample size."""
    labels = pd.Series(pd.NA, index=customers.index, dtype="Int64")
    sample = customers.sort_values("account_id")
    if len(sample) > CLUSTER_SAMPLE:
        sample = sample.sample(CLUSTER_SAMPLE, random_state=CLUSTER_SEED).sort_values("account_id")
    features = sample[list(CLUSTER_FEATURES)].astype(float)
    try:
        clustering = cluster_customers(features, sample["revenue"], seed=CLUSTER_SEED)
    except ValueError:  # too few distinct customers for two clusters
        return labels, pd.DataFrame(), {}, 0
    labels.loc[clustering.labels.index] = clustering.labels.to_numpy()
    profiles = cluster_profiles(features, sample["revenue"], clustering.labels).reset_index()
    return labels, profiles, clustering.silhouettes, len(sample)


def _grid(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers and revenue in each of the 25 (R, FM) cells, empty cells included."""
    cells = pd.MultiIndex.from_product([range(1, 6), range(1, 6)], names=["r_score", "fm_score"])
    counts = customers.groupby(["r_score", "fm_score"]).agg(
        customers=("account_id", "size"), revenue=("revenue", "sum")
    )
    grid = counts.reindex(cells, fill_value=0).reset_index()
    grid["customers"] = grid["customers"].astype("int64")
    grid["revenue"] = grid["revenue"].astype(float)
    pairs = zip(grid["r_score"], grid["fm_score"], strict=True)
    grid.insert(2, "segment", [RFM_SEGMENTS[(int(r), int(fm))] for r, fm in pairs])
    return grid


def segments_report(bind: Bind, filters: Filters, scope: Scope) -> SegmentsReport:
    """Segment the customers ``scope`` sees at ``filters.as_of`` (see the module docstring).

    Examples
    --------
    >>> report = segments_report(engine, filters, Scope.everyone())  # doctest: +SKIP
    >>> report.customer_count, report.customer_share_80  # doctest: +SKIP
    (1964, 0.31)
    """
    frames = gather(
        bind,
        {
            "rfm": lambda b: rfm_scores(b, filters, scope),
            "attributes": lambda b: customer_attributes(b, filters, scope),
            "months": lambda b: orders_by_customer_month(b, filters, scope),
        },
    )
    currency, _mixed = main_currency(bind, scope)
    as_of = filters.as_of or filters.end
    rfm, attributes, months = frames["rfm"], frames["attributes"], frames["months"]
    customers = attributes.drop(columns=["first_order_at"]).merge(rfm, on="account_id")
    customers["age_band"] = age_band(customers["birth_year"], as_of)
    if customers.empty:
        customers["fm_score"] = pd.Series(dtype="int64")
        customers["segment"] = pd.Series(dtype="object")
    else:
        customers["fm_score"] = fm_score(customers["f_score"], customers["m_score"])
        customers["segment"] = rfm_segment(
            customers["r_score"], customers["f_score"], customers["m_score"]
        )
    customers["repeat_buyer"] = customers["frequency"] >= 2
    abc = pareto_abc(customers.set_index("account_id")["revenue"]).rename_axis("account_id")
    customers["abc_class"] = customers["account_id"].map(abc["abc_class"])
    customers = customers.sort_values(["revenue", "account_id"], ascending=[False, True],
                                      kind="stable").reset_index(drop=True)  # fmt: skip
    labels, profiles, silhouettes, clustered = _clusters(customers)
    customers["cluster"] = labels
    retention = None
    if not months.empty:
        retention = cohort_retention(
            months.rename(columns={"account_id": "customer"})[["customer", "month", "revenue"]],
            as_of,
        )
    report = SegmentsReport(
        as_of=as_of,
        currency=currency,
        customers=customers,
        grid=_grid(customers),
        segments=pd.DataFrame(),
        pareto=abc.reset_index(),
        pareto_summary=pareto_summary(abc) if len(abc) else None,
        clusters=profiles,
        silhouettes=silhouettes,
        clustered=clustered,
        retention=retention,
    )
    return replace(report, segments=explore(report, "segment"))


def explore(report: SegmentsReport, by: str | Sequence[str]) -> pd.DataFrame:
    """The customers grouped by ``by`` (any of :data:`DIMENSIONS`), with what each group is
    worth: :func:`~analytics.segment_profiles.segment_profile`, the largest revenue first (an
    RFM segment grouping alone in :data:`~analytics.segments.SEGMENT_ORDER`).

    Raises
    ------
    ValueError
        For a grouping that is not one of :data:`DIMENSIONS`, or none at all.
    """
    columns = [by] if isinstance(by, str) else list(by)
    if not columns or set(columns) - set(DIMENSIONS):
        raise ValueError(f"Group customers by some of {list(DIMENSIONS)}, not {columns}.")
    if report.customers.empty:
        return pd.DataFrame(columns=[*columns, "customers", "customer_share", "revenue",
                                     "revenue_share", "revenue_per_customer",
                                     "orders_per_customer", "average_order",
                                     "median_recency_days"])  # fmt: skip
    profile = segment_profile(report.customers, columns)
    if columns == ["segment"]:
        rank = {name: i for i, name in enumerate(SEGMENT_ORDER)}
        profile = profile.sort_values("segment", key=lambda s: s.map(rank), kind="stable")
    return profile.reset_index(drop=True)


#: Columns of :func:`customer_value_table`.
VALUE_COLUMNS: tuple[str, ...] = (
    "name", "owner", "segment", "revenue", "clv", "expected_purchases", "expected_value",
    "p_alive", "churn_risk", "account_id",
)  # fmt: skip


def customer_value_table(report: SegmentsReport, values: pd.DataFrame) -> pd.DataFrame:
    """The customers with their modelled value, the highest CLV first.

    Parameters
    ----------
    report : SegmentsReport
        The customers (names, owners, segments, revenue).
    values : DataFrame
        :attr:`reports.clv.CustomerValues.table` of the same filters and scope: ``account_id``,
        ``clv``, ``expected_purchases``, ``expected_value``, ``p_alive``, ``churn_risk``.

    Returns
    -------
    DataFrame
        :data:`VALUE_COLUMNS`, one row per customer of ``report`` (values missing for a
        customer the models did not value), ties by account id.
    """
    model = values[["account_id", "clv", "expected_purchases", "expected_value", "p_alive",
                    "churn_risk"]]  # fmt: skip
    table = report.customers.merge(model, on="account_id", how="left")
    table = table.sort_values(["clv", "account_id"], ascending=[False, True],
                              na_position="last", kind="stable")  # fmt: skip
    return table[list(VALUE_COLUMNS)].reset_index(drop=True)


def _matches(column: pd.Series, value: object) -> pd.Series:
    """Rows of ``column`` equal to ``value`` (:data:`MISSING` matches a missing value; numbers
    and their text match alike, as a value read back from a link).
    """
    if value == MISSING:
        return column.isna()
    return column.astype("object").where(column.notna(), None).astype(str) == str(value)


def segment_customers(
    report: SegmentsReport,
    *,
    segment: str | None = None,
    abc: str | None = None,
    cluster: int | str | None = None,
    group: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """The customers of one segment (the list a page shows and exports), largest revenue first.

    Parameters
    ----------
    report : SegmentsReport
        The customers to pick from.
    segment, abc, cluster : optional
        Keep one RFM segment, one ABC class, one cluster (None: any).
    group : mapping, optional
        ``{dimension: value}`` for any of :data:`DIMENSIONS` (a group of the explorer;
        :data:`~analytics.segment_profiles.MISSING` for a missing value).

    Returns
    -------
    DataFrame
        :data:`CUSTOMER_COLUMNS` of the matching customers.

    Raises
    ------
    ValueError
        For a ``group`` key that is not one of :data:`DIMENSIONS`.

    Examples
    --------
    >>> champions = segment_customers(report, segment="Champions")  # doctest: +SKIP
    """
    wanted: dict[str, object] = dict(group or {})
    unknown = sorted(set(wanted) - set(DIMENSIONS))
    if unknown:
        raise ValueError(f"Cannot select customers by {unknown}; use one of {list(DIMENSIONS)}.")
    picked: dict[str, object] = {"segment": segment, "abc_class": abc, "cluster": cluster}
    wanted.update({column: value for column, value in picked.items() if value is not None})
    customers = report.customers
    keep = np.ones(len(customers), dtype=bool)
    for column, value in wanted.items():
        keep &= _matches(customers[column], value).to_numpy()
    return customers.loc[keep, list(CUSTOMER_COLUMNS)].reset_index(drop=True)
