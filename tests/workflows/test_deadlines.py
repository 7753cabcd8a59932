"""Tests for workflows.deadlines; every expected date is worked out by hand beside it.

Holiday data used (from chinesecalendar 1.11, checked against the State Council notices):
  2025 Spring Festival: off 01-28 (Tue) .. 02-04 (Tue); make-up workdays 01-26 (Sun), 02-08 (Sat)
  2025 National Day:    off 10-01 (Wed) .. 10-08 (Wed); make-up workdays 09-28 (Sun), 10-11 (Sat)
  2026 New Year:        off 01-01 (Thu) .. 01-03 (Sat); make-up workday 01-04 (Sun)
  2026 Spring Festival: off 02-15 (Sun) .. 02-23 (Mon); make-up workdays 02-14 (Sat), 02-28 (Sat)
  2026 Mid-Autumn:      off 09-25 (Fri) .. 09-27 (Sun)
  2026 National Day:    off 10-01 (Thu) .. 10-07 (Wed); make-up workdays 09-20 (Sun), 10-10 (Sat)

Years after 2026 are counted here with calendars that stop at 2026 (``CAL``), whatever years the
installed chinesecalendar carries, so they are provisional: statutory holidays only.
  2027 statutory: 01-01 (Fri); Spring Festival 02-05 (Fri, eve) .. 02-08 (Mon); Qingming 04-05
  (Mon); Labour 05-01, 05-02 (Sat, Sun); Dragon Boat 06-09 (Wed); Mid-Autumn 09-15 (Wed);
  National Day 10-01 (Fri) .. 10-03 (Sun).
"""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workflows.deadlines import (
    SHANGHAI,
    CalendarDataMissing,
    CalendarImportError,
    Deadline,
    HolidayCalendar,
    YearSchedule,
    add_calendar_days,
    add_working_days,
    days_left,
    is_working_day,
    parse_schedule_csv,
    provisional_schedule,
    schedule_to_csv,
    statutory_holidays,
    working_days_between,
)

# The packaged data up to 2026 (chinesecalendar 1.11's); later releases may carry more years.
CAL = HolidayCalendar.default().up_to(2026)


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- the holiday data itself -------------------------------------------------------------------


def test_default_calendar_covers_2004_to_2026_at_least() -> None:
    assert HolidayCalendar.default().covered_years >= frozenset(range(2004, 2027))
    assert CAL.covered_years == frozenset(range(2004, 2027))


@pytest.mark.parametrize(
    ("year", "holidays", "workdays"),
    [
        (
            2025,
            ["01-28", "01-29", "01-30", "01-31", "02-01", "02-02", "02-03", "02-04"],
            ["01-26", "02-08"],
        ),
        (
            2026,
            ["02-15", "02-16", "02-17", "02-18", "02-19", "02-20", "02-21", "02-22", "02-23"],
            ["02-14", "02-28"],
        ),
    ],
)
def test_spring_festival_data_matches_the_state_council(
    year: int, holidays: list[str], workdays: list[str]
) -> None:
    # The Spring Festival block and its make-up days fall between 01-10 and 03-10 in both years;
    # New Year (01-01..01-04) is outside that window.
    schedule = CAL.schedule(year)
    window = (date(year, 1, 10), date(year, 3, 10))
    assert {day for day in schedule.holidays if window[0] <= day <= window[1]} == {
        d(f"{year}-{md}") for md in holidays
    }
    assert {day for day in schedule.workdays if window[0] <= day <= window[1]} == {
        d(f"{year}-{md}") for md in workdays
    }


def test_2026_autumn_data_matches_the_state_council() -> None:
    # Mid-Autumn 09-25..27 and National Day 10-01..07 are separate blocks in 2026;
    # make-up workdays 09-20 (Sun) and 10-10 (Sat) belong to National Day.
    schedule = CAL.schedule(2026)
    autumn = {day for day in schedule.holidays if day.month in (9, 10)}
    assert autumn == {d("2026-09-25"), d("2026-09-26"), d("2026-09-27")} | {
        date(2026, 10, n) for n in range(1, 8)
    }
    assert {day for day in schedule.workdays if day.month in (9, 10)} == {
        d("2026-09-20"),
        d("2026-10-10"),
    }


