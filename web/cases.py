"""The case page: parties, facts, deadlines with the days left, the timeline in words, the
documents the process recorded, and the process diagram with its progress; and a case finder.

Who may open a case is :func:`workflows.access.may_see_case`; parties' phone and ID numbers are
masked for people who are not staff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import aware
from engine.models import DeploymentFile, ProcessDefinition, ProcessInstance
from engine.views import AuditView, InstanceView
from web.auth import require_roles
from web.case_labels import DEADLINE_NAMES, MESSAGE_NAMES, OPEN_PERIODS
from web.labels import TIER_NAMES, name_of
from web.people_labels import display_names
from web.process_texts import text
from web.timing import days_left, last_day, load_provisional, parse_due
from web.transaction import db_session, get_engine
from workflows import access
from workflows import documents as case_documents
from workflows.assignment import PARTY_LANE, party_of_task
from workflows.cases import WithdrawalRefused, may_withdraw, record_withdrawal
from workflows.joint_mediation import invite_unit, joint_unit_choices, may_invite
from workflows.materials import ACCEPTED, case_materials
from workflows.models import Case, Material, Notice, OrgUnit, Person, Signature
from workflows.organisation import COURT_ROLES
from workflows.signatures import to_sign_again

bp = Blueprint("cases", __name__, url_prefix="/cases")
bp.before_request(require_roles(*access.TASK_ROLES, "admin"))

SEARCH_LIMIT = 50
# What the file chooser offers (the server checks the content whatever the browser sends).
UPLOAD_ACCEPT = ",".join(sorted(ACCEPTED))
_PROCESS = re.compile(rb"<(?:[\w-]+:)?process\b[^>]*>")
_ATTR = re.compile(rb'\b(id|name)="([^"]*)"')


@bp.get("")
def index() -> str:
    """Cases I may see, newest first, optionally by case number."""
    session = db_session()
    query = request.args.get("q", "").strip()[:60]
    cases = visible_cases(session, query)
    return render_template("cases/index.html", cases=cases, query=query)


@bp.get("/<int:case_id>")
def show(case_id: int) -> str:
    """Everything about one case."""
    session = db_session()
    return _case_page(session, _visible_case(session, case_id))


@bp.post("/<int:case_id>/withdraw")
def withdraw(case_id: int) -> Response | tuple[str, int]:
    """Record that a party withdrew (撤回): the mediation ends and the other routes are told."""
    session = db_session()
    case = _visible_case(session, case_id)
    if not access.may_record_withdrawal(actor=current_user):
        abort(403)
    allowed = access.withdrawing_parties(actor=current_user, case=case)
    values = {"party": request.form.get("party", ""), "reason": request.form.get("reason", "")}
    errors: dict[str, list[str]] = {}
    party = next((p for p in allowed if str(p.id) == values["party"]), None)
    if party is None:
        errors["party"] = [_("Choose the party who withdraws.")]
    if not values["reason"].strip():
        errors["reason"] = [_("Say why the party withdraws.")]
    elif len(values["reason"]) > 2000:
        errors["reason"] = [_("Enter at most %(count)s characters.", count=2000)]
    if party is not None and not errors:
        try:
            record_withdrawal(session, get_engine(), case, party_id=party.id,
                              reason=values["reason"], actor=current_user.username)
        except WithdrawalRefused as refused:
            errors[_WITHDRAWAL_FIELDS.get(refused.code, "_form")] = [
                str(_WITHDRAWAL_MESSAGES.get(refused.code, refused))]
    if errors:
        return _case_page(session, case, withdrawal=(values, errors)), 422
    flash(_("The withdrawal of %(party)s is recorded; the mediation ends and the parties are told "
            "the other routes.", party=party.name if party else ""), "success")
    return redirect(url_for("cases.show", case_id=case.id))


_WITHDRAWAL_FIELDS = {"not_a_party": "party", "no_reason": "reason", "too_late": "_form"}
_WITHDRAWAL_MESSAGES: Mapping[str, Any] = {
    "not_a_party": _l("Choose the party who withdraws."),
    "no_reason": _l("Say why the party withdraws."),
    "too_late": _l("The case can no longer be withdrawn: its mediation has ended or its "
                   "agreement is in force."),
}


def _case_page(
    session: Session,
    case: Case,
    *,
    withdrawal: tuple[Mapping[str, str], Mapping[str, list[str]]] | None = None,
) -> str:
    engine = get_engine()
    view = engine.instance(session, case.instance_id) if case.instance_id else None
    data: Mapping[str, Any] = {**case.details, **(view.data if view else {})}
    trail = engine.audit_trail(session, case.instance_id) if case.instance_id else []
    completed, active = engine.progress(session, case.instance_id) if case.instance_id else ((), ())
    definition = _definition(session, case.instance_id) if case.instance_id else None
    labels = field_labels(definition.forms if definition else {})
    now = engine.now()
    tasks = _open_tasks(session, view)
    parties = list(case.parties)
    materials = case_materials(session, case.id)
    if case.instance_id:
        load_provisional([case.instance_id])
    may_withdraw_now = may_withdraw(view) and access.may_record_withdrawal(actor=current_user)
    return render_template(
        "cases/show.html",
        materials=materials,
        may_withdraw={m.id: access.may_withdraw_material(session, actor=current_user, case=case,
                                                         added_by=m.added_by)
                      for m in materials},
        generated=case_documents.available(data, case),
        case_staff=access.is_case_staff(session, actor=current_user, case=case),
        must_sign_again=to_sign_again(session, case, data)
        if case_documents.BY_NAME["agreement"].ready(data, case) else [],
        upload_accept=UPLOAD_ACCEPT,
        case=case,
        view=view,
        parties=parties,
        representatives={p.id: p.name for p in parties},
        mediator=_person_name(session, case.mediator_id),
        joint_units=[j.org_unit.name for j in case.joint_units],
        joint_choices=joint_unit_choices(session, case=case)
        if case.closed_at is None and may_invite(session, actor=current_user, case=case) else [],
        full_numbers=access.sees_full_numbers(actor=current_user),
        unit=_unit_name(session, case.org_unit_id),
        court=_unit_name(session, case.court_id),
        reported=_unit_name_by_code(session, case.details.get("reported_unit")),
        deadlines=deadlines(data, tasks, view.timers if view else (), now),
        tasks=tasks,
        timeline=sorted(
            timeline(trail, labels, names=display_names(session, [e.actor for e in trail]))
            + record_entries(session, case),
            key=lambda e: e.at),
        documents=documents(data, labels, names=display_names(session, _mediators(data))),
        remedies=remedies(data, now) if data.get("non_performance") else [],
        linked=_linked_cases(session, case),
        withdrawable=access.withdrawing_parties(actor=current_user, case=case)
        if may_withdraw_now else [],
        withdrawal_values=withdrawal[0] if withdrawal else {},
        withdrawal_errors=withdrawal[1] if withdrawal else {},
        diagrams=diagram_files(session, definition) if definition else [],
        completed=list(completed),
        active=list(active),
        task_name=text,
        stuck_element=_element_name(session, definition, view.error_element)
        if view is not None and view.status == "error" else "",
    )


def _linked_cases(session: Session, case: Case) -> list[tuple[str, str, int | None]]:
    """(label, case number, case id) of the cases this one is linked to."""
    links = [("remediation_of", _("Mediated again after the court rejected the agreement of")),
             ("remediated_as", _("Mediated again, after the court's rejection, as"))]
    found = []
    for key, label in links:
        number = case.details.get(key)
        if isinstance(number, str):
            found.append((label, number,
                          session.scalar(select(Case.id).where(Case.case_no == number))))
    return found


@bp.get("/<int:case_id>/diagram/<path:key>")
def diagram(case_id: int, key: str) -> Response:
    """A diagram file of the case's process version (for the viewer)."""
    session = db_session()
    case = _visible_case(session, case_id)
    definition = _definition(session, case.instance_id) if case.instance_id else None
    if definition is None or key not in (definition.source_files or {}) or \
            not key.endswith(".bpmn"):
        abort(404)
    content = session.scalar(select(DeploymentFile.content).where(
        DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.key == key))
    if content is None:
        abort(404)
    return Response(bytes(content), mimetype="application/xml")


