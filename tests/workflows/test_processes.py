"""The mediation processes in bpmn/, driven through the real engine and database.

Every test deploys the bundle, starts a case and works its human tasks as the people in the
lanes would, moving a fixed clock and letting the timer worker fire what falls due.  Expected
deadlines are worked out by hand beside each assertion, counting per 民事诉讼法 art 85 (the start
day is not counted; a last day on a weekend or holiday moves to the next working day; the period
ends at 24:00, i.e. 00:00 of the next day).

2026 facts used (chinese_calendar 1.11): Mon 2 March is a working day; no holidays in March;
Qingming off 4–6 April (Sat–Mon); Labour Day off 1–5 May (Fri–Tue), Sat 9 May a make-up
working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.database import Database
from engine.definitions import check_paths, read_paths
from engine.errors import FormValidationError
from engine.runtime import Engine, EngineConfig
from engine.views import InstanceView, TaskView
from workflows.deadlines import SHANGHAI, HolidayCalendar
from workflows.functions import process_functions
from workflows.organisation import resolve_group

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Shanghai

# Product defaults (DOMAIN.md): the application passes them in; the diagrams never hard-code them.
TIER_PERIODS = {
    "courtyard": {"days": 5, "unit": "CD"},
    "grid": {"days": 7, "unit": "CD"},
    "village": {"days": 10, "unit": "CD"},
    "town": {"days": 15, "unit": "CD"},
    "district": {"days": 30, "unit": "CD"},
}
ROOM_PERIODS = {"medical": {"days": 30, "unit": "WD"}}
# The parties as the domain passes them: by id (two parties may share a name).
PARTIES = [{"id": 1, "name": "张三", "role": "applicant"},
           {"id": 2, "name": "李四", "role": "respondent"}]
CHAIR_ASSIGNMENT_PERIOD = {"days": 3, "unit": "WD"}
TASK_PERIODS = {
    "drafting": {"days": 3, "unit": "WD"},
    "signing": {"days": 5, "unit": "WD"},
    "after_rejection": {"days": 15, "unit": "CD"},
}
EXTENSION_LIMIT = 2
# Where the case is mediated at each tier (codes of the seed district, workflows/district.py);
# the domain computes these from the unit where the dispute was reported.
TIER_UNITS = {
    "courtyard": "T03-V2-G1-Y3", "grid": "T03-V2-G1", "village": "T03-V2", "town": "T03",
    "district": "RC-OFFICE",
}
ROOM_UNITS = {"medical": "RC-ROOM-MEDICAL", "consumer": "RC-ROOM-CONSUMER"}


def at(text: str) -> datetime:
    """A Shanghai wall-clock time, e.g. at('2026-03-10 00:01')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def set_time(clock: FixedClock, text: str) -> None:
    """Move the clock to a Shanghai wall-clock time."""
    clock.set(at(text).astimezone(timezone.utc))


def due(day: str) -> str:
    """The deadline of a period whose last day is ``day``: 24:00 of it, as the diagrams store it."""
    return (datetime.fromisoformat(day) + timedelta(days=1)).replace(tzinfo=SHANGHAI).isoformat()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(db: Database, clock: FixedClock) -> Engine:
    functions = process_functions(calendar=HolidayCalendar.default(), clock=clock)
    engine = Engine(db, EngineConfig(functions=functions, clock=clock, resolve_group=resolve_group))
    with engine.transaction() as session:
        engine.deploy(session, read_paths([BPMN]), actor="admin")
    return engine


