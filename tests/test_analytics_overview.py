"""The Overview page's pure analytics: deltas, deal KPIs, monthly trend, stuck deals, activity
KPIs, new and forgotten clients.  Frames are built by hand with the columns and dtypes of the
query functions that feed them."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from analytics.activity import SILENCE_DAYS, active_conversations, overdue_followups
from analytics.clients import first_purchase, forgotten_clients, new_clients
from analytics.deals import DealKpis, deal_kpis
from analytics.deltas import Delta, delta, ratio
from analytics.funnel import win_rates
from analytics.stuck import stuck_deals
from analytics.trend import monthly_trend

AS_OF = datetime(2026, 11, 26)
NAN = math.nan


def frame(rows: list[tuple[object, ...]], dtypes: dict[str, str]) -> pd.DataFrame:
    """A frame of ``rows`` with exactly the columns and dtypes of ``dtypes``."""
    raw = pd.DataFrame(rows, columns=list(dtypes), dtype=object)
    return raw.astype(dtypes)


def same(actual: list[float], expected: list[float]) -> bool:
    """Element-wise equality where NaN equals NaN."""
    return len(actual) == len(expected) and all(
        (math.isnan(a) and math.isnan(e)) or a == pytest.approx(e)
        for a, e in zip(actual, expected, strict=True)
    )


def stamps(values: pd.Series) -> list[pd.Timestamp | None]:
    """Timestamps of a datetime column, None for NaT."""
    return [None if pd.isna(v) else v for v in values]


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- deltas --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "absolute", "relative"),
    [
        (120.0, 100.0, 20.0, 0.2),  # 20 / 100
        (80, 100, -20.0, -0.2),  # -20 / 100
        (-50.0, -100.0, 50.0, 0.5),  # 50 / |-100|: less negative is up
        (50.0, 0.0, 50.0, NAN),  # zero previous -> no relative change
        (0.0, 0.0, 0.0, NAN),
        (NAN, 100.0, NAN, NAN),
        (100.0, NAN, NAN, NAN),
    ],
)
def test_delta(current: float, previous: float, absolute: float, relative: float) -> None:
    d = delta(current, previous)
    assert isinstance(d, Delta)
    assert same([d.current, d.previous], [float(current), float(previous)])
    assert same([d.absolute, d.relative], [absolute, relative])


def test_ratio_is_nan_for_a_zero_or_missing_denominator() -> None:
    assert ratio(3, 4) == 0.75
    assert ratio(0, 5) == 0.0
    assert math.isnan(ratio(3, 0))
    assert math.isnan(ratio(3, NAN))


# --- deal KPIs -----------------------------------------------------------------------------

FLOW = {
    "month": "datetime64[us]",
    "created": "int64",
    "created_amount": "float64",
    "won": "int64",
    "won_amount": "float64",
    "lost": "int64",
    "lost_amount": "float64",
}


def flow(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return frame(rows, FLOW)


def test_deal_kpis_sum_the_months() -> None:
    kpis = deal_kpis(
        flow(
            [
                (ts("2026-10-01"), 3, 3000.0, 1, 1000.0, 2, 500.0),
                (ts("2026-11-01"), 1, 400.0, 2, 3000.0, 1, 0.0),
            ]
        )
    )
    assert kpis == DealKpis(
        won_revenue=4000.0,  # 1000 + 3000
        won_deals=3,  # 1 + 2
        lost_deals=3,  # 2 + 1
        closed_deals=6,
        win_rate=0.5,  # 3 / 6
        value_win_rate=pytest.approx(4000 / 4500),  # won 4000 / (4000 + lost 500)
        average_won_deal=pytest.approx(4000 / 3),
        new_deals=4,  # 3 + 1
        new_deal_amount=3400.0,  # 3000 + 400
    )
    assert isinstance(kpis.won_deals, int) and isinstance(kpis.won_revenue, float)


def test_deal_kpis_zero_denominators_are_nan() -> None:
    # two zero-amount losses, nothing won: win rate 0 / 2 = 0, but the value win rate is 0 / 0
    lost_only = deal_kpis(flow([(ts("2026-10-01"), 0, 0.0, 0, 0.0, 2, 0.0)]))
    assert lost_only.win_rate == 0.0
    assert math.isnan(lost_only.value_win_rate)
    assert math.isnan(lost_only.average_won_deal)
    # only creations: no deal closed, so no win rate at all
    created_only = deal_kpis(flow([(ts("2026-10-01"), 2, 700.0, 0, 0.0, 0, 0.0)]))
    assert created_only.closed_deals == 0 and math.isnan(created_only.win_rate)
    assert (created_only.new_deals, created_only.new_deal_amount) == (2, 700.0)


def test_deal_kpis_win_rates_are_the_funnels_of_the_same_deals() -> None:
    # the months of test_deal_kpis_sum_the_months, deal by deal: won 1000 (Oct), 1000 and 2000
    # (Nov); lost 200 and 300 (Oct), 0 (Nov)
    kpis = deal_kpis(
        flow(
            [
                (ts("2026-10-01"), 0, 0.0, 1, 1000.0, 2, 500.0),
                (ts("2026-11-01"), 0, 0.0, 2, 3000.0, 1, 0.0),
            ]
        )
    )
    deals = pd.DataFrame(
        {
            "status": ["won", "won", "won", "lost", "lost", "lost"],
            "amount": [1000.0, 1000.0, 2000.0, 200.0, 300.0, 0.0],
        }
    )
    funnel = win_rates(deals).iloc[0]
    overview = [kpis.win_rate, kpis.value_win_rate, kpis.average_won_deal]
    assert overview == [funnel["win_rate"], funnel["value_win_rate"], funnel["average_won_amount"]]
    assert overview == [0.5, pytest.approx(4000 / 4500), pytest.approx(4000 / 3)]


def test_deal_kpis_of_an_empty_flow() -> None:
    kpis = deal_kpis(flow([]))
    counts = (kpis.won_deals, kpis.lost_deals, kpis.closed_deals, kpis.new_deals)
    assert counts == (0, 0, 0, 0)
    assert (kpis.won_revenue, kpis.new_deal_amount) == (0.0, 0.0)
    assert same([kpis.win_rate, kpis.value_win_rate, kpis.average_won_deal], [NAN] * 3)


# --- monthly trend -------------------------------------------------------------------------


def won_flow(amounts: dict[str, float]) -> pd.DataFrame:
    """A flow frame with one row per month: won_amount as given, created = 1."""
    return flow([(ts(month), 1, 0.0, 1, amount, 0, 0.0) for month, amount in amounts.items()])


def test_trend_pairs_months_by_offset_and_marks_partial_months() -> None:
    current = won_flow({"2026-09-01": 100.0, "2026-11-01": 300.0})  # no October row
    previous = won_flow({"2026-06-01": 10.0, "2026-07-01": 20.0, "2026-08-01": 30.0})
    trend = monthly_trend(
        current, previous, date(2026, 9, 15), date(2026, 11, 26), date(2026, 6, 15)
    )
    assert list(trend.columns) == ["month", "current", "previous", "previous_month", "partial"]
    assert trend["month"].tolist() == [ts("2026-09-01"), ts("2026-10-01"), ts("2026-11-01")]
    assert trend["current"].tolist() == [100.0, 0.0, 300.0]  # the missing October is 0
    assert trend["previous"].tolist() == [10.0, 20.0, 30.0]
    assert trend["previous_month"].tolist() == [
        ts("2026-06-01"),
        ts("2026-07-01"),
        ts("2026-08-01"),
    ]
    # September starts before 15 Sep; November ends after 26 Nov; October is whole
    assert trend["partial"].tolist() == [True, False, True]
    assert trend.dtypes.astype(str).tolist() == [
        "datetime64[us]",
        "float64",
        "float64",
        "datetime64[us]",
        "bool",
    ]


def test_trend_of_whole_months_across_a_year_end_with_another_value() -> None:
    current = won_flow({"2026-12-01": 5.0, "2027-01-01": 6.0})
    # comparison Dec 2025 - Jan 2026; a February row (outside) is not shown
    previous = flow(
        [
            (ts("2025-12-01"), 4, 0.0, 0, 0.0, 0, 0.0),
            (ts("2026-02-01"), 9, 0.0, 0, 0.0, 0, 0.0),
        ]
    )
    trend = monthly_trend(
        current, previous, date(2026, 12, 1), date(2027, 2, 1), date(2025, 12, 1), "created"
    )
    assert trend["month"].tolist() == [ts("2026-12-01"), ts("2027-01-01")]
    assert trend["current"].tolist() == [1.0, 1.0]  # created = 1 in each month
    assert trend["previous"].tolist() == [4.0, 0.0]
    assert trend["partial"].tolist() == [False, False]


def test_trend_of_one_day_and_of_empty_flows() -> None:
    trend = monthly_trend(flow([]), flow([]), date(2027, 1, 1), date(2027, 1, 2), date(2026, 12, 1))
    assert trend["month"].tolist() == [ts("2027-01-01")]
    assert trend["previous_month"].tolist() == [ts("2026-12-01")]
    assert (trend["current"].tolist(), trend["previous"].tolist()) == ([0.0], [0.0])
    assert trend["partial"].tolist() == [True]


# --- stuck deals ---------------------------------------------------------------------------

CANDIDATES = {
    "deal_id": "int64",
    "owner_id": "int64",
    "account_id": "int64",
    "product_line": "str",
    "stage_id": "int64",
    "stage": "str",
    "position": "int64",
    "rot_days": "Int64",
    "stage_entered_at": "datetime64[us]",
    "days_in_stage": "float64",
    "created_at": "datetime64[us]",
    "expected_close_at": "datetime64[us]",
    "last_activity_at": "datetime64[us]",
    "next_activity_due_at": "datetime64[us]",
    "amount": "float64",
}


def candidate(
    deal_id: int,
    stage: tuple[int, str, int | None],
    days_in_stage: float,
    expected_close: str | None,
    last_activity: str | None,
    next_due: str | None,
    amount: float,
) -> tuple[object, ...]:
    """One open deal at AS_OF; ``stage`` = (stage_id, name, rot_days)."""
    stage_id, name, rot_days = stage
    entered = pd.Timestamp(AS_OF) - pd.Timedelta(days=days_in_stage)
    return (
        deal_id,
        7,
        100 + deal_id,
        "Software",
        stage_id,
        name,
        stage_id // 10,
        pd.NA if rot_days is None else rot_days,
        entered,
        days_in_stage,
        ts("2026-01-05"),
        None if expected_close is None else ts(expected_close),
        None if last_activity is None else ts(last_activity),
        None if next_due is None else ts(next_due),
        amount,
    )


PROPOSAL = (10, "Proposal", 21)
QUALIFIED = (20, "Qualified", None)
LEAD = (30, "Lead", None)


def candidates_frame() -> pd.DataFrame:
    return frame(
        [
            # 32 > 21 days; close date 20 Nov passed; last activity exactly 14 days before
            # AS_OF (12 Nov 00:00) is inside the window; no planned next activity
            candidate(1, PROPOSAL, 32.0, "2026-11-20", "2026-11-12", None, 500.0),
            # no rot_days, limit 10.5 from stage_limits, 10.5 is not > 10.5; last activity one
            # hour before the window (11 Nov 23:00); next step due exactly at AS_OF
            candidate(2, QUALIFIED, 10.5, None, "2026-11-11 23:00", "2026-11-26", 2000.0),
            # 12.25 > 10.5; expected close exactly at AS_OF has not passed
            candidate(3, QUALIFIED, 12.25, "2026-11-26", "2026-11-25", "2026-12-01", 100.0),
            # no limit at all, so 400 days are not "over"; never any activity
            candidate(4, LEAD, 400.0, "2027-01-01", None, "2026-12-01", 2000.0),
            # nothing wrong
            candidate(5, PROPOSAL, 3.0, "2026-12-31", "2026-11-20", "2026-12-02", 9999.0),
        ],
        CANDIDATES,
    )


def test_stuck_deals_flags_and_reasons() -> None:
    reversed_input = candidates_frame().iloc[::-1]  # so that ties must be broken by deal id
    result = stuck_deals(reversed_input, AS_OF, stage_limits={20: 10.5})
    assert result.index.tolist() == [0, 1, 2, 3, 4]
    # stuck first by amount (1: 500, 3: 100), then the rest by amount, ties by id (5, 2, 4)
    assert result["deal_id"].tolist() == [1, 3, 5, 2, 4]
    assert same(result["limit_days"].tolist(), [21.0, 10.5, 21.0, 10.5, NAN])
    assert result["over_limit"].tolist() == [True, True, False, False, False]
    assert result["stuck"].tolist() == [True, True, False, False, False]
    assert result["close_date_passed"].tolist() == [True, False, False, False, False]
    assert result["silent"].tolist() == [False, False, False, True, True]
    assert result["no_next_step"].tolist() == [True, False, False, False, False]
    assert result["flagged"].tolist() == [True, True, False, True, True]
    assert result["reasons"].tolist() == [
        "32 days in Proposal (limit 21); close date passed; no next step",
        "12 days in Qualified (limit 10.5)",  # 12.25 days: 12 whole days
        "",
        "no activity for 14+ days",
        "no activity for 14+ days",
    ]
    assert list(result.columns[: len(CANDIDATES)]) == list(CANDIDATES)
    assert result["limit_days"].dtype == "float64"
    assert result["reasons"].dtype == "str"


def test_every_flag_at_once_and_the_silence_window() -> None:
    old = frame([candidate(9, PROPOSAL, 40.0, "2026-10-01", "2026-10-20", None, 1.0)], CANDIDATES)
    # 20 Oct is 37 days before AS_OF: silent for 14 days, not for 40
    assert stuck_deals(old, AS_OF)["reasons"].tolist() == [
        "40 days in Proposal (limit 21); close date passed; no activity for 14+ days; no next step"
    ]
    quiet = stuck_deals(old, AS_OF, silence_days=40)
    assert quiet["silent"].tolist() == [False]
    assert quiet["reasons"].tolist() == [
        "40 days in Proposal (limit 21); close date passed; no next step"
    ]


def test_without_stage_limits_only_rot_days_count() -> None:
    result = stuck_deals(candidates_frame(), AS_OF).set_index("deal_id")
    assert result.loc[3, "over_limit"] == False  # noqa: E712 - limit NaN: 12.25 days not over
    assert math.isnan(result.loc[3, "limit_days"])
    assert result.loc[3, "reasons"] == ""
    assert result.index.tolist() == [1, 5, 2, 4, 3]  # only deal 1 is stuck now


def test_rot_days_take_precedence_over_stage_limits() -> None:
    result = stuck_deals(candidates_frame(), AS_OF, stage_limits={10: 50.0, 20: 10.5})
    # Proposal keeps its rot_days 21 although the caller offers 50
    assert result.set_index("deal_id").loc[1, "limit_days"] == 21.0


def test_stuck_deals_of_no_candidates() -> None:
    result = stuck_deals(frame([], CANDIDATES), AS_OF, stage_limits={20: 10.5})
    assert result.empty
    assert SILENCE_DAYS == 14
    for column in ("over_limit", "close_date_passed", "silent", "no_next_step", "stuck", "flagged"):
        assert result[column].dtype == "bool", column
    assert list(result.columns[-3:]) == ["stuck", "flagged", "reasons"]


# --- activity ------------------------------------------------------------------------------


def test_active_conversations_counts_distinct_deals_in_the_window() -> None:
    candidates = candidates_frame()
    # last activities: 1 at 12 Nov 00:00 (exactly 14 days: in), 2 at 11 Nov 23:00 (out),
    # 3 at 25 Nov (in), 4 never, 5 at 20 Nov (in) -> 3
    assert active_conversations(candidates, AS_OF) == 3
    # 15 days reach back to 11 Nov 00:00, so deal 2 joins
    assert active_conversations(candidates, AS_OF, days=15) == 4
    # the same deal twice still counts once
    doubled = pd.concat([candidates, candidates.iloc[[2]]], ignore_index=True)
    assert active_conversations(doubled, AS_OF) == 3


def test_active_conversations_ignore_activity_at_or_after_as_of() -> None:
    late = frame([candidate(1, PROPOSAL, 1.0, None, "2026-11-26", None, 1.0)], CANDIDATES)
    assert active_conversations(late, AS_OF) == 0
    assert active_conversations(frame([], CANDIDATES), AS_OF) == 0


FOLLOWUPS = {
    "activity_id": "int64",
    "employee_id": "Int64",
    "employee": "str",
    "type": "str",
    "due_at": "datetime64[us]",
    "deal_id": "Int64",
    "deal": "str",
    "account_id": "Int64",
    "account": "str",
}


def followup(activity_id: int, due_at: str) -> tuple[object, ...]:
    return (activity_id, pd.NA, None, "call", ts(due_at), pd.NA, None, 3, "Acme")


def test_overdue_followups() -> None:
    followups = frame(
        [
            followup(7, "2026-11-20 12:00"),  # 5.5 days before AS_OF
            followup(2, "2026-11-26"),  # due exactly at AS_OF: not overdue yet
            followup(3, "2026-10-27"),  # 30 days
            followup(4, "2026-11-20 12:00"),  # 5.5 days, ties with 7 -> by id
            followup(5, "2026-12-01"),  # future
        ],
        FOLLOWUPS,
    )
    result = overdue_followups(followups, AS_OF)
    assert result["activity_id"].tolist() == [3, 4, 7]
    assert result["days_overdue"].tolist() == [30.0, 5.5, 5.5]
    assert list(result.columns) == [*FOLLOWUPS, "days_overdue"]
    assert result.index.tolist() == [0, 1, 2]


def test_overdue_followups_of_none() -> None:
    result = overdue_followups(frame([], FOLLOWUPS), AS_OF)
    assert result.empty
    assert result["days_overdue"].dtype == "float64"


# --- clients -------------------------------------------------------------------------------

CUSTOMERS = {
    "account_id": "int64",
    "account": "str",
    "owner_id": "Int64",
    "owner": "str",
    "region": "str",
    "first_order_at": "datetime64[us]",
    "last_order_at": "datetime64[us]",
    "first_won_at": "datetime64[us]",
    "last_activity_at": "datetime64[us]",
    "open_deals": "int64",
    "revenue": "float64",
}


def customer(
    account_id: int,
    orders: tuple[str, str] | None,
    first_won: str | None,
    last_activity: str | None,
    open_deals: int,
    revenue: float,
) -> tuple[object, ...]:
    """One customer; ``orders`` = (first, last) order time or None."""
    first_order, last_order = (None, None) if orders is None else (ts(orders[0]), ts(orders[1]))
    return (
        account_id,
        f"Account {account_id}",
        pd.NA if account_id == 3 else 1,
        None if account_id == 3 else "Ann",
        "North",
        first_order,
        last_order,
        None if first_won is None else ts(first_won),
        None if last_activity is None else ts(last_activity),
        open_deals,
        revenue,
    )


def customers_frame() -> pd.DataFrame:
    # the 90-day window before AS_OF (26 Nov 2026) starts 28 Aug 2026 00:00
    return frame(
        [
            # last order exactly 90 days before: still in touch
            customer(1, ("2025-03-10", "2026-08-28"), None, None, 0, 5000.0),
            # last contact an activity one hour before the window: forgotten
            customer(2, ("2024-01-05", "2026-03-01"), None, "2026-08-27 23:00", 0, 8000.0),
            # no orders; won a deal on 10 Nov and nobody called since: new, not forgotten
            customer(3, None, "2026-11-10", None, 0, 0.0),
            # no orders; won 15 Jan, never contacted: forgotten, counted from the win
            customer(4, None, "2026-01-15", None, 0, 0.0),
            # first order 2 Nov (an earlier won deal does not count: it has orders)
            customer(5, ("2026-11-02", "2026-11-20"), "2025-06-01", None, 1, 700.0),
            # silent for long but has open deals
            customer(6, ("2025-01-01", "2025-02-01"), None, "2025-03-01", 2, 100.0),
            # first purchase at AS_OF (the query cannot return it): ignored
            customer(7, None, "2026-11-26", "2026-01-01", 0, 0.0),
            # last contact an activity on 1 Jan 2026; revenue ties with account 2
            customer(8, ("2023-05-05", "2023-05-05"), None, "2026-01-01", 0, 8000.0),
        ],
        CUSTOMERS,
    )


def test_first_purchase_is_the_first_order_else_the_first_won_deal() -> None:
    purchase = first_purchase(customers_frame())
    assert purchase.name == "first_purchase_at"
    assert stamps(purchase) == [
        ts("2025-03-10"),
        ts("2024-01-05"),
        ts("2026-11-10"),
        ts("2026-01-15"),
        ts("2026-11-02"),
        ts("2025-01-01"),
        ts("2026-11-26"),
        ts("2023-05-05"),
    ]


@pytest.mark.parametrize(
    ("start", "end", "accounts"),
    [
        # 3 (won 10 Nov) and 5 (first order 2 Nov); 7's first purchase is at the end: excluded
        (datetime(2026, 11, 1), AS_OF, [3, 5]),
        (datetime(2026, 11, 1), datetime(2026, 11, 27), [3, 5, 7]),
        (datetime(2026, 1, 1), datetime(2026, 2, 1), [4]),
        # 5 won a deal on 1 Jun 2025 but its first purchase is its first order
        (datetime(2025, 6, 1), datetime(2025, 7, 1), []),
    ],
)
def test_new_clients(start: datetime, end: datetime, accounts: list[int]) -> None:
    result = new_clients(customers_frame(), start, end)
    assert result["account_id"].tolist() == accounts
    assert list(result.columns) == [*CUSTOMERS, "first_purchase_at"]


def test_new_clients_columns_carry_the_first_purchase() -> None:
    result = new_clients(customers_frame(), date(2026, 11, 1), AS_OF)
    assert stamps(result["first_purchase_at"]) == [ts("2026-11-10"), ts("2026-11-02")]


def test_forgotten_clients() -> None:
    result = forgotten_clients(customers_frame().iloc[::-1], AS_OF)  # ties need the id
    # revenue 8000 (2), 8000 (8), 0 (4); ties by account id
    assert result["account_id"].tolist() == [2, 8, 4]
    assert stamps(result["last_contact_at"]) == [ts("2026-08-27 23:00"), ts("2026-01-01"), None]
    assert result["days_since_contact"].tolist() == pytest.approx(
        [
            90 + 1 / 24,  # 27 Aug 23:00 -> 26 Nov 00:00
            329.0,  # 1 Jan -> 1 Nov is 304 days (31+28+31+30+31+30+31+31+30+31), + 25
            315.0,  # 15 Jan -> 15 Nov is 304 days (31+28+31+30+31+30+31+31+30+31), + 11
        ]
    )
    assert list(result.columns) == [*CUSTOMERS, "last_contact_at", "days_since_contact"]
    assert result["last_contact_at"].dtype == "datetime64[us]"


def test_forgotten_clients_with_a_shorter_window() -> None:
    # 30 days reach back to 27 Oct: account 1 (last order 28 Aug) is forgotten too; 3 (won
    # 10 Nov), 5 (order 20 Nov) and 6 (open deals) are not
    result = forgotten_clients(customers_frame(), AS_OF, days=30)
    assert result["account_id"].tolist() == [2, 8, 1, 4]


def test_forgotten_clients_of_no_customers() -> None:
    result = forgotten_clients(frame([], CUSTOMERS), AS_OF)
    assert result.empty
    assert list(result.columns) == [*CUSTOMERS, "last_contact_at", "days_since_contact"]
    assert new_clients(frame([], CUSTOMERS), AS_OF, AS_OF).empty
