"""Residents follow their case on /report/status (and nothing else is shown; lookups are
limited), the receipt, and the messages parties receive at the steps that need them: written to
the outbox without a gateway, sent through a gateway after the step commits, recorded with their
delivery result on the case's timeline."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FixedClock
from engine.database import Database
from tests.web.casework import AGREEMENT, T0, Casework, build
from tests.web.world import csrf_token, login
from web.composition import build_engine
from workflows.configuration import OfficeSettings
from workflows.models import Notice
from workflows.notices import SmsGateway, deliver_pending


@pytest.fixture
def world(db: Database) -> Casework:
    return build(db)


@pytest.fixture
def app(world: Casework, tmp_path: Path) -> Flask:
    return world.app(tmp_path / "instance")


def look_up(client: FlaskClient, case_no: str, digits: str) -> tuple[int, str]:
    token = csrf_token(client.get("/report/status"))
    response = client.post("/report/status", data={"csrf_token": token, "case_no": case_no,
                                                   "phone_tail": digits})
    return response.status_code, response.get_data(as_text=True)


def test_a_resident_follows_the_case_and_sees_nothing_else(world: Casework, app: Flask) -> None:
    case = world.submit().in_mediation()
    status, page = look_up(app.test_client(), case.case_no, "0001")  # the applicant's phone
    assert status == 200
    assert re.search(r'id="status-state">调解中<', page)
    assert "调解员与双方沟通" in page
    assert re.search(r'id="status-deadline"><time datetime="2026-03-09"', page)  # grid: 7 CD
    for private in ("张三", "李四", "13800000001", "2000", "排水沟"):
        assert private not in page
    status, page = look_up(app.test_client(), case.case_no, "0002")  # the respondent's
    assert status == 200 and 'id="status-state"' in page
    status, page = look_up(app.test_client(), case.case_no, "9999")
    assert status == 200 and "没有与该案号和号码后四位相符的案件" in page
    assert 'id="status-state"' not in page
    status, page = look_up(app.test_client(), case.case_no, "12a")
    assert status == 422 and "电话号码后四位" in page


def test_guessing_the_digits_is_stopped(world: Casework, app: Flask) -> None:
    case = world.submit()
    client = app.test_client()
    for digits in ("1111", "2222", "3333", "4444", "5555"):
        assert look_up(client, case.case_no, digits)[0] == 200
    status, page = look_up(app.test_client(), case.case_no, "0001")
    assert status == 429 and "查询次数过多" in page  # even the right digits, for an hour
    other = world.submit()
    for _ in range(5):  # refused lookups are not counted: five more make ten
        assert look_up(client, other.case_no, "0001")[0] == 200
    assert look_up(client, other.case_no, "0001")[0] == 429  # ten lookups per client


def test_the_receipt_keeps_the_number_in_one_piece_with_the_office_phone(app: Flask) -> None:
    resident = app.test_client()
    token = csrf_token(resident.get("/report"))
    assert resident.post("/report", data={
        "csrf_token": token, "applicant_name": "王五", "applicant_phone": "13800001111",
        "respondent_name": "赵六", "dispute_type": "neighbour", "description": "楼上漏水浸湿天花板",
        "town": "T01", "village": "T01-V1", "grid": "T01-V1-G1"}).status_code == 302
    page = resident.get("/report/receipt").get_data(as_text=True)
    assert 'class="case-number" id="case-number"' in page
    assert "023-46789012" in page and "/report/status?case_no=" in page
    with resident.get("/static/css/app.css") as served:
        css = served.get_data(as_text=True)
    assert re.search(r"\.case-number \{ white-space: nowrap;", css)


def notices_of(world: Casework, case_id: int) -> list[Notice]:
    with world.engine.db.reading() as session:
        rows = list(session.scalars(select(Notice).where(Notice.case_id == case_id)
                                    .order_by(Notice.id)))
        for row in rows:
            session.expunge(row)
    return rows


def test_parties_are_told_at_each_step_that_needs_them(world: Casework, app: Flask) -> None:
    case = world.submit(applied_jointly=False)
    case.do("register_dispute", "clerk", registration_decision="register",
            dispute_type="neighbour", amount=2000, applied_jointly=False,
            ownership_confirmation=False)
    [asked] = notices_of(world, case.case_id)
    assert (asked.event, asked.recipient, asked.status) == ("consent_asked", "李四", "outbox")
    assert case.case_no in asked.body and "023-46789012" in asked.body
    assert "张三" not in asked.body and "2000" not in asked.body
    case.do("ask_other_party", "clerk", other_party_answer="consents")
    case.each("choose_mediator", "mediator", preferred_mediator="mediator")
    case.do("accept_dispatch", "mediator", accepts=True)
    case.do("mediate", "mediator", outcome="agreement")
    case.do("draft_agreement", "mediator", **AGREEMENT)
    case.each("sign_by_parties", "mediator", signing="signature")
    case.do("sign_by_mediator", "mediator", mediator_signed=True, committee_seal=True)
    case.each("apply_jointly", "party", applies=True)
    case.do("decide_acceptance", "filing", jc_accepted=True)
    case.do("review_agreement", "judge", ruling="valid")
    case.do("serve_ruling", "assistant", served_on="2026-03-06", service_method="in_person")
    told = [(n.event, n.recipient) for n in notices_of(world, case.case_id)]
    assert told == [("consent_asked", "李四"),
                    ("mediator_chosen", "张三"), ("mediator_chosen", "李四"),
                    ("agreement_to_sign", "张三"), ("agreement_to_sign", "李四"),
                    ("ruling_served", "张三"), ("ruling_served", "李四")]
    # Each step is told once, however many steps follow while it stands.
    case.refresh()
    assert len(notices_of(world, case.case_id)) == 7
    mediator = app.test_client()
    assert login(mediator, "mediator").status_code == 302
    timeline = mediator.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "发给李四的通知（征询意愿）：待人工送达" in timeline
    outbox = mediator.get("/notices").get_data(as_text=True)
    assert outbox.count('class="card notice"') == 7 and "data-print" in outbox
    token = csrf_token(outbox)
    assert mediator.post(f"/notices/{asked.id}/handed",
                         data={"csrf_token": token}).status_code == 302
    handed = notices_of(world, case.case_id)[0]
    assert (handed.status, handed.handled_by) == ("handed", "mediator")
    timeline = mediator.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "发给李四的通知（征询意愿）：已人工送达" in timeline


class Gateway(BaseHTTPRequestHandler):
    """A text-message gateway on the loopback: answers with the status the test sets."""

    answers: list[int] = []
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append({**body, "auth": self.headers.get("Authorization")})
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"id": "msg-1"}' if status == 200 else b"quota exceeded")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    Gateway.answers, Gateway.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/send"
    finally:
        server.shutdown()
        server.server_close()


def test_messages_go_through_the_gateway_after_the_step_commits(
    db: Database, gateway: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIAOJIE_SMS_TOKEN", "secret-token")
    settings = OfficeSettings(sms=SmsGateway(url=gateway, token_env="TIAOJIE_SMS_TOKEN",
                                             sender="荣昌调解", timeout=3))
    world = build(db)
    clock = FixedClock(T0)
    world.engine = build_engine(db, clock=clock, settings=settings)
    world.clock = clock
    app = world.app(tmp_path / "instance")
    app.config["OFFICE_SETTINGS"] = settings
    case = world.submit().registered()
    case.each("choose_mediator", "mediator", preferred_mediator="mediator")
    # The acceptance goes through the web: its messages are sent once the request commits.
    mediator = app.test_client()
    assert login(mediator, "mediator").status_code == 302
    Gateway.answers = [200, 500]
    task = case.task("accept_dispatch").id
    token = csrf_token(mediator.get(f"/tasks/{task}"))
    assert mediator.post(f"/tasks/{task}", data={"csrf_token": token, "accepts": "true"}
                         ).status_code == 302
    sent, failing = notices_of(world, case.case_id)
    assert (sent.status, sent.result, sent.attempts) == ("sent", '{"id": "msg-1"}', 1)
    assert (failing.status, failing.attempts) == ("pending", 1)
    assert failing.result == "HTTP 500: quota exceeded"
    assert [m["to"] for m in Gateway.received] == ["13800000001", "13900000002"]
    assert Gateway.received[0]["auth"] == "Bearer secret-token"
    assert Gateway.received[0]["sender"] == "荣昌调解"
    assert case.case_no in Gateway.received[0]["text"]
    # The worker retries later; after three refusals the message is marked undelivered.
    Gateway.answers = [500, 500]
    for _ in range(2):
        clock.advance(__import__("datetime").timedelta(minutes=6))
        assert deliver_pending(db, settings.sms, now=clock) == 1
    failed = notices_of(world, case.case_id)[1]
    assert (failed.status, failed.attempts) == ("failed", 3)
    page = mediator.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "发给张三的通知（调解员已接收）：已发送" in page
    assert "发给李四的通知（调解员已接收）：未送达" in page and "HTTP 500" in page
