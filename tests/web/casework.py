"""Test data for the casework pages: the bundled processes deployed on a small district, people
in the units where the processes put their tasks, a fixed clock, and cases driven to each stage
the way the people in the lanes would drive them."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.clock import FixedClock
from engine.database import Database
from engine.definitions import read_paths
from engine.runtime import Engine
from engine.views import InstanceView, TaskView
from tests.web.world import PASSWORD, make_app
from web.composition import BPMN_DIR, build_engine
from workflows.cases import submit_dispute
from workflows.configuration import OfficeSettings
from workflows.deadlines import HolidayCalendar
from workflows.district import COURT, DISTRICT, OFFICE, TreeSize, build_district
from workflows.materials import MaterialRules, add_material
from workflows.models import Case, Notice
from workflows.people import create_person
from workflows.storage import FileStore

MATERIALS = Path(__file__).with_name("data") / "materials"
# A drawn signature as the signature pad sends it.
SIGNATURE = "data:image/png;base64," + base64.b64encode(
    (MATERIALS / "sketch.png").read_bytes()).decode()
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Shanghai
GRID = "T01-V1-G1"
COURTYARD = "T01-V1-G1-Y1"
OTHER_GRID = "T02-V1-G1"

# username -> (display name, [(role, unit)]); a party's login is linked to the parties of the
# same name and telephone number (PHONES).
PEOPLE: Mapping[str, tuple[str, list[tuple[str, str]]]] = {
    "admin": ("管理员老周", [("admin", DISTRICT)]),
    "clerk": ("受理员小周", [("intake_clerk", OFFICE)]),
    "dispatcher": ("调度员小吴", [("dispatcher", OFFICE)]),
    "mediator": ("调解员王芳", [("mediator", GRID)]),
    "colleague": ("调解员李强", [("mediator", GRID)]),
    "chair": ("调委会主任陈明", [("committee_chair", GRID)]),
    "outsider": ("调解员赵六", [("mediator", OTHER_GRID)]),
    "party": ("张三", [("party", GRID)]),
    "party2": ("赵五", [("party", GRID)]),
    "gridworker": ("网格员小刘", [("grid_worker", GRID)]),
    "filing": ("立案庭小李", [("filing_clerk", COURT)]),
    "judge": ("王法官", [("judge", COURT)]),
    "assistant": ("法官助理小赵", [("judge_assistant", COURT)]),
    "president": ("院长", [("court_president", COURT)]),
}

PHONES = {"party": "13800000001", "party2": "13700000003"}
# What the grid's mediators are known for (the roster shows it).
SPECIALTIES = {"mediator": ["neighbour", "family"], "colleague": ["debt"]}

# A dispute of the second party login's (赵五), with nobody of the first one's.
PARTY2_PARTIES = [
    {"role": "applicant", "name": "赵五", "phone": "13700000003"},
    {"role": "respondent", "name": "钱七", "phone": "13900000009"},
]

APPLICATION: dict[str, Any] = {
    "parties": [
        {"role": "applicant", "name": "张三", "phone": "13800000001",
         "id_number": "11010519491231002X"},
        {"role": "respondent", "name": "李四", "phone": "13900000002"},
    ],
    "dispute_type": "neighbour",
    "amount": "2000.00",
    "description": "邻里之间因排水沟堵塞引发的赔偿纠纷",
    "channel": "online",
    "reported_unit": GRID,
    "applied_jointly": True,
}

AGREEMENT: dict[str, Any] = {
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


@dataclass
class Casework:
    """The engine, its clock and who is who."""

    engine: Engine
    clock: FixedClock
    people: Mapping[str, tuple[str, list[tuple[str, str]]]] = field(default_factory=dict)

    def app(self, instance: Path) -> Flask:
        """The application on this engine."""
        return make_app(self.engine, instance)

    def submit(self, actor: str = "public", **changes: Any) -> Driven:
        """A dispute submitted as the public form would submit it."""
        with self.engine.transaction() as session:
            submitted = submit_dispute(session, self.engine, {**APPLICATION, **changes},
                                       actor=actor, settings=OfficeSettings(), now=self.clock())
        return Driven(self, submitted.case_id, submitted.case_no, submitted.instance)


@dataclass
class Driven:
    """A case whose tasks the test completes."""

    world: Casework
    case_id: int
    case_no: str
    view: InstanceView

    def ready(self) -> list[str]:
        """Element ids of the ready tasks, sorted."""
        return sorted(t.element_id for t in self.view.ready_tasks)

    def task(self, element_id: str) -> TaskView:
        """The (first) ready task of ``element_id``."""
        return self.view.task(element_id)

    def do(self, element_id: str, actor: str, **form: Any) -> Driven:
        """Complete the first ready ``element_id`` with ``form``."""
        engine = self.world.engine
        with engine.transaction() as session:
            self.view = engine.complete_task(session, self.task(element_id).id, data=form,
                                             actor=actor)
        assert self.view.status != "error", self.view.error_message
        return self

    def each(self, element_id: str, actor: str, **form: Any) -> Driven:
        """Complete every ready ``element_id`` (one per party) with ``form``: a party with a login
        answers their own, ``actor`` records the others'."""
        engine = self.world.engine
        while element_id in self.ready():
            task = self.task(element_id)
            with engine.transaction() as session:
                self.view = engine.complete_task(session, task.id, data=form,
                                                 actor=task.assignee or actor)
            assert self.view.status != "error", self.view.error_message
        return self

    def refresh(self) -> Driven:
        """Read the instance again (after the web changed it)."""
        with self.world.engine.db.reading() as session:
            self.view = self.world.engine.instance(session, self.view.id)
        return self

    def case(self) -> Case:
        """The case row as it is now (detached)."""
        with self.world.engine.db.reading() as session:
            case = session.scalar(select(Case).where(Case.id == self.case_id))
            assert case is not None
            session.expunge(case)
            return case

    # -- the stages --------------------------------------------------------------------------

    def registered(self) -> Driven:
        """The clerk registered it: the parties choose a mediator next."""
        return self.do("register_dispute", "clerk", registration_decision="register",
                       dispute_type="neighbour", amount=2000, applied_jointly=True,
                       ownership_confirmation=False)

    def in_mediation(self) -> Driven:
        """A mediator was chosen and accepted: mediation runs."""
        self.registered()
        self.each("choose_mediator", "mediator", preferred_mediator="mediator")
        return self.do("accept_dispatch", "mediator", accepts=True)

    def agreed(self, **terms: Any) -> Driven:
        """Agreement signed by both parties and the mediator: judicial confirmation is open."""
        self.in_mediation()
        self.do("mediate", "mediator", outcome="agreement")
        self.do("draft_agreement", "mediator", **{**AGREEMENT, **terms})
        self.each("sign_by_parties", "mediator", signing="signature")
        return self.do("sign_by_mediator", "mediator", mediator_signed=True, committee_seal=True)

    def at_court(self) -> Driven:
        """Both parties applied: the court decides whether to accept."""
        self.agreed()
        return self.each("apply_jointly", "party", applies=True)