# -- who sees what -------------------------------------------------------------------------------


@bp.post("/<int:case_id>/joint-units")
def invite(case_id: int) -> Response:
    """Invite a unit to mediate the case jointly (联合调解)."""
    session = db_session()
    case = _visible_case(session, case_id)
    joint = invite_unit(session, actor=current_user, case=case,
                        unit_code=request.form.get("unit", "").strip()[:60],
                        now=get_engine().now())
    flash(_("%(unit)s now mediates this case jointly and sees it.", unit=joint.org_unit.name),
          "success")
    return redirect(url_for("cases.show", case_id=case.id) + "#joint")


def visible_case(session: Session, case_id: int) -> Case:
    """The case, if the current person may see it (else 403; 404 when there is none)."""
    return _visible_case(session, case_id)


def _visible_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        abort(404)
    access.check_case(session, actor=current_user, case=case)
    return case


def visible_cases(session: Session, text_: str = "") -> list[Case]:
    """The newest cases the current person may see (by case number when ``text_`` is given)."""
    return access.visible_cases(session, actor=current_user, case_no=text_, limit=SEARCH_LIMIT)


# -- deadlines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A deadline on the case page."""

    label: str
    due: datetime
    days: int
    task: bool  # an open task's own deadline
    running: bool  # an open task or a timer of the process waits on it

    @property
    def last_day(self) -> str:
        """The period's last day."""
        return last_day(self.due).isoformat()


