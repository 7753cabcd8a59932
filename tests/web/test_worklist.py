"""Paging by key through the task lists: every task exactly once, in order, for every sort, with
ties on the sort key, tasks without a due date, several groups and filters."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from engine.database import Database
from engine.definitions import read_paths
from engine.models import HumanTask, ProcessInstance
from engine.runtime import Engine
from workflows import worklist
from web.composition import BPMN_DIR, build_engine
from workflows.models import Case, Party

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
GROUPS = ["mediator:A", "mediator:B", "party:A", "elsewhere:C"]
TYPES = ["neighbour", "debt", "family"]
STATES = ["dispatched", "in_mediation"]


@pytest.fixture(scope="module")
def tasks(module_db: Database) -> tuple[Engine, list[dict]]:
    """600 open tasks over four groups, with shared due dates, missing ones and equal times."""
    engine = build_engine(module_db)
    rng = random.Random(7)
    with engine.transaction() as session:
        definition = engine.deploy(session, read_paths([BPMN_DIR]), actor="test").definitions[0]
        instances, human, cases, parties = [], [], [], []
        for n in range(1, 601):
            instances.append(dict(
                id=n, definition_id=definition.id, process_id=definition.process_id,
                business_key=f"K-{n}", status="running", state="{}", lock_version=1,
                task_count=1, created_at=NOW, created_by="test", updated_at=NOW))
            due = None if n % 9 == 0 else NOW + timedelta(days=rng.randrange(-5, 15))
            human.append(dict(
                id=n, instance_id=n, task_guid=f"00000000-0000-0000-0000-{n:012d}",
                element_id="mediate", name="调解", form=None, lane="调解员",
                candidate_group=GROUPS[n % 4], assignee="me" if n % 7 == 0 else None,
                state="ready" if n % 50 else "completed", priority=rng.choice([0, 0, 1, 5]),
                created_at=NOW - timedelta(minutes=rng.randrange(0, 30)), due_at=due))
            if n % 5:  # some tasks have no case (processes started without one)
                cases.append(dict(
                    id=n, case_no=f"C-{n}", kind="people_mediation",
                    dispute_type=TYPES[n % 3], amount=None, amount_paid=None, description="x",
                    channel="online", tier="grid", org_unit_id=None, court_id=None,
                    state=STATES[n % 2], personal_status=False, instance_id=n,
                    received_at=NOW, closed_at=None, outcome=None, details={}))
                parties.append(dict(case_id=n, role="applicant", name=f"甲{n}",
                                    phone="13800000000"))
        session.execute(insert(ProcessInstance), instances)
        session.execute(insert(HumanTask), human)
        session.execute(insert(Case), cases)
        session.execute(insert(Party), parties)
    return engine, human


def expected(rows: list[dict], groups: list[str] | None, sort: str, **match: object) -> list[int]:
    cases = {}
    for r in rows:
        if r["id"] % 5:
            cases[r["id"]] = {"dispute_type": TYPES[r["id"] % 3], "state": STATES[r["id"] % 2]}
    chosen = []
    for r in rows:
        if r["state"] != "ready":
            continue
        if groups is None and r["assignee"] != "me":
            continue
        if groups is not None and (r["candidate_group"] not in groups or r["assignee"]):
            continue
        case = cases.get(r["id"])
        if any(case is None or case[k] != v for k, v in match.items() if k != "overdue"):
            continue
        if match.get("overdue") and not (r["due_at"] and r["due_at"] < NOW):
            continue
        chosen.append(r)
    if sort == "due":
        chosen.sort(key=lambda r: (r["due_at"] is None, r["due_at"] or NOW, r["id"]))
    elif sort == "created":  # newest first: ids follow creation
        chosen.sort(key=lambda r: r["id"], reverse=True)
    else:
        chosen.sort(key=lambda r: (-r["priority"], r["id"]))
    return [r["id"] for r in chosen]


def walk(engine: Engine, groups: list[str] | None, sort: str, limit: int,
         filters: worklist.Filters) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(1000):
        with engine.db.reading() as session:
            if groups is None:
                page = worklist.my_tasks(session, "me", filters=filters, sort=sort,
                                         cursor=cursor, limit=limit, now=NOW)
            else:
                page = worklist.group_queue(session, groups, filters=filters, sort=sort,
                                            cursor=cursor, limit=limit, now=NOW)
        assert len(page.rows) <= limit
        seen += [r.task_id for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("sort", worklist.SORTS)
@pytest.mark.parametrize("limit", [1, 7, 25])
@pytest.mark.parametrize("groups", [["mediator:A"], ["mediator:A", "mediator:B", "party:A"], None])
def test_pages_cover_every_task_once_in_order(
    tasks: tuple[Engine, list[dict]], sort: str, limit: int, groups: list[str] | None
) -> None:
    engine, rows = tasks
    assert walk(engine, groups, sort, limit, worklist.Filters()) == expected(rows, groups, sort)


@pytest.mark.parametrize("sort", worklist.SORTS)
@pytest.mark.parametrize("match", [
    {"dispute_type": "debt"}, {"state": "in_mediation", "dispute_type": "family"},
    {"overdue": True},
])
def test_filters_page_the_same_way(
    tasks: tuple[Engine, list[dict]], sort: str, match: dict[str, object]
) -> None:
    engine, rows = tasks
    groups = ["mediator:A", "mediator:B", "party:A"]
    filters = worklist.Filters(**match)  # type: ignore[arg-type]
    assert walk(engine, groups, sort, 10, filters) == expected(rows, groups, sort, **match)


def test_rows_carry_their_case_and_applicant(tasks: tuple[Engine, list[dict]]) -> None:
    engine, _rows = tasks
    with engine.db.reading() as session:
        page = worklist.group_queue(session, ["mediator:B"], now=NOW, limit=100)
    with_case = [r for r in page.rows if r.case_id]
    assert with_case and all(r.applicant and r.applicant.name == f"甲{r.task_id}"
                             for r in with_case)
    assert all(r.case_no == f"C-{r.task_id}" for r in with_case)
    assert any(r.case_id is None for r in page.rows)


@pytest.mark.parametrize("cursor", ["", "garbage", "eyJ4Ijp9", "WyJjcmVhdGVkIiwxLDJd"])
def test_a_cursor_that_does_not_fit_starts_from_the_top(
    tasks: tuple[Engine, list[dict]], cursor: str
) -> None:
    engine, _rows = tasks
    with engine.db.reading() as session:
        first = worklist.group_queue(session, ["mediator:A"], now=NOW, limit=5)
        again = worklist.group_queue(session, ["mediator:A"], now=NOW, limit=5, cursor=cursor)
    assert [r.task_id for r in again.rows] == [r.task_id for r in first.rows]


def test_no_groups_no_tasks(tasks: tuple[Engine, list[dict]]) -> None:
    engine, _rows = tasks
    with engine.db.reading() as session:
        page = worklist.group_queue(session, [], now=NOW)
    assert page.rows == [] and page.next_cursor is None
