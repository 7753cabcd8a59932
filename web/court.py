"""The court's queue: applications for judicial confirmation and suits coming from failed
mediation, with the days left on each legal period; and the court's own intake page, where it
sends a suit to the mediation office before filing (委派) or after (委托).

A court task's candidate group is ``<role>:<court code>``; the tasks are worked on the same task
page as every other (accept or refuse, rule valid or reject with a ground, ask the president for
more time, the president's approval, registering a suit).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from web.auth import require_roles
from web.inbox import read_filters, unit_names
from web.intake import Report, office_settings
from web.process_texts import text
from web.timing import load_provisional
from web.transaction import db_session, get_engine
from workflows import access, worklist
from workflows.cases import COURT_REFERRALS, STATES, ApplicationInvalid, refer_from_court
from workflows.models import Case
from workflows.organisation import COURT_ROLES, DISPUTE_TYPES, TIERS, candidate_group

bp = Blueprint("court", __name__, url_prefix="/court")
bp.before_request(require_roles(*COURT_ROLES))

LISTS = {
    "confirmation": ("decide_acceptance", "review_agreement", "approve_extension",
                     "rule_after_extension", "serve_ruling"),
    "suits": ("register_suit", "delegate_case"),
}
# The legal period each court task runs against.
PERIODS: dict[str, Any] = {
    "decide_acceptance": _l("Acceptance: 3 days from the application"),
    "review_agreement": _l("Review: 15 days from acceptance"),
    "approve_extension": _l("Review: 15 days from acceptance"),
    "rule_after_extension": _l("Review extended by 10 days"),
    "register_suit": _l("Registration: 7 days from the suit"),
}


def court_groups() -> list[str]:
    """The candidate groups of the current person's court roles."""
    groups = []
    for m in current_user.memberships:
        if m.role in COURT_ROLES:
            groups += [candidate_group(m.role, m.unit_code), m.role]
    return groups


@bp.get("")
def index() -> str:
    """The open court tasks of my court: applications to confirm, or suits to register."""
    which = request.args.get("list", "confirmation")
    which = which if which in LISTS else "confirmation"
    base = read_filters(request.args)
    filters = worklist.Filters(
        dispute_type=base.dispute_type, tier=base.tier, state=base.state,
        due_before=base.due_before, overdue=base.overdue, elements=LISTS[which],
    )
    session = db_session()
    page = worklist.group_queue(
        session, court_groups(), filters=filters, sort=request.args.get("sort", "due"),
        cursor=request.args.get("after") or None, now=get_engine().now(), unassigned=False,
    )
    load_provisional(r.instance_id for r in page.rows)
    rulings = _ruling_deadlines(session, [r.case_id for r in page.rows if r.case_id])
    return render_template(
        "court/index.html",
        which=which,
        page=page,
        filters=base,
        sort=page.sort,
        cursor=request.args.get("after"),
        query={k: v for k, v in request.args.items() if k != "after" and v},
        periods=PERIODS,
        rulings=rulings,
        dispute_types=DISPUTE_TYPES,
        tiers=TIERS,
        states=STATES,
        unit_names=unit_names(session, [r.candidate_group for r in page.rows]),
        task_name=text,
        may_work=lambda row: access.may_work(actor=current_user, task=row),
        may_refer=access.may_refer_from_court(actor=current_user),
    )