def deadlines(
    data: Mapping[str, Any], tasks: list[Any], timers: Iterable[Any], now: datetime
) -> list[Deadline]:
    """The open tasks' deadlines, then every period the process recorded (``*_due``); a recorded
    period still runs when a task or timer of the process waits on it, else its step is over."""
    found: list[Deadline] = []
    waiting = {t.due_at for t in tasks if t.due_at is not None} | {t.due_at for t in timers}
    for task in tasks:
        if task.due_at is not None:
            found.append(Deadline(_("Task: %(task)s", task=text(task.name)), task.due_at,
                                  days_left(task.due_at, now), True, True))
    recorded = []
    for key, value in data.items():
        due = parse_due(value) if key.endswith("_due") else None
        if due is not None:
            recorded.append((due, key))
    for due, key in sorted(recorded):
        label = name_of(DEADLINE_NAMES, key)
        running = due in waiting or (key in OPEN_PERIODS and due > now)
        found.append(Deadline(label, due, days_left(due, now), False, running))
    return found


@dataclass(frozen=True)
class Remedy:
    """A route the parties have when the agreement was not performed, and until when."""

    key: str
    label: str
    basis: str
    due: datetime | None = None
    chosen: bool = False


def remedies(data: Mapping[str, Any], now: datetime) -> list[Remedy]:
    """The routes after non-performance (人民调解法 art 31-32; 民事诉讼法 art 225, 250): judicial
    confirmation while it is still open, a payment order, a suit on an agreement the court has not
    confirmed, enforcement of a confirmed one within two years."""
    chosen = data.get("remedy")
    confirmed = data.get("jc_outcome") == "confirmed"
    found = []
    jc_due = parse_due(data.get("jc_apply_due"))
    if not data.get("jc_outcome") and not data.get("personal_status") and jc_due and jc_due > now:
        found.append(Remedy("judicial_confirmation", _("Apply jointly for judicial confirmation"),
                            _("People's Mediation Law art 33"), jc_due))
    found.append(Remedy("payment_order", _("Apply to the court for a payment order"),
                        _("Civil Procedure Law art 225"), chosen=chosen == "payment_order"))
    if confirmed:
        found.append(Remedy("enforcement", _("Apply to the court for enforcement"),
                            _("Civil Procedure Law art 250"),
                            parse_due(data.get("enforcement_due")),
                            chosen=chosen == "enforcement"))
    else:
        found.append(Remedy("suit", _("Sue on the agreement"), _("People's Mediation Law art 32"),
                            chosen=chosen == "suit"))
    return found


def _open_tasks(session: Session, view: InstanceView | None) -> list[Any]:
    """The instance's ready tasks, with the party a per-party task is for."""
    if view is None:
        return []
    engine = get_engine()
    shown = []
    holders = display_names(session, [t.assignee for t in view.ready_tasks])
    for task in view.ready_tasks:
        party = None
        if task.lane == PARTY_LANE:
            party_data = party_of_task(engine.task_data(session, task.id))
            party = str(party_data.get("name", "")) if party_data else None
        shown.append(OpenTask(task.id, task.element_id, task.name, task.candidate_group,
                              holders.get(task.assignee or "", task.assignee), task.due_at, party,
                              access.may_work(actor=current_user, task=task)))
    return shown


