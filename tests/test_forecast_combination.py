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
    quarters = [day(2025, 1, 1), day(2025, 4, 1), day(2025, 7, 1), day(2025, 10, 1),
                day(2026, 1, 1)]  # fmt: skip
    replays = pd.DataFrame({
        "quarter": quarters,
        "made_on": [q + pd.Timedelta(days=45) for q in quarters],
        "won_so_far": [50.0] * 5,
        "time_series": [60.0, 40.0, 60.0, 40.0, 60.0],  # errors ±10 (actual 100): MSE 100
        "pipeline": [30.0] * 5,  # errors −20: MSE 400
        "actual": [100.0] * 5,
    })  # fmt: skip
    table, weight = track_record(replays.iloc[::-1])  # any order in, oldest first out
    assert weight == 0.8  # today's: from all five quarters
    combined = table.loc[table["method"] == "combined"]
    # the first four had fewer than 4 quarters before them: equal weights; the fifth 0.8
    assert combined["weight"].tolist() == [0.5, 0.5, 0.5, 0.5, 0.8]
    assert combined["forecast"].tolist() == pytest.approx([95.0, 85.0, 95.0, 85.0, 104.0])
    assert combined["hit"].tolist() == [True, False, True, False, True]
    pipeline = table.loc[table["method"] == "pipeline"]
    assert pipeline["error_share"].tolist() == pytest.approx([-0.2] * 5)
    assert not pipeline["hit"].any() and pipeline["weight"].isna().all()
    assert table.loc[table["method"] == "time_series", "hit"].all()  # exactly 10 % off: hits
    assert table["quarter"].tolist()[:3] == [quarters[0]] * 3