def test_days_a_schedule_places_in_the_previous_december_are_filed_under_that_year() -> None:
    # The 2019 schedule made 2018-12-29 (Sat) a workday and 2018-12-30/31 holidays.
    assert is_working_day(d("2018-12-29"), CAL)
    assert not is_working_day(d("2018-12-31"), CAL)  # a Monday, but a holiday


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-01-24", True),  # ordinary Friday
        ("2025-01-25", False),  # ordinary Saturday
        ("2025-01-26", True),  # Sunday, make-up workday
        ("2025-01-28", False),  # Tuesday, Spring Festival
        ("2025-02-01", False),  # Saturday inside the Spring Festival block
        ("2025-02-08", True),  # Saturday, make-up workday
        ("2026-01-04", True),  # Sunday, make-up workday for New Year 2026
    ],
)
def test_is_working_day(day: str, working: bool) -> None:
    assert is_working_day(d(day), CAL) is working


# --- calendar-day periods ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "last_day"),
    [
        # 2025-01-21 + 10 = 01-31 (Fri, Spring Festival); 02-01..02-04 are holidays too
        # (02-01/02 a weekend inside the block) → first working day 02-05 (Wed).
        ("2025-01-21", 10, "2025-02-05"),
        # 2025-01-18 + 10 = 01-28 (Tue), the first day of the Spring Festival → 02-05.
        ("2025-01-18", 10, "2025-02-05"),
        # 2025-01-20 + 30 = 02-19 (Wed), an ordinary working day: the eight holidays
        # 01-28..02-04 inside the period are not deducted.
        ("2025-01-20", 30, "2025-02-19"),
        # 2025-01-29 + 10 = 02-08, a Saturday but a make-up workday: no move.
        ("2025-01-29", 10, "2025-02-08"),
        # 2025-01-16 + 10 = 01-26, a Sunday but a make-up workday: no move.
        ("2025-01-16", 10, "2025-01-26"),
        # 2025-03-05 + 10 = 03-15, an ordinary Saturday; 03-16 Sunday → Monday 03-17.
        ("2025-03-05", 10, "2025-03-17"),
        # 2025-09-20 + 15 = 10-05 (Sun, National Day); 10-06..10-08 holidays → 10-09 (Thu).
        ("2025-09-20", 15, "2025-10-09"),
        # 2025-09-18 + 10 = 09-28, a Sunday but a make-up workday: no move.
        ("2025-09-18", 10, "2025-09-28"),
        # 2025-10-01 + 10 = 10-11, a Saturday but a make-up workday: no move.
        ("2025-10-01", 10, "2025-10-11"),
        # 2025-09-01 + 30 = 10-01 (Wed): the whole 10-01..10-08 block is skipped → 10-09.
        ("2025-09-01", 30, "2025-10-09"),
        # 2025-12-24 + 10 = 2026-01-03 (Sat, New Year holiday); the next day 01-04 is a
        # Sunday but a make-up workday, so the period ends on that Sunday.
        ("2025-12-24", 10, "2026-01-04"),
        # 2026-02-10 + 7 = 02-17 (Tue, Spring Festival); 02-18..02-23 holidays → 02-24 (Tue).
        ("2026-02-10", 7, "2026-02-24"),
        # 2026-02-04 + 10 = 02-14, a Saturday but a make-up workday: no move.
        ("2026-02-04", 10, "2026-02-14"),
        # 2026-09-15 + 10 = 09-25 (Fri, Mid-Autumn); 09-26/27 holidays → 09-28 (Mon).
        ("2026-09-15", 10, "2026-09-28"),
        # 2026-09-21 + 15 = 10-06 (Tue, National Day); 10-07 holiday → 10-08 (Thu).
        ("2026-09-21", 15, "2026-10-08"),
        # 2026-09-30 + 10 = 10-10, a Saturday but a make-up workday: no move.
        ("2026-09-30", 10, "2026-10-10"),
        # 0 days: the start day itself, 2025-03-05 (Wed), a working day.
        ("2025-03-05", 0, "2025-03-05"),
        # 0 days from 2025-10-03 (holiday): moved like any last day → 10-09 (Thu).
        ("2025-10-03", 0, "2025-10-09"),
        # A period starting before the data (2003) only needs the year of its last day:
        # 2003-12-18 + 30 = 2004-01-17, a Saturday but a 2004 make-up workday.
        ("2003-12-18", 30, "2004-01-17"),
    ],
)
def test_add_calendar_days(start: str, days: int, last_day: str) -> None:
    deadline = add_calendar_days(d(start), days, calendar=CAL)
    assert deadline.last_day == d(last_day)
    assert deadline.due_at == datetime.combine(
        d(last_day) + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI
    )


