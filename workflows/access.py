"""Who may see which case and do what with which task: one set of rules for the web pages, the
API and the command line.

A case is seen by
- the office's staff (administrators, intake clerks, dispatchers): every case;
- mediators and committee chairs: the cases of their unit, and of cases their unit mediates
  jointly (联合调解);
- anyone who has worked a task of the case (a mediator keeps reading the case they handled after it
  went up a tier), or has an open task of it in their queue or in their hands;
- court users: the cases their court has had tasks for;
- grid workers: the cases they reported;
- parties: the cases they are a party to (linked to their login), and no other.

A task is worked by the people of its candidate group (a role in a unit), or by the one person it
is assigned to; parties work only the tasks that are theirs by name.  Committee chairs give the
tasks of their unit, and of the units below it, to another person of the task's unit.

A party's withdrawal is recorded by the intake clerk for any party, or by a party for themselves
and those they represent (by the login their party is linked to, never by name); the court's
filing division and judges send cases to the office for mediation.

Refusals carry a reason the caller shows in the reader's language (:class:`AccessDenied`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.models import HumanTask
from workflows.models import Case, JointUnit, OrgUnit, Party, Person, RoleAssignment
from workflows.organisation import (
    COURT_ROLES,
    ROLES,
    Membership,
    candidate_group,
    group_role,
    group_unit,
)
from workflows.roster import ancestor_codes

# Staff of the mediation office who see every case (and its full personal numbers).
CASE_WIDE_ROLES = frozenset({"admin", "intake_clerk", "dispatcher"})
# Roles that mediate in a unit: they see that unit's cases.
UNIT_ROLES = frozenset({"mediator", "committee_chair"})
# Everyone who may have tasks (the administrator has none).
TASK_ROLES = frozenset(ROLES) - {"admin"}
# Who may give a task to another person.
REASSIGN_ROLES = frozenset({"committee_chair"})
# Who records a party's withdrawal: the intake clerk for any party, a party for themselves.
WITHDRAWAL_ROLES = frozenset({"intake_clerk", "party"})
# Who sends a case to the mediation office: the case-filing division before filing, the judge
# during the proceedings.
REFERRING_ROLES = frozenset({"filing_clerk", "judge"})
# Roles whose queue is a unit's: parties have none (their tasks are theirs by name).
QUEUE_ROLES = frozenset(ROLES) - {"admin", "party"}

ACTIONS = ("open", "claim", "unclaim", "complete", "reassign")


class Actor(Protocol):
    """The person acting: their id, login and the roles they hold where."""

    id: int
    username: str
    memberships: tuple[Membership, ...]


@dataclass(frozen=True)
class Someone:
    """An :class:`Actor` read from the database (for the command line, the API, tests)."""

    id: int
    username: str
    memberships: tuple[Membership, ...]


class AccessDenied(Exception):
    """The person may not see or do this.

    ``reason`` says why, for the reader's language: ``role`` (none of their roles gives access),
    ``unit`` (their role does, but the case or task is with another unit, named by ``unit``),
    ``party`` (a party sees only their own cases), ``reporter`` (a grid worker sees the cases they
    reported).  ``roles`` names the roles that would give access, where that helps.
    """

    REASONS = ("role", "unit", "party", "reporter")

    def __init__(self, reason: str, *, unit: str | None = None, roles: Iterable[str] = ()):
        if reason not in self.REASONS:
            raise ValueError(f"unknown reason '{reason}'")
        self.reason = reason
        self.unit = unit
        self.roles = tuple(roles)
        super().__init__(f"access denied ({reason}{': ' + unit if unit else ''})")


def actor_named(session: Session, username: str) -> Someone | None:
    """The active person with this login, as an actor; None if there is none."""
    person = session.scalar(select(Person).where(Person.username == username,
                                                 Person.active.is_(True)))
    if person is None:
        return None
    held = session.execute(
        select(RoleAssignment.role, OrgUnit.code)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(RoleAssignment.person_id == person.id)
        .order_by(RoleAssignment.id)
    )
    return Someone(person.id, person.username, tuple(Membership(r, c) for r, c in held))


def roles_of(actor: Actor) -> frozenset[str]:
    """The role codes the actor holds in any unit."""
    return frozenset(m.role for m in actor.memberships)


def require_role(*, actor: Actor, roles: Iterable[str]) -> None:
    """Refuse (reason ``role``) unless the actor holds one of ``roles``."""
    wanted = frozenset(roles)
    if not roles_of(actor) & wanted:
        raise AccessDenied("role", roles=sorted(wanted))


# -- cases ---------------------------------------------------------------------------------------


def case_refusal(session: Session, *, actor: Actor, case: Case) -> AccessDenied | None:
    """Why the actor may not see ``case``; None when they may."""
    roles = roles_of(actor)
    if roles & CASE_WIDE_ROLES:
        return None
    if roles & UNIT_ROLES and _in_my_units(session, actor, case):
        return None
    if "party" in roles and _is_party(session, actor, case):
        return None
    if case.instance_id is not None:
        if roles & COURT_ROLES and _sent_to_court(session, actor, case.instance_id):
            return None
        if _has_worked_or_holds(session, actor, case.instance_id):
            return None
    if "grid_worker" in roles and case.details.get("submitted_by") == actor.username:
        return None
    if roles & (UNIT_ROLES | COURT_ROLES):
        return AccessDenied("unit", unit=_unit_name(session, case.org_unit_id))
    if "grid_worker" in roles:
        return AccessDenied("reporter")
    if "party" in roles:
        return AccessDenied("party")
    return AccessDenied("role", roles=sorted(CASE_WIDE_ROLES | UNIT_ROLES))


def may_see_case(session: Session, *, actor: Actor, case: Case) -> bool:
    """Whether the actor may open ``case``."""
    return case_refusal(session, actor=actor, case=case) is None


def check_case(session: Session, *, actor: Actor, case: Case) -> None:
    """Refuse with the reason unless the actor may open ``case``."""
    refusal = case_refusal(session, actor=actor, case=case)
    if refusal is not None:
        raise refusal


def visible_cases(
    session: Session, *, actor: Actor, case_no: str = "", limit: int = 50
) -> list[Case]:
    """The newest cases the actor may see (those whose number contains ``case_no``, if given)."""
    query = select(Case).order_by(Case.received_at.desc(), Case.id.desc()).limit(limit)
    if case_no:
        query = query.where(Case.case_no.contains(case_no, autoescape=True))
    roles = roles_of(actor)
    if not roles & CASE_WIDE_ROLES:
        query = query.where(or_(*_visibility_conditions(actor, roles)))
    # The query narrows; the rules decide (court users: cases that reached their court).
    return [c for c in session.scalars(query) if may_see_case(session, actor=actor, case=c)]


def sees_full_numbers(*, actor: Actor) -> bool:
    """Staff read whole phone and ID numbers on a case page; parties and grid workers see them
    masked (lists always mask)."""
    return bool(roles_of(actor) & (CASE_WIDE_ROLES | UNIT_ROLES | COURT_ROLES))


def _visibility_conditions(actor: Actor, roles: frozenset[str]) -> list[Any]:
    units = [m.unit_code for m in actor.memberships if m.role in UNIT_ROLES]
    unit_ids = select(OrgUnit.id).where(OrgUnit.code.in_(units))
    conditions: list[Any] = [
        Case.org_unit_id.in_(unit_ids),
        Case.id.in_(select(JointUnit.case_id).where(JointUnit.org_unit_id.in_(unit_ids))),
        Case.id.in_(select(Party.case_id).where(Party.person_id == actor.id)),
    ]
    if "grid_worker" in roles:
        conditions.append(Case.channel == "grid_worker")
    if roles & COURT_ROLES:
        courts = [m.unit_code for m in actor.memberships if m.role in COURT_ROLES]
        conditions.append(Case.court_id.in_(select(OrgUnit.id).where(OrgUnit.code.in_(courts))))
    groups = sorted(workable_groups(actor.memberships))
    mine = HumanTask.candidate_group.in_(groups) | (HumanTask.assignee == actor.username)
    conditions.append(Case.instance_id.in_(
        select(HumanTask.instance_id).where(HumanTask.state == "ready", mine)))
    conditions.append(Case.instance_id.in_(
        select(HumanTask.instance_id).where(HumanTask.ended_by == actor.username,
                                            HumanTask.state == "completed")))
    return conditions


def _in_my_units(session: Session, actor: Actor, case: Case) -> bool:
    units = {m.unit_code for m in actor.memberships if m.role in UNIT_ROLES}
    if _unit_code(session, case.org_unit_id) in units:
        return True
    return session.scalar(
        select(JointUnit.id)
        .join(OrgUnit, OrgUnit.id == JointUnit.org_unit_id)
        .where(JointUnit.case_id == case.id, OrgUnit.code.in_(units))
        .limit(1)
    ) is not None


def _is_party(session: Session, actor: Actor, case: Case) -> bool:
    return session.scalar(
        select(Party.id).where(Party.case_id == case.id, Party.person_id == actor.id).limit(1)
    ) is not None


def _sent_to_court(session: Session, actor: Actor, instance_id: int) -> bool:
    groups = [
        candidate_group(m.role, m.unit_code) for m in actor.memberships if m.role in COURT_ROLES
    ]
    return session.scalar(
        select(HumanTask.id)
        .where(HumanTask.instance_id == instance_id, HumanTask.candidate_group.in_(groups))
        .limit(1)
    ) is not None


def _has_worked_or_holds(session: Session, actor: Actor, instance_id: int) -> bool:
    """Whether the actor completed a task of the instance, or has one open in their queue or
    hands."""
    groups = sorted(workable_groups(actor.memberships))
    open_ = (HumanTask.state == "ready") & (
        HumanTask.candidate_group.in_(groups) | (HumanTask.assignee == actor.username))
    done = (HumanTask.state == "completed") & (HumanTask.ended_by == actor.username)
    return session.scalar(
        select(HumanTask.id).where(HumanTask.instance_id == instance_id, open_ | done).limit(1)
    ) is not None


def _unit_code(session: Session, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    return session.scalar(select(OrgUnit.code).where(OrgUnit.id == unit_id))


def _unit_name(session: Session, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    return session.scalar(select(OrgUnit.name).where(OrgUnit.id == unit_id))


def is_case_staff(session: Session, *, actor: Actor, case: Case) -> bool:
    """Office staff, and the mediators and chairs of a unit mediating the case: the people who
    work the case (they keep its file, correct its agreement and confirm paper signatures)."""
    roles = roles_of(actor)
    if roles & CASE_WIDE_ROLES:
        return True
    return bool(roles & UNIT_ROLES) and _in_my_units(session, actor, case)


def may_record_withdrawal(*, actor: Actor) -> bool:
    """The intake clerk records a party's withdrawal (撤回) at the office; a party records their
    own (:func:`withdrawing_parties` says for whom)."""
    return bool(roles_of(actor) & WITHDRAWAL_ROLES)


def withdrawing_parties(*, actor: Actor, case: Case) -> list[Party]:
    """The parties of ``case`` the actor may record a withdrawal for: any party, for the intake
    clerk; for a party, themselves and those they represent (told apart by id, never by name)."""
    parties = [p for p in case.parties if p.role != "agent"]
    roles = roles_of(actor)
    if "intake_clerk" in roles:
        return parties
    if "party" not in roles:
        return []
    mine = {p.id for p in parties if p.person_id == actor.id}
    return [p for p in parties if p.id in mine or p.represented_by_id in mine]


def may_refer_from_court(*, actor: Actor) -> bool:
    """Whether the actor may send a case from the court to the mediation office (委派/委托)."""
    return bool(roles_of(actor) & REFERRING_ROLES)


def may_withdraw_material(session: Session, *, actor: Actor, case: Case, added_by: str) -> bool:
    """Who added a material may withdraw it, and so may the people who work the case."""
    return added_by == actor.username or is_case_staff(session, actor=actor, case=case)


# -- tasks ---------------------------------------------------------------------------------------


def workable_groups(memberships: Iterable[Membership]) -> frozenset[str]:
    """The candidate groups whose queues a person with ``memberships`` works (parties have none:
    their tasks come to them by name)."""
    groups: set[str] = set()
    for m in memberships:
        if m.role in QUEUE_ROLES:
            groups.add(candidate_group(m.role, m.unit_code))
            groups.add(m.role)
    return frozenset(groups)


def may_work(*, actor: Actor, task: Any) -> bool:
    """Whether the actor may open and work ``task`` (a task row or view): it is in their hands or
    in a queue of theirs."""
    if task.assignee == actor.username:
        return True
    return task.candidate_group in workable_groups(actor.memberships)


def may_complete(*, actor: Actor, task: Any) -> bool:
    """Whether the actor may send ``task``'s form now (nobody else holds it)."""
    return (may_work(actor=actor, task=task) and task.assignee in (None, actor.username)
            and task.state == "ready")


