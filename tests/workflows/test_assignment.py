"""Who may see and do what, and who gets which task, through the real engine and database: parties
bound to their own login, a roster to choose mediators from, the chosen mediator keeping the case,
work for a role nobody holds going up the tree, representatives answering for those they
represent, and units mediating jointly.

Everyone here is put on the roster without a login of their own (no password hashing): the rules
act on people, whether they log in through the web, the API or the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine.clock import FixedClock
from engine.database import Database
from engine.definitions import read_paths
from engine.runtime import Engine
from engine.views import InstanceView, TaskView
from web.composition import BPMN_DIR, build_engine
from workflows import access, tasks
from workflows.access import AccessDenied, Someone
from workflows.cases import ApplicationInvalid, submit_dispute
from workflows.configuration import OfficeSettings
from workflows.district import OFFICE, PETITION_OFFICE, TreeSize, build_district
from workflows.joint_mediation import JointMediationRefused, invite_unit
from workflows.models import Case, Party
from workflows.people import add_staff
from workflows.roster import roster
from workflows.tasks import ChoiceRefused, TaskRefused

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Shanghai
YARD = "T01-V1-G1-Y1"  # a courtyard with two mediators of its own
BARE_YARD = "T01-V1-G1-Y2"  # a courtyard with none: its work goes up to the grid
GRID = "T01-V1-G1"
VILLAGE = "T01-V1"  # the nearest committee chair of both courtyards

# username -> (name, [(role, unit)], phone, specialties)
PEOPLE: Mapping[str, tuple[str, list[tuple[str, str]], str | None, list[str]]] = {
    "clerk": ("受理员小周", [("intake_clerk", OFFICE)], None, []),
    "dispatcher": ("调度员小吴", [("dispatcher", OFFICE)], None, []),
    "m.yard": ("王秀英", [("mediator", YARD)], None, ["neighbour", "family"]),
    "m.yard2": ("刘淑珍", [("mediator", YARD)], None, ["debt"]),
    "m.grid1": ("李建华", [("mediator", GRID)], None, ["tenancy"]),
    "m.grid2": ("陈德明", [("mediator", GRID)], None, ["land"]),
    "m.town": ("孙志刚", [("mediator", "T01")], None, ["property_management"]),
    "m.elsewhere": ("赵丽萍", [("mediator", "T02-V1-G1")], None, ["neighbour"]),
    "m.petition": ("冯建华", [("mediator", PETITION_OFFICE)], None, ["other"]),
    "chair.village": ("黄国强", [("committee_chair", VILLAGE)], None, []),
    "gridworker": ("杨小龙", [("grid_worker", GRID)], None, []),
    "admin": ("刘洋", [("admin", "RC")], None, []),
    "party": ("张三", [("party", YARD)], "13800000001", []),
    "party2": ("赵五", [("party", YARD)], "13700000003", []),
}

ZHANG = {"role": "applicant", "name": "张三", "phone": "13800000001"}  # the login "party"
LI = {"role": "respondent", "name": "李四", "phone": "13900000002"}  # no login
ZHAO = {"role": "applicant", "name": "赵五", "phone": "13700000003"}  # the login "party2"
QIAN = {"role": "respondent", "name": "钱七", "phone": "13900000009"}  # no login

REGISTER = {"registration_decision": "register", "dispute_type": "neighbour", "amount": 2000,
            "applied_jointly": True, "ownership_confirmation": False}
AGREEMENT: dict[str, Any] = {
    "agreement_form": "written", "facts": "排水沟堵塞致积水", "issues": "赔偿",
    "responsibilities": "被申请人承担责任", "terms": "赔偿1500元", "performance_manner": "现金",
    "performance_place": "调解室", "performance_deadline": "2026-03-20",
    "performed_on_spot": False, "amount_agreed": 1500,
}


@dataclass
class World:
    engine: Engine
    clock: FixedClock

    def actor(self, username: str) -> Someone:
        with self.engine.db.reading() as session:
            found = access.actor_named(session, username)
        assert found is not None, username
        return found

    def submit(self, *parties: Mapping[str, Any], unit: str = YARD, **changes: Any) -> Run:
        application = {
            "parties": [dict(p) for p in parties or (ZHANG, LI)], "dispute_type": "neighbour",
            "amount": "2000", "description": "邻里之间因排水沟堵塞引发的赔偿纠纷",
            "channel": "walk_in", "reported_unit": unit, "applied_jointly": True, **changes,
        }
        with self.engine.transaction() as session:
            submitted = submit_dispute(session, self.engine, application, actor="clerk",
                                       settings=OfficeSettings(), now=self.clock())
        return Run(self, submitted.case_id, submitted.instance)


@dataclass
class Run:
    """A case, worked through the use cases with their permission rules."""

    world: World
    case_id: int
    view: InstanceView

    def tasks(self, element_id: str) -> list[TaskView]:
        return [t for t in self.view.ready_tasks if t.element_id == element_id]

    def task(self, element_id: str, *, assignee: str | None = "any") -> TaskView:
        found = [t for t in self.tasks(element_id) if assignee == "any" or t.assignee == assignee]
        assert found, f"no ready '{element_id}' for {assignee}: {self.view.ready_tasks}"
        return found[0]

    def act(self, username: str, task: TaskView | int, **data: Any) -> Run:
        task_id = task if isinstance(task, int) else task.id
        engine = self.world.engine
        with engine.transaction() as session:
            self.view = tasks.complete_task(session, engine, actor=self.world.actor(username),
                                            task_id=task_id, data=data)
        assert self.view.status != "error", self.view.error_message
        return self

    def each(self, element_id: str, recorder: str, **data: Any) -> Run:
        """Every instance of a per-party task: a party with a login answers their own, the
        ``recorder`` (a mediator) the others'."""
        while self.tasks(element_id):
            task = self.tasks(element_id)[0]
            self.act(task.assignee or recorder, task, **data)
        return self

    def registered(self) -> Run:
        return self.act("clerk", self.task("register_dispute"), **REGISTER)

    def with_mediator(self, mediator: str, recorder: str = "m.yard") -> Run:
        """Registered, every party named ``mediator``, who accepted."""
        self.registered().each("choose_mediator", recorder, preferred_mediator=mediator)
        return self.act(mediator, self.task("accept_dispatch"), accepts=True)

    def case(self) -> Case:
        with self.world.engine.db.reading() as session:
            case = session.scalar(select(Case).where(Case.id == self.case_id).options(
                selectinload(Case.parties), selectinload(Case.joint_units)))
            assert case is not None
            session.expunge(case)
            return case

    def refresh(self) -> Run:
        with self.world.engine.db.reading() as session:
            self.view = self.world.engine.instance(session, self.view.id)
        return self


