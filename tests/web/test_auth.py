"""Logging in and out, sessions and cookies, CSRF, the 403 page and the secret key."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from engine.runtime import Engine
from tests.web.world import World, csrf_token, login, make_app, post_form
from web.app import create_app
from web.security import SECRET_ENV, SECRET_FILE, secret_key
from web.settings import Settings
from workflows.models import Person


def test_a_person_logs_in_with_the_form_and_is_welcomed(client: FlaskClient) -> None:
    response = login(client, "admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "欢迎，测试admin。" in page
    assert "退出" in page and "流程定义" in page


def test_a_wrong_password_shows_the_form_again_with_a_message(client: FlaskClient) -> None:
    response = login(client, "admin", "not-the-password")
    assert response.status_code == 200
    assert "用户名或密码错误。" in response.get_data(as_text=True)
    assert client.get("/admin/definitions").status_code == 302


def test_an_empty_login_form_says_what_is_missing_next_to_the_fields(
    client: FlaskClient,
) -> None:
    response = post_form(client, "/login", {"username": "", "password": ""}, page="/login")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请输入用户名。" in page and "请输入密码。" in page


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(
    client: FlaskClient,
) -> None:
    token = csrf_token(client.get("/login"))
    form = {"username": "admin", "password": "correct-horse-9", "csrf_token": token}
    assert client.post("/login?next=/admin/users", data=form).headers["Location"] == "/admin/users"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/"))})
    token = csrf_token(client.get("/login"))
    form["csrf_token"] = token
    response = client.post("/login?next=//evil.example/", data=form)
    assert response.headers["Location"] == "/"


def test_login_starts_a_new_session_but_keeps_the_language(client: FlaskClient) -> None:
    post_form(client, "/language", {"lang": "en", "next": "/"})
    before = csrf_token(client.get("/login"))
    login(client, "admin")
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, 测试admin." in page
    assert csrf_token(page) != before


def test_logging_out_ends_the_session(admin: FlaskClient) -> None:
    response = post_form(admin, "/logout")
    assert response.status_code == 302
    assert "您已退出登录。" in admin.get("/").get_data(as_text=True)
    assert admin.get("/admin/definitions").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(admin: FlaskClient) -> None:
    response = admin.post("/logout")
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    wrong = admin.post("/admin/instances/1/suspend", data={"csrf_token": "forged"})
    assert wrong.status_code == 400


def test_json_requests_need_the_token_header(admin: FlaskClient, world: World) -> None:
    response = admin.post(f"/admin/modeler/{world.deployment_id}/validate",
                          json={"key": "tier.dmn", "xml": ""})
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_the_403_page_says_why_and_offers_a_way_on(app: Flask) -> None:
    mediator = app.test_client()
    login(mediator, "mediator")
    response = mediator.get("/admin/users")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "您无权打开此页面" in page and "请管理员为您分配该角色" in page
    assert "流程定义" not in page  # the admin menu is not offered to a mediator


def test_a_deactivated_person_is_logged_out_at_the_next_request(
    admin: FlaskClient, engine: Engine
) -> None:
    with engine.transaction() as session:
        session.execute(update(Person).where(Person.username == "admin").values(active=False))
    assert admin.get("/admin/definitions").status_code == 302


def test_session_cookies_are_http_only_and_same_site(client: FlaskClient) -> None:
    response = login(client, "admin")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # testing: the test client speaks plain HTTP


def test_cookies_are_secure_outside_testing_and_debugging(engine: Engine, tmp_path: Path) -> None:
    app = create_app(Settings(engine.db.url, tmp_path), engine=engine)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert make_app(engine, tmp_path).config["SESSION_COOKIE_SECURE"] is False


def test_security_headers_are_sent(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_secret_key_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-the-environment")
    assert secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / SECRET_FILE).exists()


def test_without_one_a_random_key_is_kept_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = secret_key(tmp_path / "instance")
    assert len(first) == 64
    assert secret_key(tmp_path / "instance") == first
    assert (tmp_path / "instance" / SECRET_FILE).stat().st_mode & 0o077 == 0
    assert list((tmp_path / "instance").iterdir()) == [tmp_path / "instance" / SECRET_FILE]
