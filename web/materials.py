"""Case materials on the web: adding files to a case (a phone's camera included), serving them
to the people who may see the case, and withdrawing them.

Who may see a case is :func:`workflows.access.may_see_case`, the rule of the case page; the same people
may add to it.  Refusals name the file and the problem (web.errors turns them into a page).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from workflows import access
from web.auth import require_roles
from web.cases import visible_case
from web.errors import problem_response
from web.files import file_store, stored_response
from web.intake import office_settings
from web.transaction import db_session, get_engine
from workflows.materials import MaterialRefused, add_materials, withdraw_material
from workflows.models import Case, Material
from workflows.storage import StoredFileMissing

bp = Blueprint("materials", __name__, url_prefix="/cases/<int:case_id>/materials")
bp.before_request(require_roles(*access.TASK_ROLES, "admin"))

FIELDS = ("files", "photos")


@bp.post("")
def add(case_id: int) -> Any:
    """Add the files sent (from the file chooser and the camera) to the case."""
    session = db_session()
    case = visible_case(session, case_id)
    files = uploaded_files(FIELDS)
    if not files:
        return problem_response(422, _("Choose a file or take a photo first."))
    engine = get_engine()
    try:
        added = add_materials(session, file_store(), case, files, actor=current_user.username,
                              now=engine.now(), rules=office_settings().materials)
    except MaterialRefused as refused:
        return problem_response(422, refusal_message(refused))
    flash(_("Added %(count)s file(s) to the case.", count=len(added)), "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="materials"))


@bp.get("/<int:material_id>")
def download(case_id: int, material_id: int) -> Response:
    """A material's file, to the people who may see the case."""
    material = _material(db_session(), case_id, material_id)
    try:
        content = file_store().read(material.sha256)
    except StoredFileMissing:
        abort(404)
    return stored_response(content, media_type=material.media_type, filename=material.filename)


@bp.get("/<int:material_id>/thumbnail")
def thumbnail(case_id: int, material_id: int) -> Response:
    """A photo's thumbnail (404 for files that have none)."""
    material = _material(db_session(), case_id, material_id)
    if material.thumbnail_sha256 is None:
        abort(404)
    try:
        content = file_store().read(material.thumbnail_sha256)
    except StoredFileMissing:
        abort(404)
    stem = material.filename.rsplit(".", 1)[0]
    return stored_response(content, media_type="image/jpeg", filename=f"{stem}-thumbnail.jpg")


@bp.post("/<int:material_id>/withdraw")
def withdraw(case_id: int, material_id: int) -> Any:
    """Take a material off the list (it stays on record, with who withdrew it and why)."""
    session = db_session()
    material = _material(session, case_id, material_id)
    case = session.get(Case, case_id)
    if case is None or not access.may_withdraw_material(
            session, actor=current_user, case=case, added_by=material.added_by):
        abort(403)
    try:
        withdraw_material(material, actor=current_user.username,
                          reason=request.form.get("reason", ""), now=get_engine().now())
    except MaterialRefused as refused:
        return problem_response(422, refusal_message(refused))
    flash(_("“%(name)s” was withdrawn; it stays on record.", name=material.filename), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="materials"))


def uploaded_files(fields: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """(name, bytes) of every non-empty file sent in ``fields``."""
    found: list[tuple[str, bytes]] = []
    for name in fields:
        for storage in request.files.getlist(name):
            if isinstance(storage, FileStorage) and storage.filename:
                content = storage.read()
                if content or storage.filename:
                    found.append((storage.filename, content))
    return found


def refusal_message(refused: MaterialRefused) -> str:
    """Why a file was not accepted, in the page's language."""
    params = dict(refused.params)
    if "limit" in params and refused.code == "too_large":
        params["limit"] = size_text(params["limit"])
    messages = {
        "empty": _("“%(filename)s” is empty."),
        "too_large": _("“%(filename)s” is larger than %(limit)s."),
        "unknown_type": _("“%(filename)s” is not a photo (JPEG, PNG, WebP), a PDF or a sound "
                          "recording (MP3, M4A, AAC, AMR, OGG, WAV), whatever its name says."),
        "damaged": _("“%(filename)s” is damaged or is not what its first bytes claim."),
        "too_many_pixels": _("“%(filename)s” has too many pixels; send a smaller photo."),
        "encrypted": _("“%(filename)s” is a password-protected PDF; send it without the "
                       "password."),
        "too_many": _("The case already holds %(limit)s files; withdraw some before adding "
                      "“%(filename)s”."),
        "too_many_at_once": _("Send at most %(limit)s files at once."),
        "already_withdrawn": _("“%(filename)s” was withdrawn already."),
        "reason_needed": _("Say why “%(filename)s” is withdrawn."),
    }
    template = messages.get(refused.code, _("The file was not accepted."))
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return _("The file was not accepted.")


def size_text(size: int) -> str:
    """A size in bytes as people read it (MB, else KB)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(round(size / 1024), 1)} KB"


def _material(session: Session, case_id: int, material_id: int) -> Material:
    """The material, to people who may see its case (a withdrawn one: to those who work it)."""
    case = visible_case(session, case_id)
    material = session.get(Material, material_id)
    if material is None or material.case_id != case_id:
        abort(404)
    if material.withdrawn_at is not None and not access.is_case_staff(
            session, actor=current_user, case=case):
        abort(404)
    return material