def test_calendar_deadline_is_midnight_after_the_last_day_in_shanghai() -> None:
    # 2025-01-21 + 10 CD → last day 2025-02-05 (see above) → due 2025-02-06 00:00 +08:00.
    deadline = add_calendar_days(d("2025-01-21"), 10, calendar=CAL)
    assert deadline.isoformat() == "2025-02-06T00:00:00+08:00"
    assert deadline.due_at == datetime(2025, 2, 5, 16, 0, tzinfo=timezone.utc)


# --- working-day periods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "last_day"),
    [
        # From 2025-01-24 (Fri): 25 Sat no; 26 Sun make-up (1); 27 Mon (2);
        # 28..02-04 holidays; 02-05 Wed (3).
        ("2025-01-24", 3, "2025-02-05"),
        # From 2025-02-03 (holiday): 02-04 holiday; 05 Wed (1), 06 (2), 07 Fri (3),
        # 08 Sat make-up (4), 09 Sun no, 10 Mon (5).
        ("2025-02-03", 5, "2025-02-10"),
        # From 2025-09-26 (Fri): 27 Sat no; 28 Sun make-up (1); 29 Mon (2); 30 Tue (3).
        ("2025-09-26", 3, "2025-09-30"),
        # From 2025-09-30 (Tue): 10-01..10-08 holidays; 09 Thu (1); 10 Fri (2);
        # 11 Sat make-up (3).
        ("2025-09-30", 3, "2025-10-11"),
        # Medical room, 30 WD from 2025-09-15 (Mon): 09-16..19 (1-4); 22..26 (5-9);
        # 28 Sun make-up (10); 29, 30 (11, 12); 10-01..08 holidays; 09, 10 (13, 14);
        # 11 Sat make-up (15); 13..17 (16-20); 20..24 (21-25); 27..31 (26-30).
        ("2025-09-15", 30, "2025-10-31"),
        # From 2026-02-12 (Thu): 13 Fri (1); 14 Sat make-up (2); 15..23 holidays; 24 Tue (3).
        ("2026-02-12", 3, "2026-02-24"),
        # From 2026-09-17 (Thu): 18 Fri (1); 19 Sat no; 20 Sun make-up (2); 21 Mon (3);
        # 22 (4); 23 Wed (5).
        ("2026-09-17", 5, "2026-09-23"),
        # From 2026-09-29 (Tue): 30 Wed (1); 10-01..07 holidays; 08 Thu (2); 09 Fri (3);
        # 10 Sat make-up (4).
        ("2026-09-29", 4, "2026-10-10"),
        # From 2025-12-30 (Tue): 31 Wed (1); 2026-01-01..03 holidays; 04 Sun make-up (2).
        ("2025-12-30", 2, "2026-01-04"),
        # 0 WD from a working day (2025-01-24, Fri): that day.
        ("2025-01-24", 0, "2025-01-24"),
        # 0 WD from 2025-01-25 (Sat): next working day, 01-26 (Sun make-up).
        ("2025-01-25", 0, "2025-01-26"),
    ],
)
def test_add_working_days(start: str, days: int, last_day: str) -> None:
    assert add_working_days(d(start), days, calendar=CAL).last_day == d(last_day)


