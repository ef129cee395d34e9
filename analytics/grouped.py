"""Grouped sums over small aggregated frames, shared by the funnel and pipeline metrics.

The frames of ``crm_data.queries.funnel_stats`` come aggregated (a count column per row); these
helpers turn a ``by`` argument into group codes and sum counts and amounts per group with
``numpy.bincount``, so the metrics never loop over deals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "as_counts",
    "by_columns",
    "count_column",
    "expand_groups",
    "group_codes",
    "money_column",
    "position_values",
    "require_columns",
    "safe_rates",
    "status_values",
    "tally",
]


def by_columns(
    frame: pd.DataFrame,
    by: str | Sequence[str] | None,
    *,
    reserved: Sequence[str] = (),
    virtual: Sequence[str] = (),
) -> list[str]:
    """``by`` as a list of column names, checked against the frame (ValueError naming it)."""
    if by is None:
        return []
    columns = [by] if isinstance(by, str) else list(by)
    for column in columns:
        if not isinstance(column, str):
            raise ValueError(f"by must be column names, got {column!r}")
        if column in reserved:
            raise ValueError(f"cannot group by {column!r}: it is an output column")
        if column not in frame.columns and column not in virtual:
            valid = ", ".join(map(repr, [*frame.columns, *virtual]))
            raise ValueError(f"unknown by column {column!r}; the frame has {valid}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"by names a column twice: {columns}")
    return columns


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ValueError naming the ``columns`` the ``what`` frame lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the {what} frame lacks the column(s) {', '.join(missing)}")


def count_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The count column as int64 (1 per row when the frame has no such column)."""
    if column not in frame.columns:
        return np.ones(len(frame), dtype=np.int64)
    values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
    if not np.isfinite(values).all() or (values < 0).any() or (values != np.round(values)).any():
        raise ValueError(f"{column!r} must hold non-negative whole counts")
    return values.astype(np.int64)


def money_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A money column as float, missing amounts as 0 (as a SQL SUM would skip them)."""
    amounts: np.ndarray = np.nan_to_num(
        frame[column].to_numpy(dtype="float64", na_value=np.nan), nan=0.0
    )
    return amounts


def position_values(values: pd.Series) -> np.ndarray:
    """A nullable position column as float (NaN for NA)."""
    return values.to_numpy(dtype="float64", na_value=np.nan)


def status_values(frame: pd.DataFrame, column: str, allowed: Sequence[str]) -> np.ndarray:
    """The ``column`` as an object array, checked to hold only ``allowed`` values."""
    values = frame[column].astype("str")
    bad = ~values.isin(allowed)
    if bad.any():
        found = sorted(map(str, values[bad].unique()))
        raise ValueError(f"{column!r} must be one of {list(allowed)}; found {found}")
    return values.to_numpy(dtype=object)


def group_codes(frame: pd.DataFrame, by_cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """The group code of every row and the group keys (one row per code, in code order).

    Codes follow the sorted group values (missing values last); without ``by`` every row is
    in group 0 (and there is no group at all in an empty frame).
    """
    if not by_cols:
        return np.zeros(len(frame), dtype=np.intp), pd.DataFrame(
            index=pd.RangeIndex(min(1, len(frame)))
        )
    codes = frame.groupby(by_cols, dropna=False, sort=True).ngroup().to_numpy(dtype=np.intp)
    _, first_rows = np.unique(codes, return_index=True)
    keys = frame[by_cols].iloc[first_rows].reset_index(drop=True)
    return codes, keys


def tally(codes: np.ndarray, weights: np.ndarray, n_groups: int) -> np.ndarray:
    """Σ of ``weights`` per group code (``n_groups`` sums, zeros for empty groups)."""
    sums: np.ndarray = np.bincount(codes, weights=weights, minlength=n_groups)
    return sums[:n_groups]


def as_counts(values: np.ndarray) -> np.ndarray:
    """Sums of integer counts (bincount gives floats) back to int64."""
    rounded: np.ndarray = np.rint(values)
    return rounded.astype(np.int64)


def safe_rates(numerator: ArrayLike, denominator: ArrayLike) -> np.ndarray:
    """Element-wise ``numerator / denominator``, NaN where the denominator is 0 or NaN (a
    quotient too large for a float is ``inf``, without a warning).
    """
    numerator = np.asarray(numerator, dtype="float64")
    denominator = np.asarray(denominator, dtype="float64")
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    ok = np.broadcast_to((denominator != 0) & ~np.isnan(denominator), out.shape)
    with np.errstate(over="ignore"):
        np.divide(numerator, denominator, out=out, where=ok)
    return out


def expand_groups(keys: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Every group key combined with every row of ``rows`` (groups outer, rows inner)."""
    n_groups, n_rows = len(keys), len(rows)
    left = keys.iloc[np.repeat(np.arange(n_groups), n_rows)].reset_index(drop=True)
    right = rows.iloc[np.tile(np.arange(n_rows), n_groups)].reset_index(drop=True)
    return pd.concat([left, right], axis=1)