@dataclass(frozen=True)
class OpenTask:
    """A ready task as the case page lists it."""

    id: int
    element_id: str
    name: str
    candidate_group: str | None
    assignee: str | None
    due_at: datetime | None
    party: str | None
    workable: bool


# -- the timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime
    actor: str
    words: str
    detail: str = ""
    kind: str = ""


Labels = Mapping[str, tuple[str, dict[Any, str]]]


def timeline(
    trail: Iterable[AuditView], labels: Labels | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Entry]:
    """The audit trail in words, oldest first; bookkeeping steps of the diagram are left out.
    ``names``: display names of the logins that acted."""
    entries: list[Entry] = []
    for event in trail:
        entries.extend(_words(event, labels or {}, names or {}))
    return entries


def _words(e: AuditView, labels: Labels, names: Mapping[str, str]) -> list[Entry]:
    element = text(e.element_name or e.element_id or "")
    detail = e.detail or ""

    def entry(words: str, more: str = "", kind: str = "") -> Entry:
        return Entry(aware(e.at), names.get(e.actor, e.actor), words, more, kind or e.action)

    action = e.action
    if action == "started":
        return [entry(_("The case's process started"), "")]
    if action == "task_completed":
        return [entry(_("Completed “%(task)s”", task=element), _changed_answers(e, labels))]
    if action == "timer_fired":
        return [entry(_("Deadline reached: %(element)s", element=element), kind="timer")]
    if action == "claimed":
        return [entry(_("Claimed “%(task)s”", task=element))]
    if action == "unclaimed":
        return [entry(_("Gave “%(task)s” back to the queue", task=element))]
    if action == "reassigned":
        who = " -> ".join(names.get(part, part) for part in detail.split(" -> "))
        return [entry(_("Reassigned “%(task)s”", task=element), who)]
    if action == "task_cancelled":
        return [entry(_("“%(task)s” was cancelled", task=element))]
    if action == "message_received":
        message = name_of(MESSAGE_NAMES, detail) if detail in MESSAGE_NAMES else detail
        return [entry(_("A message arrived: %(element)s", element=element or message))]
    if action == "error":
        return [entry(_("The process stopped with an error at %(element)s", element=element),
                      detail, kind="error")]
    if action == "date_moved":
        old, new = next(iter((e.changes or {}).values()), [None, None])
        old_day, new_day = parse_due(old), parse_due(new)
        if old_day and new_day:
            return [entry(_("A deadline moved when the official holiday schedule was imported: "
                            "%(old)s → %(new)s", old=last_day(old_day).isoformat(),
                            new=last_day(new_day).isoformat()), kind="deadline")]
    simple = {
        "retried": _l("An administrator ran the failed step again"),
        "suspended": _l("The process was suspended"),
        "resumed": _l("The process was resumed"),
        "terminated": _l("The process was terminated"),
        "migrated": _l("The process moved to another version"),
        "data_updated": _l("An administrator corrected the case data"),
        "completed": _l("The case's process ended"),
    }
    if action in simple:
        return [entry(str(simple[action]), detail)]
    if action != "element_completed":
        return [entry(action, detail)]
    changes = e.changes or {}
    found: list[Entry] = []
    reason = _new_value(changes, "escalation_reason")
    if e.element_type == "ScriptTask" and isinstance(reason, str) and reason:
        found.append(entry(_("Escalated to the next tier"), reason, kind="escalation"))
    if e.element_type == "CallActivity":
        found.append(entry(_("Finished: %(element)s", element=element), kind="stage"))
    elif e.element_type == "BusinessRuleTask":
        tier = _new_value(changes, "start_tier")
        found.append(entry(_("Triaged: starts at the %(tier)s tier",
                             tier=name_of(TIER_NAMES, tier)) if tier else
                           _("Finished: %(element)s", element=element), kind="stage"))
    return found


