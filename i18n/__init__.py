"""Translation of every user-visible string: gettext catalogues through Babel.

The English text in the code is the message id; ``locales/<lang>/LC_MESSAGES/messages.po``
holds the translations (``python -m i18n`` extracts, updates and checks them).  The catalogue is
compiled in memory on first use, so no ``.mo`` file lives in the repository.

Which language is in force is a :mod:`contextvars` variable: the app sets it at the start of
every run of a session (``ui.language``), a notebook with :func:`set_language`, everything else
gets ``CRM_LANGUAGE`` (``en`` when unset).  Reports translate eagerly, so their cache key
carries the language (``ui.cache``) and their worker threads copy the context
(``crm_data.concurrent``).

Mark text with :func:`_` (or :func:`ngettext` when it counts something); text defined at import
time (a constant, a catalogue entry) is marked with :func:`N_` and translated with :func:`_`
where it is shown.  Put values in with ``str.format`` *after* translating, never an f-string
inside ``_()``: the extractor only sees literal text.

Examples
--------
>>> with use_language("ru"):
...     ngettext("{n} deal", "{n} deals", 21).format(n=21)
'21 сделка'
>>> ngettext("{n} deal", "{n} deals", 5).format(n=5)
'5 deals'
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from typing import TypeVar

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALES",
    "N_",
    "_",
    "configured_language",
    "current_language",
    "ngettext",
    "parse_language",
    "pgettext",
    "read_catalogue",
    "set_language",
    "translated",
    "translations",
    "use_language",
]

#: Languages the app speaks, the first the default.
LANGUAGES: tuple[str, ...] = ("en", "ru")
DEFAULT_LANGUAGE = LANGUAGES[0]
#: Each language in its own words, for the switch.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ru": "Русский"}
#: Where the catalogues live: ``LOCALES/<lang>/LC_MESSAGES/messages.po``.
LOCALES = Path(__file__).resolve().parent / "locales"

K = TypeVar("K")

_language: ContextVar[str | None] = ContextVar("crm_language", default=None)


def parse_language(value: str | None) -> str | None:
    """The supported language ``value`` names (``"ru"``, ``"ru-RU"``, ``"RU_ru"``), else ``None``.

    Examples
    --------
    >>> parse_language("ru-RU"), parse_language("EN"), parse_language("de"), parse_language(None)
    ('ru', 'en', None, None)
    """
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def configured_language() -> str | None:
    """The language ``CRM_LANGUAGE`` names, ``None`` when it is unset.

    Raises
    ------
    ValueError
        When it names a language the app does not speak.
    """
    value = os.environ.get("CRM_LANGUAGE", "").strip()
    if not value:
        return None
    language = parse_language(value)
    if language is None:
        raise ValueError(
            f"CRM_LANGUAGE={value!r} is not a language the app speaks; use one of "
            f"{', '.join(LANGUAGES)}."
        )
    return language


def current_language() -> str:
    """The language in force: set by :func:`set_language`, else ``CRM_LANGUAGE``, else ``en``."""
    language = _language.get()
    if language is not None:
        return language
    try:
        return configured_language() or DEFAULT_LANGUAGE
    except ValueError:
        return DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    """Make ``language`` (one of :data:`LANGUAGES`) the one in force in this context."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    _language.set(language)


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """``language`` in force while the block runs."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of ``language`` (English: the message ids themselves)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    catalog = read_catalogue(language)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def read_catalogue(language: str) -> Catalog:
    """The catalogue of ``language``, ``LOCALES/<language>/LC_MESSAGES/messages.po`` (empty when
    the file is absent).
    """
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Catalog(locale=language)
    with path.open("rb") as po:
        return read_po(po, locale=language)


def _(message: str) -> str:
    """``message`` in the language in force."""
    return translations(current_language()).gettext(message)


def translated(labels: Mapping[K, str]) -> dict[K, str]:
    """``labels`` (English message ids, e.g. ``N_()`` constants) translated now, for a widget's
    ``format_func``: its labels must not depend on the thread that formats them (``AppTest``
    formats a widget's value outside the script run, in English).

    Examples
    --------
    >>> with use_language("ru"):
    ...     translated({"won": "Won deals"})
    {'won': 'Выигранные сделки'}
    """
    return {key: _(label) for key, label in labels.items()}


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the language in force (Russian has
    three: 1 сделка, 2 сделки, 5 сделок).
    """
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translate where shown)."""
    return message


def pgettext(context: str, message: str) -> str:
    """``message`` in the language in force, as meant in ``context``: for words English uses in
    two senses that Russian tells apart (a person's ``Name``, «Имя», and a plan's, «Название»).
    """
    return translations(current_language()).pgettext(context, message)
