"""Why revenue changed (METRICS.md "Why revenue changed (revenue bridge)"): the LMDI split on
hand data, its zeros and ties, a property test of the segment split with its mix, the Overview
report's bridge against its KPI cards, and the Overview page through ``AppTest`` in English and
Russian (the sentence, the split kept in the URL, no English left)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from analytics.funnel import win_rates
from analytics.revenue_bridge import (
    ClosedCounts,
    closed_counts,
    log_means,
    revenue_bridge,
    segment_bridge,
)
from crm_data.filters import Filters, Scope
from i18n import use_language
from i18n.formatting import format_count, format_money, format_number, format_percent
from reports.overview import BRIDGE_SPLITS, OverviewReport, overview_report
from tests.support.apptest import TODAY, app_database_fixtures, page_in, plain
from tests.support.visible_text import data_words, untranslated, visible_texts
from ui.bridge_charts import bridge_figure, bridge_sentence, segment_table
from ui.format import format_value
from ui.url_filters import Selection, build_filters

url, engine, _databases = app_database_fixtures("revenue_bridge")

PAGE = "pages/overview.py"

# ---- the company bridge on hand data ---------------------------------------------------------

#: N 100 → 120, w 0.5 → 0.45, A 100 → 110: R 5,000 → 5,940.
BEFORE, AFTER = (100, 50, 5000.0), (120, 54, 5940.0)


def test_hand_example_to_1e_9() -> None:
    bridge = revenue_bridge(BEFORE, AFTER)
    assert bridge.exact and bridge.reason is None and bridge.mix is None
    assert (bridge.before.closed, bridge.before.win_rate, bridge.before.average_won) == (
        100, 0.5, 100.0,
    )  # fmt: skip
    assert (bridge.after.closed, bridge.after.win_rate, bridge.after.average_won) == (
        120, 0.45, 110.0,
    )  # fmt: skip
    # L = 940 / ln(5940 / 5000), by hand (30 digits: mpmath)
    weight = 940 / math.log(5940 / 5000)
    assert weight == pytest.approx(5456.512091041126, abs=1e-9)
    assert bridge.deals == pytest.approx(994.839779103655, abs=1e-9)
    assert bridge.win_rate == pytest.approx(-574.900927605257, abs=1e-9)
    assert bridge.deal_size == pytest.approx(520.061148501602, abs=1e-9)
    assert bridge.deals == pytest.approx(weight * math.log(1.2), abs=1e-9)
    assert bridge.change == 940.0 and bridge.relative_change == pytest.approx(0.188)
    assert sum(bridge.effects().values()) == pytest.approx(940.0, abs=1e-9)
    assert list(bridge.effects()) == ["deals", "win_rate", "deal_size"]


def test_the_sentence_parts_and_the_steps() -> None:
    bridge = revenue_bridge(BEFORE, AFTER)
    parts = {p.driver: (p.change, p.unit, p.effect) for p in bridge.parts()}
    assert list(parts) == ["deals", "win_rate", "deal_size"]
    assert parts["deals"][:2] == (pytest.approx(0.2), "relative")
    assert parts["win_rate"][:2] == (pytest.approx(-0.05), "points")
    assert parts["deal_size"][:2] == (pytest.approx(0.1), "relative")
    assert parts["deals"][2] == bridge.deals
    steps = bridge.steps()
    assert steps["step"].tolist() == ["before", "deals", "win_rate", "deal_size", "after"]
    assert steps["measure"].tolist() == ["absolute", *["relative"] * 3, "total"]
    assert steps["amount"].iloc[0] == 5000.0 and steps["amount"].iloc[-1] == 5940.0
    assert steps["amount"].iloc[:-1].sum() == pytest.approx(5940.0, abs=1e-9)


def test_counts_as_a_one_row_win_rates_frame() -> None:
    closed = pd.DataFrame({"status": ["won", "lost"], "deals": [54, 66], "amount": [5940.0, 1.0]})
    counts = closed_counts(win_rates(closed))
    assert counts == ClosedCounts(120, 54, 5940.0)
    assert revenue_bridge(BEFORE, win_rates(closed)) == revenue_bridge(BEFORE, AFTER)
    with pytest.raises(ValueError, match="won <= closed"):
        ClosedCounts(3, 4, 10.0)
    with pytest.raises(ValueError, match="one row"):
        closed_counts(pd.concat([win_rates(closed)] * 2))
    with pytest.raises(ValueError, match="won_amount"):
        closed_counts(pd.DataFrame({"closed": [1], "won": [1]}))


@pytest.mark.parametrize(
    ("before", "after", "reason", "change"),
    [
        ((10, 0, 0.0), (12, 6, 660.0), "no_revenue_before", 660.0),  # closed, none won
        ((0, 0, 0.0), (12, 6, 660.0), "no_revenue_before", 660.0),  # nothing closed at all
        ((10, 5, 500.0), (12, 0, 0.0), "no_revenue_now", -500.0),
        ((10, 0, 0.0), (0, 0, 0.0), "no_revenue", 0.0),
    ],
)
def test_zero_revenue_says_why_and_keeps_the_raw_change(
    before: tuple[int, int, float], after: tuple[int, int, float], reason: str, change: float
) -> None:
    bridge = revenue_bridge(before, after)
    assert not bridge.exact and bridge.reason == reason
    assert all(math.isnan(v) for v in bridge.effects().values())
    assert bridge.parts() == ()
    assert bridge.change == change
    steps = bridge.steps()
    assert steps["step"].tolist() == ["before", "change", "after"]
    assert steps["amount"].tolist() == [before[2], change, after[2]]


def test_equal_revenue_weighs_with_r0() -> None:
    # N +25 %, w −20 %, A unchanged: R 5,000 both times, L = R0
    bridge = revenue_bridge((100, 50, 5000.0), (125, 50, 5000.0))
    assert bridge.exact and bridge.change == 0.0
    assert bridge.deals == pytest.approx(5000 * math.log(1.25), abs=1e-9)
    assert bridge.win_rate == pytest.approx(5000 * math.log(0.8), abs=1e-9)
    assert bridge.deal_size == 0.0
    assert bridge.deals + bridge.win_rate + bridge.deal_size == pytest.approx(0.0, abs=1e-9)
    assert log_means(np.array([5000.0]), np.array([5000.0])).tolist() == [5000.0]


def test_log_means_keep_their_precision() -> None:
    # (R1 − R0) / ln(R1 / R0) loses half its digits for R1 ≈ R0; log1p keeps them
    weights = log_means(np.array([1e6]), np.array([1e6 * (1 + 1e-12)]))
    assert weights[0] == pytest.approx(1e6 * (1 + 5e-13), rel=1e-12)
    # and far apart, the log of the ratio (log1p of −0.999999998 would lose 8 digits)
    far = log_means(np.array([4.6e8]), np.array([1.0]))
    assert far[0] == pytest.approx((1 - 4.6e8) / (0 - math.log(4.6e8)), rel=1e-14)


# ---- the split by segments -------------------------------------------------------------------


def counts(rows: dict[str, tuple[int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(name, *row) for name, row in rows.items()],
        columns=["team", "closed", "won", "won_amount"],
    )


def test_deals_moving_to_the_bigger_team_are_mix() -> None:
    # each team keeps its win rate (1/2) and deal size (100, 200); 4 deals move from A to B
    split = segment_bridge(
        counts({"A": (10, 5, 500.0), "B": (10, 5, 1000.0)}),
        counts({"A": (6, 3, 300.0), "B": (14, 7, 1400.0)}),
        "team",
    )
    total = split.total
    assert (total.before, total.after) == (
        ClosedCounts(20, 10, 1500.0),
        ClosedCounts(20, 10, 1700.0),
    )
    assert total.deals == 0.0 and total.win_rate == 0.0 and total.deal_size == 0.0
    assert total.mix == pytest.approx(200.0, abs=1e-9)
    segments = split.segments.set_index("team")
    # B's share of closed deals 0.5 → 0.7: L_B·ln(1.4) = 400, A's: L_A·ln(0.6) = −200
    assert segments.loc["B", "mix_effect"] == pytest.approx(400.0, abs=1e-9)
    assert segments.loc["A", "mix_effect"] == pytest.approx(-200.0, abs=1e-9)
    assert segments["revenue_change"].tolist() == [-200.0, 400.0]
    # the company alone calls it a bigger average won deal
    company = revenue_bridge((20, 10, 1500.0), (20, 10, 1700.0))
    assert company.deal_size == pytest.approx(200.0, abs=1e-9) and company.mix is None


def test_a_new_team_is_all_mix() -> None:
    split = segment_bridge(
        counts({"A": (10, 5, 500.0)}),
        counts({"A": (10, 5, 500.0), "New": (4, 2, 300.0)}),
        "team",
    )
    new = split.segments.set_index("team").loc["New"]
    assert not new["exact"] and new["closed_0"] == 0 and new["won_amount_1"] == 300.0
    assert (new["deals_effect"], new["win_rate_effect"], new["deal_size_effect"]) == (0, 0, 0)
    assert new["mix_effect"] == 300.0
    # A: the company closed 40 % more deals, A none more: its deal effect is offset by mix
    a = split.segments.set_index("team").loc["A"]
    assert a["deals_effect"] == pytest.approx(500 * math.log(1.4), abs=1e-9)
    assert a["deals_effect"] + a["mix_effect"] == pytest.approx(0.0, abs=1e-9)
    assert split.total.mix == pytest.approx(300.0 - 500 * math.log(1.4), abs=1e-9)


def test_no_company_revenue_splits_nothing() -> None:
    split = segment_bridge(counts({"A": (3, 0, 0.0)}), counts({"B": (2, 1, 50.0)}), "team")
    assert split.total.reason == "no_revenue_before" and math.isnan(split.total.mix or 0.0)
    assert split.segments["revenue_change"].tolist() == [0.0, 50.0]
    assert split.segments["mix_effect"].isna().all()


segment = st.tuples(
    st.integers(1, 5_000),  # closed
    st.floats(0.01, 1.0),  # share won (at least one deal)
    st.floats(1.0, 1e6),  # average won amount
)


def _frame(rows: list[tuple[int, float, float]]) -> pd.DataFrame:
    closed = np.array([r[0] for r in rows])
    won = np.maximum(1, np.round(closed * np.array([r[1] for r in rows]))).astype(int)
    return pd.DataFrame(
        {
            "team": [f"t{i}" for i in range(len(rows))],
            "closed": closed,
            "won": won,
            "won_amount": won * np.array([r[2] for r in rows]),
        }
    )


@settings(max_examples=200, deadline=None)
@example(  # revenue falls 460 million-fold: log1p of −0.999999998 lost 8 digits of L
    pairs=[((1508, 1.0, 305700.61328125), (1, 1.0, 1.0))], silent=[False] * 8
)
@given(
    st.lists(st.tuples(segment, segment), min_size=1, max_size=8),
    st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_effects_and_mix_add_up_to_the_change(
    pairs: list[tuple[tuple[int, float, float], tuple[int, float, float]]], silent: list[bool]
) -> None:
    frame_0, frame_1 = _frame([p[0] for p in pairs]), _frame([p[1] for p in pairs])
    # some segments win nothing in the comparison period (all mix); never all of them
    for i in range(1, len(pairs)):
        if silent[i]:
            frame_0.loc[i, ["won", "won_amount"]] = [0, 0.0]
    r0, r1 = frame_0["won_amount"].sum(), frame_1["won_amount"].sum()
    scale = max(r0, r1)

    company = revenue_bridge(
        (frame_0["closed"].sum(), frame_0["won"].sum(), r0),
        (frame_1["closed"].sum(), frame_1["won"].sum(), r1),
    )
    assert sum(company.effects().values()) == pytest.approx(r1 - r0, abs=1e-9 * scale)

    split = segment_bridge(frame_0, frame_1, "team")
    total = split.total
    assert (total.before, total.after) == (company.before, company.after)
    assert sum(total.effects().values()) == pytest.approx(r1 - r0, abs=1e-6 * scale)
    rows = split.segments
    effects = rows[["deals_effect", "win_rate_effect", "deal_size_effect", "mix_effect"]]
    np.testing.assert_allclose(effects.sum(axis=1), rows["revenue_change"], atol=1e-6 * scale)
    np.testing.assert_allclose(
        effects.sum().to_numpy(), list(total.effects().values()), atol=1e-6 * scale
    )
    # the mix of a segment that won in both periods is L_s·ln(S1/S0), its share of closed deals
    exact = rows[rows["exact"]]
    shares = (exact["closed_1"] / rows["closed_1"].sum()) / (
        exact["closed_0"] / rows["closed_0"].sum()
    )
    weights = log_means(exact["won_amount_0"].to_numpy(), exact["won_amount_1"].to_numpy())
    np.testing.assert_allclose(
        exact["mix_effect"], weights * np.log(shares.to_numpy()), atol=1e-6 * scale
    )
    assert (
        rows.loc[~rows["exact"], "mix_effect"] == rows.loc[~rows["exact"], "revenue_change"]
    ).all()


# ---- the Overview report and page --------------------------------------------------------------


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters: the last 12 months to TODAY."""
    built, _unknown = build_filters(Selection(), TODAY)
    return built