@pytest.fixture
def world(db: Database) -> World:
    clock = FixedClock(T0)
    engine = build_engine(db, clock=clock, settings=OfficeSettings())
    with engine.transaction() as session:
        build_district(session, TreeSize(villages=1, grids=1, courtyards=2))
        engine.deploy(session, read_paths([BPMN_DIR]), actor="test")
        for username, (name, roles, phone, specialties) in PEOPLE.items():
            add_staff(session, username=username, display_name=name, roles=roles, phone=phone,
                      specialties=specialties, now=clock())
    return World(engine, clock)


def party_of(world: World, task: TaskView) -> Mapping[str, Any]:
    """The party a per-party task is for."""
    with world.engine.db.reading() as session:
        party = world.engine.task_data(session, task.id)["party"]
    assert isinstance(party, Mapping)
    return party


def refused(reason: str) -> Any:
    return pytest.raises(AccessDenied, match=rf"access denied \({reason}")


def use_case(world: World, name: str, username: str, task_id: int, **more: Any) -> Any:
    engine = world.engine
    with engine.transaction() as session:
        return getattr(tasks, name)(session, engine, actor=world.actor(username),
                                    task_id=task_id, **more)


def visible(world: World, username: str) -> set[int]:
    with world.engine.db.reading() as session:
        return {c.id for c in access.visible_cases(session, actor=world.actor(username))}


