"""Generated documents, signatures and the case file, for cases driven through the processes:
each document appears at the step that produces it (404 before), and its text names the case
number, the parties and what was decided; a party signs on the screen, a change of the text
means signing again, and the case file holds every document, material and the audit trail."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document as WordDocument
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.database import Database
from tests.web.casework import AGREEMENT, MATERIALS, SIGNATURE, Casework, Driven, build
from tests.web.world import csrf_token, login
from workflows.case_file import Office, archive_closed_cases
from workflows.models import CaseFile, Party, Signature
from workflows.storage import FileStore



@pytest.fixture
def world(db: Database) -> Casework:
    return build(db)


@pytest.fixture
def app(world: Casework, tmp_path: Path) -> Flask:
    return world.app(tmp_path / "instance")


def client_of(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    return browser


def pdf_text(content: bytes) -> str:
    """The PDF's text without spaces and line breaks (lines wrap anywhere in Chinese)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return "".join(text.split())


def document(browser: FlaskClient, case: Driven, name: str, fmt: str = "pdf") -> tuple[int, bytes]:
    response = browser.get(f"/cases/{case.case_id}/documents/{name}.{fmt}")
    return response.status_code, response.data


def assert_names_case(text: str, case: Driven) -> None:
    assert case.case_no in text
    assert "张三" in text and "李四" in text


def party_ids(world: Casework, case: Driven, name: str) -> int:
    """The id of the case's party called ``name``."""
    with world.engine.db.reading() as session:
        return session.scalar(select(Party.id).where(Party.case_id == case.case_id,
                                                     Party.name == name))


def closed(case: Driven) -> Driven:
    """From a confirmed ruling to the follow-up visit and the closed case file."""
    case.do("decide_acceptance", "filing", jc_accepted=True)
    case.do("review_agreement", "judge", ruling="valid")
    case.do("serve_ruling", "assistant", served_on="2026-03-06", service_method="in_person")
    case.world.clock.advance(timedelta(days=20))
    case.world.engine.fire_due_timers()
    case.refresh()
    case.do("follow_up_visit", "mediator", performed="fully", satisfaction="satisfied",
            follow_up_note="李四已按期赔偿并疏通排水沟")
    return case.do("close_case", "mediator", archived_documents=["agreement", "minutes"],
                   closing_summary="双方达成协议并经司法确认，已履行完毕")


def test_each_document_appears_at_its_step_and_names_the_case(world: Casework, app: Flask
                                                              ) -> None:
    mediator = client_of(app, "mediator")
    case = world.submit()
    assert document(client_of(app, "clerk"), case, "registration")[0] == 404
    case.registered()
    status, content = document(mediator, case, "registration")
    assert status == 200
    text = pdf_text(content)
    assert_names_case(text, case)
    assert "人民调解受理登记表" in text and "排水沟堵塞" in text
    assert "权利义务告知书" in pdf_text(document(mediator, case, "rights_notice")[1])
    assert document(mediator, case, "minutes")[0] == 404
    assert document(mediator, case, "agreement")[0] == 404

    case.each("choose_mediator", "mediator", preferred_mediator="mediator")
    case.do("accept_dispatch", "mediator", accepts=True)
    case.do("mediate", "mediator", outcome="agreement")
    case.do("draft_agreement", "mediator", **AGREEMENT)
    text = pdf_text(document(mediator, case, "minutes")[1])
    assert_names_case(text, case)
    assert "调解员王芳" in text
    text = pdf_text(document(mediator, case, "agreement")[1])
    assert_names_case(text, case)
    assert AGREEMENT["terms"] in text and AGREEMENT["facts"] in text
    assert "11010519491231002X" in text and "2026年3月20日" in text
    assert document(mediator, case, "oral_agreement")[0] == 404
    word = WordDocument(io.BytesIO(document(mediator, case, "agreement", "docx")[1]))
    word_text = "\n".join(p.text for p in word.paragraphs) + "\n".join(
        c.text for t in word.tables for row in t.rows for c in row.cells)
    assert case.case_no in word_text and AGREEMENT["terms"] in word_text

    case.each("sign_by_parties", "mediator", signing="signature")
    case.do("sign_by_mediator", "mediator", mediator_signed=True, committee_seal=True)
    assert document(mediator, case, "jc_application")[0] == 404
    case.each("apply_jointly", "party", applies=True)
    text = pdf_text(document(mediator, case, "jc_application")[1])
    assert_names_case(text, case)
    assert "司法确认申请书" in text and AGREEMENT["terms"] in text
    assert document(mediator, case, "ruling")[0] == 404
    closed(case)
    text = pdf_text(document(mediator, case, "ruling")[1])
    assert "民事裁定书" in text and "调解协议有效" in text and AGREEMENT["terms"] in text
    assert case.case().details["jc_case_no"] in text
    text = pdf_text(document(mediator, case, "follow_up")[1])
    assert "已全部履行" in text and "满意" in text and "李四已按期赔偿" in text
    text = pdf_text(document(mediator, case, "closing_report")[1])
    assert_names_case(text, case)
    assert "已履行完毕" in text
    assert document(mediator, case, "termination")[0] == 404
    assert document(mediator, case, "no_such_document")[0] == 404
    assert mediator.get(f"/cases/{case.case_id}/documents/agreement.html").status_code == 404