@pytest.fixture(scope="module")
def report(engine: sa.Engine, filters: Filters) -> OverviewReport:
    return overview_report(engine, filters, Scope.everyone())


def test_the_report_bridge_uses_the_cards_numbers(
    report: OverviewReport, engine: sa.Engine, filters: Filters
) -> None:
    bridge = report.bridge
    assert bridge.exact
    for key, now, then in [
        ("won_revenue", bridge.after.revenue, bridge.before.revenue),
        ("won_deals", bridge.after.won, bridge.before.won),
        ("win_rate", bridge.after.win_rate, bridge.before.win_rate),
        ("average_won_deal", bridge.after.average_won, bridge.before.average_won),
    ]:
        assert (report.kpi(key).value, report.kpi(key).previous) == (now, then), key
    assert report.kpi("win_rate").sample == f"{format_count(bridge.after.closed)} closed deals"
    # deals closed in the period, before as_of, from plain SQL
    compared = filters.comparison()
    with engine.connect() as conn:
        closed = [
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM deals WHERE status IN ('won', 'lost') "
                    "AND closed_at >= :s AND closed_at < :e"
                ),
                {"s": f.start_ts, "e": f.until_ts},
            ).scalar_one()
            for f in (compared, filters)
        ]
    assert closed == [bridge.before.closed, bridge.after.closed]
    assert sum(bridge.effects().values()) == pytest.approx(bridge.change, rel=1e-12)
    assert set(report.bridge_splits) == set(BRIDGE_SPLITS)
    for by, split in report.bridge_splits.items():
        assert (split.total.before, split.total.after) == (bridge.before, bridge.after), by
        # the company's deals closed at the weights of the segments that won in both periods
        exact = split.segments[split.segments["exact"]]
        weight = log_means(exact["won_amount_0"].to_numpy(), exact["won_amount_1"].to_numpy())
        growth = math.log(bridge.after.closed / bridge.before.closed)
        assert split.total.deals == pytest.approx(weight.sum() * growth, rel=1e-12), by
        assert sum(split.total.effects().values()) == pytest.approx(bridge.change, rel=1e-9)
        assert len(split.segments) >= 4


