"""Charts of the Forecast page: the fan chart of won revenue and the pipeline by month, with
axes and hovers in the user's language (``ui.charts.money_axis``, ``format_month``).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from i18n import _
from i18n.formatting import format_month
from ui.charts import COMPARISON, PRIMARY, WON, house_layout, money_axis
from ui.format import format_value

__all__ = ["HISTORY_SHOWN", "fan_chart", "pipeline_months_figure"]

#: Months of history the fan chart shows before the forecast.
HISTORY_SHOWN = 24
_BAND = "rgba(59, 91, 125, 0.18)"


def _money(value: float, currency: str | None) -> str:
    return format_value(value, "money", currency, compact=False)


def fan_chart(history: pd.Series, months: pd.DataFrame, currency: str | None) -> go.Figure:
    """Won revenue by month (the last :data:`HISTORY_SHOWN`), then the combined forecast of
    each month (won so far + the forecast of the rest) with its interval as a band.

    Parameters
    ----------
    history : Series
        Won revenue of the complete months (index: month starts).
    months : DataFrame
        :attr:`reports.forecast.ForecastReport.months`.
    currency : str or None
        The amounts' unit.
    """
    shown = history.iloc[-HISTORY_SHOWN:]
    past = [format_month(m) for m in shown.index]
    ahead = [format_month(m) for m in months["month"]]
    total = months["won_so_far"] + months["combined"]
    low, high = months["won_so_far"] + months["low"], months["won_so_far"] + months["high"]
    actual, forecast = _("Won revenue"), _("Forecast")
    fig = go.Figure()
    fig.add_bar(
        x=past, y=shown.to_numpy(), name=actual, marker={"color": PRIMARY},
        text=[_money(v, currency) for v in shown], textposition="none",
        hovertemplate=f"%{{x}}<br>%{{text}}<extra>{actual}</extra>",
    )  # fmt: skip
    fig.add_scatter(
        x=ahead + ahead[::-1], y=list(high) + list(low)[::-1], fill="toself", fillcolor=_BAND,
        line={"width": 0}, hoverinfo="skip", name=_("90% interval"),
    )  # fmt: skip
    fig.add_scatter(
        x=ahead, y=total, name=forecast, mode="lines+markers", line={"color": WON, "width": 2},
        customdata=[[_money(t, currency), _money(lo, currency), _money(hi, currency),
                     _money(w, currency)]
                    for t, lo, hi, w in zip(total, low, high, months["won_so_far"], strict=True)],
        hovertemplate=f"%{{x}}<br>%{{customdata[0]}} ({_('90% interval')}: "
        f"%{{customdata[1]}} – %{{customdata[2]}})<br>{_('won so far')}: %{{customdata[3]}}"
        f"<extra>{forecast}</extra>",
    )  # fmt: skip
    top = max(float(shown.max()) if len(shown) else 0.0, float(high.max()) if len(high) else 0.0)
    fig.update_yaxes(rangemode="tozero", **money_axis(0.0, top, currency))
    return house_layout(fig, height=360)


def pipeline_months_figure(by_month: pd.DataFrame, currency: str | None) -> go.Figure:
    """The open deals' expected revenue per month with the Monte Carlo interval as error bars.

    ``by_month`` is :attr:`analytics.pipeline_forecast.PipelineForecast.by_month`.
    """
    months = [format_month(m) for m in by_month["month"]]
    name = _("Expected from open deals")
    fig = go.Figure()
    fig.add_bar(
        x=months, y=by_month["expected"], name=name, marker={"color": COMPARISON},
        error_y={"type": "data", "symmetric": False,
                 "array": (by_month["high"] - by_month["expected"]).clip(lower=0),
                 "arrayminus": (by_month["expected"] - by_month["low"]).clip(lower=0)},
        customdata=[[_money(e, currency), _money(lo, currency), _money(hi, currency)]
                    for e, lo, hi in zip(by_month["expected"], by_month["low"], by_month["high"],
                                         strict=True)],
        hovertemplate=f"%{{x}}<br>%{{customdata[0]}} ({_('90% interval')}: "
        f"%{{customdata[1]}} – %{{customdata[2]}})<extra>{name}</extra>",
    )  # fmt: skip
    top = float(by_month["high"].max()) if len(by_month) else 0.0
    fig.update_yaxes(rangemode="tozero", **money_axis(0.0, top, currency))
    return house_layout(fig)
