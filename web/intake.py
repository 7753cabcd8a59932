"""Taking disputes in: the public form residents use at any hour (no login) and the grid
worker's quick report from the street.

Both hand the dispute to :func:`workflows.cases.submit_dispute`, which numbers it and starts its
process; its validation messages come back next to the fields they concern, with everything typed
kept.  Where it happened is chosen town → village → grid → courtyard from the organisation tree
(htmx refreshes the lower lists; without JavaScript a button does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased
from werkzeug.wrappers import Response

from web.auth import roles_required
from web.files import file_store
from web.transaction import db_session, get_engine
from workflows.cases import ApplicationInvalid, DisputeApplicationSchema, submit_dispute
from workflows.configuration import OfficeSettings
from workflows.materials import MaterialRefused, add_materials, check_files
from workflows.models import Case, OrgUnit
from workflows.organisation import DISPUTE_TYPES

bp = Blueprint("intake", __name__)

OFFICE_SETTINGS_KEY = "tiaojie.office_settings"
OFFICE_FILE = "office.json"
RECEIPT_KEY = "intake_receipt"
LEVELS = ("town", "village", "grid", "courtyard")
PUBLIC_ACTOR = "public"
TEXT_LIMITS = {"name": 100, "phone": 30, "id_number": 18, "address": 300, "description": 5000}


def office_settings() -> OfficeSettings:
    """The office's settings: ``OFFICE_SETTINGS`` in the app config, else ``office.json`` in the
    instance folder, else the defaults (read once per application)."""
    configured = current_app.config.get("OFFICE_SETTINGS")
    if isinstance(configured, OfficeSettings):
        return configured
    cached = current_app.extensions.get(OFFICE_SETTINGS_KEY)
    if cached is None:
        cached = OfficeSettings.load(Path(current_app.instance_path) / OFFICE_FILE)
        current_app.extensions[OFFICE_SETTINGS_KEY] = cached
    return cached


# -- where it happened ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One list of the place chooser."""

    name: str
    options: list[tuple[str, str]]  # (code, name)
    chosen: str


@dataclass(frozen=True)
class Chooser:
    """The four lists, each filled from the choice above it."""

    levels: list[Level]

    @property
    def unit(self) -> str:
        """The most precise place chosen (the code sent as ``reported_unit``), or ''."""
        chosen = [level.chosen for level in self.levels if level.chosen]
        return chosen[-1] if chosen else ""


def place_chooser(db: Session, chosen: Mapping[str, str]) -> Chooser:
    """The lists for the choices made so far; a choice that does not belong under the one above
    it is dropped (the town changed, so the old village no longer fits)."""
    parent = aliased(OrgUnit)
    levels: list[Level] = []
    above: str | None = None
    for depth, kind in enumerate(LEVELS):
        if depth and not above:
            levels.append(Level(kind, [], ""))
            continue
        query = select(OrgUnit.code, OrgUnit.name).where(
            OrgUnit.kind == kind, OrgUnit.active.is_(True)
        )
        if above:
            query = query.join(parent, parent.id == OrgUnit.parent_id).where(parent.code == above)
        options = [(code, name) for code, name in db.execute(query.order_by(OrgUnit.code))]
        pick = chosen.get(kind, "")
        pick = pick if any(code == pick for code, _name in options) else ""
        levels.append(Level(kind, options, pick))
        above = pick or None
    return Chooser(levels)


@bp.get("/report/places")
def places() -> str:
    """The place lists again for the choices sent (htmx swaps them in as the person chooses)."""
    chooser = place_chooser(db_session(), {k: request.args.get(k, "") for k in LEVELS})
    return render_template("intake/_places.html", chooser=chooser, errors={})


# -- the forms -----------------------------------------------------------------------------------


