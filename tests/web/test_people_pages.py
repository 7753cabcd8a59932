"""The web pages of who may see and do what: a 403 that says whether the role, the unit or whose
case it is, in Chinese and in English; the roster offered in a mediator choice and a name that is
not on it refused next to the field; two party logins kept apart; inviting a unit to mediate
jointly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.database import Database
from tests.web.casework import PARTY2_PARTIES, Casework, build
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
    for username in ("mediator", "outsider", "party", "party2", "gridworker", "clerk", "chair"):
        browser = app.test_client()
        assert login(browser, username).status_code == 302
        browsers[username] = browser
    return browsers


def english(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    login(browser, username)
    post_form(browser, "/language", {"lang": "en", "next": "/"})
    return browser


def test_a_403_says_the_unit_whose_case_or_the_role_is_the_reason(
    world: Casework, clients: dict[str, FlaskClient], app: Flask
) -> None:
    case = world.submit().in_mediation()
    unit = clients["outsider"].get(f"/cases/{case.case_id}")
    assert unit.status_code == 403
    page = unit.get_data(as_text=True)
    assert 'data-reason="unit"' in page
    assert "本案由昌元街道社区1第1网格办理，不属于您所在的单位" in page and "原因在于单位" in page
    party = clients["party2"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert 'data-reason="party"' in party and "当事人只能查看本人的案件和任务" in party
    reporter = clients["gridworker"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert 'data-reason="reporter"' in reporter and "网格员只能查看本人上报的案件" in reporter
    role = clients["mediator"].get("/admin/users").get_data(as_text=True)
    assert 'data-reason="role"' in role and "此页面供以下角色使用：管理员" in role
    assert "原因在于角色" in role
    # The same in English.
    outsider = english(app, "outsider").get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "This is handled by 昌元街道社区1第1网格, not by your unit" in outsider
    assert "The reason is the unit" in outsider
    mediator = english(app, "mediator").get("/admin/users").get_data(as_text=True)
    assert "it is for: Administrator" in mediator and "The reason is the role" in mediator
    # Scripts get the reason too.
    answer = clients["outsider"].get(f"/cases/{case.case_id}",
                                     headers={"Accept": "application/json"})
    assert answer.status_code == 403 and answer.get_json()["reason"] == "unit"


def test_the_roster_is_offered_and_a_name_not_on_it_is_refused_next_to_the_field(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().registered()
    own = next(t for t in case.view.ready_tasks if t.assignee == "party")
    page = clients["party"].get(f"/tasks/{own.id}").get_data(as_text=True)
    assert 'name="preferred_mediator" value="mediator"' in page
    assert "调解员王芳 · 邻里纠纷、婚姻家庭 · 在办案件：" in page
    assert 'name="preferred_mediator" value="outsider"' not in page
    refused = post_form(clients["party"], f"/tasks/{own.id}", {"preferred_mediator": "outsider"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    help_ = html[html.index('id="preferred_mediator-help"'):]
    assert help_[:help_.index("</span>")].endswith("请从本单位调解员名册中选择，此人不在名册上。 ")
    assert case.refresh().view.task("choose_mediator").state == "ready"
    # The choice from the roster is taken.
    done = post_form(clients["party"], f"/tasks/{own.id}", {"preferred_mediator": "mediator"})
    assert done.status_code == 302


def test_two_party_logins_see_their_own_cases_and_queues_only(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    first = world.submit().registered()
    second = world.submit(parties=PARTY2_PARTIES).registered()
    first_list = clients["party"].get("/cases").get_data(as_text=True)
    second_list = clients["party2"].get("/cases").get_data(as_text=True)
    assert first.case_no in first_list and second.case_no not in first_list
    assert second.case_no in second_list and first.case_no not in second_list
    for username, case, other in (("party", first, second), ("party2", second, first)):
        mine = clients[username].get("/tasks?view=mine").get_data(as_text=True)
        assert case.case_no in mine and other.case_no not in mine
        queue = clients[username].get("/tasks?view=queue").get_data(as_text=True)
        assert first.case_no not in queue and second.case_no not in queue
        for task in other.view.ready_tasks:
            assert clients[username].get(f"/tasks/{task.id}").status_code == 403
            assert post_form(clients[username], f"/tasks/{task.id}/claim").status_code == 403


def test_the_office_invites_a_unit_to_mediate_jointly(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()
    page = clients["clerk"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert 'id="invite-unit"' in page and 'value="RC-PETITION"' in page
    invited = post_form(clients["clerk"], f"/cases/{case.case_id}/joint-units",
                        {"unit": "RC-PETITION"})
    assert invited.status_code == 302
    page = clients["clerk"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "区信访办访调对接室" in page[page.index('id="joint"'):page.index('id="open-tasks"')]
    again = post_form(clients["clerk"], f"/cases/{case.case_id}/joint-units",
                      {"unit": "RC-PETITION"})
    assert again.status_code == 400 and "已参与本案联合调解" in again.get_data(as_text=True)
    # A party sees the case but does not invite.
    assert 'id="invite-unit"' not in clients["party"].get(
        f"/cases/{case.case_id}").get_data(as_text=True)
    assert post_form(clients["party"], f"/cases/{case.case_id}/joint-units",
                     {"unit": "RC-HR-MED"}).status_code == 403
