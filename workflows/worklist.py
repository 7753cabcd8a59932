"""The task lists behind the inbox and the court queue: open human tasks joined to their cases,
filtered, sorted and paged by key (never by offset), so the hundredth page costs what the first
does even with 100 000 open tasks.

A queue spans several candidate groups.  Each group is read on its own along the index
``(state, candidate_group, due_at)`` (``(state, assignee, due_at)`` for "my tasks"), at most one
page from the cursor on, and the streams are merged: the work per page is bounded by the page size
times the number of groups, not by the size of the queue.  Tasks without a due date come after all
dated ones, in id order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, or_, select, union_all
from sqlalchemy.orm import Session

from engine.clock import SHANGHAI, aware
from engine.models import HumanTask
from workflows.models import Case, Party

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
SORTS = ("due", "created", "priority")


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to (None: no narrowing)."""

    dispute_type: str | None = None
    tier: str | None = None
    state: str | None = None
    due_before: date | None = None  # due on or before this day (Shanghai)
    overdue: bool = False
    elements: tuple[str, ...] = ()  # only tasks of these elements

    @property
    def on_case(self) -> bool:
        """Whether the filters need the case row."""
        return bool(self.dispute_type or self.tier or self.state)

    def active(self) -> bool:
        """Whether any filter is set."""
        return self.on_case or self.due_before is not None or self.overdue or bool(self.elements)


@dataclass(frozen=True)
class Applicant:
    """The first applicant of a case, for telling rows apart (the phone is masked when shown)."""

    name: str
    phone: str | None


@dataclass(frozen=True)
class TaskRow:
    """One open task with the facts of its case."""

    task_id: int
    instance_id: int
    element_id: str
    name: str
    candidate_group: str | None
    assignee: str | None
    priority: int
    created_at: datetime
    due_at: datetime | None
    case_id: int | None
    case_no: str | None
    dispute_type: str | None
    tier: str | None
    state: str | None
    amount: Decimal | None
    personal_status: bool
    applicant: Applicant | None = None


@dataclass(frozen=True)
class Page:
    """A page of rows and the cursor of the next page (None on the last page)."""

    rows: list[TaskRow]
    next_cursor: str | None
    sort: str = "due"
    extras: dict[str, Any] = field(default_factory=dict)


_COLUMNS = (
    HumanTask.id.label("task_id"),
    HumanTask.instance_id,
    HumanTask.element_id,
    HumanTask.name,
    HumanTask.candidate_group,
    HumanTask.assignee,
    HumanTask.priority,
    HumanTask.created_at,
    HumanTask.due_at,
    Case.id.label("case_id"),
    Case.case_no,
    Case.dispute_type,
    Case.tier,
    Case.state.label("case_state"),
    Case.amount,
    Case.personal_status,
)


def my_tasks(
    session: Session,
    username: str,
    *,
    filters: Filters = Filters(),
    sort: str = "due",
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    now: datetime,
) -> Page:
    """The open tasks held by ``username``."""
    stream = [HumanTask.assignee == username]
    return _page(session, [stream], filters, sort, cursor, limit, now)


def group_queue(
    session: Session,
    groups: Iterable[str],
    *,
    filters: Filters = Filters(),
    sort: str = "due",
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    now: datetime,
    unassigned: bool = True,
) -> Page:
    """The open tasks of ``groups`` that nobody holds (or all of them: ``unassigned=False``)."""
    streams = []
    for group in sorted(set(groups)):
        stream = [HumanTask.candidate_group == group]
        if unassigned:
            stream.append(HumanTask.assignee.is_(None))
        streams.append(stream)
    if not streams:
        return Page([], None, sort)
    return _page(session, streams, filters, sort, cursor, limit, now)


# -- cursors -------------------------------------------------------------------------------------


