"""Export of exactly what a table shows, with the filters that produced it, as CSV or XLSX."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

__all__ = ["XLSX_MIME", "csv_bytes", "xlsx_bytes"]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Timezone-free, Excel-safe copy (Excel has no time zones)."""
    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.DatetimeTZDtype):
            out[name] = out[name].dt.tz_localize(None)
    return out


def csv_bytes(frame: pd.DataFrame, context: Mapping[str, str]) -> bytes:
    """UTF-8 CSV of ``frame`` preceded by ``# key: value`` lines describing the filters.

    Read it back with ``pd.read_csv(path, comment="#")``.
    """
    header = "".join(f"# {key}: {value}\n" for key, value in context.items())
    return (header + _plain(frame).to_csv(index=False)).encode("utf-8")


def xlsx_bytes(frame: pd.DataFrame, context: Mapping[str, str], sheet: str = "Data") -> bytes:
    """An Excel workbook: ``frame`` on sheet ``sheet`` and the filters on sheet "Filters"."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _plain(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
        pd.DataFrame({"Filter": list(context), "Value": list(context.values())}).to_excel(
            writer, sheet_name="Filters", index=False
        )
    return buffer.getvalue()