def test_no_deal_in_either_period(engine: sa.Engine) -> None:
    # the demo history starts in mid 2023
    empty = overview_report(engine, Filters(TODAY.replace(year=2020), TODAY.replace(year=2021)),
                            Scope.everyone())  # fmt: skip
    assert empty.bridge.reason == "no_revenue" and empty.bridge.change == 0.0
    assert all(split.total.reason == "no_revenue" for split in empty.bridge_splits.values())


def _table(at: AppTest, first: str) -> pd.DataFrame:
    """The one table whose first column is ``first`` (tables that are not selectable keep no
    key in the element tree)."""
    found = [d.value for d in at.dataframe if list(d.value.columns[:1]) == [first]]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def _bridge_chart(at: AppTest) -> dict[str, Any]:
    """The spec of the page's waterfall chart (the bridge)."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return next(spec for spec in specs if spec["data"][0]["type"] == "waterfall")


def _sentence(at: AppTest) -> str:
    """The sentence above the bridge, without Markdown escapes."""
    starts = ("**Won revenue", "**Выручка по выигранным")
    return next(
        plain(m.value) for m in at.markdown if m.value.startswith(starts) and "→" in m.value
    )


#: The sentence in each language: its words around the numbers.
SENTENCES = {
    "en": "**Won revenue {r}** ({a} → {b}): {n} deals closed, {w} pp win rate, {s} average "
    "won deal",
    "ru": "**Выручка по выигранным сделкам {r}** ({a} → {b}): закрытые сделки {n}, доля "
    "выигранных {w} п.п., средний чек {s}",
}


def expected_sentence(report: OverviewReport, language: str) -> str:
    """The sentence from the KPI cards' values, written independently of ``ui.bridge_charts``."""
    won, rate, size = (report.kpi(k) for k in ("won_revenue", "win_rate", "average_won_deal"))
    closed = report.bridge.after.closed / report.bridge.before.closed - 1
    points = 100 * (rate.value - rate.previous)

    def sign(value: float) -> str:
        return "+" if value > 0 else "−"

    with use_language(language):

        def percent(share: float) -> str:
            return sign(share) + format_percent(abs(share))

        return SENTENCES[language].format(
            r=percent(won.value / won.previous - 1),
            a=format_value(won.previous, "money", report.currency),
            b=format_value(won.value, "money", report.currency),
            n=percent(closed),
            w=sign(points) + format_number(abs(points), 1),
            s=percent(size.value / size.previous - 1),
        )


