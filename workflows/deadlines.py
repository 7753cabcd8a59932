"""Legal time limits: counting calendar-day and working-day periods.

Counting rules (民事诉讼法 art 85; 民法典 arts 201–203; see docs DOMAIN §4):

* The day on which a period starts is not counted; a period in days starts the next day
  (民事诉讼法 art 85 para 2; 民法典 art 201).
* Calendar-day (CD) periods count every day. Holidays inside the period are not deducted. If the
  last day is a statutory holiday or a weekend day, the period ends on the first working day after
  it (民事诉讼法 art 85 para 3; 民法典 art 203 para 1). A Saturday or Sunday that the State Council
  made an official working day (调休上班, "make-up workday") is a working day, so a period ending on
  one does not move.
* Working-day (WD) periods (e.g. 在线调解规则 arts 10, 12, 15) count only working days: Monday to
  Friday that are not statutory holidays, plus make-up workdays.
* The period ends at 24:00 of the last day (民法典 art 203 para 2). 24:00 is not a valid clock time,
  so :class:`Deadline` carries both the last day as a ``date`` and ``due_at``, the aware datetime
  00:00 Asia/Shanghai of the day after: the first instant at which the period has expired
  (overdue ⇔ ``now >= due_at``). BPMN timers use ``Deadline.isoformat()``.

Conventions:

* Day boundaries are China Standard Time. A ``datetime`` argument must be timezone-aware; it is
  converted to its Asia/Shanghai date. Naive datetimes are refused because their zone is a guess.
* ``days`` is a non-negative ``int``. 0 days means the period ends on the start day itself (moved to
  the next working day like any other last day), so a suspended period can be resumed by counting
  :func:`days_left` from the resumption day.
* Holiday data is a :class:`HolidayCalendar`: per year, the State Council's statutory holidays and
  make-up workdays. The schedule is published yearly, so it is data: :meth:`HolidayCalendar.default`
  loads the years the ``chinesecalendar`` package carries and an administrator imports later years
  with :func:`parse_schedule_csv` and :meth:`HolidayCalendar.with_schedule`.
* A year without an official schedule is counted *provisionally* (DOMAIN §4): with the statutory
  holidays of 全国年节及纪念日放假办法 (2024 revision) alone, lunar dates computed by the ``holidays``
  package, and no make-up workdays (see :func:`statutory_holidays`). Every :class:`Deadline` whose
  counting inspected a day of such a year says so in ``provisional_years``, so it can be shown as
  provisional and recomputed once the year's schedule is imported. Only the days a rule actually
  inspects count: for a CD period the last day (and any days it moves past), for a WD period every
  day after the start.
* Dates are filed under their calendar year, not the schedule that announced them: the schedule for
  year Y sometimes places days in late December of Y−1 (e.g. 2018-12-29 was a make-up workday and
  2018-12-30/31 holidays under the 2019 schedule). Such days belong to Y−1's data; when a new
  schedule reaches back into December, re-import the previous year with those days added
  (:func:`schedule_to_csv` exports a year for editing).

Import file format (UTF-8 CSV, one year per file)::

    date,kind
    # comment lines and blank lines are ignored
    2027-01-01,holiday
    2027-01-09,workday

``kind`` is ``holiday`` (also ``休``) for a statutory rest day, weekends inside a holiday block
included, or ``workday`` (also ``班``) for a Saturday or Sunday that is an official working day.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays as holiday_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")

_ONE_DAY = timedelta(days=1)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SATURDAY = 5

# A year of chinesecalendar data counts as covered only when its State Council schedule was
# loaded. Every schedule since 2004 has a Spring Festival and a National Day block, whereas a year
# the package does not carry can still hold stray days the next year's schedule placed in late
# December (see the module docstring), so "some date of the year is present" is not enough.
_MARKER_FESTIVALS = frozenset(
    {chinese_calendar.Holiday.spring_festival.value, chinese_calendar.Holiday.national_day.value}
)


class CalendarDataMissing(LookupError):
    """Counting needs a year for which neither a schedule nor the statutory rules give holidays.

    Only years outside what the ``holidays`` package can compute (before 1950, after 2100) raise it.
    """

    def __init__(self, year: int) -> None:
        super().__init__(f"no holiday data for {year}: import the State Council's {year} schedule")
        self.year = year

    def __reduce__(self) -> tuple[type[CalendarDataMissing], tuple[int]]:
        # Rebuild from the year, not the message, so the error survives pickling (worker queues).
        return (type(self), (self.year,))


# What can be wrong with an import file: code -> English text (the web layer translates codes).
IMPORT_PROBLEMS = {
    "empty": "the file is empty: expected the header 'date,kind'",
    "not_utf8": "the file is not UTF-8 text (byte {byte}): save it as 'CSV UTF-8'",
    "header": "header must be 'date,kind', found {found!r}",
    "fields": "expected 2 fields 'date,kind', found {count}",
    "date_format": "{raw!r} is not a valid date: write it as YYYY-MM-DD",
    "no_such_date": "{raw!r} is not a valid date",
    "kind": "kind must be holiday or workday (休/班), not {raw!r}",
    "outside_year": "{day} is outside {year}: a schedule file holds one year",
    "duplicate": "{day} is already listed on line {first}",
    "weekday_workday": "{day} is a {weekday}, already a working day: a make-up workday (班) is "
                       "a Saturday or Sunday",
    "no_dates": "no dates after the header",
    "no_holidays": "no holiday rows: every State Council schedule has statutory holidays",
    "no_spring_festival": "no Spring Festival block: {day} (正月初一, the lunar new year) is not "
                          "listed as a holiday",
    "no_national_day": "no National Day block: {day} is not listed as a holiday",
}


@dataclass(frozen=True)
class ImportProblem:
    """One reason an import file was refused: a code of :data:`IMPORT_PROBLEMS`, its values and
    the line it is on (None for the whole file)."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)
    line: int | None = None

    def __str__(self) -> str:
        text = IMPORT_PROBLEMS[self.code].format(**self.params)
        return f"line {self.line}: {text}" if self.line is not None else text