NOTICE_EVENTS: Mapping[str, Any] = {
    "consent_asked": _l("consent asked"),
    "mediator_chosen": _l("mediator took the case"),
    "agreement_to_sign": _l("agreement to sign"),
    "ruling_served": _l("ruling served"),
    "return_visit": _l("return visit"),
}
NOTICE_STATUSES: Mapping[str, Any] = {
    "pending": _l("waiting to be sent"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "failed": _l("not delivered"),
    "outbox": _l("in the outbox for staff"),
    "handed": _l("delivered by staff"),
}


def record_entries(session: Session, case: Case) -> list[Entry]:
    """Timeline lines for what was done beside the process: materials added and withdrawn,
    signatures of the agreement, messages to the parties with their delivery results."""
    entries: list[Entry] = []
    for m in session.scalars(select(Material).where(Material.case_id == case.id)):
        entries.append(Entry(aware(m.added_at), m.added_by,
                             _("Added “%(name)s”", name=m.filename), kind="material"))
        if m.withdrawn_at is not None:
            entries.append(Entry(aware(m.withdrawn_at), m.withdrawn_by or "",
                                 _("Withdrew “%(name)s”", name=m.filename),
                                 m.withdrawal_reason or "", kind="material"))
    for sig in session.scalars(select(Signature).where(Signature.case_id == case.id)):
        entries.append(Entry(aware(sig.signed_at), sig.recorded_by,
                             _("%(party)s signed the agreement", party=sig.party_name),
                             f"SHA-256 {sig.document_sha256[:16]}…", kind="signature"))
    for n in session.scalars(select(Notice).where(Notice.case_id == case.id)):
        status = name_of(NOTICE_STATUSES, n.status)
        entries.append(Entry(aware(n.delivered_at or n.created_at), n.handled_by or "",
                             _("Message to %(party)s (%(event)s): %(status)s", party=n.recipient,
                               event=name_of(NOTICE_EVENTS, n.event), status=status),
                             n.result or "", kind="notice"))
    return entries


def _new_value(changes: Mapping[str, Any], key: str) -> Any:
    change = changes.get(key)
    if isinstance(change, (list, tuple)) and len(change) == 2:
        return change[1]
    return None


def _changed_answers(e: AuditView, labels: Labels) -> str:
    """Who a per-party task was for and the choices it recorded (texts stay in the documents)."""
    parts = []
    changes = e.changes or {}
    party = changes.get("party")
    if isinstance(party, (list, tuple)) and party and isinstance(party[0], dict):
        parts.append(_("for %(party)s", party=party[0].get("name", "")))
    for key, change in changes.items():
        value = change[1] if isinstance(change, (list, tuple)) and len(change) == 2 else None
        choices = labels.get(key, ("", {}))[1]
        if isinstance(value, (str, bool)) and not isinstance(value, bool) and value in choices:
            parts.append(f"{text(labels[key][0])}: {text(choices[value])}")
        elif isinstance(value, bool) and key in labels:
            parts.append(f"{text(labels[key][0])}: {_('Yes') if value else _('No')}")
    return "; ".join(parts[:5])


# -- documents -----------------------------------------------------------------------------------


@dataclass
class Document:
    """A document of the case file: a title and labelled entries."""

    key: str
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    items: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


_OWN_LABELS: Mapping[str, Any] = {
    "registered_at": _l("Registered"),
    "start_tier": _l("Starting tier"),
    "room": _l("Specialty room"),
    "mediation_result": _l("Result of the mediation"),
    "failure_reason": _l("Why it failed"),
    "agreement_effective_at": _l("In force since"),
    "agreement_in_force": _l("Agreement in force"),
    "jc_outcome": _l("Outcome of the judicial confirmation"),
    "jc_applied_at": _l("Applied jointly on"),
    "jc_extended": _l("Review period extended"),
    "enforceable": _l("Enforceable"),
    "closed_at": _l("Closed"),
    "other_party_answer": _l("The other party's answer"),
    "ruled_on": _l("Ruled on"),
    "agreement_date": _l("Date of the agreement"),
    "signing_lapsed": _l("Not signed by every party in time"),
}
_RESULT_NAMES: Mapping[str, Any] = {
    "agreement": _l("Agreement reached"),
    "failed": _l("Mediation failed"),
    "refused": _l("A party refused or withdrew"),
    "escalate": _l("Escalated to the next tier"),
    "confirmed": _l("Confirmed: the agreement is valid"),
    "rejected": _l("Application rejected"),
    "withdrawn": _l("Application withdrawn"),
    "not_applied": _l("No joint application"),
    "lapsed": _l("The application window lapsed"),
    "not_accepted": _l("The court did not accept the application"),
    "not_available": _l("Not available for this kind of matter"),
    "general": _l("General mediation"),
    "not_mediated": _l("Not mediated: the other side never answered"),
    "undecided": _l("No choice made in time"),
    "re_mediate": _l("Mediate again"),
    "sue": _l("Sue"),
}
_SECTIONS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("registration", _l("Registration"), (
        "registration_decision", "registered_at", "refusal_reason", "referral_route",
        "ownership_confirmation", "other_party_answer", "contact_note", "start_tier", "room")),
    ("minutes", _l("Mediation minutes"), (
        "mediator", "outcome", "outcome_reason", "failure_ground", "appraisal_matter",
        "appraisal_conclusion", "mediation_result", "failure_reason", "signing_lapsed")),
    ("agreement", _l("Mediation agreement"), (
        "agreement_date", "agreement_form", "facts", "issues", "responsibilities", "terms",
        "amount_agreed",
        "performance_manner", "performance_place", "performance_deadline", "performed_on_spot",
        "mediator_signed", "committee_seal", "agreement_effective_at")),
    ("ruling", _l("Judicial confirmation and ruling"), (
        "jc_applied_at", "jc_accepted", "not_accepted_reason", "acceptance_note", "ruling",
        "rejection_ground", "ruling_note", "extension_reason", "extension_approved", "jc_extended",
        "ruled_on", "served_on", "service_method", "jc_outcome", "enforceable", "next_step")),
    ("litigation", _l("Other routes and litigation"), (
        "routes_explained", "route", "arbitration_commission", "routes_note", "suit_registered",
        "court_case_no", "not_registered_reason")),
    ("closing", _l("Follow-up and closing"), (
        "performed", "satisfaction", "follow_up_note", "remedy", "remedy_note", "closing_summary",
        "archived_documents", "closed_at")),
)


