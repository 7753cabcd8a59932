"""Working tasks: open, claim, give back, complete and reassign, each with its permission rules,
for the web pages, the API and the command line alike.

A form field marked ``"x-roster": "<role>"`` in its JSON Schema is a choice of a person from the
roster of the case's unit (or the nearest unit up the tree with people in that role): the form
offers the roster, with each person's specialties and open cases, and a name that is not on it is
refused.  ``"x-roster-exclude": "<data key>"`` names the process data listing people to leave out
(the mediators who already declined the case).

Errors say what went wrong in codes the caller words in the reader's language: :class:`TaskRefused`
for a task in the wrong state or hands, :class:`ChoiceRefused` for a choice the rules refuse, and
:class:`~workflows.access.AccessDenied`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.runtime import Engine
from engine.views import InstanceView, TaskView
from workflows.access import (
    AccessDenied,
    Actor,
    check_task,
    may_work,
    reassign_candidates,
    task_actions,
)
from workflows.organisation import group_role
from workflows.roster import RosterEntry, roster

ROSTER_KEY = "x-roster"
ROSTER_EXCLUDE_KEY = "x-roster-exclude"


class TaskRefused(Exception):
    """The task cannot be worked so now.  ``code``: ``closed`` (it is no longer waiting;
    ``state`` says what it is), ``held`` (``holder`` has it), ``not_held`` (giving back a task
    one does not hold), ``named`` (a task that is one's own by name cannot go back to a queue)."""

    CODES = ("closed", "held", "not_held", "named")

    def __init__(self, code: str, *, state: str | None = None, holder: str | None = None):
        if code not in self.CODES:
            raise ValueError(f"unknown code '{code}'")
        self.code, self.state, self.holder = code, state, holder
        super().__init__(f"task refused ({code})")


class ChoiceRefused(Exception):
    """Submitted choices the rules refuse, field -> codes: ``not_on_roster`` (nobody of that name
    is on the roster offered), ``declined`` (that person already declined the case),
    ``not_a_candidate`` (a task can only go to a person of its unit who holds its role)."""

    def __init__(self, problems: Mapping[str, list[str]]):
        self.problems = {k: list(v) for k, v in problems.items()}
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in self.problems.items()))


@dataclass(frozen=True)
class TaskForm:
    """A task's form as it is offered: its schema, the rosters of its person fields and the data
    the task sees (to fill the fields with)."""

    schema: Mapping[str, Any] | None
    rosters: Mapping[str, list[RosterEntry]] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)


def open_task(session: Session, engine: Engine, *, actor: Actor, task_id: int) -> TaskView:
    """The task, if the actor may open it (its people, or a chair who may reassign it)."""
    task = engine.task(session, task_id)
    check_task(session, actor=actor, task=task)
    return task


def claim_task(session: Session, engine: Engine, *, actor: Actor, task_id: int) -> TaskView:
    """Take a task of one's queue; claiming a task one holds already changes nothing."""
    task = _workable(session, engine, actor, task_id)
    if task.assignee == actor.username:
        return task
    if task.assignee is not None:
        raise TaskRefused("held", holder=task.assignee)
    return engine.claim_task(session, task_id, actor=actor.username)


def unclaim_task(session: Session, engine: Engine, *, actor: Actor, task_id: int) -> TaskView:
    """Give a task one holds back to its unit's queue."""
    task = _workable(session, engine, actor, task_id)
    if task.assignee != actor.username:
        raise TaskRefused("held" if task.assignee else "not_held", holder=task.assignee)
    if "unclaim" not in task_actions(session, actor=actor, task=task):
        raise TaskRefused("named")
    return engine.unclaim_task(session, task_id, actor=actor.username)


def reassign_task(
    session: Session, engine: Engine, *, actor: Actor, task_id: int, assignee: str | None
) -> TaskView:
    """A committee chair gives a task to a person of its unit who holds its role, or (None) back
    to the unit's queue."""
    task = open_task(session, engine, actor=actor, task_id=task_id)
    _require_waiting(task)
    if "reassign" not in task_actions(session, actor=actor, task=task):
        raise AccessDenied("role", roles=["committee_chair"])
    if assignee and assignee not in dict(reassign_candidates(session, task=task)):
        raise ChoiceRefused({"assignee": ["not_a_candidate"]})
    return engine.reassign_task(session, task_id, assignee=assignee or None,
                                actor=actor.username)


def task_form(session: Session, engine: Engine, *, task: TaskView) -> TaskForm:
    """The task's form with the roster of each person field, least busy first."""
    schema = engine.form(session, task.id)
    data = engine.task_data(session, task.id)
    if not schema:
        return TaskForm(schema, {}, data)
    rosters: dict[str, list[RosterEntry]] = {}
    excluded: dict[str, frozenset[str]] = {}
    unit = data.get("org_unit")
    for name, prop in (schema.get("properties") or {}).items():
        role = prop.get(ROSTER_KEY)
        if not isinstance(role, str):
            continue
        left_out = data.get(prop.get(ROSTER_EXCLUDE_KEY) or "") or []
        excluded[name] = frozenset(p for p in left_out if isinstance(p, str))
        rosters[name] = (
            roster(session, unit_code=unit, role=role, exclude=excluded[name])
            if isinstance(unit, str) else []
        )
    return TaskForm(schema, rosters, data, excluded)


def complete_task(
    session: Session, engine: Engine, *, actor: Actor, task_id: int, data: Mapping[str, Any]
) -> InstanceView:
    """Send a task's form: the choices are checked against the rosters, the engine checks the
    rest and the case moves on."""
    task = _workable(session, engine, actor, task_id)
    if task.assignee not in (None, actor.username):
        raise TaskRefused("held", holder=task.assignee)
    problems = roster_problems(task_form(session, engine, task=task), data)
    if problems:
        raise ChoiceRefused(problems)
    return engine.complete_task(session, task_id, data=data, actor=actor.username)


def roster_problems(form: TaskForm, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The person fields of ``data`` whose value is not on the field's roster."""
    problems: dict[str, list[str]] = {}
    for name, entries in form.rosters.items():
        value = data.get(name)
        if value is None or value == "":
            continue
        if value in form.excluded.get(name, frozenset()):
            problems[name] = ["declined"]
        elif value not in {e.username for e in entries}:
            problems[name] = ["not_on_roster"]
    return problems


def _workable(session: Session, engine: Engine, actor: Actor, task_id: int) -> TaskView:
    """The waiting task, if it is in the actor's hands or queue (a chair who may only reassign it
    is refused: the role is the reason)."""
    task = open_task(session, engine, actor=actor, task_id=task_id)
    if not may_work(actor=actor, task=task):
        role = group_role(task.candidate_group)
        raise AccessDenied("role", roles=[role] if role else [])
    _require_waiting(task)
    return task


def _require_waiting(task: TaskView) -> None:
    if task.state != "ready":
        raise TaskRefused("closed", state=task.state)
