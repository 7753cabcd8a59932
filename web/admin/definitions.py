"""Process definitions: versions, which versions instances use, deploy history, downloads."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template

from engine.definitions import FILE_KINDS
from web.admin import listings
from web.auth import require_roles
from web.transaction import db_session

bp = Blueprint("definitions", __name__, url_prefix="/admin")
bp.before_request(require_roles("admin"))

MEDIA_TYPES = {"bpmn": "application/xml", "dmn": "application/xml", "json": "application/json"}


@bp.get("/definitions")
def index() -> str:
    """Every process with its versions and instance counts, then the deploy history."""
    session = db_session()
    return render_template(
        "admin/definitions.html",
        processes=listings.processes(session),
        deployments=listings.deployments(session),
    )


@bp.get("/definitions/<process_id>")
def process(process_id: str) -> str:
    """One process: each version, its files (to download or edit) and its instances."""
    session = db_session()
    found = listings.processes(session, process_id)
    if not found:
        abort(404)
    latest = found[0].latest
    return render_template(
        "admin/process.html",
        process=found[0],
        bundle=listings.deployment_keys(session, latest.deployment_id),
        editable=editable,
    )


@bp.get("/deployments/<int:deployment_id>/files/<path:key>")
def download(deployment_id: int, key: str) -> Response:
    """A deployed file as it was deployed."""
    content = listings.deployment_file(db_session(), deployment_id, key)
    kind = file_kind(key)
    response = Response(content, mimetype=MEDIA_TYPES.get(kind or "", "application/octet-stream"))
    response.headers["Content-Disposition"] = _attachment(posixpath.basename(key))
    return response


def file_kind(key: str) -> str | None:
    """'bpmn', 'dmn' or 'json' by the file's suffix."""
    return FILE_KINDS.get(posixpath.splitext(key)[1].lower())


def editable(key: str) -> bool:
    """Whether the browser modeler can edit this file."""
    return file_kind(key) in ("bpmn", "dmn")


def _attachment(filename: str) -> str:
    # RFC 6266: an ASCII fallback plus the UTF-8 name, so Chinese file names survive.
    fallback = filename.encode("ascii", "replace").decode("ascii").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
