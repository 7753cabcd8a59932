"""Provisional deadlines in running cases: recorded, listed, recomputed when the year's official
schedule is imported (data, task due dates and timers moving together, audited), and retries that
keep the dates a failed step recorded.

The calendars here stop at 2026 whatever the installed chinesecalendar carries, so 2027 is
provisional: statutory holidays only, the Spring Festival 2027-02-05 (eve) .. 02-08.
The illustrative "official" 2027 schedule below rests 02-05 .. 02-13 instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.database import Database
from engine.models import ProcessInstance
from tests.web.casework import Casework, Driven, build
from web.composition import calendar_source
from workflows.deadlines import SHANGHAI, HolidayCalendar
from workflows.holidays import import_schedule
from workflows.models import LegalDeadline
from workflows.periods import provisional_dependents, provisional_dues, recompute_deadlines

PACKAGED = HolidayCalendar.default().up_to(2026)
OFFICIAL_2027 = "date,kind\n" + "".join(
    f"2027-02-{day:02d},holiday\n" for day in range(5, 14)
) + "2027-02-20,workday\n" + "".join(f"2027-10-{day:02d},holiday\n" for day in range(1, 8))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def world(db: Database) -> Casework:
    return build(db, start=at("2027-01-04 09:00"), packaged_calendar=PACKAGED)


def import_2027(world: Casework):
    with world.engine.transaction() as session:
        import_schedule(session, OFFICIAL_2027, actor="admin", now=world.clock())
    source = calendar_source(world.engine)
    source.invalidate()
    with world.engine.db.reading() as session:
        calendar = source.load(session)
    return recompute_deadlines(world.engine, calendar=calendar, years=[2027], actor="admin")


def running(world: Casework, instance_id: int) -> list[tuple[str | None, datetime, list[int]]]:
    with world.engine.db.reading() as session:
        rows = session.scalars(select(LegalDeadline).where(
            LegalDeadline.instance_id == instance_id, LegalDeadline.running))
        return [(r.key, r.due_at.astimezone(SHANGHAI), r.provisional_years) for r in rows]


def test_a_period_across_the_provisional_spring_festival_moves_when_the_schedule_arrives(
    world: Casework,
):
    # Case B: accepted Mon 2027-01-04 at the grid tier (7 CD): 01-11 (Mon), provisional but
    # not touched by the Spring Festival.
    steady = world.submit().in_mediation()
    assert steady.view.data["mediation_due"] == "2027-01-12T00:00:00+08:00"
    # Case A: accepted Fri 2027-01-29: 7 CD → 02-05, the eve; 06-08 off → Tue 02-09.
    world.clock.set(at("2027-01-29 09:30"))
    moving = world.submit().in_mediation()
    assert moving.view.data["mediation_due"] == "2027-02-10T00:00:00+08:00"
    assert moving.task("mediate").due_at == at("2027-02-10 00:00")
    assert running(world, moving.view.id) == [("mediation_due", at("2027-02-10 00:00"), [2027])]
    with world.engine.db.reading() as session:
        dependents = provisional_dependents(session)
        dues = provisional_dues(session, [moving.view.id])
    assert [d.case_no for d in dependents[2027]] == [steady.case_no, moving.case_no]
    assert dues[moving.view.id] == {at("2027-02-10 00:00"): (2027,)}

    result = import_2027(world)

    # Officially 02-05..02-13 are off: the last day moves to Mon 02-15; case B's stays.
    assert [(m.case_no, m.key, m.old, m.new) for m in result.moved] == [
        (moving.case_no, "mediation_due", at("2027-02-10 00:00"), at("2027-02-16 00:00"))]
    assert (result.confirmed, result.failed) == (1, [])
    moving.refresh()
    assert moving.view.data["mediation_due"] == "2027-02-16T00:00:00+08:00"
    assert moving.case().details["mediation_due"] == "2027-02-16T00:00:00+08:00"
    assert moving.task("mediate").due_at == at("2027-02-16 00:00")
    assert [(t.element_id, t.due_at) for t in moving.view.timers] == [
        ("mediation_expired", at("2027-02-16 00:00"))]
    with world.engine.db.reading() as session:
        next_at = session.scalar(select(ProcessInstance.next_timer_at).where(
            ProcessInstance.id == moving.view.id))
        moved_events = [e for e in world.engine.audit_trail(session, moving.view.id)
                        if e.action == "date_moved"]
        steady_events = [e.action for e in world.engine.audit_trail(session, steady.view.id)]
        assert provisional_dependents(session) == {}
    assert next_at == at("2027-02-16 00:00")
    assert [(e.actor, e.element_id, e.changes) for e in moved_events] == [
        ("admin", "mediation_expired",
         {"mediation_due": ["2027-02-10T00:00:00+08:00", "2027-02-16T00:00:00+08:00"]})]
    assert "date_moved" not in steady_events
    assert running(world, moving.view.id) == [("mediation_due", at("2027-02-16 00:00"), [])]

    # The timer fires at the new time only (case B's, long due, fires at the first pass).
    world.clock.set(at("2027-02-10 08:00"))
    world.engine.fire_due_timers()
    assert (moving.refresh().ready(), moving.view.data["tier"]) == (["mediate"], "grid")
    world.clock.set(at("2027-02-16 00:00") + timedelta(seconds=1))
    world.engine.fire_due_timers()
    moving.refresh()
    assert (moving.ready(), moving.view.data["tier"]) == (["choose_mediator"] * 2, "village")
    with world.engine.db.reading() as session:
        fired = [e.element_id for e in world.engine.audit_trail(session, moving.view.id)
                 if e.action == "timer_fired"]
    assert fired == ["mediation_expired"]


def test_a_deadline_recomputed_into_the_past_fires_on_the_next_pass(world: Casework):
    # Registered Thu 2027-02-18: the parties have 2 WD to choose a mediator.  Provisionally
    # (no make-up days): Fri 19 (1), Mon 22 (2) → due 02-23 00:00.
    world.clock.set(at("2027-02-18 10:00"))
    case = world.submit().registered()
    assert case.view.data["choice_due"] == "2027-02-23T00:00:00+08:00"
    # The schedule is imported on Sun 02-21: Sat 02-20 is a make-up working day, so the period
    # ended on it (Fri 19 (1), Sat 20 (2)): due 02-21 00:00, already past.
    world.clock.set(at("2027-02-21 10:00"))
    result = import_2027(world)
    assert [(m.key, m.old, m.new) for m in result.moved] == [
        ("choice_due", at("2027-02-23 00:00"), at("2027-02-21 00:00"))]
    assert world.engine.fire_due_timers() == 1
    with world.engine.db.reading() as session:
        trail = [(e.action, e.element_id) for e in world.engine.audit_trail(session, case.view.id)]
    assert ("timer_fired", "choice_lapsed") in trail


def test_retrying_a_failed_acceptance_keeps_the_time_it_was_accepted(world: Casework):
    world.clock.set(at("2027-01-25 09:00"))
    case = world.submit().registered()
    case.each("choose_mediator", "mediator", preferred_mediator="mediator")
    with world.engine.transaction() as session:  # a broken setting reaches the process
        world.engine.update_data(session, case.view.id, data={"period_unit": "days"},
                                 actor="admin")
    world.clock.set(at("2027-01-26 10:00"))
    with world.engine.transaction() as session:
        failed = world.engine.complete_task(session, case.task("accept_dispatch").id,
                                            data={"accepts": True}, actor="mediator")
    assert (failed.status, failed.error_element) == ("error", "start_mediation_clock")
    assert case.case().state == "error"
    world.clock.set(at("2027-02-01 15:00"))  # fixed six days later
    with world.engine.transaction() as session:
        world.engine.update_data(session, case.view.id, data={"period_unit": "CD"},
                                 actor="admin")
        retried = world.engine.retry(session, case.view.id, actor="admin")
    assert retried.status == "running"
    assert retried.data["accepted_at"] == "2027-01-26T10:00:00+08:00"
    assert retried.data["clock_start"] == "2027-01-26"
    # 7 CD from 01-26: Tue 02-02.
    assert retried.data["mediation_due"] == "2027-02-03T00:00:00+08:00"
    assert case.case().details["accepted_at"] == "2027-01-26T10:00:00+08:00"