def test_working_deadline_iso_string() -> None:
    # 3 WD from 2025-01-24 → last day 2025-02-05 (see above).
    deadline = add_working_days(d("2025-01-24"), 3, calendar=CAL)
    assert deadline.isoformat() == "2025-02-06T00:00:00+08:00"


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        # The 30 WD medical period above, counted back.
        ("2025-09-15", "2025-10-31", 30),
        # (2025-01-24, 2025-02-05]: 26 Sun make-up, 27 Mon, 02-05 Wed.
        ("2025-01-24", "2025-02-05", 3),
        # (2025-10-01, 2025-10-08]: all holidays.
        ("2025-10-01", "2025-10-08", 0),
        # Empty range.
        ("2025-03-05", "2025-03-05", 0),
    ],
)
def test_working_days_between(start: str, end: str, count: int) -> None:
    assert working_days_between(d(start), d(end), calendar=CAL) == count


def test_working_days_between_refuses_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="end 2025-03-01 is before start 2025-03-05"):
        working_days_between(d("2025-03-05"), d("2025-03-01"), calendar=CAL)


# --- datetimes and time zones ------------------------------------------------------------------


def test_aware_start_late_evening_utc_is_next_day_in_shanghai() -> None:
    # 2025-02-07 17:00 UTC is 2025-02-08 01:00 in Shanghai, so the start day is 02-08 (Sat).
    start = datetime(2025, 2, 7, 17, 0, tzinfo=timezone.utc)
    # CD: 02-08 + 1 = 02-09 (ordinary Sunday) → Monday 02-10.
    # (Counting from the UTC date 02-07 would give 02-08, a make-up Saturday.)
    assert add_calendar_days(start, 1, calendar=CAL).last_day == d("2025-02-10")
    # WD: after 02-08, 09 Sun no, 10 Mon (1).
    assert add_working_days(start, 1, calendar=CAL).last_day == d("2025-02-10")


def test_aware_start_one_second_before_midnight_shanghai_stays_on_that_day() -> None:
    # 2025-02-07 15:59:59 UTC is 23:59:59 on 02-07 in Shanghai: 02-07 + 1 = 02-08 (make-up Sat).
    start = datetime(2025, 2, 7, 15, 59, 59, tzinfo=timezone.utc)
    assert add_calendar_days(start, 1, calendar=CAL).last_day == d("2025-02-08")


def test_aware_start_in_another_zone() -> None:
    # 2025-01-24 11:30 in New York (EST, UTC-5) is 2025-01-25 00:30 in Shanghai (Sat).
    # 3 WD after 01-25: 26 Sun make-up (1), 27 Mon (2), 28..02-04 holidays, 02-05 (3).
    start = datetime(2025, 1, 24, 11, 30, tzinfo=ZoneInfo("America/New_York"))
    assert add_working_days(start, 3, calendar=CAL).last_day == d("2025-02-05")


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        add_calendar_days(datetime(2025, 1, 24, 9, 0), 3, calendar=CAL)
    with pytest.raises(ValueError, match="naive datetime"):
        is_working_day(datetime(2025, 1, 24, 9, 0), CAL)
    with pytest.raises(ValueError, match="naive datetime"):
        days_left(Deadline.ending_on(d("2025-02-05")), now=datetime(2025, 2, 1))


def test_start_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="start must be a date or an aware datetime, not str"):
        add_calendar_days("2025-01-24", 3, calendar=CAL)  # type: ignore[arg-type]


# --- argument checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (-1, "days must not be negative, got -1"),
        (1.5, "days must be a whole number of days"),
        (True, "days must be a whole number of days"),
        ("3", "days must be a whole number of days"),
    ],
)
def test_days_must_be_a_non_negative_int(days: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        add_calendar_days(d("2025-03-05"), days, calendar=CAL)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        add_working_days(d("2025-03-05"), days, calendar=CAL)  # type: ignore[arg-type]


def test_period_beyond_the_last_representable_date_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="outside the supported dates"):
        add_calendar_days(d("2025-03-05"), 10**7, calendar=CAL)


