"""The inbox: my tasks and my groups' queue, claiming, giving back and reassigning tasks, and
working a task through its form.

Any task is worked on one page drawn from its form's JSON Schema (web/forms.py); the engine
validates what is sent, and its messages come back next to the fields with everything typed kept.
Minutes, escalations with their reasons, agreements and signatures are all recorded this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine.errors import FormValidationError
from engine.views import InstanceView, TaskView
from web import documents, forms
from web.auth import require_roles
from web.navigation import same_site_path
from web.people_labels import choice_messages, display_names, roster_choices
from web.process_texts import text
from web.timing import load_provisional
from web.transaction import db_session, get_engine
from workflows import access, tasks, worklist
from workflows.cases import STATES
from workflows.models import Case, OrgUnit
from workflows.organisation import DISPUTE_TYPES, TIERS, group_unit
from workflows.tasks import ChoiceRefused, TaskRefused

bp = Blueprint("inbox", __name__, url_prefix="/tasks")
bp.before_request(require_roles(*access.TASK_ROLES))

VIEWS = ("mine", "queue")


@bp.get("")
def index() -> str:
    """My tasks or my groups' queue, filtered, sorted and paged."""
    view = request.args.get("view", "mine")
    view = view if view in VIEWS else "mine"
    filters = read_filters(request.args)
    sort = request.args.get("sort", "due")
    cursor = request.args.get("after") or None
    session = db_session()
    now = get_engine().now()
    if view == "mine":
        page = worklist.my_tasks(session, current_user.username, filters=filters, sort=sort,
                                 cursor=cursor, now=now)
    else:
        page = worklist.group_queue(session, access.workable_groups(current_user.memberships),
                                    filters=filters, sort=sort, cursor=cursor, now=now)
    load_provisional(r.instance_id for r in page.rows)
    template = "inbox/_results.html" if request.headers.get("HX-Request") else "inbox/index.html"
    return render_template(
        template,
        view=view,
        has_queue=bool(access.workable_groups(current_user.memberships)),
        page=page,
        filters=filters,
        sort=page.sort,
        cursor=cursor,
        query=_query_without_cursor(),
        dispute_types=DISPUTE_TYPES,
        tiers=TIERS,
        states=STATES,
        unit_names=unit_names(session, [r.candidate_group for r in page.rows]),
        task_name=text,
    )


@bp.get("/<int:task_id>")
def show(task_id: int) -> str:
    """A task with its case and its form (a committee chair who may reassign it may look too)."""
    session = db_session()
    task = tasks.open_task(session, get_engine(), actor=current_user, task_id=task_id)
    if task.state != "ready":
        raise TaskRefused("closed", state=task.state)
    return _task_page(session, task)


@bp.post("/<int:task_id>")
def complete(task_id: int) -> Response | tuple[str, int]:
    """Send the task's form: the choices are checked, the engine completes the task and the case
    moves on."""
    session = db_session()
    engine = get_engine()
    task = tasks.open_task(session, engine, actor=current_user, task_id=task_id)
    schema = engine.form(session, task_id)
    data = forms.read_submission(schema, request.form) if schema else {}
    try:
        # The signing tasks record the signature (or check them all) first: one transaction.
        problem = documents.before_completing(session, task, request.form)
        if problem is not None:
            return _task_page(session, task, values=_typed_values(schema or {}, request.form),
                              errors={"signing": [problem]}), 422
        view = tasks.complete_task(session, engine, actor=current_user, task_id=task_id,
                                   data=data)
    except FormValidationError as invalid:
        errors = forms.translate_errors(invalid.field_errors)
    except ChoiceRefused as refused:
        errors = choice_messages(refused.problems)
    else:
        flash(_("Done: %(task)s.", task=text(task.name)), "success")
        return redirect(_after_completion(session, view, task))
    typed = _typed_values(schema or {}, request.form)
    return _task_page(session, task, values=typed, errors=errors), 422


@bp.post("/<int:task_id>/claim")
def claim(task_id: int) -> Response:
    """Take a task of my queue for myself (409 if someone else holds it)."""
    session = db_session()
    task = tasks.claim_task(session, get_engine(), actor=current_user, task_id=task_id)
    flash(_("You hold “%(task)s” now; nobody else can complete it.", task=text(task.name)),
          "success")
    return redirect(_next_or(url_for("inbox.show", task_id=task_id)))


@bp.post("/<int:task_id>/unclaim")
def unclaim(task_id: int) -> Response:
    """Give a task I hold back to its unit's queue."""
    session = db_session()
    task = tasks.unclaim_task(session, get_engine(), actor=current_user, task_id=task_id)
    flash(_("“%(task)s” is back in the queue.", task=text(task.name)), "success")
    return redirect(_next_or(url_for("inbox.index", view="mine")))


