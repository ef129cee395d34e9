"""Past forecasts against what happened (``analytics.forecast_accuracy``), on hand data."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from analytics.forecast_accuracy import HIT_BAND, forecast_accuracy, hit_rate

day = pd.Timestamp
Q1, Q2 = (day(2026, 1, 1), day(2026, 4, 1)), (day(2026, 4, 1), day(2026, 7, 1))


def forecasts(*rows: tuple[tuple[pd.Timestamp, pd.Timestamp], str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"made_on": period[0] + pd.Timedelta(days=45), "target_start": period[0],
          "target_end": period[1], "model": model, "value": value}
         for period, model, value in rows]
    )  # fmt: skip


ACTUALS = pd.DataFrame({"target_start": [Q1[0], Q2[0]], "target_end": [Q1[1], Q2[1]],
                        "actual": [200.0, 0.0]})  # fmt: skip


def test_errors_and_hits_by_hand() -> None:
    made = forecasts((Q1, "combined", 220.0), (Q1, "pipeline", 221.0), (Q1, "theta", 150.0),
                     (Q2, "combined", 0.0), (Q2, "pipeline", 5.0))  # fmt: skip
    judged = forecast_accuracy(made, ACTUALS, date(2026, 7, 1))
    assert judged["error"].tolist() == [20.0, 21.0, -50.0, 0.0, 5.0]
    assert judged["error_share"].tolist()[:3] == [0.1, 0.105, -0.25]
    assert all(math.isnan(v) for v in judged["error_share"].tolist()[3:])
    # 10 % off is still a hit; 0 for an actual of 0 is one, 5 is not
    assert judged["hit"].tolist() == [True, False, False, True, False]
    assert hit_rate(judged) == 0.4
    assert HIT_BAND == 0.1


def test_periods_not_over_are_not_judged() -> None:
    made = forecasts((Q1, "combined", 220.0), (Q2, "combined", 10.0))
    judged = forecast_accuracy(made, ACTUALS, date(2026, 6, 30))
    assert judged["target_start"].tolist() == [Q1[0]]
    assert math.isnan(hit_rate(judged.iloc[0:0]))
