"""The holiday calendar: the years in force and importing a year's State Council schedule."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.wrappers import Response

from web.admin import listings
from web.auth import require_roles
from web.transaction import db_session, get_engine
from workflows.holidays import import_schedule, imported_years, load_calendar

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")
bp.before_request(require_roles("admin"))


class ImportForm(FlaskForm):
    """A CSV file with the header ``date,kind``."""

    schedule = FileField(_l("Schedule file (CSV)"), validators=[
        FileRequired(_l("Choose a CSV file.")),
        FileAllowed(["csv", "txt"], _l("The file must be a .csv file.")),
    ])


@bp.route("", methods=["GET", "POST"])
def index() -> Response | str | tuple[str, int]:
    """The imported years, the years covered, and the import form."""
    form = ImportForm()
    session = db_session()
    if form.validate_on_submit():
        schedule = import_schedule(
            session, form.schedule.data.read(), actor=current_user.username,
            now=get_engine().now(),
        )
        flash(_("Imported the %(year)s schedule: %(holidays)s holidays and %(workdays)s "
                "make-up working days.", year=schedule.year, holidays=len(schedule.holidays),
                workdays=len(schedule.workdays)), "success")
        return redirect(url_for("holidays.index"))
    covered = sorted(load_calendar(session).covered_years)
    page = render_template("admin/holidays.html", form=form, imported=imported_years(session),
                           covered=covered)
    return page, (422 if form.errors else 200)


@bp.get("/<int:year>.csv")
def download(year: int) -> Response:
    """An imported year's file as it was uploaded."""
    content = listings.imported_schedule(db_session(), year)
    if content is None:
        abort(404)
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="holidays-{year}.csv"'
    return response