def test_the_overview_page_explains_the_change(url: str, report: OverviewReport) -> None:
    at = page_in("en", PAGE)
    bridge, won = report.bridge, report.kpi("won_revenue")
    assert _sentence(at) == expected_sentence(report, "en")
    assert at.segmented_control(key="overview_bridge").value == "company"
    assert "bridge" not in at.query_params
    chart = _bridge_chart(at)["data"][0]
    assert chart["x"] == ["Comparison period", "Deals closed", "Win rate", "Average won deal",
                          "This period"]  # fmt: skip
    assert chart["y"][0] == won.previous and chart["y"][-1] == won.value
    assert chart["y"][1:4] == pytest.approx([bridge.deals, bridge.win_rate, bridge.deal_size])

    # by team: the choice goes into the URL, the mix bar and the teams' table appear
    at.segmented_control(key="overview_bridge").set_value("team").run()
    assert not at.exception
    assert at.query_params["bridge"] == "team"
    split = report.bridge_splits["team"]
    chart = _bridge_chart(at)["data"][0]
    assert chart["x"][-2] == "Team mix"
    assert chart["y"][4] == pytest.approx(split.total.mix)
    assert _sentence(at).endswith(" from the mix")
    table = _table(at, "Team")
    assert list(table.columns) == [
        "Team", "Comparison period", "This period", "Change", "Deals effect",
        "Win rate effect", "Deal size effect", "Mix effect",
    ]  # fmt: skip
    assert sorted(table["Team"]) == sorted(split.segments["group"])
    largest = split.segments.loc[split.segments["revenue_change"].abs().idxmax()]
    change = largest["revenue_change"]
    assert table.iloc[0].tolist()[:2] == [
        largest["group"],
        format_money(largest["won_amount_0"], report.currency),
    ]
    sign = "+" if change > 0 else "−"
    assert table["Change"].iloc[0] == sign + format_money(abs(change), report.currency)

    # a link with the split opens it; an unknown one falls back to the company
    line = page_in("en", PAGE, query={"bridge": "product_line"})
    assert line.segmented_control(key="overview_bridge").value == "product_line"
    assert _bridge_chart(line)["data"][0]["x"][-2] == ("Product-line mix")
    tampered = page_in("en", PAGE, query={"bridge": "evil"})
    assert tampered.segmented_control(key="overview_bridge").value == "company"
    assert "bridge" not in tampered.query_params


