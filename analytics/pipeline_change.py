"""How the open pipeline changed between two snapshots (METRICS.md "Pipeline change").

The input is ``crm_data.queries.funnel_stats.pipeline_pairs``: one row per deal open at the
``start`` or the ``end`` snapshot, ``position_0``, ``amount_0``, ``position_1``, ``amount_1``
(NA where not open) and ``status_1`` (the deal's status at the end).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.grouped import (
    as_counts,
    by_columns,
    expand_groups,
    group_codes,
    money_column,
    position_values,
    require_columns,
    status_values,
    tally,
)

__all__ = ["CHANGES", "pipeline_change", "pipeline_moves", "pipeline_waterfall"]

#: The classes of :func:`pipeline_change`.
CHANGES = ("new", "advanced", "slipped back", "unchanged", "won", "lost", "dropped")

_MOVES = ("advanced", "slipped back", "unchanged")


def pipeline_change(pairs: pd.DataFrame) -> pd.DataFrame:
    """Classify every deal of two pipeline snapshots (METRICS.md "Pipeline change").

    ``new``: open at the end, not at the start.  Open at the start but not at the end: ``won``
    / ``lost`` by its status at the end, ``dropped`` when it is still open (a data
    inconsistency, e.g. a history that ends before the deal closed).  Open at both:
    ``advanced`` (higher position), ``slipped back`` (lower), ``unchanged`` (same).  A missing
    amount of an open deal counts as 0.

    Parameters
    ----------
    pairs : DataFrame
        ``pipeline_pairs``: ``position_0`` / ``amount_0`` (NA when not open at the start),
        ``position_1`` / ``amount_1`` (NA when not open at the end), ``status_1`` str
        (open/won/lost at the end).

    Returns
    -------
    DataFrame
        ``pairs`` plus ``change`` str (one of :data:`CHANGES`) and ``amount_change`` float
        (``amount_1 − amount_0`` for deals open at both snapshots, else NaN).

    Raises
    ------
    ValueError
        For a row that is open at neither snapshot, or an unknown ``status_1``.

    Examples
    --------
    >>> pairs = pd.DataFrame({"position_0": pd.array([1, None, 2], dtype="Int64"),
    ...                       "amount_0": [5.0, None, 7.0],
    ...                       "position_1": pd.array([3, 1, None], dtype="Int64"),
    ...                       "amount_1": [6.0, 2.0, None], "status_1": ["open", "open", "won"]})
    >>> pipeline_change(pairs)[["change", "amount_change"]].values.tolist()
    [['advanced', 1.0], ['new', nan], ['won', nan]]
    """
    require_columns(
        pairs, ["position_0", "amount_0", "position_1", "amount_1", "status_1"], "pairs"
    )
    status = status_values(pairs, "status_1", ("open", "won", "lost"))
    p0, p1 = position_values(pairs["position_0"]), position_values(pairs["position_1"])
    at_start, at_end = ~np.isnan(p0), ~np.isnan(p1)
    if (~at_start & ~at_end).any():
        raise ValueError("pairs has deals open at neither snapshot")
    change = np.select(
        [
            ~at_start,
            ~at_end & (status == "won"),
            ~at_end & (status == "lost"),
            ~at_end,
            p1 > p0,
            p1 < p0,
        ],
        ["new", "won", "lost", "dropped", "advanced", "slipped back"],
        "unchanged",
    )
    both = at_start & at_end
    amount_change = np.where(
        both, money_column(pairs, "amount_1") - money_column(pairs, "amount_0"), np.nan
    )
    return pairs.assign(
        change=pd.Series(change, index=pairs.index, dtype="str"), amount_change=amount_change
    )


def pipeline_waterfall(
    pairs: pd.DataFrame, *, by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """The pipeline at the start, its changes and the pipeline at the end, as waterfall steps.

    METRICS.md "Pipeline change".  Steps in order: "Pipeline at start" (Σ ``amount_0``,
    measure ``absolute``), "New" (+Σ ``amount_1`` of new deals), "Amount increased" (+Σ of the
    positive ``amount_change``), "Amount decreased" (−Σ of the negative ones), "Won" and
    "Lost" (−Σ ``amount_0`` of the deals won / lost), "Dropped" (−Σ ``amount_0``; present only
    when some deal of the frame was dropped), "Pipeline at end" (Σ ``amount_1``, measure
    ``total``).  The ``relative`` steps sum the start to the end exactly.

    Parameters
    ----------
    pairs : DataFrame
        ``pipeline_pairs`` (see :func:`pipeline_change`).
    by : str or sequence of str, optional
        Group columns.

    Returns
    -------
    DataFrame
        ``[by…]``, ``step`` str, ``measure`` str (``absolute`` | ``relative`` | ``total``, as
        plotly's waterfall wants), ``amount`` float (signed), ``deals`` int (deals in the
        step).

    Examples
    --------
    >>> pairs = pd.DataFrame({"position_0": pd.array([1, None, 2], dtype="Int64"),
    ...                       "amount_0": [5.0, None, 7.0],
    ...                       "position_1": pd.array([3, 1, None], dtype="Int64"),
    ...                       "amount_1": [6.0, 2.0, None], "status_1": ["open", "open", "won"]})
    >>> pipeline_waterfall(pairs)["amount"].tolist()
    [12.0, 2.0, 1.0, 0.0, -7.0, 0.0, 8.0]
    """
    by_cols = by_columns(pairs, by, reserved=["step", "measure", "amount", "deals"])
    changed = pipeline_change(pairs)
    change = changed["change"].to_numpy(dtype=object)
    a0, a1 = money_column(pairs, "amount_0"), money_column(pairs, "amount_1")
    delta = np.nan_to_num(changed["amount_change"].to_numpy(dtype="float64"))
    at_start = pairs["position_0"].notna().to_numpy()
    at_end = pairs["position_1"].notna().to_numpy()
    steps: list[tuple[str, str, np.ndarray, np.ndarray, float]] = [
        ("Pipeline at start", "absolute", at_start, a0, 1.0),
        ("New", "relative", change == "new", a1, 1.0),
        ("Amount increased", "relative", delta > 0, delta, 1.0),
        ("Amount decreased", "relative", delta < 0, delta, 1.0),
        ("Won", "relative", change == "won", a0, -1.0),
        ("Lost", "relative", change == "lost", a0, -1.0),
        ("Dropped", "relative", change == "dropped", a0, -1.0),
        ("Pipeline at end", "total", at_end, a1, 1.0),
    ]
    if not (change == "dropped").any():
        steps = [s for s in steps if s[0] != "Dropped"]
    codes, keys = group_codes(pairs, by_cols)
    n = len(keys)
    amounts = np.column_stack(
        [sign * tally(codes, np.where(mask, values, 0.0), n) for _, _, mask, values, sign in steps]
    ).reshape(n, len(steps))
    counts = np.column_stack(
        [tally(codes, mask.astype("float64"), n) for _, _, mask, _, _ in steps]
    ).reshape(n, len(steps))
    table = pd.DataFrame(
        {"step": [s[0] for s in steps], "measure": [s[1] for s in steps]}, dtype="str"
    )
    out = expand_groups(keys, table)
    out["amount"] = amounts.ravel() + 0.0  # no -0.0
    out["deals"] = as_counts(counts.ravel())
    return out.astype({"step": "str", "measure": "str", "amount": "float64", "deals": "int64"})


def pipeline_moves(pairs: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Deals open at both snapshots: advanced, slipped back, unchanged (METRICS.md "Pipeline
    change").

    Parameters
    ----------
    pairs : DataFrame
        ``pipeline_pairs`` (see :func:`pipeline_change`).
    by : str or sequence of str, optional
        Group columns.

    Returns
    -------
    DataFrame
        Three rows per group: ``[by…]``, ``change`` str (advanced, slipped back, unchanged),
        ``deals`` int, ``amount`` float (Σ ``amount_1``, the amount at the end).

    Examples
    --------
    >>> pairs = pd.DataFrame({"position_0": pd.array([1, 2], dtype="Int64"),
    ...                       "amount_0": [5.0, 7.0], "position_1": pd.array([3, 2], dtype="Int64"),
    ...                       "amount_1": [6.0, 8.0], "status_1": ["open", "open"]})
    >>> pipeline_moves(pairs)[["change", "deals", "amount"]].values.tolist()
    [['advanced', 1, 6.0], ['slipped back', 0, 0.0], ['unchanged', 1, 8.0]]
    """
    by_cols = by_columns(pairs, by, reserved=["change", "deals", "amount"])
    change = pipeline_change(pairs)["change"].to_numpy(dtype=object)
    a1 = money_column(pairs, "amount_1")
    codes, keys = group_codes(pairs, by_cols)
    n = len(keys)
    amounts = np.column_stack(
        [tally(codes, np.where(change == move, a1, 0.0), n) for move in _MOVES]
    ).reshape(n, len(_MOVES))
    counts = np.column_stack(
        [tally(codes, (change == move).astype("float64"), n) for move in _MOVES]
    ).reshape(n, len(_MOVES))
    out = expand_groups(keys, pd.DataFrame({"change": list(_MOVES)}, dtype="str"))
    out["deals"] = as_counts(counts.ravel())
    out["amount"] = amounts.ravel()
    return out.astype({"change": "str", "deals": "int64", "amount": "float64"})