class Case:
    """One process instance, worked the way its lanes would work it."""

    def __init__(self, engine: Engine, clock: FixedClock, view: InstanceView):
        self.engine = engine
        self.clock = clock
        self.view = view

    @classmethod
    def start(cls, engine: Engine, clock: FixedClock, process_id: str, **data: Any) -> Case:
        with engine.transaction() as session:
            view = engine.start(session, process_id, data=data, actor="受理员", business_key="C-1")
        return cls(engine, clock, view)

    @property
    def data(self) -> Mapping[str, Any]:
        return self.view.data

    @property
    def status(self) -> str:
        return self.view.status

    def ready(self) -> list[str]:
        """Element ids of the ready human tasks, sorted."""
        return sorted(t.element_id for t in self.view.ready_tasks)

    def task(self, element_id: str) -> TaskView:
        return self.view.task(element_id)

    def timers(self) -> dict[str, datetime]:
        return {t.element_id: t.due_at for t in self.view.timers}

    def do(self, element_id: str, actor: str = "someone", **form: Any) -> Case:
        """Complete the one ready task ``element_id`` with ``form``."""
        tasks = [t for t in self.view.ready_tasks if t.element_id == element_id]
        assert len(tasks) == 1, f"expected one ready '{element_id}', have {self.ready()}"
        return self._complete(tasks[0], actor, form)

    def as_party(self, element_id: str, party: str, **form: Any) -> Case:
        """Complete ``party``'s own instance of the per-party task ``element_id``."""
        for task in self.view.ready_tasks:
            if task.element_id != element_id:
                continue
            with self.engine.db.reading() as session:
                if self.engine.task_data(session, task.id)["party"]["name"] == party:
                    break
        else:
            raise AssertionError(f"no ready '{element_id}' for {party}")
        return self._complete(task, party, form)

    def as_party_id(self, element_id: str, party_id: int, **form: Any) -> Case:
        """Complete the instance of ``element_id`` for the party with this id."""
        for task in self.view.ready_tasks:
            if task.element_id != element_id:
                continue
            with self.engine.db.reading() as session:
                if self.engine.task_data(session, task.id)["party"]["id"] == party_id:
                    break
        else:
            raise AssertionError(f"no ready '{element_id}' for party {party_id}")
        return self._complete(task, f"party-{party_id}", form)

    def each_party(self, element_id: str, answers: Mapping[str, Mapping[str, Any]]) -> Case:
        """Every party completes its own ``element_id``: ``answers`` by party name."""
        ready = [t for t in self.view.ready_tasks if t.element_id == element_id]
        assert len(ready) == len(answers), f"{len(ready)} '{element_id}' tasks ready"
        for party, form in answers.items():
            self.as_party(element_id, party, **form)
        return self

    def _complete(self, task: TaskView, actor: str, form: Mapping[str, Any]) -> Case:
        with self.engine.transaction() as session:
            self.view = self.engine.complete_task(session, task.id, data=form, actor=actor)
        assert self.view.status != "error", self.view.error_message
        return self

    def wait_until(self, when: str) -> int:
        """Move the clock to Shanghai time ``when`` and let the worker fire what fell due."""
        set_time(self.clock, when)
        fired = self.engine.fire_due_timers()
        self.refresh()
        return fired

    def refresh(self) -> Case:
        with self.engine.db.reading() as session:
            self.view = self.engine.instance(session, self.view.id)
        return self

    def progress(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The elements completed and those active now."""
        with self.engine.db.reading() as session:
            return self.engine.progress(session, self.view.id)

    def trail(self) -> list[tuple[str, str | None]]:
        with self.engine.db.reading() as session:
            events = self.engine.audit_trail(session, self.view.id)
        return [(e.action, e.element_id) for e in events]

    def actors(self, element_id: str) -> list[str]:
        with self.engine.db.reading() as session:
            return [
                e.actor
                for e in self.engine.audit_trail(session, self.view.id)
                if e.action == "task_completed" and e.element_id == element_id
            ]


# -- how people work the tasks ------------------------------------------------------------------


def new_dispute(engine: Engine, clock: FixedClock, **overrides: Any) -> Case:
    data: dict[str, Any] = {
        "parties": PARTIES,
        "dispute_type": "neighbour",
        "amount": 2000,
        "origin_tier": "courtyard",
        "intake_channel": "walk_in",
        "description": "邻里之间因排水沟堵塞引发的赔偿纠纷",
        "applied_jointly": True,
        "tier_periods": TIER_PERIODS,
        "room_periods": ROOM_PERIODS,
        "task_periods": TASK_PERIODS,
        "extension_limit": EXTENSION_LIMIT,
        "tier_units": TIER_UNITS,
        "room_units": ROOM_UNITS,
        "chair_assignment_period": CHAIR_ASSIGNMENT_PERIOD,
        "org_unit": "RC-OFFICE",
        "office": "RC-OFFICE",
        "court": "RC-COURT",
    }
    data.update(overrides)
    return Case.start(engine, clock, "dispute_intake", **data)


def register(case: Case, **overrides: Any) -> Case:
    form: dict[str, Any] = {
        "registration_decision": "register",
        "dispute_type": case.data["dispute_type"],
        "amount": case.data["amount"],
        "applied_jointly": case.data["applied_jointly"],
        "ownership_confirmation": False,
    }
    form.update(overrides)
    return case.do("register_dispute", actor="受理员小周", **form)


def choose_jointly(case: Case, mediator: str) -> Case:
    """Both parties name ``mediator``: chosen jointly."""
    return case.each_party("choose_mediator", {"张三": {"preferred_mediator": mediator},
                                               "李四": {"preferred_mediator": mediator}})


def dispatch(case: Case, mediator: str) -> Case:
    """The parties choose ``mediator`` jointly and the mediator accepts at once."""
    choose_jointly(case, mediator)
    return case.do("accept_dispatch", actor=mediator, accepts=True)


AGREEMENT = {
    "agreement_form": "written",
    "facts": "李四修缮房屋时堵塞排水沟，致张三院内积水",
    "issues": "损失赔偿及排水沟疏通",
    "responsibilities": "李四承担主要责任",
    "terms": "李四赔偿张三1500元并于三日内疏通排水沟",
    "performance_manner": "现金支付",
    "performance_place": "社区调解室",
    "performance_deadline": "2026-03-20",
    "performed_on_spot": False,
    "amount_agreed": 1500,
}
BOTH_SIGN = {"张三": {"signing": "signature"}, "李四": {"signing": "fingerprint"}}


def sign_agreement(case: Case, mediator: str) -> Case:
    """Agreement reached: drafted, signed by both parties, then by the mediator with the seal."""
    case.do("mediate", actor=mediator, outcome="agreement")
    case.do("draft_agreement", actor=mediator, **AGREEMENT)
    case.each_party("sign_by_parties", BOTH_SIGN)
    return case.do("sign_by_mediator", actor=mediator, mediator_signed=True, committee_seal=True)


def settle_at_courtyard(engine: Engine, clock: FixedClock) -> Case:
    """A courtyard case whose written agreement takes effect on Tue 3 March, 10:00."""
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    set_time(clock, "2026-03-03 10:00")
    return sign_agreement(case, "王调解")


# -- settled at the lowest tier ---------------------------------------------------------------


def test_dispute_settled_at_the_courtyard_is_followed_up_and_archived(
    engine: Engine, clock: FixedClock
):
    case = new_dispute(engine, clock)
    assert case.ready() == ["register_dispute"]
    assert case.task("register_dispute").lane == "受理员"
    register(case)
    assert case.data["registered_at"] == "2026-03-02T09:00:00+08:00"
    # Triage keeps a small courtyard matter in the courtyard.
    assert (case.data["start_tier"], case.data["room"], case.data["personal_status"]) == (
        "courtyard", "general", False,
    )
    assert case.data["tier"] == "courtyard"
    # The parties have 2 working days to choose a mediator: Tue 3 and Wed 4 March.
    choose = case.task("choose_mediator")
    assert choose.lane == "当事人"
    assert case.data["choice_due"] == due("2026-03-04")
    assert choose.due_at == at("2026-03-05 00:00")
    choose_jointly(case, "王调解")
    assert case.data["mediator_jointly_chosen"] is True
    # The mediator confirms within 3 working days: Tue 3 .. Thu 5 March.
    assert case.task("accept_dispatch").lane == "调解员"
    assert case.data["acceptance_due"] == due("2026-03-05")
    case.do("accept_dispatch", actor="王调解", accepts=True)
    # 5 calendar days from Mon 2 March end on Sat 7 March, a rest day: moved to Mon 9 March.
    assert case.data["accepted_at"] == "2026-03-02T09:00:00+08:00"
    assert case.data["mediation_due"] == due("2026-03-09")
    assert case.timers() == {"mediation_expired": at("2026-03-10 00:00")}

    set_time(clock, "2026-03-03 10:00")
    sign_agreement(case, "王调解")
    assert case.data["agreement_in_force"] is True
    assert case.data["agreement_effective_at"] == "2026-03-03T10:00:00+08:00"
    assert {key: (s["name"], s["method"]) for key, s in case.data["signatures"].items()} == {
        "1": ("张三", "signature"), "2": ("李四", "fingerprint"),
    }
    # Judicial confirmation window: 30 calendar days from 3 March end on Thu 2 April.
    assert case.data["jc_apply_due"] == due("2026-04-02")
    # The follow-up falls due at 24:00 of the performance deadline, Fri 20 March.
    assert case.timers() == {
        "jc_window_lapsed": at("2026-04-03 00:00"),
        "performance_deadline_reached": at("2026-03-21 00:00"),
    }
    # Only one party applies: no joint application, so no judicial confirmation.
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": False}})
    assert ("element_completed", "jc_not_applied") in case.trail()
    assert "jc_applied_at" not in case.data

    assert case.wait_until("2026-03-20 23:59") == 0
    assert case.wait_until("2026-03-21 00:01") == 1
    case.do("follow_up_visit", actor="王调解", performed="fully", satisfaction="satisfied")
    case.do("close_case", actor="王调解", archived_documents=["application", "agreement"],
            closing_summary="小院调解成功，协议已履行")
    assert case.status == "completed"
    assert case.data["mediation_result"] == "agreement"
    assert case.data["jc_outcome"] == "not_applied"
    assert (case.data["performed"], case.data["satisfaction"]) == ("fully", "satisfied")
    assert case.data["tier_history"] == [{
        "tier": "courtyard", "mediator": "王调解", "result": "agreement", "reason": None,
        "accepted_at": "2026-03-02T09:00:00+08:00", "ended_at": "2026-03-03T10:00:00+08:00",
    }]
    assert case.data["closed_at"] == "2026-03-21T00:01:00+08:00"
    # What each party answered is kept by party id; nothing of the per-party tasks leaks into
    # the case.
    assert set(case.data["jc_applications"]) == {"1", "2"}
    assert not {"party", "party_index", "signing", "applies"} & set(case.data)
    trail = case.trail()
    for step in [("task_completed", "register_dispute"), ("element_completed", "triage"),
                 ("task_completed", "mediate"), ("element_completed", "agreement_takes_effect"),
                 ("timer_fired", "performance_deadline_reached"),
                 ("task_completed", "follow_up_visit"), ("element_completed", "case_closed"),
                 ("completed", None)]:
        assert step in trail, step
    assert ("element_completed", "mediate_at_grid") not in trail
    assert case.actors("sign_by_parties") == ["张三", "李四"]


# -- escalation up the tiers -------------------------------------------------------------------


def test_expiry_escalates_through_every_tier_and_the_district_failure_is_guided_to_court(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    # tier, choice window (2 WD), last day of the period, when the worker finds it expired
    ladder = [
        # accepted Mon 2 Mar; 5 CD end Sat 7 Mar -> Mon 9 Mar
        ("courtyard", "2026-03-04", "2026-03-09", "2026-03-10 00:01"),
        # accepted Tue 10 Mar; choice Wed 11, Thu 12; 7 CD end Tue 17 Mar
        ("grid", "2026-03-12", "2026-03-17", "2026-03-18 00:01"),
        # accepted Wed 18 Mar; choice Thu 19, Fri 20; 10 CD end Sat 28 Mar -> Mon 30 Mar
        ("village", "2026-03-20", "2026-03-30", "2026-03-31 00:01"),
        # accepted Tue 31 Mar; choice Wed 1, Thu 2 Apr; 15 CD end Wed 15 Apr (Qingming is 4-6 Apr)
        ("town", "2026-04-02", "2026-04-15", "2026-04-16 00:01"),
        # accepted Thu 16 Apr; choice Fri 17, Mon 20 Apr; 30 CD end Sat 16 May -> Mon 18 May
        ("district", "2026-04-20", "2026-05-18", "2026-05-19 00:01"),
    ]
    for tier, choice_last_day, period_last_day, expired_at in ladder:
        assert case.data["tier"] == tier
        assert case.data["choice_due"] == due(choice_last_day)
        dispatch(case, f"{tier}调解员")
        assert case.data["mediation_due"] == due(period_last_day)
        assert case.task("mediate").lane == "调解员"
        # The mediators' queue of the unit at this tier holds it: small matters stay low.
        assert case.task("mediate").candidate_group == f"mediator:{TIER_UNITS[tier]}"
        assert case.wait_until(expired_at) == 1

    assert [(h["tier"], h["result"]) for h in case.data["tier_history"]] == [
        (tier, "escalate") for tier, *_ in ladder
    ]
    assert {h["reason"] for h in case.data["tier_history"]} == {"本级调解期限届满，未经各方同意延期"}
    assert case.data["mediation_result"] == "failed"
    assert case.data["failure_reason"] == "区级调解未能化解：本级调解期限届满，未经各方同意延期"
    assert [e for e in case.trail() if e == ("timer_fired", "mediation_expired")] == [
        ("timer_fired", "mediation_expired")
    ] * 5

    # Failure at the district: the parties are told the routes and choose to sue.
    assert case.task("inform_routes").lane == "调解员"
    case.do("inform_routes", routes_explained=True, route="litigation")
    # The court registers within 7 CD of Tue 19 May: Tue 26 May.
    register_suit = case.task("register_suit")
    assert (register_suit.lane, register_suit.candidate_group) == ("立案庭", "filing_clerk:RC-COURT")
    assert case.data["suit_registration_due"] == due("2026-05-26")
    assert register_suit.due_at == at("2026-05-27 00:00")
    case.do("register_suit", actor="立案庭小李", suit_registered=True,
            court_case_no="(2026)渝0153民初1234号")
    case.do("close_case", archived_documents=["application", "failure_record"],
            closing_summary="逐级调解未果，已引导诉讼并立案")
    assert case.status == "completed"
    assert (case.data["route"], case.data["suit_registered"]) == ("litigation", True)
    assert ("element_completed", "case_closed") in case.trail()


def test_tiers_below_the_start_tier_are_skipped_and_the_mediator_can_always_escalate(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock, dispute_type="consumer", amount=8000,
                                origin_tier="grid"))
    assert (case.data["start_tier"], case.data["room"]) == ("town", "consumer")
    assert case.data["tier"] == "town"
    assert case.data["org_unit"] == "T03"
    dispatch(case, "镇街调解员")
    # 15 CD from Mon 2 March: Tue 17 March.
    assert case.data["mediation_due"] == due("2026-03-17")
    set_time(clock, "2026-03-04 15:00")
    case.do("mediate", actor="镇街调解员", outcome="escalate",
            outcome_reason="涉及连锁企业多家门店，需区级消费调解室协调")
    assert case.data["tier"] == "district"
    assert case.data["tier_history"][0]["result"] == "escalate"
    assert case.data["tier_history"][0]["reason"] == "涉及连锁企业多家门店，需区级消费调解室协调"
    dispatch(case, "区级调解员")
    # The district's own default (30 CD, the consumer room has none): Fri 3 April.
    assert case.data["mediation_due"] == due("2026-04-03")
    completed, active = case.progress()
    assert "mediate_at_town" in completed and "mediate_at_district" in active
    assert not {"mediate_at_courtyard", "mediate_at_grid", "mediate_at_village"} & {
        *completed, *active
    }


def test_failed_at_the_district_medical_room_goes_to_pre_litigation_mediation_and_then_to_court(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock, dispute_type="medical", amount=80000,
                                origin_tier="district", description="术后感染赔偿纠纷"))
    assert (case.data["start_tier"], case.data["room"]) == ("district", "medical")
    dispatch(case, "医调委调解员")
    # The medical room counts 30 working days from Mon 2 March: 21 in March (3-31), then
    # 1-3 April, 7-10 April (4-6 April Qingming) and 13-14 April: Tue 14 April.
    assert (case.data["period_days"], case.data["period_unit"]) == (30, "WD")
    assert case.data["mediation_due"] == due("2026-04-14")
    set_time(clock, "2026-03-20 10:00")
    with pytest.raises(FormValidationError) as missing:
        case.do("mediate", outcome="failed")
    assert set(missing.value.field_errors) == {"failure_ground", "outcome_reason"}
    case.do("mediate", actor="医调委调解员", outcome="failed", failure_ground="large_gap",
            outcome_reason="双方对赔偿数额分歧较大")
    assert case.data["mediation_result"] == "failed"
    assert case.data["tier_history"][0]["result"] == "failed"

    case.do("inform_routes", routes_explained=True, route="pre_litigation",
            all_parties_consent=True)
    case.do("delegate_case", actor="立案庭小李", party_refused_delegation=False, mediator="特邀调解员陈")
    set_time(clock, "2026-03-23 09:00")
    case.do("accept_delegation", actor="特邀调解员陈", acknowledged=True)
    # Pre-litigation mediation: 30 CD from the mediator's acceptance on Mon 23 March: Wed 22 April.
    assert case.data["mediation_due"] == due("2026-04-22")
    set_time(clock, "2026-04-10 16:00")
    case.do("mediate", actor="特邀调解员陈", outcome="failed", failure_ground="large_gap",
            outcome_reason="医院不同意赔偿方案")
    assert case.data["prelit_outcome"] == "failed"
    # Failure: the court registers the suit, 7 CD from Fri 10 April: Fri 17 April.
    assert case.data["suit_registration_due"] == due("2026-04-17")
    case.do("register_suit", actor="立案庭小李", suit_registered=True,
            court_case_no="(2026)渝0153民初2345号")
    case.do("close_case", archived_documents=["application", "failure_record"],
            closing_summary="诉前调解不成，已立案")
    assert case.status == "completed"
    assert (case.data["route"], case.data["suit_registered"]) == ("pre_litigation", True)
    elements = {element for _, element in case.trail()}
    assert {"delegate_to_court_mediation", "register_as_suit", "prelit_registered"} <= elements
    assert "file_suit" not in elements


# -- pre-litigation mediation started by the court ----------------------------------------------


def test_pre_litigation_success_closes_out_of_court_and_the_agreement_is_confirmed(
    engine: Engine, clock: FixedClock
):
    case = Case.start(engine, clock, "pre_litigation_mediation", parties=PARTIES,
                      dispute_type="debt", amount=30000, personal_status=False,
                      ownership_confirmation=False, delegated=False, task_periods=TASK_PERIODS,
                      extension_limit=EXTENSION_LIMIT)
    assert case.task("delegate_case").lane == "立案庭"
    case.do("delegate_case", actor="立案庭小李", party_refused_delegation=False, mediator="特邀调解员陈")
    case.do("accept_delegation", actor="特邀调解员陈", acknowledged=True)
    # 30 CD from Mon 2 March: Wed 1 April.
    assert case.data["mediation_due"] == due("2026-04-01")
    set_time(clock, "2026-03-10 10:00")
    case.do("mediate", actor="特邀调解员陈", outcome="agreement")
    # An oral agreement performed on the spot: recorded and in force at once, no signatures.
    case.do("draft_agreement", actor="特邀调解员陈",
            **{**AGREEMENT, "agreement_form": "oral", "performed_on_spot": True,
               "performance_deadline": "2026-03-10"})
    assert case.data["agreement_in_force"] is True
    assert case.data["agreement_effective_at"] == "2026-03-10T10:00:00+08:00"
    assert case.data["prelit_outcome"] == "settled"
    assert (case.data["case_no_prefix"], case.data["jc_available"]) == ("诉前调确", True)
    assert "sign_by_parties" not in {e for _, e in case.trail()}
    # Performed on the spot: the follow-up is due now, not at a deadline.
    assert case.ready() == ["apply_jointly", "apply_jointly", "follow_up_visit"]
    case.do("follow_up_visit", performed="fully", satisfaction="satisfied")

    # Judicial confirmation: joint application within 30 CD of 10 March (Thu 9 April).
    assert case.data["jc_apply_due"] == due("2026-04-09")
    set_time(clock, "2026-03-11 09:00")
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": True}})
    # The court decides within 3 days of Wed 11 March: Sat 14 -> Mon 16 March.
    accept = case.task("decide_acceptance")
    assert case.data["jc_acceptance_due"] == due("2026-03-16")
    assert accept.due_at == at("2026-03-17 00:00")
    case.do("decide_acceptance", actor="立案庭小李", jc_accepted=True)
    # Ruling within 15 CD of acceptance on Wed 11 March: Thu 26 March.
    assert case.data["jc_ruling_due"] == due("2026-03-26")
    assert case.task("review_agreement").lane == "法官"
    case.do("review_agreement", actor="王法官", ruling="valid")
    assert case.task("serve_ruling").lane == "法官助理"
    # Service cannot come before the ruling (made today, Wed 11 March).
    assert case.data["ruled_on"] == "2026-03-11"
    with pytest.raises(FormValidationError) as early:
        case.do("serve_ruling", served_on="2026-03-10", service_method="electronic")
    assert early.value.field_errors == {"served_on": ["must be on or after 2026-03-11"]}
    case.do("serve_ruling", actor="法官助理小赵", served_on="2026-03-12", service_method="electronic")
    assert case.status == "completed"
    assert (case.data["jc_outcome"], case.data["enforceable"]) == ("confirmed", True)
    assert ("element_completed", "prelit_closed") in case.trail()


# -- judicial confirmation ---------------------------------------------------------------------


def test_agreement_is_confirmed_with_the_presidents_extension(engine: Engine, clock: FixedClock):
    case = settle_at_courtyard(engine, clock)
    set_time(clock, "2026-03-05 09:00")
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": True}})
    assert case.data["jc_applied_at"] == "2026-03-05T09:00:00+08:00"
    # 3 days from Thu 5 March end on Sun 8 March: moved to Mon 9 March.
    assert case.data["jc_acceptance_due"] == due("2026-03-09")
    set_time(clock, "2026-03-06 09:00")
    case.do("decide_acceptance", actor="立案庭小李", jc_accepted=True)
    # 15 CD from Fri 6 March end on Sat 21 March: moved to Mon 23 March.
    assert case.data["jc_ruling_due"] == due("2026-03-23")
    assert case.task("review_agreement").due_at == at("2026-03-24 00:00")

    # The performance deadline passes meanwhile: the follow-up runs alongside the court's review.
    assert case.wait_until("2026-03-21 00:01") == 1
    case.do("follow_up_visit", performed="partly", satisfaction="basically_satisfied")
    # The finished follow-up branch's data shows while the court's branch is still running.
    assert case.data["performed"] == "partly"

    case.do("review_agreement", actor="王法官", ruling="extend", extension_reason="需调取履行凭证")
    assert case.task("approve_extension").lane == "院长"
    case.do("approve_extension", actor="院长", extension_approved=True)
    # Ten more days after the period's last day, Mon 23 March: Thu 2 April.
    assert (case.data["jc_ruling_due"], case.data["jc_extended"]) == (due("2026-04-02"), True)
    assert case.task("rule_after_extension").due_at == at("2026-04-03 00:00")
    set_time(clock, "2026-03-30 10:00")
    case.do("rule_after_extension", actor="王法官", ruling="valid")
    case.do("serve_ruling", actor="法官助理小赵", served_on="2026-03-31", service_method="in_person")
    # Only partly performed: the parties are told the routes; the agreement is confirmed, so the
    # creditor may apply for enforcement within 2 years from the performance deadline, Fri 20
    # March 2026: to Mon 20 March 2028 (民事诉讼法 art 250).
    case.do("choose_remedy", routes_explained=True, remedy="enforcement")
    assert case.data["enforcement_due"] == due("2028-03-20")
    case.do("close_case", archived_documents=["agreement", "jc_papers", "follow_up_record"],
            closing_summary="协议经司法确认有效")
    assert case.status == "completed"
    assert (case.data["jc_outcome"], case.data["enforceable"]) == ("confirmed", True)
    assert case.data["performed"] == "partly"
    trail = case.trail()
    assert ("task_completed", "approve_extension") in trail
    assert ("timer_fired", "ruling_overdue") not in trail


def test_judicial_confirmation_rejected_with_a_legal_ground(engine: Engine, clock: FixedClock):
    case = settle_at_courtyard(engine, clock)
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": True}})
    case.do("decide_acceptance", actor="立案庭小李", jc_accepted=True)
    with pytest.raises(FormValidationError) as missing:
        case.do("review_agreement", ruling="rejected")
    assert set(missing.value.field_errors) == {"rejection_ground"}
    case.do("review_agreement", actor="王法官", ruling="rejected", rejection_ground="not_voluntary",
            ruling_note="被申请人称签署时受到胁迫")
    case.do("serve_ruling", actor="法官助理小赵", served_on="2026-03-04", service_method="post")
    # The parties may re-mediate or sue, within the office's 15 days from the ruling's service
    # on Tue 3 March: Wed 18 March.
    choose = case.task("choose_after_rejection")
    assert choose.lane == "当事人"
    assert case.data["rejection_choice_due"] == due("2026-03-18")
    assert choose.due_at == at("2026-03-19 00:00")
    case.do("choose_after_rejection", actor="张三", next_step="re_mediate")
    # Re-mediation is a new case (opened by the office for it), this one goes on to its close.
    assert case.data["remediation_requested"] is True
    assert ("element_completed", "request_remediation") in case.trail()
    assert case.wait_until("2026-03-21 00:01") == 1
    case.do("follow_up_visit", performed="not_performed", satisfaction="dissatisfied")
    # Not performed, and the agreement is not confirmed: no enforcement, other routes remain.
    with pytest.raises(FormValidationError) as refused:
        case.do("choose_remedy", routes_explained=True, remedy="enforcement")
    assert refused.value.field_errors == {
        "remedy": ["只有经人民法院裁定确认有效的调解协议才能申请强制执行"]}
    case.do("choose_remedy", routes_explained=True, remedy="payment_order")
    case.do("close_case", archived_documents=["agreement", "jc_papers"], closing_summary="确认被驳回")
    assert case.status == "completed"
    assert (case.data["jc_outcome"], case.data["rejection_ground"], case.data["next_step"]) == (
        "rejected", "not_voluntary", "re_mediate",
    )
    assert (case.data["non_performance"]["performed"], case.data["remedy"]) == (
        "not_performed", "payment_order")
    assert "enforceable" not in case.data and "enforcement_due" not in case.data
    assert ("element_completed", "jc_rejected") in case.trail()


def test_after_a_rejection_the_parties_may_sue_and_the_court_registers_the_suit(
    engine: Engine, clock: FixedClock
):
    case = settle_at_courtyard(engine, clock)
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": True}})
    case.do("decide_acceptance", jc_accepted=True)
    case.do("review_agreement", ruling="rejected", rejection_ground="unclear_content")
    case.do("serve_ruling", served_on="2026-03-04", service_method="post")
    set_time(clock, "2026-03-05 10:00")
    case.do("choose_after_rejection", actor="张三", next_step="sue")
    # The court registers within 7 CD of Thu 5 March: Thu 12 March.
    register_suit = case.task("register_suit")
    assert register_suit.candidate_group == "filing_clerk:RC-COURT"
    assert case.data["suit_registration_due"] == due("2026-03-12")
    case.do("register_suit", actor="立案庭小李", suit_registered=True,
            court_case_no="(2026)渝0153民初3456号")
    assert case.data["suit_registered"] is True
    assert "remediation_requested" not in case.data
    assert ("element_completed", "sue_after_rejection") in case.trail()


def test_the_choice_after_a_rejection_lapses_when_nobody_chooses(engine: Engine, clock: FixedClock):
    case = settle_at_courtyard(engine, clock)
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": True}})
    case.do("decide_acceptance", jc_accepted=True)
    case.do("review_agreement", ruling="rejected", rejection_ground="unclear_content")
    case.do("serve_ruling", served_on="2026-03-04", service_method="post")
    # The choice's 15 days from Tue 3 March end on Wed 18 March (the follow-up is due later).
    assert case.wait_until("2026-03-18 23:59") == 0
    assert case.wait_until("2026-03-19 00:01") == 1
    assert case.data["next_step"] == "undecided"
    trail = case.trail()
    assert ("timer_fired", "rejection_choice_lapsed") in trail
    assert ("task_cancelled", "choose_after_rejection") in trail
    assert ("element_completed", "jc_rejected") in trail


def test_judicial_confirmation_window_lapses_after_thirty_days(engine: Engine, clock: FixedClock):
    case = settle_at_courtyard(engine, clock)
    # One party applies; the other never does, so there is no joint application.
    case.as_party("apply_jointly", "张三", applies=True)
    assert case.wait_until("2026-03-21 00:01") == 1
    case.do("follow_up_visit", performed="fully", satisfaction="satisfied")
    # The window: 30 CD from Tue 3 March end on Thu 2 April.
    assert case.timers() == {"jc_window_lapsed": at("2026-04-03 00:00")}
    assert case.wait_until("2026-04-02 23:59") == 0
    assert case.wait_until("2026-04-03 00:01") == 1
    case.do("close_case", archived_documents=["agreement", "follow_up_record"],
            closing_summary="协议已履行，未申请司法确认")
    assert case.status == "completed"
    assert case.data["jc_outcome"] == "lapsed"
    trail = case.trail()
    assert ("timer_fired", "jc_window_lapsed") in trail
    assert ("task_cancelled", "apply_jointly") in trail
    assert ("element_completed", "jc_lapsed") in trail


def test_marriage_agreement_is_never_offered_judicial_confirmation(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock, dispute_type="marriage", amount=0,
                                origin_tier="village", description="协议离婚及子女抚养"))
    assert (case.data["start_tier"], case.data["room"], case.data["personal_status"]) == (
        "village", "family", True,
    )
    dispatch(case, "村调委会主任")
    set_time(clock, "2026-03-04 10:00")
    sign_agreement(case, "村调委会主任")
    # Personal-status matters never reach the court: only the follow-up is waiting.
    assert case.ready() == []
    assert case.timers() == {"performance_deadline_reached": at("2026-03-21 00:00")}
    case.wait_until("2026-03-21 00:01")
    case.do("follow_up_visit", performed="fully", satisfaction="satisfied")
    case.do("close_case", archived_documents=["agreement"], closing_summary="婚姻纠纷调解成功")
    assert case.status == "completed"
    assert case.data["jc_outcome"] == "not_available"
    elements = {element for _, element in case.trail()}
    assert "jc_not_available" in elements and "confirm_in_court" not in elements


def test_court_refuses_to_confirm_a_personal_status_agreement(engine: Engine, clock: FixedClock):
    # An agreement made elsewhere, brought to the court directly.
    case = Case.start(engine, clock, "judicial_confirmation", parties=PARTIES,
                      agreement_effective_at="2026-02-26T15:00:00+08:00",
                      personal_status=True, ownership_confirmation=False)
    # 30 CD from Thu 26 February: Sat 28 March -> Mon 30 March.
    assert case.data["jc_apply_due"] == due("2026-03-30")
    assert case.task("apply_jointly").lane == "当事人"
    # Each party's own task carries the window's deadline (the timer bounds the multi-instance task).
    assert {t.due_at for t in case.view.ready_tasks if t.element_id == "apply_jointly"} == {
        datetime.fromisoformat(due("2026-03-30"))
    }
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": True}})
    assert case.status == "completed"
    assert (case.data["jc_outcome"], case.data["not_accepted_reason"]) == (
        "not_accepted", "personal_status",
    )
    elements = {element for _, element in case.trail()}
    assert {"refuse_blocked_type", "jc_not_accepted"} <= elements
    assert "decide_acceptance" not in elements


# -- consent of the other side, refusal and withdrawal ------------------------------------------


def test_other_side_refuses_mediation_before_it_starts(engine: Engine, clock: FixedClock):
    case = register(new_dispute(engine, clock, applied_jointly=False))
    ask = case.task("ask_other_party")
    assert ask.lane == "受理员"
    # 3 working days after Mon 2 March: Thu 5 March.
    assert case.data["consent_due"] == due("2026-03-05")
    assert ask.due_at == at("2026-03-06 00:00")
    case.do("ask_other_party", other_party_answer="refuses", contact_note="电话联系，李四明确拒绝")
    # A refusal ends it, with the parties told the other routes (人民调解法 art 26).
    assert (case.data["mediation_result"], case.data["failure_reason"]) == ("refused", "对方当事人拒绝调解")
    assert case.ready() == ["inform_routes"]
    case.do("inform_routes", routes_explained=True, route="none")
    case.do("close_case", archived_documents=["application", "failure_record"],
            closing_summary="对方拒绝调解，已告知其他途径")
    assert case.status == "completed"
    elements = {element for _, element in case.trail()}
    assert {"record_other_party_refusal", "after_failure"} <= elements
    assert "triage" not in elements


def test_other_side_never_answers_within_three_working_days(engine: Engine, clock: FixedClock):
    case = register(new_dispute(engine, clock, applied_jointly=False))
    assert case.wait_until("2026-03-05 23:59") == 0
    assert case.ready() == ["ask_other_party"]
    assert case.wait_until("2026-03-06 00:01") == 1
    # Not mediated (终止), not archived without an outcome: the routes are told first.
    assert case.data["other_party_answer"] == "no_answer"
    assert case.data["mediation_result"] == "not_mediated"
    assert case.data["failure_reason"] == "对方当事人在三个工作日内未答复，视为不同意调解，调解终止"
    assert case.ready() == ["inform_routes"]
    case.do("inform_routes", routes_explained=True, route="litigation")
    case.do("register_suit", suit_registered=True, court_case_no="(2026)渝0153民初4567号")
    case.do("close_case", archived_documents=["application"], closing_summary="对方未答复，调解终止")
    assert case.status == "completed"
    trail = case.trail()
    assert ("timer_fired", "consent_lapsed") in trail
    assert ("task_cancelled", "ask_other_party") in trail
    assert ("element_completed", "record_no_answer") in trail
    assert ("element_completed", "after_failure") in trail
    assert ("element_completed", "triage") not in trail


def test_other_side_consents_and_mediation_starts(engine: Engine, clock: FixedClock):
    case = register(new_dispute(engine, clock, applied_jointly=False))
    set_time(clock, "2026-03-04 11:00")
    case.do("ask_other_party", other_party_answer="consents", contact_note="上门征询，同意调解")
    assert case.data["tier"] == "courtyard"
    assert case.ready() == ["choose_mediator", "choose_mediator"]  # one for each party


def test_party_refuses_during_mediation(engine: Engine, clock: FixedClock):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    set_time(clock, "2026-03-03 16:00")
    case.do("mediate", actor="王调解", outcome="refused", outcome_reason="李四表示不再参与调解")
    assert case.data["mediation_result"] == "refused"
    assert case.data["tier_history"][0]["result"] == "refused"
    # The refusal ends the mediation; the parties are told the other routes.
    assert case.ready() == ["inform_routes"]
    case.do("inform_routes", routes_explained=True, route="none")
    case.do("close_case", archived_documents=["application", "failure_record"],
            closing_summary="当事人拒绝调解，终止")
    assert case.status == "completed"
    elements = {element for _, element in case.trail()}
    assert {"termination_merge", "after_failure"} <= elements


def withdraw(engine: Engine, case: Case, party: str = "张三", reason: str = "已与对方私下和解") -> None:
    with engine.transaction() as session:
        receivers = engine.deliver_message(
            session, "party_withdrew", payload={"party": party, "reason": reason},
            business_key="C-1", actor=party,
        )
    assert receivers == [case.view.id]
    case.refresh()


def test_party_withdraws_at_any_time_and_the_tier_work_is_cancelled(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    choose_jointly(case, "王调解")
    assert [m.message_name for m in case.view.awaiting] == ["party_withdrew"]
    withdraw(engine, case)
    # Withdrawn, and the other routes are told.
    assert case.ready() == ["inform_routes"]
    assert case.data["mediation_result"] == "withdrawn"
    assert case.data["withdrawal"] == {"party": "张三", "reason": "已与对方私下和解"}
    assert case.data["failure_reason"] == "当事人撤回调解：张三（已与对方私下和解）"
    assert case.view.awaiting == ()
    trail = case.trail()
    assert ("message_received", None) in trail
    assert ("task_cancelled", "accept_dispatch") in trail
    case.do("inform_routes", routes_explained=True, route="none")
    case.do("close_case", archived_documents=["application"], closing_summary="申请人撤回")
    assert case.status == "completed"


def test_a_withdrawal_is_taken_before_registration_before_an_answer_and_while_signing(
    engine: Engine, clock: FixedClock
):
    reported = new_dispute(engine, clock)
    withdraw(engine, reported)
    assert reported.ready() == ["inform_routes"]
    assert ("task_cancelled", "register_dispute") in reported.trail()

    asking = register(new_dispute(engine, clock, applied_jointly=False))
    assert [m.message_name for m in asking.view.awaiting] == ["party_withdrew"]
    withdraw(engine, asking)
    assert asking.ready() == ["inform_routes"]
    assert ("task_cancelled", "ask_other_party") in asking.trail()

    signing = register(new_dispute(engine, clock))
    dispatch(signing, "王调解")
    signing.do("mediate", outcome="agreement")
    signing.do("draft_agreement", **AGREEMENT)
    signing.as_party("sign_by_parties", "张三", signing="signature")
    withdraw(engine, signing, party="李四", reason="对赔偿数额反悔")
    assert signing.ready() == ["inform_routes"]
    assert signing.data["mediation_result"] == "withdrawn"
    assert "agreement_in_force" not in signing.data
    assert ("task_cancelled", "sign_by_parties") in signing.trail()


def test_no_withdrawal_once_the_agreement_is_in_force(engine: Engine, clock: FixedClock):
    case = settle_at_courtyard(engine, clock)
    assert case.view.awaiting == ()
    from engine.errors import NotFound
    with pytest.raises(NotFound), engine.transaction() as session:
        engine.deliver_message(session, "party_withdrew", payload={"party": "张三"},
                               business_key="C-1", actor="张三")


# -- extension and suspension ------------------------------------------------------------------


def test_extension_with_every_partys_consent_moves_the_deadline(engine: Engine, clock: FixedClock):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    assert case.data["mediation_due"] == due("2026-03-09")
    set_time(clock, "2026-03-05 10:00")
    case.do("mediate", actor="王调解", outcome="extend", extension_days=3)
    assert case.task("consent_to_extension").lane == "当事人"
    case.each_party("consent_to_extension", {"张三": {"consents": True}, "李四": {"consents": True}})
    # 5 + 3 = 8 CD from Mon 2 March: Tue 10 March.
    assert case.data["mediation_due"] == due("2026-03-10")
    assert case.data["extensions"] == [{"days": 3, "agreed": True,
                                        "decided_at": "2026-03-05T10:00:00+08:00",
                                        "mediation_due": due("2026-03-10")}]
    assert case.ready() == ["mediate"]
    assert case.timers() == {"mediation_expired": at("2026-03-11 00:00")}
    # The original deadline passes without escalation.
    assert case.wait_until("2026-03-10 00:01") == 0
    set_time(clock, "2026-03-10 15:00")
    case.do("mediate", actor="王调解", outcome="agreement")
    assert case.data["tier"] == "courtyard"
    assert case.ready() == ["draft_agreement"]
    assert [e for e in case.trail() if e == ("task_completed", "mediate")] == [
        ("task_completed", "mediate")
    ] * 2


def test_extension_refused_by_one_party_leaves_the_deadline_and_the_case_escalates(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    set_time(clock, "2026-03-05 10:00")
    case.do("mediate", actor="王调解", outcome="extend", extension_days=3)
    case.each_party("consent_to_extension", {"张三": {"consents": True}, "李四": {"consents": False}})
    assert case.data["mediation_due"] == due("2026-03-09")
    assert case.data["extensions"] == [{"days": 3, "agreed": False,
                                        "decided_at": "2026-03-05T10:00:00+08:00",
                                        "refused_by": ["李四"]}]
    assert case.ready() == ["mediate"]
    assert case.wait_until("2026-03-10 00:01") == 1
    assert case.data["tier"] == "grid"
    assert case.data["tier_history"][0]["result"] == "escalate"
    assert case.data["tier_history"][0]["reason"] == "本级调解期限届满，未经各方同意延期"
    assert case.ready() == ["choose_mediator", "choose_mediator"]


def test_extension_still_unanswered_when_the_period_ends_escalates(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    set_time(clock, "2026-03-09 17:00")
    case.do("mediate", actor="王调解", outcome="extend", extension_days=5)
    # The parties' answers are due before the period ends (24:00 Mon 9 March).
    consent = case.task("consent_to_extension")
    assert consent.due_at == at("2026-03-10 00:00")
    case.as_party("consent_to_extension", "张三", consents=True)
    assert case.wait_until("2026-03-10 00:01") == 1
    assert case.data["tier"] == "grid"
    assert case.data["tier_history"][0]["reason"] == "本级调解期限届满，未经各方同意延期"
    trail = case.trail()
    assert ("timer_fired", "consent_period_expired") in trail
    assert ("task_cancelled", "consent_to_extension") in trail


def test_appraisal_suspends_the_clock_and_the_deadline_is_recomputed(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    assert case.data["mediation_due"] == due("2026-03-09")
    # Suspended on Wed 4 March: 2 of the 5 days are used (Tue 3, Wed 4), 3 remain.
    set_time(clock, "2026-03-04 10:00")
    case.do("mediate", actor="王调解", outcome="suspend", appraisal_matter="房屋墙体损坏程度")
    assert (case.data["suspended_on"], case.data["clock_days"]) == ("2026-03-04", 3)
    assert case.data["mediation_due"] is None
    assert case.ready() == ["appraisal"]
    assert case.timers() == {}
    # Without the suspension the case would have expired on 10 March; nothing fires now.
    assert case.wait_until("2026-03-12 00:01") == 0
    assert case.data["tier"] == "courtyard"
    # The report comes back on Mon 16 March: 3 days from then end on Thu 19 March.
    set_time(clock, "2026-03-16 09:00")
    case.do("appraisal", actor="王调解", appraisal_institution="区建设工程质量检测中心",
            appraisal_conclusion="墙体裂缝系排水沟堵塞浸泡所致")
    assert case.data["clock_start"] == "2026-03-16"
    assert case.data["mediation_due"] == due("2026-03-19")
    assert case.data["suspensions"] == [{"matter": "房屋墙体损坏程度", "suspended_on": "2026-03-04",
                                         "resumed_on": "2026-03-16", "days_left": 3}]
    assert case.timers() == {"mediation_expired": at("2026-03-20 00:00")}
    assert case.wait_until("2026-03-20 00:01") == 1
    assert case.data["tier"] == "grid"


def test_the_office_limits_extension_requests_per_tier_and_says_so(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    assert case.data["extensions_left"] == EXTENSION_LIMIT == 2
    case.do("mediate", outcome="extend", extension_days=2)
    case.each_party("consent_to_extension", {"张三": {"consents": True}, "李四": {"consents": True}})
    case.do("mediate", outcome="extend", extension_days=2)
    case.each_party("consent_to_extension", {"张三": {"consents": True}, "李四": {"consents": False}})
    assert case.data["extensions_left"] == 0
    # A third request is refused where the mediator makes it, with the reason.
    with pytest.raises(FormValidationError) as refused:
        case.do("mediate", outcome="extend", extension_days=2)
    assert refused.value.field_errors == {"outcome": [
        "本级申请延长调解期限的次数已达上限，不能再申请延期：请继续调解、上交或作出其他决定"]}
    assert case.ready() == ["mediate"]
    case.do("mediate", outcome="agreement")
    assert case.data["tier"] == "courtyard"


def test_agreed_extensions_and_appraisals_never_force_escalation(engine: Engine, clock: FixedClock):
    # Rounds of mediation (extensions, appraisals) are not counted: only the period and the
    # mediator's own decision end a tier.  Seven rounds here, more than any loop cap had.
    case = register(new_dispute(engine, clock, extension_limit=3))
    dispatch(case, "王调解")
    for round_ in range(4):
        set_time(clock, f"2026-03-0{3 + round_} 10:00")
        case.do("mediate", outcome="suspend", appraisal_matter=f"第{round_ + 1}项鉴定")
        case.do("appraisal", appraisal_institution="区鉴定中心", appraisal_conclusion="已出具")
    for _ in range(3):
        case.do("mediate", outcome="extend", extension_days=5)
        case.each_party("consent_to_extension",
                        {"张三": {"consents": True}, "李四": {"consents": True}})
    assert case.ready() == ["mediate"]
    assert case.data["tier"] == "courtyard"
    assert [h["result"] for h in case.data.get("tier_history", [])] == []
    assert len(case.data["suspensions"]) == 4 and len(case.data["extensions"]) == 3
    case.do("mediate", outcome="agreement")
    assert case.ready() == ["draft_agreement"]
    assert case.data["tier_history"][0]["result"] == "agreement"


def test_mediation_rounds_carry_no_loop_cap():
    for name in ("tier_mediation.bpmn", "pre_litigation_mediation.bpmn"):
        text = (BPMN / name).read_text(encoding="utf-8")
        assert "mediation_session" in text and "loopMaximum" not in text.split(
            'calledElement="mediation_session"')[1].split("</bpmn:callActivity>")[0], name


# -- dispatch ----------------------------------------------------------------------------------


def test_unaccepted_dispatch_is_redispatched_at_most_three_times_then_the_chair_assigns(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    # No joint choice by Wed 4 March: the dispatcher designates.
    assert case.wait_until("2026-03-05 00:01") == 1
    assert case.task("designate_mediator").lane == "调度员"
    case.do("designate_mediator", actor="调度员小吴", mediator="赵调解")
    # Dispatched Thu 5 March: confirm by Fri 6, Mon 9, Tue 10 March.
    assert case.data["acceptance_due"] == due("2026-03-10")
    case.do("accept_dispatch", actor="赵调解", accepts=False, decline_reason="与当事人有亲属关系")
    case.do("designate_mediator", actor="调度员小吴", mediator="钱调解")
    assert case.wait_until("2026-03-11 00:01") == 1
    case.do("designate_mediator", actor="调度员小吴", mediator="孙调解")
    case.do("accept_dispatch", actor="孙调解", accepts=False, decline_reason="案件过多")
    assert case.data["previous_mediators"] == ["赵调解", "钱调解", "孙调解"]
    assert case.task("assign_by_chair").lane == "调委会主任"
    case.do("assign_by_chair", actor="周主任", mediator="周主任")
    # The clock starts on Wed 11 March: 5 CD end Mon 16 March.
    assert (case.data["mediator"], case.data["accepted_at"]) == ("周主任", "2026-03-11T00:01:00+08:00")
    assert case.data["mediation_due"] == due("2026-03-16")
    trail = case.trail()
    assert ("timer_fired", "choice_lapsed") in trail
    assert ("timer_fired", "acceptance_lapsed") in trail
    assert [e for e in trail if e == ("task_completed", "accept_dispatch")] == [
        ("task_completed", "accept_dispatch")
    ] * 2


def test_parties_who_name_different_mediators_leave_it_to_the_dispatcher(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    case.each_party("choose_mediator", {"张三": {"preferred_mediator": "王调解"},
                                        "李四": {"preferred_mediator": "赵调解"}})
    assert case.ready() == ["designate_mediator"]
    assert case.data["mediator_jointly_chosen"] is False and case.data["mediator"] is None
    assert {k: v["mediator"] for k, v in case.data["mediator_choices"].items()} == {
        "1": "王调解", "2": "赵调解"}
    # One party leaving it to the office is no joint choice either.
    other = register(new_dispute(engine, clock))
    other.each_party("choose_mediator", {"张三": {"preferred_mediator": "王调解"}, "李四": {}})
    assert other.ready() == ["designate_mediator"]


def test_a_chair_who_does_not_assign_in_time_sends_the_case_up_a_tier(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    assert case.wait_until("2026-03-05 00:01") == 1
    for mediator in ("赵调解", "钱调解", "孙调解"):
        case.do("designate_mediator", actor="调度员小吴", mediator=mediator)
        case.do("accept_dispatch", actor=mediator, accepts=False, decline_reason="案件过多")
    # Three rounds unaccepted on Thu 5 March: the chair has 3 working days, Fri 6 .. Tue 10 March.
    assigning = case.task("assign_by_chair")
    assert case.data["chair_assignment_due"] == due("2026-03-10")
    assert assigning.due_at == at("2026-03-11 00:00")
    assert case.wait_until("2026-03-10 23:59") == 0
    assert case.wait_until("2026-03-11 00:01") == 1
    # Nobody was assigned: the case goes up to the grid instead of waiting for ever.
    assert case.data["tier"] == "grid"
    assert case.data["tier_history"][0]["result"] == "escalate"
    assert case.data["tier_history"][0]["reason"] == "本级三轮派单均未接收，调委会主任未在期限内指定调解员"
    assert case.ready() == ["choose_mediator", "choose_mediator"]
    assert ("timer_fired", "chair_assignment_lapsed") in case.trail()
    assert ("task_cancelled", "assign_by_chair") in case.trail()


def test_parties_who_share_a_name_keep_their_own_choice_consent_and_signature(
    engine: Engine, clock: FixedClock
):
    namesakes = [{"id": 7, "name": "王芳", "role": "applicant"},
                 {"id": 8, "name": "王芳", "role": "respondent"}]
    case = register(new_dispute(engine, clock, parties=namesakes))
    case.as_party_id("choose_mediator", 7, preferred_mediator="周调解")
    case.as_party_id("choose_mediator", 8, preferred_mediator="周调解")
    assert case.data["mediator"] == "周调解"
    case.do("accept_dispatch", actor="周调解", accepts=True)
    case.do("mediate", actor="周调解", outcome="extend", extension_days=3)
    case.as_party_id("consent_to_extension", 7, consents=True)
    case.as_party_id("consent_to_extension", 8, consents=False)
    assert {k: v["consents"] for k, v in case.data["extension_consents"].items()} == {
        "7": True, "8": False}
    assert case.data["extensions"][0]["agreed"] is False
    case.do("mediate", actor="周调解", outcome="agreement")
    case.do("draft_agreement", actor="周调解", **AGREEMENT)
    case.as_party_id("sign_by_parties", 7, signing="signature")
    case.as_party_id("sign_by_parties", 8, signing="refused")
    # The refusal of the second 王芳 is not hidden by the first one's signature.
    assert {k: v["signed"] for k, v in case.data["signatures"].items()} == {"7": True, "8": False}
    assert case.data["unsigned_parties"] == ["王芳"]
    assert case.data["agreement_in_force"] is False


# -- agreement ---------------------------------------------------------------------------------


def test_refusal_to_sign_leaves_the_agreement_without_effect_and_mediation_failed(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    case.do("mediate", actor="王调解", outcome="agreement")
    case.do("draft_agreement", actor="王调解", **AGREEMENT)
    assert case.task("sign_by_parties").lane == "当事人"
    case.each_party("sign_by_parties", {"张三": {"signing": "e_signature"},
                                        "李四": {"signing": "refused"}})
    # Without every party's signature the mediator does not sign and nothing takes effect.
    assert case.ready() == ["inform_routes"]
    assert case.data["agreement_in_force"] is False
    assert case.data["unsigned_parties"] == ["李四"]
    assert case.data["failure_reason"] == "当事人拒绝签署调解协议：李四"
    assert "agreement_effective_at" not in case.data
    case.do("inform_routes", routes_explained=True, route="none")
    case.do("close_case", archived_documents=["minutes", "failure_record"],
            closing_summary="当事人拒绝签署，调解不成")
    assert case.status == "completed"
    elements = {element for _, element in case.trail()}
    assert {"agreement_not_signed", "after_failure"} <= elements
    assert not {"sign_by_mediator", "follow_through"} & elements


def test_the_agreement_is_drafted_in_time_or_goes_back_to_the_queue(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    case.do("mediate", actor="王调解", outcome="agreement")
    # Drafting: 3 working days from Mon 2 March, Thu 5 March.
    assert case.data["agreement_date"] == "2026-03-02"
    assert case.task("draft_agreement").due_at == at("2026-03-06 00:00")
    first = case.task("draft_agreement").id
    assert case.wait_until("2026-03-06 00:01") == 1
    # Nobody drafted it: a new drafting task waits in the unit's queue, with a new period from
    # Fri 6 March (Mon 9, Tue 10, Wed 11 March).
    again = case.task("draft_agreement")
    assert again.id != first and again.assignee is None
    assert again.candidate_group == "mediator:T03-V2-G1-Y3"
    assert case.data["drafting_lapses"] == [due("2026-03-05")]
    assert again.due_at == at("2026-03-12 00:00")
    # The performance deadline cannot be before the agreement's date; amounts are in fen.
    with pytest.raises(FormValidationError) as impossible:
        case.do("draft_agreement", **{**AGREEMENT, "performance_deadline": "2026-03-01",
                                      "amount_agreed": 1500.005})
    assert impossible.value.field_errors == {
        "amount_agreed": ["must be a multiple of 0.01"],
        "performance_deadline": ["must be on or after 2026-03-02"],
    }
    case.do("draft_agreement", actor="李调解", **{**AGREEMENT, "amount_agreed": 1500.5})
    assert case.ready() == ["sign_by_parties", "sign_by_parties"]


def test_parties_who_do_not_sign_in_time_leave_the_agreement_without_effect(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock))
    dispatch(case, "王调解")
    case.do("mediate", outcome="agreement")
    case.do("draft_agreement", **AGREEMENT)
    # Signing: 5 working days from Mon 2 March, Mon 9 March; each party's task shows it.
    assert case.data["signing_due"] == due("2026-03-09")
    assert {t.due_at for t in case.view.ready_tasks} == {at("2026-03-10 00:00")}
    case.as_party("sign_by_parties", "张三", signing="signature")
    assert case.wait_until("2026-03-10 00:01") == 1
    assert case.data["agreement_in_force"] is False
    assert case.data["signing_lapsed"] is True
    assert case.data["failure_reason"] == "调解协议未在签署期限内经各方当事人签署"
    assert case.ready() == ["inform_routes"]
    assert ("task_cancelled", "sign_by_parties") in case.trail()
    assert "sign_by_mediator" not in {e for _, e in case.trail()}


def test_non_performance_is_recorded_and_leads_to_a_suit_on_the_agreement(
    engine: Engine, clock: FixedClock
):
    case = settle_at_courtyard(engine, clock)
    case.each_party("apply_jointly", {"张三": {"applies": False}, "李四": {"applies": False}})
    assert case.wait_until("2026-03-21 00:01") == 1
    case.do("follow_up_visit", performed="not_performed", satisfaction="dissatisfied",
            follow_up_note="李四未支付赔偿款")
    # Recorded at the follow-up; the routes are then told and taken.
    assert case.data["non_performance"] == {"performed": "not_performed",
                                            "recorded_at": "2026-03-21T00:01:00+08:00"}
    assert case.ready() == ["choose_remedy"]
    case.do("choose_remedy", routes_explained=True, remedy="suit", remedy_note="张三决定起诉")
    # 7 days from Sat 21 March end on Sat 28 March, a rest day: Mon 30 March.
    assert case.data["suit_registration_due"] == due("2026-03-30")
    case.do("register_suit", suit_registered=True, court_case_no="(2026)渝0153民初5678号")
    assert case.ready() == ["close_case"]
    trail = case.trail()
    assert {("element_completed", "record_non_performance"),
            ("element_completed", "sue_on_agreement")} <= set(trail)


def test_a_confirmed_agreement_is_enforced_not_sued_on(engine: Engine, clock: FixedClock):
    case = settle_at_courtyard(engine, clock)
    case.each_party("apply_jointly", {"张三": {"applies": True}, "李四": {"applies": True}})
    case.do("decide_acceptance", jc_accepted=True)
    case.do("review_agreement", ruling="valid")
    case.do("serve_ruling", served_on="2026-03-05", service_method="electronic")
    case.wait_until("2026-03-21 00:01")
    case.do("follow_up_visit", performed="partly", satisfaction="dissatisfied")
    with pytest.raises(FormValidationError) as refused:
        case.do("choose_remedy", routes_explained=True, remedy="suit")
    assert refused.value.field_errors == {
        "remedy": ["经司法确认的调解协议应申请强制执行，不能就协议另行起诉"]}
    case.do("choose_remedy", routes_explained=True, remedy="enforcement")
    assert case.data["enforcement_due"] == due("2028-03-20")


# -- labour disputes ----------------------------------------------------------------------------


def test_a_labour_dispute_is_mediated_for_fifteen_days_then_goes_to_arbitration(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock, dispute_type="labour", amount=46000,
                                origin_tier="village", description="拖欠工资"))
    # A labour-dispute mediation organisation: the district's labour room.
    assert (case.data["start_tier"], case.data["room"]) == ("district", "labour")
    set_time(clock, "2026-03-04 10:00")
    dispatch(case, "劳动争议调解员")
    # 15 days from the receipt of the application (registered Mon 2 March), not from the
    # acceptance: Tue 17 March (劳动争议调解仲裁法 art 14).
    assert case.data["mediation_due"] == due("2026-03-17")
    assert case.wait_until("2026-03-18 00:01") == 1
    assert case.data["mediation_result"] == "failed"
    assert case.data["failure_reason"].startswith("劳动争议调解未能达成协议")
    # Arbitration first (仲裁前置), never the court directly.
    assert case.ready() == ["guide_to_arbitration"]
    with pytest.raises(FormValidationError) as court:
        case.do("guide_to_arbitration", routes_explained=True, route="litigation")
    assert set(court.value.field_errors) == {"route"}
    with pytest.raises(FormValidationError) as where:
        case.do("guide_to_arbitration", routes_explained=True, route="labour_arbitration")
    assert set(where.value.field_errors) == {"arbitration_commission"}
    case.do("guide_to_arbitration", routes_explained=True, route="labour_arbitration",
            arbitration_commission="区劳动人事争议仲裁委员会")
    assert case.data["route"] == "labour_arbitration"
    assert case.ready() == ["close_case"]
    elements = {element for _, element in case.trail()}
    assert "inform_routes" not in elements and "file_suit" not in elements


# -- pre-litigation mediation of a case the court delegated ---------------------------------------


def test_a_case_the_court_delegated_is_mediated_before_filing_not_up_the_tiers(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock, intake_channel="court", origin_tier="district",
                                dispute_type="debt", amount=30000))
    # The court has delegated it already: an office mediator accepts at once, 30 days from then.
    assert case.ready() == ["accept_delegation"]
    assert case.task("accept_delegation").candidate_group == "mediator:RC-OFFICE"
    set_time(clock, "2026-03-03 09:00")
    case.do("accept_delegation", actor="特邀调解员陈", acknowledged=True)
    assert case.data["mediation_due"] == due("2026-04-02")
    case.do("mediate", outcome="failed", failure_ground="large_gap", outcome_reason="分歧较大")
    # Failure: the court registers the suit.
    assert case.data["prelit_outcome"] == "failed"
    case.do("register_suit", suit_registered=True, court_case_no="(2026)渝0153民初6789号")
    assert case.ready() == ["close_case"]
    elements = {element for _, element in case.trail()}
    assert {"delegated_mediation", "register_as_suit"} <= elements
    assert not {"mediate_across_tiers", "delegate_case"} & elements


def test_a_withdrawal_during_court_delegated_mediation_goes_to_the_court(
    engine: Engine, clock: FixedClock
):
    case = register(new_dispute(engine, clock, intake_channel="court", origin_tier="district"))
    case.do("accept_delegation", acknowledged=True)
    withdraw(engine, case)
    assert (case.data["prelit_outcome"], case.data["mediation_result"]) == (
        "withdrawn", "withdrawn")
    assert case.ready() == ["register_suit"]


# -- registration ------------------------------------------------------------------------------


def test_a_dispute_outside_the_scope_is_not_accepted_and_the_party_is_told_where_to_go(
    engine: Engine, clock: FixedClock
):
    case = new_dispute(engine, clock)
    with pytest.raises(FormValidationError) as missing:
        case.do("register_dispute", registration_decision="refuse", refusal_reason="before_court")
    assert set(missing.value.field_errors) == {"referral_route"}
    case.do("register_dispute", registration_decision="refuse", refusal_reason="before_court",
            referral_route="案件已由区人民法院受理，请向承办法官申请诉讼中调解")
    assert case.status == "completed"
    assert case.data["referral_route"].startswith("案件已由区人民法院受理")
    elements = {element for _, element in case.trail()}
    assert "not_accepted" in elements and "record_registration" not in elements


def test_the_bundle_passes_the_definition_check():
    assert check_paths([BPMN]) == []


# -- the functions the diagrams call -----------------------------------------------------------


@pytest.fixture
def functions(clock: FixedClock) -> dict[str, Any]:
    return process_functions(calendar=HolidayCalendar.default(), clock=clock)


def test_deadlines_end_at_midnight_after_the_last_day_moved_past_rest_days(
    functions: dict[str, Any]
):
    # 30 CD from Thu 26 March 2026 end on Sat 25 April: moved to Mon 27 April.
    assert functions["deadline_cd"]("2026-03-26", 30) == due("2026-04-27")
    # The start day counts as a date wherever the instant lies: 23:30 in Shanghai is still 2 March.
    assert functions["deadline_cd"]("2026-03-02T15:30:00+00:00", 1) == due("2026-03-03")
    # 3 WD from Thu 2 April 2026: Fri 3, then Qingming 4-6 April, Tue 7, Wed 8 April.
    assert functions["deadline_wd"]("2026-04-02", 3) == due("2026-04-08")
    # 2 WD from Thu 7 May 2026: Fri 8 and the make-up working Saturday 9 May.
    assert functions["deadline_wd"]("2026-05-07", 2) == due("2026-05-09")
    assert functions["deadline"]("2026-04-02", 3, "WD") == functions["deadline_wd"]("2026-04-02", 3)
    assert functions["deadline"]("2026-04-02", 3, "CD") == due("2026-04-07")
    with pytest.raises(ValueError, match="'CD'"):
        functions["deadline"]("2026-04-02", 3, "days")


def test_days_between_and_last_day(functions: dict[str, Any]):
    assert functions["days_between"]("2026-04-02", "2026-04-08") == 6
    assert functions["days_between"]("2026-04-02", "2026-04-08", "WD") == 3
    assert functions["days_between"]("2026-04-08", "2026-04-02", "WD") == -3
    assert functions["last_day"](due("2026-04-08")) == "2026-04-08"
    assert functions["last_day"]("2026-04-08T16:00:00+00:00") == "2026-04-08"


def test_now_and_today_follow_the_engine_clock_in_china_standard_time(
    functions: dict[str, Any], clock: FixedClock
):
    set_time(clock, "2026-03-02 23:30")
    assert functions["now"]() == "2026-03-02T23:30:00+08:00"
    assert functions["today"]() == "2026-03-02"
    set_time(clock, "2026-03-03 00:30")
    assert functions["today"]() == "2026-03-03"
