"""Gaming signals (issue #5): signs that an activity KPI is being gamed — signals to look at,
not verdicts.

Inputs: ``activity_by_period`` (``rep_id``, ``period``, ``activities``, ``conversions``,
optional ``working_days``) and ``calls`` (``rep_id``, ``duration_min``, one row per call, or
pre-aggregated ``rep_id``, ``calls``, ``short_calls``).
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from analytics.grouped import require_columns, safe_rates
from analytics.incentives._checks import finite_number
from i18n import current_language, ngettext
from i18n.formatting import format_percent

__all__ = ["GAMING_SIGNALS", "gaming_signals"]

#: The signals of :func:`gaming_signals`.
GAMING_SIGNALS = ("volume_up_conversion_down", "short_calls")


_SIGNAL_COLUMNS = [
    "rep_id",
    "signal",
    "message",
    "activities_last",
    "activities_before",
    "conversion_last",
    "conversion_before",
    "calls",
    "short_calls",
    "short_share",
]


def _share(value: float, digits: int = 0) -> str:
    """A share in a message: ``25%`` (Python's ``%`` format) / ``25 %``."""
    if current_language() == "en":
        return f"{value:.{digits}%}"
    return format_percent(value, digits)


def _number(value: float, spec: str) -> str:
    """A number in a message in the format ``spec`` (a decimal comma in Russian)."""
    text = f"{value:{spec}}"
    return text if current_language() == "en" else text.replace(".", ",")


def _non_negative(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """ValueError when a ``columns`` value of ``frame`` is negative, missing or infinite."""
    for column in columns:
        values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(f"{column!r} of the {what} frame must be finite and ≥ 0")


def _volume_signals(
    frame: pd.DataFrame,
    volume_increase: float,
    conversion_drop: float,
    min_previous: int,
) -> pd.DataFrame:
    """Rows of the ``volume_up_conversion_down`` signal."""
    require_columns(frame, ["rep_id", "period", "activities", "conversions"], "activity_by_period")
    per_day = "working_days" in frame.columns
    counted = ["activities", "conversions", *(["working_days"] if per_day else [])]
    _non_negative(frame, counted, "activity_by_period")
    sums = frame.groupby(["rep_id", "period"], sort=True)[counted].sum().astype("float64")
    sums = sums.reset_index()
    if not per_day:  # each period weighs 1: the rate before is the mean of the periods
        sums["working_days"] = 1.0
    if sums.empty:
        return pd.DataFrame(columns=_SIGNAL_COLUMNS)
    is_last = (sums["period"] == sums["period"].max()).to_numpy()
    sums = sums[sums["working_days"] > 0]  # a period without a working day has no rate
    is_last = is_last[sums.index]
    last = sums[is_last].set_index("rep_id")[["activities", "conversions", "working_days"]]
    before = (
        sums[~is_last]
        .groupby("rep_id")
        .agg(
            n=("period", "size"),
            act=("activities", "sum"),
            conv=("conversions", "sum"),
            days=("working_days", "sum"),
        )
    )
    table = last.join(before, how="inner")
    table = table[
        (table["n"] >= min_previous)
        & (table["act"] > 0)
        & (table["conv"] > 0)
        & (table["activities"] > 0)
    ]
    a_last, c_last, d_last, act, conv, days = (
        table[c] for c in ["activities", "conversions", "working_days", "act", "conv", "days"]
    )
    # increase = (a_last / d_last) / (act / days) − 1; drop = 1 − (c_last / a_last) / (conv /
    # act), each as one division of the raw sums so that boundary cases compare exactly
    increase = (a_last * days - act * d_last) / (act * d_last)
    drop = (conv * a_last - c_last * act) / (conv * a_last)
    hit = (increase >= volume_increase) & (drop >= conversion_drop)
    table, increase, drop = table[hit], increase[hit], drop[hit]
    out = pd.DataFrame(
        {
            "rep_id": table.index,
            "signal": GAMING_SIGNALS[0],
            "activities_last": (table["activities"] / table["working_days"]).to_numpy(),
            "activities_before": (table["act"] / table["days"]).to_numpy(),
            "conversion_last": (table["conversions"] / table["activities"]).to_numpy(),
            "conversion_before": (table["conv"] / table["act"]).to_numpy(),
        }
    )
    out["message"] = [
        (
            ngettext(
                "Activities per working day up {increase} on the previous {n} period(s) "
                "({before} → {last}) while conversions per activity fell {drop} "
                "({was} → {now}): check the quality of the logged activities.",
                "Activities per working day up {increase} on the previous {n} period(s) "
                "({before} → {last}) while conversions per activity fell {drop} "
                "({was} → {now}): check the quality of the logged activities.",
                int(k),
            )
            if per_day
            else ngettext(
                "Activities up {increase} on the mean of the previous {n} period(s) "
                "({before} → {last}) while conversions per activity fell {drop} "
                "({was} → {now}): check the quality of the logged activities.",
                "Activities up {increase} on the mean of the previous {n} period(s) "
                "({before} → {last}) while conversions per activity fell {drop} "
                "({was} → {now}): check the quality of the logged activities.",
                int(k),
            )
        ).format(
            increase=_share(inc),
            n=int(k),
            before=_number(mean, ".4g"),
            last=_number(last, ".4g"),
            drop=_share(d),
            was=_share(was, 2),
            now=_share(now, 2),
        )
        for inc, k, mean, last, d, was, now in zip(
            increase,
            table["n"],
            out["activities_before"],
            out["activities_last"],
            drop,
            out["conversion_before"],
            out["conversion_last"],
            strict=True,
        )
    ]
    return out


def _call_signals(
    calls: pd.DataFrame, minutes: float, share: float, min_calls: int
) -> pd.DataFrame:
    """Rows of the ``short_calls`` signal."""
    if "duration_min" in calls.columns:
        require_columns(calls, ["rep_id"], "calls")
        timed = calls[calls["duration_min"].notna()]
        _non_negative(timed, ["duration_min"], "calls")
        short = timed["duration_min"].astype("float64") < minutes
        counts = pd.DataFrame({"rep_id": timed["rep_id"], "calls": 1.0, "short_calls": short})
    else:
        require_columns(calls, ["rep_id", "calls", "short_calls"], "calls")
        _non_negative(calls, ["calls", "short_calls"], "calls")
        counts = calls[["rep_id", "calls", "short_calls"]]
    totals = counts.groupby("rep_id", sort=True)[["calls", "short_calls"]].sum().astype("float64")
    if (totals["short_calls"] > totals["calls"]).any():
        raise ValueError("short_calls must not exceed calls")
    ratio = safe_rates(totals["short_calls"].to_numpy(), totals["calls"].to_numpy())
    hit = (totals["calls"].to_numpy() >= min_calls) & (ratio > share)
    totals = totals[hit]
    out = pd.DataFrame(
        {
            "rep_id": totals.index,
            "signal": GAMING_SIGNALS[1],
            "calls": totals["calls"].to_numpy(),
            "short_calls": totals["short_calls"].to_numpy(),
            "short_share": ratio[hit],
        }
    )
    out["message"] = [
        ngettext(
            "{short} of {total} calls ({share}) were shorter than {minutes} min "
            "(more than {limit}): check whether the calls are real conversations.",
            "{short} of {total} calls ({share}) were shorter than {minutes} min "
            "(more than {limit}): check whether the calls are real conversations.",
            round(total),
        ).format(
            short=f"{short:.0f}",
            total=f"{total:.0f}",
            share=_share(s),
            minutes=_number(minutes, "g"),
            limit=_share(share),
        )
        for short, total, s in zip(
            out["short_calls"], out["calls"], out["short_share"], strict=True
        )
    ]
    return out


def gaming_signals(
    activity_by_period: pd.DataFrame,
    calls: pd.DataFrame | None = None,
    *,
    volume_increase: float = 0.2,
    conversion_drop: float = 0.2,
    min_previous_periods: int = 2,
    short_call_minutes: float = 2.0,
    short_call_share: float = 0.5,
    min_calls: int = 20,
) -> pd.DataFrame:
    """Signs that an activity KPI is being gamed (issue #5): signals to look at, not verdicts.

    * ``volume_up_conversion_down``: in the latest period of the frame, a rep's activities are
      at least ``volume_increase`` above the mean of their previous periods (≥ 20 % more)
      **and** conversions per activity are at least ``conversion_drop`` below the previous
      periods' rate (≥ 20 % lower, relative; the previous rate is Σ conversions / Σ activities).
      With a ``working_days`` column the volumes compared are activities per working day (the
      previous rate Σ activities / Σ working days), so a latest period still running, or a
      rep's first month after joining, compares fairly with whole months; periods without a
      working day are left out.  Needs ≥ ``min_previous_periods`` previous periods with
      activities and conversions.  Periods a rep has no row in are not counted (reindex with
      zeros to count them).
    * ``short_calls``: more than ``short_call_share`` of a rep's calls (strictly) shorter than
      ``short_call_minutes``, among reps with ≥ ``min_calls`` calls.

    Parameters
    ----------
    activity_by_period : DataFrame
        ``rep_id``, ``period`` (sortable), ``activities``, ``conversions`` (deals advanced or
        won), optional ``working_days`` (the rep's working days employed in the period, up to
        now for the running one); repeated (rep, period) rows are summed.
    calls : DataFrame, optional
        ``rep_id``, ``duration_min`` (one row per call; missing durations ignored), or
        ``rep_id``, ``calls``, ``short_calls`` counted by the caller with the same threshold.
    volume_increase, conversion_drop : float
        Relative thresholds (0.2 = 20 %), inclusive.
    min_previous_periods : int
        Previous periods a rep needs before the first signal can be raised.
    short_call_minutes, short_call_share : float
        A call shorter than this is "very short"; flag above this share (0.5 = 50 %).
    min_calls : int
        Fewer calls than this never flag.

    Returns
    -------
    DataFrame
        ``rep_id``, ``signal`` (one of :data:`GAMING_SIGNALS`), ``message`` str, and the
        evidence (NaN where it does not belong to the signal): ``activities_last``,
        ``activities_before`` (mean of the previous periods; per working day with
        ``working_days``), ``conversion_last``,
        ``conversion_before`` (conversions per activity), ``calls``, ``short_calls``,
        ``short_share``; sorted by rep and signal.

    Examples
    --------
    >>> activity = pd.DataFrame({"rep_id": 1, "period": [1, 2, 3],
    ...                          "activities": [100, 100, 150], "conversions": [10, 10, 9]})
    >>> gaming_signals(activity)[["rep_id", "signal", "conversion_last"]].values.tolist()
    [[1, 'volume_up_conversion_down', 0.06]]
    """
    volume_increase = finite_number(volume_increase, "volume_increase")
    conversion_drop = finite_number(conversion_drop, "conversion_drop")
    short_call_minutes = finite_number(short_call_minutes, "short_call_minutes")
    short_call_share = finite_number(short_call_share, "short_call_share")
    if volume_increase < 0:
        raise ValueError(f"volume_increase must be ≥ 0 (0.2 for 20 %), got {volume_increase:g}")
    if not 0 < conversion_drop <= 1:
        raise ValueError(
            f"conversion_drop must be in (0, 1] (0.2 for 20 %), got {conversion_drop:g}"
        )
    if short_call_minutes <= 0:
        raise ValueError(f"short_call_minutes must be > 0, got {short_call_minutes:g}")
    if not 0 <= short_call_share < 1:
        raise ValueError(
            f"short_call_share must be in [0, 1) (0.5 for 50 %), got {short_call_share:g}"
        )
    for name, value in (
        ("min_previous_periods", min_previous_periods),
        ("min_calls", min_calls),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")
    parts = [
        _volume_signals(
            activity_by_period,
            volume_increase,
            conversion_drop,
            int(min_previous_periods),
        )
    ]
    if calls is not None:
        parts.append(_call_signals(calls, short_call_minutes, short_call_share, int(min_calls)))
    parts = [part for part in parts if len(part)]
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in _SIGNAL_COLUMNS})
        empty["rep_id"] = activity_by_period["rep_id"].iloc[0:0].to_numpy()
        return empty.astype({"signal": "str", "message": "str"})
    out = pd.concat(parts, ignore_index=True).reindex(columns=_SIGNAL_COLUMNS)
    numeric = _SIGNAL_COLUMNS[3:]
    out[numeric] = out[numeric].astype("float64")
    out = out.astype({"signal": "str", "message": "str"})
    return out.sort_values(["rep_id", "signal"], ignore_index=True)
