"""The case's documents as PDF and DOCX, the case file (案卷) as a zip, and the agreement's
signing outside its task: signing again after the text changed, and correcting the text while
the parties sign.

A document is served once the case has reached the step that produces it (404 before), to the
people who may see the case; the case file only to the people who work the case.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine.errors import FormValidationError
from engine.forms import validate_form_data
from web import forms
from web.auth import require_roles
from web.cases import _definition, visible_case
from web.errors import problem_response
from web.files import file_store, stored_response
from web.intake import office_settings
from web.transaction import db_session, get_engine
from workflows import access, documents
from workflows.case_file import Office, build, document_bytes, stored_file
from workflows.models import Case
from workflows.signatures import (
    ELECTRONIC,
    IN_PERSON,
    SignatureRefused,
    party_signatures,
    record_signature,
)
from workflows.storage import StoredFileMissing

bp = Blueprint("documents", __name__, url_prefix="/cases/<int:case_id>")
bp.before_request(require_roles(*access.TASK_ROLES, "admin"))

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SIGNING_TASKS = frozenset({"sign_by_parties", "sign_by_mediator"})
AGREEMENT_FORM = "forms/draft_agreement.json"
DATA_URL_PREFIX = "data:image/png;base64,"


def office() -> Office:
    """Who issues the documents."""
    settings = office_settings()
    return Office(settings.office, settings.phone)


@bp.get("/documents/<name>.<fmt>")
def document(case_id: int, name: str, fmt: str) -> Response:
    """One document of the case, printed (PDF) or for editing (DOCX)."""
    if fmt not in MEDIA_TYPES:
        abort(404)
    session = db_session()
    case = visible_case(session, case_id)
    engine = get_engine()
    try:
        content = document_bytes(session, engine, file_store(), case, name, office=office(),
                                 now=engine.now(), fmt=fmt)
    except documents.DocumentUnavailable:
        abort(404)
    kind = documents.kind_of(name)
    return stored_response(content, media_type=MEDIA_TYPES[fmt],
                           filename=f"{case.case_no}-{kind.title}.{fmt}")


@bp.get("/archive.zip")
def archive(case_id: int) -> Response:
    """The case file: stored when the case was archived, else built now."""
    session = db_session()
    case = visible_case(session, case_id)
    if not access.is_case_staff(session, actor=current_user, case=case):
        abort(403)
    stored = stored_file(session, case.id)
    content = None
    if stored is not None:
        try:
            content = file_store().read(stored.sha256)
        except StoredFileMissing:
            content = None
    if content is None:
        engine = get_engine()
        content = build(session, engine, file_store(), case, office=office(), now=engine.now())
    return stored_response(content, media_type="application/zip",
                           filename=f"{case.case_no}-案卷.zip")


# -- signing outside the task --------------------------------------------------------------------


@bp.route("/agreement/sign", methods=["GET", "POST"])
def sign_again(case_id: int) -> Any:
    """A party whose signature belongs to an earlier text signs the agreement as it stands."""
    session = db_session()
    case = visible_case(session, case_id)
    engine = get_engine()
    data = documents.case_data(session, engine, case)
    staff = access.is_case_staff(session, actor=current_user, case=case)
    # Staff record any party's signature; a party signs only for themselves (or those they
    # represent).  Parties are told apart by id: two may share a name.
    own = None if staff else _own_party_ids(session, case)
    due = {p.party_id: p.party_name for p in party_signatures(session, case, data)
           if p.stale and (own is None or p.party_id in own)}
    if not due:
        flash(_("Nobody needs to sign the agreement again."), "info")
        return redirect(url_for("cases.show", case_id=case.id))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        chosen = request.form.get("party", "")
        party_id = int(chosen) if chosen.isdigit() and len(chosen) < 12 else None
        if party_id not in due:
            errors["party"] = [_("Choose a party who must sign again.")]
        else:
            problem = sign_from_form(session, case, data, party_id=party_id, form=request.form)
            if problem is None:
                flash(_("%(party)s signed the agreement as it stands now.", party=due[party_id]),
                      "success")
                return redirect(url_for("cases.show", case_id=case.id))
            errors["signing"] = [problem]
    return render_template("documents/sign_again.html", case=case, due=due, errors=errors,
                           staff=staff,
                           methods=signing_methods()), 422 if errors else 200


def _own_party_ids(session: Session, case: Case) -> set[int]:
    """The parties of ``case`` the current person is, or represents."""
    mine = {p.id for p in case.parties if p.person_id == current_user.id}
    return mine | {p.id for p in case.parties if p.represented_by_id in mine}


@bp.route("/agreement/amend", methods=["GET", "POST"])
def amend(case_id: int) -> Any:
    """The mediator corrects the agreement's text while it is being signed; whoever signed the
    earlier text must sign again."""
    session = db_session()
    case = visible_case(session, case_id)
    if not access.is_case_staff(session, actor=current_user, case=case):
        abort(403)
    engine = get_engine()
    view = engine.instance(session, case.instance_id) if case.instance_id else None
    if view is None or not {t.element_id for t in view.ready_tasks} & SIGNING_TASKS:
        return problem_response(409, _("The agreement can be corrected only while it is being "
                                       "signed."))
    definition = _definition(session, view.id)
    schema = (definition.forms or {}).get("documents", {}).get(AGREEMENT_FORM) \
        if definition else None
    if schema is None:
        abort(404)
    values: Any = forms.prefill(schema, view.data)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = forms.read_submission(schema, request.form)
        try:
            validate_form_data(schema, values)
        except FormValidationError as invalid:
            errors = forms.translate_errors(invalid.field_errors)
            values = {k: request.form.get(k, "") for k in schema.get("properties", {})}
        else:
            engine.update_data(session, view.id, data=values, actor=current_user.username)
            flash(_("The agreement was corrected; parties who had signed must sign again."),
                  "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="agreement"))
    return render_template("documents/amend.html", case=case,
                           fields=forms.fields_of(schema, values, errors),
                           form_errors=forms.form_errors(errors, schema),
                           errors=errors), 422 if errors else 200


def signing_methods() -> list[tuple[str, str]]:
    """The ways of signing the web offers."""
    return [(ELECTRONIC, _("Sign on this screen")),
            ("signature", _("Signed on paper in front of the mediator")),
            ("seal", _("Sealed in front of the mediator")),
            ("fingerprint", _("Fingerprinted in front of the mediator"))]


def sign_from_form(session: Session, case: Case, data: dict[str, Any], *, party_id: int,
                   form: Any) -> str | None:
    """Record the signature a signing form sent; the problem in words, or None when recorded."""
    method = form.get("signing", "")
    image = None
    if method == ELECTRONIC:
        image = _png_from_data_url(form.get("signature_image", ""))
        if image is None:
            return _("Sign in the box first (draw your signature with a finger).")
    staff = access.is_case_staff(session, actor=current_user, case=case)
    engine = get_engine()
    signing_copy = document_bytes(session, engine, file_store(), case, "agreement",
                                  office=office(), now=engine.now(), data=data,
                                  signing_copy=True)
    try:
        record_signature(session, file_store(), case, data, party_id=party_id,
                         method=method, image=image, document=signing_copy,
                         actor=current_user.username,
                         confirmed_by=current_user.username
                         if staff and method in IN_PERSON else None,
                         now=engine.now())
    except SignatureRefused as refused:
        return signature_message(refused)
    return None


def signature_message(refused: SignatureRefused) -> str:
    """Why a signature was not recorded, in the page's language."""
    messages = {
        "no_image": _("Sign in the box first (draw your signature with a finger)."),
        "image_too_large": _("The drawn signature is too large; clear it and sign again."),
        "not_an_image": _("The signature did not arrive as a drawing; clear it and sign "
                          "again."),
        "blank": _("The signature box is empty; draw your signature."),
        "needs_mediator": _("A signature on paper, a seal or a fingerprint is recorded by the "
                            "mediator who saw it; on a phone, sign on the screen."),
        "unknown_method": _("Choose how the party signs."),
        "unknown_party": _("This person is not a party to the agreement."),
        "sign_again": _("The agreement changed after %(parties)s signed; they must sign it "
                        "again before the mediator signs and seals it."),
    }
    template = messages.get(refused.code, _("The signature was not recorded."))
    try:
        return template % refused.params
    except (KeyError, TypeError, ValueError):
        return template