class CalendarImportError(ValueError):
    """A holiday schedule file was refused; ``problems`` lists every reason found (in English),
    ``details`` the same as :class:`ImportProblem` values."""

    def __init__(self, problems: Iterable[ImportProblem | str]) -> None:
        found = list(problems)
        self.details = [p for p in found if isinstance(p, ImportProblem)]
        self.problems = [str(p) for p in found]
        super().__init__("holiday schedule not imported: " + "; ".join(self.problems))

    def __reduce__(self) -> tuple[type[CalendarImportError], tuple[list[ImportProblem | str]]]:
        return (type(self), ([*self.details] if self.details else list(self.problems),))


@dataclass(frozen=True)
class YearSchedule:
    """One calendar year's statutory holidays and make-up workdays.

    ``provisional`` marks a year computed from the statutory rules because its official schedule
    is not known yet.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    provisional: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable of dates but store frozensets, so the value stays immutable.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        problems = list(_schedule_problems(self.year, self.holidays, self.workdays))
        if problems:
            raise ValueError(f"invalid holiday schedule for {self.year}: " + "; ".join(problems))


def _schedule_problems(
    year: object, holidays: frozenset[date], workdays: frozenset[date]
) -> Iterator[str]:
    """Yield what makes a year's schedule impossible."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        yield f"year must be an int between 1 and 9999, got {year!r}"
        return
    if not holidays:
        yield "no statutory holidays (every State Council schedule has some)"
    # Sorted by text so the messages are in date order even when a non-date slipped in.
    for day in sorted(holidays | workdays, key=str):
        if isinstance(day, datetime) or not isinstance(day, date):
            yield f"{day!r} is not a date"
        elif day.year != year:
            yield f"{day.isoformat()} is not in {year}"
    for day in sorted(holidays & workdays, key=str):
        yield f"{day} is both a holiday and a workday"
    for day in sorted(workdays, key=str):
        if isinstance(day, date) and day.weekday() < _SATURDAY:
            yield f"make-up workday {day.isoformat()} is a {_WEEKDAY_NAMES[day.weekday()]}"


