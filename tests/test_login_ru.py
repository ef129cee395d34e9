"""Logging in, logins that end, user-management errors and the refusal of mode ``none`` in
Russian (``CRM_LANGUAGE=ru``), with hand-written expected text.

The app runs through ``AppTest`` on an XS demo database with an app database of the test's
own; what the log and the command line get stays English.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit import config
from streamlit.testing.v1 import AppTest

from appdb.databases import Databases
from appdb.users import COMMAND_LINE, UserError, add_user, employee_label, set_password
from crm_data.config import create_crm_engine
from i18n import use_language
from tests.support.apptest import APP
from tests.support.clock import Clock
from tests.support.databases import use_app_database
from ui.auth import login_throttle
from ui.exposure import exposure_problem

SECRET = secrets.token_urlsafe(48)
PASSWORD = "correct horse"
ISSUER = "https://idp.example.com"


@pytest.fixture
def databases(
    xs_demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Databases]:
    """The XS database for the app, in Russian, an app database of the test's own with the user
    rita (a rep), and a fresh throttle."""
    monkeypatch.setenv("CRM_DATABASE_URL", xs_demo_url)
    monkeypatch.setenv("CRM_TODAY", "2026-06-29")
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    monkeypatch.setenv("CRM_LANGUAGE", "ru")
    monkeypatch.delenv("CRM_AUTH_MODE", raising=False)
    databases = Databases(
        app=use_app_database(tmp_path, monkeypatch),
        crm=create_crm_engine(xs_demo_url, read_only=True),
    )
    with databases.crm.connect() as conn:
        rep = conn.execute(sa.text("SELECT min(id) FROM employees WHERE role = 'rep'")).scalar()
    add_user(databases, "rita@example.com", "rep", actor=COMMAND_LINE, employee_id=rep,
             password=PASSWORD)  # fmt: skip
    login_throttle.clear()
    yield databases
    login_throttle.clear()
    databases.app.dispose()
    databases.crm.dispose()


def password_app(monkeypatch: pytest.MonkeyPatch, **crm_auth: Any) -> AppTest:
    """The app in password mode at its login form (settings ``crm_auth``)."""
    monkeypatch.setenv("CRM_AUTH_MODE", "password")
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["crm_auth"] = {"session_secret": SECRET, **crm_auth}
    at.run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="auth_email").input(email)
    at.text_input(key="auth_password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_the_password_login_form_in_russian(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = password_app(monkeypatch)
    assert at.title[0].value == "CRM-аналитика"
    assert at.subheader[0].value == "Войти"
    assert [box.label for box in at.text_input] == ["E-mail", "Пароль"]
    assert at.button[0].label == "Войти"
    submit(at, "rita@example.com", "wrong horse")
    assert [e.value for e in at.error] == [
        "Неверный e-mail или пароль, либо учётная запись отключена."
    ]
    submit(at, "rita\x00@example.com", PASSWORD)
    assert [e.value for e in at.error] == [
        "В e-mail есть символ, которого не бывает в адресах электронной почты: проверьте его."
    ]
    submit(at, "rita@example.com", PASSWORD)
    caption = next(c.value for c in at.sidebar.caption if " · " in c.value)
    assert caption.endswith(" · Менеджер")
    assert at.sidebar.button(key="auth_logout").label == "Выйти"
    everywhere = at.sidebar.button(key="auth_logout_everywhere")
    assert everywhere.label == "Выйти на всех устройствах"
    assert everywhere.help == (
        "Завершить ваши сеансы во всех браузерах и вкладках, например после работы за общим "
        "компьютером."
    )


def test_the_idle_logout_notice_gives_the_minutes_as_russian_writes_them(
    databases: Databases, monkeypatch: pytest.MonkeyPatch, session_clock: Clock
) -> None:
    at = submit(password_app(monkeypatch, idle_minutes=1.5), "rita@example.com", PASSWORD)
    assert at.metric
    session_clock.now += 90
    at.run()
    assert not at.exception
    assert [i.value for i in at.info] == [
        "Сеанс завершён после 1,5 мин бездействия. Войдите снова."  # a decimal comma
    ]
    assert at.button[0].label == "Войти"


def test_the_throttle_refuses_in_russian(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = password_app(monkeypatch)
    for _ in range(5):
        submit(at, "rita@example.com", "wrong horse")
    submit(at, "rita@example.com", PASSWORD)
    assert [e.value for e in at.error] == [
        "Слишком много неудачных попыток входа с этим e-mail. Попробуйте снова через 30 с."
    ]


def test_an_unverified_oidc_email_is_refused_in_russian(databases: Databases) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"cookie_secret": SECRET}
    at.secrets["crm_auth"] = {"mode": "oidc"}
    at.user = {"is_logged_in": True, "iss": ISSUER, "email": "rita@example.com",
               "email_verified": False}  # fmt: skip
    at.run()
    assert not at.exception and not at.metric
    assert [w.value for w in at.warning] == [
        "Ваш провайдер учётных записей не подтвердил адрес **rita@example\\.com** "
        "(`email_verified` равно false), поэтому с ним нельзя войти. Подтвердите адрес у "
        "провайдера и войдите снова."
    ]
    assert at.button(key="auth_logout").label == "Выйти"


def test_user_errors_and_employee_labels_in_russian(databases: Databases) -> None:
    with use_language("ru"), pytest.raises(UserError) as no_employee:
        add_user(databases, "x@example.com", "rep", actor=COMMAND_LINE)
    assert str(no_employee.value) == (
        "Пользователя с ролью «менеджер» нужно связать с сотрудником: выберите его (в командной "
        "строке `--employee` принимает id, имя или e-mail; список сотрудников выводит "
        "`python -m appdb employees`)."
    )
    with use_language("ru"), pytest.raises(UserError) as short:
        set_password(databases, "rita@example.com", "short", actor=COMMAND_LINE)
    assert str(short.value) == "Пароль слишком короткий: нужно не менее 8 символов."
    with use_language("ru"), pytest.raises(UserError) as exists:
        add_user(databases, "Rita@Example.com", "exec", actor=COMMAND_LINE)
    assert str(exists.value) == (
        "Пользователь rita@example.com уже есть: измените его (`users set-role`, `set-password`) "
        "или сначала удалите (`users remove rita@example.com`)."
    )
    with (  # in English (the command line's language unless CRM_LANGUAGE says otherwise)
        use_language("en"),
        pytest.raises(UserError, match=r"^The password is too short: use at least 8 characters"),
    ):
        set_password(databases, "rita@example.com", "short", actor=COMMAND_LINE)
    employee = {
        "employee_id": 10,
        "name": "Hanna Berg",
        "role": "head",
        "team": "South",
        "heads": "North",
        "email": "e10@example.com",
        "left_at": pd.Timestamp("2023-06-30"),
    }
    with use_language("ru"):
        assert employee_label(employee) == (
            "Hanna Berg (id 10, руководитель отдела продаж, South, руководит North, "
            "e10@example.com, дата ухода 30.06.2023)"
        )
    with use_language("en"):
        assert employee_label(employee) == (
            "Hanna Berg (id 10, head, South, heads North, e10@example.com, left 2023-06-30)"
        )


@pytest.fixture
def server_address() -> Iterator[None]:
    """Restore Streamlit's ``server.address`` option after the test."""
    before = config.get_option("server.address")
    yield
    config.set_option("server.address", before)


@pytest.mark.usefixtures("server_address")
def test_the_refusal_of_mode_none_in_russian(databases: Databases) -> None:
    config.set_option("server.address", "0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and not at.metric
    assert at.title[0].value == "CRM-аналитика"
    assert [w.value for w in at.warning] == [
        "**Локальный режим обслуживает только этот компьютер.** В режиме входа `none` каждый "
        "посетитель — администратор, но сервер настроен принимать подключения на адресе 0.0.0.0 "
        "(server.address), а не только с этого компьютера."
    ]
    assert at.markdown[0].value.startswith(
        "Выберите одно из решений и перезапустите приложение:\n"
        "- оставить дашборд только на этом компьютере: `--server.address 127.0.0.1`"
    )
    assert at.markdown[0].value.endswith("всё видеть и всё делать: `CRM_ALLOW_REMOTE_NONE=1`.")
    # the log's reason stays English, whatever the language
    with use_language("ru"):
        assert exposure_problem(None, "192.0.2.7", {}) == (
            "the browser connects from 192.0.2.7, another computer"
        )
