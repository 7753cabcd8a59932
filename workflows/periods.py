"""The legal periods running cases depend on: kept, shown as provisional, recomputed on import.

Every deadline a diagram counts (``deadline_cd``, ``deadline_wd``, ``deadline``) is noted on its
engine step (:class:`workflows.functions.CountedPeriod`).  After the step, :func:`record_periods`
keeps each one as a :class:`LegalDeadline` row beside the data key that holds it.  A deadline runs
while the process waits on it: a timer of the instance is due then and the key still holds it
(its step over, its timer fired, or its period counted again, it stops running).  A running
deadline counted with a year that had no official schedule is *provisional* (DOMAIN §4).

When an administrator imports a year's schedule, :func:`recompute_deadlines` counts every running
provisional deadline that relied on that year again, and where the deadline moves, the engine
moves it in the instance — data, task due dates and pending timers, audited — in one transaction
per instance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import aware, step_notes
from engine.errors import EngineError
from engine.runtime import DateMove, Engine
from engine.views import InstanceView
from workflows.deadlines import SHANGHAI, HolidayCalendar
from workflows.functions import CountedPeriod, count_period
from workflows.models import Case, LegalDeadline

ENDED = ("completed", "terminated")


def record_periods(session: Session, view: InstanceView, *, now: datetime) -> None:
    """Keep the periods the step counted and retire those the process no longer holds (the
    engine's after-step hook, inside the step's transaction)."""
    counted = [n for n in (step_notes() or ()) if isinstance(n, CountedPeriod)]
    rows = list(session.scalars(
        select(LegalDeadline).where(LegalDeadline.instance_id == view.id, LegalDeadline.running)
    ))
    waiting = set() if view.status in ENDED else {t.due_at for t in view.timers}
    held: set[str] = set()
    for row in rows:
        if _runs(view.data, waiting, row.key, aware(row.due_at)):
            held.update([row.key] if row.key else [])
        else:
            row.running = False
    if not counted:
        return
    case_id = _case_id(session, view.business_key)
    for period in counted:
        due = period.deadline.isoformat()
        keys: list[str | None] = [k for k, v in view.data.items() if v == due and k not in held]
        for key in keys or [None]:
            held.update([key] if key else [])
            years = sorted(period.deadline.provisional_years)
            session.add(LegalDeadline(
                instance_id=view.id, case_id=case_id, key=key, start=period.start,
                days=period.days, unit=period.unit, due_at=period.deadline.due_at,
                provisional=bool(years), provisional_years=years, counted_at=now,
                running=_runs(view.data, waiting, key, period.deadline.due_at),
            ))


def _runs(data: Mapping[str, Any], waiting: set[datetime], key: str | None, due: datetime
          ) -> bool:
    """Whether the process waits on ``due`` and (when it has a key) still holds it there."""
    if due not in waiting:
        return False
    if key is None:
        return True
    value = data.get(key)
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value) == due
    except ValueError:
        return False


def _case_id(session: Session, business_key: str | None) -> int | None:
    if business_key is None:
        return None
    return session.scalar(select(Case.id).where(Case.case_no == business_key))


# -- what depends on provisional data ------------------------------------------------------------


@dataclass(frozen=True)
class Dependent:
    """A running case (or instance) with deadlines that rest on provisional years."""

    instance_id: int
    case_id: int | None
    case_no: str | None
    deadlines: int


def provisional_dependents(session: Session) -> dict[int, list[Dependent]]:
    """Per provisional year, the running cases whose deadlines rely on it."""
    rows = session.execute(
        select(LegalDeadline.instance_id, LegalDeadline.case_id, Case.case_no,
               LegalDeadline.provisional_years)
        .outerjoin(Case, Case.id == LegalDeadline.case_id)
        .where(LegalDeadline.provisional, LegalDeadline.running)
        .order_by(LegalDeadline.instance_id)
    ).all()
    counts: dict[int, dict[tuple[int, int | None, str | None], int]] = defaultdict(dict)
    for instance_id, case_id, case_no, years in rows:
        for year in years or ():
            key = (instance_id, case_id, case_no)
            counts[year][key] = counts[year].get(key, 0) + 1
    return {
        year: [Dependent(i, c, n, k) for (i, c, n), k in sorted(found.items())]
        for year, found in sorted(counts.items())
    }


def provisional_dues(
    session: Session, instance_ids: Iterable[int]
) -> dict[int, dict[datetime, tuple[int, ...]]]:
    """For each instance, its running provisional deadlines: due instant → provisional years."""
    wanted = sorted(set(instance_ids))
    found: dict[int, dict[datetime, tuple[int, ...]]] = defaultdict(dict)
    if not wanted:
        return found
    rows = session.execute(
        select(LegalDeadline.instance_id, LegalDeadline.due_at, LegalDeadline.provisional_years)
        .where(LegalDeadline.instance_id.in_(wanted), LegalDeadline.provisional,
               LegalDeadline.running)
    )
    for instance_id, due_at, years in rows:
        found[instance_id][aware(due_at)] = tuple(sorted(years or ()))
    return found


# -- recomputing after an import -----------------------------------------------------------------


@dataclass(frozen=True)
class MovedDeadline:
    """A deadline that moved when a schedule was imported."""

    instance_id: int
    case_no: str | None
    key: str | None
    old: datetime
    new: datetime


@dataclass
class Recomputation:
    """What recomputing after an import did."""

    moved: list[MovedDeadline] = field(default_factory=list)
    confirmed: int = 0  # recounted, the same day, and no longer provisional
    failed: list[tuple[int, str]] = field(default_factory=list)  # instance, reason


def recompute_deadlines(
    engine: Engine, *, calendar: HolidayCalendar, years: Iterable[int], actor: str
) -> Recomputation:
    """Count again, with ``calendar``, every running deadline that relied on ``years`` while
    they were provisional; move those that change, one transaction per instance."""
    imported = frozenset(years)
    with engine.db.reading() as session:
        instances = sorted({
            instance_id for instance_id, found in session.execute(
                select(LegalDeadline.instance_id, LegalDeadline.provisional_years)
                .where(LegalDeadline.provisional, LegalDeadline.running)
            )
            if imported & set(found or ())
        })
    result = Recomputation()
    reason = "holiday schedule imported: " + ", ".join(str(y) for y in sorted(imported))
    for instance_id in instances:
        try:
            with engine.transaction() as session:
                _recompute_instance(session, engine, instance_id, calendar=calendar,
                                    years=imported, actor=actor, reason=reason, result=result)
        except EngineError as exc:
            result.failed.append((instance_id, str(exc)))
    return result


def _recompute_instance(
    session: Session,
    engine: Engine,
    instance_id: int,
    *,
    calendar: HolidayCalendar,
    years: frozenset[int],
    actor: str,
    reason: str,
    result: Recomputation,
) -> None:
    moved: list[MovedDeadline] = []
    confirmed = 0

    def moves(view: InstanceView) -> Sequence[DateMove]:
        nonlocal confirmed
        # Read under the instance's lock: no step can retire or add its deadlines meanwhile.
        rows = session.scalars(
            select(LegalDeadline).where(LegalDeadline.instance_id == instance_id,
                                        LegalDeadline.running, LegalDeadline.provisional)
            .order_by(LegalDeadline.id)
        ).all()
        found: list[DateMove] = []
        for row in rows:
            if not years & set(row.provisional_years or ()):
                continue
            recounted = count_period(row.start, row.days, row.unit, calendar=calendar)
            old = aware(row.due_at).astimezone(SHANGHAI)
            row.provisional_years = sorted(recounted.provisional_years)
            row.provisional = recounted.provisional
            if recounted.due_at == old:
                confirmed += 1
                continue
            row.due_at = recounted.due_at
            found.append(DateMove(old=old, new=recounted.due_at, key=row.key))
            moved.append(MovedDeadline(instance_id, view.business_key, row.key, old,
                                       recounted.due_at))
        return found

    engine.move_dates(session, instance_id, moves=moves, actor=actor, reason=reason)
    result.moved.extend(moved)
    result.confirmed += confirmed
