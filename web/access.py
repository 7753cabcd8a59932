"""Who may see which case and work which task: one policy for the inbox, the case page and the
court queue.

A task's candidate group is a role in a unit (``mediator:T01-V1-G1``).  People work the queues of
the roles they hold in their units; mediators and committee chairs also record what the parties
of their unit's cases decide (choosing a mediator, signing, applying for confirmation), because
parties sign on paper in the mediation room and seldom log in themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask
from workflows.models import Case, OrgUnit, Person, RoleAssignment
from workflows.organisation import (
    COURT_ROLES,
    ROLES,
    Membership,
    candidate_group,
    groups_of,
)

# Staff of the mediation office who see every case (and its full personal numbers).
CASE_WIDE_ROLES = frozenset({"admin", "intake_clerk", "dispatcher"})
# Roles that mediate in a unit: they see that unit's cases and work for its parties.
UNIT_ROLES = frozenset({"mediator", "committee_chair"})
# Everyone who may have tasks (the administrator has none).
TASK_ROLES = frozenset(ROLES) - {"admin"}
# Who may give a task to another person of the same unit.
REASSIGN_ROLES = frozenset({"committee_chair"})


class Worker(Protocol):
    """What the policy needs of a logged-in person (web.auth.User)."""

    username: str
    memberships: tuple[Membership, ...]


def workable_groups(memberships: Iterable[Membership]) -> frozenset[str]:
    """The candidate groups whose tasks a person with ``memberships`` may claim and complete."""
    held = tuple(memberships)
    groups = set(groups_of(held))
    for m in held:
        if m.role in UNIT_ROLES:
            groups.add(candidate_group("party", m.unit_code))
    return frozenset(groups)


def group_unit(group: str | None) -> str | None:
    """The unit code of a candidate group (``mediator:T01`` -> ``T01``); None for a bare role."""
    if not group or ":" not in group:
        return None
    return group.split(":", 1)[1]


def group_role(group: str | None) -> str | None:
    """The role of a candidate group (``mediator:T01`` -> ``mediator``)."""
    if not group:
        return None
    return group.split(":", 1)[0]


def may_work(person: Worker, task: Any) -> bool:
    """Whether ``person`` may open, claim and complete ``task`` (a HumanTask row or TaskView)."""
    if task.assignee == person.username:
        return True
    return task.candidate_group in workable_groups(person.memberships)


def may_complete(person: Worker, task: Any) -> bool:
    """Whether ``person`` may send ``task``'s form now (it is not held by somebody else)."""
    return may_work(person, task) and task.assignee in (None, person.username) and \
        task.state == "ready"


def may_reassign(person: Worker, task: Any) -> bool:
    """Committee chairs give the tasks of their own unit to another person of that unit."""
    unit = group_unit(task.candidate_group)
    return unit is not None and any(
        m.role in REASSIGN_ROLES and m.unit_code == unit for m in person.memberships
    )


def reassign_candidates(session: Session, task: Any) -> list[tuple[str, str]]:
    """(username, display name) of the active people of the task's unit who may work it."""
    unit = group_unit(task.candidate_group)
    if unit is None:
        return []
    rows = session.execute(
        select(Person.id, Person.username, Person.display_name, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(OrgUnit.code == unit, Person.active.is_(True))
        .order_by(Person.display_name, Person.username)
    )
    found: dict[str, tuple[str, list[Membership]]] = {}
    for _id, username, display_name, role in rows:
        found.setdefault(username, (display_name, []))[1].append(Membership(role, unit))
    return [
        (username, display_name)
        for username, (display_name, held) in found.items()
        if task.candidate_group in workable_groups(held)
    ]


def case_unit_code(session: Session, case: Case) -> str | None:
    """The code of the unit the case sits in now."""
    if case.org_unit_id is None:
        return None
    return session.scalar(select(OrgUnit.code).where(OrgUnit.id == case.org_unit_id))


def court_code(session: Session, case: Case) -> str | None:
    """The code of the court the case goes to."""
    if case.court_id is None:
        return None
    return session.scalar(select(OrgUnit.code).where(OrgUnit.id == case.court_id))


def may_record_withdrawal(person: Worker) -> bool:
    """The intake clerk records a party's withdrawal (撤回) at the office; a party records their
    own."""
    return any(m.role in ("intake_clerk", "party") for m in person.memberships)


def may_see_case(session: Session, person: Worker, case: Case) -> bool:
    """Office staff see every case; mediators their unit's; court users the cases their court
    has had tasks for; grid workers the cases they reported; anyone a case they have a task of."""
    roles = {m.role for m in person.memberships}
    if roles & CASE_WIDE_ROLES:
        return True
    if roles & UNIT_ROLES:
        unit = case_unit_code(session, case)
        if any(m.role in UNIT_ROLES and m.unit_code == unit for m in person.memberships):
            return True
    if case.instance_id is not None:
        if roles & COURT_ROLES and _sent_to_court(session, person, case.instance_id):
            return True
        if _has_open_task(session, person, case.instance_id):
            return True
    return "grid_worker" in roles and case.details.get("submitted_by") == person.username


def sees_full_numbers(person: Worker) -> bool:
    """Staff read whole phone and ID numbers on a case page; parties and grid workers see them
    masked (lists always mask)."""
    roles = {m.role for m in person.memberships}
    return bool(roles & (CASE_WIDE_ROLES | UNIT_ROLES | COURT_ROLES))


def _sent_to_court(session: Session, person: Worker, instance_id: int) -> bool:
    groups = [
        candidate_group(m.role, m.unit_code) for m in person.memberships if m.role in COURT_ROLES
    ]
    return session.scalar(
        select(HumanTask.id)
        .where(HumanTask.instance_id == instance_id, HumanTask.candidate_group.in_(groups))
        .limit(1)
    ) is not None


def _has_open_task(session: Session, person: Worker, instance_id: int) -> bool:
    groups = sorted(workable_groups(person.memberships))
    return session.scalar(
        select(HumanTask.id)
        .where(
            HumanTask.instance_id == instance_id,
            HumanTask.state == "ready",
            (HumanTask.candidate_group.in_(groups)) | (HumanTask.assignee == person.username),
        )
        .limit(1)
    ) is not None