# --- days_left ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "left"),
    [
        # Deadline: last day 2025-02-05, due 2025-02-06T00:00+08:00.
        (date(2025, 2, 1), 4),  # 02-01 → 02-05 is 4 days away
        (datetime(2025, 2, 4, 23, 59, tzinfo=SHANGHAI), 1),
        (datetime(2025, 2, 5, 0, 0, tzinfo=SHANGHAI), 0),  # on the last day
        (datetime(2025, 2, 5, 23, 59, 59, tzinfo=SHANGHAI), 0),  # still the last day
        (datetime(2025, 2, 5, 16, 0, tzinfo=timezone.utc), -1),  # = 02-06 00:00 Shanghai
        (date(2025, 2, 10), -5),  # five days overdue
    ],
)
def test_days_left(now: date | datetime, left: int) -> None:
    deadline = add_working_days(d("2025-01-24"), 3, calendar=CAL)
    assert deadline.last_day == d("2025-02-05")
    assert days_left(deadline, now=now) == left


def test_days_left_is_negative_exactly_when_due_at_has_passed() -> None:
    deadline = Deadline.ending_on(d("2025-02-05"))
    just_before = deadline.due_at - timedelta(microseconds=1)
    assert days_left(deadline, now=just_before) == 0
    assert days_left(deadline, now=deadline.due_at) == -1


def test_resuming_a_suspended_period_with_the_days_left() -> None:
    # 30 CD from 2025-03-03 → 04-02 (Wed). Suspended on 03-10 with 23 days left; resumed on
    # 2025-09-08: 09-08 + 23 = 10-01 (Wed, National Day) → 10-09 (Thu).
    deadline = add_calendar_days(d("2025-03-03"), 30, calendar=CAL)
    assert deadline.last_day == d("2025-04-02")
    left = days_left(deadline, now=d("2025-03-10"))
    assert left == 23
    assert add_calendar_days(d("2025-09-08"), left, calendar=CAL).last_day == d("2025-10-09")


# --- Deadline value ----------------------------------------------------------------------------


