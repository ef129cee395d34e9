"""Number formatting for cards, tables and charts: money, counts, ratios, days, in the
language in force (``i18n.formatting``: Babel).

A missing value (``None`` or NaN, e.g. a rate with a zero denominator) is shown as "—"
(METRICS.md conventions).
"""

from __future__ import annotations

import math

from babel.numbers import get_currency_symbol

from analytics.deltas import Delta
from i18n import _, current_language
from i18n.formatting import (
    MISSING,
    babel_locale,
    format_count,
    format_money,
    format_number,
    format_percent,
    is_missing,
)
from reports.kpi import Unit

__all__ = [
    "MINUS",
    "MISSING",
    "SMALL_BASE",
    "Unit",
    "currency_symbol",
    "escape_markdown",
    "format_delta",
    "format_value",
    "is_flat",
    "is_missing",
    "money_pattern",
]


#: The sign of a negative value shown (U+2212, not the hyphen).
MINUS = "\u2212"

#: A count or an amount compared with less than this shows only its absolute change: a
#: percentage of a handful exaggerates (:func:`format_delta`).
SMALL_BASE = 10.0

_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()<>#+-.!|~$:")


def currency_symbol(currency: str | None) -> str:
    """The symbol the language in force gives ``currency`` (``$``, ``€``, ``₽``; a code it has
    no symbol for stays the code); ``""`` for none.
    """
    if not currency:
        return ""
    return get_currency_symbol(currency.upper(), locale=babel_locale())


def money_pattern(currency: str | None) -> str:
    """The printf pattern of a table's money column, the symbol placed as the language places
    it: ``$%,.0f`` / ``%.0f ₽``.

    Streamlit groups ``%,`` with commas in every language, and a Russian reader takes
    ``2,722 ₽`` for two point seven, so outside English the amount is not grouped (tables drawn
    through ``ui.labels.labelled`` are grouped by Babel instead).
    """
    symbol = currency_symbol(currency)
    english = current_language() == "en"
    number = "%,.0f" if english else "%.0f"
    if not symbol:
        return number
    return f"{symbol}{number}" if english else f"{number} {symbol}"


def format_value(
    value: float | None, unit: Unit, currency: str | None = None, *, compact: bool = True
) -> str:
    """A value as shown on a card, in the language in force: money compact with the currency
    (in full with ``compact=False``, as in a scorecard), ratios in %, days with "d", multiples
    (pipeline coverage) with "×".  A negative value starts with the minus sign :data:`MINUS`,
    before the currency ("−$9,280", not "$-9,280").

    Examples
    --------
    >>> format_value(1_234_567.0, "money", "USD")
    '$1.23M'
    >>> format_value(1_234_567.0, "money", "USD", compact=False)
    '$1,234,567'
    >>> format_value(-9_280.0, "money", "USD", compact=False)
    '−$9,280'
    >>> format_value(0.4215, "ratio")
    '42.1%'
    >>> format_value(float("nan"), "ratio")
    '—'
    >>> from i18n import use_language
    >>> with use_language("ru"):  # grouped and followed by no-break spaces
    ...     format_value(1_234_567.0, "money", "RUB", compact=False).split()
    ['1', '234', '567', '₽']
    >>> with use_language("ru"):
    ...     format_value(12.5, "days")
    '12,5 дн.'
    """
    if is_missing(value):
        return MISSING
    assert value is not None
    if math.copysign(1.0, value) < 0:
        text = format_value(abs(value), unit, currency, compact=compact)
        return MINUS + text if any(c in "123456789" for c in text) else text  # no "−0"
    if unit == "money":
        return format_money(value, currency, compact=compact)
    if unit == "ratio":
        return format_percent(value, 1)
    if unit == "days":
        return _("{value} d").format(value=format_number(value, 1))
    if unit == "hours":
        return _("{value} h").format(value=format_number(value, 1))
    if unit == "decimal":
        return format_number(value, 1)
    if unit == "multiple":
        return f"{format_number(value, 1)}×"
    return format_count(value)


def format_delta(change: Delta, unit: Unit, currency: str | None = None) -> str | None:
    """The delta text of a card, or ``None`` when there is nothing to compare with.

    Ratios change in percentage points ("+3.1 pp"), multiples in hundredths ("-0.05×"); other
    units show the relative change and the absolute one ("+12.5% (+$4.20k)"), or only the
    absolute one when no relative change exists (the previous value was 0) or when a count or
    an amount is compared with less than :data:`SMALL_BASE` (3 → 511 clients reads "+508",
    not "+16933.3% (+508)").  The sign is an ASCII hyphen: ``st.metric`` reads it to pick the
    arrow and the colour.

    Examples
    --------
    >>> from analytics.deltas import delta
    >>> format_delta(delta(0.452, 0.421), "ratio")
    '+3.1 pp'
    >>> format_delta(delta(37_800.0, 33_600.0), "money", "USD")
    '+12.5% (+$4.20k)'
    >>> format_delta(delta(1.15, 1.2), "multiple")
    '-0.05×'
    >>> format_delta(delta(511.0, 3.0), "count")
    '+508'

    A change that rounds to nothing carries no sign (:func:`is_flat` tells the card to show it
    without an arrow or a colour):

    >>> format_delta(delta(0.4001, 0.4003), "ratio")
    '0.0 pp'
    """
    if is_missing(change.absolute):
        return None
    sign = "+" if change.absolute >= 0 else "-"
    if unit == "ratio":
        points = format_number(100 * abs(change.absolute), 1)
        text = sign + _("{value} pp").format(value=points)
    elif unit == "multiple":
        text = f"{sign}{format_number(abs(change.absolute), 2)}×"
    else:
        amount = f"{sign}{format_value(abs(change.absolute), unit, currency)}"
        small = unit in ("count", "money") and abs(change.previous) < SMALL_BASE
        if small or is_missing(change.relative):
            text = amount
        else:
            relative = (
                f"{'+' if change.relative >= 0 else '-'}{format_percent(abs(change.relative))}"
            )
            text = f"{relative} ({amount})"
    return text.replace("+", "").replace("-", "") if is_flat(text) else text


def is_flat(delta_text: str | None) -> bool:
    """True for a delta text whose every figure is zero ("0.0 pp", "-0.0% (-$0)"): the change
    rounds to nothing at the precision shown.

    Examples
    --------
    >>> is_flat("-0.0 pp"), is_flat("+0.1 pp"), is_flat(None)
    (True, False, False)
    """
    return delta_text is not None and not any(c in "123456789" for c in delta_text)


def escape_markdown(text: str) -> str:
    r"""``text`` with every Markdown, HTML and LaTeX special character backslash-escaped, so text
    from a URL or the database is shown as typed (no links, images or formatting).

    Examples
    --------
    >>> print(escape_markdown("![x](http://evil/img) *bold* $x$"))
    \!\[x\]\(http\://evil/img\) \*bold\* \$x\$
    """
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS else c for c in text)
