"""The case page: who may open it, masked numbers for non-staff, deadlines with days left, the
timeline in words, the documents, and the diagram with its progress; the case finder."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.database import Database
from tests.web.casework import Casework, Driven, build
from tests.web.world import login, post_form


@pytest.fixture(scope="module")
def world(module_db: Database) -> Casework:
    return build(module_db)


@pytest.fixture(scope="module")
def app(world: Casework, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield world.app(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="module")
def clients(app: Flask) -> dict[str, FlaskClient]:
    browsers = {}
    for username in ("admin", "clerk", "dispatcher", "mediator", "chair", "outsider", "party",
                     "party2", "gridworker", "filing", "judge"):
        browser = app.test_client()
        assert login(browser, username).status_code == 302
        browsers[username] = browser
    return browsers


@pytest.fixture(scope="module")
def agreed(world: Casework) -> Driven:
    """A case settled at the grid, waiting for the parties' joint application."""
    return world.submit().agreed()


def status(browser: FlaskClient, case: Driven) -> int:
    return browser.get(f"/cases/{case.case_id}").status_code


def test_who_may_open_a_case_in_mediation(world: Casework, clients: dict[str, FlaskClient],
                                          app: Flask) -> None:
    case = world.submit().in_mediation()
    # 张三 (login "party") is a party to it; the other party login is not.
    expected = {"admin": 200, "clerk": 200, "dispatcher": 200, "mediator": 200, "chair": 200,
                "outsider": 403, "party": 200, "party2": 403, "gridworker": 403, "filing": 403,
                "judge": 403}
    assert {name: status(b, case) for name, b in clients.items()} == expected
    anonymous = app.test_client().get(f"/cases/{case.case_id}")
    assert anonymous.status_code == 302
    assert clients["clerk"].get("/cases/999999").status_code == 404


