"""The engine's notion of "now", shared with SpiffWorkflow's timers.

SpiffWorkflow decides whether a timer has fired with ``datetime.now(timezone.utc)``, read from its
timer module.  The engine runs every step inside :func:`using_clock`, and that module's ``datetime``
is replaced by a subclass whose ``now()`` asks the clock of the step in progress.  So the injected
clock (a real one in production, a controllable one in tests and in ``tiaojie try``) is the only
source of time for both the engine's own timestamps and the library's timer decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

Clock = Callable[[], datetime]

SHANGHAI = ZoneInfo("Asia/Shanghai")

_current_clock: ContextVar[Clock | None] = ContextVar("tiaojie_clock", default=None)
_step_notes: ContextVar[list[Any] | None] = ContextVar("tiaojie_step_notes", default=None)


def system_clock() -> datetime:
    """Return the current time as an aware datetime."""
    return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stands still until it is moved; for tests, trials and simulations."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        self.current = self.current + delta
        return self.current

    def set(self, when: datetime) -> None:
        """Move the clock to ``when``."""
        if when.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.current = when


class _ClockedDatetime(datetime):
    """``datetime`` whose ``now()`` follows the clock of the engine step in progress."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        clock = _current_clock.get()
        if clock is None:
            return datetime.now(tz)
        value = clock()
        return value.astimezone(tz) if tz is not None else value.astimezone().replace(tzinfo=None)

    # The library builds its due times with these; hand back plain datetimes so the subclass
    # never leaks into projections or views.
    @classmethod
    def fromisoformat(cls, date_string: str) -> datetime:  # type: ignore[override]
        return datetime.fromisoformat(date_string)

    @classmethod
    def combine(cls, *args: object, **kwargs: object) -> datetime:  # type: ignore[override]
        return datetime.combine(*args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def fromisocalendar(cls, year: int, week: int, day: int) -> datetime:  # type: ignore[override]
        return datetime.fromisocalendar(year, week, day)


# The library's timers read ``datetime`` from their own module; this is the one place it is bent.
_spiff_timer.datetime = _ClockedDatetime  # type: ignore[misc]


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Run the body with ``clock`` as the time source of SpiffWorkflow's timers."""
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)


def step_time(fallback: Clock) -> datetime:
    """The time of the engine step in progress, else ``fallback()``.

    Functions diagrams call tell time with this, so that a step the engine runs again (a retry)
    computes with the time it first ran.
    """
    clock = _current_clock.get()
    return clock() if clock is not None else fallback()


def step_notes() -> list[Any] | None:
    """Notes the application attaches to the engine step in progress (None outside a step).

    A function a diagram calls appends to it; the engine's ``after_step`` hook reads it before the
    step ends.  Notes of a step that fails with an exception go with it.
    """
    return _step_notes.get()


@contextmanager
def collecting_step_notes() -> Iterator[list[Any]]:
    """Run the body as one step with an empty list of notes (see :func:`step_notes`)."""
    notes: list[Any] = []
    token = _step_notes.set(notes)
    try:
        yield notes
    finally:
        _step_notes.reset(token)


def aware(value: datetime) -> datetime:
    """Return ``value`` as an aware datetime, reading a naive one as UTC (how SQLite returns it)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
