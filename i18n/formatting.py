"""Numbers, money, shares and dates in the language in force, through Babel (CLDR).

English reads ``$1,234,567.89``, ``42.1%`` and ``2026-12-02``; Russian ``1 234 567,89 ₽``,
``42,1 %`` and ``02.12.2026``.  A missing value (``None`` or NaN) is "—" (METRICS.md).

Examples
--------
>>> from i18n import use_language
>>> format_money(1234567.89, "USD", digits=2)
'$1,234,567.89'
>>> with use_language("ru"):
...     format_day(date(2026, 12, 2)), format_month(date(2026, 12, 2))
('02.12.2026', 'дек. 2026')
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from functools import cache

from babel import Locale
from babel.dates import format_date, format_skeleton, format_timedelta
from babel.numbers import format_decimal, get_currency_symbol, parse_pattern

from i18n import current_language

__all__ = [
    "MISSING",
    "babel_locale",
    "date_pattern",
    "format_count",
    "format_day",
    "format_duration",
    "format_money",
    "format_month",
    "format_number",
    "format_percent",
    "is_missing",
    "number_separators",
]

#: How a missing value is shown.
MISSING = "—"

_LOCALE_NAMES = {"en": "en_US", "ru": "ru_RU"}
#: Day patterns (CLDR syntax): ISO in English, as Russian offices write dates in Russian.
_DAY_PATTERNS = {"en": "yyyy-MM-dd", "ru": "dd.MM.yyyy"}


def is_missing(value: object) -> bool:
    """True for ``None`` and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale of ``language`` (default: the language in force)."""
    return _parsed_locale(language or current_language())


@cache
def _parsed_locale(language: str) -> Locale:
    return Locale.parse(_LOCALE_NAMES[language])


def _digits_pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def format_number(value: float | None, digits: int = 0) -> str:
    """``value`` with grouping and ``digits`` decimals: ``1,234.5`` / ``1 234,5``."""
    if value is None or is_missing(value):
        return MISSING
    return format_decimal(value, _digits_pattern(digits), locale=babel_locale())


def format_count(value: float | None) -> str:
    """A whole number with grouping: ``12,345`` / ``12 345``."""
    return format_number(value, 0)


def format_percent(share: float | None, digits: int = 1) -> str:
    """A share as a percentage with ``digits`` decimals: 0.4215 → ``42.1%`` / ``42,1 %``.

    Examples
    --------
    >>> format_percent(0.4215), format_percent(None)
    ('42.1%', '—')
    """
    if is_missing(share):
        return MISSING
    assert share is not None
    pattern = parse_pattern(babel_locale().percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    # round in binary first, as Python does: 0.4215 is 42.149999… %, so 42.1 %
    return pattern.apply(round(100 * share, digits) / 100, babel_locale())


#: Compact suffixes per language, largest first: 1.23M / 1,23 млн.
_COMPACT = {
    "en": ((1e9, "B"), (1e6, "M"), (1e3, "k")),
    "ru": ((1e9, "\u00a0млрд"), (1e6, "\u00a0млн"), (1e3, "\u00a0тыс.")),
}


def _compact(value: float, trim: bool = False) -> str:
    """1234 → "1.23k", 1_250_000 → "1.25M" (Russian: "1,23 тыс.", "1,25 млн"): three
    significant digits; below 1000 whole; ``trim``: without trailing zeros ("1.5M", not
    "1.50M").
    """
    for threshold, suffix in _COMPACT[current_language()]:
        if abs(value) >= threshold:
            scaled = value / threshold
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            if trim:
                digits = next(
                    d for d in range(digits + 1) if round(scaled, d) == round(scaled, digits)
                )
            return format_number(scaled, digits) + suffix
    return format_number(value, 0)


def format_money(
    value: float | None,
    currency: str | None,
    *,
    compact: bool = False,
    digits: int = 0,
    trim: bool = False,
) -> str:
    """An amount in ``currency`` (an ISO code; none: the bare number), the symbol placed as
    the language places it: ``$1,234,567`` / ``1 234 567 ₽``; ``compact``: ``$1.23M`` /
    ``1,23 млн ₽``, with ``trim`` without trailing zeros (axis ticks: ``$1.5M``).

    Examples
    --------
    >>> format_money(1_234_567.0, "USD", compact=True), format_money(-9_280.0, "EUR")
    ('$1.23M', '-€9,280')
    >>> format_money(1_500_000.0, "USD", compact=True, trim=True)
    '$1.5M'
    """
    if is_missing(value):
        return MISSING
    assert value is not None
    locale = babel_locale()
    if compact:
        amount = _compact(value, trim)
        if not currency:
            return amount
        symbol = get_currency_symbol(currency.upper(), locale=locale)
        if current_language() == "ru":
            return f"{amount}\u00a0{symbol}"
        return f"{symbol}{amount}" if len(symbol) == 1 else f"{symbol} {amount}"
    if not currency:
        return format_number(value, digits)
    symbol = get_currency_symbol(currency.upper(), locale=locale)
    if current_language() == "en" and len(symbol) > 1 and symbol.isalpha():
        return f"{'-' if value < 0 else ''}{symbol} {format_number(abs(value), digits)}"
    pattern = parse_pattern(locale.currency_formats["standard"].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, locale, currency=currency.upper(), currency_digits=False)


def format_day(day: date | datetime | None) -> str:
    """A day: ``2026-12-02`` / ``02.12.2026``."""
    if day is None or (isinstance(day, float) and math.isnan(day)):
        return MISSING
    return format_date(day, _DAY_PATTERNS[current_language()], locale=babel_locale())


def date_pattern() -> str:
    """The day pattern of the language in force in moment.js syntax (``st.column_config``)."""
    return {"en": "YYYY-MM-DD", "ru": "DD.MM.YYYY"}[current_language()]


def format_month(day: date | datetime) -> str:
    """A month with its year: ``Dec 2026`` / ``дек. 2026``.

    Examples
    --------
    >>> format_month(date(2026, 12, 1))
    'Dec 2026'
    """
    text = format_skeleton("yMMM", day, locale=babel_locale())
    return text.removesuffix("г.").rstrip()  # "дек. 2026 г." reads "дек. 2026" on an axis


def format_duration(delta: timedelta, *, add_direction: bool = False) -> str:
    """A length of time in words, rounded to its largest unit: ``3 days`` / ``3 дня``;
    with ``add_direction``: ``3 days ago`` / ``3 дня назад``.
    """
    return format_timedelta(delta, locale=babel_locale(), add_direction=add_direction)


def number_separators() -> str:
    """The decimal and grouping characters of the language in force, as Plotly's
    ``layout.separators`` takes them: ``".,"`` / ``", "`` (a no-break space groups).
    """
    symbols = babel_locale().number_symbols["latn"]
    return symbols["decimal"] + symbols["group"]
