"""Where a person acts on the paths a case can take: recording a withdrawal on the case page (the
clerk, or a party for themselves), the court sending a case to mediation from its own page, the
routes after non-performance with their deadlines, and forms that refuse what cannot be true with
the reason next to the field, in Chinese and in English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.database import Database
from tests.web.casework import AGREEMENT, GRID, PEOPLE, T0, Casework, build
from tests.web.world import login, post_form
from web import forms
from web.composition import BPMN_DIR
from workflows.models import Case
from workflows.organisation import DISPUTE_TYPES

# A resident who shares the applicant's name (张三) but is not that party: parties are told apart
# by the login their party is linked to, never by name.
NAMESAKE = "zhangsan"


@pytest.fixture(scope="module")
def world(module_db: Database) -> Casework:
    return build(module_db, people={**PEOPLE, NAMESAKE: ("张三", [("party", GRID)])})


@pytest.fixture(scope="module")
def app(world: Casework, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield world.app(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="module")
def clients(app: Flask) -> dict[str, FlaskClient]:
    browsers = {}
    for username in ("clerk", "mediator", "filing", "judge", "assistant", "admin", "party",
                     NAMESAKE):
        browser = app.test_client()
        assert login(browser, username).status_code == 302
        browsers[username] = browser
    return browsers


@pytest.fixture(autouse=True)
def back_to_monday(world: Casework) -> Iterator[None]:
    yield
    world.clock.set(T0)


def errors_of(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-help" class="errors">([^<]*)<', html)
    return found.group(1).strip() if found else ""


def in_english(client: FlaskClient) -> None:
    assert post_form(client, "/language", {"lang": "en", "next": "/"}).status_code == 302


def in_chinese(client: FlaskClient) -> None:
    assert post_form(client, "/language", {"lang": "zh_Hans_CN", "next": "/"}).status_code == 302


def party_ids(world: Casework, case_id: int) -> dict[str, int]:
    with world.engine.db.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return {p.name: p.id for p in case.parties}


# -- withdrawal ----------------------------------------------------------------------------------


def test_the_clerk_records_a_withdrawal_from_the_case_page(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()
    clerk = clients["clerk"]
    page = clerk.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert 'id="withdraw-form"' in page
    ids = party_ids(world, case.case_id)
    assert f'value="{ids["张三"]}"' in page and f'value="{ids["李四"]}"' in page
    # The mediator does not record withdrawals (the clerk or the party does).
    assert 'id="withdraw-form"' not in clients["mediator"].get(
        f"/cases/{case.case_id}").get_data(as_text=True)
    assert post_form(clients["mediator"], f"/cases/{case.case_id}/withdraw",
                     {"party": ids["张三"], "reason": "x"}).status_code == 403

    refused = post_form(clerk, f"/cases/{case.case_id}/withdraw", {"party": ids["张三"]})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert errors_of(html, "reason") == "请填写撤回理由。"
    assert f'<option value="{ids["张三"]}" selected>' in html

    done = post_form(clerk, f"/cases/{case.case_id}/withdraw",
                     {"party": ids["张三"], "reason": "已与对方私下和解"})
    assert done.status_code == 302
    row = case.case()
    assert (row.state, row.outcome) == ("withdrawn", "withdrawn")
    assert row.details["withdrawal"]["recorded_by"] == "clerk"
    page = clerk.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert 'id="withdraw-form"' not in page
    assert '<span class="status state-withdrawn" id="case-state">已撤回</span>' in page
    assert '<dd id="case-outcome">当事人撤回</dd>' in page
    assert case.refresh().ready() == ["inform_routes"]


def test_a_party_records_their_own_withdrawal_and_no_one_elses(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().registered()  # the parties choose a mediator
    party = clients["party"]  # 张三's own login, linked to the party
    ids = party_ids(world, case.case_id)
    page = party.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert f'value="{ids["张三"]}"' in page and f'value="{ids["李四"]}"' not in page
    # Another resident of the same name is not the party: the case is not theirs.
    namesake = clients[NAMESAKE]
    assert namesake.get(f"/cases/{case.case_id}").status_code == 403
    assert post_form(namesake, f"/cases/{case.case_id}/withdraw",
                     {"party": ids["张三"], "reason": "同名"}).status_code == 403
    other = post_form(party, f"/cases/{case.case_id}/withdraw",
                      {"party": ids["李四"], "reason": "代他撤回"})
    assert other.status_code == 422
    assert errors_of(other.get_data(as_text=True), "party") == "请选择撤回的当事人。"
    assert post_form(party, f"/cases/{case.case_id}/withdraw",
                     {"party": ids["张三"], "reason": "不想调解了"}).status_code == 302
    withdrawal = case.case().details["withdrawal"]
    assert (withdrawal["party"], withdrawal["party_id"]) == ("张三", ids["张三"])
    assert withdrawal["recorded_by"] == "party"


def test_no_withdrawal_once_the_agreement_is_in_force(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().agreed()
    clerk = clients["clerk"]
    assert 'id="withdraw-form"' not in clerk.get(f"/cases/{case.case_id}").get_data(as_text=True)
    ids = party_ids(world, case.case_id)
    late = post_form(clerk, f"/cases/{case.case_id}/withdraw",
                     {"party": ids["张三"], "reason": "反悔"})
    assert late.status_code == 422
    assert "本案已不能撤回：调解已结束或调解协议已生效。" in late.get_data(as_text=True)
    assert case.case().state == "judicial_confirmation"


# -- the court's own intake ----------------------------------------------------------------------


REFERRAL = {
    "mode": "delegated", "court_reference": "(2026)渝0153民诉前88号",
    "applicant_name": "赵一", "applicant_phone": "13800000011",
    "respondent_name": "钱二", "respondent_phone": "13900000022",
    "dispute_type": "debt", "amount": "12000", "description": "借款到期未还，原告起诉",
}


def test_the_court_sends_a_case_to_mediation_from_its_own_page(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    filing = clients["filing"]
    queue = filing.get("/court").get_data(as_text=True)
    assert 'id="send-to-mediation"' in queue
    page = filing.get("/court/intake").get_data(as_text=True)
    assert "委派调解（立案前）" in page and "委托调解（立案后）" in page
    assert clients["assistant"].get("/court/intake").status_code == 403
    assert clients["clerk"].get("/court/intake").status_code == 403

    refused = post_form(filing, "/court/intake",
                        {**REFERRAL, "applicant_phone": "12", "amount": "100.123"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert errors_of(html, "applicant_phone") == "请填写11位手机号码，或如023-46789012的固定电话。"
    assert errors_of(html, "amount") != ""
    assert 'value="赵一"' in html

    sent = post_form(filing, "/court/intake", REFERRAL)
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/court")
    with world.engine.db.reading() as session:
        case = session.scalar(select(Case).where(Case.channel == "court"))
        assert case is not None
        assert (case.kind, case.case_no, case.details["court_referral"]) == (
            "pre_litigation", "(2026)渝0151民诉前调1号", "delegated")
        assert case.details["court_reference"] == "(2026)渝0153民诉前88号"
        assert case.details["reported_unit"] == "RC-OFFICE"
    flash = filing.get("/court").get_data(as_text=True)
    assert "(2026)渝0151民诉前调1号" in flash
    # The office registers it like any case; the judge may send one too.
    queue = clients["clerk"].get("/tasks?view=queue").get_data(as_text=True)
    assert "(2026)渝0151民诉前调1号" in queue
    assert post_form(clients["judge"], "/court/intake",
                     {**REFERRAL, "mode": "entrusted"}).status_code == 302


# -- forms that refuse what cannot be true ------------------------------------------------------


def test_an_impossible_agreement_is_refused_by_the_field_in_both_languages(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()
    case.do("mediate", "mediator", outcome="agreement")
    task = case.task("draft_agreement").id
    mediator = clients["mediator"]
    page = mediator.get(f"/tasks/{task}").get_data(as_text=True)
    assert re.search(r'name="performance_deadline"[^>]*min="2026-03-02"', page)
    assert re.search(r'name="amount_agreed"[^>]*step="0.01"', page)
    impossible = {**AGREEMENT, "performance_deadline": "2026-03-01", "amount_agreed": "1500.123",
                  "performed_on_spot": "false"}
    refused = post_form(mediator, f"/tasks/{task}", impossible)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert errors_of(html, "performance_deadline") == "请填写不早于2026-03-02的日期。"
    assert errors_of(html, "amount_agreed") == "最多保留2位小数。"
    in_english(mediator)
    try:
        html = post_form(mediator, f"/tasks/{task}", impossible).get_data(as_text=True)
        assert errors_of(html, "performance_deadline") == "Enter a date on or after 2026-03-02."
        assert errors_of(html, "amount_agreed") == "Enter at most 2 decimal places."
    finally:
        in_chinese(mediator)
    assert post_form(mediator, f"/tasks/{task}", {**impossible, "performance_deadline":
                     "2026-03-20", "amount_agreed": "1500.5"}).status_code == 302


def test_a_ruling_is_not_served_before_it_was_made(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().at_court()
    case.do("decide_acceptance", "filing", jc_accepted=True)
    case.do("review_agreement", "judge", ruling="valid")
    task = case.task("serve_ruling").id
    refused = post_form(clients["assistant"], f"/tasks/{task}",
                        {"served_on": "2026-03-01", "service_method": "post"})
    assert refused.status_code == 422
    assert errors_of(refused.get_data(as_text=True), "served_on") == "请填写不早于2026-03-02的日期。"


def test_the_office_limit_on_extension_requests_is_said_by_the_field(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()
    for answer in (True, False):
        case.do("mediate", "mediator", outcome="extend", extension_days=2)
        case.each("consent_to_extension", "mediator", consents=answer)
    mediator = clients["mediator"]
    task = case.task("mediate").id
    refused = post_form(mediator, f"/tasks/{task}", {"outcome": "extend", "extension_days": "3"})
    assert refused.status_code == 422
    assert errors_of(refused.get_data(as_text=True), "outcome") == (
        "本级申请延长调解期限的次数已达上限，不能再申请延期：请继续调解、上交或作出其他决定")
    in_english(mediator)
    try:
        html = post_form(mediator, f"/tasks/{task}",
                         {"outcome": "extend", "extension_days": "3"}).get_data(as_text=True)
        assert errors_of(html, "outcome").startswith(
            "This tier has used all the extension requests the office allows")
    finally:
        in_chinese(mediator)


def test_a_phone_number_that_is_not_one_is_refused(
    world: Casework, clients: dict[str, FlaskClient], app: Flask
) -> None:
    refused = post_form(clients["admin"], "/admin/users/new", {
        "username": "new.mediator", "display_name": "新调解员", "password": "long-enough-1",
        "phone": "12", "roles-0-role": "mediator", "roles-0-unit": GRID,
    }, page="/admin/users/new")
    assert refused.status_code == 422
    assert "请填写11位手机号码，或如023-46789012的固定电话。" in refused.get_data(as_text=True)
    public = app.test_client()
    report = post_form(public, "/report", {"phone": "12", "applicant_name": "王五",
                                           "applicant_phone": "12", "amount": "10.555"})
    html = report.get_data(as_text=True)
    assert errors_of(html, "applicant_phone") == "请填写11位手机号码，或如023-46789012的固定电话。"
    assert errors_of(html, "amount") == "请填写0元及以上的金额，最多两位小数。" or \
        "两位小数" in errors_of(html, "amount")


def test_the_registration_form_asks_for_refusal_reasons_only_when_refusing(
    world: Casework, clients: dict[str, FlaskClient], app: Flask
) -> None:
    case = world.submit()
    page = clients["clerk"].get(f"/tasks/{case.task('register_dispute').id}").get_data(
        as_text=True)
    for name in ("refusal_reason", "referral_route"):
        assert re.search(rf'id="field-{name}" [^>]*data-shown-when="registration_decision" '
                         r'data-shown-values="\[&#34;refuse&#34;\]"', page), name
    for name in ("dispute_type", "amount", "applied_jointly", "ownership_confirmation"):
        assert re.search(rf'id="field-{name}" [^>]*data-shown-when="registration_decision" '
                         r'data-shown-values="\[&#34;register&#34;\]"', page), name
    assert not re.search(r'id="field-description" [^>]*data-shown-when', page)


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_the_registration_form_offers_the_public_forms_dispute_types(
    app: Flask, language: str
) -> None:
    import json

    document = json.loads((BPMN_DIR / "forms" / "register_dispute.json").read_text("utf-8"))
    public = app.test_client()
    assert post_form(public, "/language", {"lang": language, "next": "/"}).status_code == 302
    report = public.get("/report").get_data(as_text=True)
    offered = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>',
                         report.split('id="dispute_type"')[1].split("</select>")[0])
    with app.test_request_context(headers={"Accept-Language": "en" if language == "en" else "zh"}):
        from flask import session
        session["lang"] = language
        field = next(f for f in forms.fields_of(document, {}) if f.name == "dispute_type")
        registration = [(c.value, c.label) for c in field.choices]
    assert [code for code, _label in registration] == list(DISPUTE_TYPES)
    assert registration == offered


# -- the routes after non-performance ----------------------------------------------------------


def test_the_case_page_shows_the_routes_and_their_deadlines_after_non_performance(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().at_court()
    case.do("decide_acceptance", "filing", jc_accepted=True)
    case.do("review_agreement", "judge", ruling="valid")
    case.do("serve_ruling", "assistant", served_on="2026-03-02", service_method="post")
    world.clock.set(datetime(2026, 3, 20, 16, 1, tzinfo=timezone.utc))  # Sat 21 March 00:01
    world.engine.fire_due_timers()
    case.refresh().do("follow_up_visit", "mediator", performed="not_performed",
                      satisfaction="dissatisfied")
    assert case.case().state == "not_performed"
    case.do("choose_remedy", "mediator", routes_explained=True, remedy="enforcement")
    page = clients["mediator"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    remedies = page.split('id="remedies"')[1].split("</section>")[0]
    assert re.findall(r'data-remedy="(\w+)"', remedies) == ["payment_order", "enforcement"]
    assert "向人民法院申请强制执行" in remedies and "已选择" in remedies
    # Two years from the performance deadline, Fri 20 March 2026: Mon 20 March 2028.
    assert '<time datetime="2028-03-20">2028-03-20</time>' in remedies
    deadlines = page.split('id="deadlines"')[1].split("</section>")[0]
    assert "申请强制执行经确认的调解协议（二年）" in deadlines
    assert "this step is over" not in deadlines.split("申请强制执行经确认的调解协议")[1][:200]