@dataclass
class Report:
    """What was typed, and the messages per field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        """Add a message for ``name`` (once)."""
        messages = self.errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)


PUBLIC_FIELDS = (
    "applicant_name", "applicant_phone", "applicant_id_number", "applicant_address",
    "respondent_name", "respondent_phone", "respondent_address",
    "dispute_type", "amount", "description", "applied_jointly", *LEVELS,
)
QUICK_FIELDS = (
    "applicant_name", "applicant_phone", "respondent_name", "respondent_phone",
    "dispute_type", "amount", "description", "place",
)
REQUIRED = ("applicant_name", "applicant_phone", "respondent_name", "dispute_type", "description")


@bp.route("/report", methods=["GET", "POST"])
def report() -> Response | str | tuple[str, int]:
    """The public form: anyone may report a dispute, at any hour."""
    db = db_session()
    typed = _typed(PUBLIC_FIELDS)
    form = Report(typed)
    chooser = place_chooser(db, typed)
    if request.method == "GET" or "refresh_places" in request.form:
        return render_template("intake/report.html", form=form, chooser=chooser,
                               dispute_types=DISPUTE_TYPES)
    channel = "walk_in" if _is_staff() else "online"
    submitted = _submit(db, form, chooser.unit, channel, "place", _photos())
    if submitted is None:
        return render_template("intake/report.html", form=form, chooser=chooser,
                               dispute_types=DISPUTE_TYPES), 422
    return redirect(url_for("intake.receipt"))


@bp.route("/grid/report", methods=["GET", "POST"])
@roles_required("grid_worker")
def quick_report() -> Response | str | tuple[str, int]:
    """The grid worker's short form: a dispute seen in the street, reported from a phone."""
    db = db_session()
    typed = _typed(QUICK_FIELDS)
    places_ = _worker_places(db)
    if not typed.get("place") and places_:
        typed["place"] = places_[0][0]
    form = Report(typed)
    if request.method == "GET":
        return render_template("intake/quick.html", form=form, places=places_,
                               dispute_types=DISPUTE_TYPES)
    place = typed.get("place", "")
    if place not in {code for code, _name in places_}:
        form.add("place", _("Choose one of your places."))
    submitted = _submit(db, form, place, "grid_worker", "place", _photos())
    if submitted is None:
        return render_template("intake/quick.html", form=form, places=places_,
                               dispute_types=DISPUTE_TYPES), 422
    return redirect(url_for("intake.receipt"))


@bp.get("/report/receipt")
def receipt() -> Response | str:
    """The case number of the dispute this browser reported last."""
    given = session.get(RECEIPT_KEY)
    if not given:
        return redirect(url_for("intake.report"))
    shown = {**given, "at": datetime.fromisoformat(given["at"])}
    return render_template("intake/receipt.html", receipt=shown,
                           office_phone=office_settings().phone)


def _submit(db: Session, form: Report, unit: str, channel: str, place_field: str,
            photos: list[tuple[str, bytes]]) -> str | None:
    """Check and submit the dispute with its photos; the case number, or None with
    ``form.errors`` filled."""
    values = form.values
    rules = office_settings().materials
    try:
        check_files(photos, rules=rules)
    except MaterialRefused as refused:
        from web.materials import refusal_message

        form.add("photos", refusal_message(refused))
    for name in REQUIRED:
        if not values.get(name):
            form.add(name, _REQUIRED_MESSAGES[name]())
    if not unit:
        form.add(place_field, _("Choose where it happened."))
    application = _application(values, unit, channel)
    problems = DisputeApplicationSchema().validate(application)
    already = set(form.errors)
    for key in _flatten(problems):
        _add_domain_error(form, key, place_field, skip=already)
    if form.errors:
        return None
    actor = current_user.username if current_user.is_authenticated else PUBLIC_ACTOR
    engine = get_engine()
    try:
        submitted = submit_dispute(db, engine, application, actor=actor,
                                   settings=office_settings(), now=engine.now())
    except ApplicationInvalid as invalid:
        for key in invalid.field_errors:
            _add_domain_error(form, key, place_field)
        return None
    if photos:
        case = db.get(Case, submitted.case_id)
        assert case is not None
        add_materials(db, file_store(), case, photos, actor=actor, now=engine.now(), rules=rules)
    session[RECEIPT_KEY] = {"case_no": submitted.case_no, "case_id": submitted.case_id,
                            "at": engine.now().isoformat()}
    return submitted.case_no


