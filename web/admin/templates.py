"""Document and message templates: the administrator downloads one, uploads a replacement
(checked before it is kept) or goes back to the packaged version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from web.auth import require_roles
from web.errors import problem_response
from web.transaction import db_session, get_engine
from workflows.templates import (
    TEMPLATE_LIMIT,
    TemplateRefused,
    packaged_names,
    replace_template,
    reset_template,
    template_text,
    templates_info,
)

bp = Blueprint("templates", __name__, url_prefix="/admin/templates")
bp.before_request(require_roles("admin"))

MEDIA_TYPES = {".html": "text/plain", ".css": "text/plain", ".txt": "text/plain"}


@bp.get("")
def index() -> str:
    """Every template, and which are replaced."""
    return render_template("admin/templates.html", templates=templates_info(db_session()))


@bp.get("/<path:name>")
def download(name: str) -> Response:
    """The template in force, as text to download and edit."""
    if name not in packaged_names():
        abort(404)
    content = template_text(db_session(), name)
    response = Response(content, mimetype="text/plain")
    response.headers["Content-Disposition"] = f"attachment; filename={name.replace('/', '-')}"
    return response


@bp.post("/<path:name>")
def upload(name: str) -> Any:
    """Replace a template with an uploaded file."""
    if name not in packaged_names():
        abort(404)
    uploaded = request.files.get("template")
    if uploaded is None or not uploaded.filename:
        return problem_response(422, _("Choose the template file to upload."))
    raw = uploaded.read(TEMPLATE_LIMIT * 4 + 1)
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        return problem_response(422, _("The template must be a UTF-8 text file."))
    try:
        replace_template(db_session(), name, content, actor=current_user.username,
                         now=get_engine().now())
    except TemplateRefused as refused:
        messages = {
            "too_long": _("The template is longer than %(limit)s characters.",
                          limit=TEMPLATE_LIMIT),
            "syntax": _("The template has an error on line %(line)s: %(message)s",
                        line=refused.params.get("line") or "?",
                        message=refused.params.get("message", "")),
        }
        return problem_response(422, messages.get(refused.code, _("The template was refused.")))
    flash(_("%(name)s is replaced; new documents use it.", name=name), "success")
    return redirect(url_for("templates.index"))


@bp.post("/<path:name>/reset")
def reset(name: str) -> Response:
    """Go back to the packaged template."""
    if name not in packaged_names():
        abort(404)
    if reset_template(db_session(), name):
        flash(_("%(name)s is the packaged template again.", name=name), "success")
    return redirect(url_for("templates.index"))
