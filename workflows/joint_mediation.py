"""Joint mediation (联合调解): the unit that has a case invites the units it concerns — the petition
office, the labour inspectorate, the department concerned — to mediate it together.  Each invited
unit's mediators see the case (:mod:`workflows.access`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import CASE_WIDE_ROLES, UNIT_ROLES, AccessDenied, Actor, may_see_case
from workflows.models import Case, JointUnit, OrgUnit

# Units that mediate (or take part in mediation) and so may be invited.
JOINT_KINDS = frozenset({"office", "room", "town", "people_committee", "administrative",
                         "professional", "trade_association"})


class JointMediationRefused(ValueError):
    """A unit cannot be invited: ``code`` is ``unknown_unit``, ``not_a_mediation_unit``,
    ``already_invited``, ``own_unit`` or ``case_closed``."""

    def __init__(self, code: str, *, unit: str | None = None):
        self.code, self.unit = code, unit
        super().__init__(f"{code}: {unit or ''}")


def joint_unit_choices(session: Session, *, case: Case) -> list[OrgUnit]:
    """The units that may still be invited to mediate ``case`` jointly, by name."""
    taken = {j.org_unit_id for j in case.joint_units} | {case.org_unit_id}
    units = session.scalars(
        select(OrgUnit).where(OrgUnit.kind.in_(sorted(JOINT_KINDS)), OrgUnit.active.is_(True))
        .order_by(OrgUnit.kind, OrgUnit.code)
    )
    return [u for u in units if u.id not in taken]


def may_invite(session: Session, *, actor: Actor, case: Case) -> bool:
    """The office's staff and the mediators and chairs of the unit that has the case invite."""
    roles = {m.role for m in actor.memberships}
    if roles & (CASE_WIDE_ROLES - {"admin"}):
        return True
    unit = session.scalar(select(OrgUnit.code).where(OrgUnit.id == case.org_unit_id))
    return any(m.role in UNIT_ROLES and m.unit_code == unit for m in actor.memberships)


def invite_unit(
    session: Session, *, actor: Actor, case: Case, unit_code: str, now: datetime
) -> JointUnit:
    """Invite the unit ``unit_code`` to mediate ``case`` jointly."""
    if not may_see_case(session, actor=actor, case=case) or not may_invite(
            session, actor=actor, case=case):
        raise AccessDenied("unit" if {m.role for m in actor.memberships} & UNIT_ROLES
                           else "role", roles=sorted((CASE_WIDE_ROLES - {"admin"}) | UNIT_ROLES))
    if case.closed_at is not None:
        raise JointMediationRefused("case_closed")
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
    if unit is None:
        raise JointMediationRefused("unknown_unit", unit=unit_code)
    if unit.kind not in JOINT_KINDS:
        raise JointMediationRefused("not_a_mediation_unit", unit=unit.name)
    if unit.id == case.org_unit_id:
        raise JointMediationRefused("own_unit", unit=unit.name)
    if any(j.org_unit_id == unit.id for j in case.joint_units):
        raise JointMediationRefused("already_invited", unit=unit.name)
    joint = JointUnit(org_unit_id=unit.id, invited_by=actor.username, invited_at=now)
    case.joint_units.append(joint)
    session.flush()
    return joint
