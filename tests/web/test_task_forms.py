"""Task forms drawn from their JSON Schema: fields, choices, help and conditions; values typed as
the schema says; the engine's messages next to their fields, with everything typed kept; and the
work of a case done through them (minutes, escalation with its reason, agreement, signatures)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.database import Database
from tests.web.casework import AGREEMENT, GRID, SIGNATURE, Casework, build
from tests.web.world import csrf_token, login, post_form
from web import forms
from web.composition import BPMN_DIR
from workflows.models import Case

FORMS = BPMN_DIR / "forms"


def schema(name: str) -> dict[str, Any]:
    return json.loads((FORMS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def world(module_db: Database) -> Casework:
    return build(module_db)


@pytest.fixture(scope="module")
def app(world: Casework, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield world.app(tmp_path_factory.mktemp("instance"))


@pytest.fixture
def mediator(app: Flask) -> FlaskClient:
    browser = app.test_client()
    assert login(browser, "mediator").status_code == 302
    return browser


# -- drawing and reading forms (no database) -----------------------------------------------------


def test_every_bundled_form_is_drawn_with_a_field_per_property(app: Flask) -> None:
    with app.test_request_context():
        for path in sorted(FORMS.glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            fields = forms.fields_of(document, {})
            assert [f.name for f in fields] == list(document["properties"]), path.name
            for f in fields:
                assert f.label and f.kind in (
                    "text", "textarea", "number", "integer", "date", "radio", "select",
                    "boolean", "checkboxes"), (path.name, f.name)
                if f.kind in ("radio", "select", "checkboxes", "boolean"):
                    assert f.choices, (path.name, f.name)


def test_kinds_choices_required_marks_and_conditions(app: Flask) -> None:
    with app.test_request_context():
        fields = {f.name: f for f in forms.fields_of(schema("mediate"), {"outcome": "failed"})}
        outcome = fields["outcome"]
        assert (outcome.kind, outcome.required, outcome.value) == ("select", True, "failed")
        assert [c.value for c in outcome.choices][:2] == ["agreement", "failed"]
        assert outcome.choices[3].label == "本级无法化解，上交上一级"
        assert fields["failure_ground"].kind == "radio"
        assert fields["outcome_reason"].kind == "textarea"
        assert fields["extension_days"].kind == "integer"
        assert fields["extension_days"].attrs == {"min": 1, "max": 60, "step": "1",
                                                  "inputmode": "numeric"}
        assert not fields["outcome_reason"].required
        assert "“调解结果”为“调解不成”时必填。" in fields["outcome_reason"].conditions
        assert fields["outcome"].help == "下一步如何处理。"  # the description, translated
        agreement = {f.name: f for f in forms.fields_of(schema("draft_agreement"), {})}
        assert agreement["performance_deadline"].kind == "date"
        assert agreement["performed_on_spot"].kind == "boolean"
        assert [c.value for c in agreement["performed_on_spot"].choices] == ["true", "false"]
        assert agreement["amount_agreed"].kind == "number"
        closing = {f.name: f for f in forms.fields_of(
            schema("close_case"), {"archived_documents": ["agreement"]})}
        assert closing["archived_documents"].kind == "checkboxes"
        assert closing["archived_documents"].values == ["agreement"]
        assert closing["archived_documents"].choices[0].label == "调解申请书"


def test_labels_follow_the_language(app: Flask) -> None:
    with app.test_request_context(headers={"Cookie": "tiaojie_lang=en"}):
        fields = {f.name: f for f in forms.fields_of(schema("mediate"), {})}
        assert fields["outcome"].label == "Outcome of the mediation"
        assert fields["outcome"].help == "What happens next."
        assert fields["outcome"].choices[0].label == "Agreement reached"


def test_submitted_values_are_typed_as_the_schema_says() -> None:
    sent = MultiDict([
        ("agreement_form", "written"), ("facts", "  事实  "), ("issues", ""),
        ("performed_on_spot", "false"), ("amount_agreed", "1500.5"),
        ("performance_deadline", "2026-03-20"), ("unknown", "x"),
    ])
    data = forms.read_submission(schema("draft_agreement"), sent)
    assert data == {"agreement_form": "written", "facts": "事实", "performed_on_spot": False,
                    "amount_agreed": 1500.5, "performance_deadline": "2026-03-20"}
    assert forms.read_submission(schema("draft_agreement"), MultiDict([("amount_agreed", "12")])
                                 ) == {"amount_agreed": 12}
    # What cannot be converted is passed on as typed, for the engine to name.
    assert forms.read_submission(schema("mediate"), MultiDict([("extension_days", "three")])
                                 ) == {"extension_days": "three"}
    assert forms.read_submission(schema("draft_agreement"), MultiDict([("amount_agreed", "nan")])
                                 ) == {"amount_agreed": "nan"}
    closing = forms.read_submission(schema("close_case"), MultiDict(
        [("archived_documents", "application"), ("archived_documents", "agreement")]))
    assert closing == {"archived_documents": ["application", "agreement"]}
    assert forms.read_submission(schema("close_case"), MultiDict()) == {}


@pytest.mark.parametrize(("message", "chinese"), [
    ("this field is required", "此项必填。"),
    ("must be of type integer", "请填写整数。"),
    ("must be of type number", "请填写数字。"),
    ("must be at least 1", "请填写不小于1的数。"),
    ("must be at most 60", "请填写不大于60的数。"),
    ("must be at most 2000 characters", "最多填写2000个字。"),
    ("is not a valid date", "请填写日期。"),
    ("'x' is not valid under any of the given schemas", "请从选项中选择一项。"),
    ("this field is not part of the form", "该项不属于本表单。"),
    ("something new the engine says", "该值无效。"),
])
def test_engine_messages_are_put_in_the_pages_language(
    app: Flask, message: str, chinese: str
) -> None:
    with app.test_request_context():
        assert forms.translate_message(message) == chinese


# -- working tasks through the page ---------------------------------------------------------------


def field_errors(html: str, name: str) -> str:
    found = re.search(rf'id="{name}-help" class="errors">([^<]*)<', html)
    return found.group(1).strip() if found else ""


def test_the_clerk_registers_a_dispute_through_its_prefilled_form(
    world: Casework, app: Flask
) -> None:
    case = world.submit()
    task = case.task("register_dispute").id
    clerk = app.test_client()
    login(clerk, "clerk")
    html = clerk.get(f"/tasks/{task}").get_data(as_text=True)
    assert "登记受理" in html and case.case_no in html
    assert '<option value="neighbour" selected>' in html  # from the application
    assert 'id="f-amount" name="amount" value="2000"' in html
    assert html.count('class="required-mark"') >= 2
    assert "“受理决定”为“受理”时必填。" in html
    response = post_form(clerk, f"/tasks/{task}", {
        "registration_decision": "register", "dispute_type": "neighbour", "amount": "2000",
        "applied_jointly": "true", "ownership_confirmation": "false",
    }, page=f"/tasks/{task}")
    assert response.status_code == 302
    assert case.refresh().ready() == ["choose_mediator", "choose_mediator"]  # one per party
    assert case.case().state == "dispatched"


def test_server_side_errors_appear_next_to_the_fields_and_keep_the_values(
    world: Casework, mediator: FlaskClient
) -> None:
    case = world.submit().in_mediation()
    task = case.task("mediate").id
    response = post_form(mediator, f"/tasks/{task}", {"outcome": "failed", "extension_days": "x"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "failure_ground") == "此项必填。"
    assert field_errors(html, "outcome_reason") == "此项必填。"
    assert field_errors(html, "extension_days") == "请填写整数。"
    assert field_errors(html, "outcome") == ""
    assert '<option value="failed" selected>' in html
    assert 'name="extension_days" value="x"' in html
    assert 'id="form-problems"' in html
    assert case.refresh().ready() == ["mediate"]  # nothing happened


def test_escalating_with_a_reason_moves_the_case_up_and_says_why(
    world: Casework, mediator: FlaskClient, app: Flask
) -> None:
    case = world.submit().in_mediation()
    task = case.task("mediate").id
    response = post_form(mediator, f"/tasks/{task}", {
        "outcome": "escalate", "outcome_reason": "涉及多户，需村社协调"})
    assert response.status_code == 302
    assert case.refresh().ready() == ["choose_mediator", "choose_mediator"]
    # The village has no mediator of its own (nor any unit above it here): its queue waits.
    assert {t.candidate_group for t in case.view.ready_tasks} == {"mediator:T01-V1"}
    row = case.case()
    assert (row.tier, row.state) == ("village", "dispatched")
    # The clerk's case page shows the escalation; the grid's mediator who handled the case keeps
    # reading it, but no longer works it.
    clerk = app.test_client()
    login(clerk, "clerk")
    page = clerk.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "上交上一级" in page and "涉及多户，需村社协调" in page
    assert mediator.get(f"/cases/{case.case_id}").status_code == 200
    choose = case.task("choose_mediator").id
    assert mediator.get(f"/tasks/{choose}").status_code == 403


def test_an_agreement_and_its_signatures_are_recorded_through_the_forms(
    world: Casework, mediator: FlaskClient, app: Flask
) -> None:
    case = world.submit().in_mediation()
    response = post_form(mediator, f"/tasks/{case.task('mediate').id}", {"outcome": "agreement"})
    # The next task of the case the mediator may do opens at once.
    draft = case.refresh().task("draft_agreement").id
    assert response.headers["Location"] == f"/tasks/{draft}"
    page = mediator.get(f"/tasks/{draft}").get_data(as_text=True)
    assert 'type="date"' in page
    sent = {k: ("true" if v is True else "false" if v is False else str(v))
            for k, v in AGREEMENT.items()}
    response = post_form(mediator, f"/tasks/{draft}", sent)
    assert response.status_code == 302
    signing = [t for t in case.refresh().view.ready_tasks if t.element_id == "sign_by_parties"]
    assert len(signing) == 2
    # 张三 signs through their own login; the mediator records 李四's fingerprint on paper.
    own = next(t for t in signing if t.assignee == "party")
    on_paper = next(t for t in signing if t.assignee == "mediator")  # the case's mediator
    party = app.test_client()
    login(party, "party")
    assert "当事人：张三" in party.get(f"/tasks/{own.id}").get_data(as_text=True)
    assert "当事人：李四" in mediator.get(f"/tasks/{on_paper.id}").get_data(as_text=True)
    assert post_form(mediator, f"/tasks/{own.id}", {"signing": "fingerprint"}).status_code == 409
    # On their own phone a party signs on the screen; the mediator records a paper fingerprint.
    assert post_form(party, f"/tasks/{own.id}", {"signing": "e_signature",
                                                 "signature_image": SIGNATURE}).status_code == 302
    assert post_form(mediator, f"/tasks/{on_paper.id}", {"signing": "fingerprint"}
                     ).status_code == 302
    sign = case.refresh().task("sign_by_mediator").id
    missing = post_form(mediator, f"/tasks/{sign}", {"mediator_signed": "true"})
    assert missing.status_code == 422
    assert field_errors(missing.get_data(as_text=True), "committee_seal") == "此项必填。"
    assert post_form(mediator, f"/tasks/{sign}", {"mediator_signed": "true",
                                                  "committee_seal": "true"}).status_code == 302
    row = case.case()
    assert row.state == "judicial_confirmation" and row.details["agreement_in_force"] is True
    page = mediator.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "李四赔偿张三1500元并于三日内疏通排水沟" in page and "按指印" in page


def test_checkbox_lists_are_sent_and_shown_again(world: Casework, mediator: FlaskClient) -> None:
    case = world.submit().in_mediation()
    case.do("mediate", "mediator", outcome="refused", outcome_reason="李四不再参与")
    case.do("inform_routes", "mediator", routes_explained=True, route="none")
    task = case.task("close_case").id
    html = mediator.get(f"/tasks/{task}").get_data(as_text=True)
    assert html.count('type="checkbox" name="archived_documents"') == 11
    refused = post_form(mediator, f"/tasks/{task}", {"archived_documents": "application"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert field_errors(html, "closing_summary") == "此项必填。"
    assert re.search(r'name="archived_documents" value="application"\s+checked', html)
    token = csrf_token(html)
    with_both = mediator.post(f"/tasks/{task}", data=MultiDict([
        ("archived_documents", "application"), ("archived_documents", "failure_record"),
        ("closing_summary", "当事人拒绝调解，终止"), ("csrf_token", token),
    ]))
    assert with_both.status_code == 302
    row = case.case()
    assert row.state == "closed"


def test_units_do_not_leak_into_other_units(world: Casework, app: Flask) -> None:
    case = world.submit().in_mediation()
    outsider = app.test_client()
    login(outsider, "outsider")
    task = case.task("mediate").id
    assert outsider.get(f"/tasks/{task}").status_code == 403
    assert post_form(outsider, f"/tasks/{task}", {"outcome": "agreement"}).status_code == 403
    with world.engine.db.reading() as session:
        assert session.scalar(select(Case.state).where(Case.id == case.case_id)) == "in_mediation"
    assert GRID in case.task("mediate").candidate_group  # type: ignore[operator]
