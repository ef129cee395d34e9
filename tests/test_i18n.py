"""Translation and locale formatting: hand-written Russian and English expectations, the
language a session gets (URL, switch, ``CRM_LANGUAGE``), and the language carried into a
report's worker threads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from analytics.deltas import delta
from crm_data.concurrent import gather
from i18n import (
    LANGUAGES,
    _,
    configured_language,
    current_language,
    ngettext,
    parse_language,
    use_language,
)
from i18n.formatting import (
    format_count,
    format_day,
    format_duration,
    format_money,
    format_month,
    format_number,
    format_percent,
    number_separators,
)
from tests.support.apptest import app_database, run
from ui.format import format_delta, format_value

NBSP = "\u00a0"


def spaced(text: str) -> str:
    """``text`` with no-break spaces shown as spaces (Russian groups digits with them)."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["$1,234,567.89", "$1,234,568", "$1.23M", "12,345", "1,234.6", "42.1%"]),
        ("ru", ["1 234 567,89 $", "1 234 568 $", "1,23 млн $", "12 345", "1 234,6", "42,1 %"]),
    ],
)
def test_numbers_money_and_shares(language: str, expected: list[str]) -> None:
    with use_language(language):
        shown = [
            format_money(1_234_567.89, "USD", digits=2),
            format_money(1_234_567.89, "USD"),
            format_money(1_234_567.89, "USD", compact=True),
            format_count(12_345),
            format_number(1_234.56, 1),
            format_percent(0.4215),
        ]
    assert [spaced(text) for text in shown] == expected


def test_roubles_read_as_russian_offices_write_them() -> None:
    with use_language("ru"):
        assert spaced(format_money(1_234_567.89, "RUB", digits=2)) == "1 234 567,89 ₽"
        assert spaced(format_money(45_600.0, "RUB", compact=True)) == "45,6 тыс. ₽"
        assert spaced(format_value(-9_280.0, "money", "RUB", compact=False)) == "−9 280 ₽"
    assert format_money(1_234_567.89, "RUB", digits=2) == "RUB 1,234,567.89"  # code, no symbol


def test_dates_months_and_durations() -> None:
    day = date(2026, 12, 2)
    assert (format_day(day), format_month(day)) == ("2026-12-02", "Dec 2026")
    assert format_duration(timedelta(days=3), add_direction=True) == "in 3 days"
    with use_language("ru"):
        assert (format_day(day), format_month(day)) == ("02.12.2026", "дек. 2026")
        assert format_month(date(2026, 5, 1)) == "май 2026"  # the month named, not "of May"
        assert format_duration(timedelta(days=-3), add_direction=True) == "3 дня назад"
        assert format_duration(timedelta(days=5)) == "5 дней"


def test_cards_and_deltas_in_russian() -> None:
    with use_language("ru"):
        assert format_value(12.5, "days") == "12,5 дн."
        assert spaced(format_value(0.4215, "ratio")) == "42,1 %"
        assert format_delta(delta(0.452, 0.421), "ratio") == "+3,1 п.п."
        assert spaced(format_delta(delta(37_800.0, 33_600.0), "money", "RUB") or "") == (
            "+12,5 % (+4,20 тыс. ₽)"
        )
        assert number_separators() == "," + NBSP
    assert number_separators() == ".,"


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1 сделка"), (2, "2 сделки"), (5, "5 сделок"), (11, "11 сделок"), (21, "21 сделка"),
     (22, "22 сделки"), (0, "0 сделок")],
)  # fmt: skip
def test_russian_plural_forms(n: int, text: str) -> None:
    with use_language("ru"):
        assert ngettext("{n} deal", "{n} deals", n).format(n=n) == text
    assert ngettext("{n} deal", "{n} deals", n).format(n=n) == f"{n} deal{'s' * (n != 1)}"


def test_language_names_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [parse_language(v) for v in ("ru-RU", "EN_gb", "de", "", None)] == [
        "ru", "en", None, None, None
    ]  # fmt: skip
    monkeypatch.setenv("CRM_LANGUAGE", "ru")
    assert configured_language() == "ru" == current_language()
    assert _("Language") == "Язык"
    monkeypatch.setenv("CRM_LANGUAGE", "klingon")
    with pytest.raises(ValueError, match=r"CRM_LANGUAGE='klingon'.*en, ru"):
        configured_language()
    assert current_language() == "en"  # a wrong setting never stops the app
    with pytest.raises(ValueError, match="unknown language"), use_language("de"):
        pass
    assert LANGUAGES == ("en", "ru")


def test_report_threads_keep_the_language(tmp_path: object) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/x.sqlite")  # a pool: calls run on threads
    calls = {key: (lambda bind: (current_language(), _("Language"))) for key in range(4)}
    with use_language("ru"):
        assert set(gather(engine, calls).values()) == {("ru", "Язык")}
    assert set(gather(engine, calls).values()) == {("en", "Language")}
    engine.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An S demo database the app reads."""
    with app_database(tmp_path_factory.mktemp("i18n")) as url:
        yield url


def test_lang_in_the_url_wins_and_stays_in_the_url(demo: str) -> None:
    at = run(query={"lang": "ru", "period": "last_quarter"})
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="language_switch").value == "ru"
    assert at.sidebar.selectbox(key="language_switch").label == "Язык"
    assert at.query_params["lang"] == "ru" and at.query_params["period"] == "last_quarter"


def test_crm_language_sets_the_default(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_LANGUAGE", "ru")
    at = run()
    assert at.sidebar.selectbox(key="language_switch").label == "Язык"
    assert "lang" not in at.query_params  # nothing chosen: the link stays as it was


def test_switching_the_language_keeps_the_filters(demo: str) -> None:
    at = run(query={"period": "custom", "from": "2026-01-01", "to": "2026-03-31"})
    assert at.sidebar.selectbox(key="language_switch").label == "Language"
    at.sidebar.selectbox(key="language_switch").set_value("ru").run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="language_switch").label == "Язык"
    assert at.query_params["lang"] == "ru"
    assert at.query_params["from"] == "2026-01-01" and at.query_params["to"] == "2026-03-31"
    assert at.selectbox(key="flt_period").value == "custom"
    at.sidebar.selectbox(key="language_switch").set_value("en").run()
    assert at.sidebar.selectbox(key="language_switch").label == "Language"
    assert at.query_params["lang"] == "en" and at.query_params["from"] == "2026-01-01"