def test_the_other_endings_have_their_documents(world: Casework, app: Flask) -> None:
    mediator = client_of(app, "mediator")
    oral = world.submit().in_mediation()
    oral.do("mediate", "mediator", outcome="agreement")
    oral.do("draft_agreement", "mediator", **{**AGREEMENT, "agreement_form": "oral"})
    text = pdf_text(document(mediator, oral, "oral_agreement")[1])
    assert "口头调解协议" in text and AGREEMENT["terms"] in text and oral.case_no in text
    assert document(mediator, oral, "agreement")[0] == 404

    failed = world.submit().in_mediation()
    failed.do("mediate", "mediator", outcome="failed", failure_ground="large_gap",
              outcome_reason="赔偿数额分歧过大")
    text = pdf_text(document(mediator, failed, "termination")[1])
    assert "终止调解" in text and failed.case_no in text and "分歧较大" in text

    rejected = world.submit().at_court()
    rejected.do("decide_acceptance", "filing", jc_accepted=True)
    rejected.do("review_agreement", "judge", ruling="rejected", rejection_ground="unclear_content")
    text = pdf_text(document(mediator, rejected, "ruling")[1])
    assert "驳回申请人的司法确认申请" in text and "内容不明确" in text

    refused = world.submit().at_court()
    refused.do("decide_acceptance", "filing", jc_accepted=False,
               not_accepted_reason="no_jurisdiction")
    text = pdf_text(document(mediator, refused, "ruling")[1])
    assert "不予受理" in text and "不属于本院管辖" in text


def sign_on_screen(browser: FlaskClient, task_id: int, image: str = SIGNATURE) -> tuple[int, str]:
    token = csrf_token(browser.get(f"/tasks/{task_id}"))
    response = browser.post(f"/tasks/{task_id}", data={
        "csrf_token": token, "signing": "e_signature", "signature_image": image})
    return response.status_code, response.get_data(as_text=True)


