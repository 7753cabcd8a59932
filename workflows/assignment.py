"""Who a new task is for: each diagram lane bound to the role's group in the case's unit, climbing
to the nearest unit where someone holds the role, and to one person where the task is theirs.

- A per-party task (the 当事人 lane: choosing a mediator, consenting to an extension, signing,
  applying for judicial confirmation...) is that party's own: it goes to the party's login, by
  the party's id in the task data.  A party without a login is helped by the mediators of the
  unit that has the case, who record the party's answer on their behalf (a paper signature, a
  consent given by telephone); once a mediator has the case, by that mediator.  A task of the
  parties' lane that names no one party (the parties' joint choice after a court rejected their
  agreement) is recorded the same way, by the case's mediator.  No party task ever sits in a
  queue that other parties can read.
- Once a mediator has been chosen, designated or assigned, the case's mediator-lane tasks go to
  them directly (``mediator`` in the data), so they never re-claim each step; anyone else's
  tasks stay in the unit's queue.
- A role nobody holds in the case's unit (a courtyard has no committee chair) is looked for up the
  tree: the nearest unit where an active person holds it takes the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.views import LaneContext, TaskBinding
from workflows.models import Party, Person
from workflows.organisation import LANE_ROLES, candidate_group, group_unit, resolve_group
from workflows.roster import holder, nearest_unit_with_role

PARTY_LANE = "当事人"
MEDIATOR_LANE = "调解员"
# Lanes whose tasks go to the person who has the case there, named by this data key.
_HOLDER_KEYS = {"mediator": "mediator"}


def bind_task(session: Session, context: LaneContext) -> TaskBinding:
    """The group (and person, where the task is one person's) of a new human task."""
    role = LANE_ROLES.get(context.lane or "")
    if role is None:
        return TaskBinding(context.lane)
    if role == "party":
        return _party_task(session, context)
    group = resolve_group(context)
    unit = group_unit(group)
    if unit is None:
        return TaskBinding(group)
    unit = nearest_unit_with_role(session, unit_code=unit, role=role) or unit
    key = _HOLDER_KEYS.get(role)
    assignee = (
        holder(session, username=context.data.get(key), role=role, unit_code=unit)
        if key else None
    )
    return TaskBinding(candidate_group(role, unit), assignee)


def party_of_task(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The party a per-party task is for (as the process data carries it), if it names one."""
    party = data.get("party")
    return party if isinstance(party, Mapping) else None


def _party_task(session: Session, context: LaneContext) -> TaskBinding:
    staff = bind_task(session, replace(context, lane=MEDIATOR_LANE))
    username = _party_login(session, context.data)
    return TaskBinding(staff.candidate_group, username) if username else staff


def _party_login(session: Session, data: Mapping[str, Any]) -> str | None:
    """The active login of the party the task is for, checked against the case it belongs to."""
    party = party_of_task(data)
    party_id, case_id = (party or {}).get("id"), data.get("case_id")
    if not isinstance(party_id, int) or not isinstance(case_id, int):
        return None
    return session.scalar(
        select(Person.username)
        .join(Party, Party.person_id == Person.id)
        .where(Party.id == party_id, Party.case_id == case_id, Person.active.is_(True))
    )
