"""Real concurrent sessions against the same rows: one claim wins, no timer fires twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import FixedClock
from engine.database import Database
from engine.definitions import read_paths
from engine.errors import StateConflict, TaskOwnershipError
from engine.models import AuditEvent
from engine.runtime import Engine, EngineConfig

DATA = Path(__file__).parent / "data" / "runtime"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(db: Database, clock: FixedClock) -> Engine:
    engine = Engine(db, EngineConfig(clock=clock))
    with engine.transaction() as s:
        engine.deploy(s, read_paths([DATA / "approval.bpmn", DATA / "review.json"]), actor="admin")
    return engine


def run_together(count: int, action) -> list[object]:
    """Run ``action(i)`` in ``count`` threads released at the same moment; collect results."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # the outcome under test is which call raised what
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_simultaneous_claims_have_exactly_one_winner(engine: Engine):
    with engine.transaction() as s:
        task_id = engine.start(s, "approval", data={"amount": 1, "limit": 9}, actor="c").task("review").id

    def claim(i: int):
        with engine.transaction() as s:
            return engine.claim_task(s, task_id, actor=f"mediator{i}")

    results = run_together(6, claim)
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(e, TaskOwnershipError) for e in losers), losers
    with engine.db.reading() as s:
        assert engine.task(s, task_id).assignee == winners[0].assignee


def test_simultaneous_completions_complete_once(engine: Engine):
    with engine.transaction() as s:
        task_id = engine.start(s, "approval", data={"amount": 1, "limit": 9}, actor="c").task("review").id

    def complete(i: int):
        with engine.transaction() as s:
            return engine.complete_task(s, task_id, data={"approved": True, "comment": f"#{i}"}, actor="ann")

    results = run_together(4, complete)
    done = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(done) == 1 and done[0].status == "completed"
    assert all(isinstance(e, StateConflict) for e in refused), refused
    with engine.db.reading() as s:
        events = s.scalars(select(AuditEvent.action).where(AuditEvent.action == "task_completed")).all()
    assert len(events) == 1


def test_several_workers_fire_every_due_timer_exactly_once(engine: Engine, clock: FixedClock):
    ids = []
    for i in range(12):
        with engine.transaction() as s:
            ids.append(engine.start(s, "approval", data={"amount": i, "limit": 99}, actor="c").id)
    clock.advance(timedelta(days=3, seconds=1))

    results = run_together(3, lambda i: engine.fire_due_timers(limit=50))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 12  # type: ignore[arg-type]
    with engine.db.reading() as s:
        fired = Counter(
            s.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")).all()
        )
        assert fired == Counter({i: 1 for i in ids})
        assert all(
            [t.element_id for t in engine.instance(s, i).ready_tasks] == ["escalated_review"] for i in ids
        )
