"""The Data page in Russian: heading, row counts with Russian digit grouping and what a reseed
keeps, through ``AppTest`` with ``CRM_LANGUAGE=ru`` (hand-written expected text)."""

from __future__ import annotations

from tests.support.apptest import app_database_fixtures, metric, page_in

url = app_database_fixtures("data_ru")[0]


def test_the_data_page_in_russian(url: str) -> None:
    at = page_in("ru", "pages/data.py")
    assert at.title[0].value == "Данные"
    assert "Качество данных" in [h.value for h in at.subheader]
    assert metric(at, "Таблицы") == "16 / 16"
    assert metric(at, "Сделки") == "10\xa0000"  # the S demo's planted 10,000 deals
    assert metric(at, "Клиенты") == "2\xa0000"
    assert any(c.value.startswith("Пользователи дашборда и планы мотивации") for c in at.caption)