def _png_from_data_url(value: str) -> bytes | None:
    if not value.startswith(DATA_URL_PREFIX):
        return None
    try:
        return base64.b64decode(value[len(DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return None


# -- the signing tasks ---------------------------------------------------------------------------


def before_completing(session: Session, task: Any, form: Any) -> str | None:
    """What the signing tasks do besides their form: a party's signature is recorded with the
    text signed; the mediator signs only what every party signed.  The problem, or None."""
    if task.element_id not in SIGNING_TASKS:
        return None
    case = session.scalar(select(Case).where(Case.instance_id == task.instance_id))
    if case is None:
        return None
    engine = get_engine()
    data = documents.case_data(session, engine, case)
    if task.element_id == "sign_by_mediator":
        from workflows.signatures import check_mediator_may_sign

        try:
            check_mediator_may_sign(session, case, data)
        except SignatureRefused as refused:
            return signature_message(refused)
        return None
    if form.get("signing") in (None, "", "refused"):
        return None  # a refusal is the process's to record; an empty choice, the form's
    party = engine.task_data(session, task.id).get("party")
    if not isinstance(party, dict) or not isinstance(party.get("id"), int):
        return None
    return sign_from_form(session, case, data, party_id=party["id"], form=form)


def signing_panel(session: Session, task: Any, case: Case | None) -> dict[str, Any] | None:
    """What a signing task's page shows beside its form: the agreement and the signatures."""
    if case is None or task.element_id not in SIGNING_TASKS:
        return None
    engine = get_engine()
    data = documents.case_data(session, engine, case)
    return {
        "pdf": url_for("documents.document", case_id=case.id, name="agreement", fmt="pdf"),
        "signatures": party_signatures(session, case, data),
        "party_task": task.element_id == "sign_by_parties",
        "staff": access.is_case_staff(session, actor=current_user, case=case),
    }
