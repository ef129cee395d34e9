"""The Data page in Russian: heading, row counts with Russian digit grouping and what a reseed
keeps, through ``AppTest`` with ``CRM_LANGUAGE=ru`` (hand-written expected text)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.apptest import app_database, metric, run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An S demo database the app reads."""
    with app_database(tmp_path_factory.mktemp("data_ru")) as url:
        yield url


def test_the_data_page_in_russian(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_LANGUAGE", "ru")
    at = run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Данные"
    assert "Качество данных" in [h.value for h in at.subheader]
    assert metric(at, "Таблицы") == "16 / 16"
    assert metric(at, "Сделки") == "10\xa0000"  # the S demo's planted 10,000 deals
    assert metric(at, "Клиенты") == "2\xa0000"
    assert any(c.value.startswith("Пользователи дашборда и планы мотивации") for c in at.caption)