def may_reassign(session: Session, *, actor: Actor, task: Any) -> bool:
    """Committee chairs give the tasks of their unit, and of the units below it, to another
    person of the task's unit (or back to its queue)."""
    unit = group_unit(task.candidate_group)
    chaired = {m.unit_code for m in actor.memberships if m.role in REASSIGN_ROLES}
    if unit is None or not chaired:
        return False
    return bool(chaired & set(ancestor_codes(session, unit_code=unit)))


def task_actions(session: Session, *, actor: Actor, task: Any) -> frozenset[str]:
    """What the actor may do with ``task`` now: some of ``open``, ``claim``, ``unclaim``,
    ``complete`` and ``reassign``."""
    allowed: set[str] = set()
    works = may_work(actor=actor, task=task)
    reassigns = may_reassign(session, actor=actor, task=task)
    if works or reassigns:
        allowed.add("open")
    if task.state != "ready":
        return frozenset(allowed)
    in_my_queue = task.candidate_group in workable_groups(actor.memberships)
    if in_my_queue and task.assignee is None:
        allowed.add("claim")
    if in_my_queue and task.assignee == actor.username:
        allowed.add("unclaim")
    if may_complete(actor=actor, task=task):
        allowed.add("complete")
    if reassigns:
        allowed.add("reassign")
    return frozenset(allowed)