def field_labels(forms: Mapping[str, Any]) -> dict[str, tuple[str, dict[Any, str]]]:
    """Data key -> (title, {value: choice title}) from every form of the process version."""
    labels: dict[str, tuple[str, dict[Any, str]]] = {}
    for document in (forms.get("documents") or {}).values():
        for name, prop in (document.get("properties") or {}).items():
            source = prop.get("items", prop) if prop.get("type") == "array" else prop
            choices = {o["const"]: o.get("title", str(o["const"]))
                       for o in source.get("oneOf", []) if "const" in o}
            title, known = labels.get(name, (prop.get("title") or name, {}))
            labels[name] = (title, {**known, **choices})
    return labels


def documents(data: Mapping[str, Any], labels: Mapping[str, tuple[str, dict[Any, str]]],
              names: Mapping[str, str] | None = None) -> list[Document]:
    """The application, then what the process recorded, section by section; ``names``: display
    names of the logins the records name (mediators)."""
    names = names or {}
    shown: list[Document] = []
    for key, title, keys in _SECTIONS:
        doc = Document(key, str(title))
        for name in keys:
            if name in data and data[name] not in (None, "", [], {}):
                value = names.get(data[name], data[name]) if name == "mediator" else data[name]
                doc.rows.append((_label(name, labels), _value(name, value, labels)))
        if key == "minutes":
            doc.items = _tier_records(data, names)
        if key == "agreement":
            doc.items = _signatures(data, labels)
        if doc.rows or doc.items:
            shown.append(doc)
    return shown


def _label(name: str, labels: Mapping[str, tuple[str, dict[Any, str]]]) -> str:
    if name in _OWN_LABELS:
        return str(_OWN_LABELS[name])
    return text(labels[name][0]) if name in labels else name


