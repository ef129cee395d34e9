"""Expected frames written as tuples, and their comparison with what a query returned."""

from __future__ import annotations

import pandas as pd


def frame(rows: list[tuple], columns: str, dtypes: dict[str, str]) -> pd.DataFrame:
    """An expected frame from tuples; ``dtypes`` per column (datetime columns as 'datetime')."""
    names = columns.split()
    data = pd.DataFrame([list(r) for r in rows], columns=names, dtype=object)
    out = {}
    for name in names:
        kind = dtypes.get(name, "int64")
        if kind == "datetime":
            out[name] = pd.to_datetime(data[name]).astype("datetime64[us]")
        elif kind == "str":
            out[name] = data[name].astype("str").where(data[name].notna(), None).astype("str")
        else:
            out[name] = data[name].astype(kind)
    return pd.DataFrame(out)


def check(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Assert ``actual`` equals ``expected`` up to float rounding (1e-9 relative, 1e-6 absolute)."""
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9, atol=1e-6)