def test_deadline_is_frozen_and_consistent() -> None:
    deadline = Deadline.ending_on(d("2025-02-05"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        deadline.last_day = d("2025-02-06")  # type: ignore[misc]
    with pytest.raises(ValueError, match="is not 24:00 of 2025-02-05"):
        Deadline(d("2025-02-05"), datetime(2025, 2, 5, 0, 0, tzinfo=SHANGHAI))
    with pytest.raises(ValueError, match="aware datetime"):
        Deadline(d("2025-02-05"), datetime(2025, 2, 6, 0, 0))
    with pytest.raises(TypeError, match="last_day must be a date"):
        Deadline(datetime(2025, 2, 5, tzinfo=SHANGHAI), datetime(2025, 2, 6, tzinfo=SHANGHAI))


def test_deadline_given_the_same_instant_in_utc_is_stored_in_shanghai_time() -> None:
    deadline = Deadline(d("2025-02-05"), datetime(2025, 2, 5, 16, 0, tzinfo=timezone.utc))
    assert deadline.isoformat() == "2025-02-06T00:00:00+08:00"
    assert deadline == Deadline.ending_on(d("2025-02-05"))


# --- missing years and administrator imports ---------------------------------------------------

# Illustrative only, NOT the real 2027 schedule (unpublished when this was written).
# 2027-01-01 is a Friday: 01-01..01-03 (Fri–Sun) off, 01-09 (Sat) a make-up workday; the Spring
# Festival 02-05..02-11 off and National Day 10-01..10-07 off, with no other make-up days.
IMPORT_2027 = """\
date,kind
# 国务院办公厅关于2027年部分节假日安排的通知 (test data)
2027-01-01,holiday
2027-01-02,休
2027-01-03,Holiday

2027-01-09,班
""" + "".join(f"2027-02-{day:02d},holiday\n" for day in range(5, 12)) + "".join(
    f"2027-10-{day:02d},holiday\n" for day in range(1, 8)
)

STATUTORY_2027 = {
    "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-04-05",
    "2027-05-01", "2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02",
    "2027-10-03",
}


def test_statutory_holidays_of_a_year_follow_the_2024_revision() -> None:
    assert statutory_holidays(2027) == {d(day) for day in STATUTORY_2027}
    # 2028: eve 01-25 .. 01-28; Mid-Autumn falls on 10-03, a National Day: counted once.
    assert {day for day in statutory_holidays(2028) if day.month in (1, 10)} == {
        d("2028-01-01"), d("2028-01-25"), d("2028-01-26"), d("2028-01-27"), d("2028-01-28"),
        d("2028-10-01"), d("2028-10-02"), d("2028-10-03"),
    }


@pytest.mark.parametrize("year", range(2025, 2041))
def test_the_holiday_library_is_checked_against_the_2024_revision(year: int) -> None:
    import holidays

    computed = holidays.China(years=year, observed=False, language="en_US")
    # The library also knows the 调休 of years it has data for ("Day off (substituted ...)");
    # those are no statutory holidays and are left out.
    statutory = {day for day, name in computed.items() if "substituted" not in name}
    assert statutory == statutory_holidays(year)
    assert len(statutory_holidays(year)) in (12, 13)  # 13 days, 12 when two festivals meet
    assert provisional_schedule(year).workdays == frozenset()


def test_a_year_without_a_schedule_is_counted_provisionally() -> None:
    # 2026-12-25 + 10 = 2027-01-04 (Mon), not a statutory holiday.
    deadline = add_calendar_days(d("2026-12-25"), 10, calendar=CAL)
    assert (deadline.last_day, deadline.provisional_years) == (d("2027-01-04"), {2027})
    assert deadline.provisional
    # Counting inside official years is not provisional.
    assert not add_calendar_days(d("2026-12-01"), 10, calendar=CAL).provisional
    assert CAL.is_provisional(2027) and not CAL.is_provisional(2026)


def test_a_period_across_a_provisional_spring_festival() -> None:
    # 2027-01-29 (Fri) + 7 = 02-05 (eve), 06-08 statutory holidays → Tue 02-09.
    assert add_calendar_days(d("2027-01-29"), 7, calendar=CAL).last_day == d("2027-02-09")
    # From Wed 2027-02-03: Thu 04 (1); 05-08 holidays (no make-up days: 06/07 are a weekend
    # anyway); Tue 09 (2), Wed 10 (3).
    counted = add_working_days(d("2027-02-03"), 3, calendar=CAL)
    assert (counted.last_day, counted.provisional_years) == (d("2027-02-10"), {2027})


def test_errors_survive_pickling() -> None:
    missing = pickle.loads(pickle.dumps(CalendarDataMissing(2027)))
    assert (missing.year, str(missing)) == (2027, str(CalendarDataMissing(2027)))
    refused = pickle.loads(pickle.dumps(CalendarImportError(["line 3: bad"])))
    assert refused.problems == ["line 3: bad"]


def test_working_days_into_a_provisional_year() -> None:
    # From 2026-12-30 (Wed): 31 Thu (1); 2027-01-01 Fri holiday, 02/03 weekend; 04 Mon (2),
    # 05 Tue (3).
    counted = add_working_days(d("2026-12-30"), 3, calendar=CAL)
    assert (counted.last_day, counted.provisional_years) == (d("2027-01-05"), {2027})
    # Before the packaged data the library's rules of that time apply: 2003-12-31 is a Wednesday.
    counted = add_working_days(d("2003-12-30"), 1, calendar=CAL)
    assert (counted.last_day, counted.provisional_years) == (d("2003-12-31"), {2003})


def test_is_working_day_in_a_provisional_year_and_beyond_what_can_be_computed() -> None:
    assert is_working_day(d("2027-01-04"), CAL)
    assert not is_working_day(d("2027-02-05"), CAL)
    # 2003-12-01 + 5 = 12-06 (Sat) → Mon 12-08.
    assert add_calendar_days(d("2003-12-01"), 5, calendar=CAL).last_day == d("2003-12-08")
    # Past what the statutory rules can be computed for, counting says which year is missing.
    with pytest.raises(CalendarDataMissing, match="no holiday data for 2101"):
        add_calendar_days(d("2100-12-25"), 10, calendar=CAL)


def test_imported_year_makes_counting_official() -> None:
    calendar = CAL.with_schedule(parse_schedule_csv(IMPORT_2027))
    assert calendar.covered_years == frozenset(range(2004, 2028))
    # 2026-12-22 + 10 = 2027-01-01 (holiday); 01-02, 01-03 holidays → 01-04 (Mon).
    counted = add_calendar_days(d("2026-12-22"), 10, calendar=calendar)
    assert (counted.last_day, counted.provisional) == (d("2027-01-04"), False)
    # From 2027-01-06 (Wed): 07 Thu (1), 08 Fri (2), 09 Sat make-up (3).
    assert add_working_days(d("2027-01-06"), 3, calendar=calendar).last_day == d("2027-01-09")
    # The Spring Festival period from 01-29 now ends after the official block: Sat 02-05 + ...
    # 02-05..02-11 off → Fri 02-12.
    assert add_calendar_days(d("2027-01-29"), 7, calendar=calendar).last_day == d("2027-02-12")
    # The original calendar is unchanged.
    assert 2027 not in CAL.covered_years


def test_with_year_builds_the_same_calendar_as_an_import() -> None:
    via_csv = CAL.with_schedule(parse_schedule_csv(IMPORT_2027))
    via_code = CAL.with_year(
        2027,
        holidays={d("2027-01-01"), d("2027-01-02"), d("2027-01-03")}
        | {date(2027, 2, day) for day in range(5, 12)}
        | {date(2027, 10, day) for day in range(1, 8)},
        workdays=[d("2027-01-09")],
    )
    assert via_csv == via_code
    assert hash(via_csv) == hash(via_code)


def test_with_year_replaces_an_existing_year() -> None:
    # Replace 2025 with a schedule that has only New Year's Day: 2025-01-28 (Tue) becomes an
    # ordinary working day and 2025-01-26 (Sun) an ordinary Sunday.
    replaced = CAL.with_year(2025, holidays={d("2025-01-01")}, workdays=set())
    assert is_working_day(d("2025-01-28"), replaced)
    assert not is_working_day(d("2025-01-26"), replaced)
    assert not is_working_day(d("2025-01-28"), CAL)


def test_calendar_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CAL.schedules = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        CAL.schedules[2027] = CAL.schedule(2026)  # type: ignore[index]
    source = {2025: CAL.schedule(2025)}
    calendar = HolidayCalendar(source)
    source[2026] = CAL.schedule(2026)
    assert calendar.covered_years == frozenset({2025})


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ({d("2028-01-01")}, set(), "2028-01-01 is not in 2027"),
        ({d("2027-01-02")}, {d("2027-01-02")}, "2027-01-02 is both a holiday and a workday"),
        ({d("2027-01-01")}, {d("2027-01-04")}, "make-up workday 2027-01-04 is a Monday"),
        (set(), {d("2027-01-09")}, "no statutory holidays"),
    ],
)
def test_with_year_validates_the_schedule(
    holidays: set[date], workdays: set[date], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CAL.with_year(2027, holidays=holidays, workdays=workdays)


def test_schedule_round_trips_through_csv() -> None:
    schedule = CAL.schedule(2025)
    text = schedule_to_csv(schedule)
    assert text.startswith("date,kind\n2025-01-01,holiday\n")
    assert "2025-01-26,workday\n" in text
    assert parse_schedule_csv(text) == schedule


# --- import parser errors ----------------------------------------------------------------------


def test_import_reports_every_bad_line() -> None:
    text = "\n".join(
        [
            "date,kind",  # 1
            "2027-01-01,holiday",  # 2
            "2027-01-02,rest",  # 3 unknown kind
            "2027-02-30,holiday",  # 4 no such day
            "",  # 5 blank: ignored
            "# note",  # 6 comment: ignored
            "2028-01-01,holiday",  # 7 outside the year of the other dates
            "2027-01-04,workday",  # 8 a Monday
            "2027-01-01,休",  # 9 listed on line 2 already
            "2027-01-09",  # 10 one field
            "2027/01/10,holiday",  # 11 wrong format
        ]
    )
    with pytest.raises(CalendarImportError) as caught:
        parse_schedule_csv(text)
    assert caught.value.problems == [
        "line 3: kind must be holiday or workday (休/班), not 'rest'",
        "line 4: '2027-02-30' is not a valid date",
        "line 7: 2028-01-01 is outside 2027: a schedule file holds one year",
        "line 8: 2027-01-04 is a Monday, already a working day: "
        "a make-up workday (班) is a Saturday or Sunday",
        "line 9: 2027-01-01 is already listed on line 2",
        "line 10: expected 2 fields 'date,kind', found 1",
        "line 11: '2027/01/10' is not a valid date: write it as YYYY-MM-DD",
    ]
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("holiday schedule not imported: line 3: kind must be")


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        ("", ["the file is empty: expected the header 'date,kind'"]),
        ("date,kind\n", ["no dates after the header"]),
        (
            "date,kind\n2027-01-09,workday\n",
            ["no holiday rows: every State Council schedule has statutory holidays"],
        ),
        (
            "day,type\n2027-01-01,holiday\n",
            ["line 1: header must be 'date,kind', found 'day,type'"],
        ),
        (
            b"date,kind\n2027-01-01,\xd0\xdd\n",  # GBK-encoded 休
            ["the file is not UTF-8 text (byte 21): save it as 'CSV UTF-8'"],
        ),
    ],
)
def test_import_file_level_problems(content: str | bytes, problems: list[str]) -> None:
    with pytest.raises(CalendarImportError) as caught:
        parse_schedule_csv(content)
    assert caught.value.problems == problems