def sees(world: World, username: str, case_id: int) -> AccessDenied | None:
    with world.engine.db.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return access.case_refusal(session, actor=world.actor(username), case=case)


# -- parties ---------------------------------------------------------------------------------------


def test_each_party_has_their_own_tasks_and_cases_and_nobody_elses(world: World) -> None:
    mine = world.submit(ZHANG, LI).registered()
    theirs = world.submit(ZHAO, QIAN).registered()
    # The parties who have a login get their own task by name; the others' are the mediators'
    # to record, in the unit's queue; nothing is bound to a shared party queue.
    zhang, li = mine.task("choose_mediator", assignee="party"), mine.task(
        "choose_mediator", assignee=None)
    zhao = theirs.task("choose_mediator", assignee="party2")
    assert {t.candidate_group for t in mine.tasks("choose_mediator")} == {f"mediator:{YARD}"}
    assert access.workable_groups(world.actor("party").memberships) == frozenset()
    # Cases: each sees their own only.
    assert visible(world, "party") == {mine.case_id}
    assert visible(world, "party2") == {theirs.case_id}
    assert sees(world, "party", mine.case_id) is None
    assert sees(world, "party2", mine.case_id).reason == "party"  # type: ignore[union-attr]
    # Tasks: neither may open, claim, give back or complete the other's, nor the no-login one's.
    for task in (zhang, li):
        for use in ("open_task", "claim_task", "unclaim_task"):
            with refused("party"):
                use_case(world, use, "party2", task.id)
        with refused("party"):
            use_case(world, "complete_task", "party2", task.id,
                     data={"preferred_mediator": "m.yard"})
    with refused("party"):
        use_case(world, "open_task", "party", zhao.id)
    with refused("party"):
        use_case(world, "open_task", "party", li.id)
    # What a party may do with their own: open and complete it, not give it back to a queue.
    with world.engine.db.reading() as session:
        assert access.task_actions(session, actor=world.actor("party"), task=zhang) == {
            "open", "complete"}
    with pytest.raises(TaskRefused, match="named"):
        use_case(world, "unclaim_task", "party", zhang.id)
    mine.act("party", zhang, preferred_mediator="m.yard")
    # The party's answer is recorded as theirs, by their id.
    zhang_id = next(p.id for p in mine.case().parties if p.name == "张三")
    with world.engine.db.reading() as session:
        assert session.get(Party, zhang_id).person_id is not None  # type: ignore[union-attr]


def test_parties_who_share_a_name_keep_their_own_choice_and_signature(world: World) -> None:
    first = {"role": "applicant", "name": "王芳", "phone": "13800000011"}
    second = {"role": "respondent", "name": "王芳", "phone": "13800000022"}
    run = world.submit(first, second)
    ids = [p["id"] for p in run.view.data["parties"]]
    assert len(set(ids)) == 2 and [p.id for p in run.case().parties] == ids
    run.with_mediator("m.yard")
    run.act("m.yard", run.task("mediate"), outcome="agreement")
    run.act("m.yard", run.task("draft_agreement"), **AGREEMENT)
    signing = {party_of(world, t)["id"]: t for t in run.tasks("sign_by_parties")}
    run.act("m.yard", signing[ids[0]], signing="signature")
    run.act("m.yard", signing[ids[1]], signing="refused")
    signatures = run.view.data["signatures"]
    assert {k: (v["name"], v["signed"]) for k, v in signatures.items()} == {
        str(ids[0]): ("王芳", True), str(ids[1]): ("王芳", False)}
    assert run.view.data["agreement_in_force"] is False


# -- seeing cases ----------------------------------------------------------------------------------


