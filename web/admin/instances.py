"""Process instances: find one, see where it stands or why it failed, and act on it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from web.admin import listings
from web.auth import require_roles
from web.labels import STATUS_NAMES, name_of
from web.transaction import db_session, get_engine

bp = Blueprint("instances", __name__, url_prefix="/admin/instances")
bp.before_request(require_roles("admin"))

AUDIT_SHOWN = 100
REASON_LIMIT = 500


@bp.get("")
def index() -> str:
    """Search by id or business key; without a query, the instances that need attention."""
    query = request.args.get("q", "").strip()
    found = listings.find_instances(db_session(), query)
    # htmx asks for the results only, as the person types.
    template = "admin/_instance_results.html" if request.headers.get("HX-Request") else \
        "admin/instances.html"
    return render_template(template, query=query, instances=found)


@bp.get("/<int:instance_id>")
def show(instance_id: int) -> str:
    """Status, error, waiting tasks, timers and messages, the audit trail and the actions."""
    session = db_session()
    engine = get_engine()
    view = engine.instance(session, instance_id)
    row = listings.instance_row(session, instance_id)
    trail = engine.audit_trail(session, instance_id)
    return render_template(
        "admin/instance.html",
        view=view,
        row=row,
        trail=list(reversed(trail))[:AUDIT_SHOWN],
        trail_total=len(trail),
        newer=listings.newer_versions(session, view.process_id, view.version),
    )


@bp.post("/<int:instance_id>/retry")
def retry(instance_id: int) -> Response:
    """Run the failed elements again."""
    view = get_engine().retry(db_session(), instance_id, actor=current_user.username)
    if view.status == "error":
        flash(_("Retried, but it failed again: %(message)s", message=view.error_message or ""),
              "error")
    else:
        flash(_("Retried: the instance is %(status)s.", status=_status(view.status)), "success")
    if request.form.get("next") == "list":
        return redirect(url_for("instances.index"))
    return _back(instance_id)


@bp.post("/<int:instance_id>/suspend")
def suspend(instance_id: int) -> Response:
    """Hold the instance still until it is resumed."""
    get_engine().suspend(db_session(), instance_id, actor=current_user.username)
    flash(_("The instance is suspended."), "success")
    return _back(instance_id)


@bp.post("/<int:instance_id>/resume")
def resume(instance_id: int) -> Response:
    """Let a suspended instance move again."""
    view = get_engine().resume(db_session(), instance_id, actor=current_user.username)
    flash(_("Resumed: the instance is %(status)s.", status=_status(view.status)), "success")
    return _back(instance_id)


@bp.post("/<int:instance_id>/terminate")
def terminate(instance_id: int) -> Response:
    """End the instance for good."""
    reason = request.form.get("reason", "").strip()[:REASON_LIMIT]
    get_engine().terminate(db_session(), instance_id, actor=current_user.username, reason=reason)
    flash(_("The instance is terminated."), "success")
    return _back(instance_id)


@bp.post("/<int:instance_id>/migrate")
def migrate(instance_id: int) -> Response:
    """Move the instance to a newer version of its process (refusals show their reasons)."""
    target = request.form.get("definition_id", "")
    if not target.isdigit():
        abort(400)
    view = get_engine().migrate(
        db_session(), instance_id, definition_id=int(target), actor=current_user.username
    )
    flash(_("The instance now runs version %(version)s.", version=view.version), "success")
    return _back(instance_id)


def _back(instance_id: int) -> Response:
    return redirect(url_for("instances.show", instance_id=instance_id))


def _status(code: str) -> str:
    return name_of(STATUS_NAMES, code)
