"""The message catalogues kept in step with the code: extract, update and check.

:func:`extract` reads every marked string (``_``, ``N_``, ``ngettext``) of the app's packages
with Babel's extractor; :func:`update` merges them into each language's ``messages.po`` (new
strings enter untranslated, strings no longer in the code leave); :func:`problems` lists what a
release must not have: a string of the code missing from a catalogue, untranslated or fuzzy, or
a translation whose ``{placeholders}`` differ from the original's.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from i18n import LANGUAGES, LOCALES, read_catalogue

__all__ = ["ROOT", "SOURCES", "catalogue_path", "extract", "problems", "update"]

#: The project's root folder.
ROOT = LOCALES.parents[1]
#: What is searched for strings, relative to :data:`ROOT`.
SOURCES: tuple[str, ...] = (
    "app.py",
    "access",
    "analytics",
    "appdb",
    "crm_data",
    "i18n",
    "pages",
    "reports",
    "ui",
)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def catalogue_path(language: str) -> Path:
    """``locales/<language>/LC_MESSAGES/messages.po``."""
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def extract(root: Path = ROOT) -> Catalog:
    """Every marked string under :data:`SOURCES`, with where it occurs."""
    template = Catalog(project="crm-analytics", fuzzy=False)
    for source in SOURCES:
        path = root / source
        if path.is_file():
            found = extract_from_dir(root, method_map=[(source, "python")])
        else:
            found = extract_from_dir(path, method_map=[("**.py", "python")])
        for filename, lineno, message, comments, context in found:
            where = filename if path.is_file() else f"{source}/{filename}"
            template.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return template


def update(language: str) -> int:
    """Merge the code's strings into ``language``'s catalogue; the number still to translate."""
    template = extract()
    path = catalogue_path(language)
    if path.exists():
        with path.open("rb") as po:
            catalog = read_po(po, locale=language)
    else:
        catalog = Catalog(locale=language)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po:
        write_po(po, catalog, width=100, sort_output=True, include_previous=False)
    return len(problems(language))


def problems(language: str) -> list[str]:
    """What is wrong with ``language``'s catalogue against the code, one line each."""
    catalog = read_catalogue(language)
    found: list[str] = []
    for message in extract():
        if not message.id:
            continue
        stored = catalog.get(message.id, context=message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        label = message.id if isinstance(message.id, str) else message.id[0]
        if stored is None:
            found.append(f"missing: {label!r} ({where})")
            continue
        strings = _forms(stored.string)
        if stored.fuzzy:
            found.append(f"fuzzy: {label!r} ({where})")
        elif not all(strings):
            found.append(f"untranslated: {label!r} ({where})")
        else:
            wanted = set(_PLACEHOLDER.findall(_forms(message.id)[-1]))
            if any(set(_PLACEHOLDER.findall(s)) != wanted for s in strings):
                found.append(f"placeholders differ: {label!r} ({where})")
    return found


def _forms(text: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """A message's text or its plural forms, as a tuple."""
    if text is None:
        return ("",)
    return (text,) if isinstance(text, str) else tuple(text)


def languages_to_check() -> tuple[str, ...]:
    """Every language with a catalogue (all but English, the code's own)."""
    return LANGUAGES[1:]
