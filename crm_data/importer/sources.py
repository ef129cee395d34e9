"""Reading exports in chunks of rows, every cell as text.

CSV files (also gzip-compressed, ``.csv.gz``) are read with pandas in chunks of
:data:`CHUNK_ROWS` rows; the encoding is the mapping's, else the first of
:data:`ENCODINGS` that decodes the file's first 1 MB, and the delimiter is the mapping's, else
the one of :data:`DELIMITERS` that splits the header line most often.  XLSX workbooks are read
with openpyxl in read-only (streaming) mode, the mapping's sheet or the first one.  Cells are
stripped text; an empty cell is ``""``.  Nothing reads a whole file into memory.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd

from crm_data.errors import CrmDataError

__all__ = ["CHUNK_ROWS", "DELIMITERS", "ENCODINGS", "SourceError", "SourceFile", "open_source"]

#: Rows per chunk.
CHUNK_ROWS = 50_000
#: Encodings tried in order when the mapping names none.
ENCODINGS = ("utf-8-sig", "cp1251")
#: Delimiters a CSV file may use.
DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 1 << 20


class SourceError(CrmDataError):
    """A file that cannot be read as an export; the message says what to do."""


@dataclass(frozen=True)
class SourceFile:
    """An export opened for reading: its header and how to read its rows.

    Parameters
    ----------
    path : Path
        The file.
    headers : tuple of str
        The header row (stripped).
    encoding, delimiter : str or None
        What a CSV file is read with (None for XLSX).
    sheet : str or None
        The worksheet of an XLSX file.
    """

    path: Path
    headers: tuple[str, ...]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def chunks(self, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """The data rows in order, ``rows`` at a time, one text column per header.

        Parameters
        ----------
        rows : int
            Rows per chunk.

        Yields
        ------
        DataFrame
            Object columns of stripped strings (``""`` for an empty cell).
        """
        if self.sheet is not None:
            yield from self._xlsx_chunks(rows)
            return
        with _binary(self.path) as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            reader = pd.read_csv(
                text,
                sep=self.delimiter,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,  # an empty line keeps its row number
                chunksize=rows,
                header=0,
                names=list(self.headers),
            )
            try:
                for chunk in reader:
                    yield chunk.astype(object).fillna("").map(lambda v: str(v).strip())
            except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise SourceError(
                    f"cannot read {self.path} as {self.encoding} CSV separated by "
                    f"{self.delimiter!r} ({str(exc).strip()}); fix the file or set file.encoding "
                    "and file.delimiter in the mapping"
                ) from None

    def _xlsx_chunks(self, rows: int) -> Iterator[pd.DataFrame]:
        book = _workbook(self.path)
        try:
            sheet = book[self.sheet] if self.sheet else book.worksheets[0]
            lines = sheet.iter_rows(min_row=2, values_only=True)
            width = len(self.headers)
            batch: list[list[str]] = []
            for line in lines:
                cells = [_cell_text(v) for v in line[:width]]
                cells += [""] * (width - len(cells))
                batch.append(cells)
                if len(batch) == rows:
                    yield pd.DataFrame(batch, columns=list(self.headers), dtype=object)
                    batch = []
            if batch:
                yield pd.DataFrame(batch, columns=list(self.headers), dtype=object)
        finally:
            book.close()


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a user sees (dates ISO, whole numbers without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ") if value.time() != datetime.min.time() else str(value.date())
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _workbook(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError, ... on bad files
        raise SourceError(
            f"cannot read {path} as an XLSX workbook ({type(exc).__name__}: {exc}); "
            "save it again as .xlsx or export it as CSV"
        ) from None


def _sample(path: Path) -> bytes:
    try:
        with _binary(path) as raw:
            return raw.read(_SAMPLE_BYTES)
    except (OSError, EOFError) as exc:
        raise SourceError(f"cannot read {path}: {exc}; check the path and the file") from None


def _encoding(sample: bytes, path: Path) -> str:
    for encoding in ENCODINGS:
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 4 and len(sample) == _SAMPLE_BYTES:
                return encoding  # a character cut at the end of the sample
            continue
        return encoding
    raise SourceError(
        f"{path} is neither UTF-8 nor cp1251 text; set file.encoding in the mapping "
        "(e.g. utf-16 or koi8-r) or save the file as UTF-8 CSV"
    )


def _delimiter(header_line: str) -> str:
    return max(DELIMITERS, key=header_line.count)


def open_source(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> SourceFile:
    """Open an export (CSV, ``.csv.gz`` or XLSX) and read its header row.

    Parameters
    ----------
    path : str or Path
        The file; ``.xlsx``/``.xlsm`` are workbooks, anything else CSV.
    encoding, delimiter : str, optional
        Of a CSV file; default detected (see the module docstring).
    sheet : str, optional
        The worksheet of a workbook; default the first.

    Returns
    -------
    SourceFile
        The file with its headers.

    Raises
    ------
    SourceError
        If the file is missing or unreadable, has no header row, repeats a header or does not
        decode with the mapping's encoding.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"there is no file {path}; check the path")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = _workbook(path)
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise SourceError(
                    f"{path} has no sheet {sheet!r} (it has {', '.join(book.sheetnames)}); "
                    "fix file.sheet in the mapping"
                )
            ws = book[sheet] if sheet else book.worksheets[0]
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
        finally:
            book.close()
        headers = [_cell_text(v) for v in first]
        while headers and not headers[-1]:
            headers.pop()
        source = SourceFile(path, tuple(headers), sheet=ws.title)
    else:
        sample = _sample(path)
        chosen = encoding or _encoding(sample, path)
        try:
            text = sample.decode(chosen, errors="strict" if encoding else "replace")
        except (UnicodeDecodeError, LookupError) as exc:
            raise SourceError(
                f"{path} is not in the encoding {chosen} ({exc}); fix file.encoding in the "
                "mapping (e.g. utf-8 or cp1251) or use auto"
            ) from None
        line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        sep = delimiter or _delimiter(line)
        headers = [h.strip() for h in next(csv.reader([line], delimiter=sep))] if line else []
        source = SourceFile(path, tuple(headers), encoding=chosen, delimiter=sep)
    if not any(source.headers):
        raise SourceError(f"{path} has no header row; the first row must name the columns")
    repeated = sorted({h for h in source.headers if source.headers.count(h) > 1})
    if repeated:
        raise SourceError(
            f"{path} repeats the header(s) {', '.join(map(repr, repeated))}; "
            "give every column its own name"
        )
    return source