def build(database: Database, people: Mapping[str, tuple[str, list[tuple[str, str]]]] = PEOPLE,
          *, start: datetime = T0, packaged_calendar: HolidayCalendar | None = None
          ) -> Casework:
    """The district, the bundled processes and ``people`` on ``database``, at a fixed time
    (``start``), counting with ``packaged_calendar`` (default: the installed package's)."""
    clock = FixedClock(start)
    engine = build_engine(database, clock=clock, packaged_calendar=packaged_calendar)
    with engine.transaction() as session:
        build_district(session, TreeSize(1, 1, 1))
        engine.deploy(session, read_paths([BPMN_DIR]), actor="test")
        for username, (display_name, roles) in people.items():
            person = create_person(session, username=username, display_name=display_name,
                                   password=PASSWORD, roles=roles,
                                   phone=PHONES.get(username, "13812345678"), now=clock())
            person.specialties = SPECIALTIES.get(username)
    return Casework(engine, clock, people)


def matrix_case(database: Database, *, reporter: str, files: Path) -> dict[str, int]:
    """For the role x route matrix (whose people are named after their roles, most in the grid
    T01-V1-G1): the bundled processes deployed and one case of that grid in mediation, reported
    by ``reporter`` with a photo (stored in ``files``); its ids by name (the photo's and a
    message to a party in the outbox included)."""
    world = Casework(build_engine(database, clock=FixedClock(T0)), FixedClock(T0))
    with world.engine.transaction() as session:
        world.engine.deploy(session, read_paths([BPMN_DIR]), actor="test")
    case = world.submit(actor=reporter).in_mediation()
    with world.engine.transaction() as session:
        row = session.get(Case, case.case_id)
        assert row is not None
        photo = add_material(session, FileStore(files), row, filename="scene.jpg",
                             content=(MATERIALS / "scene.jpg").read_bytes(), actor=reporter,
                             now=world.clock(), rules=MaterialRules())
        notice = session.scalar(select(Notice.id).where(Notice.case_id == row.id))
        assert notice is not None
        ids = {"material_id": photo.id, "notice_id": notice}
    return {"case_id": case.case_id, "mediate_task": case.task("mediate").id, **ids}