@dataclass(frozen=True)
class HolidayCalendar:
    """Immutable holiday data: one official :class:`YearSchedule` per covered year; any other
    year is counted with its provisional schedule (:func:`provisional_schedule`)."""

    schedules: Mapping[int, YearSchedule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        copied = dict(self.schedules)
        for year, schedule in copied.items():
            if not isinstance(schedule, YearSchedule) or schedule.year != year:
                raise ValueError(f"schedule filed under {year!r} is not a YearSchedule for {year}")
        # A read-only view of a private copy: callers cannot change the calendar behind our back.
        object.__setattr__(self, "schedules", MappingProxyType(copied))

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.schedules.items())))

    @classmethod
    def default(cls) -> HolidayCalendar:
        """The official schedules the installed chinesecalendar package carries (2004–2026 in
        v1.11; later releases add each year as the State Council publishes it)."""
        return _default_calendar()

    @property
    def covered_years(self) -> frozenset[int]:
        """Years for which this calendar has an official schedule."""
        return frozenset(self.schedules)

    def is_provisional(self, year: int) -> bool:
        """Whether ``year`` is counted without its official schedule."""
        return year not in self.schedules

    def schedule(self, year: int) -> YearSchedule:
        """The official schedule for ``year``, else its provisional one."""
        found = self.schedules.get(year)
        return found if found is not None else provisional_schedule(year)

    def up_to(self, last_year: int) -> HolidayCalendar:
        """This calendar without the official schedules of the years after ``last_year``."""
        return HolidayCalendar({y: s for y, s in self.schedules.items() if y <= last_year})

    def with_schedule(self, schedule: YearSchedule) -> HolidayCalendar:
        """A new calendar with ``schedule`` replacing whatever it had for that year."""
        return HolidayCalendar({**self.schedules, schedule.year: schedule})

    def with_year(
        self, year: int, *, holidays: Iterable[date], workdays: Iterable[date]
    ) -> HolidayCalendar:
        """A new calendar with ``year`` replaced by the given holidays and make-up workdays."""
        return self.with_schedule(YearSchedule(year, frozenset(holidays), frozenset(workdays)))


@functools.cache
def _default_calendar() -> HolidayCalendar:
    """Build (once; the value is immutable) the calendar from chinesecalendar's tables."""
    holidays: dict[int, set[date]] = defaultdict(set)
    workdays: dict[int, set[date]] = defaultdict(set)
    festivals: dict[int, set[str]] = defaultdict(set)
    for day, name in chinese_calendar.holidays.items():
        holidays[day.year].add(day)
        festivals[day.year].add(name)
    for day in chinese_calendar.workdays:
        workdays[day.year].add(day)
    covered = [year for year, names in festivals.items() if _MARKER_FESTIVALS <= names]
    return HolidayCalendar(
        {
            year: YearSchedule(year, frozenset(holidays[year]), frozenset(workdays[year]))
            for year in sorted(covered)
        }
    )


# The 2024 revision of 全国年节及纪念日放假办法 is in force from 2025; earlier years keep the rules
# the ``holidays`` package applies for them.
_REVISION_2024 = 2025
_LIBRARY_NAMES = {
    "spring_festival": "Chinese New Year (Spring Festival)",
    "qingming": "Tomb-Sweeping Day",
    "dragon_boat": "Dragon Boat Festival",
    "mid_autumn": "Mid-Autumn Festival",
}


