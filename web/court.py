"""The court's queue: applications for judicial confirmation and suits coming from failed
mediation, with the days left on each legal period.

A court task's candidate group is ``<role>:<court code>``; the tasks are worked on the same task
page as every other (accept or refuse, rule valid or reject with a ground, ask the president for
more time, the president's approval, registering a suit).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.auth import require_roles
from web.inbox import read_filters, unit_names
from web.process_texts import text
from web.timing import load_provisional
from web.transaction import db_session, get_engine
from workflows import access, worklist
from workflows.cases import STATES
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