@bp.post("/<int:task_id>/reassign")
def reassign(task_id: int) -> Response:
    """A committee chair gives a task to another person of its unit (or back to the queue)."""
    session = db_session()
    target = request.form.get("assignee", "").strip()
    task = tasks.reassign_task(session, get_engine(), actor=current_user, task_id=task_id,
                               assignee=target or None)
    candidates = dict(access.reassign_candidates(session, task=task))
    if target:
        flash(_("“%(task)s” is now with %(name)s.", task=text(task.name),
                name=candidates[target]), "success")
    else:
        flash(_("“%(task)s” is back in the queue.", task=text(task.name)), "success")
    return redirect(_next_or(url_for("inbox.show", task_id=task_id)))


# -- helpers shared with the court queue and the case page ----------------------------------------


def read_filters(args: Mapping[str, str]) -> worklist.Filters:
    """The list filters from the query string (unknown values are ignored)."""
    due_before: date | None = None
    raw_due = args.get("due_before", "")
    if raw_due:
        try:
            due_before = date.fromisoformat(raw_due)
        except ValueError:
            due_before = None
    dispute_type = args.get("type") or None
    tier = args.get("tier") or None
    state = args.get("state") or None
    return worklist.Filters(
        dispute_type=dispute_type if dispute_type in DISPUTE_TYPES else None,
        tier=tier if tier in TIERS else None,
        state=state if state in STATES else None,
        due_before=due_before,
        overdue=args.get("overdue") in ("1", "on", "true"),
    )


def unit_names(session: Session, groups: list[str | None]) -> dict[str, str]:
    """Unit code -> unit name for the candidate groups shown."""
    codes = {group_unit(g) for g in groups} - {None}
    if not codes:
        return {}
    rows = session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes)))
    return {code: name for code, name in rows}


def _query_without_cursor() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "after" and v}


def _task_page(
    session: Session,
    task: TaskView,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> str:
    engine = get_engine()
    form = tasks.task_form(session, engine, task=task)
    schema, data = form.schema, form.data
    filled = values if values is not None else forms.prefill(schema or {}, data)
    case = session.scalar(select(Case).where(Case.instance_id == task.instance_id))
    party = data.get("party") if isinstance(data.get("party"), dict) else None
    required = set((schema or {}).get("required", []))
    choices = {name: roster_choices(entries, optional=name not in required)
               for name, entries in form.rosters.items()}
    actions = access.task_actions(session, actor=current_user, task=task)
    return render_template(
        "inbox/task.html",
        task=task,
        case=case,
        party=party,
        schema=schema,
        fields=forms.fields_of(schema, filled, errors, choices=choices, data=data)
        if schema else [],
        form_errors=forms.form_errors(errors or {}, schema or {}),
        errors=errors or {},
        actions=actions,
        may_work=access.may_work(actor=current_user, task=task),
        may_complete="complete" in actions,
        may_reassign="reassign" in actions,
        candidates=access.reassign_candidates(session, task=task)
        if "reassign" in actions else [],
        holder=display_names(session, [task.assignee]).get(task.assignee or ""),
        unit_names=unit_names(session, [task.candidate_group]),
        may_see_case=case is not None and access.may_see_case(session, actor=current_user,
                                                              case=case),
        signing=documents.signing_panel(session, task, case),
        signing_methods=documents.signing_methods(),
        task_name=text,
        title=text((schema or {}).get("title") or task.name),
        intro=text((schema or {}).get("description") or ""),
    )


def _typed_values(schema: Mapping[str, Any], form: Any) -> dict[str, Any]:
    """What was typed, as the fields show it again after a refusal."""
    typed: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "array":
            typed[name] = form.getlist(name)
        else:
            typed[name] = form.get(name, "")
    return typed


def _after_completion(session: Session, view: InstanceView, done: TaskView) -> str:
    """Where to go next: the next task of the case I may work, else the case, else the inbox."""
    for task in view.ready_tasks:
        if task.id != done.id and access.may_complete(actor=current_user, task=task):
            flash(_("Next: %(task)s.", task=text(task.name)), "info")
            return url_for("inbox.show", task_id=task.id)
    case = session.scalar(select(Case).where(Case.instance_id == view.id))
    if case is not None and access.may_see_case(session, actor=current_user, case=case):
        return url_for("cases.show", case_id=case.id)
    return url_for("inbox.index")


def _next_or(default: str) -> str:
    return same_site_path(request.form.get("next")) or default
