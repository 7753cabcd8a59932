"""Taking disputes in: the public form (no login), its messages in place with nothing lost, the
receipt with the case number, the cascading place lists, and the grid worker's quick report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.database import Database
from tests.web.casework import GRID, Casework, build
from tests.web.world import login, post_form
from workflows.models import Case

VALID = {
    "applicant_name": "王五", "applicant_phone": "13800001111",
    "applicant_id_number": "11010519491231002X", "applicant_address": "昌元街道1号",
    "respondent_name": "赵六", "respondent_phone": "023-46789012",
    "dispute_type": "neighbour", "amount": "1200.50",
    "description": "楼上卫生间漏水，浸湿楼下天花板", "town": "T01", "village": "T01-V1",
    "grid": GRID, "courtyard": "",
}


@pytest.fixture(scope="module")
def world(module_db: Database) -> Casework:
    return build(module_db)


@pytest.fixture(scope="module")
def app(world: Casework, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield world.app(tmp_path_factory.mktemp("instance"))


def errors_of(html: str, field: str) -> str:
    """The messages shown next to ``field``."""
    found = re.search(rf'id="{field}-help" class="errors">([^<]*)<', html)
    return found.group(1).strip() if found else ""


def value_of(html: str, field: str) -> str:
    found = re.search(rf'id="{field}" name="{field}" value="([^"]*)"', html)
    return found.group(1) if found else ""


def cases(world: Casework) -> int:
    with world.engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_the_public_form_needs_no_login_and_is_in_chinese(app: Flask) -> None:
    page = app.test_client().get("/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "纠纷申请" in html and "纠纷发生地" in html
    assert 'name="csrf_token"' in html
    # The towns of the district are offered; the lower lists wait for a choice.
    assert "昌元街道" in html and 'id="village" name="village" disabled' in html
    # Everyone finds it in the menu, logged in or not.
    assert 'href="/report"' in app.test_client().get("/").get_data(as_text=True)


def test_invalid_entries_are_named_next_to_their_fields_and_nothing_typed_is_lost(
    app: Flask, world: Casework
) -> None:
    client = app.test_client()
    before = cases(world)
    sent = {**VALID, "applicant_phone": "12345", "applicant_id_number": "123",
            "respondent_name": "", "amount": "-3", "description": "漏水"}
    response = post_form(client, "/report", sent, page="/report")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "11位手机号码" in errors_of(html, "applicant_phone")
    assert "18位居民身份证号码" in errors_of(html, "applicant_id_number")
    assert errors_of(html, "respondent_name") == "请填写对方当事人的姓名。"
    assert "不小于0元" in errors_of(html, "amount")
    assert "5至5000个字" in errors_of(html, "description")
    assert errors_of(html, "applicant_name") == ""
    # Everything typed is still there, the place chosen too.
    assert value_of(html, "applicant_name") == "王五"
    assert value_of(html, "applicant_phone") == "12345"
    assert value_of(html, "applicant_address") == "昌元街道1号"
    assert ">漏水</textarea>" in html
    assert f'<option value="{GRID}" selected>' in html
    assert 'value="neighbour" selected' in html
    assert cases(world) == before


def test_a_place_is_required(app: Flask) -> None:
    response = post_form(app.test_client(), "/report",
                         {**VALID, "town": "", "village": "", "grid": ""}, page="/report")
    assert response.status_code == 422
    assert errors_of(response.get_data(as_text=True), "place") == "请选择纠纷发生的地点。"


def test_a_valid_report_gets_a_case_number_on_its_receipt(app: Flask, world: Casework) -> None:
    client = app.test_client()
    response = post_form(client, "/report", VALID, page="/report")
    assert response.status_code == 302
    assert response.headers["Location"] == "/report/receipt"
    receipt = client.get("/report/receipt").get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt)
    assert number and number.group(1).startswith("(2026)渝荣调字第")
    with world.engine.db.reading() as session:
        case = session.scalar(select(Case).where(Case.case_no == number.group(1)))
        assert case is not None
        assert (case.channel, case.state, case.details["reported_unit"]) == (
            "online", "reported", GRID)
        assert str(case.amount) == "1200.50"
        assert [(p.role, p.name, p.phone) for p in case.parties] == [
            ("applicant", "王五", "13800001111"), ("respondent", "赵六", "023-46789012")]
        assert case.details["submitted_by"] == "public"
    # Another browser has no receipt to show.
    assert app.test_client().get("/report/receipt").status_code == 302


def test_the_place_lists_follow_the_choice_above_them(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/report/places?town=T01").get_data(as_text=True)
    assert '<option value="T01-V1">' in html and 'id="grid" name="grid" disabled' in html
    html = client.get(f"/report/places?town=T01&village=T01-V1&grid={GRID}").get_data(as_text=True)
    assert f'<option value="{GRID}" selected>' in html
    assert f'<option value="{GRID}-Y1">' in html
    # Changing the town drops the village that does not belong to it.
    html = client.get("/report/places?town=T02&village=T01-V1").get_data(as_text=True)
    assert 'value="T01-V1"' not in html and '<option value="T02-V1">' in html
    # Without JavaScript, the form is sent back with the lists filled and nothing submitted.
    refreshed = post_form(client, "/report", {"town": "T01", "refresh_places": "1"},
                          page="/report")
    assert refreshed.status_code == 200
    assert '<option value="T01-V1">' in refreshed.get_data(as_text=True)


def test_the_form_is_in_english_when_chosen(app: Flask) -> None:
    client = app.test_client()
    post_form(client, "/language", {"lang": "en", "next": "/report"})
    response = post_form(client, "/report", {**VALID, "applicant_phone": "1"}, page="/report")
    html = response.get_data(as_text=True)
    assert "Report a dispute" in html
    assert "11-digit mobile number" in errors_of(html, "applicant_phone")


def test_grid_workers_report_from_their_grid_with_a_short_form(
    app: Flask, world: Casework
) -> None:
    client = app.test_client()
    assert login(client, "gridworker").status_code == 302
    page = client.get("/grid/report").get_data(as_text=True)
    assert f'<option value="{GRID}" selected>' in page and f'value="{GRID}-Y1"' in page
    refused = post_form(client, "/grid/report", {"place": "T02-V1-G1", "dispute_type": "debt"},
                        page="/grid/report")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert errors_of(html, "place") == "请选择您负责的地点之一。"
    assert errors_of(html, "applicant_name") == "请填写申请人姓名。"
    response = post_form(client, "/grid/report", {
        "place": f"{GRID}-Y1", "dispute_type": "debt", "description": "两户因借款未还发生争执",
        "applicant_name": "钱七", "applicant_phone": "13700000007", "respondent_name": "孙八",
    }, page="/grid/report")
    assert response.status_code == 302
    receipt = client.get("/report/receipt").get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)  # type: ignore[union-attr]
    with world.engine.db.reading() as session:
        case = session.scalar(select(Case).where(Case.case_no == number))
        assert case is not None
        assert (case.channel, case.details["reported_unit"], case.details["submitted_by"]) == (
            "grid_worker", f"{GRID}-Y1", "gridworker")
    # The worker may open the case they reported.
    case_link = re.search(r'href="(/cases/\d+)"', receipt)
    assert case_link and client.get(case_link.group(1)).status_code == 200


@pytest.mark.parametrize("username", ["mediator", "clerk"])
def test_only_grid_workers_have_the_quick_report(app: Flask, username: str) -> None:
    client = app.test_client()
    login(client, username)
    assert client.get("/grid/report").status_code == 403


def test_clerks_entering_a_visit_record_it_as_a_walk_in(app: Flask, world: Casework) -> None:
    client: FlaskClient = app.test_client()
    login(client, "clerk")
    assert post_form(client, "/report", VALID, page="/report").status_code == 302
    receipt = client.get("/report/receipt").get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)  # type: ignore[union-attr]
    with world.engine.db.reading() as session:
        case = session.scalar(select(Case).where(Case.case_no == number))
        assert case is not None and case.channel == "walk_in"


def test_office_settings_come_from_the_instance_folder(tmp_path: Path, world: Casework) -> None:
    (tmp_path / "office.json").write_text(
        '{"case_number_formats": {"people_mediation": "TEST-{year}-{seq:04d}"}}', encoding="utf-8")
    app = world.app(tmp_path)
    client = app.test_client()
    assert post_form(client, "/report", VALID, page="/report").status_code == 302
    assert "TEST-2026-" in client.get("/report/receipt").get_data(as_text=True)
