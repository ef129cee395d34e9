"""An incentive plan (METRICS.md "Incentive scorecards"): its items, the on-target bonus, per-rep
target overrides and the period it may cover.

**Weights, thresholds and caps are fractions**: 0.3 = 30 %, 1.5 = 150 %.  Every check names the
item and what to change, so a plan that is built is one that can be scored.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from analytics.incentives._checks import finite_number, percent
from analytics.periods import shift_months
from i18n import _, ngettext
from i18n.formatting import format_day

__all__ = [
    "MAX_PERIOD_MONTHS",
    "PERIOD_FIRST_DAY",
    "PERIOD_LAST_DAY",
    "Plan",
    "PlanItem",
    "check_period",
]


@dataclass(frozen=True)
class PlanItem:
    """One item of an incentive plan (METRICS.md "Incentive scorecards").

    Attributes
    ----------
    metric_key : str
        Key of the metric in the catalogue (``reports.catalogue``), e.g. ``"won_deals"``.
    weight : float
        Share of the score, a fraction ≥ 0 (0.3 = 30 %); a plan's weights should sum to 1.
    target : float, optional
        Target for every rep (≥ 0); None = no plan-wide target (per-rep targets only).  A
        target of 0 excludes the item for the reps it applies to.
    threshold : float
        Minimum attainment that counts (fraction ≥ 0, 0.5 = 50 %); below it the item credits 0.
    cap : float, optional
        Maximum credited attainment (≥ threshold, 1.5 = 150 %); None = uncapped.  Required for
        lower-is-better items, whose attainment is unbounded as the actual falls to 0.
    accelerator : float, optional
        Multiplier (≥ 1) of the attainment above 100 %: ``1 + (a − 1) × accelerator``.
    higher_is_better : bool
        Direction of the metric (the catalogue's ``higher_is_better``).
    label : str, optional
        How messages name the item (the catalogue's label); default the metric key.  Not part
        of the item's identity (items compare equal without it).

    Raises
    ------
    ValueError
        Naming the item and what to change.
    """

    metric_key: str
    weight: float
    target: float | None = None
    threshold: float = 0.0
    cap: float | None = None
    accelerator: float | None = None
    higher_is_better: bool = True
    label: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.metric_key, str) or not self.metric_key.strip():
            raise ValueError(
                "a plan item needs a metric key (a catalogue key such as 'won_deals'), "
                f"got {self.metric_key!r}"
            )
        name = _("plan item {item}").format(item=repr(self.label or self.metric_key.strip()))
        weight = finite_number(self.weight, _("{item}: weight").format(item=name))
        if weight < 0:
            raise ValueError(
                _("{item}: weight must be ≥ 0 (a fraction, 0.3 for 30 %), got {value}").format(
                    item=name, value=f"{weight:g}"
                )
            )
        target = (
            None
            if self.target is None
            else finite_number(self.target, _("{item}: target").format(item=name))
        )
        if target is not None and target < 0:
            raise ValueError(
                _("{item}: target must be ≥ 0 (0 excludes the item), got {value}").format(
                    item=name, value=f"{target:g}"
                )
            )
        threshold = finite_number(self.threshold, _("{item}: threshold").format(item=name))
        if threshold < 0:
            raise ValueError(
                _(
                    "{item}: threshold must be ≥ 0 (a fraction of the target, 0.5 for 50 %), "
                    "got {value}"
                ).format(item=name, value=f"{threshold:g}")
            )
        cap = (
            None
            if self.cap is None
            else finite_number(self.cap, _("{item}: cap (None = no cap)").format(item=name))
        )
        if cap is not None and cap < threshold:
            raise ValueError(
                _(
                    "{item}: cap {cap} is below the threshold {threshold}; raise "
                    "the cap to at least the threshold or lower the threshold"
                ).format(item=name, cap=percent(cap), threshold=percent(threshold))
            )
        accelerator = None
        if self.accelerator is not None:
            accelerator = finite_number(
                self.accelerator, _("{item}: accelerator").format(item=name)
            )
            if accelerator < 1:
                raise ValueError(
                    _(
                        "{item}: accelerator must be ≥ 1 (a multiplier above 100 %), "
                        "got {value}; leave it empty for none"
                    ).format(item=name, value=f"{accelerator:g}")
                )
        if not isinstance(self.higher_is_better, bool | np.bool_):
            raise ValueError(f"{name}: higher_is_better must be True or False")
        if not self.higher_is_better and cap is None:
            raise ValueError(
                _(
                    "{item}: a lower-is-better item needs a cap (attainment = target / actual "
                    "grows without bound as the actual falls to 0); set a cap, e.g. 150 %"
                ).format(item=name)
            )
        object.__setattr__(self, "metric_key", self.metric_key.strip())
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "threshold", threshold)
        object.__setattr__(self, "cap", cap)
        object.__setattr__(self, "accelerator", accelerator)
        object.__setattr__(self, "higher_is_better", bool(self.higher_is_better))


@dataclass(frozen=True)
class Plan:
    """An incentive plan: items, the on-target bonus and per-rep target overrides.

    Attributes
    ----------
    items : tuple of PlanItem
        At least one item; metric keys unique.
    on_target_bonus : float
        Bonus paid at a score of 1 (100 %); ``bonus = on_target_bonus × score``.
    targets : mapping
        ``(metric_key, rep_id) -> target`` overriding the item's target for one rep (≥ 0;
        0 excludes the item for that rep).

    Raises
    ------
    ValueError
        Naming the item or override and what to change.

    Examples
    --------
    >>> plan = Plan((PlanItem("won_deals", 0.6, target=10), PlanItem("new_deals", 0.4, 20)),
    ...             on_target_bonus=1000, targets={("won_deals", 7): 12})
    >>> plan.target_for("won_deals", 7), plan.target_for("won_deals", 8), plan.total_weight
    (12.0, 10.0, 1.0)
    """

    items: tuple[PlanItem, ...]
    on_target_bonus: float = 0.0
    targets: Mapping[tuple[str, Hashable], float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        items = tuple(self.items)
        if not items:
            raise ValueError(_("a plan needs at least one item"))
        for position, item in enumerate(items):
            if not isinstance(item, PlanItem):
                raise ValueError(f"plan item #{position + 1} must be a PlanItem, got {item!r}")
        keys = [item.metric_key for item in items]
        named = {item.metric_key: item.label or item.metric_key for item in items}
        twice = sorted({named[key] for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(
                _("the plan names {items} more than once; keep one item per metric").format(
                    items=", ".join(map(repr, twice))
                )
            )
        bonus = finite_number(self.on_target_bonus, _("the on-target bonus"))
        if bonus < 0:
            raise ValueError(
                _("the on-target bonus must be ≥ 0, got {value}").format(value=f"{bonus:g}")
            )
        targets: dict[tuple[str, Hashable], float] = {}
        for key, value in dict(self.targets).items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise ValueError(f"target override keys are (metric_key, rep_id), got {key!r}")
            if key[0] not in keys:
                raise ValueError(
                    f"target override {key!r} names {key[0]!r}, which is not an item of the "
                    f"plan ({', '.join(keys)}); add the item or drop the override"
                )
            target = finite_number(value, _("target override {key}").format(key=repr(key)))
            if target < 0:
                raise ValueError(
                    _("target override {key} must be ≥ 0, got {value}").format(
                        key=repr(key), value=f"{target:g}"
                    )
                )
            targets[key] = target
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "on_target_bonus", bonus)
        object.__setattr__(self, "targets", targets)

    @property
    def keys(self) -> tuple[str, ...]:
        """The metric keys of the items, in plan order."""
        return tuple(item.metric_key for item in self.items)

    @property
    def total_weight(self) -> float:
        """Σ of the item weights (exact float sum); 1 for a well-formed plan."""
        return math.fsum(item.weight for item in self.items)

    def item(self, metric_key: str) -> PlanItem:
        """The item of ``metric_key`` (KeyError naming the plan's keys)."""
        for item in self.items:
            if item.metric_key == metric_key:
                return item
        raise KeyError(f"no plan item {metric_key!r}; the plan has {', '.join(self.keys)}")

    def target_for(self, metric_key: str, rep_id: Hashable) -> float | None:
        """The rep's target of ``metric_key``: the override, else the item's target."""
        if (metric_key, rep_id) in self.targets:
            return self.targets[(metric_key, rep_id)]
        return self.item(metric_key).target


#: The first and the last day a plan's period may cover, so that every date computed from it
#: (the earlier periods of the sanity warnings, the next period of a copy) is a valid date.
PERIOD_FIRST_DAY = date(2000, 1, 1)
PERIOD_LAST_DAY = date(2100, 12, 31)
#: The longest plan period, in calendar months.
MAX_PERIOD_MONTHS = 36


def check_period(start: date, end: date) -> None:
    """Refuse a plan period ``[start, end)`` that cannot be scored, saying what to change.

    The end must be after the start, the days from :data:`PERIOD_FIRST_DAY` to
    :data:`PERIOD_LAST_DAY`, and the period at most :data:`MAX_PERIOD_MONTHS` months long.

    Raises
    ------
    ValueError
        Naming the period (first and last day) and what to change.

    Examples
    --------
    >>> check_period(date(2026, 10, 1), date(2027, 1, 1))
    >>> check_period(date(2026, 10, 1), date(9999, 12, 31))
    Traceback (most recent call last):
    ...
    ValueError: the period 2026-10-01 – 9999-12-30 goes beyond the years 2000–2100: pick days from 2000-01-01 to 2100-12-31
    """  # noqa: E501
    for day, what in ((start, "start"), (end, "end")):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"the period {what} must be a date, got {day!r}")
    if end <= start:
        raise ValueError(
            _(
                "the period ends ({end}) on or before it starts ({start}): the end must be after "
                "the start (the end day itself is not part of the period)"
            ).format(end=format_day(end), start=format_day(start))
        )
    last = end - timedelta(days=1)
    if start < PERIOD_FIRST_DAY or last > PERIOD_LAST_DAY:
        raise ValueError(
            _(
                "the period {start} – {last} goes beyond the years {first_year}–{last_year}: "
                "pick days from {first_day} to {last_day}"
            ).format(
                start=format_day(start),
                last=format_day(last),
                first_year=PERIOD_FIRST_DAY.year,
                last_year=PERIOD_LAST_DAY.year,
                first_day=format_day(PERIOD_FIRST_DAY),
                last_day=format_day(PERIOD_LAST_DAY),
            )
        )
    if end > shift_months(start, MAX_PERIOD_MONTHS):
        years = MAX_PERIOD_MONTHS // 12
        raise ValueError(
            ngettext(
                "the period {start} – {last} is longer than {years} year: "
                "split it into plans of at most that length",
                "the period {start} – {last} is longer than {years} years: "
                "split it into plans of at most that length",
                years,
            ).format(start=format_day(start), last=format_day(last), years=years)
        )
