"""The court's queue: applications for judicial confirmation with the days left on each legal
period, blocked types flagged, the court's tasks worked through the task page (accept, review,
ask the president, approve, rule, serve), and suits coming from failed mediation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from engine.database import Database
from tests.web.casework import Casework, Driven, build
from tests.web.world import login, post_form
from workflows.models import Case


@pytest.fixture(scope="module")
def world(module_db: Database) -> Casework:
    return build(module_db)


@pytest.fixture(scope="module")
def app(world: Casework, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield world.app(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="module")
def clients(app: Flask) -> dict[str, FlaskClient]:
    browsers = {}
    for username in ("filing", "judge", "assistant", "president", "mediator", "clerk"):
        browser = app.test_client()
        assert login(browser, username).status_code == 302
        browsers[username] = browser
    return browsers


def rows(html: str) -> dict[int, str]:
    """Task id -> the row's HTML."""
    return {int(m.group(1)): m.group(2) for m in re.finditer(
        r'<tr data-task="(\d+)" data-element="[^"]*">(.*?)</tr>', html, re.S)}


def errors_of(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-help" class="errors">([^<]*)<', html)
    return found.group(1).strip() if found else ""


def test_the_queue_is_for_court_users(clients: dict[str, FlaskClient]) -> None:
    assert clients["filing"].get("/court").status_code == 200
    assert clients["mediator"].get("/court").status_code == 403
    assert clients["clerk"].get("/court").status_code == 403


def test_an_application_is_accepted_reviewed_extended_and_confirmed(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().at_court()
    accept = case.task("decide_acceptance").id
    queue = clients["filing"].get("/court").get_data(as_text=True)
    row = rows(queue)[accept]
    assert case.case_no in row
    # Applied Mon 2 March: 3 days end Thu 5 March.
    assert "受理：申请之日起3日内" in row
    assert '<time datetime="2026-03-05">2026-03-05</time> · 剩余3天' in row
    assert "不予确认的类型" not in row
    assert accept not in rows(clients["judge"].get("/court").get_data(as_text=True))

    refused = post_form(clients["filing"], f"/tasks/{accept}", {"jc_accepted": "false"})
    assert refused.status_code == 422
    assert errors_of(refused.get_data(as_text=True), "not_accepted_reason") == "此项必填。"
    assert post_form(clients["filing"], f"/tasks/{accept}", {"jc_accepted": "true"}
                     ).status_code == 302

    review = case.refresh().task("review_agreement").id
    row = rows(clients["judge"].get("/court").get_data(as_text=True))[review]
    # 15 days from Mon 2 March end Tue 17 March.
    assert "审查：受理之日起15日内" in row and "2026-03-17" in row
    page = clients["judge"].get(f"/tasks/{review}").get_data(as_text=True)
    assert "“裁定”为“裁定驳回申请”时必填。" in page
    missing = post_form(clients["judge"], f"/tasks/{review}", {"ruling": "rejected"})
    assert missing.status_code == 422
    assert errors_of(missing.get_data(as_text=True), "rejection_ground") == "此项必填。"
    assert post_form(clients["judge"], f"/tasks/{review}", {
        "ruling": "extend", "extension_reason": "需调取履行凭证"}).status_code == 302

    approve = case.refresh().task("approve_extension").id
    assert approve in rows(clients["president"].get("/court").get_data(as_text=True))
    assert clients["judge"].get(f"/tasks/{approve}").status_code == 403
    assert post_form(clients["president"], f"/tasks/{approve}", {
        "extension_approved": "true", "approval_note": "同意"}).status_code == 302

    rule = case.refresh().task("rule_after_extension").id
    row = rows(clients["judge"].get("/court").get_data(as_text=True))[rule]
    assert "审查期限延长10日" in row and "2026-03-27" in row
    assert post_form(clients["judge"], f"/tasks/{rule}", {"ruling": "valid"}).status_code == 302
    serve = case.refresh().task("serve_ruling").id
    assert post_form(clients["assistant"], f"/tasks/{serve}", {
        "served_on": "2026-03-03", "service_method": "electronic"}).status_code == 302
    assert case.refresh().view.data["jc_outcome"] == "confirmed"
    page = clients["judge"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "确认调解协议有效" in page and "电子送达" in page
    # The court's own number, given when both parties applied.
    assert re.search(r'id="jc-case-no">[^<]+<', page)


def test_a_ruling_rejects_with_a_legal_ground(world: Casework, clients: dict[str, FlaskClient]
                                              ) -> None:
    case = world.submit().at_court()
    case.do("decide_acceptance", "filing", jc_accepted=True)
    review = case.task("review_agreement").id
    assert post_form(clients["judge"], f"/tasks/{review}", {
        "ruling": "rejected", "rejection_ground": "not_voluntary",
        "ruling_note": "被申请人称签署时受到胁迫"}).status_code == 302
    assert case.refresh().view.data["rejection_ground"] == "not_voluntary"


def test_blocked_types_are_flagged(world: Casework, clients: dict[str, FlaskClient]) -> None:
    case = world.submit().at_court()
    with world.engine.transaction() as session:
        session.execute(update(Case).where(Case.id == case.case_id).values(personal_status=True))
    row = rows(clients["filing"].get("/court").get_data(as_text=True))[
        case.task("decide_acceptance").id]
    assert "不予确认的类型：身份关系事项不能司法确认" in row


def test_suits_from_failed_mediation_are_registered(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case: Driven = world.submit().in_mediation()
    case.do("mediate", "mediator", outcome="failed", failure_ground="large_gap",
            outcome_reason="双方分歧较大")
    case.do("inform_routes", "mediator", routes_explained=True, route="litigation")
    register = case.task("register_suit").id
    confirmation = rows(clients["filing"].get("/court").get_data(as_text=True))
    assert register not in confirmation
    suits = clients["filing"].get("/court?list=suits").get_data(as_text=True)
    row = rows(suits)[register]
    # 7 days from Mon 2 March: Mon 9 March.
    assert "立案：起诉之日起7日内" in row and "2026-03-09" in row
    claimed = post_form(clients["filing"], f"/tasks/{register}/claim")
    assert claimed.status_code == 302
    missing = post_form(clients["filing"], f"/tasks/{register}", {"suit_registered": "true"})
    assert errors_of(missing.get_data(as_text=True), "court_case_no") == "此项必填。"
    assert post_form(clients["filing"], f"/tasks/{register}", {
        "suit_registered": "true", "court_case_no": "(2026)渝0153民初1234号"}).status_code == 302
    assert case.refresh().view.data["suit_registered"] is True
    assert case.case().state == "closing"