def test_an_empty_period_says_so(url: str) -> None:
    at = page_in("en", PAGE, query={"period": "custom", "from": "2020-01-01", "to": "2020-12-31"})
    assert any(
        "No deal was won in this period or in the comparison period." in i.value for i in at.info
    )
    assert len(at.get("plotly_chart")) == 0  # nothing won, nothing open: no chart at all
    assert not any("→" in m.value for m in at.markdown)  # no sentence


def test_the_overview_bridge_in_russian(
    url: str, engine: sa.Engine, report: OverviewReport
) -> None:
    at = page_in("ru", PAGE, query={"bridge": "team"})
    assert at.segmented_control(key="overview_bridge").value == "team"
    assert untranslated(visible_texts(at), data_words(engine)) == []
    assert "Почему изменилась выручка по выигранным сделкам" in [h.value for h in at.subheader]
    mix = report.bridge_splits["team"].total.mix or 0.0
    with use_language("ru"):
        mix_text = ("+" if mix > 0 else "") + format_value(mix, "money", report.currency)
    assert _sentence(at) == f"{expected_sentence(report, 'ru')}, сдвиг структуры {mix_text}"
    chart = _bridge_chart(at)
    bars = chart["data"][0]
    assert bars["x"] == ["Период сравнения", "Закрытые сделки", "Доля выигранных",
                         "Средний чек<br>выигранной сделки", "Сдвиг между<br>командами",
                         "Этот период"]  # fmt: skip
    assert bars["customdata"][2].startswith("Доля выигранных внутри команд<br>")
    assert "Влияние на выручку: " in bars["customdata"][2]
    assert chart["layout"]["separators"] == ",\u00a0"
    table = _table(at, "Команда")
    assert list(table.columns)[:4] == ["Команда", "Период сравнения", "Этот период", "Изменение"]