def _ruling_deadlines(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Case id -> the ruling deadline the case record keeps (``jc_ruling_due``)."""
    if not case_ids:
        return {}
    return {
        case_id: details["jc_ruling_due"]
        for case_id, details in session.execute(
            select(Case.id, Case.details).where(Case.id.in_(case_ids)))
        if isinstance(details, dict) and details.get("jc_ruling_due")
    }


# -- sending a case to mediation ----------------------------------------------------------------

REFERRAL_FIELDS = (
    "mode", "court_reference", "applicant_name", "applicant_phone", "applicant_id_number",
    "respondent_name", "respondent_phone", "dispute_type", "amount", "description",
)
_PARTY_FIELDS = {"0": "applicant", "1": "respondent"}


@bp.route("/intake", methods=["GET", "POST"])
def intake() -> Response | str | tuple[str, int]:
    """Send a suit to the mediation office for pre-litigation mediation (委派) or, once filed,
    entrusted mediation (委托); the office registers it and mediates within 30 days."""
    if not access.may_refer_from_court(actor=current_user):
        abort(403)
    form = Report({name: (request.form.get(name) or "").strip()[:5001] for name in REFERRAL_FIELDS})
    if request.method == "GET":
        form.values.setdefault("mode", "delegated")
        return render_template("court/intake.html", form=form, modes=COURT_REFERRALS,
                               dispute_types=DISPUTE_TYPES)
    values = form.values
    for name, message in _REQUIRED.items():
        if not values.get(name):
            form.add(name, str(message))
    if not form.errors:
        engine = get_engine()
        try:
            submitted = refer_from_court(
                db_session(), engine, _application(values), mode=values["mode"],
                court_reference=values.get("court_reference") or None,
                actor=current_user.username, settings=office_settings(), now=engine.now(),
            )
        except ApplicationInvalid as invalid:
            for key in invalid.field_errors:
                name = _field_of(key)
                form.add(name, str(_MESSAGES.get(name.split("_", 1)[-1], _MESSAGES.get(name, _l(
                    "This value is not accepted.")))))
        else:
            flash(_("Sent to the mediation office as %(case_no)s; it is mediated within 30 days of "
                    "the mediator's acceptance.", case_no=submitted.case_no), "success")
            return redirect(url_for("court.index", list="suits"))
    return render_template("court/intake.html", form=form, modes=COURT_REFERRALS,
                           dispute_types=DISPUTE_TYPES), 422


_REQUIRED: dict[str, Any] = {
    "mode": _l("Choose how the case is sent."),
    "applicant_name": _l("Enter the applicant's name."),
    "applicant_phone": _l("Enter a phone number we can reach the applicant on."),
    "respondent_name": _l("Enter the name of the other party."),
    "dispute_type": _l("Choose the kind of dispute."),
    "description": _l("Describe what happened."),
}
_MESSAGES: dict[str, Any] = {
    "name": _l("Enter a name of up to 100 characters."),
    "phone": _l("Enter an 11-digit mobile number or a landline such as 023-46789012."),
    "id_number": _l("Enter the 18-character resident ID number, or leave it empty."),
    "mode": _l("Choose how the case is sent."),
    "court_reference": _l("Enter the court's reference number (up to 60 characters)."),
    "dispute_type": _l("Choose the kind of dispute."),
    "amount": _l("Enter an amount of 0 yuan or more, with at most two decimals."),
    "description": _l("Describe the dispute in 5 to 5000 characters."),
    "parties": _l("An applicant and a respondent are both needed."),
}


def _application(values: Mapping[str, str]) -> dict[str, Any]:
    def party(role: str) -> dict[str, Any]:
        return {"role": role, "name": values.get(f"{role}_name", ""),
                "phone": values.get(f"{role}_phone") or None,
                "id_number": values.get(f"{role}_id_number") or None}

    application: dict[str, Any] = {
        "parties": [party("applicant"), party("respondent")],
        "dispute_type": values.get("dispute_type", ""),
        "description": values.get("description", ""),
    }
    if values.get("amount"):
        application["amount"] = values["amount"]
    return application


def _field_of(key: str) -> str:
    """The page's field for a key the domain refused (``parties.0.phone`` -> applicant_phone)."""
    parts = key.split(".")
    if parts[0] == "parties" and len(parts) == 3 and parts[1] in _PARTY_FIELDS:
        return f"{_PARTY_FIELDS[parts[1]]}_{parts[2]}"
    return key if key in REFERRAL_FIELDS or key == "parties" else "_form"