def test_a_party_signs_and_a_changed_text_is_signed_again(
    world: Casework, app: Flask, tmp_path: Path
) -> None:
    case = world.submit().in_mediation()
    case.do("mediate", "mediator", outcome="agreement")
    case.do("draft_agreement", "mediator", **AGREEMENT)
    party, mediator = client_of(app, "party"), client_of(app, "mediator")
    first = case.task("sign_by_parties").id
    page = party.get(f"/tasks/{first}").get_data(as_text=True)
    assert 'id="signature-pad"' in page and "agreement.pdf" in page
    # An empty drawing, and a party claiming to have signed on paper, are refused.
    status, page = sign_on_screen(party, first, "data:image/png;base64,AAAA")
    assert status == 422 and "清除后重新签名" in page
    token = csrf_token(party.get(f"/tasks/{first}"))
    refused = party.post(f"/tasks/{first}", data={"csrf_token": token, "signing": "signature"})
    assert refused.status_code == 422
    assert "在手机上请在屏幕上签名" in refused.get_data(as_text=True)
    assert sign_on_screen(party, first)[0] == 302
    case.refresh()
    store = FileStore(tmp_path / "instance" / "files")
    with world.engine.db.reading() as session:
        [signed] = session.scalars(select(Signature))
        assert (signed.party_name, signed.method, signed.recorded_by) == (
            "张三", "e_signature", "party")
        signed_text = store.read(signed.document_sha256)
        assert hashlib.sha256(signed_text).hexdigest() == signed.document_sha256
        assert AGREEMENT["terms"] in pdf_text(signed_text)
        signed_digest = signed.document_sha256
    agreement = pdf_text(document(mediator, case, "agreement")[1])
    assert "张三·2026年3月2日" in agreement and signed_digest[:16] in agreement
    assert len(PdfReader(io.BytesIO(document(mediator, case, "agreement")[1]))
               .pages[-1].images) >= 1

    # The mediator corrects the terms while 李四 has not signed yet: 张三 must sign again.
    token = csrf_token(mediator.get(f"/cases/{case.case_id}/agreement/amend"))
    corrected = {**AGREEMENT, "terms": "李四赔偿张三1800元并于五日内疏通排水沟",
                 "performed_on_spot": "false", "amount_agreed": "1800"}
    assert mediator.post(f"/cases/{case.case_id}/agreement/amend",
                         data={**corrected, "csrf_token": token}).status_code == 302
    case.refresh()
    second = case.task("sign_by_parties").id
    token = csrf_token(mediator.get(f"/tasks/{second}"))
    assert mediator.post(f"/tasks/{second}", data={"csrf_token": token, "signing": "signature"}
                         ).status_code == 302  # 李四 signs on paper; the mediator records it
    case.refresh()
    agreement = pdf_text(document(mediator, case, "agreement")[1])
    assert "1800元" in agreement and "张三签署后协议内容已变更，须重新签署" in agreement
    assert "调解员调解员王芳当面确认" in agreement
    token = csrf_token(mediator.get(f"/tasks/{case.task('sign_by_mediator').id}"))
    blocked = mediator.post(f"/tasks/{case.task('sign_by_mediator').id}", data={
        "csrf_token": token, "mediator_signed": "true", "committee_seal": "true"})
    assert blocked.status_code == 422
    assert "张三签署后协议内容已变更" in blocked.get_data(as_text=True)
    # 张三 signs the corrected text on their own phone: the page offers them only themselves.
    zhang, li = party_ids(world, case, "张三"), party_ids(world, case, "李四")
    page = party.get(f"/cases/{case.case_id}/agreement/sign").get_data(as_text=True)
    assert f'value="{zhang}">张三<' in page and "李四" not in page
    token = csrf_token(page)
    assert party.post(f"/cases/{case.case_id}/agreement/sign", data={
        "csrf_token": token, "party": str(li), "signing": "e_signature",
        "signature_image": SIGNATURE}).status_code == 422
    assert party.post(f"/cases/{case.case_id}/agreement/sign", data={
        "csrf_token": token, "party": str(zhang), "signing": "e_signature",
        "signature_image": SIGNATURE}).status_code == 302
    token = csrf_token(mediator.get(f"/tasks/{case.task('sign_by_mediator').id}"))
    assert mediator.post(f"/tasks/{case.task('sign_by_mediator').id}", data={
        "csrf_token": token, "mediator_signed": "true", "committee_seal": "true"}
    ).status_code == 302
    case.refresh()
    assert case.view.data["agreement_in_force"] is True
    assert case.view.data["terms"] == corrected["terms"]
    agreement = pdf_text(document(mediator, case, "agreement")[1])
    assert "须重新签署" not in agreement and "尚未签署" not in agreement


