"""KPI cards: value, delta against the comparison period, the previous value and sample size."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from i18n import _
from reports.kpi import Kpi
from ui.format import format_delta, format_value, is_flat

__all__ = ["kpi_card", "kpi_row", "wrap_metric_labels"]

#: Streamlit cuts a metric's title and delta to one line ("Follow-up compli…", "+13.1% (+$3.…");
#: these wrap instead, and the value's font follows the card's width (a container query), so a
#: narrow card does not cut it either ("$34.…" in five cards of a 1,100 px window).
_METRIC_STYLE = """<style>
[data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stMetric"] { container-type: inline-size; }
[data-testid="stMetricValue"] { font-size: clamp(1.25rem, 22cqi, 2.25rem) !important; }
</style>"""


def wrap_metric_labels() -> None:
    """Let every metric's title and delta wrap onto more lines instead of ending in "…", and
    its value shrink in a narrow window (a style only: it takes no room on the page).
    ``app.py`` calls it once per run.
    """
    st.html(_METRIC_STYLE)


def kpi_card(kpi: Kpi, currency: str | None) -> None:
    """One bordered card: the value, its delta (green when it moves the good way), and a caption
    with the comparison period's value and the sample size behind a rate.
    """
    delta = format_delta(kpi.delta, kpi.unit, currency)
    flat = is_flat(delta)  # no arrow, no colour for a change that rounds to nothing
    with st.container(border=True, height="stretch"):
        st.metric(
            kpi.label,
            format_value(kpi.value, kpi.unit, currency),
            delta=delta,
            delta_color="off" if flat else "normal" if kpi.higher_is_better else "inverse",
            delta_arrow="off" if flat else "auto",
            help=kpi.help or None,
        )
        caption = _("vs {value}").format(value=format_value(kpi.previous, kpi.unit, currency))
        if kpi.sample:
            caption += f" · {kpi.sample}"
        st.caption(caption)


def kpi_row(kpis: Sequence[Kpi], currency: str | None) -> None:
    """The cards side by side, one column each."""
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        with column:
            kpi_card(kpi, currency)