def _application(values: Mapping[str, str], unit: str, channel: str) -> dict[str, Any]:
    def party(role: str, prefix: str) -> dict[str, Any]:
        return {
            "role": role,
            "name": values.get(f"{prefix}_name", ""),
            "phone": values.get(f"{prefix}_phone") or None,
            "id_number": values.get(f"{prefix}_id_number") or None,
            "address": values.get(f"{prefix}_address") or None,
        }

    application: dict[str, Any] = {
        "parties": [party("applicant", "applicant"), party("respondent", "respondent")],
        "dispute_type": values.get("dispute_type", ""),
        "description": values.get("description", ""),
        "channel": channel,
        "reported_unit": unit,
        "applied_jointly": values.get("applied_jointly") == "yes",
    }
    if values.get("amount"):
        application["amount"] = values["amount"]
    return application


def _add_domain_error(
    form: Report, key: str, place_field: str, skip: set[str] | frozenset[str] = frozenset()
) -> None:
    """The message for a field the domain refused, in the page's language, on the form's field
    (unless the field already has a message of the form's own, in ``skip``)."""
    parts = key.split(".")
    if parts[0] == "parties" and len(parts) == 3 and parts[1] in ("0", "1"):
        prefix = "applicant" if parts[1] == "0" else "respondent"
        name, message = f"{prefix}_{parts[2]}", _PARTY_MESSAGES.get(parts[2], _fallback)()
    elif key == "reported_unit":
        name, message = place_field, _FIELD_MESSAGES[key]()
    elif key in ("parties", "dispute_type", "amount", "description"):
        name, message = key, _FIELD_MESSAGES[key]()
    else:
        name, message = "_form", _FIELD_MESSAGES.get(key, _fallback)()
    if name not in skip:
        form.add(name, message)


def _fallback() -> str:
    return _("This value is not accepted.")


_REQUIRED_MESSAGES = {
    "applicant_name": lambda: _("Enter the applicant's name."),
    "applicant_phone": lambda: _("Enter a phone number we can reach the applicant on."),
    "respondent_name": lambda: _("Enter the name of the other party."),
    "dispute_type": lambda: _("Choose the kind of dispute."),
    "description": lambda: _("Describe what happened."),
}
_PARTY_MESSAGES = {
    "name": lambda: _("Enter a name of up to 100 characters."),
    "phone": lambda: _("Enter an 11-digit mobile number or a landline such as 023-46789012."),
    "id_number": lambda: _("Enter the 18-character resident ID number, or leave it empty."),
    "address": lambda: _("Enter an address of up to 300 characters."),
}
_FIELD_MESSAGES = {
    "parties": lambda: _("An applicant and a respondent are both needed."),
    "dispute_type": lambda: _("Choose the kind of dispute."),
    "amount": lambda: _("Enter an amount of 0 yuan or more, with at most two decimals."),
    "description": lambda: _("Describe the dispute in 5 to 5000 characters."),
    "reported_unit": lambda: _("Choose where it happened."),
    "channel": lambda: _("This way of reporting is not accepted."),
    "applied_jointly": lambda: _("This value is not accepted."),
}


def _typed(names: tuple[str, ...]) -> dict[str, str]:
    """The submitted (or, on GET, queried) values, trimmed and cut to a sane length."""
    source = request.form if request.method == "POST" else request.args
    values: dict[str, str] = {}
    for name in names:
        raw = (source.get(name) or "").strip()
        kind = name.split("_", 1)[1] if name.startswith(("applicant_", "respondent_")) else name
        values[name] = raw[: TEXT_LIMITS.get(kind, 200) + 1]
    return values


def _flatten(messages: Any, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
    else:
        flat[prefix.rstrip(".")] = messages
    return flat


PHOTO_FIELD = "photos"


def _photos() -> list[tuple[str, bytes]]:
    """(name, bytes) of the photos sent with a report."""
    return [(f.filename or "photo", f.read()) for f in request.files.getlist(PHOTO_FIELD)
            if f.filename]


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.has_role("intake_clerk")


def _worker_places(db: Session) -> list[tuple[str, str]]:
    """The grid worker's own units and the courtyards (or other units) right below them."""
    codes = [m.unit_code for m in current_user.memberships if m.role == "grid_worker"]
    places_: list[tuple[str, str]] = []
    for unit in db.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)).order_by(OrgUnit.code)):
        places_.append((unit.code, unit.name))
        for child in sorted(unit.children, key=lambda c: c.code):
            if child.kind in LEVELS and child.active:
                places_.append((child.code, child.name))
    return places_


def init_app(app: Flask) -> None:
    """Register the intake pages."""
    app.register_blueprint(bp)