@functools.cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of ``year`` without the State Council's 调休 arrangement.

    From 2025 (全国年节及纪念日放假办法, 2024 revision, art 2): New Year's Day 1 day; Spring Festival
    4 days, New Year's Eve to the 3rd day of the first lunar month; Qingming 1; Labour Day 2
    (1–2 May); Dragon Boat 1; Mid-Autumn 1; National Day 3 (1–3 October).  The lunar and solar-term
    dates come from the ``holidays`` package; the days of each festival are laid down here, so a
    library that counted them otherwise is corrected.  Days two festivals share count once.
    """
    computed = holiday_rules.China(years=year, observed=False, language="en_US")
    anchors = {key: sorted(computed.get_named(name, lookup="exact"))
               for key, name in _LIBRARY_NAMES.items()}
    if not anchors["spring_festival"]:
        raise CalendarDataMissing(year)
    if year < _REVISION_2024:
        return frozenset(day for day, name in computed.items() if "substituted" not in name)
    new_year = anchors["spring_festival"][0]
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2)}
    days |= {new_year + timedelta(days=k) for k in (-1, 0, 1, 2)}
    days |= {date(year, 10, d) for d in (1, 2, 3)}
    days |= {anchors[k][0] for k in ("qingming", "dragon_boat", "mid_autumn") if anchors[k]}
    return frozenset(days)


def lunar_new_year(year: int) -> date:
    """正月初一 of ``year`` (the first day of the Spring Festival)."""
    computed = holiday_rules.China(years=year, observed=False, language="en_US")
    found = sorted(computed.get_named(_LIBRARY_NAMES["spring_festival"], lookup="exact"))
    if not found:
        raise CalendarDataMissing(year)
    return found[0]


@functools.cache
def provisional_schedule(year: int) -> YearSchedule:
    """``year`` as counted before its schedule is published: statutory holidays, no 调休."""
    return YearSchedule(year, statutory_holidays(year), frozenset(), provisional=True)


@dataclass(frozen=True)
class Deadline:
    """The end of a period: its last day, and ``due_at`` = 00:00 Asia/Shanghai the day after.

    ``provisional_years`` are the years without an official schedule whose days the counting
    inspected: the deadline may move when their schedules are imported.
    """

    last_day: date
    due_at: datetime
    provisional_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "provisional_years", frozenset(self.provisional_years))
        if isinstance(self.last_day, datetime) or not isinstance(self.last_day, date):
            raise TypeError(f"last_day must be a date, not {type(self.last_day).__name__}")
        expected = _midnight_after(self.last_day)
        if not isinstance(self.due_at, datetime) or self.due_at.utcoffset() is None:
            raise ValueError(f"due_at must be an aware datetime, got {self.due_at!r}")
        if self.due_at != expected:
            raise ValueError(
                f"due_at {self.due_at.isoformat()} is not 24:00 of {self.last_day.isoformat()} "
                f"({expected.isoformat()})"
            )
        # Same instant in another zone: store the Shanghai form so isoformat() is stable.
        object.__setattr__(self, "due_at", expected)

    @classmethod
    def ending_on(cls, last_day: date, provisional_years: Iterable[int] = ()) -> Deadline:
        """The deadline at 24:00 (Asia/Shanghai) of ``last_day``."""
        return cls(last_day, _midnight_after(last_day), frozenset(provisional_years))

    @property
    def provisional(self) -> bool:
        """Whether the counting relied on a year without an official schedule."""
        return bool(self.provisional_years)

    def isoformat(self) -> str:
        """``due_at`` as an ISO 8601 string, e.g. '2025-02-06T00:00:00+08:00'."""
        return self.due_at.isoformat()


def _midnight_after(day: date) -> datetime:
    # Asia/Shanghai has had no DST since 1991, so local midnight always exists and is unambiguous.
    return datetime.combine(_shift(day, 1), time(0), tzinfo=SHANGHAI)


def _shift(day: date, days: int) -> date:
    """``day`` moved by ``days``, with a ValueError instead of OverflowError past year 9999."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise ValueError(
            f"{day.isoformat()} + {days} days is outside the supported dates"
        ) from None


