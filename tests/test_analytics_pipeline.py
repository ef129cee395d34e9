"""Open-pipeline totals."""

from __future__ import annotations

import pandas as pd

from analytics.pipeline import PipelineTotals, pipeline_totals


def test_totals_add_up_the_stages() -> None:
    frame = pd.DataFrame(
        {
            "deals": [4, 0, 1],
            "amount": [1000.0, 0.0, 250.5],
            "weighted_amount": [100.0, 0.0, 125.25],
        }
    )
    # 4 + 0 + 1 deals; 1000 + 0 + 250.5; 100 + 0 + 125.25
    assert pipeline_totals(frame) == PipelineTotals(5, 1250.5, 225.25)


def test_an_empty_pipeline_is_zero() -> None:
    empty = pd.DataFrame({"deals": pd.Series([], dtype=int), "amount": [], "weighted_amount": []})
    assert pipeline_totals(empty) == PipelineTotals(0, 0.0, 0.0)