def test_the_mediator_who_handled_a_case_keeps_reading_it_after_it_goes_up(world: World) -> None:
    run = world.submit().with_mediator("m.yard")
    run.act("m.yard", run.task("mediate"), outcome="escalate", outcome_reason="涉及多户")
    assert run.case().tier == "grid"
    # The courtyard's mediator still reads the case (not its new tasks); the grid's take over.
    assert sees(world, "m.yard", run.case_id) is None
    assert run.case_id in visible(world, "m.yard")
    choose = run.tasks("choose_mediator")[0]
    assert choose.candidate_group == f"mediator:{GRID}"
    with refused("unit"):
        use_case(world, "open_task", "m.yard2", choose.id)
    # A colleague of the courtyard who never worked it is refused: the unit is the reason.
    refusal = sees(world, "m.yard2", run.case_id)
    assert refusal is not None and (refusal.reason, refusal.unit) == ("unit", "昌元街道社区1第1网格")
    assert sees(world, "m.grid1", run.case_id) is None


def test_refusals_say_whether_the_role_the_unit_or_the_case_is_the_reason(world: World) -> None:
    run = world.submit(ZHANG, LI, unit=BARE_YARD).registered()
    reported = world.submit(ZHAO, QIAN)
    with world.engine.transaction() as session:
        session.get(Case, reported.case_id).details = {"submitted_by": "gridworker"}  # type: ignore[union-attr]
    assert sees(world, "m.elsewhere", run.case_id).reason == "unit"  # type: ignore[union-attr]
    assert sees(world, "party2", run.case_id).reason == "party"  # type: ignore[union-attr]
    assert sees(world, "gridworker", run.case_id).reason == "reporter"  # type: ignore[union-attr]
    assert sees(world, "gridworker", reported.case_id) is None
    assert sees(world, "admin", run.case_id) is None
    with refused("role"):
        access.require_role(actor=world.actor("m.yard"), roles={"admin"})
    # A chair may look at a task to reassign it, but not claim or complete it: the role.
    task = run.task("choose_mediator", assignee=None)
    use_case(world, "open_task", "chair.village", task.id)
    with refused("role"):
        use_case(world, "claim_task", "chair.village", task.id)


# -- the roster -------------------------------------------------------------------------------------


def test_mediators_are_chosen_from_the_roster_and_an_unknown_person_is_refused(
    world: World
) -> None:
    with world.engine.db.reading() as session:
        entries = roster(session, unit_code=YARD)
        assert [(e.username, e.specialties, e.open_cases, e.unit_code) for e in entries] == [
            ("m.yard2", ("debt",), 0, YARD), ("m.yard", ("neighbour", "family"), 0, YARD)]
        # A courtyard with no mediator of its own offers the grid's.
        assert {e.username for e in roster(session, unit_code=BARE_YARD)} == {"m.grid1", "m.grid2"}
    run = world.submit().registered()
    zhang = run.task("choose_mediator", assignee="party")
    with world.engine.db.reading() as session:
        form = tasks.task_form(session, world.engine, task=zhang)
    assert [e.username for e in form.rosters["preferred_mediator"]] == ["m.yard2", "m.yard"]
    for stranger in ("nobody.here", "m.elsewhere", "m.grid1"):
        with pytest.raises(ChoiceRefused) as refusal:
            run.act("party", zhang, preferred_mediator=stranger)
        assert refusal.value.problems == {"preferred_mediator": ["not_on_roster"]}
    run.act("party", zhang, preferred_mediator="m.yard")
    run.act("m.yard2", run.task("choose_mediator"), preferred_mediator="m.yard")
    # Chosen jointly: the chosen mediator gets the case's task directly, nobody else can do it.
    accept = run.task("accept_dispatch")
    assert (accept.candidate_group, accept.assignee) == (f"mediator:{YARD}", "m.yard")
    with pytest.raises(TaskRefused, match="held"):
        run.act("m.yard2", accept, accepts=True)
    run.act("m.yard", accept, accepts=True)
    # Once accepted, the tier's next tasks are theirs without claiming, and their load shows.
    assert run.task("mediate").assignee == "m.yard"
    run.act("m.yard", run.task("mediate"), outcome="agreement")
    assert run.task("draft_agreement").assignee == "m.yard"
    with world.engine.db.reading() as session:
        loads = {e.username: e.open_cases for e in roster(session, unit_code=YARD)}
        assert loads == {"m.yard": 1, "m.yard2": 0}
        assert [e.username for e in roster(session, unit_code=YARD)] == ["m.yard2", "m.yard"]
    assert run.case().mediator_id is not None