def _local_day(value: date | datetime, what: str) -> date:
    """The Asia/Shanghai date of ``value``; naive datetimes are refused."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(
                f"{what} {value.isoformat()} is a naive datetime: pass an aware datetime or a date"
            )
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"{what} must be a date or an aware datetime, not {type(value).__name__}")


def _checked_days(days: object) -> int:
    # bool is an int subclass; True as "1 day" is always a caller's mistake.
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError(f"days must be a whole number of days (int), got {days!r}")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    return days


def is_working_day(day: date | datetime, calendar: HolidayCalendar) -> bool:
    """Whether ``day`` is an official working day (make-up workdays included).

    In a year without an official schedule the answer is provisional (statutory holidays only).
    """
    return _is_working(_local_day(day, "day"), calendar, set())


def _is_working(day: date, calendar: HolidayCalendar, provisional: set[int]) -> bool:
    """Whether ``day`` is a working day, noting its year in ``provisional`` if it has no schedule."""
    schedule = calendar.schedule(day.year)
    if schedule.provisional:
        provisional.add(day.year)
    if day in schedule.workdays:
        return True
    if day in schedule.holidays:
        return False
    return day.weekday() < _SATURDAY


def _first_working_day_from(day: date, calendar: HolidayCalendar, provisional: set[int]) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not _is_working(day, calendar, provisional):
        day = _shift(day, 1)
    return day


def add_calendar_days(
    start: date | datetime, days: int, *, calendar: HolidayCalendar
) -> Deadline:
    """The deadline of a period of ``days`` calendar days starting on ``start``."""
    first = _local_day(start, "start")
    nominal_last = _shift(first, _checked_days(days))
    provisional: set[int] = set()
    last = _first_working_day_from(nominal_last, calendar, provisional)
    return Deadline.ending_on(last, provisional)


def add_working_days(start: date | datetime, days: int, *, calendar: HolidayCalendar) -> Deadline:
    """The deadline of a period of ``days`` working days starting on ``start``."""
    day = _local_day(start, "start")
    remaining = _checked_days(days)
    provisional: set[int] = set()
    if remaining == 0:
        return Deadline.ending_on(_first_working_day_from(day, calendar, provisional), provisional)
    while remaining:
        day = _shift(day, 1)
        if _is_working(day, calendar, provisional):
            remaining -= 1
    return Deadline.ending_on(day, provisional)


def working_days_between(
    start: date | datetime, end: date | datetime, *, calendar: HolidayCalendar
) -> int:
    """Working days after ``start`` up to and including ``end`` (start not counted)."""
    first = _local_day(start, "start")
    last = _local_day(end, "end")
    if last < first:
        raise ValueError(f"end {last.isoformat()} is before start {first.isoformat()}")
    count = 0
    day = first
    while day < last:
        day = _shift(day, 1)
        count += is_working_day(day, calendar)
    return count


def days_left(deadline: Deadline, *, now: date | datetime) -> int:
    """Whole calendar days until the last day: 0 on it, negative once overdue."""
    return (deadline.last_day - _local_day(now, "now")).days


_KINDS = {"holiday": "holiday", "休": "holiday", "workday": "workday", "班": "workday"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HEADER = ["date", "kind"]


def parse_schedule_csv(content: str | bytes, *, whole_year: bool = True) -> YearSchedule:
    """Parse an administrator's ``date,kind`` CSV into one year's schedule.

    The file must hold one year: every date in it belongs to the year most of its dates are in.
    With ``whole_year`` (an import) it must also be a plausible whole schedule: the Spring
    Festival block (正月初一 a holiday) and the National Day block (1 October a holiday).  Files
    stored by earlier imports are read back without that check.
    """
    lines = _numbered_lines(_decode(content))
    problems: list[ImportProblem] = []
    header = next(lines, None)
    if header is None:
        raise CalendarImportError([ImportProblem("empty")])
    number, fields = header
    if [f.lower() for f in fields] != _HEADER:
        problems.append(ImportProblem("header", {"found": ",".join(fields)}, number))
    rows, year = _parse_rows(lines, problems)
    if not problems:
        problems.extend(_file_problems(rows, year, whole_year=whole_year))
    if problems or year is None:
        raise CalendarImportError(problems or [ImportProblem("no_dates")])
    holidays = frozenset(day for day, kind in rows.items() if kind == "holiday")
    workdays = frozenset(day for day, kind in rows.items() if kind == "workday")
    return YearSchedule(year, holidays, workdays)


def _decode(content: str | bytes) -> str:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CalendarImportError([ImportProblem("not_utf8", {"byte": error.start})]) from None
    # Spreadsheet programs on Windows put a byte-order mark in front of UTF-8 CSV files.
    return content.removeprefix("\ufeff")


def _numbered_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, stripped fields) for each line that is neither blank nor a comment."""
    # Split physical lines ourselves so every message names the line an editor shows.
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader([line]))]
        # Spreadsheets pad rows with empty trailing cells; they carry nothing.
        while len(fields) > 2 and not fields[-1]:
            fields.pop()
        yield number, fields