def test_import_accepts_excel_style_utf8_bytes() -> None:
    # Byte-order mark, CRLF line ends, upper-case header, padded trailing cells.
    content = (
        "\ufeffDate,Kind\r\n2027-01-01,holiday,,\r\n2027-01-09,班\r\n2027-02-06,休\r\n"
        "2027-10-01,休\r\n"
    ).encode()
    schedule = parse_schedule_csv(content)
    assert schedule == YearSchedule(
        2027, frozenset({d("2027-01-01"), d("2027-02-06"), d("2027-10-01")}),
        frozenset({d("2027-01-09")}),
    )


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        # Only New Year and National Day: 2027-02-06 is 正月初一.
        (["2027-01-01,holiday", "2027-10-01,holiday"],
         ["no Spring Festival block: 2027-02-06 (正月初一, the lunar new year) is not listed as a "
          "holiday"]),
        (["2027-02-06,holiday", "2027-02-07,holiday"],
         ["no National Day block: 2027-10-01 is not listed as a holiday"]),
        # 2028's Spring Festival falls in January: 01-26 is 正月初一.
        (["2028-01-01,holiday", "2028-01-02,holiday"],
         ["no Spring Festival block: 2028-01-26 (正月初一, the lunar new year) is not listed as a "
          "holiday", "no National Day block: 2028-10-01 is not listed as a holiday"]),
        # A December day of the year before, listed last (the year is the year most dates are in).
        (["2027-02-06,holiday", "2027-10-01,holiday", "2026-12-31,holiday"],
         ["line 4: 2026-12-31 is outside 2027: a schedule file holds one year"]),
    ],
)
def test_an_import_must_be_a_plausible_whole_year(rows: list[str], problems: list[str]) -> None:
    with pytest.raises(CalendarImportError) as caught:
        parse_schedule_csv("date,kind\n" + "\n".join(rows))
    assert caught.value.problems == problems
    # Stored imports are read back without the whole-year check.
    if not problems[0].startswith("line"):
        assert parse_schedule_csv("date,kind\n" + "\n".join(rows), whole_year=False).year


def test_the_only_statutory_rules_are_the_fallback_for_a_year_without_an_import() -> None:
    assert CAL.schedule(2027) == provisional_schedule(2027)
    assert CAL.schedule(2027).provisional
    assert not CAL.schedule(2026).provisional