def test_the_dispatcher_designates_from_the_roster_and_not_who_declined(world: World) -> None:
    run = world.submit().registered()
    # The parties name different mediators: the dispatcher designates.
    run.act("party", run.task("choose_mediator", assignee="party"), preferred_mediator="m.yard")
    run.act("m.yard", run.task("choose_mediator"), preferred_mediator="m.yard2")
    designate = run.task("designate_mediator")
    run.act("dispatcher", designate, mediator="m.yard2")
    run.act("m.yard2", run.task("accept_dispatch"), accepts=False, decline_reason="案件过多")
    again = run.task("designate_mediator")
    with pytest.raises(ChoiceRefused) as refusal:
        run.act("dispatcher", again, mediator="m.yard2")
    assert refusal.value.problems == {"mediator": ["declined"]}
    with world.engine.db.reading() as session:
        form = tasks.task_form(session, world.engine, task=again)
    assert [e.username for e in form.rosters["mediator"]] == ["m.yard"]


def test_work_for_a_role_nobody_holds_goes_up_to_the_nearest_unit_that_has_it(
    world: World
) -> None:
    run = world.submit(unit=BARE_YARD).registered()
    # No mediator in the courtyard: the grid's mediators record the choice and take the case.
    assert {t.candidate_group for t in run.tasks("choose_mediator")} == {f"mediator:{GRID}"}
    # Nobody chooses within 2 working days (Tue 3, Wed 4 March): the dispatcher designates.
    world.clock.set(datetime(2026, 3, 4, 16, 1, tzinfo=timezone.utc))
    assert world.engine.fire_due_timers() == 1
    run.refresh()
    for mediator in ("m.grid1", "m.grid2"):
        run.act("dispatcher", run.task("designate_mediator"), mediator=mediator)
        run.act(mediator, run.task("accept_dispatch"), accepts=False, decline_reason="回避")
    # Everyone at the grid declined: the next unit up with mediators offers its own, and the one
    # designated there gets the task, although its queue is the grid's.
    with world.engine.db.reading() as session:
        form = tasks.task_form(session, world.engine, task=run.task("designate_mediator"))
    assert [e.username for e in form.rosters["mediator"]] == ["m.town"]
    run.act("dispatcher", run.task("designate_mediator"), mediator="m.town")
    accept = run.task("accept_dispatch")
    assert (accept.candidate_group, accept.assignee) == (f"mediator:{GRID}", "m.town")
    run.act("m.town", accept, accepts=True)
    assert run.task("mediate").assignee == "m.town"
    assert sees(world, "m.town", run.case_id) is None


def test_the_chair_up_the_tree_assigns_within_a_deadline_and_reassigns(world: World) -> None:
    run = world.submit().registered()
    run.act("party", run.task("choose_mediator", assignee="party"), preferred_mediator="m.yard")
    run.act("m.yard", run.task("choose_mediator"), preferred_mediator="m.yard2")
    for mediator in ("m.yard", "m.yard2", "m.grid1"):
        run.act("dispatcher", run.task("designate_mediator"), mediator=mediator)
        run.act(mediator, run.task("accept_dispatch"), accepts=False, decline_reason="回避")
    # Neither the courtyard nor the grid has a chair: the village's takes the assignment, with a
    # deadline (3 working days from Mon 2 March: Thu 5 March, 24:00).
    assign = run.task("assign_by_chair")
    assert assign.candidate_group == f"committee_chair:{VILLAGE}"
    assert assign.due_at == datetime(2026, 3, 5, 16, 0, tzinfo=timezone.utc)
    assert {t.element_id for t in run.view.timers} >= {"chair_assignment_lapsed"}
    with pytest.raises(ChoiceRefused):
        run.act("chair.village", assign, mediator="m.elsewhere")
    run.act("chair.village", assign, mediator="m.yard")
    mediate = run.task("mediate")
    assert mediate.assignee == "m.yard"
    # The chair reassigns it within the courtyard; the queue stays for unassigned work.
    engine = world.engine
    with engine.transaction() as session:
        candidates = dict(access.reassign_candidates(session, task=mediate))
        assert set(candidates) == {"m.yard", "m.yard2"}
        moved = tasks.reassign_task(session, engine, actor=world.actor("chair.village"),
                                    task_id=mediate.id, assignee="m.yard2")
    assert moved.assignee == "m.yard2"
    with pytest.raises(ChoiceRefused, match="not_a_candidate"):
        use_case(world, "reassign_task", "chair.village", mediate.id, assignee="m.grid1")
    with refused("role"):
        use_case(world, "reassign_task", "m.yard", mediate.id, assignee="m.yard")
    use_case(world, "reassign_task", "chair.village", mediate.id, assignee=None)
    with world.engine.db.reading() as session:
        queue = access.task_actions(session, actor=world.actor("m.yard"),
                                    task=world.engine.task(session, mediate.id))
    assert "claim" in queue