def test_a_case_waiting_for_registration_is_the_offices(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit()
    assert status(clients["clerk"], case) == 200
    # It sits with the office until triage sends it to a unit.
    assert status(clients["mediator"], case) == 403


def test_parties_see_cases_they_have_a_task_in_and_court_users_cases_sent_to_them(
    world: Casework, clients: dict[str, FlaskClient], agreed: Driven
) -> None:
    assert status(clients["party"], agreed) == 200  # 张三 is a party to it
    assert status(clients["party2"], agreed) == 403
    assert status(clients["judge"], agreed) == 403
    at_court = world.submit().at_court()
    assert status(clients["filing"], at_court) == 200
    assert status(clients["judge"], at_court) == 403  # not yet: the filing division decides first
    at_court.do("decide_acceptance", "filing", jc_accepted=True)
    assert status(clients["judge"], at_court) == 200
    assert status(clients["outsider"], at_court) == 403


def test_grid_workers_see_the_cases_they_reported(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    theirs = world.submit(actor="gridworker", channel="grid_worker")
    others = world.submit(actor="somebody", channel="grid_worker")
    assert status(clients["gridworker"], theirs) == 200
    assert status(clients["gridworker"], others) == 403
    listed = clients["gridworker"].get("/cases").get_data(as_text=True)
    assert theirs.case_no in listed and others.case_no not in listed


def test_numbers_are_whole_for_staff_and_masked_for_others(
    clients: dict[str, FlaskClient], agreed: Driven
) -> None:
    staff = clients["mediator"].get(f"/cases/{agreed.case_id}").get_data(as_text=True)
    assert "13800000001" in staff and "11010519491231002X" in staff
    party = clients["party"].get(f"/cases/{agreed.case_id}").get_data(as_text=True)
    assert "13800000001" not in party and "138****0001" in party
    assert "11010519491231002X" not in party and "1101**********002X" in party
    assert "139****0002" in party


def test_the_page_shows_facts_deadlines_timeline_documents_and_progress(
    clients: dict[str, FlaskClient], agreed: Driven
) -> None:
    html = clients["mediator"].get(f"/cases/{agreed.case_id}").get_data(as_text=True)
    assert agreed.case_no in html
    assert 'id="case-state">司法确认<' in html
    assert 'id="case-tier">网格<' in html
    assert "邻里纠纷" in html and "2000.00元" in html
    # Deadlines: the joint application runs 30 days from Mon 2 March (to Wed 1 April);
    # the performance deadline (20 March) runs as well; the choice of a mediator is over.
    deadlines = html[html.index('id="deadlines"'):html.index('id="documents"')]
    assert "任务：申请司法确认" in deadlines
    assert '<time datetime="2026-04-01">2026-04-01</time> · 剩余30天' in deadlines
    assert '<time datetime="2026-03-20">2026-03-20</time> · 剩余18天' in deadlines
    assert "当事人选定调解员" in deadlines and "该环节已结束" in deadlines
    # The timeline in words, with the answers.
    timeline = html[html.index('id="timeline"'):html.index('id="process"')]
    for words in ("案件流程启动", "完成“登记受理”", "受理决定: 受理", "分流：从网格级开始调解",
                  "完成“调解”", "调解结果: 达成协议", "完成“当事人签署协议”", "当事人：李四",
                  "完成：签订调解协议"):
        assert words in timeline, words
    # The documents the process recorded.
    documents = html[html.index('id="documents"'):html.index('id="timeline"')]
    for words in ("邻里之间因排水沟堵塞引发的赔偿纠纷", "调解笔录", "网格级", "调解协议",
                  "李四赔偿张三1500元并于三日内疏通排水沟", "当事人签署", "张三", "签名"):
        assert words in documents, words
    # The diagram: the main process first, then the processes it calls.
    options = re.findall(r'<option value="(/cases/\d+/diagram/[^"]+)">([^<]+)</option>', html)
    assert options[0][0].endswith("/diagram/dispute_intake.bpmn")
    assert "纠纷受理与分流" in options[0][1] and "主流程" in options[0][1]
    assert any(url.endswith("/judicial_confirmation.bpmn") for url, _ in options)
    progress = json.loads(re.search(
        r'<script type="application/json" id="diagram-progress">(.+?)</script>', html,
        re.S).group(1))  # type: ignore[union-attr]
    assert {"register_dispute", "triage", "mediate", "sign_agreement"} <= set(progress["completed"])
    assert "apply_jointly" in progress["active"]


def test_the_diagram_files_are_served_to_those_who_may_see_the_case(
    clients: dict[str, FlaskClient], agreed: Driven
) -> None:
    url = f"/cases/{agreed.case_id}/diagram/dispute_intake.bpmn"
    response = clients["mediator"].get(url)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert b'id="dispute_intake"' in response.data
    assert clients["outsider"].get(url).status_code == 403
    assert clients["mediator"].get(f"/cases/{agreed.case_id}/diagram/forms/mediate.json"
                                   ).status_code == 404
    assert clients["mediator"].get(f"/cases/{agreed.case_id}/diagram/nothing.bpmn"
                                   ).status_code == 404


def test_the_page_is_in_english_when_chosen(app: Flask, agreed: Driven) -> None:
    browser = app.test_client()
    login(browser, "mediator")
    post_form(browser, "/language", {"lang": "en", "next": "/"})
    html = browser.get(f"/cases/{agreed.case_id}").get_data(as_text=True)
    assert "Judicial confirmation" in html and "Neighbour dispute" in html
    assert "Completed “Register the dispute”" in html
    assert "Apply for judicial confirmation" in html
    assert "30 days left" in html


def test_the_case_finder(clients: dict[str, FlaskClient], agreed: Driven) -> None:
    found = clients["clerk"].get("/cases?q=" + agreed.case_no[-6:]).get_data(as_text=True)
    assert agreed.case_no in found
    assert agreed.case_no in clients["mediator"].get("/cases").get_data(as_text=True)
    assert agreed.case_no not in clients["outsider"].get("/cases").get_data(as_text=True)
    # Parties find their own cases, and only those.
    assert agreed.case_no in clients["party"].get("/cases").get_data(as_text=True)
    assert agreed.case_no not in clients["party2"].get("/cases").get_data(as_text=True)


def test_every_case_code_has_a_name_and_the_chinese_names_are_the_domains(app: Flask) -> None:
    from web.case_labels import CHANNEL_NAMES, DISPUTE_TYPE_NAMES, STATE_NAMES
    from workflows.cases import STATES
    from workflows.organisation import CHANNELS, DISPUTE_TYPES

    with app.test_request_context():
        for names, domain in ((STATE_NAMES, STATES), (DISPUTE_TYPE_NAMES, DISPUTE_TYPES),
                              (CHANNEL_NAMES, CHANNELS)):
            assert {code: str(name) for code, name in names.items()} == dict(domain)
