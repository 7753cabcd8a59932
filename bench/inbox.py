"""Benchmark: the inbox's queue query with 100 000 open tasks.

Bulk-inserts open human tasks (with their instances, cases and applicants) into a migrated
database, then times the pages a mediator asks for: the first page and a deep page (about 90 %
down the queue) of the group queue in due-date order, the same with a filter on the case, other
sort orders, "my tasks", and, for contrast, the deep page read with OFFSET.  Each figure is the
median of several runs.  Prints ``name: value unit`` lines.

Usage: python bench/inbox.py [--tasks N] [--database-url URL] [--repeat N]

On PostgreSQL the benchmark works in a schema of its own, dropped at the end: the database's
own tables are not touched.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine.database import Database  # noqa: E402
from engine.definitions import read_paths  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from workflows import worklist  # noqa: E402
from workflows.access import workable_groups  # noqa: E402
from web.composition import build_engine, upgrade  # noqa: E402
from web.settings import normalise_url  # noqa: E402
from workflows.models import Case, Party  # noqa: E402
from workflows.organisation import DISPUTE_TYPES, Membership  # noqa: E402

BPMN = ROOT / "bench" / "data" / "simple_case.bpmn"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
UNIT = "T01-V1-G1"
ME = Membership("mediator", UNIT)
CHUNK = 5_000
STATES = ("dispatched", "in_mediation", "agreement_reached", "judicial_confirmation")


def fill(db: Database, tasks: int, seed: int = 1) -> None:
    """``tasks`` open tasks: 80 % in the mediator's group, 10 % in the chair's queue of the same
    unit, 10 % other units'; 5 % held by the mediator; 5 % without a due date; each with its
    case."""
    rng = random.Random(seed)
    engine = build_engine(db)
    with engine.transaction() as session:
        definition = engine.deploy(session, read_paths([BPMN]), actor="bench").definitions[0]
    types = list(DISPUTE_TYPES)
    for start in range(1, tasks + 1, CHUNK):
        numbers = range(start, min(start + CHUNK, tasks + 1))
        instances, human, cases, parties = [], [], [], []
        for n in numbers:
            instances.append(dict(
                id=n, definition_id=definition.id, process_id=definition.process_id,
                business_key=f"B-{n}", status="running", state="{}", lock_version=1,
                task_count=1, created_at=NOW, created_by="bench", updated_at=NOW))
            share = rng.random()
            group = (f"mediator:{UNIT}" if share < 0.8 else f"committee_chair:{UNIT}"
                     if share < 0.9
                     else f"mediator:T{rng.randrange(2, 22):02d}-V1-G1")
            due = None if rng.random() < 0.05 else NOW + timedelta(
                minutes=rng.randrange(-30 * 24 * 60, 60 * 24 * 60))
            human.append(dict(
                id=n, instance_id=n, task_guid=f"00000000-0000-4000-8000-{n:012d}",
                element_id="mediate", name="调解", form=None, lane="调解员",
                candidate_group=group, assignee="me" if rng.random() < 0.05 else None,
                state="ready", priority=rng.choice((0, 0, 0, 1, 2)),
                created_at=NOW - timedelta(minutes=rng.randrange(0, 90 * 24 * 60)), due_at=due))
            cases.append(dict(
                id=n, case_no=f"(2026)渝荣调字第{n:06d}号", kind="people_mediation",
                dispute_type=rng.choice(types), amount=None, amount_paid=None,
                description="bench", channel="online", tier="grid", org_unit_id=None,
                court_id=None, state=rng.choice(STATES), personal_status=False, instance_id=n,
                received_at=NOW, closed_at=None, outcome=None, details={}))
            parties.append(dict(case_id=n, role="applicant", name=f"申请人{n}",
                                phone=f"138{n:08d}"))
        with db.sa_engine.begin() as connection:
            connection.execute(insert(ProcessInstance), instances)
            connection.execute(insert(HumanTask), human)
            connection.execute(insert(Case), cases)
            connection.execute(insert(Party), parties)
    if db.is_postgres:
        with db.sa_engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    else:
        with db.sa_engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def timed(db: Database, run: Callable[[Any], Any], repeat: int) -> tuple[float, Any]:
    """The median milliseconds of ``run(session)`` and its last result."""
    times, result = [], None
    for _ in range(repeat):
        with db.reading() as session:
            began = time.perf_counter()
            result = run(session)
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def deep_cursor(db: Database, groups: list[str], fraction: float, **where: Any) -> str:
    """A due-order cursor about ``fraction`` of the way down the queue (found once, slowly)."""
    query = (select(HumanTask.id, HumanTask.due_at)
             .where(HumanTask.state == "ready", HumanTask.assignee.is_(None),
                    HumanTask.candidate_group.in_(groups), HumanTask.due_at.is_not(None)))
    if where.get("dispute_type"):
        query = query.join(Case, Case.instance_id == HumanTask.instance_id).where(
            Case.dispute_type == where["dispute_type"])
    with db.reading() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        row = session.execute(query.order_by(HumanTask.due_at, HumanTask.id)
                              .offset(int(total * fraction)).limit(1)).one()
    return worklist.encode_cursor("due", SimpleNamespace(due_at=row.due_at, task_id=row.id))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = normalise_url(args.database_url or f"sqlite:///{Path(folder) / 'inbox.db'}")
        schema = None
        if url.startswith("postgresql"):
            schema, url = _own_schema(url)
        db = Database(url)
        try:
            upgrade(db)
            _run(db, args)
        finally:
            db.dispose()
            if schema:
                _drop_schema(args.database_url, schema)
    return 0


def _own_schema(url: str) -> tuple[str, str]:
    """A fresh schema for the benchmark and the URL that works in it."""
    schema = f"bench_inbox_{os.getpid()}"
    admin = Database(url)
    with admin.sa_engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, scoped.render_as_string(hide_password=False)


def _drop_schema(url: str, schema: str) -> None:
    admin = Database(normalise_url(url))
    with admin.sa_engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _run(db: Database, args: argparse.Namespace) -> None:
    """Fill the database and print the figures."""
    began = time.perf_counter()
    fill(db, args.tasks)
    print(f"backend: {db.sa_engine.dialect.name}")
    print(f"open_tasks: {args.tasks} tasks")
    print(f"bulk_insert: {time.perf_counter() - began:.1f} s")
    groups = sorted(workable_groups([ME]))
    with db.reading() as session:
        in_queue = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.state == "ready", HumanTask.assignee.is_(None),
            HumanTask.candidate_group.in_(groups))) or 0
    print(f"tasks_in_the_queue: {in_queue} tasks")
    filtered = worklist.Filters(dispute_type="neighbour")
    deep = deep_cursor(db, groups, 0.9)
    deep_filtered = deep_cursor(db, groups, 0.9, dispute_type="neighbour")

    def queue(**kwargs: Any) -> Callable[[Any], Any]:
        return lambda session: worklist.group_queue(session, groups, now=NOW, **kwargs)

    figures = [
        ("queue_first_page", queue()),
        ("queue_deep_page", queue(cursor=deep)),
        ("queue_first_page_filtered_by_type", queue(filters=filtered)),
        ("queue_deep_page_filtered_by_type", queue(filters=filtered, cursor=deep_filtered)),
        ("queue_first_page_overdue", queue(filters=worklist.Filters(overdue=True))),
        ("queue_first_page_by_created", queue(sort="created")),
        ("queue_first_page_by_priority", queue(sort="priority")),
        ("my_tasks_first_page", lambda session: worklist.my_tasks(session, "me", now=NOW)),
    ]
    for name, run in figures:
        milliseconds, page = timed(db, run, args.repeat)
        assert len(page.rows) == worklist.PAGE_SIZE, name
        print(f"{name}: {milliseconds:.1f} ms")

    offset = int(in_queue * 0.9)

    def by_offset(session: Any) -> list[Any]:
        return list(session.execute(
            select(HumanTask.id).where(
                HumanTask.state == "ready", HumanTask.assignee.is_(None),
                HumanTask.candidate_group.in_(groups))
            .order_by(HumanTask.due_at, HumanTask.id).offset(offset)
            .limit(worklist.PAGE_SIZE)))

    milliseconds, _rows = timed(db, by_offset, args.repeat)
    print(f"deep_page_by_offset_for_contrast: {milliseconds:.1f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
