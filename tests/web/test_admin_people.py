"""The organisation tree, users and roles, and the holiday calendar import."""

from __future__ import annotations

from io import BytesIO

from flask import Flask
from flask.testing import FlaskClient

from tests.web.world import HOLIDAYS_2031, csrf_token, login, post_form


def test_the_tree_shows_every_unit_under_its_parent(admin: FlaskClient) -> None:
    page = admin.get("/admin/organisation").get_data(as_text=True)
    # TreeSize(1, 1, 1): district, office, 11 rooms, 7 organisations, court and its filing
    # division, then for each of the 21 towns: town, committee, village, grid, courtyard.
    assert "共 129 个单位" in page
    assert page.index("荣昌区综合调处室") < page.index("医疗纠纷调解室")
    assert "T01-V1-G1-Y1" in page and "人民法院" in page and "网格" in page


def test_users_are_listed_with_roles_and_masked_phones(admin: FlaskClient) -> None:
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
    assert "调解员 · 昌元街道社区1第1网格" in page and "管理员 · 荣昌区" in page


def test_a_new_user_gets_roles_and_can_log_in(admin: FlaskClient, app: Flask) -> None:
    response = post_form(admin, "/admin/users/new", {
        "username": "wang.li", "display_name": "王丽", "password": "long-enough-1",
        "phone": "13900001111",
        "roles-0-role": "mediator", "roles-0-unit": "T01-V1-G1",
        "roles-1-role": "committee_chair", "roles-1-unit": "T01-PMC",
        "roles-2-role": "", "roles-2-unit": "",
    }, page="/admin/users/new")
    assert response.status_code == 302
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert "王丽 现在可以用 wang.li 登录。" in listed
    assert "调委会主任 · 昌元街道人民调解委员会" in listed
    newcomer = app.test_client()
    assert login(newcomer, "wang.li", "long-enough-1").status_code == 302


def test_mistakes_are_shown_next_to_their_fields_and_nothing_typed_is_lost(
    admin: FlaskClient,
) -> None:
    response = post_form(admin, "/admin/users/new", {
        "username": "wang li", "display_name": "王丽", "password": "short",
        "roles-0-role": "mediator", "roles-0-unit": "",
        "roles-1-role": "", "roles-1-unit": "T01",
    }, page="/admin/users/new")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("只能使用字母、数字、点、连字符和下划线。", "至少 8 个字符。",
                    "请输入该角色所属的单位。", "请为该单位选择角色。"):
        assert message in page
    assert 'value="王丽"' in page and 'value="wang li"' in page


def test_a_taken_username_is_refused_in_words(admin: FlaskClient) -> None:
    response = post_form(admin, "/admin/users/new", {
        "username": "mediator", "display_name": "重名", "password": "long-enough-1",
    }, page="/admin/users/new")
    assert response.status_code == 400
    assert "the username &#39;mediator&#39; is taken" in response.get_data(as_text=True)


def test_an_unknown_unit_is_refused_and_nobody_is_created(admin: FlaskClient) -> None:
    response = post_form(admin, "/admin/users/new", {
        "username": "zhao", "display_name": "赵", "password": "long-enough-1",
        "roles-0-role": "mediator", "roles-0-unit": "NO-SUCH-UNIT",
    }, page="/admin/users/new")
    assert response.status_code == 400
    assert "zhao" not in admin.get("/admin/users").get_data(as_text=True)


def upload(client: FlaskClient, content: str, name: str = "2031.csv") -> object:
    token = csrf_token(client.get("/admin/holidays"))
    return client.post("/admin/holidays", data={
        "csrf_token": token, "schedule": (BytesIO(content.encode()), name),
    }, content_type="multipart/form-data")


def test_a_holiday_schedule_is_imported_and_can_be_downloaded(admin: FlaskClient) -> None:
    response = upload(admin, HOLIDAYS_2031)
    assert response.status_code == 302  # type: ignore[attr-defined]
    page = admin.get("/admin/holidays").get_data(as_text=True)
    assert "已导入 2031 年安排：3 天节假日，1 天调休上班日。" in page
    assert "2031" in page.split("有正式节假日安排的年份")[1]
    with admin.get("/admin/holidays/2031.csv") as download:
        assert download.get_data(as_text=True) == HOLIDAYS_2031
    assert admin.get("/admin/holidays/2032.csv").status_code == 404


def test_a_bad_schedule_is_refused_line_by_line_on_the_page(admin: FlaskClient) -> None:
    response = upload(admin, "date,kind\n2031-13-01,holiday\n2031-01-05,rest\n")
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "节假日安排未导入：" in page and 'id="import-problems"' in page
    assert "第 2 行：“2031-13-01”不是有效日期。" in page
    assert "第 3 行：类别必须是 holiday（休）或 workday（班），而不是“rest”。" in page
    assert "2031" not in admin.get("/admin/holidays").get_data(as_text=True).split(
        "有正式节假日安排的年份")[1]


def test_a_schedule_that_is_not_a_whole_year_is_refused_in_english_too(
    admin: FlaskClient,
) -> None:
    post_form(admin, "/language", {"lang": "en", "next": "/admin/holidays"})
    response = upload(admin, "date,kind\n2031-01-01,holiday\n2030-12-31,holiday\n"
                             "2031-01-02,holiday\n")
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "The holiday schedule was not imported:" in page
    assert "Line 3: 2030-12-31 is outside 2031: a file holds one year&#39;s schedule." in page
    response = upload(admin, "date,kind\n2031-01-01,holiday\n2031-01-02,holiday\n")
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert ("There is no Spring Festival block: 2031-01-23, the first day of the lunar year, "
            "is not listed as a holiday.") in page
    assert "There is no National Day block: 2031-10-01 is not listed as a holiday." in page


def test_the_upload_form_asks_for_a_csv_file(admin: FlaskClient) -> None:
    response = upload(admin, "x", name="schedule.pdf")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "文件必须是 .csv 文件。" in response.get_data(as_text=True)  # type: ignore[attr-defined]
