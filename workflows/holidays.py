"""The holiday calendar in force: the packaged schedules plus the years administrators imported.

The State Council publishes each year's schedule late in the year before; an administrator uploads
it as CSV (see :func:`workflows.deadlines.parse_schedule_csv`) and it replaces that year.  The
upload is stored as given, so it can be shown and downloaded again.  Any other year is counted
provisionally (statutory holidays only) until its schedule arrives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.deadlines import HolidayCalendar, YearSchedule, parse_schedule_csv
from workflows.models import HolidaySchedule


def load_calendar(session: Session, *, packaged: HolidayCalendar | None = None) -> HolidayCalendar:
    """The packaged calendar (``packaged``, default: chinesecalendar's) with every imported year
    laid over it."""
    calendar = packaged if packaged is not None else HolidayCalendar.default()
    for row in session.scalars(select(HolidaySchedule).order_by(HolidaySchedule.year)):
        calendar = calendar.with_schedule(parse_schedule_csv(row.content, whole_year=False))
    return calendar


def import_schedule(
    session: Session, content: str | bytes, *, actor: str, now: datetime
) -> YearSchedule:
    """Check and store a year's schedule (replacing an earlier import of that year).

    Raises CalendarImportError listing every problem, line by line; nothing is stored then.
    """
    schedule = parse_schedule_csv(content)
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    row = session.get(HolidaySchedule, schedule.year)
    if row is None:
        session.add(HolidaySchedule(year=schedule.year, content=text, imported_at=now, imported_by=actor))
    else:
        row.content, row.imported_at, row.imported_by = text, now, actor
    session.flush()
    return schedule


def imported_years(session: Session) -> list[HolidaySchedule]:
    """The imported schedules, newest year first."""
    return list(session.scalars(select(HolidaySchedule).order_by(HolidaySchedule.year.desc())))


class CalendarSource:
    """Where an application reads its calendar: packaged schedules, imports, a short cache."""

    def __init__(self, read: Callable[[Callable[[Session], HolidayCalendar]], HolidayCalendar],
                 *, packaged: HolidayCalendar | None = None, ttl: float = 30.0):
        # ``read`` runs a function on a fresh read-only session and returns its result.
        self.packaged = packaged if packaged is not None else HolidayCalendar.default()
        self._cache = CalendarCache(lambda: read(self.load), ttl=ttl)

    def load(self, session: Session) -> HolidayCalendar:
        """The calendar in force as ``session`` sees it."""
        return load_calendar(session, packaged=self.packaged)

    def __call__(self) -> HolidayCalendar:
        return self._cache()

    def invalidate(self) -> None:
        """Read the schedules again on next use (after an import)."""
        self._cache.invalidate()


class CalendarCache:
    """The calendar in force, re-read at most every ``ttl`` seconds (or at once after an import).

    Diagrams count periods many times a second; the schedules change once a year.
    """

    def __init__(self, load: Callable[[], HolidayCalendar], *, ttl: float = 60.0):
        self._load = load
        self._ttl = ttl
        self._lock = threading.Lock()
        self._value: HolidayCalendar | None = None
        self._loaded_at = 0.0

    def __call__(self) -> HolidayCalendar:
        with self._lock:
            if self._value is None or time.monotonic() - self._loaded_at > self._ttl:
                self._value = self._load()
                self._loaded_at = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        """Read the schedules again on next use (call after an import)."""
        with self._lock:
            self._value = None
