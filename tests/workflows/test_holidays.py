"""Imported holiday schedules are stored, checked and laid over the packaged calendar."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engine.database import Database
from workflows.deadlines import CalendarDataMissing, CalendarImportError, add_working_days
from workflows.holidays import import_schedule, imported_years, load_calendar

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
"""


def test_a_year_without_data_is_an_error_until_its_schedule_is_imported(db: Database):
    with db.reading() as s:
        calendar = load_calendar(s)
    with pytest.raises(CalendarDataMissing, match="2027"):
        add_working_days(date(2027, 2, 4), 3, calendar=calendar)
    with db.transaction() as s:
        import_schedule(s, SCHEDULE_2027.encode(), actor="admin", now=NOW)
    with db.reading() as s:
        calendar = load_calendar(s)
        assert [r.year for r in imported_years(s)] == [2027]
    # From Thu 2027-02-04: Fri 5th (1); 6th-13th holidays; Sun 14th an ordinary weekend day;
    # Mon 15th (2), Tue 16th (3).
    assert add_working_days(date(2027, 2, 4), 3, calendar=calendar).last_day == date(2027, 2, 16)


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
        import_schedule(s, "date,kind\n2027-01-01,holiday\n2027-01-04,holiday\n", actor="chief", now=NOW)
    with db.reading() as s:
        (row,) = imported_years(s)
        imported_by = row.imported_by
        calendar = load_calendar(s)
    assert imported_by == "chief"
    assert calendar.schedule(2027).holidays == frozenset({date(2027, 1, 1), date(2027, 1, 4)})
