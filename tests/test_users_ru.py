"""The Users page in Russian through ``AppTest`` with ``?lang=ru`` on the S demo (auth mode none,
a local admin): headings, the employee picker, adding a user, the users table and its
messages, with hand-written expected text.

The S demo's employee 5 is Maria Clark, a rep of North Sales; 4 Jonas Cook heads North Sales.
"""

from __future__ import annotations

from tests.support.apptest import app_database_fixtures, messages, page_in

url = app_database_fixtures("users_ru")[0]

PAGE = "pages/users.py"


def test_the_users_page_and_adding_a_rep_in_russian(url: str) -> None:
    at = page_in("ru", PAGE)
    assert at.title[0].value == "Пользователи"
    assert [i.value for i in at.info] == [
        "Приложение работает без входа (режим `none`): эти пользователи начнут действовать, "
        "когда `CRM_AUTH_MODE` станет `password` или `oidc`.",
        "Пользователей пока нет: добавьте первого выше.",
    ]
    role = at.selectbox(key="users_add_role")
    assert role.label == "Роль"
    assert role.options == [
        "Руководитель компании",
        "Руководитель отдела продаж",
        "Менеджер",
        "Аналитик",
        "Администратор",
    ]
    assert "**Менеджер**: сотрудник (видит свои сделки)." in role.help
    employee = at.selectbox(key="users_add_employee_rep")
    assert employee.placeholder == "Выберите сотрудника (начните вводить для поиска)"
    assert (
        "Maria Clark (id 5, менеджер, North Sales, maria.clark5@demo-crm.example)"
        in employee.options
    )
    head = at.selectbox(key="users_add_role").set_value("head").run()
    assert (
        "Jonas Cook (id 4, руководитель отдела продаж, North Sales, руководит North Sales, "
        "jonas.cook4@demo-crm.example)"
    ) in head.selectbox(key="users_add_employee_head").options

    at.selectbox(key="users_add_role").set_value("rep").run()
    at.text_input(key="users_add_email").input("Maria@Example.com")
    at.selectbox(key="users_add_employee_rep").set_value(5)
    at.text_input(key="users_add_pw1").input("correct horse")
    at.text_input(key="users_add_pw2").input("correct horsf")
    at.button(key="users_add_go").click().run()
    assert messages(at) == ["Пароли не совпадают, ничего не изменено. Введите их ещё раз."]
    at.text_input(key="users_add_pw1").input("correct horse")
    at.text_input(key="users_add_pw2").input("correct horse")
    at.button(key="users_add_go").click().run()
    assert not at.exception, at.exception
    assert messages(at) == ["Пользователь maria@example.com добавлен с ролью «менеджер»."]
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "E-mail",
        "Имя",
        "Роль",
        "Сотрудник",
        "Команда",
        "Вход",
        "Активен",
        "Проблема",
    ]
    row = table.iloc[0]
    assert (row["E-mail"], row["Роль"], row["Вход"], row["Активен"]) == (
        "maria@example.com",
        "Менеджер",
        "пароль",
        "да",
    )
    assert at.selectbox(key="users_pick").placeholder == "Выберите одного из 1 пользователя"
    at.selectbox(key="users_pick").set_value("maria@example.com").run()
    assert [b.label for b in at.button if b.key.startswith("users_maria")] == [
        "Сохранить роль и сотрудника",
        "Задать пароль",
        "Отключить",
        "Выйти на всех устройствах",
        "Удалить",
    ]
    at.button(key="users_maria@example.com_disable").click().run()
    assert messages(at) == ["Пользователь maria@example.com отключён."]
    assert at.dataframe[0].value.iloc[0]["Активен"] == "нет"