_Parsed = tuple[int, "date | None", "str | None", "list[ImportProblem]"]


def _parse_rows(
    lines: Iterator[tuple[int, list[str]]], problems: list[ImportProblem]
) -> tuple[dict[date, str], int | None]:
    """Collect date → kind for the data lines and the file's year, appending a message per bad
    line."""
    parsed: list[_Parsed] = []
    for number, fields in lines:
        if len(fields) != 2:
            parsed.append((number, None, None,
                           [ImportProblem("fields", {"count": len(fields)}, number)]))
            continue
        raw_date, raw_kind = fields
        day, date_problem = _parse_date(raw_date)
        kind = _KINDS.get(raw_kind.lower())
        line_problems = [ImportProblem(date_problem, {"raw": raw_date}, number)] \
            if date_problem else []
        if kind is None:
            line_problems.append(ImportProblem("kind", {"raw": raw_kind}, number))
        parsed.append((number, day, kind, line_problems))
    years = Counter(day.year for _, day, _, _ in parsed if day is not None)
    # The year most dates are in; on a tie the first date's (a file lists its year in order).
    year = max(years, key=lambda y: (years[y], -_first_index(parsed, y))) if years else None
    rows: dict[date, str] = {}
    seen_on: dict[date, int] = {}
    for number, day, kind, line_problems in parsed:
        if day is not None and year is not None:
            line_problems.extend(_date_problems(day, kind, year, seen_on, number))
            seen_on.setdefault(day, number)
        if line_problems:
            problems.extend(line_problems)
        elif day is not None and kind is not None:
            rows[day] = kind
    return rows, year


def _first_index(parsed: list[_Parsed], year: int) -> int:
    return next(i for i, (_, day, _, _) in enumerate(parsed) if day is not None and day.year == year)


def _parse_date(raw: str) -> tuple[date | None, str | None]:
    """The date, or the code of what is wrong with it."""
    if not _ISO_DATE.fullmatch(raw):
        return None, "date_format"
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, "no_such_date"


def _date_problems(
    day: date, kind: str | None, year: int, seen_on: Mapping[date, int], line: int
) -> Iterator[ImportProblem]:
    if day.year != year:
        yield ImportProblem("outside_year", {"day": day.isoformat(), "year": year}, line)
    if day in seen_on:
        yield ImportProblem("duplicate", {"day": day.isoformat(), "first": seen_on[day]}, line)
    if kind == "workday" and day.weekday() < _SATURDAY:
        yield ImportProblem("weekday_workday", {
            "day": day.isoformat(), "weekday": _WEEKDAY_NAMES[day.weekday()]}, line)


def _file_problems(rows: Mapping[date, str], year: int | None, *, whole_year: bool
                   ) -> Iterator[ImportProblem]:
    if not rows or year is None:
        yield ImportProblem("no_dates")
        return
    if "holiday" not in rows.values():
        yield ImportProblem("no_holidays")
        return
    if not whole_year:
        return
    # Every schedule rests on 正月初一 and on 1 October, whatever else it arranges around them.
    try:
        spring = lunar_new_year(year)
    except CalendarDataMissing:
        spring = None
    if spring is not None and rows.get(spring) != "holiday":
        yield ImportProblem("no_spring_festival", {"day": spring.isoformat()})
    national = date(year, 10, 1)
    if rows.get(national) != "holiday":
        yield ImportProblem("no_national_day", {"day": national.isoformat()})


def schedule_to_csv(schedule: YearSchedule) -> str:
    """One year's schedule in the import format, sorted by date (for review or re-import)."""
    rows = [(day, "holiday") for day in schedule.holidays]
    rows += [(day, "workday") for day in schedule.workdays]
    body = "".join(f"{day.isoformat()},{kind}\n" for day, kind in sorted(rows))
    return "date,kind\n" + body
