"""The demo: the seed district, one login per role, and cases in every state, played through the
real processes on a controlled clock up to "now" (here a fixed Monday, so the test is repeatable).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import SHANGHAI, FixedClock, aware
from engine.database import Database
from engine.models import AuditEvent, HumanTask, PendingTimer, ProcessInstance
from web.composition import build_engine
from workflows.cases import STATES, case_state
from workflows.configuration import OfficeSettings
from workflows.deadlines import HolidayCalendar
from workflows.demo import (
    DEMO_USERS,
    EXPECTED_STATES,
    DemoError,
    load_demo,
    minimum_cases,
)
from workflows.district import LABOUR_INSPECTION, PETITION_OFFICE
from workflows.models import Case, OrgUnit, Party, Person, RoleAssignment
from workflows.organisation import ROLES, TIERS
from workflows.people import authenticate, memberships
from workflows.periods import provisional_dependents

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)  # a Monday morning
EVERY_SCENARIO = 59  # the whole catalogue: every scenario at least once
REOPENED = 1  # cases a step opened: the new mediation after a rejected confirmation


def test_the_demo_plays_every_scenario_into_its_state_with_records_in_step(db: Database) -> None:
    clock = FixedClock(NOW)
    engine = build_engine(db, clock=clock)
    summary = load_demo(engine, clock=clock, settings=OfficeSettings(), cases=EVERY_SCENARIO)

    # Every scenario was played as planned and the clock is left at "now".
    assert summary.notes == ()
    assert clock() == NOW
    assert summary.cases == EVERY_SCENARIO + REOPENED
    assert set(summary.scenarios.values()) == set(EXPECTED_STATES)
    # Every state a process can be in (all but a failed process) holds at least one case.
    assert set(summary.cases_by_state) == set(STATES) - {"error"}
    assert set(EXPECTED_STATES.values()) == set(STATES) - {"error"}

    with db.reading() as session:
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        assert Counter(c.state for c in cases) == Counter(summary.cases_by_state)
        reopened = {c.details["remediation_of"]: c
                    for c in cases if c.details.get("remediation_of")}
        for case in cases:
            # Each record is in step with its process, and the scenario landed where it meant to.
            view = engine.instance(session, case.instance_id)
            assert case.state == case_state(view), case.case_no
            if case.details.get("remediation_of"):
                assert case.state == "reported" and case.channel == "re_mediation"
                continue
            assert case.state == EXPECTED_STATES[summary.scenarios[case.case_no]], case.case_no
            assert view.status != "error"
            assert len(case.parties) >= 2 and case.description
        # Cases were received over past weeks, in the order of their numbers, before "now".
        received = [aware(c.received_at) for c in cases]
        assert received == sorted(received)
        assert (NOW - received[0]).days > 60 and received[-1] < NOW
        assert cases[0].case_no == "(2026)渝荣调字第00001号"
        # Judicial confirmation both confirmed and rejected; a divorce kept from the court.
        jc = Counter(c.details.get("jc_outcome") for c in cases)
        assert jc["confirmed"] >= 2 and jc["rejected"] >= 1 and jc["lapsed"] >= 1
        assert any(c.personal_status and c.state == "performing" for c in cases)
        # The re-mediation after a rejection is a new case linked both ways.
        (old_no, new_case), = reopened.items()
        assert summary.scenarios[old_no] == "closed_jc_rejected"
        assert next(c for c in cases if c.case_no == old_no).details["remediated_as"] == \
            new_case.case_no
        # The wage claim goes to labour arbitration, never straight to court.
        wage = next(c for c in cases
                    if summary.scenarios.get(c.case_no) == "wage_claim_to_arbitration")
        assert engine.instance(session, wage.instance_id).ready_tasks[0].element_id == \
            "guide_to_arbitration"
        assert not any(c.dispute_type == "labour" and c.outcome == "guided_to_litigation"
                       for c in cases)
        # Escalated cases sit at higher tiers, escalated by the worker and by mediators.
        escalated = [c for c in cases if any(h["result"] == "escalate"
                                             for h in c.details.get("tier_history", []))]
        live_escalated = [c for c in escalated if c.state in ("dispatched", "in_mediation")]
        assert {c.tier for c in live_escalated} >= {"grid", "village"}
        reasons = {h["reason"] for c in escalated for h in c.details["tier_history"]}
        assert "本级调解期限届满，未经各方同意延期" in reasons and len(reasons) >= 3
        scenario = {c.case_no: summary.scenarios.get(c.case_no) for c in cases}
        through = next(c for c in cases if scenario[c.case_no] == "closed_through_every_tier")
        assert [h["tier"] for h in through.details["tier_history"]] == list(TIERS)
        assert through.outcome == "guided_to_litigation" and through.closed_at is not None

        # Running processes: every timer lies ahead (the worker would fire a past one at once);
        # some tasks are overdue, as in a working office.
        timers = session.scalars(
            select(PendingTimer.due_at)
            .join(ProcessInstance, ProcessInstance.id == PendingTimer.instance_id)
            .where(ProcessInstance.status == "running")
        ).all()
        assert timers and all(aware(due) > NOW for due in timers)
        due = [aware(d) for d in session.scalars(
            select(HumanTask.due_at)
            .where(HumanTask.state == "ready", HumanTask.due_at.is_not(None))
        )]
        assert any(d < NOW for d in due) and sum(d > NOW for d in due) > len(due) / 2
        assert max(aware(at) for at in session.scalars(select(AuditEvent.at))) <= NOW

        # The tree of the seed district at full size.
        kinds = Counter(session.scalars(select(OrgUnit.kind)))
        sizes = (kinds["town"], kinds["village"], kinds["grid"], kinds["courtyard"])
        assert sizes == (21, 42, 84, 252)
        assert kinds["room"] >= 10 and kinds["court"] == 1
        assert summary.units == sum(kinds.values())

        # Every role has a demo login that works with its printed password, in its unit.
        assert {u.role for u in DEMO_USERS} == set(ROLES)
        assert len(DEMO_USERS) <= 20
        for user in DEMO_USERS:
            person = authenticate(session, user.username, user.password)
            assert person is not None, user.username
            assert person.display_name == user.display_name
            assert [(m.role, m.unit_code) for m in memberships(session, person.id)] == [
                (user.role, user.unit)
            ]
        assert authenticate(session, "admin", "demo-admin-2025") is None
        # The demo users' queues are not empty: each mediator, the court and the clerk have work,
        # and each party has a task of their own (parties have no queue).
        groups = Counter(session.scalars(
            select(HumanTask.candidate_group).where(HumanTask.state == "ready")
        ))
        held = Counter(session.scalars(
            select(HumanTask.assignee).where(HumanTask.state == "ready")))
        for user in DEMO_USERS:
            if user.role == "party":
                assert held[user.username] >= 1, user.username
            elif user.role not in ("admin", "grid_worker") and user.unit != PETITION_OFFICE:
                assert groups[f"{user.role}:{user.unit}"] >= 1, user.username
        # Every unit where cases are mediated has mediators on its roster, every village, town
        # and the office a committee chair.
        held_roles = set(session.execute(
            select(RoleAssignment.role, OrgUnit.kind)
            .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)).all())
        for kind in ("courtyard", "grid", "village", "town", "office", "room", "administrative"):
            assert ("mediator", kind) in held_roles, kind
        for kind in ("village", "town", "office"):
            assert ("committee_chair", kind) in held_roles, kind
        staffed = set(session.scalars(
            select(OrgUnit.code).join(RoleAssignment, RoleAssignment.org_unit_id == OrgUnit.id)
            .where(RoleAssignment.role == "mediator")))
        mediating = set(session.scalars(select(OrgUnit.code).where(
            OrgUnit.kind.in_(("courtyard", "grid", "village", "town", "office", "room")))))
        assert mediating <= staffed
        # The two party logins are never parties to the same case; the collective wage case acts
        # through three representatives and is mediated jointly with two more units.
        party_cases = {
            user.username: set(session.scalars(
                select(Party.case_id).join(Person, Person.id == Party.person_id)
                .where(Person.username == user.username)))
            for user in DEMO_USERS if user.role == "party"
        }
        assert party_cases["party"] and party_cases["party2"]
        assert not party_cases["party"] & party_cases["party2"]
        collective = next(c for c in cases if scenario[c.case_no] == "collective_wages_jointly")
        assert len(collective.parties) == 31
        assert len({p.represented_by_id for p in collective.parties} - {None}) == 3
        assert {j.org_unit.code for j in collective.joint_units} == {PETITION_OFFICE,
                                                                     LABOUR_INSPECTION}
        assert collective.mediator_id is not None
        people = len(session.scalars(select(Person.id)).all())

    # A second load is refused, clearly, and changes nothing.
    with pytest.raises(DemoError, match="already has demo data.*user 'admin'"):
        load_demo(engine, clock=clock, settings=OfficeSettings())
    with db.reading() as session:
        assert len(session.scalars(select(Case.id)).all()) == EVERY_SCENARIO + REOPENED
        assert len(session.scalars(select(Person.id)).all()) == people


def test_the_demo_refuses_too_few_cases_and_a_database_that_is_not_empty(db: Database) -> None:
    clock = FixedClock(NOW)
    engine = build_engine(db, clock=clock)
    with pytest.raises(DemoError, match=f"at least {minimum_cases()} cases"):
        load_demo(engine, clock=clock, settings=OfficeSettings(), cases=minimum_cases() - 1)
    with engine.transaction() as session:
        session.add(OrgUnit(code="X", name="某单位", kind="district", tier="district", active=True))
    with pytest.raises(DemoError, match="not empty"):
        load_demo(engine, clock=clock, settings=OfficeSettings())


def test_the_demo_command_prints_the_logins_once_and_refuses_a_second_load(tmp_path: Path) -> None:
    def tiaojie(*args: str) -> subprocess.CompletedProcess[str]:
        script = Path(sys.executable).with_name("tiaojie")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
        env.update(
            TIAOJIE_INSTANCE=str(tmp_path / "instance"),
            DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        )
        done = subprocess.run([*command, *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
        return done

    now = NOW.astimezone(timezone.utc).isoformat()
    first = tiaojie("demo", "--cases", str(minimum_cases()), "--now", now)
    assert first.returncode == 0, first.stderr
    for user in DEMO_USERS:
        lines = first.stdout.splitlines()
        line = next(line for line in lines if line.split()[:1] == [user.username])
        assert line.split() == [user.username, user.password, user.role, user.unit]
        assert first.stdout.count(user.password) == 1
    assert f"{minimum_cases() + REOPENED} cases" in first.stdout
    for state in set(STATES) - {"error"}:
        assert any(line.split()[:1] == [state] for line in first.stdout.splitlines()), state

    second = tiaojie("demo")
    assert second.returncode == 1
    assert "already has demo data" in second.stderr
    assert "demo-admin-2026" not in second.stdout + second.stderr


@pytest.mark.parametrize(
    ("now", "provisional"),
    [
        # December, before the next year's schedule is published (the demo's running periods
        # end before the new year; they would reach into 2027 a few days later).
        (datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI), set()),
        (datetime(2027, 6, 15, 10, 0, tzinfo=SHANGHAI), {2027}),
        # A holiday, years past any packaged schedule.
        (datetime(2030, 1, 1, 10, 0, tzinfo=SHANGHAI), {2029, 2030}),
    ],
)
def test_the_demo_loads_on_any_date(db: Database, now: datetime, provisional: set[int]) -> None:
    packaged = HolidayCalendar.default().up_to(2026)  # whatever the installed package carries
    clock = FixedClock(now)
    engine = build_engine(db, clock=clock, packaged_calendar=packaged)
    summary = load_demo(engine, clock=clock, settings=OfficeSettings(), cases=minimum_cases(),
                        packaged_calendar=packaged)
    assert summary.notes == ()
    assert set(summary.cases_by_state) == set(STATES) - {"error"}
    with db.reading() as session:
        assert session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.status == "error")).all() == []
        # The running cases' deadlines that rest on unpublished years are known as provisional.
        assert set(provisional_dependents(session)) <= provisional
        assert bool(provisional_dependents(session)) == bool(provisional)
        timers = session.scalars(select(PendingTimer.due_at).join(
            ProcessInstance, ProcessInstance.id == PendingTimer.instance_id)
            .where(ProcessInstance.status == "running")).all()
        assert timers and all(aware(due) > now for due in timers)


@pytest.mark.skipif(not shutil.which("faketime"), reason="faketime is not installed")
def test_the_demo_command_loads_in_december_before_the_next_schedule(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(TIAOJIE_INSTANCE=str(tmp_path / "instance"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    script = Path(sys.executable).with_name("tiaojie")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]
    done = subprocess.run(["faketime", "2026-12-10 10:00", *command, "demo", "--cases",
                           str(minimum_cases())], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cases received since 2026-" in done.stdout
    assert "Traceback" not in done.stderr