def task_refusal(session: Session, *, actor: Actor, task: Any) -> AccessDenied | None:
    """Why the actor may not open ``task``; None when they may."""
    if may_work(actor=actor, task=task) or may_reassign(session, actor=actor, task=task):
        return None
    roles = roles_of(actor)
    role = group_role(task.candidate_group)
    if role in roles and role != "party":
        return AccessDenied("unit", unit=_unit_name_by_code(session, group_unit(
            task.candidate_group)))
    if "party" in roles:
        return AccessDenied("party")
    return AccessDenied("role", roles=[role] if role in ROLES else [])


def check_task(session: Session, *, actor: Actor, task: Any) -> None:
    """Refuse with the reason unless the actor may open ``task``."""
    refusal = task_refusal(session, actor=actor, task=task)
    if refusal is not None:
        raise refusal


def reassign_candidates(session: Session, *, task: Any) -> list[tuple[str, str]]:
    """(username, display name) of the active people who hold the task's role in its unit."""
    unit, role = group_unit(task.candidate_group), group_role(task.candidate_group)
    if unit is None or role is None:
        return []
    rows = session.execute(
        select(Person.username, Person.display_name)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(OrgUnit.code == unit, RoleAssignment.role == role, Person.active.is_(True))
        .order_by(Person.display_name, Person.username)
    )
    return [(username, display_name) for username, display_name in rows]


def _unit_name_by_code(session: Session, code: str | None) -> str | None:
    if code is None:
        return None
    return session.scalar(select(OrgUnit.name).where(OrgUnit.code == code)) or code
