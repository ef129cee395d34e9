"""The combined forecast's weights and track record (``analytics.forecast_combination``), by
hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecast_combination import MIN_REPLAYS, combination_weight, combine, track_record


def test_inverse_mse_weights() -> None:
    # MSE 100 for the time series, 400 for the pipeline: weights 1/100 : 1/400 = 0.8 : 0.2
    assert combination_weight(np.array([10.0, -10.0] * 2), np.array([20.0] * 4)) == 0.8
    assert combination_weight(np.array([0.0] * 4), np.array([5.0] * 4)) == 1.0
    assert combination_weight(np.array([5.0] * 4), np.array([0.0] * 4)) == 0.0
    assert combination_weight(np.array([1.0] * (MIN_REPLAYS - 1)),
                              np.array([9.0] * (MIN_REPLAYS - 1))) == 0.5  # fmt: skip
    with pytest.raises(ValueError, match="one error of each method"):
        combination_weight(np.array([1.0]), np.array([1.0, 2.0]))


def test_combine_per_element_weights() -> None:
    assert combine([100.0, 100.0], [0.0, 0.0], [0.25, 1.0]).tolist() == [25.0, 100.0]
    with pytest.raises(ValueError, match="between 0 and 1"):
        combine([1.0], [1.0], 1.5)


def test_track_record_by_hand() -> None:
    day = pd.Timestamp
    replays = pd.DataFrame({
        "quarter": [day(2025, 1, 1), day(2025, 4, 1), day(2025, 7, 1), day(2025, 10, 1)],
        "made_on": [day(2025, 2, 15), day(2025, 5, 16), day(2025, 8, 15), day(2025, 11, 15)],
        "won_so_far": [50.0, 50.0, 50.0, 50.0],
        "time_series": [60.0, 40.0, 60.0, 40.0],  # errors ±10 (actual 100): MSE 100
        "pipeline": [30.0, 30.0, 30.0, 30.0],  # errors −20: MSE 400
        "actual": [100.0, 100.0, 100.0, 100.0],
    })  # fmt: skip
    table, weight = track_record(replays)
    assert weight == 0.8
    combined = table.loc[table["method"] == "combined", "forecast"].tolist()
    assert combined == pytest.approx([104.0, 88.0, 104.0, 88.0])  # 50 + 0.8 ts + 0.2 pipeline
    assert table.loc[table["method"] == "combined", "hit"].tolist() == [True, False, True, False]
    pipeline = table.loc[table["method"] == "pipeline"]
    assert pipeline["error_share"].tolist() == pytest.approx([-0.2] * 4)
    assert not pipeline["hit"].any()
    assert table.loc[table["method"] == "time_series", "hit"].all()  # exactly 10 % off: hits
