"""Who holds a role where: the nearest unit up the tree with someone in a role, and a unit's roster
of mediators (their specialties and how many open cases each has now) to choose from.

A courtyard, a grid or a village may have no committee chair, and a new unit may have no mediator
yet: work for a role goes to the nearest unit up the tree where an active person holds it, so no
task waits in a queue nobody reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from workflows.models import Case, OrgUnit, Person, RoleAssignment


@dataclass(frozen=True)
class RosterEntry:
    """A person one may choose for a case: a mediator of the unit, with what they are known for
    and how many open cases they have now."""

    username: str
    display_name: str
    specialties: tuple[str, ...]
    open_cases: int
    unit_code: str


def nearest_unit_with_role(session: Session, *, unit_code: str, role: str) -> str | None:
    """The unit itself or its nearest ancestor where an active person holds ``role``; None when
    nobody holds it anywhere up the tree (or the unit does not exist)."""
    chain = (
        select(OrgUnit.id, OrgUnit.parent_id, literal(0).label("depth"))
        .where(OrgUnit.code == unit_code)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(OrgUnit.id, OrgUnit.parent_id, (chain.c.depth + 1).label("depth"))
        .where(OrgUnit.id == chain.c.parent_id, chain.c.depth < 20)
    )
    return session.scalar(
        select(OrgUnit.code)
        .join(chain, chain.c.id == OrgUnit.id)
        .where(
            select(RoleAssignment.id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(RoleAssignment.org_unit_id == OrgUnit.id, RoleAssignment.role == role,
                   Person.active.is_(True))
            .exists()
        )
        .order_by(chain.c.depth)
        .limit(1)
    )


def ancestor_codes(session: Session, *, unit_code: str) -> list[str]:
    """The unit's code and its ancestors' codes, nearest first."""
    codes: list[str] = []
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
    while unit is not None and len(codes) < 20:
        codes.append(unit.code)
        unit = unit.parent
    return codes


def holder(session: Session, *, username: object, role: str, unit_code: str) -> str | None:
    """``username`` if that is an active person holding ``role`` in the unit or a unit above it
    (whose work for the role may come down to them), else None."""
    if not isinstance(username, str) or not username:
        return None
    return session.scalar(
        select(Person.username)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(Person.username == username, Person.active.is_(True), RoleAssignment.role == role,
               OrgUnit.code.in_(ancestor_codes(session, unit_code=unit_code)))
        .limit(1)
    )


def roster(
    session: Session, *, unit_code: str, role: str = "mediator", exclude: Iterable[str] = ()
) -> list[RosterEntry]:
    """The active people holding ``role`` in the unit that takes the unit's work for it (the unit
    itself, or the nearest one up the tree), least busy first; ``exclude``: usernames left out
    (those who already declined the case).  When everyone there is left out, the next unit up the
    tree with people in the role offers its own."""
    left_out = set(exclude)
    for unit in ancestor_codes(session, unit_code=unit_code):
        entries = [e for e in _members(session, unit=unit, role=role) if e.username not in left_out]
        if entries:
            return entries
    return []


def _members(session: Session, *, unit: str, role: str) -> list[RosterEntry]:
    open_cases = (
        select(func.count(Case.id))
        .where(Case.mediator_id == Person.id, Case.closed_at.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Person.username, Person.display_name, Person.specialties, open_cases)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(OrgUnit.code == unit, RoleAssignment.role == role, Person.active.is_(True))
        .order_by(open_cases, Person.display_name, Person.username)
    )
    return [
        RosterEntry(username, display_name, tuple(specialties or ()), int(load or 0), unit)
        for username, display_name, specialties, load in rows
    ]


def person_id(session: Session, username: object) -> int | None:
    """The id of the person with this username, if there is one."""
    if not isinstance(username, str) or not username:
        return None
    return session.scalar(select(Person.id).where(Person.username == username))