def _value(name: str, value: Any, labels: Mapping[str, tuple[str, dict[Any, str]]]) -> str:
    choices = labels.get(name, ("", {}))[1]
    if isinstance(value, list):
        return "、".join(_value(name, v, labels) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if not isinstance(value, (int, float)) and value in choices:
        return text(choices[value])
    if isinstance(value, str) and value in _RESULT_NAMES:
        return str(_RESULT_NAMES[value])
    if isinstance(value, str) and value in TIER_NAMES:
        return name_of(TIER_NAMES, value)
    if isinstance(value, str) and (name.endswith("_at") or name.endswith("_due")):
        when = parse_due(value)
        return when.strftime("%Y-%m-%d %H:%M") if when else value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _mediators(data: Mapping[str, Any]) -> list[str]:
    """The logins the case's records name as mediators (now and at each tier)."""
    found = [data.get("mediator")]
    records = data.get("tier_history")
    if isinstance(records, list):
        found += [r.get("mediator") for r in records if isinstance(r, dict)]
    return [m for m in found if isinstance(m, str) and m]


def _tier_records(data: Mapping[str, Any], names: Mapping[str, str]
                  ) -> list[tuple[str, list[tuple[str, str]]]]:
    records = data.get("tier_history")
    if not isinstance(records, list):
        return []
    shown = []
    for record in records:
        if not isinstance(record, dict):
            continue
        mediator = record.get("mediator")
        rows = [(_("Mediator"), names.get(mediator, str(mediator)) if mediator else "—"),
                (_("Result"), name_of(_RESULT_NAMES, record.get("result")))]
        if record.get("reason"):
            rows.append((_("Reason"), str(record["reason"])))
        for key, label in (("accepted_at", _("Accepted")), ("ended_at", _("Ended"))):
            when = parse_due(record.get(key))
            if when:
                rows.append((label, when.strftime("%Y-%m-%d %H:%M")))
        shown.append((_("At the %(tier)s tier", tier=name_of(TIER_NAMES, record.get("tier"))),
                      rows))
    return shown


def _signatures(data: Mapping[str, Any], labels: Mapping[str, tuple[str, dict[Any, str]]]
                ) -> list[tuple[str, list[tuple[str, str]]]]:
    signatures = data.get("signatures")
    if not isinstance(signatures, dict) or not signatures:
        return []
    methods = labels.get("signing", ("", {}))[1]
    rows = []
    for key, signed in signatures.items():
        if not isinstance(signed, dict):
            continue
        method = text(methods.get(str(signed.get("method")), str(signed.get("method"))))
        when = parse_due(signed.get("at"))
        # Signatures are kept by party id, with the party's name (older records: by name).
        who = str(signed.get("name") or key)
        represented = [str(n) for n in signed.get("for") or []]
        if represented:
            who = _("%(name)s, also for %(others)s", name=who, others="、".join(represented))
        rows.append((who, method + (f" · {when:%Y-%m-%d %H:%M}" if when else "")))
    return [(_("Signatures of the parties"), rows)]


# -- the diagram ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiagramFile:
    """A diagram of the case's process version: the top-level one or a called process's."""

    key: str
    label: str
    top: bool


def _definition(session: Session, instance_id: int) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.id == instance_id)
    )


def diagram_files(session: Session, definition: ProcessDefinition) -> list[DiagramFile]:
    """The process's diagram files, the top-level process first, each named by its process."""
    keys = sorted(k for k in (definition.source_files or {}) if k.endswith(".bpmn"))
    files: list[DiagramFile] = []
    for key, content in session.execute(
        select(DeploymentFile.key, DeploymentFile.content).where(
            DeploymentFile.deployment_id == definition.deployment_id,
            DeploymentFile.key.in_(keys))
    ):
        processes = _processes(bytes(content))
        top = definition.process_id in processes
        names = [text(name or pid) for pid, name in processes.items()]
        files.append(DiagramFile(key, "、".join(names) or key, top))
    return sorted(files, key=lambda f: (not f.top, f.key))


def _processes(content: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in _PROCESS.findall(content):
        attrs = {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(tag)}
        if "id" in attrs:
            found[attrs["id"]] = attrs.get("name", "")
    return found


# -- small lookups -------------------------------------------------------------------------------


def _person_name(session: Session, person_id: int | None) -> str:
    if person_id is None:
        return ""
    return session.scalar(select(Person.display_name).where(Person.id == person_id)) or ""


def _element_name(session: Session, definition: ProcessDefinition | None,
                  element_id: str | None) -> str:
    """The name an element has in the process's diagrams (its id when they do not say)."""
    if not element_id or definition is None:
        return element_id or "?"
    pattern = re.compile(rb'\bid="' + re.escape(element_id.encode()) + rb'"[^>]*?\bname="([^"]*)"')
    for (content,) in session.execute(select(DeploymentFile.content).where(
            DeploymentFile.deployment_id == definition.deployment_id,
            DeploymentFile.key.in_(sorted(definition.source_files or {})))):
        found = pattern.search(bytes(content))
        if found:
            return found.group(1).decode("utf-8", "replace")
    return element_id


def _unit_name(session: Session, unit_id: int | None) -> str:
    if unit_id is None:
        return ""
    return session.scalar(select(OrgUnit.name).where(OrgUnit.id == unit_id)) or ""


def _unit_name_by_code(session: Session, code: Any) -> str:
    if not isinstance(code, str):
        return ""
    return session.scalar(select(OrgUnit.name).where(OrgUnit.code == code)) or code

