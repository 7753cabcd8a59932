"""Moving an instance's dates (data, task due dates, timers) as one step, and retries that keep
the time their step first ran."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import SHANGHAI, FixedClock, step_time
from engine.database import Database
from engine.definitions import read_paths
from engine.errors import StateConflict
from engine.models import HumanTask, PendingTimer, ProcessInstance
from engine.runtime import DateMove, Engine, EngineConfig

DATA = Path(__file__).parent / "data" / "runtime"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
OLD = datetime(2026, 3, 10, tzinfo=SHANGHAI)
NEW = datetime(2026, 3, 13, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(db: Database, clock: FixedClock) -> Engine:
    functions = {"stamp": lambda: step_time(clock).isoformat()}
    engine = Engine(db, EngineConfig(clock=clock, functions=functions))
    with engine.transaction() as s:
        engine.deploy(s, read_paths([DATA / "tiers.bpmn", DATA / "stamped.bpmn"]), actor="admin")
    return engine


def start_levels(engine: Engine):
    with engine.transaction() as s:
        return engine.start(s, "two_levels", actor="clerk", data={
            "deadline": OLD.isoformat(),
            "other_due": OLD.isoformat(),  # the same instant under another key: it stays
            "history": [{"deadline": OLD.isoformat(), "note": "kept beside the value"}],
        })


def projection(engine: Engine, instance_id: int) -> tuple[object, ...]:
    with engine.db.reading() as s:
        task_due = s.scalar(select(HumanTask.due_at).where(HumanTask.instance_id == instance_id,
                                                           HumanTask.state == "ready"))
        timer_due = s.scalar(select(PendingTimer.due_at).where(
            PendingTimer.instance_id == instance_id))
        next_at = s.scalar(select(ProcessInstance.next_timer_at).where(
            ProcessInstance.id == instance_id))
    return task_due, timer_due, next_at


def test_moving_a_date_moves_data_task_due_date_and_timer_together_audited(
    engine: Engine, clock: FixedClock
):
    view = start_levels(engine)
    assert projection(engine, view.id) == (OLD, OLD, OLD)
    with engine.transaction() as s:
        moved = engine.move_dates(s, view.id, moves=[DateMove(OLD, NEW, key="deadline")],
                                  actor="admin", reason="schedule imported")
    assert moved.data["deadline"] == NEW.isoformat()
    assert moved.data["history"][0]["deadline"] == NEW.isoformat()
    assert moved.data["other_due"] == OLD.isoformat()
    assert [(t.element_id, t.due_at) for t in moved.timers] == [("first_level_expired", NEW)]
    assert moved.task("handle").due_at == NEW
    assert projection(engine, view.id) == (NEW, NEW, NEW)
    with engine.db.reading() as s:
        event = engine.audit_trail(s, view.id)[-1]
    assert (event.action, event.actor, event.element_id, event.detail) == (
        "date_moved", "admin", "first_level_expired", "schedule imported")
    assert event.changes == {"deadline": [OLD.isoformat(), NEW.isoformat()]}
    # The timer fires at the new time, not the old one.
    clock.set(OLD + timedelta(hours=1))
    assert engine.fire_due_timers() == 0
    clock.set(NEW + timedelta(seconds=1))
    assert engine.fire_due_timers() == 1
    with engine.db.reading() as s:
        assert engine.instance(s, view.id).ready_tasks[0].due_at is None  # second level


def test_a_date_moved_into_the_past_fires_on_the_next_pass(engine: Engine, clock: FixedClock):
    view = start_levels(engine)
    clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI))
    earlier = datetime(2026, 3, 4, tzinfo=SHANGHAI)
    with engine.transaction() as s:
        engine.move_dates(s, view.id, moves=[DateMove(OLD, earlier, key="deadline")],
                          actor="admin")
    assert projection(engine, view.id)[2] == earlier
    assert engine.fire_due_timers() == 1
    with engine.db.reading() as s:
        trail = [e.action for e in engine.audit_trail(s, view.id)]
        assert engine.instance(s, view.id).timers == ()
    moved_at = trail.index("date_moved")
    assert trail[moved_at + 1] == "timer_fired"


def test_a_move_that_finds_nothing_changes_nothing(engine: Engine):
    view = start_levels(engine)
    with engine.transaction() as s:
        engine.move_dates(s, view.id, moves=[DateMove(NEW, OLD, key="deadline"),
                                             DateMove(OLD, NEW, key="missing")], actor="admin")
    assert projection(engine, view.id) == (OLD, OLD, OLD)
    with engine.db.reading() as s:
        assert "date_moved" not in [e.action for e in engine.audit_trail(s, view.id)]


def test_a_timer_that_names_another_key_stays(engine: Engine):
    view = start_levels(engine)
    with engine.transaction() as s:
        moved = engine.move_dates(s, view.id, moves=[DateMove(OLD, NEW, key="other_due")],
                                  actor="admin")
    assert moved.data["other_due"] == NEW.isoformat()
    assert moved.data["deadline"] == OLD.isoformat()
    assert projection(engine, view.id) == (OLD, OLD, OLD)


def test_the_moves_may_be_decided_under_the_lock_and_ended_instances_refuse(engine: Engine):
    view = start_levels(engine)
    seen = []

    def decide(locked):
        seen.append(locked.data["deadline"])
        return [DateMove(OLD, NEW, key="deadline")]

    with engine.transaction() as s:
        engine.move_dates(s, view.id, moves=decide, actor="admin")
        engine.terminate(s, view.id, actor="admin")
    assert seen == [OLD.isoformat()]
    with pytest.raises(StateConflict, match="has ended"):
        with engine.transaction() as s:
            engine.move_dates(s, view.id, moves=[DateMove(NEW, OLD, key="deadline")],
                              actor="admin")


def test_a_retried_step_computes_with_the_time_it_first_ran(engine: Engine, clock: FixedClock):
    with engine.transaction() as s:
        view = engine.start(s, "stamped", actor="clerk", data={"amount": 100, "parts": 0})
    first_ran = clock.advance(timedelta(hours=2))
    with engine.transaction() as s:
        failed = engine.complete_task(s, view.task("accept").id, data={}, actor="clerk")
    assert (failed.status, failed.error_element) == ("error", "record_acceptance")
    retried_at = clock.advance(timedelta(days=3))
    with engine.transaction() as s:
        engine.update_data(s, view.id, data={"parts": 4}, actor="admin")
        retried = engine.retry(s, view.id, actor="admin")
    assert retried.status == "running" and retried.data["share"] == 25
    assert retried.data["accepted_at"] == first_ran.isoformat()
    with engine.db.reading() as s:
        events = {e.action: e.at for e in engine.audit_trail(s, view.id)}
        error_at = s.scalar(select(ProcessInstance.error_at).where(ProcessInstance.id == view.id))
    assert events["error"] == first_ran and events["retried"] == retried_at
    assert error_at is None


def test_a_retry_that_fails_again_keeps_the_first_time(engine: Engine, clock: FixedClock):
    with engine.transaction() as s:
        view = engine.start(s, "stamped", actor="clerk", data={"amount": 100, "parts": 0})
    first_ran = clock()
    with engine.transaction() as s:
        engine.complete_task(s, view.task("accept").id, data={}, actor="clerk")
    clock.advance(timedelta(days=1))
    with engine.transaction() as s:
        assert engine.retry(s, view.id, actor="admin").status == "error"
    clock.advance(timedelta(days=1))
    with engine.transaction() as s:
        engine.update_data(s, view.id, data={"parts": 2}, actor="admin")
        assert engine.retry(s, view.id, actor="admin").data["accepted_at"] == \
            first_ran.isoformat()
