"""Incentive scorecards (``analytics.incentives``, METRICS.md "Incentive scorecards"): plan
validation, attainment and credit at and ±0.001 around every threshold and cap, target 0
exclusion with renormalised weights, lower-is-better items, accelerators, per-rep targets,
what-if, pacing, plan warnings, gaming signals, and the monotonicity property.
Every expected value is computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.incentives.gaming_signals import GAMING_SIGNALS, gaming_signals
from analytics.incentives.pacing import PACING_STATES, pacing
from analytics.incentives.plan import Plan, PlanItem, check_period
from analytics.incentives.plan_warnings import PlanWarning, plan_warnings
from analytics.incentives.scoring import NextStep, attainment, credited, next_step, scorecard
from analytics.incentives.targets import prorate
from analytics.incentives.what_if import what_if
from analytics.periods import working_days

NAN = math.nan


def actuals(rows: list[tuple[object, ...]], target: bool = False) -> pd.DataFrame:
    """A long actuals frame: (rep_id, metric_key, actual[, target]) rows."""
    columns = ["rep_id", "metric_key", "actual", *(["target"] if target else [])]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"actual": "float64", **({"target": "float64"} if target else {})})


def item_rows(card_items: pd.DataFrame, rep: object) -> pd.DataFrame:
    return card_items[card_items["rep_id"] == rep].set_index("metric_key")


def same(values: object, expected: list[float]) -> bool:
    """Element-wise equality to 1e-12 where NaN equals NaN."""
    got = list(values)  # type: ignore[call-overload]
    return len(got) == len(expected) and all(
        (math.isnan(g) and math.isnan(e)) or g == pytest.approx(e, rel=1e-12, abs=1e-12)
        for g, e in zip(got, expected, strict=True)
    )


# --- plan validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight": -0.1}, r"'won_deals': weight must be ≥ 0 \(a fraction"),
        ({"weight": NAN}, r"'won_deals': weight must be finite"),
        ({"weight": True}, r"'won_deals': weight must be a number"),
        ({"weight": 0.5, "target": -1}, r"'won_deals': target must be ≥ 0"),
        ({"weight": 0.5, "threshold": -0.01}, r"'won_deals': threshold must be ≥ 0"),
        ({"weight": 0.5, "threshold": 0.8, "cap": 0.799}, r"'won_deals': cap 79.9 % is below"),
        ({"weight": 0.5, "cap": math.inf}, r"'won_deals': cap \(None = no cap\) must be finite"),
        ({"weight": 0.5, "accelerator": 0.999}, r"'won_deals': accelerator must be ≥ 1"),
        ({"weight": 0.5, "higher_is_better": False}, r"'won_deals': a lower-is-better item needs"),
        ({"weight": 0.5, "higher_is_better": "no"}, r"higher_is_better must be True or False"),
    ],
)
def test_plan_item_validation_names_the_item_and_the_fix(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PlanItem("won_deals", **kwargs)  # type: ignore[arg-type]


def test_plan_item_accepts_the_limits_and_normalises_numbers() -> None:
    item = PlanItem(" won_deals ", 1, target=10, threshold=0.5, cap=0.5, accelerator=1)
    assert item == PlanItem("won_deals", 1.0, 10.0, 0.5, 0.5, 1.0, True)
    assert isinstance(item.weight, float) and isinstance(item.target, float)
    with pytest.raises(ValueError, match="needs a metric key"):
        PlanItem("", 0.5)


def test_plan_validation() -> None:
    won = PlanItem("won_deals", 0.5, target=10)
    with pytest.raises(ValueError, match="at least one item"):
        Plan(())
    with pytest.raises(ValueError, match="'won_deals' more than once"):
        Plan((won, won))
    with pytest.raises(ValueError, match="#2 must be a PlanItem"):
        Plan((won, "new_deals"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the on-target bonus must be ≥ 0"):
        Plan((won,), on_target_bonus=-1)
    with pytest.raises(ValueError, match="names 'new_deals', which is not an item"):
        Plan((won,), targets={("new_deals", 1): 5})
    with pytest.raises(ValueError, match=r"override \('won_deals', 1\) must be ≥ 0"):
        Plan((won,), targets={("won_deals", 1): -5})
    with pytest.raises(ValueError, match="keys are \\(metric_key, rep_id\\)"):
        Plan((won,), targets={"won_deals": 5})  # type: ignore[dict-item]
    plan = Plan([won], targets={("won_deals", 7): 12})
    assert plan.items == (won,) and plan.target_for("won_deals", 7) == 12.0
    assert plan.target_for("won_deals", 8) == 10.0
    with pytest.raises(KeyError, match="no plan item 'x'"):
        plan.item("x")
    assert hash(plan) == hash(Plan((won,), targets={("won_deals", 7): 12}))


def test_items_are_named_by_their_label_when_given() -> None:
    with pytest.raises(ValueError, match=r"'Overdue follow-ups': a lower-is-better item needs"):
        PlanItem("overdue_followups", 0.5, target=3, higher_is_better=False,
                 label="Overdue follow-ups")  # fmt: skip
    with pytest.raises(ValueError, match=r"'Won deals': weight is missing: enter a number"):
        PlanItem("won_deals", None, label="Won deals")  # type: ignore[arg-type]
    won = PlanItem("won_deals", 0.5, label="Won deals")
    assert won == PlanItem("won_deals", 0.5)  # the label is not part of the item
    with pytest.raises(ValueError, match=r"names 'Won deals' more than once"):
        Plan((won, won))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (dt.date(2026, 10, 1), dt.date(2026, 10, 1), r"ends \(2026-10-01\) on or before it starts"),
        (dt.date(1, 1, 1), dt.date(9999, 12, 31), r"0001-01-01 – 9999-12-30 goes beyond the years"),
        (dt.date(1999, 12, 31), dt.date(2000, 3, 1), r"goes beyond the years 2000–2100"),
        (dt.date(2100, 10, 1), dt.date(2101, 1, 2), r"2100-10-01 – 2101-01-01 goes beyond"),
        (dt.date(2026, 1, 1), dt.date(2029, 1, 2), r"longer than 3 years"),
        (dt.datetime(2026, 1, 1), dt.date(2026, 4, 1), r"the period start must be a date"),
        ("2026-01-01", dt.date(2026, 4, 1), r"the period start must be a date"),
    ],
)
def test_check_period_refuses_what_cannot_be_scored(
    start: dt.date, end: dt.date, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_period(start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2000, 1, 1), dt.date(2000, 1, 2)),  # the first day, one day long
        (dt.date(2100, 10, 1), dt.date(2101, 1, 1)),  # the last quarter: to 31 Dec 2100
        (dt.date(2026, 1, 1), dt.date(2029, 1, 1)),  # exactly 36 months
    ],
)
def test_check_period_accepts_its_limits(start: dt.date, end: dt.date) -> None:
    check_period(start, end)


# --- next step -------------------------------------------------------------------------------

WON = PlanItem("won_deals", 0.5, target=10, threshold=0.5, cap=1.5)  # counts, 5 / 10 / 15
REVENUE = PlanItem("won_revenue", 0.5, target=40_000, cap=1.5, accelerator=2.0)
STUCK = PlanItem("stuck_deals", 0.2, target=3, cap=1.5, higher_is_better=False)
CYCLE = PlanItem("sales_cycle", 0.2, target=30, threshold=0.8, cap=1.2, higher_is_better=False)


@pytest.mark.parametrize(
    ("item", "actual", "target", "whole", "expected"),
    [
        # 0 of 10 deals: the threshold, 50 % of 10 = 5 deals, credits 0.5
        (WON, 0.0, None, True, NextStep("threshold", 0.5, 0.5, 5.0, 5.0)),
        # 4.99 → still short of the threshold; 5 is reached: next the target, 10
        (WON, 4.0, None, True, NextStep("threshold", 0.5, 0.5, 5.0, 1.0)),
        (WON, 5.0, None, True, NextStep("target", 1.0, 1.0, 10.0, 5.0)),
        (WON, 9.0, None, True, NextStep("target", 1.0, 1.0, 10.0, 1.0)),
        # at 100 %: the cap, 150 % of 10 = 15 deals (no accelerator)
        (WON, 10.0, None, True, NextStep("cap", 1.5, 1.5, 15.0, 5.0)),
        (WON, 14.0, None, True, NextStep("cap", 1.5, 1.5, 15.0, 1.0)),
        (WON, 15.0, None, True, None),  # at the cap: nothing
        (WON, 40.0, None, True, None),
        # a rep's own target of 11: 50 % = 5.5 deals → 6 whole deals; 110 % target of 10 = 11,
        # not 12 (1.1 × 10 = 11.000000000000002 in floats)
        (WON, 2.0, 11.0, True, NextStep("threshold", 0.5, 0.5, 6.0, 4.0)),
        (
            PlanItem("won_deals", 1, target=10, threshold=1.1, cap=2),
            3.0,
            None,
            True,
            NextStep("threshold", 1.1, 1.1, 11.0, 8.0),
        ),
        # money: no threshold, so the target first; an accelerator of 2 reaches the cap of
        # 150 % at 125 % attainment: 1.25 × 40 000 = 50 000
        (REVENUE, 12_500.0, None, False, NextStep("target", 1.0, 1.0, 40_000.0, 27_500.0)),
        (REVENUE, 40_000.0, None, False, NextStep("cap", 1.25, 1.5, 50_000.0, 10_000.0)),
        (REVENUE, 50_000.0, None, False, None),
        # without a cap nothing above 100 % is a step
        (PlanItem("new_deals", 1, target=20), 19.0, None, True, NextStep("target", 1, 1, 20, 1)),
        (PlanItem("new_deals", 1, target=20), 20.0, None, True, None),
        # lower is better: at most 3 stuck deals for 100 %, at most 3 / 1.5 = 2 for the cap
        (STUCK, 7.0, None, True, NextStep("target", 1.0, 1.0, 3.0, 4.0)),
        (STUCK, 3.0, None, True, NextStep("cap", 1.5, 1.5, 2.0, 1.0)),
        (STUCK, 2.0, None, True, None),
        (STUCK, 0.0, None, True, None),  # none stuck: the best result, at the cap
        # a target of 4 with the cap: 4 / 1.5 = 2.67 → at most 2 whole deals
        (STUCK, 3.0, 4.0, True, NextStep("cap", 1.5, 1.5, 2.0, 1.0)),
        # days: 30 / 0.8 = 37.5 days starts the credit, 30 for 100 %, 30 / 1.2 = 25 the cap
        (CYCLE, 40.0, None, False, NextStep("threshold", 0.8, 0.8, 37.5, 2.5)),
        (CYCLE, 37.5, None, False, NextStep("target", 1.0, 1.0, 30.0, 7.5)),
        (CYCLE, 30.0, None, False, NextStep("cap", 1.2, 1.2, 25.0, 5.0)),
        # a rate without any basis (NaN): the first step, no gap
        (
            PlanItem("win_rate", 1, target=0.4, cap=1.25),
            NAN,
            None,
            False,
            NextStep("target", 1.0, 1.0, 0.4, NAN),
        ),
        # a cap of 100 % is the target and the cap at once: named the cap
        (
            PlanItem("win_rate", 1, target=0.4, cap=1.0),
            0.3,
            None,
            False,
            NextStep("cap", 1.0, 1.0, 0.4, 0.1),
        ),
        # a cap below 100 % is reached at the cap itself: 0.8 × 0.4 = 0.32
        (
            PlanItem("win_rate", 1, target=0.4, cap=0.8),
            0.3,
            None,
            False,
            NextStep("cap", 0.8, 0.8, 0.32, 0.02),
        ),
        # a threshold above where the cap is reached (1 + 0.5 / 2 = 1.25): one step, at 140 %
        (
            PlanItem("won_deals", 1, target=10, threshold=1.4, cap=1.5, accelerator=2),
            12.0,
            None,
            True,
            NextStep("cap", 1.4, 1.5, 14.0, 2.0),
        ),
        # excluded for the rep: target 0 or none
        (WON, 3.0, 0.0, True, None),
        (PlanItem("won_deals", 1), 3.0, None, True, None),
    ],
)
def test_next_step_by_hand(
    item: PlanItem, actual: float, target: float | None, whole: bool, expected: NextStep | None
) -> None:
    got = next_step(item, actual, target, whole=whole)
    if expected is None:
        assert got is None
        return
    assert got is not None and (got.kind, got.attainment) == (expected.kind, expected.attainment)
    assert same([got.credited, got.needed, got.gap],
                [expected.credited, expected.needed, expected.gap])  # fmt: skip


def test_next_step_reached_gives_the_credit_it_promises() -> None:
    """Moving the actual by the gap reaches the step: the item then credits what it said."""
    for item in (WON, REVENUE, STUCK, CYCLE):
        for actual in (0.0, 1.0, 4.0, 9.5, 13.0, 29.0, 36.0, 41.0, 20_000.0, 45_000.0):
            step = next_step(item, actual)
            if step is None:
                continue
            moved = actual + step.gap if item.higher_is_better else actual - step.gap
            a = attainment(moved, item.target, item.higher_is_better)
            got = credited(a, item.threshold, item.cap, item.accelerator)
            assert got == pytest.approx(step.credited), (item.metric_key, actual)


# --- attainment and credit -----------------------------------------------------------------


def test_attainment_both_directions_and_undefined_targets() -> None:
    assert attainment(80, 100) == 0.8
    assert attainment(80, 100, higher_is_better=False) == 1.25  # 100 / 80
    assert math.isnan(attainment(80, 0))  # target 0: excluded
    assert math.isnan(attainment(80, NAN))
    assert math.isnan(attainment(NAN, 100))
    assert math.isnan(attainment(80, -5))
    # lower-is-better: an actual of 0 (or below) is the best possible result
    assert attainment(0, 100, higher_is_better=False) == math.inf
    assert attainment(-3, 100, higher_is_better=False) == math.inf
    assert attainment(0, 100) == 0.0
    got = attainment([50, 50, 0], [100, 100, 0], [True, False, False])
    assert isinstance(got, np.ndarray) and same(got, [0.5, 2.0, NAN])


@pytest.mark.parametrize(
    ("a", "expected"),
    [(0.499, 0.0), (0.5, 0.5), (0.501, 0.501), (NAN, NAN)],
)
def test_credit_at_and_around_the_threshold(a: float, expected: float) -> None:
    assert same([credited(a, threshold=0.5)], [expected])


@pytest.mark.parametrize(("a", "expected"), [(1.499, 1.499), (1.5, 1.5), (1.501, 1.5)])
def test_credit_at_and_around_the_cap(a: float, expected: float) -> None:
    assert credited(a, threshold=0.5, cap=1.5) == expected


@pytest.mark.parametrize(
    ("a", "expected"),
    [
        (0.999, 0.999),  # below 100 %: not stretched
        (1.0, 1.0),
        (1.001, 1.002),  # 1 + 0.001 × 2
        (1.249, 1.498),  # 1 + 0.249 × 2
        (1.25, 1.5),  # 1 + 0.25 × 2 = the cap
        (1.251, 1.5),  # 1.502 capped
        (math.inf, 1.5),
    ],
)
def test_accelerator_stretches_above_100_percent_before_the_cap(a: float, expected: float) -> None:
    assert credited(a, threshold=0.5, cap=1.5, accelerator=2.0) == pytest.approx(
        expected, abs=1e-12
    )


def test_threshold_tests_the_raw_attainment_not_the_accelerated_one() -> None:
    # threshold 110 %, accelerator 3: a = 1.05 would be stretched to 1.15, but 1.05 < 1.1 → 0
    assert credited(1.05, threshold=1.1, accelerator=3.0) == 0.0
    # a = 1.1 passes: 1 + 0.1 × 3 = 1.3
    assert credited(1.1, threshold=1.1, accelerator=3.0) == pytest.approx(1.3)
    # without a cap an infinite attainment stays infinite (why lower-is-better items need one)
    assert credited(math.inf) == math.inf


def test_credited_is_vectorised_and_validates() -> None:
    got = credited([0.4, 0.6, 2.0], threshold=[0.5, 0.5, 0.0], cap=[1.0, 1.0, np.inf])
    assert same(got, [0.0, 0.6, 2.0])
    with pytest.raises(ValueError, match="threshold must be finite and ≥ 0"):
        credited(1.0, threshold=-0.1)
    with pytest.raises(ValueError, match="cap must be ≥ the threshold"):
        credited(1.0, threshold=0.5, cap=0.4)
    with pytest.raises(ValueError, match="accelerator must be finite and ≥ 1"):
        credited(1.0, accelerator=0.5)


# --- scorecards ----------------------------------------------------------------------------


THREE = Plan(
    (
        PlanItem("won_deals", 0.5, target=10, threshold=0.5, cap=1.5),
        PlanItem("new_deals", 0.3, target=20, cap=2.0, accelerator=2.0),
        PlanItem("sales_cycle", 0.2, target=30, threshold=0.8, cap=1.2, higher_is_better=False),
    ),
    on_target_bonus=1000,
)


def test_scorecard_hand_computed() -> None:
    frame = actuals(
        [
            (1, "won_deals", 12),  # a 1.2 → 1.2 → 0.5 × 1.2 = 0.6
            (1, "new_deals", 25),  # a 1.25 → 1 + 0.25 × 2 = 1.5 → 0.3 × 1.5 = 0.45
            (1, "sales_cycle", 25),  # a 30/25 = 1.2 → cap 1.2 → 0.2 × 1.2 = 0.24
            (2, "won_deals", 4),  # a 0.4 < 0.5 → 0
            (2, "new_deals", 10),  # a 0.5 → 0.5 → 0.15
            (2, "sales_cycle", 40),  # a 30/40 = 0.75 < 0.8 → 0
            (2, "win_rate", 0.3),  # not in the plan: ignored
        ]
    )
    card = scorecard(frame, THREE)
    items = card.items
    assert list(items.columns) == [
        "rep_id", "metric_key", "actual", "target", "higher_is_better", "attainment",
        "credited", "weight", "effective_weight", "points", "excluded", "note",
    ]  # fmt: skip
    assert items["rep_id"].tolist() == [1, 1, 1, 2, 2, 2]
    assert items["metric_key"].tolist() == ["won_deals", "new_deals", "sales_cycle"] * 2
    assert same(items["attainment"], [1.2, 1.25, 1.2, 0.4, 0.5, 0.75])
    assert same(items["credited"], [1.2, 1.5, 1.2, 0.0, 0.5, 0.0])
    assert same(items["points"], [0.6, 0.45, 0.24, 0.0, 0.15, 0.0])
    assert items["effective_weight"].tolist() == [0.5, 0.3, 0.2] * 2
    assert items["higher_is_better"].tolist() == [True, True, False] * 2
    assert not items["excluded"].any() and set(items["note"]) == {""}
    summary = card.summary
    assert list(summary.columns) == [
        "rep_id", "score", "bonus", "included_weight", "weight_factor", "excluded_items", "note",
    ]  # fmt: skip
    assert same(summary["score"], [1.29, 0.15])  # 0.6 + 0.45 + 0.24; 0.15
    assert same(summary["bonus"], [1290.0, 150.0])
    assert summary["weight_factor"].tolist() == [1.0, 1.0]
    assert summary["excluded_items"].tolist() == [(), ()]


def _one_item_card(item: PlanItem, rows: list[tuple[object, ...]], **plan: object) -> list[float]:
    card = scorecard(actuals(rows, target=len(rows[0]) == 4), Plan((item,), **plan))  # type: ignore[arg-type]
    return card.items["credited"].tolist()


def test_scorecard_at_and_around_threshold_and_cap_higher_is_better() -> None:
    item = PlanItem("won_deals", 1.0, target=1000, threshold=0.5, cap=1.5)
    rows = [
        (rep, "won_deals", actual) for rep, actual in enumerate([499, 500, 501, 1499, 1500, 1501])
    ]
    # 499/1000 < 0.5 → 0; 0.5; 0.501; 1.499; 1.5; 1.501 capped at 1.5
    assert _one_item_card(item, rows) == [0.0, 0.5, 0.501, 1.499, 1.5, 1.5]


def test_scorecard_at_and_around_threshold_and_cap_lower_is_better_with_rep_targets() -> None:
    item = PlanItem("sales_cycle", 1.0, target=1000, threshold=0.5, cap=1.5, higher_is_better=False)
    # actual 1000 days for everyone; per-rep targets 499 … 1501: a = target / 1000
    targets = {("sales_cycle", rep): t for rep, t in enumerate([499, 500, 501, 1499, 1500, 1501])}
    rows = [(rep, "sales_cycle", 1000) for rep in range(6)]
    card = scorecard(actuals(rows), Plan((item,), targets=targets))
    assert card.items["target"].tolist() == [499.0, 500.0, 501.0, 1499.0, 1500.0, 1501.0]
    assert card.items["credited"].tolist() == [0.0, 0.5, 0.501, 1.499, 1.5, 1.5]
    # the same targets given in the actuals frame
    with_targets = [(rep, "sales_cycle", 1000, t) for (_, rep), t in targets.items()]
    assert _one_item_card(item, with_targets) == [0.0, 0.5, 0.501, 1.499, 1.5, 1.5]


def test_lower_is_better_actual_zero_is_credited_at_the_cap() -> None:
    item = PlanItem("stuck_deals", 1.0, target=4, cap=1.3, higher_is_better=False)
    rows = [(1, "stuck_deals", 0), (2, "stuck_deals", 4), (3, "stuck_deals", 8)]
    # 4/0 = inf → cap 1.3; 4/4 = 1; 4/8 = 0.5
    assert _one_item_card(item, rows) == [1.3, 1.0, 0.5]


def test_scorecard_accelerator_and_cap_around_the_cap_point() -> None:
    item = PlanItem("new_deals", 1.0, target=1000, cap=1.5, accelerator=2.0)
    rows = [(1, "new_deals", 1249), (2, "new_deals", 1250), (3, "new_deals", 1251)]
    # 1 + 0.249 × 2 = 1.498; 1 + 0.25 × 2 = 1.5; 1.502 capped at 1.5
    assert same(_one_item_card(item, rows), [1.498, 1.5, 1.5])


def test_target_zero_is_excluded_and_the_weights_renormalised() -> None:
    plan = Plan(
        (
            PlanItem("won_deals", 0.5, target=10),
            PlanItem("new_deals", 0.3, target=20),
            PlanItem("calls", 0.2, target=100),
        ),
        on_target_bonus=1000,
        targets={("calls", 2): 0},
    )
    frame = actuals(
        [
            (1, "won_deals", 10), (1, "new_deals", 10), (1, "calls", 150),
            (2, "won_deals", 10), (2, "new_deals", 10), (2, "calls", 150),
        ]
    )  # fmt: skip
    card = scorecard(frame, plan)
    rep1, rep2 = item_rows(card.items, 1), item_rows(card.items, 2)
    # rep 1: 0.5 × 1 + 0.3 × 0.5 + 0.2 × 1.5 = 0.5 + 0.15 + 0.3 = 0.95
    # rep 2: calls excluded; 0.5 and 0.3 scaled by 1 / 0.8 = 1.25 → 0.625, 0.375;
    #        0.625 × 1 + 0.375 × 0.5 = 0.8125
    assert same(card.summary["score"], [0.95, 0.8125])
    assert same(card.summary["bonus"], [950.0, 812.5])
    assert same(rep2["effective_weight"], [0.625, 0.375, 0.0])
    assert rep2["weight"].tolist() == [0.5, 0.3, 0.2]
    assert rep2["excluded"].tolist() == [False, False, True]
    assert math.isnan(rep2.loc["calls", "attainment"]) and math.isnan(rep2.loc["calls", "credited"])
    assert rep2.loc["calls", "points"] == 0.0
    assert rep2.loc["calls", "note"] == "target 0: excluded, the other weights renormalised"
    assert rep1["effective_weight"].tolist() == [0.5, 0.3, 0.2]
    assert same(card.summary["weight_factor"], [1.0, 1.25])
    assert same(card.summary["included_weight"], [1.0, 0.8])
    assert card.summary["excluded_items"].tolist() == [(), ("calls",)]
    assert card.summary["note"].tolist()[0] == ""
    assert "scaled by 1.25" in card.summary["note"].tolist()[1]
    # the effective weights of a rep still sum to the plan's total
    assert rep2["effective_weight"].sum() == pytest.approx(1.0)


def test_missing_target_excludes_and_no_item_left_gives_no_score() -> None:
    plan = Plan(
        (PlanItem("won_deals", 0.6, target=None), PlanItem("new_deals", 0.4, target=20)),
        on_target_bonus=100,
        targets={("won_deals", 1): 10, ("new_deals", 2): 0},
    )
    frame = actuals(
        [(1, "won_deals", 10), (1, "new_deals", 20), (2, "won_deals", 5), (2, "new_deals", 20)]
    )
    card = scorecard(frame, plan)
    # rep 1: both targets (10 by override, 20) → 0.6 + 0.4 = 1.0
    # rep 2: won_deals has no target, new_deals target 0 → nothing left: score NaN
    assert same(card.summary["score"], [1.0, NAN])
    assert same(card.summary["bonus"], [100.0, NAN])
    assert card.summary["excluded_items"].tolist() == [(), ("won_deals", "new_deals")]
    assert item_rows(card.items, 2)["note"].tolist() == [
        "no target: excluded, the other weights renormalised",
        "target 0: excluded, the other weights renormalised",
    ]
    assert "no weighted item is left" in card.summary["note"].tolist()[1]


def test_target_precedence_frame_then_override_then_item() -> None:
    overrides = {("won_deals", 2): 20, ("won_deals", 3): 20}
    plan = Plan((PlanItem("won_deals", 1.0, target=10),), targets=overrides)
    frame = actuals(
        [(1, "won_deals", 10, NAN), (2, "won_deals", 10, NAN), (3, "won_deals", 10, 40)],
        target=True,
    )
    card = scorecard(frame, plan)
    # rep 1: item 10; rep 2: override 20; rep 3: the frame's 40 wins over the override
    assert card.items["target"].tolist() == [10.0, 20.0, 40.0]
    assert card.items["attainment"].tolist() == [1.0, 0.5, 0.25]
    # a target of 0 in the frame excludes
    zero = scorecard(actuals([(1, "won_deals", 10, 0)], target=True), plan)
    assert zero.items["excluded"].tolist() == [True] and math.isnan(zero.summary["score"][0])
    with pytest.raises(ValueError, match="targets must be ≥ 0"):
        scorecard(actuals([(1, "won_deals", 10, -1)], target=True), plan)


def test_partial_period_reps_get_prorated_targets_of_items_that_build_up() -> None:
    # won revenue builds up over the period (prorated), the win rate is a level (not); 64
    # working days: rep 1 employed all of them, 2 for 33, 3 for none, 4 is not listed (all),
    # 5 for 16 with its own won-revenue target of 32 000
    plan = Plan(
        (PlanItem("won_revenue", 0.5, target=64_000, cap=2.0),
         PlanItem("win_rate", 0.5, target=0.4, cap=1.5)),
        on_target_bonus=1000, targets={("won_revenue", 5): 32_000},
    )  # fmt: skip
    frame = actuals([
        (1, "won_revenue", 32_000), (1, "win_rate", 0.4),
        (2, "won_revenue", 33_000), (2, "win_rate", 0.2),
        (3, "won_revenue", 0), (3, "win_rate", NAN),
        (4, "won_revenue", 64_000), (4, "win_rate", 0.6),
        (5, "won_revenue", 12_000), (5, "win_rate", 0.4),
    ])  # fmt: skip
    employment = pd.DataFrame(
        {"rep_id": [1, 2, 3, 5], "worked_days": [64, 33, 0, 16], "total_days": 64}
    )
    card = scorecard(frame, plan, employment=employment, prorated=["won_revenue"])
    revenue = item_rows(card.items, 2).loc["won_revenue"]
    # 64 000 × 33 / 64 = 33 000: met; the win rate keeps its 0.4 (0.2: 50 %)
    targets = card.items.set_index(["rep_id", "metric_key"])["target"]
    assert targets.xs("won_revenue", level="metric_key").tolist() == [64_000, 33_000, 0,
                                                                      64_000, 8_000]  # fmt: skip
    assert targets.xs("win_rate", level="metric_key").tolist() == [0.4] * 5
    assert revenue["note"] == "target prorated: employed 33 of 64 working days"
    assert item_rows(card.items, 1).loc["won_revenue", "note"] == ""
    # 1: 0.5 × 0.5 + 0.5 × 1 = 0.75; 2: 0.5 × 1 + 0.5 × 0.5 = 0.75; 3: no working day, target
    # 0: excluded, the win rate (no actual: 0) alone; 4: 0.5 × 1 + 0.5 × 1.5 = 1.25; 5: its own
    # 32 000 × 16 / 64 = 8 000, 12 000 is 150 %: 0.5 × 1.5 + 0.5 × 1 = 1.25
    assert same(card.summary["score"], [0.75, 0.75, 0.0, 1.25, 1.25])
    assert item_rows(card.items, 3).loc["won_revenue", "note"] == (
        "target prorated: employed 0 of 64 working days; target 0: excluded, the other weights "
        "renormalised"
    )
    notes = card.summary.set_index("rep_id")["note"]
    assert notes[2] == "Targets prorated: employed 33 of 64 working days."
    assert notes[3] == (
        "Targets prorated: employed 0 of 64 working days. Excluded (target 0 or none): "
        "won_revenue; the other weights are scaled by 2 to keep their total at 1."
    )
    assert notes[1] == notes[4] == ""
    # without employment nothing is prorated; the what-if prorates both plans alike
    assert scorecard(frame, plan).items["target"].tolist()[2] == 64_000
    # (a target of 128 000 and no own target: 1 at 25 %, 2 at 33 000 of 66 000, 5 at 12 000
    # of 32 000)
    higher = Plan((PlanItem("won_revenue", 0.5, target=128_000, cap=2.0), plan.items[1]))
    result = what_if(frame, plan, higher, employment=employment, prorated=["won_revenue"])
    assert same(result.reps["new_score"], [0.625, 0.5, 0.0, 1.0, 0.6875])
    too_many = employment.assign(worked_days=65)
    with pytest.raises(ValueError, match="between 0 and the period's total"):
        scorecard(frame, plan, employment=too_many, prorated=["won_revenue"])
    with pytest.raises(ValueError, match="employment frame has more than one row"):
        scorecard(frame, plan, employment=pd.concat([employment, employment]))


def test_missing_actual_is_credited_zero_not_excluded() -> None:
    plan = Plan((PlanItem("won_deals", 0.5, target=10), PlanItem("new_deals", 0.5, target=10)))
    frame = actuals([(1, "won_deals", 10), (2, "won_deals", 10), (2, "new_deals", NAN)])
    card = scorecard(frame, plan, reps=[3, 1, 2])
    # rep 1: new_deals has no row; rep 2: NaN; rep 3: no row at all → all credited 0
    assert card.summary["rep_id"].tolist() == [1, 2, 3]
    assert same(card.summary["score"], [0.5, 0.5, 0.0])
    assert card.items["excluded"].sum() == 0
    assert item_rows(card.items, 1).loc["new_deals", "note"] == "no actual: credited 0"
    assert item_rows(card.items, 1).loc["new_deals", "credited"] == 0.0
    assert card.summary["weight_factor"].tolist() == [1.0, 1.0, 1.0]
    # reps given: only those are scored
    assert scorecard(frame, plan, reps=[2]).summary["rep_id"].tolist() == [2]
    with pytest.raises(ValueError, match="reps lists a rep twice"):
        scorecard(frame, plan, reps=[1, 1])


def test_weights_not_summing_to_one_score_on_their_own_scale() -> None:
    plan = Plan((PlanItem("won_deals", 0.5, target=10), PlanItem("new_deals", 0.4, target=10)))
    card = scorecard(actuals([(1, "won_deals", 10), (1, "new_deals", 10)]), plan)
    assert card.summary["score"].tolist() == [0.9]  # 0.5 × 1 + 0.4 × 1, not renormalised


def test_scorecard_rejects_bad_frames_and_handles_empty_ones() -> None:
    plan = Plan((PlanItem("won_deals", 1.0, target=10),))
    with pytest.raises(ValueError, match="lacks the column"):
        scorecard(pd.DataFrame({"rep_id": [1], "actual": [1.0]}), plan)
    with pytest.raises(ValueError, match="more than one row"):
        scorecard(actuals([(1, "won_deals", 1), (1, "won_deals", 2)]), plan)
    empty = scorecard(actuals([]), plan)
    assert empty.items.empty and empty.summary.empty
    assert list(empty.summary.columns)[:3] == ["rep_id", "score", "bonus"]


# --- the property: improving an actual never lowers the score -------------------------------


@st.composite
def plan_items(draw: st.DrawFn) -> PlanItem:
    hib = draw(st.booleans())
    threshold = draw(st.sampled_from([0.0, 0.5, 0.8, 1.0, 1.2]))
    cap = draw(st.sampled_from([None, 0.0, 0.5, 1.0, 1.5, 2.0]))
    cap = None if cap is None else threshold + cap
    if not hib and cap is None:
        cap = threshold + 1.0
    return PlanItem(
        "x",
        draw(st.floats(0, 1)),
        target=draw(st.sampled_from([None, 0.0, 1.0, 7.0, 100.0])),
        threshold=threshold,
        cap=cap,
        accelerator=draw(st.sampled_from([None, 1.0, 1.5, 3.0])),
        higher_is_better=hib,
    )


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(plan_items(), min_size=1, max_size=4),
    values=st.lists(st.floats(-5, 300, allow_nan=False), min_size=4, max_size=4),
    which=st.integers(0, 3),
    step=st.floats(0.001, 200),
)
def test_score_never_decreases_when_an_actual_improves(
    items: list[PlanItem], values: list[float], which: int, step: float
) -> None:
    items = [
        PlanItem(f"m{k}", i.weight, i.target, i.threshold, i.cap, i.accelerator, i.higher_is_better)
        for k, i in enumerate(items)
    ]
    plan = Plan(tuple(items), on_target_bonus=1000)
    which %= len(items)
    before = [(1, item.metric_key, values[k]) for k, item in enumerate(items)]
    after = list(before)
    improved = values[which] + (step if items[which].higher_is_better else -step)
    after[which] = (1, items[which].metric_key, improved)
    old = scorecard(actuals(before), plan).summary.iloc[0]
    new = scorecard(actuals(after), plan).summary.iloc[0]
    if math.isnan(old["score"]):
        assert math.isnan(new["score"])  # exclusion depends on the targets only
    else:
        assert new["score"] >= old["score"]
        assert new["bonus"] >= old["bonus"]


# --- what-if -------------------------------------------------------------------------------


def test_what_if_scores_pool_and_who_gains() -> None:
    old = Plan(
        (PlanItem("won_deals", 0.5, target=10, cap=1.5), PlanItem("new_deals", 0.5, 20, cap=1.5)),
        on_target_bonus=1000,
    )
    new = Plan(
        (PlanItem("won_deals", 0.7, target=8, cap=1.5), PlanItem("new_deals", 0.3, 20, cap=1.5)),
        on_target_bonus=1000,
    )
    frame = actuals(
        [
            (1, "won_deals", 10), (1, "new_deals", 10),
            (2, "won_deals", 4), (2, "new_deals", 30),
            (3, "won_deals", 8), (3, "new_deals", 20),
        ]
    )  # fmt: skip
    result = what_if(frame, old, new)
    reps = result.reps
    assert list(reps.columns) == [
        "rep_id",
        "score",
        "bonus",
        "new_score",
        "new_bonus",
        "score_delta",
        "bonus_delta",
        "change",
    ]
    # old: rep 1 0.5×1 + 0.5×0.5 = 0.75; rep 2 0.5×0.4 + 0.5×1.5 = 0.95; rep 3 0.4 + 0.5 = 0.9
    assert same(reps["score"], [0.75, 0.95, 0.9])
    # new: rep 1 0.7×1.25 + 0.3×0.5 = 1.025; rep 2 0.7×0.5 + 0.3×1.5 = 0.8; rep 3 0.7 + 0.3 = 1
    assert same(reps["new_score"], [1.025, 0.8, 1.0])
    assert same(reps["bonus_delta"], [275.0, -150.0, 100.0])
    assert same(reps["score_delta"], [0.275, -0.15, 0.1])
    assert reps["change"].tolist() == ["gains", "loses", "gains"]
    assert result.pool == pytest.approx(2600.0)  # 750 + 950 + 900
    assert result.new_pool == pytest.approx(2825.0)  # 1025 + 800 + 1000
    assert result.pool_delta == pytest.approx(225.0)
    assert result.gainers == (1, 3) and result.losers == (2,)
    assert result.before.summary["score"].tolist() == reps["score"].tolist()


def test_what_if_same_plan_and_score_only_changes() -> None:
    plan = Plan((PlanItem("won_deals", 1.0, target=10),))
    frame = actuals([(1, "won_deals", 5), (2, "won_deals", 0)])
    same_plan = what_if(frame, plan, plan)
    assert same_plan.reps["change"].tolist() == ["unchanged", "unchanged"]
    assert same_plan.pool == same_plan.new_pool == 0.0 and same_plan.pool_delta == 0.0
    # no on-target bonus: the score decides; a rep excluded before (NaN score) counts as 0
    excluded_before = Plan((PlanItem("won_deals", 1.0, target=0),))
    result = what_if(frame, excluded_before, plan)
    assert result.reps["change"].tolist() == ["gains", "unchanged"]  # NaN → 0.5; NaN → 0
    assert same(result.reps["score_delta"], [NAN, NAN])


# --- pacing and working days ---------------------------------------------------------------


def test_pacing_boundaries_higher_is_better() -> None:
    # target 100, 10 of 20 working days: expected 50; at risk below 50, off at 10 % behind (45)
    got = pacing([50.001, 50, 49.999, 45.001, 45, 44.999], 100, 10, 20)
    assert list(got.columns) == ["actual", "target", "expected", "shortfall", "status"]
    assert got["expected"].tolist() == [50.0] * 6
    assert got["status"].tolist() == [
        "on track",
        "on track",
        "at risk",
        "at risk",
        "off track",
        "off track",
    ]
    assert same(got["shortfall"], [0.0, 0.0, 0.00002, 0.09998, 0.1, 0.10002])


def test_pacing_boundaries_lower_is_better() -> None:
    # a budget of 100 used up linearly: 50 allowed after half the days; over it is behind
    got = pacing([49.999, 50, 50.001, 54.999, 55, 55.001], 100, 10, 20, higher_is_better=False)
    assert got["status"].tolist() == [
        "on track",
        "on track",
        "at risk",
        "at risk",
        "off track",
        "off track",
    ]
    # a level (e.g. cycle days): the target holds throughout; 33 is 10 % over 30
    level = pacing([30, 32.999, 33, 33.001], 30, 5, 20, False, cumulative=False)
    assert level["expected"].tolist() == [30.0] * 4
    assert level["status"].tolist() == ["on track", "at risk", "off track", "off track"]


def test_pacing_edges_and_validation() -> None:
    # day 0: expected 0; nothing done is on track, a lower-is-better budget already used is off
    start = pacing([0, 1], 100, 0, 20, [True, False])
    assert start["status"].tolist() == ["on track", "off track"]
    assert start["shortfall"].tolist() == [0.0, math.inf]
    # full period: expected = target
    assert pacing(99, 100, 20, 20)["status"].tolist() == ["at risk"]
    # no target or no actual: no status
    missing = pacing([10, NAN], [0, 100], 10, 20)
    assert missing["status"].isna().tolist() == [True, True]
    assert math.isnan(missing["expected"][0]) and missing["expected"][1] == 50.0
    assert PACING_STATES == ("on track", "at risk", "off track")
    with pytest.raises(ValueError, match="between 0 and the period's total"):
        pacing(1, 10, 21, 20)
    with pytest.raises(ValueError, match="at least one working day"):
        pacing(1, 10, 0, 0)
    with pytest.raises(ValueError, match="tolerance must be between 0 and 1"):
        pacing(1, 10, 1, 20, tolerance=10)


def test_working_days_half_open_monday_to_friday() -> None:
    assert working_days("2024-01-01", "2024-01-08") == 5  # Mon … Fri; next Mon excluded
    assert working_days("2024-01-01", "2024-01-01") == 0  # empty
    assert working_days("2024-01-05", "2024-01-06") == 1  # Fri
    assert working_days("2024-01-06", "2024-01-08") == 0  # Sat, Sun
    assert working_days(dt.date(2024, 1, 1), dt.date(2024, 2, 1)) == 23  # January 2024
    assert working_days("2024-01-01", "2024-02-01", holidays=["2024-01-01", "2024-01-06"]) == 22
    # times of day and time zones are ignored: the dates count
    start = pd.Timestamp("2024-01-01 18:30", tz="Europe/Berlin")
    assert working_days(start, pd.Timestamp("2024-01-03 08:00", tz="Europe/Berlin")) == 2
    many = working_days(["2024-01-01", "2024-01-06"], "2024-01-08")
    assert isinstance(many, np.ndarray) and many.tolist() == [5, 0]
    assert working_days("2024-01-08", "2024-01-01") == 0  # an empty (reversed) period


def test_prorate_partial_period() -> None:
    # joined on Mon 15 Jan: 13 of January's 23 working days → 30 × 13 / 23
    worked = working_days("2024-01-15", "2024-02-01")
    assert worked == 13
    assert prorate(30, worked, 23) == 30 * 13 / 23
    assert prorate([10, 20], 5, 10).tolist() == [5.0, 10.0]
    with pytest.raises(ValueError, match="between 0 and the period's total"):
        prorate(10, 11, 10)


# --- plan warnings -------------------------------------------------------------------------


def kinds(warnings: list[PlanWarning]) -> list[tuple[str | None, str]]:
    return [(w.item, w.kind) for w in warnings]


def test_structural_warnings() -> None:
    plan = Plan(
        (
            PlanItem("a", 0.3, target=10, threshold=1.2, cap=1.2),
            PlanItem("b", 0.3, target=None, cap=0.9, accelerator=2.0),
            PlanItem("c", 0.0, target=0, accelerator=1.5),
            PlanItem("d", 0.3, target=5),
        )
    )
    warnings = plan_warnings(plan)
    assert kinds(warnings) == [
        (None, "weights_sum"),
        ("a", "threshold_above_target"),
        ("a", "cap_equals_threshold"),
        ("b", "no_target"),
        ("b", "cap_below_target"),
        ("b", "accelerator_unused"),
        ("c", "target_zero"),
        ("c", "zero_weight"),
        ("c", "uncapped_accelerator"),
    ]
    assert warnings[0].message.startswith("The weights sum to 0.9 (90 %), not 100 %")
    assert all(w.message.startswith(f"{w.item}: ") for w in warnings[1:])
    # an override for b silences "no target"
    with_override = Plan(plan.items, targets={("b", 1): 3})
    assert ("b", "no_target") not in kinds(plan_warnings(with_override))


@pytest.mark.parametrize(
    ("weights", "warned"),
    [
        ((0.5, 0.5), False),
        ((0.5, 0.5 + 1e-10), False),
        ((0.5, 0.5 + 1e-8), True),
        ((0.6, 0.5), True),
    ],
)
def test_weights_sum_tolerance(weights: tuple[float, float], warned: bool) -> None:
    plan = Plan((PlanItem("a", weights[0], target=1), PlanItem("b", weights[1], target=1)))
    assert ("weights_sum" in [w.kind for w in plan_warnings(plan)]) is warned


def test_percent_weights_are_spotted() -> None:
    plan = Plan((PlanItem("a", 60, target=1), PlanItem("b", 40, target=1)))
    (warning,) = plan_warnings(plan)
    assert warning.kind == "weights_sum" and "enter fractions (0.3 for 30 %)" in warning.message


def history(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", "rep_id", "metric_key", "actual"]).astype(
        {"actual": "float64"}
    )


@pytest.mark.parametrize(("best", "warned"), [(999, True), (1000, False), (1001, False)])
def test_unreachable_target_at_the_boundary(best: float, warned: bool) -> None:
    plan = Plan((PlanItem("won_deals", 1.0, target=1000),))
    rows = [
        (p, rep, "won_deals", 500)
        for p in ["2024-01", "2024-02", "2024-03", "2024-04"]
        for rep in (1, 2)
    ]
    rows[-1] = ("2024-04", 2, "won_deals", best)
    assert (
        ("won_deals", "unreachable_target") in kinds(plan_warnings(plan, history(rows)))
    ) is warned


def test_unreachable_looks_at_the_last_four_periods_only() -> None:
    plan = Plan((PlanItem("won_deals", 1.0, target=10),))
    rows = [(p, 1, "won_deals", 5) for p in ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]]
    rows[0] = ("2024-01", 1, "won_deals", 12)  # met, but five periods ago
    (warning,) = plan_warnings(plan, history(rows))
    assert warning.kind == "unreachable_target"
    assert (
        "last 4 period(s) (those starting 2024-02 to 2024-05); the best attainment was 50 %"
        in warning.message
    )
    assert plan_warnings(plan, history(rows), periods=5) == []
    rows[1] = ("2024-02", 1, "won_deals", 10)  # met inside the window
    assert plan_warnings(plan, history(rows)) == []


def test_messages_name_items_by_label_with_percents_to_a_tenth() -> None:
    plan = Plan((PlanItem("won_deals", 1.0, target=3),))
    rows = [("2024-01", 1, "won_deals", 7.87773), ("2024-01", 2, "won_deals", 8)]
    (warning,) = plan_warnings(plan, history(rows), labels={"won_deals": "Won deals"})
    # median attainment 7.938865 / 3 = 2.64629 -> 264.6 %
    assert warning.message.startswith(
        "Won deals: the median rep reached 264.6 % of the target in the period starting 2024-01"
    )
    (unlabelled,) = plan_warnings(plan, history(rows))
    assert unlabelled.message.startswith("won_deals: the median rep reached 264.6 %")


@pytest.mark.parametrize(("middle", "warned"), [(1499, False), (1500, True), (1501, True)])
def test_easy_target_at_the_boundary(middle: float, warned: bool) -> None:
    plan = Plan((PlanItem("won_deals", 1.0, target=1000),))
    rows = [
        ("2024-01", 1, "won_deals", 100),  # older period: ignored by the median
        ("2024-02", 1, "won_deals", 900),
        ("2024-02", 2, "won_deals", middle),  # the median of 900, middle, 3000
        ("2024-02", 3, "won_deals", 3000),
    ]
    found = kinds(plan_warnings(plan, history(rows)))
    assert (("won_deals", "easy_target") in found) is warned


def test_history_warnings_use_rep_targets_and_direction() -> None:
    plan = Plan(
        (
            PlanItem("won_deals", 0.5, target=10),
            PlanItem("sales_cycle", 0.5, target=30, cap=1.5, higher_is_better=False),
        ),
        targets={("won_deals", 1): 4},
    )
    rows = [
        ("2024-01", 1, "won_deals", 4),  # target 4 by override: met
        ("2024-01", 2, "won_deals", 6),  # target 10: not met
        ("2024-01", 1, "sales_cycle", 60),  # 30/60 = 0.5
        ("2024-01", 2, "sales_cycle", 40),  # 30/40 = 0.75: nobody met the cycle target
        ("2024-01", 3, "other", 1),
    ]
    assert kinds(plan_warnings(plan, history(rows))) == [("sales_cycle", "unreachable_target")]
    # a history target column wins over the plan's
    frame = history(rows).assign(target=[NAN, 6, NAN, NAN, NAN])
    assert kinds(plan_warnings(plan, frame)) == [("sales_cycle", "unreachable_target")]
    frame = history(rows).assign(target=[5, NAN, NAN, NAN, NAN])  # rep 1 now misses too
    assert ("won_deals", "unreachable_target") in kinds(plan_warnings(plan, frame))


def test_history_counts_only_the_reps_employed_then_with_prorated_targets() -> None:
    # target 10 won deals; in the latest period rep 1 won 15 (150 %), rep 2 20 (200 %), rep 3
    # was not employed yet (0 working days) and rep 4 for 33 of 66 working days won 8: 8 of
    # 10 × 33 / 66 = 5 is 160 %.  Median of 150, 200, 160 = 160 %: easy.  Counting rep 3 as 0
    # and rep 4 at 80 % the median would be (80 + 150) / 2 = 115 %.
    plan = Plan((PlanItem("won_deals", 1.0, target=10),))
    rows = history([("2026-07", rep, "won_deals", won) for rep, won in
                    [(1, 15), (2, 20), (3, 0), (4, 8)]])  # fmt: skip
    assert plan_warnings(plan, rows) == []
    employment = pd.DataFrame({"period": "2026-07", "rep_id": [3, 4], "worked_days": [0, 33],
                               "total_days": 66})  # fmt: skip
    warnings = plan_warnings(plan, rows, employment=employment, prorated=["won_deals"])
    assert kinds(warnings) == [("won_deals", "easy_target")]
    assert "the median rep reached 160 % of the target" in warnings[0].message
    # not prorated (a level): rep 4 at 80 %, the median (150 + 200 + 80) is 150 %
    level = plan_warnings(plan, rows, employment=employment)
    assert "the median rep reached 150 % of the target" in level[0].message


def test_plan_warnings_validation() -> None:
    plan = Plan((PlanItem("won_deals", 1.0, target=10),))
    with pytest.raises(ValueError, match="periods must be a whole number"):
        plan_warnings(plan, periods=0)
    with pytest.raises(ValueError, match="easy_factor must be above 1"):
        plan_warnings(plan, easy_factor=1.0)
    with pytest.raises(ValueError, match="more than one row"):
        plan_warnings(plan, history([("p", 1, "won_deals", 1), ("p", 1, "won_deals", 2)]))
    assert plan_warnings(plan, history([])) == []


# --- gaming signals ------------------------------------------------------------------------


def activity(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rep_id", "period", "activities", "conversions"])


def three_periods(rep: int, last_activities: float, last_conversions: float) -> list[tuple]:
    # previous: 1000 + 1000 activities (mean 1000), 100 + 100 conversions (rate 0.1)
    return [(rep, 1, 1000, 100), (rep, 2, 1000, 100), (rep, 3, last_activities, last_conversions)]


def test_volume_up_conversion_down_at_the_boundaries() -> None:
    rows = (
        three_periods(1, 1200, 96)  # +20 % exactly, rate 0.08 = −20 % exactly: flagged
        + three_periods(2, 1198, 80)  # +19.9 %: not flagged
        + three_periods(3, 1202, 96.2802)  # drop 1 − 0.0801/0.1 = 19.9 %: not flagged
        + three_periods(5, 1202, 96)  # +20.2 %, drop 1 − 0.07987/0.1 = 20.13 %: flagged
        + [(4, 2, 1000, 100), (4, 3, 2000, 10)]  # one previous period only
        + [(6, 1, 1000, 0), (6, 2, 1000, 0), (6, 3, 2000, 0)]  # no conversions before
        + [(7, 1, 1000, 100), (7, 2, 1000, 100)]  # no row in the latest period
    )
    got = gaming_signals(activity(rows))
    assert got["rep_id"].tolist() == [1, 5]
    assert got["signal"].tolist() == [GAMING_SIGNALS[0]] * 2
    first = got.iloc[0]
    assert first["activities_last"] == 1200.0 and first["activities_before"] == 1000.0
    assert first["conversion_last"] == 0.08 and first["conversion_before"] == 0.1
    assert math.isnan(first["calls"]) and math.isnan(first["short_share"])
    assert first["message"] == (
        "Activities up 20% on the mean of the previous 2 period(s) (1000 → 1200) while "
        "conversions per activity fell 20% (10.00% → 8.00%): check the quality of the logged "
        "activities."
    )
    # with one previous period enough, rep 4 (+100 %, 10 % → 0.5 %) is flagged too
    looser = gaming_signals(activity(rows), min_previous_periods=1)
    assert looser["rep_id"].tolist() == [1, 4, 5]
    stricter = gaming_signals(activity(rows), volume_increase=0.201, conversion_drop=0.2)
    assert stricter["rep_id"].tolist() == [5]


def test_volume_is_compared_per_working_day_when_the_frame_has_them() -> None:
    # rep 1 goes from 24 to 58 activities a working day: 504, 528 and 528 on 21, 22 and 22
    # days (78 conversions: 5 %), then 406 in the 7 working days of the running month (8: 1.97
    # %): +141.7 %, −60.6 %.  In raw counts 406 is below the mean month (520): no signal.
    # Rep 2 joined 5 working days into the first month and logs 24 a day all along: 120, 528,
    # 528, then 504 on 21 days (+0 %), although 504 is 28.6 % above the mean month (392).
    frame = pd.DataFrame(
        [(1, 1, 504, 26, 21), (1, 2, 528, 26, 22), (1, 3, 528, 26, 22), (1, 4, 406, 8, 7),
         (2, 1, 120, 6, 5), (2, 2, 528, 26, 22), (2, 3, 528, 26, 22), (2, 4, 504, 10, 21)],
        columns=["rep_id", "period", "activities", "conversions", "working_days"],
    )  # fmt: skip
    got = gaming_signals(frame)
    assert got["rep_id"].tolist() == [1]
    row = got.iloc[0]
    assert (row["activities_before"], row["activities_last"]) == (24.0, 58.0)
    assert row["message"] == (
        "Activities per working day up 142% on the previous 3 period(s) (24 → 58) while "
        "conversions per activity fell 61% (5.00% → 1.97%): check the quality of the logged "
        "activities."
    )
    assert gaming_signals(frame.drop(columns="working_days"))["rep_id"].tolist() == [2]
    # a period without a working day has no rate: left out of the previous periods
    idle = pd.concat([frame, pd.DataFrame([(1, 0, 0, 0, 0)], columns=frame.columns)])
    assert (
        gaming_signals(idle)
        .iloc[0]["message"]
        .startswith("Activities per working day up 142% on the previous 3 period(s)")
    )
    with pytest.raises(ValueError, match="'working_days' of the activity_by_period frame"):
        gaming_signals(frame.assign(working_days=-1))


def test_many_short_calls_at_the_boundaries() -> None:
    counts = pd.DataFrame(
        {
            "rep_id": [1, 2, 3, 4, 5],
            "calls": [1000, 1000, 1000, 19, 20],
            "short_calls": [500, 501, 499, 19, 20],
        }
    )
    got = gaming_signals(activity([]), counts)
    # 50 % is not above 50 %; 50.1 % is; 49.9 % is not; 19 calls are too few; 20 of 20 flag
    assert got["rep_id"].tolist() == [2, 5]
    assert got["signal"].tolist() == ["short_calls", "short_calls"]
    assert got["short_share"].tolist() == [0.501, 1.0]
    assert got["calls"].tolist() == [1000.0, 20.0] and got["short_calls"].tolist() == [501.0, 20.0]
    assert got["message"][0] == (
        "501 of 1000 calls (50%) were shorter than 2 min (more than 50%): check whether the "
        "calls are real conversations."
    )
    assert math.isnan(got["activities_last"][0])


def test_short_calls_from_durations() -> None:
    calls = pd.DataFrame(
        {
            "rep_id": [1] * 4 + [2] * 5 + [3] * 4,
            "duration_min": [1.999, 1.999, 2.0, 5.0]  # 2 of 4 shorter than 2 min: 50 %, no
            + [1.999, 1.999, 1.999, 2.001, NAN]  # 3 of 4 timed calls: 75 %, flagged
            + [0.5, 0.5, 0.5, 0.5],  # 4 of 4, but min_calls 5 below
        }
    )
    got = gaming_signals(activity([]), calls, min_calls=4)
    assert got["rep_id"].tolist() == [2, 3]
    assert got["short_share"].tolist() == [0.75, 1.0]
    assert gaming_signals(activity([]), calls, min_calls=5)["rep_id"].tolist() == []
    assert gaming_signals(activity([]), calls, min_calls=4, short_call_minutes=1.999)[
        "rep_id"
    ].tolist() == [3]  # 1.999 is not under 1.999: reps 1 and 2 have no short call left
    assert gaming_signals(activity([]), calls, min_calls=4, short_call_minutes=2.001)[
        "rep_id"
    ].tolist() == [1, 2, 3]  # now 2.0 counts: rep 1 3 of 4


def test_both_signals_sorted_and_empty_shape() -> None:
    calls = pd.DataFrame({"rep_id": [1], "calls": [20], "short_calls": [15]})
    got = gaming_signals(activity(three_periods(1, 1500, 60)), calls)
    assert got[["rep_id", "signal"]].values.tolist() == [
        [1, "short_calls"],
        [1, "volume_up_conversion_down"],
    ]
    none = gaming_signals(activity(three_periods(1, 1000, 100)))
    assert none.empty and list(none.columns) == [
        "rep_id", "signal", "message", "activities_last", "activities_before",
        "conversion_last", "conversion_before", "calls", "short_calls", "short_share",
    ]  # fmt: skip


def test_gaming_signals_validation() -> None:
    with pytest.raises(ValueError, match="'activities' of the activity_by_period frame"):
        gaming_signals(activity([(1, 1, -1, 0)]))
    with pytest.raises(ValueError, match="lacks the column"):
        gaming_signals(pd.DataFrame({"rep_id": [1]}))
    with pytest.raises(ValueError, match="calls frame lacks"):
        gaming_signals(activity([]), pd.DataFrame({"rep_id": [1], "calls": [3]}))
    with pytest.raises(ValueError, match="short_calls must not exceed calls"):
        gaming_signals(
            activity([]), pd.DataFrame({"rep_id": [1], "calls": [3], "short_calls": [4]})
        )
    with pytest.raises(ValueError, match="conversion_drop must be in"):
        gaming_signals(activity([]), conversion_drop=0)
    with pytest.raises(ValueError, match="short_call_share must be in"):
        gaming_signals(activity([]), short_call_share=1)
    with pytest.raises(ValueError, match="min_calls must be a whole number"):
        gaming_signals(activity([]), min_calls=0)
