"""``Filters`` and ``Scope`` values: validation, normalisation, comparison periods."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crm_data.filters import Filters, Scope


def test_period_and_default_comparison() -> None:
    f = Filters(date(2025, 1, 1), date(2025, 4, 1))
    assert f.start_ts == datetime(2025, 1, 1)
    assert f.end_ts == datetime(2025, 4, 1)
    assert f.as_of_ts == datetime(2025, 4, 1)
    # the previous 90 days
    assert f.compare_period() == (date(2024, 10, 3), date(2025, 1, 1))
    assert f.comparison() == Filters(date(2024, 10, 3), date(2025, 1, 1))


def test_explicit_comparison_and_as_of() -> None:
    f = Filters(
        date(2025, 1, 1),
        date(2025, 4, 1),
        compare_start=date(2024, 1, 1),
        compare_end=date(2024, 4, 1),
        reps=(3,),
        as_of=date(2025, 2, 15),
    )
    assert f.as_of_ts == datetime(2025, 2, 15)
    comparison = f.comparison()
    assert (comparison.start, comparison.end, comparison.reps) == (
        date(2024, 1, 1),
        date(2024, 4, 1),
        (3,),
    )
    assert comparison.as_of is None  # as_of follows the new end


def test_lists_are_normalised_and_hashable() -> None:
    a = Filters(date(2025, 1, 1), date(2025, 2, 1), reps=[5, 3, 5], regions=["West", "East"])
    b = Filters(date(2025, 1, 1), date(2025, 2, 1), reps=(3, 5), regions=("East", "West"))
    assert a == b and hash(a) == hash(b)
    assert a.reps == (3, 5) and a.regions == ("East", "West")


def test_last_days() -> None:
    f = Filters.last_days(date(2025, 3, 1), 28, teams=(2,))
    assert (f.start, f.end, f.teams) == (date(2025, 2, 1), date(2025, 3, 1), (2,))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": date(2025, 2, 1), "end": date(2025, 2, 1)}, "The period is empty"),
        ({"start": date(2025, 2, 1), "end": date(2025, 1, 1)}, "The period is empty"),
        (
            {"start": date(2025, 1, 1), "end": date(2025, 2, 1), "compare_start": date(2024, 1, 1)},
            "both compare_start and compare_end",
        ),
    ],
)
def test_invalid_filters(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Filters(**kwargs)  # type: ignore[arg-type]


def test_filters_need_dates() -> None:
    with pytest.raises(TypeError):
        Filters("2025-01-01", "2025-02-01")  # type: ignore[arg-type]


def test_scopes() -> None:
    assert Scope.everyone().sees_all
    assert Scope("exec").sees_all and Scope("analyst").sees_all
    rep = Scope.rep(7)
    assert (rep.role, rep.employee_id, rep.sees_all) == ("rep", 7, False)
    head = Scope.head(2, employee_id=9)
    assert (head.team_id, head.sees_all) == (2, False)
    with pytest.raises(ValueError, match="employee_id"):
        Scope("rep")
    with pytest.raises(ValueError, match="team_id"):
        Scope("head")
    with pytest.raises(ValueError, match="Unknown role"):
        Scope("owner")  # type: ignore[arg-type]