def encode_cursor(sort: str, row: TaskRow) -> str:
    """An opaque cursor after ``row`` in ``sort`` order."""
    if sort == "created":
        key: list[Any] = [None, row.task_id]
    elif sort == "priority":
        key = [row.priority, row.task_id]
    else:
        key = [row.due_at.isoformat() if row.due_at else None, row.task_id]
    raw = json.dumps([sort, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str | None) -> tuple[Any, int] | None:
    """(key, id) of a cursor made for ``sort``; None for no cursor or one that does not fit."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, key, task_id = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        return None
    if made_for != sort or not isinstance(task_id, int) or isinstance(task_id, bool):
        return None
    try:
        if sort == "priority":
            if not isinstance(key, int) or isinstance(key, bool):
                return None
            return key, task_id
        if key is None:
            return (None, task_id) if sort in ("due", "created") else None
        return aware(datetime.fromisoformat(str(key))), task_id
    except ValueError:
        return None


# -- the query -----------------------------------------------------------------------------------


def _page(
    session: Session,
    streams: Sequence[list[Any]],
    filters: Filters,
    sort: str,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> Page:
    sort = sort if sort in SORTS else "due"
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    after = decode_cursor(sort, cursor)
    common = [HumanTask.state == "ready", *_filter_conditions(filters, now)]
    if sort == "due":
        rows = _due_rows(session, streams, common, filters, after, limit + 1)
    else:
        rows = _merged(session, streams, common, filters, _keyset(sort, after), _order(sort),
                       limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    rows = _with_applicants(session, rows)
    next_cursor = encode_cursor(sort, rows[-1]) if more and rows else None
    return Page(rows, next_cursor, sort)


def _due_rows(
    session: Session,
    streams: Sequence[list[Any]],
    common: list[Any],
    filters: Filters,
    after: tuple[Any, int] | None,
    wanted: int,
) -> list[TaskRow]:
    """Dated tasks by (due_at, id), then undated ones by id."""
    rows: list[TaskRow] = []
    if after is None or after[0] is not None:
        dated = [HumanTask.due_at.is_not(None)]
        if after is not None:
            due, task_id = after
            # The range start is an index condition; the tie on due_at is a small filter.
            dated += [HumanTask.due_at >= due,
                      or_(HumanTask.due_at > due, HumanTask.id > task_id)]
        rows = _merged(session, streams, common + dated, filters, [],
                       (("due_at", False), ("task_id", False)), wanted)
    if len(rows) < wanted and not (filters.overdue or filters.due_before):
        undated = [HumanTask.due_at.is_(None)]
        if after is not None and after[0] is None:
            undated.append(HumanTask.id > after[1])
        rows += _merged(session, streams, common + undated, filters, [],
                        (("task_id", False),), wanted - len(rows))
    return rows


def _keyset(sort: str, after: tuple[Any, int] | None) -> list[Any]:
    if after is None:
        return []
    key, task_id = after
    if sort == "created":
        return [HumanTask.id < task_id]
    return [HumanTask.priority <= key, or_(HumanTask.priority < key, HumanTask.id > task_id)]


# An order is a sequence of (column name, descending).
Order = tuple[tuple[str, bool], ...]
_SORT_COLUMNS = {
    "task_id": HumanTask.id, "due_at": HumanTask.due_at, "created_at": HumanTask.created_at,
    "priority": HumanTask.priority,
}


def _order(sort: str) -> Order:
    if sort == "created":
        # Ids follow creation: newest first along the primary key, which every backend walks
        # backwards cheaply (the task list has no index on its creation time).
        return (("task_id", True),)
    return (("priority", True), ("task_id", False))


def _clauses(columns: Any, order: Order) -> list[Any]:
    return [columns[name].desc() if descending else columns[name].asc()
            for name, descending in order]


def _merged(
    session: Session,
    streams: Sequence[list[Any]],
    common: list[Any],
    filters: Filters,
    keyset: list[Any],
    order: Order,
    wanted: int,
) -> list[TaskRow]:
    """Up to ``wanted`` rows in ``order``: each stream read along its own index, then merged."""
    if wanted <= 0:
        return []
    parts = [_select(filters).where(*stream, *common, *keyset)
             .order_by(*_clauses(_SORT_COLUMNS, order)).limit(wanted)
             for stream in streams]
    if len(parts) == 1:
        query: Select[Any] = parts[0]
        result = session.execute(query)
    else:
        merged = union_all(*[select(p.subquery().c) for p in parts]).subquery()
        result = session.execute(
            select(merged).order_by(*_clauses(merged.c, order)).limit(wanted)
        )
    return [_row(r) for r in result]


def _select(filters: Filters) -> Select[Any]:
    query = select(*_COLUMNS)
    on = Case.instance_id == HumanTask.instance_id
    return query.join(Case, on) if filters.on_case else query.outerjoin(Case, on)


def _filter_conditions(filters: Filters, now: datetime) -> list[Any]:
    conditions: list[Any] = []
    if filters.dispute_type:
        conditions.append(Case.dispute_type == filters.dispute_type)
    if filters.tier:
        conditions.append(Case.tier == filters.tier)
    if filters.state:
        conditions.append(Case.state == filters.state)
    if filters.elements:
        conditions.append(HumanTask.element_id.in_(filters.elements))
    if filters.due_before is not None:
        end = datetime.combine(filters.due_before + timedelta(days=1), datetime.min.time(),
                               tzinfo=SHANGHAI)
        conditions.append(and_(HumanTask.due_at.is_not(None), HumanTask.due_at <= end))
    if filters.overdue:
        conditions.append(and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now))
    return conditions


def _row(r: Any) -> TaskRow:
    return TaskRow(
        task_id=r.task_id, instance_id=r.instance_id, element_id=r.element_id, name=r.name,
        candidate_group=r.candidate_group, assignee=r.assignee, priority=r.priority,
        created_at=aware(r.created_at), due_at=aware(r.due_at) if r.due_at else None,
        case_id=r.case_id, case_no=r.case_no, dispute_type=r.dispute_type, tier=r.tier,
        state=r.case_state, amount=r.amount, personal_status=bool(r.personal_status),
    )


def _with_applicants(session: Session, rows: list[TaskRow]) -> list[TaskRow]:
    """The rows with the first applicant of each case (one query for the page)."""
    case_ids = sorted({r.case_id for r in rows if r.case_id is not None})
    if not case_ids:
        return rows
    first: dict[int, Applicant] = {}
    for case_id, name, phone in session.execute(
        select(Party.case_id, Party.name, Party.phone)
        .where(Party.case_id.in_(case_ids), Party.role == "applicant")
        .order_by(Party.id)
    ):
        first.setdefault(case_id, Applicant(name, phone))
    return [
        TaskRow(**{**r.__dict__, "applicant": first.get(r.case_id)}) if r.case_id else r
        for r in rows
    ]