def test_figure_and_table_on_hand_data() -> None:
    split = segment_bridge(
        counts({"A": (10, 5, 500.0), "(none)": (10, 5, 1000.0)}),
        counts({"A": (6, 3, 300.0), "(none)": (14, 7, 1400.0)}),
        "team",
    )
    with use_language("ru"):
        shown, export = segment_table(split, "team", "RUB")
        figure = bridge_figure(split.total, "RUB", "team")
        sentence = bridge_sentence(split.total, "RUB")
    assert shown["Команда"].tolist() == ["(нет)", "A"]  # the larger change first
    assert shown["Вклад структуры"].tolist() == ["+400\u00a0₽", "−200\u00a0₽"]
    assert export["Вклад структуры"].round(9).tolist() == [400.0, -200.0]
    assert list(figure.data[0].text) == [
        "1,50\u00a0тыс.\u00a0₽", "0\u00a0₽", "0\u00a0₽", "0\u00a0₽", "+200\u00a0₽",
        "1,70\u00a0тыс.\u00a0₽",
    ]  # fmt: skip
    hover = list(figure.data[0].customdata)
    assert hover[0] == (
        "Период сравнения<br>Выручка по выигранным сделкам: 1\u00a0500\u00a0₽<br>20 закрытых "
        "сделок<br>Доля выигранных: 50,0\u00a0%<br>Средний чек выигранной сделки: 150\u00a0₽"
    )
    # within the teams the deal size did not change; the company's did, by mix
    assert hover[3] == (
        "Средний чек выигранной сделки внутри команд<br>В целом по компании: 150\u00a0₽ → "
        "170\u00a0₽ (+13,3\u00a0%)<br>Влияние на выручку: 0\u00a0₽"
    )
    assert hover[4] == (
        "Сдвиг между командами<br>Перераспределение закрытых сделок между командами<br>"
        "Влияние на выручку: +200\u00a0₽"
    )
    assert plain(sentence) == (
        "**Выручка по выигранным сделкам +13,3\u00a0%** (1,50\u00a0тыс.\u00a0₽ → "
        "1,70\u00a0тыс.\u00a0₽): закрытые сделки 0,0\u00a0%, доля выигранных 0,0 п.п., "
        "средний чек +13,3\u00a0%, сдвиг структуры +200\u00a0₽"
    )


def test_company_figure_and_sentence_on_hand_data() -> None:
    bridge = revenue_bridge(BEFORE, AFTER)
    figure = bridge_figure(bridge, "USD")
    bars = figure.data[0]
    assert list(bars.x) == ["Comparison period", "Deals closed", "Win rate", "Average won deal",
                            "This period"]  # fmt: skip
    assert list(bars.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert list(bars.text) == ["$5.00k", "+$995", "−$575", "+$520", "$5.94k"]
    assert (
        bars.customdata[2] == "Win rate<br>50.0% → 45.0% (−5.0 pp)<br>Effect on won revenue: −$575"
    )
    assert (
        bars.customdata[1] == "Deals closed<br>100 → 120 (+20.0%)<br>Effect on won revenue: +$995"
    )
    # the axis reaches the highest level (R0 + ΔN) with room for its label
    low, high = figure.layout.yaxis.range
    assert low == 0.0 and high == pytest.approx(1.12 * (5000 + bridge.deals))
    assert list(figure.layout.yaxis.ticktext)[:4] == ["$0", "$2k", "$4k", "$6k"]
    assert plain(bridge_sentence(bridge, "USD")) == (
        "**Won revenue +18.8%** ($5.00k → $5.94k): +20.0% deals closed, −5.0 pp win rate, "
        "+10.0% average won deal"
    )
    # without a split: the whole change, no sentence parts
    raw = revenue_bridge((10, 0, 0.0), (12, 6, 660.0))
    assert list(bridge_figure(raw, "USD").data[0].x) == [
        "Comparison period",
        "Change",
        "This period",
    ]
    assert plain(bridge_sentence(raw, "USD")) == "**Won revenue +$660** ($0 → $660)"
