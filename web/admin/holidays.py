"""The holiday calendar: the years in force, the provisional years running cases depend on, and
importing a year's State Council schedule (which recomputes the deadlines that depended on it)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.wrappers import Response

from web.admin import listings
from web.auth import require_roles
from web.composition import calendar_source
from web.transaction import after_commit, db_session, get_engine
from workflows.deadlines import CalendarImportError, ImportProblem, statutory_holidays
from workflows.holidays import import_schedule, imported_years
from workflows.periods import provisional_dependents, recompute_deadlines

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")
bp.before_request(require_roles("admin"))

# What is wrong with an import file, in the interface language (see IMPORT_PROBLEMS).
PROBLEM_TEXTS: dict[str, Any] = {
    "empty": _l("The file is empty: the first line must be the header date,kind."),
    "not_utf8": _l("The file is not UTF-8 text (byte %(byte)s): save it as “CSV UTF-8”."),
    "header": _l("The header must be date,kind, not “%(found)s”."),
    "fields": _l("Expected 2 fields (date,kind), found %(count)s."),
    "date_format": _l("“%(raw)s” is not a date: write it as YYYY-MM-DD."),
    "no_such_date": _l("“%(raw)s” is not a valid date."),
    "kind": _l("The kind must be holiday (休) or workday (班), not “%(raw)s”."),
    "outside_year": _l("%(day)s is outside %(year)s: a file holds one year's schedule."),
    "duplicate": _l("%(day)s is already listed on line %(first)s."),
    "weekday_workday": _l("%(day)s is a weekday, already a working day: a make-up working day "
                          "(班) is a Saturday or Sunday."),
    "no_dates": _l("There are no dates after the header."),
    "no_holidays": _l("There is no holiday: every State Council schedule has statutory "
                      "holidays."),
    "no_spring_festival": _l("There is no Spring Festival block: %(day)s, the first day of the "
                             "lunar year, is not listed as a holiday."),
    "no_national_day": _l("There is no National Day block: %(day)s is not listed as a holiday."),
}


class ImportForm(FlaskForm):
    """A CSV file with the header ``date,kind``."""

    schedule = FileField(_l("Schedule file (CSV)"), validators=[
        FileRequired(_l("Choose a CSV file.")),
        FileAllowed(["csv", "txt"], _l("The file must be a .csv file.")),
    ])


def problem_text(problem: ImportProblem) -> str:
    """One refusal in the interface language, with its line."""
    text = str(PROBLEM_TEXTS[problem.code] % dict(problem.params))
    return _("Line %(line)s: %(problem)s", line=problem.line, problem=text) \
        if problem.line is not None else text


@bp.route("", methods=["GET", "POST"])
def index() -> Response | str | tuple[str, int]:
    """The imported years, the provisional years and who depends on them, and the import form."""
    form = ImportForm()
    session = db_session()
    refused: list[str] = []
    if form.validate_on_submit():
        try:
            schedule = import_schedule(
                session, form.schedule.data.read(), actor=current_user.username,
                now=get_engine().now(),
            )
        except CalendarImportError as exc:
            refused = [problem_text(p) for p in exc.details] or exc.problems
        else:
            flash(_("Imported the %(year)s schedule: %(holidays)s holidays and %(workdays)s "
                    "make-up working days.", year=schedule.year, holidays=len(schedule.holidays),
                    workdays=len(schedule.workdays)), "success")
            after_commit(lambda: _recompute(schedule.year, current_user.username))
            return redirect(url_for("holidays.index"))
    source = calendar_source(get_engine())
    calendar = source.load(session)
    covered = sorted(calendar.covered_years)
    dependents = provisional_dependents(session)
    next_year = max(covered) + 1 if covered else get_engine().now().year
    page = render_template(
        "admin/holidays.html", form=form, imported=imported_years(session), covered=covered,
        dependents=dependents, refused=refused, next_year=next_year,
        next_year_holidays=sorted(statutory_holidays(next_year)),
    )
    return page, (422 if form.errors or refused else 200)


def _recompute(year: int, actor: str) -> None:
    """After the import commits: move the deadlines that counted ``year`` provisionally."""
    engine = get_engine()
    source = calendar_source(engine)
    source.invalidate()
    with engine.db.reading() as session:
        calendar = source.load(session)
    result = recompute_deadlines(engine, calendar=calendar, years=[year], actor=actor)
    if result.moved:
        flash(_("%(count)s provisional deadlines of running cases moved to the official "
                "schedule; each case's timeline records the old and the new date.",
                count=len(result.moved)), "success")
    if result.confirmed:
        flash(_("%(count)s provisional deadlines stay on the same day and are now final.",
                count=result.confirmed), "success")
    for instance_id, reason in result.failed:
        flash(_("The deadlines of instance %(id)s could not be recomputed: %(reason)s",
                id=instance_id, reason=reason), "error")


@bp.get("/<int:year>.csv")
def download(year: int) -> Response:
    """An imported year's file as it was uploaded."""
    content = listings.imported_schedule(db_session(), year)
    if content is None:
        abort(404)
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="holidays-{year}.csv"'
    return response
