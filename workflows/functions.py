"""The functions the mediation diagrams may call in expressions, scripts and timers.

They are registered with the engine through ``EngineConfig(functions=process_functions(...))``.
Diagram data is JSON, so every function takes and returns plain values: dates as ISO 8601 text
(``'2026-03-02'``), instants as ISO 8601 text with an offset (``'2026-03-10T00:00:00+08:00'``),
day counts as ``int``.  A date-time without an offset is read as China Standard Time, like every
other date written in a diagram (see engine/sandbox.py).

Periods are counted by :mod:`workflows.deadlines` (民事诉讼法 art 85): the start day is not counted,
a last day on a weekend or statutory holiday moves to the next working day, and the period ends at
24:00 of its last day.  A deadline is therefore returned as its ``due_at``, the first instant at
which the period has expired (00:00 Asia/Shanghai the day after the last day), which is exactly
what a BPMN ``timeDate`` needs.

Units: ``'CD'`` calendar days, ``'WD'`` working days (weekends and holidays skipped, make-up
working days counted).  A year without an official schedule is counted provisionally (statutory
holidays only).  Every deadline a diagram computes is noted on the engine step in progress as a
:class:`CountedPeriod` (start, days, unit, due and the provisional years it relied on), so the
application can keep it, show it as provisional and recompute it when the year's schedule arrives.

``now()`` and ``today()`` read the time of the engine step in progress: a step the engine retries
after an error computes with the time it first ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engine.clock import step_notes, step_time
from workflows.deadlines import (
    SHANGHAI,
    Deadline,
    HolidayCalendar,
    add_calendar_days,
    add_working_days,
    working_days_between,
)

__all__ = ["CALENDAR_DAYS", "WORKING_DAYS", "CountedPeriod", "count_period", "process_functions"]

CALENDAR_DAYS = "CD"
WORKING_DAYS = "WD"
_UNITS = (CALENDAR_DAYS, WORKING_DAYS)


@dataclass(frozen=True)
class CountedPeriod:
    """A period a diagram counted: from ``start``, ``days`` in ``unit``, ending at ``deadline``."""

    start: date
    days: int
    unit: str
    deadline: Deadline


def count_period(start: date, days: int, unit: str, *, calendar: HolidayCalendar) -> Deadline:
    """The deadline of ``days`` in ``unit`` ('CD' or 'WD') from ``start``."""
    if _unit(unit) == WORKING_DAYS:
        return add_working_days(start, days, calendar=calendar)
    return add_calendar_days(start, days, calendar=calendar)


def process_functions(
    *,
    calendar: HolidayCalendar | Callable[[], HolidayCalendar],
    clock: Callable[[], datetime],
) -> dict[str, Callable[..., Any]]:
    """The functions diagrams may call, counting with ``calendar``, telling time by ``clock``.

    ``calendar`` may be a function returning the calendar in force, so that a holiday schedule an
    administrator imports counts from the next step on, without a restart.
    """
    current = calendar if callable(calendar) else (lambda: calendar)

    def counted(start: str, days: int, unit: str) -> str:
        first = _day(start)
        found = count_period(first, days, unit, calendar=current())
        notes = step_notes()
        if notes is not None:
            notes.append(CountedPeriod(first, days, unit, found))
        return found.isoformat()

    def deadline_cd(start: str, days: int) -> str:
        """The due instant of a period of ``days`` calendar days starting on ``start``."""
        return counted(start, days, CALENDAR_DAYS)

    def deadline_wd(start: str, days: int) -> str:
        """The due instant of a period of ``days`` working days starting on ``start``."""
        return counted(start, days, WORKING_DAYS)

    def deadline(start: str, days: int, unit: str) -> str:
        """The due instant of a period of ``days`` in ``unit`` ('CD' or 'WD') from ``start``."""
        return counted(start, days, _unit(unit))

    def days_between(start: str, end: str, unit: str = CALENDAR_DAYS) -> int:
        """Days in ``unit`` after ``start`` up to and including ``end`` (negative if earlier).

        That is the days of a running period used up by ``end``: its start day is not counted,
        ``end`` is.
        """
        first, last = _day(start), _day(end)
        if _unit(unit) == CALENDAR_DAYS:
            return (last - first).days
        if last < first:
            return -working_days_between(last, first, calendar=current())
        return working_days_between(first, last, calendar=current())

    def deadline_years(start: str, years: int) -> str:
        """The due instant of a period of ``years`` years starting on ``start``.

        Its last day is the same day ``years`` later (民法典 art 202; 28 February for 29
        February), moved past a weekend or holiday when that year's schedule is known; a year
        without a schedule yet keeps the nominal last day, which is never later than the law's.
        """
        first = _day(start)
        if isinstance(years, bool) or not isinstance(years, int) or years < 0:
            raise ValueError(f"years must be a whole number of years, got {years!r}")
        try:
            last = first.replace(year=first.year + years)
        except ValueError:  # 29 February in a year without one
            last = first.replace(year=first.year + years, day=28)
        calendar_now = current()
        if last.year in calendar_now.covered_years:
            return add_calendar_days(last, 0, calendar=calendar_now).isoformat()
        return Deadline.ending_on(last).isoformat()

    def last_day(due: str) -> str:
        """The last day (ISO date) of the period whose deadline is the instant ``due``."""
        return (_instant(due).astimezone(SHANGHAI) - timedelta(microseconds=1)).date().isoformat()

    def now() -> str:
        """The time of the step in progress (else the clock's), in China Standard Time."""
        return step_time(clock).astimezone(SHANGHAI).isoformat(timespec="seconds")

    def today() -> str:
        """The date of the step in progress (else the clock's) in China Standard Time."""
        return step_time(clock).astimezone(SHANGHAI).date().isoformat()

    return {
        "deadline_cd": deadline_cd,
        "deadline_wd": deadline_wd,
        "deadline": deadline,
        "days_between": days_between,
        "deadline_years": deadline_years,
        "last_day": last_day,
        "now": now,
        "today": today,
    }


def _day(value: str) -> date:
    """The China Standard Time date of an ISO date or date-time text."""
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date as text, got {type(value).__name__}")
    if "T" in value or " " in value.strip():
        return _instant(value).astimezone(SHANGHAI).date()
    return date.fromisoformat(value)


def _instant(value: str) -> datetime:
    """An aware datetime from ISO text; a date-time without an offset is China Standard Time."""
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date-time as text, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SHANGHAI)


def _unit(unit: str) -> str:
    if unit not in _UNITS:
        raise ValueError(f"unit must be 'CD' (calendar days) or 'WD' (working days), got {unit!r}")
    return unit
