"""Messages to parties on the web: the outbox staff read and print when no text-message gateway
is configured (or a party has no phone), and delivery right after a step that queued messages
commits (the worker delivers too, and retries)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from workflows import access
from web.auth import require_roles
from web.intake import office_settings
from web.transaction import db_session, get_engine, on_every_commit
from workflows.models import Case, Notice
from workflows.notices import AFTER_COMMIT_FLAG, OUTBOX, deliver_pending, mark_handed, outbox

bp = Blueprint("notices", __name__, url_prefix="/notices")
bp.before_request(require_roles(*(access.CASE_WIDE_ROLES | access.UNIT_ROLES)))

AFTER_REQUEST_LIMIT = 20


def init_app(app: Flask) -> None:
    """Register the outbox and send the messages a request queued once it has committed."""
    app.register_blueprint(bp)
    on_every_commit(app, _deliver)


def _deliver(info: dict[str, Any]) -> None:
    if info.pop(AFTER_COMMIT_FLAG, False):
        engine = get_engine()
        deliver_pending(engine.db, office_settings().sms, now=engine.now,
                        limit=AFTER_REQUEST_LIMIT)


@bp.get("")
def index() -> str:
    """Messages waiting for staff: to print and hand over, or to read out on the phone."""
    session = db_session()
    waiting = outbox(session, units=_units())
    cases = {c.id: c for c in session.scalars(
        select(Case).where(Case.id.in_({n.case_id for n in waiting})))}
    return render_template("notices/index.html", notices=waiting, cases=cases)


@bp.post("/<int:notice_id>/handed")
def handed(notice_id: int) -> Response:
    """Staff delivered an outbox message another way (letter, phone call, in person)."""
    session = db_session()
    notice = session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    case = session.get(Case, notice.case_id)
    if case is None or not access.is_case_staff(session, actor=current_user, case=case):
        abort(403)
    if notice.status != OUTBOX:
        flash(_("This message is no longer in the outbox."), "info")
    else:
        mark_handed(notice, actor=current_user.username, now=get_engine().now())
        flash(_("Recorded: the message to %(party)s was delivered.", party=notice.recipient),
              "success")
    return redirect(url_for("notices.index"))


def _units() -> list[str] | None:
    """None for office staff (every case); else the units whose cases the person works."""
    if current_user.roles & access.CASE_WIDE_ROLES:
        return None
    return [m.unit_code for m in current_user.memberships if m.role in access.UNIT_ROLES]
