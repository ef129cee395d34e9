"""Open-pipeline totals (METRICS.md "Pipeline snapshot at t", "Weighted pipeline")."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["PipelineTotals", "pipeline_totals"]


@dataclass(frozen=True)
class PipelineTotals:
    """Open deals, their amount and their weighted amount (money in the account currency)."""

    deals: int
    amount: float
    weighted_amount: float


def pipeline_totals(by_stage: pd.DataFrame) -> PipelineTotals:
    """Totals of an open-pipeline-by-stage frame.

    Parameters
    ----------
    by_stage : DataFrame
        One row per open stage with ``deals`` (int), ``amount`` and ``weighted_amount``
        (float; weighted = Σ amount × stage probability).

    Returns
    -------
    PipelineTotals
        Sums over the stages; zeros for an empty frame.

    Examples
    --------
    >>> frame = pd.DataFrame({"deals": [2, 1], "amount": [300.0, 50.0],
    ...                       "weighted_amount": [30.0, 25.0]})
    >>> pipeline_totals(frame)
    PipelineTotals(deals=3, amount=350.0, weighted_amount=55.0)
    """
    return PipelineTotals(
        deals=int(by_stage["deals"].sum()),
        amount=float(by_stage["amount"].sum()),
        weighted_amount=float(by_stage["weighted_amount"].sum()),
    )