def test_a_draft_not_made_in_time_goes_to_the_units_queue_and_its_drafter_keeps_the_case(
    world: World,
) -> None:
    run = world.submit().with_mediator("m.yard")
    run.act("m.yard", run.task("mediate"), outcome="agreement")
    first = run.task("draft_agreement")
    assert first.assignee == "m.yard"
    # Drafting: 3 working days from Mon 2 March, Thu 5 March; nobody drafted it.
    world.clock.set(datetime(2026, 3, 5, 16, 1, tzinfo=timezone.utc))
    assert world.engine.fire_due_timers() == 1
    again = run.refresh().task("draft_agreement")
    assert again.id != first.id
    assert (again.assignee, again.candidate_group) == (None, f"mediator:{YARD}")
    with world.engine.db.reading() as session:
        actions = access.task_actions(session, actor=world.actor("m.yard2"),
                                      task=world.engine.task(session, again.id))
    assert "claim" in actions
    use_case(world, "claim_task", "m.yard2", again.id)
    run.act("m.yard2", again.id, **AGREEMENT)
    # Whoever drafted it has the case from then on: its record and its next tasks are theirs.
    assert run.view.data["mediator"] == "m.yard2"
    run.each("sign_by_parties", "m.yard2", signing="signature")
    assert run.task("sign_by_mediator").assignee == "m.yard2"
    with world.engine.db.reading() as session:
        case = session.get(Case, run.case_id)
        assert case is not None and case.mediator_id == world.actor("m.yard2").id


# -- representatives and joint mediation ------------------------------------------------------------


def workers(count: int, representatives: int) -> list[dict[str, Any]]:
    """``count`` workers, the first ``representatives`` of them acting for the others in turns."""
    found = []
    for index in range(count):
        worker: dict[str, Any] = {"role": "applicant", "name": f"工人{index + 1}",
                                  "phone": f"1390000{index:04d}"}
        if index >= representatives:
            worker["represented_by"] = index % representatives
        found.append(worker)
    return found


COMPANY = {"role": "respondent", "name": "重庆宏达陶瓷有限公司"}


def test_representatives_answer_for_those_they_represent(world: World) -> None:
    run = world.submit(*workers(7, 2), COMPANY)
    acting = run.view.data["parties"]
    assert [p["name"] for p in acting] == ["工人1", "工人2", COMPANY["name"]]
    assert [r["name"] for r in acting[0]["represents"]] == ["工人3", "工人5", "工人7"]
    assert [r["name"] for r in acting[1]["represents"]] == ["工人4", "工人6"]
    run.with_mediator("m.yard")
    assert len(run.view.ready_tasks) == 1  # three choices made, one per acting party
    run.act("m.yard", run.task("mediate"), outcome="agreement")
    run.act("m.yard", run.task("draft_agreement"), **AGREEMENT)
    assert len(run.tasks("sign_by_parties")) == 3  # not eight
    run.each("sign_by_parties", "m.yard", signing="signature")
    signatures = list(run.view.data["signatures"].values())
    assert [(s["name"], s["for"]) for s in signatures] == [
        ("工人1", ["工人3", "工人5", "工人7"]), ("工人2", ["工人4", "工人6"]),
        (COMPANY["name"], [])]
    run.act("m.yard", run.task("sign_by_mediator"), mediator_signed=True, committee_seal=True)
    assert run.view.data["agreement_in_force"] is True


