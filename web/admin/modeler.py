"""Editing a deployed diagram or decision table in the browser, validating it on the server and
deploying it as a new version.

The edited file replaces its namesake in the bundle it was deployed with, so calls to other
processes and decision tables of that bundle still resolve.  Problems come back as JSON through
the error handlers, each naming its file, line and element, for the modeler to mark.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.definitions import compile_bundle
from web.admin import listings
from web.admin.definitions import editable, file_kind
from web.auth import require_roles
from web.transaction import db_session, get_engine

bp = Blueprint("modeler", __name__, url_prefix="/admin/modeler")
bp.before_request(require_roles("admin"))

NOTE_LIMIT = 500


@bp.get("/<int:deployment_id>/<path:key>")
def edit(deployment_id: int, key: str) -> str:
    """The modeler opened on one file of a deployment."""
    listings.deployment_file(db_session(), deployment_id, key)  # NotFound if it is not there
    if not editable(key):
        abort(404)
    return render_template(
        "admin/modeler.html", deployment_id=deployment_id, key=key, kind=file_kind(key)
    )


@bp.post("/<int:deployment_id>/validate")
def validate(deployment_id: int) -> Response:
    """Compile the bundle with the edited file; problems come back through the error handler."""
    _key, files = _edited_bundle(deployment_id)
    bundle = compile_bundle(files)
    return jsonify(
        ok=True,
        message=_("No problems found: the bundle can be deployed."),
        processes=sorted(bundle.processes),
        warnings=[_problem(w) for w in bundle.warnings],
    )


@bp.post("/<int:deployment_id>/deploy")
def deploy(deployment_id: int) -> Response:
    """Deploy the bundle with the edited file as a new version."""
    key, files = _edited_bundle(deployment_id)
    payload = request.get_json(silent=True) or {}
    note = str(payload.get("note") or _("edited %(file)s in the modeler", file=key))[:NOTE_LIMIT]
    result = get_engine().deploy(db_session(), files, actor=current_user.username, note=note)
    versions = [
        {"process_id": d.process_id, "version": d.version,
         "url": url_for("definitions.process", process_id=d.process_id)}
        for d in result.definitions
    ]
    message = (
        _("Deployed as deployment %(id)s.", id=result.id) if result.created
        else _("This content was deployed before (deployment %(id)s); nothing changed.",
               id=result.id)
    )
    return jsonify(
        ok=True,
        created=result.created,
        deployment_id=result.id,
        message=message,
        definitions=versions,
        warnings=list(result.warnings),
        edit_url=url_for("modeler.edit", deployment_id=result.id, key=key),
        xml_url=url_for("definitions.download", deployment_id=result.id, key=key),
        validate_url=url_for("modeler.validate", deployment_id=result.id),
        deploy_url=url_for("modeler.deploy", deployment_id=result.id),
        definitions_url=url_for("definitions.index"),
    )


def _edited_bundle(deployment_id: int) -> tuple[str, dict[str, bytes]]:
    """The deployment's files with the posted one replaced by the posted XML."""
    payload: Any = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    key, xml = payload.get("key"), payload.get("xml")
    if not isinstance(key, str) or not isinstance(xml, str) or not editable(key):
        abort(400)
    files = listings.deployment_files(db_session(), deployment_id)
    if key not in files:
        abort(404)
    files[key] = xml.encode("utf-8")
    return key, files


def _problem(problem: Any) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "element": problem.element,
            "reason": problem.reason}
