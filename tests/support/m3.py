"""The M3 competition's 1,428 monthly series (``../shared/datasets/m3_monthly``, see its
README), the mark that skips a test without them, and their published accuracy.

Each series comes split as the competition split it: the training part, and the last 18 months
(the test part) to forecast from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from tests.support.datasets import DATASETS

__all__ = [
    "M3_HORIZON",
    "M3_MONTHLY",
    "M3_SERIES",
    "THETA_PUBLISHED_SMAPE",
    "M3Series",
    "m3_monthly",
    "needs_m3",
]

#: The long-format CSV of the M3 monthly series.
M3_MONTHLY = DATASETS / "m3_monthly" / "m3_monthly_long.csv"
#: Skips a test without the M3 monthly CSV, saying where it goes.
needs_m3 = pytest.mark.skipif(
    not M3_MONTHLY.is_file(),
    reason=f"M3 monthly not found at {M3_MONTHLY} (the long-format CSV of M3C.xls, sheet "
    "M3Month, as described in ../shared/datasets/m3_monthly/README.md)",
)
#: Number of monthly series.
M3_SERIES = 1428
#: Months forecast per series (the competition's NF for monthly data).
M3_HORIZON = 18
#: THETA's average sMAPE over h = 1..18 on the monthly series, Makridakis & Hibon (2000),
#: the M3 definition mean(200·|y − f| / (|y| + |f|)) (the dataset README).
THETA_PUBLISHED_SMAPE = 13.85


@dataclass(frozen=True, eq=False)
class M3Series:
    """One M3 monthly series: id (``N1402`` .. ``N2829``), category, training and test
    values (float64, oldest first; the test part is the last 18 months)."""

    series_id: str
    category: str
    train: np.ndarray
    test: np.ndarray


def m3_monthly(step: int = 1) -> list[M3Series]:
    """The M3 monthly series in id order (N1402 first), or every ``step``-th of them
    (``step=14``: N1402, N1416, ..., 102 series spread over the categories as the ids are)."""
    frame = pd.read_csv(M3_MONTHLY, usecols=["series_id", "category", "t", "value", "split"])
    frame["number"] = frame["series_id"].str[1:].astype(int)
    frame = frame.sort_values(["number", "t"], kind="stable")
    series = []
    for _, rows in list(frame.groupby("number", sort=True))[::step]:
        values = rows["value"].to_numpy(dtype="float64")
        is_train = (rows["split"] == "train").to_numpy()
        series.append(
            M3Series(
                str(rows["series_id"].iloc[0]),
                str(rows["category"].iloc[0]),
                values[is_train],
                values[~is_train],
            )
        )
    return series
