"""The forecasts the app showed (``appdb.forecasts``), on every dialect of the app database:
one row per day made, period, segment and model (a forecast made again replaces it), read
back by segment, and bad rows refused before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from appdb import upgrade
from appdb.forecasts import RecordedForecast, forecast_history, record_forecasts
from tests.support.databases import fresh_app_engine

Q2 = (date(2026, 4, 1), date(2026, 7, 1))


@pytest.fixture
def app(dialect: str, tmp_path: Path) -> Iterator[sa.Engine]:
    with fresh_app_engine(dialect, tmp_path / "app") as engine:
        upgrade(engine)
        yield engine


def forecast(made: date, segment: str = "company", model: str = "combined",
             value: float = 100.0, period: tuple[date, date] = Q2) -> RecordedForecast:  # fmt: skip
    return RecordedForecast(made, *period, segment, model, value, value * 0.9, value * 1.1)


def test_record_and_read_back(app: sa.Engine) -> None:
    written = record_forecasts(app, [
        forecast(date(2026, 5, 15), value=120.0),
        forecast(date(2026, 4, 15), value=100.0),
        forecast(date(2026, 5, 15), "team:1", value=40.0),
        forecast(date(2026, 5, 15), model="pipeline", value=90.0),
    ])  # fmt: skip
    assert written == 4
    company = forecast_history(app, ["company"])
    assert company["made_on"].tolist() == [pd.Timestamp(2026, 4, 15), pd.Timestamp(2026, 5, 15),
                                           pd.Timestamp(2026, 5, 15)]  # fmt: skip
    assert company["model"].tolist() == ["combined", "combined", "pipeline"]
    assert company["value"].tolist() == [100.0, 120.0, 90.0]
    assert company["lower"].tolist() == pytest.approx([90.0, 108.0, 81.0])
    assert forecast_history(app, ["team:1"])["value"].tolist() == [40.0]
    assert forecast_history(app, ["company"], models=["pipeline"])["value"].tolist() == [90.0]
    assert forecast_history(app, ["rep:9"]).empty


def test_the_same_forecast_made_again_replaces_it(app: sa.Engine) -> None:
    record_forecasts(app, [forecast(date(2026, 5, 15), value=120.0)])
    record_forecasts(app, [forecast(date(2026, 5, 15), value=125.0),
                           forecast(date(2026, 5, 15), value=130.0)])  # fmt: skip
    history = forecast_history(app, ["company"])
    assert history["value"].tolist() == [130.0]  # the last of the duplicates wins
    assert record_forecasts(app, []) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target_end": date(2026, 4, 1)}, "empty period"),
        ({"segment": ""}, "segment key"),
        ({"segment": "x" * 151}, "segment key"),
        ({"model": ""}, "model name"),
        ({"value": float("nan")}, "finite"),
        ({"upper": float("inf")}, "finite"),
    ],
)
def test_bad_forecasts_are_refused(changes: dict[str, object], message: str) -> None:
    fields = {"made_on": date(2026, 5, 15), "target_start": Q2[0], "target_end": Q2[1],
              "segment": "company", "model": "combined", "value": 1.0, **changes}  # fmt: skip
    with pytest.raises(ValueError, match=message):
        RecordedForecast(**fields)  # type: ignore[arg-type]
