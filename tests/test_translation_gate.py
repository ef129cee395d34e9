"""The Russian UI has no English left: every page under every role with ``CRM_LANGUAGE=ru``
shows no label without Cyrillic letters that is not data, and the catalogue covers the code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from access.roles import ROLES
from crm_data.config import create_crm_engine
from i18n.catalogue import languages_to_check, problems
from tests.support.apptest import app_database, run
from tests.support.visible_text import data_words, untranslated, visible_texts
from ui.registry import PAGES


@pytest.fixture(scope="module")
def ru_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, frozenset[str]]]:
    """An S demo the app reads in Russian, and every word of its data."""
    with app_database(tmp_path_factory.mktemp("ru")) as url:
        engine = create_crm_engine(url, read_only=True)
        words = data_words(engine)
        engine.dispose()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CRM_LANGUAGE", "ru")
            yield url, words


def _staff(url: str) -> dict[str, int]:
    engine = create_crm_engine(url, read_only=True)
    with engine.connect() as conn:
        rep = conn.execute(sa.text("SELECT min(id) FROM employees WHERE role = 'rep'")).scalar()
        head = conn.execute(
            sa.text("SELECT min(head_id) FROM teams WHERE head_id IS NOT NULL")
        ).scalar()
    engine.dispose()
    return {"rep": int(rep), "head": int(head)}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_russian(role: str, ru_app: tuple[str, frozenset[str]]) -> None:
    url, words = ru_app
    staff = _staff(url)
    at = run(role=role, employee=staff.get(role))
    assert not at.exception, at.exception
    found: dict[str, list[str]] = {}
    for spec in PAGES:
        if not spec.allowed(role):
            continue
        at.switch_page(spec.path).run()
        assert not at.exception, (spec.path, at.exception)
        if left := untranslated(visible_texts(at), words):
            found[spec.path] = left
    assert not found, "\n".join(f"{page}: {line}" for page, ls in found.items() for line in ls)


@pytest.mark.parametrize("language", languages_to_check())
def test_catalogue_covers_every_string_of_the_code(language: str) -> None:
    assert problems(language) == []
