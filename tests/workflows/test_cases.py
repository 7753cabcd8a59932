"""Cases: intake with validation and numbering, and the case record following its process."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import Engine, FixedClock, read_paths
from engine.database import Database
from engine.models import ProcessInstance
from workflows.cases import ApplicationInvalid, submit_dispute, sync_case
from workflows.configuration import OfficeSettings, engine_config
from workflows.deadlines import HolidayCalendar
from workflows.district import TreeSize, build_district
from workflows.models import Case, OrgUnit

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Shanghai
COURTYARD = "T01-V1-G1-Y1"

APPLICATION: dict[str, Any] = {
    "parties": [
        {"role": "applicant", "name": "张三", "phone": "13800000001", "id_number": "11010519491231002X"},
        {"role": "respondent", "name": "李四", "phone": "023-46789012"},
    ],
    "dispute_type": "neighbour",
    "amount": "2000.00",
    "description": "邻里之间因排水沟堵塞引发的赔偿纠纷",
    "channel": "grid_worker",
    "reported_unit": COURTYARD,
    "applied_jointly": True,
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(db: Database, clock: FixedClock) -> Engine:
    engine = Engine(db, engine_config(
        clock=clock,
        calendar=HolidayCalendar.default(),
        after_step=lambda session, view: sync_case(session, view, now=clock()),
    ))
    with engine.transaction() as session:
        build_district(session, TreeSize(villages=1, grids=1, courtyards=1))
        engine.deploy(session, read_paths([BPMN]), actor="admin")
    return engine


def submit(engine: Engine, clock: FixedClock, **changes: Any):
    with engine.transaction() as session:
        return submit_dispute(session, engine, {**APPLICATION, **changes}, actor="网格员小王",
                              settings=OfficeSettings(), now=clock())


def case_row(engine: Engine, case_no: str) -> tuple[str, str | None, str | None]:
    with engine.db.reading() as session:
        case = session.scalar(select(Case).where(Case.case_no == case_no))
        unit = session.get(OrgUnit, case.org_unit_id).code if case.org_unit_id else None
        return case.state, case.tier, unit


def complete(engine: Engine, task_id: int, actor: str, **form: Any):
    with engine.transaction() as session:
        return engine.complete_task(session, task_id, data=form, actor=actor)


def choose(engine: Engine, view, mediator: str):
    """Every party names ``mediator``: chosen jointly."""
    for task in [t for t in view.ready_tasks if t.element_id == "choose_mediator"]:
        view = complete(engine, task.id, task.assignee or "调解员", preferred_mediator=mediator)
    return view


def test_a_submitted_dispute_gets_a_number_and_waits_for_the_intake_clerk(engine, clock):
    submitted = submit(engine, clock)
    assert submitted.case_no == "(2026)渝荣调字第00001号"
    task = submitted.instance.task("register_dispute")
    assert (task.lane, task.candidate_group) == ("受理员", "intake_clerk:RC-OFFICE")
    assert submitted.instance.data["tier_units"] == {
        "courtyard": COURTYARD, "grid": "T01-V1-G1", "village": "T01-V1", "town": "T01",
        "district": "RC-OFFICE",
    }
    with engine.db.reading() as session:
        case = session.get(Case, submitted.case_id)
        assert (case.state, case.instance_id, case.channel) == ("reported", submitted.instance.id, "grid_worker")
        assert [(p.role, p.name) for p in case.parties] == [("applicant", "张三"), ("respondent", "李四")]
        assert str(case.amount) == "2000.00"


@pytest.mark.parametrize(
    ("changes", "field", "phrase"),
    [
        ({"parties": APPLICATION["parties"][:1]}, "parties", "Shorter than minimum length 2"),
        ({"parties": [APPLICATION["parties"][0], {**APPLICATION["parties"][0], "name": "王五"}]},
         "parties", "被申请人"),
        ({"parties": [{**APPLICATION["parties"][0], "phone": "12345"}, APPLICATION["parties"][1]]},
         "parties.0.phone", "不是有效的电话号码"),
        ({"dispute_type": "alien"}, "dispute_type", "Must be one of"),
        ({"amount": "-5"}, "amount", "greater than or equal to 0"),
        ({"description": ""}, "description", "Length must be between 5 and 5000"),
        ({"reported_unit": "NOWHERE"}, "reported_unit", "没有这个地点"),
    ],
)
def test_an_invalid_dispute_is_refused_per_field_and_nothing_is_kept(engine, clock, changes, field, phrase):
    with pytest.raises(ApplicationInvalid) as err:
        submit(engine, clock, **changes)
    assert phrase in " ".join(err.value.field_errors[field])
    with engine.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert submit(engine, clock).case_no == "(2026)渝荣调字第00001号"  # no number was used up


def test_the_case_follows_its_process_down_to_the_courtyard_and_up_when_the_worker_escalates(
    engine, clock
):
    submitted = submit(engine, clock)
    view = complete(engine, submitted.instance.task("register_dispute").id, "受理员小周",
                    registration_decision="register", dispute_type="neighbour", amount=2000,
                    applied_jointly=True, ownership_confirmation=False)
    assert case_row(engine, submitted.case_no) == ("dispatched", "courtyard", COURTYARD)
    view = choose(engine, view, "小院调解员")
    view = complete(engine, view.task("accept_dispatch").id, "小院调解员", accepts=True)
    assert view.task("mediate").candidate_group == f"mediator:{COURTYARD}"
    assert case_row(engine, submitted.case_no) == ("in_mediation", "courtyard", COURTYARD)
    # 5 CD from Mon 2 March end Sat 7 March, moved to Mon 9 March: expired at 24:00.
    clock.set(datetime(2026, 3, 9, 16, 1, tzinfo=timezone.utc))
    assert engine.fire_due_timers() == 1
    assert case_row(engine, submitted.case_no) == ("dispatched", "grid", "T01-V1-G1")
    with engine.db.reading() as session:
        case = session.scalar(select(Case).where(Case.case_no == submitted.case_no))
        assert [h["tier"] for h in case.details["tier_history"]] == ["courtyard"]
