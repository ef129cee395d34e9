"""Cell values of an export turned into typed values: numbers, dates, mapped words.

Every parser takes the stripped, non-empty text of one cell and returns either the value or an
:class:`Invalid` saying which rule the text breaks and what to do; none raises on bad input.

Numbers accept the spellings of spreadsheets in English and Russian: ``1234.5``, ``1,234.56``,
``1 234,56`` (with ordinary, non-breaking U+00A0, narrow U+202F or thin U+2009 spaces, or an
apostrophe as the thousands separator), a sign or parentheses for negatives, and currency
signs or codes around the number (``$``, ``€``, ``₽``, ``руб.``, ``USD``), which are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Invalid", "format_label", "map_value", "parse_datetime", "parse_number"]

#: Characters that group thousands (dropped wherever they are).
GROUPING = " \u00a0\u202f\u2009'"
#: Currency words and signs around a number (dropped).
_CURRENCY = re.compile(
    r"^(?:[$€£¥₽]|руб\.?|р\.|rub|usd|eur|gbp)\s*|\s*(?:[$€£¥₽]|руб\.?|р\.|rub|usd|eur|gbp)$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
#: strftime directives → how a user writes them
_LABELS = {"%d": "dd", "%m": "mm", "%Y": "yyyy", "%y": "yy", "%H": "HH", "%M": "MM", "%S": "SS"}


@dataclass(frozen=True)
class Invalid:
    """Why a cell's text is not a valid value.

    Parameters
    ----------
    rule : str
        The rule the text breaks, e.g. ``"not a number"``.
    fix : str
        What the user should do about it.
    """

    rule: str
    fix: str


def parse_number(text: str, decimal: str | None = None) -> float | Invalid:
    """The number a cell spells, or why it is not one.

    Parameters
    ----------
    text : str
        The cell's text, stripped and not empty.
    decimal : str, optional
        The decimal separator (``","`` or ``"."``); the other one then groups thousands.
        Default: guessed per cell: of ``,`` and ``.`` the last one is the decimal separator
        when both occur; a single ``,`` followed by exactly three digits groups thousands,
        otherwise it is the decimal separator; several equal ones group thousands.  Only
        ASCII digits count.

    Returns
    -------
    float or Invalid
        The value; an :class:`Invalid` when the text is not a number.

    Examples
    --------
    >>> parse_number("1\u00a0234,56")
    1234.56
    >>> parse_number("$1,234.5")
    1234.5
    >>> parse_number("(12)")
    -12.0
    >>> parse_number("12 apples")
    Invalid(rule='not a number', fix='write a number such as 1234.56 or 1 234,56')
    """
    bad = Invalid("not a number", "write a number such as 1234.56 or 1 234,56")
    body = _CURRENCY.sub("", text.strip()).strip()
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body and body[0] in "+-":
        negative, body = body[0] == "-", body[1:]
    for char in GROUPING:
        body = body.replace(char, "")
    digits = _canonical_separators(body, decimal)
    if digits is None or not _DIGITS.fullmatch(digits):
        return bad
    value = float(digits)
    return -value if negative else value


def _canonical_separators(body: str, decimal: str | None) -> str | None:
    """``body`` with thousands separators dropped and the decimal one made ``.``; None when
    the separators contradict each other.
    """
    commas, dots = body.count(","), body.count(".")
    point = decimal
    if point is None:
        if commas and dots:
            point = "," if body.rfind(",") > body.rfind(".") else "."
        elif commas == 1:
            point = "." if re.search(r",[0-9]{3}$", body) else ","
        else:  # several commas group thousands; several dots too (then "," is the point)
            point = "," if dots > 1 else "."
    body = body.replace("." if point == "," else ",", "")
    if body.count(point) > 1:
        return None
    return body.replace(point, ".")


def format_label(fmt: str) -> str:
    """How a user writes dates of the strftime format ``fmt``.

    Examples
    --------
    >>> format_label("%d.%m.%Y")
    'dd.mm.yyyy'
    """
    for directive, label in _LABELS.items():
        fmt = fmt.replace(directive, label)
    return fmt


def parse_datetime(text: str, formats: Sequence[str]) -> datetime | Invalid:
    """The date or time a cell spells in one of ``formats`` (the first that fits wins).

    Parameters
    ----------
    text : str
        The cell's text, stripped and not empty.
    formats : sequence of str
        ``strptime`` formats, e.g. ``("%d.%m.%Y", "%d.%m.%Y %H:%M")``.

    Returns
    -------
    datetime or Invalid
        The (naive) value; an :class:`Invalid` naming the formats when none fits.

    Examples
    --------
    >>> parse_datetime("31.12.2026", ["%d.%m.%Y"])
    datetime.datetime(2026, 12, 31, 0, 0)
    >>> parse_datetime("2026-12-31", ["%d.%m.%Y"]).rule
    'not a date in the format dd.mm.yyyy'
    """
    for fmt in formats:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    labels = " or ".join(format_label(f) for f in formats)
    example = datetime(2026, 12, 31, 9, 30).strftime(formats[0])
    return Invalid(f"not a date in the format {labels}", f"write the date like {example}")


def map_value(text: str, words: Mapping[str, str], allowed: Sequence[str]) -> str | Invalid:
    """The canonical value of a word of the export (compared without case and outer spaces).

    Parameters
    ----------
    text : str
        The cell's text, stripped and not empty.
    words : mapping of str to str
        The export's words → canonical values (keys are compared case-insensitively).
    allowed : sequence of str
        The canonical values; one of them spelt in the cell is taken as it is.

    Returns
    -------
    str or Invalid
        The canonical value; an :class:`Invalid` naming the accepted words otherwise.

    Examples
    --------
    >>> map_value("Выиграна", {"выиграна": "won"}, ["open", "won", "lost"])
    'won'
    >>> map_value("maybe", {}, ["open", "won"]).rule
    'unknown value (expected one of: open, won)'
    """
    key = text.strip().casefold()
    for word, value in words.items():
        if word.casefold() == key:
            return value
    for value in allowed:
        if value.casefold() == key:
            return value
    known = ", ".join(dict.fromkeys([*allowed, *words]))
    return Invalid(
        f"unknown value (expected one of: {known})",
        "use one of these words or add this one to the mapping's values",
    )