def test_the_case_file_holds_everything_and_is_stored_when_archived(
    world: Casework, app: Flask, tmp_path: Path
) -> None:
    case = world.submit().in_mediation()
    mediator = client_of(app, "mediator")
    token = csrf_token(mediator.get("/"))
    mediator.post(f"/cases/{case.case_id}/materials", content_type="multipart/form-data", data={
        "csrf_token": token, "files": [(io.BytesIO((MATERIALS / "receipt.pdf").read_bytes()),
                                        "receipt.pdf")]})
    case.do("mediate", "mediator", outcome="agreement")
    case.do("draft_agreement", "mediator", **AGREEMENT)
    party = client_of(app, "party")
    own = next(t for t in case.view.ready_tasks
               if t.element_id == "sign_by_parties" and t.assignee == "party")
    assert sign_on_screen(party, own.id)[0] == 302
    case.refresh()
    # 李四 has no login: the mediator records their signature on paper.
    token = csrf_token(mediator.get(f"/tasks/{case.task('sign_by_parties').id}"))
    assert mediator.post(f"/tasks/{case.task('sign_by_parties').id}", data={
        "csrf_token": token, "signing": "signature"}).status_code == 302
    case.refresh()
    case.do("sign_by_mediator", "mediator", mediator_signed=True, committee_seal=True)
    case.each("apply_jointly", "party", applies=True)
    # On demand, for the people who work the case (not the party).
    assert party.get(f"/cases/{case.case_id}/archive.zip").status_code == 403
    on_demand = zipfile.ZipFile(io.BytesIO(mediator.get(f"/cases/{case.case_id}/archive.zip").data))
    assert "文书/04-人民调解协议书.pdf" in on_demand.namelist()
    closed(case)
    store = FileStore(tmp_path / "instance" / "files")
    assert archive_closed_cases(world.engine, store, office=Office("RC-OFFICE", "023-1"),
                                now=world.clock) == 1
    assert archive_closed_cases(world.engine, store, office=Office("RC-OFFICE", "023-1"),
                                now=world.clock) == 0
    with world.engine.db.reading() as session:
        stored_digest = session.scalar(select(CaseFile.sha256)
                                       .where(CaseFile.case_id == case.case_id))
        assert stored_digest is not None
    served = mediator.get(f"/cases/{case.case_id}/archive.zip")
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.data == store.read(stored_digest)
    archive = zipfile.ZipFile(io.BytesIO(served.data))
    names = archive.namelist()
    for title in ("人民调解受理登记表", "人民调解当事人权利义务告知书", "人民调解笔录",
                  "人民调解协议书", "司法确认申请书", "民事裁定书", "人民调解回访记录",
                  "人民调解结案报告表"):
        assert any(n.startswith("文书/") and n.endswith(f"{title}.pdf") for n in names), title
    assert any(n.startswith("材料/") and n.endswith("receipt.pdf") for n in names)
    assert sum(n.endswith("-签署文本.pdf") for n in names) == 2
    # 张三 drew a signature; 李四 signed on paper, recorded by the mediator: one image.
    assert sum(n.endswith("-签名.png") for n in names) == 1
    index = archive.read("00-目录.txt").decode("utf-8")
    assert case.case_no in index and "人民调解协议书" in index and "receipt.pdf" in index
    audit = list(csv.reader(io.StringIO(archive.read("审计记录.csv").decode("utf-8-sig"))))
    actions = {row[2] for row in audit[1:]}
    assert {"started", "task_completed", "material_added", "agreement_signed"} <= actions
    assert any(a.startswith("notice_") for a in actions)
    agreement = pdf_text(archive.read("文书/04-人民调解协议书.pdf"))
    assert AGREEMENT["terms"] in agreement and "张三·" in agreement


def test_a_replaced_template_is_used_and_a_broken_one_refused(world: Casework, app: Flask
                                                              ) -> None:
    admin, mediator = client_of(app, "admin"), client_of(app, "mediator")
    case = world.submit().registered()
    original = admin.get("/admin/templates/rights_notice.html").get_data(as_text=True)
    assert "人民调解法" in original
    token = csrf_token(admin.get("/admin/templates"))
    broken = admin.post("/admin/templates/rights_notice.html", content_type="multipart/form-data",
                        data={"csrf_token": token,
                              "template": (io.BytesIO(b"{% if %}"), "rights_notice.html")})
    assert broken.status_code == 422 and "第 1 行" in broken.get_data(as_text=True)
    replaced = original.replace("咨询电话", "本室咨询热线")
    assert admin.post("/admin/templates/rights_notice.html", content_type="multipart/form-data",
                      data={"csrf_token": token,
                            "template": (io.BytesIO(replaced.encode()), "x.html")}
                      ).status_code == 302
    assert "本室咨询热线" in pdf_text(document(mediator, case, "rights_notice")[1])
    assert admin.post("/admin/templates/rights_notice.html/reset",
                      data={"csrf_token": token}).status_code == 302
    assert "本室咨询热线" not in pdf_text(document(mediator, case, "rights_notice")[1])
