"""Case records along every ending the processes know, through the application's own engine
composition (the case record kept in step after every step, and the cases a step opens):
withdrawal, no answer, refusal, labour arbitration, re-mediation after a rejected confirmation, a
court's own referral, and the court numbers that follow only from a joint application."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

from engine import Engine, FixedClock, read_paths
from engine.database import Database
from engine.views import InstanceView
from web.composition import BPMN_DIR, build_engine
from workflows.cases import (
    ApplicationInvalid,
    WithdrawalRefused,
    record_withdrawal,
    refer_from_court,
    submit_dispute,
)
from workflows.configuration import OfficeSettings
from workflows.district import TreeSize, build_district
from workflows.models import Case, Person
from workflows.people import add_staff

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Shanghai
COURTYARD = "T01-V1-G1-Y1"
APPLICATION: dict[str, Any] = {
    "parties": [
        {"role": "applicant", "name": "张三", "phone": "13800000001"},
        {"role": "respondent", "name": "李四", "phone": "023-46789012"},
    ],
    "dispute_type": "debt",
    "amount": "3000.00",
    "description": "借款到期未还",
    "channel": "walk_in",
    "reported_unit": COURTYARD,
    "applied_jointly": True,
}
AGREEMENT = {
    "agreement_form": "written", "facts": "借款三千元到期未还", "issues": "还款",
    "responsibilities": "李四承担还款责任", "terms": "李四于三月二十日前还款三千元",
    "performance_manner": "转账", "performance_place": "调解室",
    "performance_deadline": "2026-03-20", "performed_on_spot": False, "amount_agreed": 3000,
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(db: Database, clock: FixedClock) -> Engine:
    engine = build_engine(db, clock=clock, settings=OfficeSettings())
    with engine.transaction() as session:
        build_district(session, TreeSize(villages=1, grids=1, courtyards=1))
        engine.deploy(session, read_paths([BPMN_DIR]), actor="admin")
    return engine


class Driven:
    """A case as the office works it."""

    def __init__(self, engine: Engine, case_no: str, view: InstanceView):
        self.engine, self.case_no, self.view = engine, case_no, view

    def do(self, element_id: str, **form: Any) -> Driven:
        task = next(t for t in self.view.ready_tasks if t.element_id == element_id)
        with self.engine.transaction() as session:
            self.view = self.engine.complete_task(session, task.id, data=form,
                                                  actor=task.assignee or "someone")
        assert self.view.status != "error", self.view.error_message
        return self

    def each(self, element_id: str, **form: Any) -> Driven:
        while element_id in {t.element_id for t in self.view.ready_tasks}:
            self.do(element_id, **form)
        return self

    def ready(self) -> list[str]:
        return sorted(t.element_id for t in self.view.ready_tasks)

    def case(self) -> Case:
        with self.engine.db.reading() as session:
            case = session.scalar(select(Case).where(Case.case_no == self.case_no))
            assert case is not None
            case.parties  # noqa: B018 - loaded before the session closes
            session.expunge(case)
            return case

    def refresh(self) -> Driven:
        with self.engine.db.reading() as session:
            self.view = self.engine.instance(session, self.view.id)
        return self

    def registered(self, **changes: Any) -> Driven:
        form = {"registration_decision": "register", "dispute_type": "debt", "amount": 3000,
                "applied_jointly": True, "ownership_confirmation": False, **changes}
        return self.do("register_dispute", **form)

    def in_mediation(self) -> Driven:
        self.registered()
        self.each("choose_mediator", preferred_mediator="王调解")
        return self.do("accept_dispatch", accepts=True)

    def agreed(self) -> Driven:
        self.in_mediation()
        self.do("mediate", outcome="agreement")
        self.do("draft_agreement", **AGREEMENT)
        self.each("sign_by_parties", signing="signature")
        return self.do("sign_by_mediator", mediator_signed=True, committee_seal=True)


def submit(engine: Engine, clock: FixedClock, **changes: Any) -> Driven:
    with engine.transaction() as session:
        submitted = submit_dispute(session, engine, {**APPLICATION, **changes}, actor="clerk",
                                   settings=OfficeSettings(), now=clock())
    return Driven(engine, submitted.case_no, submitted.instance)


def withdraw(case: Driven, *, party: str = "张三", reason: str = "已私下和解") -> None:
    party_id = next(p.id for p in case.case().parties if p.name == party)
    with case.engine.transaction() as session:
        row = session.scalar(select(Case).where(Case.case_no == case.case_no))
        record_withdrawal(session, case.engine, row, party_id=party_id, reason=reason,
                          actor="clerk")
    case.refresh()


def test_a_withdrawn_case_ends_as_withdrawn_after_the_routes_are_told(engine, clock):
    case = submit(engine, clock).in_mediation()
    withdraw(case, reason="已与对方私下和解")
    row = case.case()
    assert (row.state, row.outcome) == ("withdrawn", "withdrawn")
    assert row.details["withdrawal"]["party"] == "张三"
    assert row.details["withdrawal"]["recorded_by"] == "clerk"
    case.do("inform_routes", routes_explained=True, route="none")
    case.do("close_case", archived_documents=["application"], closing_summary="申请人撤回")
    row = case.case()
    assert (row.state, row.outcome) == ("closed", "withdrawn")
    assert row.closed_at is not None


def test_a_withdrawal_is_refused_once_the_agreement_is_in_force_or_for_a_stranger(engine, clock):
    case = submit(engine, clock).agreed()
    with pytest.raises(WithdrawalRefused, match="can no longer be withdrawn"):
        withdraw(case)
    fresh = submit(engine, clock).in_mediation()
    with pytest.raises(WithdrawalRefused, match="not a party"), \
            engine.transaction() as session:
        row = session.scalar(select(Case).where(Case.case_no == fresh.case_no))
        record_withdrawal(session, engine, row, party_id=-1, reason="x", actor="clerk")
    with pytest.raises(WithdrawalRefused, match="reason"):
        withdraw(fresh, reason="   ")
    assert fresh.refresh().ready() == ["mediate"]


def test_no_answer_from_the_other_side_ends_as_not_mediated(engine, clock):
    case = submit(engine, clock, applied_jointly=False).registered(applied_jointly=False)
    clock.set(datetime(2026, 3, 5, 16, 1, tzinfo=timezone.utc))  # Fri 6 March 00:01
    assert engine.fire_due_timers() == 1
    case.refresh()
    assert case.ready() == ["inform_routes"]
    row = case.case()
    assert (row.state, row.outcome) == ("not_mediated", "not_mediated")
    case.do("inform_routes", routes_explained=True, route="none")
    case.do("close_case", archived_documents=["application"], closing_summary="对方未答复")
    assert (case.case().state, case.case().outcome) == ("closed", "not_mediated")


def test_a_refusal_is_told_the_routes_and_ends_refused(engine, clock):
    case = submit(engine, clock, applied_jointly=False).registered(applied_jointly=False)
    case.do("ask_other_party", other_party_answer="refuses")
    assert (case.case().state, case.case().outcome) == ("failed", "refused")
    case.do("inform_routes", routes_explained=True, route="litigation")
    assert case.case().outcome == "guided_to_litigation"


def test_a_labour_case_ends_guided_to_arbitration(engine, clock):
    case = submit(engine, clock, dispute_type="labour", amount="46000").registered(
        dispute_type="labour", amount=46000)
    case.each("choose_mediator", preferred_mediator="劳动调解员")
    case.do("accept_dispatch", accepts=True)
    case.do("mediate", outcome="failed", failure_ground="large_gap", outcome_reason="分歧大")
    assert case.ready() == ["guide_to_arbitration"]
    case.do("guide_to_arbitration", routes_explained=True, route="labour_arbitration",
            arbitration_commission="区劳动人事争议仲裁委员会")
    assert (case.case().state, case.case().outcome) == ("closing", "guided_to_arbitration")


def test_court_numbers_follow_only_from_a_joint_application(engine, clock):
    case = submit(engine, clock).agreed()
    ready = [t for t in case.view.ready_tasks if t.element_id == "apply_jointly"]
    case.do("apply_jointly", applies=True)
    assert "jc_case_no" not in case.case().details and "jc_applied_at" not in case.view.data
    case.do("apply_jointly", applies=False)
    assert len(ready) == 2
    row = case.case()
    assert "jc_case_no" not in row.details and "jc_applied_at" not in case.view.data
    both = submit(engine, clock).agreed().each("apply_jointly", applies=True)
    assert both.case().details["jc_case_no"] == "(2026)渝0151民特1号"
    assert "prelit_case_no" not in both.case().details


def test_re_mediation_after_a_rejection_opens_a_new_case_linked_to_the_old(engine, clock):
    case = submit(engine, clock).agreed().each("apply_jointly", applies=True)
    case.do("decide_acceptance", jc_accepted=True)
    case.do("review_agreement", ruling="rejected", rejection_ground="unclear_content")
    case.do("serve_ruling", served_on="2026-03-02", service_method="post")
    case.do("choose_after_rejection", next_step="re_mediate")
    old = case.case()
    new_no = old.details["remediated_as"]
    assert old.outcome == "re_mediated"
    with engine.db.reading() as session:
        new = session.scalar(select(Case).where(Case.case_no == new_no))
        assert new is not None
        assert (new.state, new.channel, new.kind) == (
            "reported", "re_mediation", "people_mediation")
        assert new.details["remediation_of"] == old.case_no
        assert [(p.role, p.name) for p in new.parties] == [
            ("applicant", "张三"), ("respondent", "李四")]
        assert new.instance_id is not None and new.instance_id != old.instance_id
    # Only once, however many steps the old case takes afterwards.
    clock.set(datetime(2026, 3, 20, 16, 1, tzinfo=timezone.utc))
    engine.fire_due_timers()
    assert case.refresh().case().details["remediated_as"] == new_no
    with engine.db.reading() as session:
        assert len(session.scalars(select(Case).where(Case.channel == "re_mediation")).all()) == 1


def test_re_mediation_keeps_each_partys_login_and_representative(engine, clock):
    with engine.transaction() as session:
        add_staff(session, username="zhang", display_name="张三", roles=[("party", COURTYARD)],
                  phone="13800000001", now=clock())
    # 张三 and 王五 represent the other two applicants; 张三 has a login of his own.
    applicants = [
        {"role": "applicant", "name": "张三", "phone": "13800000001"},
        {"role": "applicant", "name": "王五", "phone": "13800000005"},
        {"role": "applicant", "name": "赵六", "phone": "13800000006", "represented_by": 0},
        {"role": "applicant", "name": "钱八", "phone": "13800000008", "represented_by": 1},
    ]
    case = submit(engine, clock, parties=[*applicants, APPLICATION["parties"][1]]).agreed()
    with engine.transaction() as session:  # a new phone since: the party stays linked by id
        session.scalar(select(Person).where(Person.username == "zhang")).phone = "13800000099"
    case.each("apply_jointly", applies=True)
    case.do("decide_acceptance", jc_accepted=True)
    case.do("review_agreement", ruling="rejected", rejection_ground="unclear_content")
    case.do("serve_ruling", served_on="2026-03-02", service_method="post")
    case.do("choose_after_rejection", next_step="re_mediate")
    old = case.case()
    with engine.db.reading() as session:
        new = session.scalar(select(Case).where(Case.case_no == old.details["remediated_as"]))
        assert new is not None
        names = {p.id: p.name for p in new.parties}
        assert [(p.name, p.person_id is not None, names.get(p.represented_by_id))
                for p in new.parties] == [
            ("张三", True, None), ("王五", False, None), ("赵六", False, "张三"),
            ("钱八", False, "王五"), ("李四", False, None)]
        assert [p.person_id for p in new.parties] == [p.person_id for p in old.parties]


def test_a_court_refers_a_case_that_is_mediated_before_filing(engine, clock):
    with engine.transaction() as session:
        submitted = refer_from_court(
            session, engine, {k: v for k, v in APPLICATION.items()
                              if k not in ("channel", "reported_unit", "applied_jointly")},
            mode="delegated", court_reference="(2026)渝0153民诉前1号", actor="filing",
            settings=OfficeSettings(), now=clock())
    case = Driven(engine, submitted.case_no, submitted.instance)
    assert case.case_no == "(2026)渝0151民诉前调1号"
    row = case.case()
    assert (row.kind, row.channel, row.details["court_referral"]) == (
        "pre_litigation", "court", "delegated")
    case.registered()
    assert case.ready() == ["accept_delegation"]
    case.do("accept_delegation", acknowledged=True)
    case.do("mediate", outcome="agreement")
    case.do("draft_agreement", **AGREEMENT)
    case.each("sign_by_parties", signing="signature")
    case.do("sign_by_mediator", mediator_signed=True, committee_seal=True)
    # Settled before filing: no confirmation number until both parties apply.
    assert "prelit_case_no" not in case.case().details
    case.each("apply_jointly", applies=True)
    details = case.case().details
    assert details["prelit_case_no"] == "(2026)渝0151民诉前调确1号"
    assert "jc_case_no" not in details


def test_a_court_referral_names_its_kind(engine, clock):
    with pytest.raises(ApplicationInvalid) as refused, engine.transaction() as session:
        refer_from_court(session, engine, APPLICATION, mode="sideways", actor="filing",
                         settings=OfficeSettings(), now=clock())
    assert set(refused.value.field_errors) == {"mode"}