def test_a_party_records_a_withdrawal_for_themselves_and_those_they_represent(
    world: World,
) -> None:
    # 张三 (the login "party") represents 赵五 (the login "party2") and 工人4; 工人2 acts alone.
    applicants = [ZHANG, workers(2, 2)[1], {**ZHAO, "represented_by": 0},
                  {**workers(4, 2)[3], "represented_by": 1}]
    run = world.submit(*applicants, COMPANY)
    case = run.case()

    def withdrawing(username: str) -> list[str]:
        actor = world.actor(username)
        if not access.may_record_withdrawal(actor=actor):
            return []
        return [p.name for p in access.withdrawing_parties(actor=actor, case=case)]

    assert withdrawing("party") == ["张三", "赵五"]
    assert withdrawing("party2") == ["赵五"]  # for themselves, never for their representative
    assert withdrawing("clerk") == ["张三", "工人2", "赵五", "工人4", COMPANY["name"]]
    assert withdrawing("m.yard") == [] and withdrawing("gridworker") == []
    # A party who is nobody's on this case records nothing, whatever their name.
    other = world.submit(ZHAO, QIAN).case()
    assert access.withdrawing_parties(actor=world.actor("party"), case=other) == []


@pytest.mark.parametrize(("parties", "field", "words"), [
    (workers(6, 1), "parties", "代表人应为2至5人"),
    (workers(12, 6), "parties", "代表人应为2至5人"),
    ([ZHANG, {**LI, "represented_by": 0}], "parties.1.represented_by", "同一方"),
    ([ZHANG, {**ZHAO, "represented_by": 2}, {**LI, "represented_by": 1}],
     "parties.2.represented_by", "同一方"),
    ([ZHANG, {**ZHAO, "represented_by": 0}, {**QIAN, "represented_by": 9}],
     "parties.2.represented_by", "另一名当事人"),
])
def test_representation_against_the_rules_is_refused_per_field(
    world: World, parties: list[dict[str, Any]], field: str, words: str
) -> None:
    with pytest.raises(ApplicationInvalid) as refusal:
        world.submit(*parties, COMPANY)
    assert words in " ".join(refusal.value.field_errors[field])


def test_units_mediating_jointly_each_see_the_case(world: World) -> None:
    run = world.submit().with_mediator("m.yard")
    assert sees(world, "m.petition", run.case_id) is not None
    engine = world.engine
    with engine.transaction() as session:
        case = session.get(Case, run.case_id)
        assert case is not None
        invite_unit(session, actor=world.actor("m.yard"), case=case, unit_code=PETITION_OFFICE,
                    now=world.clock())
    assert sees(world, "m.petition", run.case_id) is None
    assert run.case_id in visible(world, "m.petition")
    assert sees(world, "m.elsewhere", run.case_id) is not None
    cases = [
        ("m.yard", PETITION_OFFICE, JointMediationRefused, "already_invited"),
        ("m.yard", "NO-SUCH", JointMediationRefused, "unknown_unit"),
        ("m.yard", BARE_YARD, JointMediationRefused, "not_a_mediation_unit"),
        ("party", "RC-HR-MED", AccessDenied, "role"),
        ("m.elsewhere", "RC-HR-MED", AccessDenied, "unit"),
    ]
    for username, unit, error, code in cases:
        with pytest.raises(error, match=code):
            with engine.transaction() as session:
                case = session.get(Case, run.case_id)
                invite_unit(session, actor=world.actor(username), case=case, unit_code=unit,
                            now=world.clock())
    assert len(run.case().joint_units) == 1
