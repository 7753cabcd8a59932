"""Imported holiday schedules are stored, checked and laid over the packaged calendar."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engine.database import Database
from workflows.deadlines import CalendarImportError, HolidayCalendar, add_working_days
from workflows.holidays import import_schedule, imported_years, load_calendar

PACKAGED = HolidayCalendar.default().up_to(2026)  # whatever years the installed package has

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
# Illustrative 2027 schedule (not the official one): New Year, and a Spring Festival block with a
# make-up Saturday.
SCHEDULE_2027 = """date,kind
2027-01-01,holiday
2027-02-06,休
2027-02-07,holiday
2027-02-08,holiday
2027-02-09,holiday
2027-02-10,holiday
2027-02-11,holiday
2027-02-12,holiday
2027-02-13,holiday
2027-02-20,班
2027-10-01,holiday
2027-10-02,holiday
2027-10-03,holiday
"""


def test_a_year_is_provisional_until_its_schedule_is_imported(db: Database):
    with db.reading() as s:
        calendar = load_calendar(s, packaged=PACKAGED)
    # Statutory holidays only: from Thu 2027-02-04: Fri 5th (eve) and 6th-8th off; Tue 9th (1),
    # Wed 10th (2), Thu 11th (3).
    provisional = add_working_days(date(2027, 2, 4), 3, calendar=calendar)
    assert (provisional.last_day, provisional.provisional_years) == (date(2027, 2, 11), {2027})
    with db.transaction() as s:
        import_schedule(s, SCHEDULE_2027.encode(), actor="admin", now=NOW)
    with db.reading() as s:
        calendar = load_calendar(s, packaged=PACKAGED)
        assert [r.year for r in imported_years(s)] == [2027]
    # From Thu 2027-02-04: Fri 5th (1); 6th-13th holidays; Sun 14th an ordinary weekend day;
    # Mon 15th (2), Tue 16th (3).
    official = add_working_days(date(2027, 2, 4), 3, calendar=calendar)
    assert (official.last_day, official.provisional) == (date(2027, 2, 16), False)


def test_a_bad_schedule_is_refused_line_by_line_and_nothing_is_stored(db: Database):
    bad = "date,kind\n2027-01-01,holiday\n2027-02-30,holiday\n2027-02-03,sometimes\n"
    with pytest.raises(CalendarImportError) as err:
        with db.transaction() as s:
            import_schedule(s, bad, actor="admin", now=NOW)
    text = "\n".join(err.value.problems)
    assert "line 3" in text and "2027-02-30" in text
    assert "line 4" in text
    with db.reading() as s:
        assert imported_years(s) == []


def test_importing_a_year_again_replaces_it(db: Database):
    with db.transaction() as s:
        import_schedule(s, SCHEDULE_2027, actor="admin", now=NOW)
        import_schedule(s, "date,kind\n2027-01-01,holiday\n2027-01-04,holiday\n"
                        "2027-02-06,holiday\n2027-10-01,holiday\n", actor="chief", now=NOW)
    with db.reading() as s:
        (row,) = imported_years(s)
        imported_by = row.imported_by
        calendar = load_calendar(s)
    assert imported_by == "chief"
    assert calendar.schedule(2027).holidays == frozenset(
        {date(2027, 1, 1), date(2027, 1, 4), date(2027, 2, 6), date(2027, 10, 1)}
    )
