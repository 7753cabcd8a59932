"""Residents following their case: found by its number and the last four digits of a phone
number given for it, showing where it stands and nothing else; and the limits that keep the
four digits from being guessed.

Attempts are counted in the database, so the limits hold across every web process: a client may
try a few lookups a minute, and a case number takes only a few wrong phone digits an hour.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.views import InstanceView
from workflows.models import Case, StatusLookup

CLIENT_LIMIT = 10  # lookups per client
CLIENT_WINDOW = timedelta(minutes=10)
CASE_LIMIT = 5  # wrong phone digits per case number
CASE_WINDOW = timedelta(hours=1)
KEPT = timedelta(days=1)  # attempts older than this are forgotten


@dataclass(frozen=True)
class Limited:
    """A lookup refused for now: which limit, and when to try again."""

    reason: str  # "client" or "case"
    retry_after: timedelta


def check_limits(session: Session, *, client: str, case_no: str, now: datetime
                 ) -> Limited | None:
    """Whether another lookup is allowed now (None) or which limit it hits."""
    recent = session.scalar(select(func.count(StatusLookup.id)).where(
        StatusLookup.client == client, StatusLookup.at > now - CLIENT_WINDOW)) or 0
    if recent >= CLIENT_LIMIT:
        return Limited("client", CLIENT_WINDOW)
    wrong = session.scalar(select(func.count(StatusLookup.id)).where(
        StatusLookup.case_no == case_no, StatusLookup.found.is_(False),
        StatusLookup.at > now - CASE_WINDOW)) or 0
    if wrong >= CASE_LIMIT:
        return Limited("case", CASE_WINDOW)
    return None


def record_lookup(session: Session, *, client: str, case_no: str, found: bool,
                  now: datetime) -> None:
    """Count an attempt (and forget the old ones)."""
    session.execute(delete(StatusLookup).where(StatusLookup.at < now - KEPT))
    session.add(StatusLookup(client=client[:64], case_no=case_no[:60], at=now, found=found))


def find_case(session: Session, *, case_no: str, phone_tail: str) -> Case | None:
    """The case numbered ``case_no`` if one of its parties gave a phone ending in
    ``phone_tail`` (four digits), else None — the same answer whichever part was wrong."""
    if len(phone_tail) != 4 or not phone_tail.isdigit():
        return None
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:
        return None
    matches = [hmac.compare_digest((p.phone or "")[-4:].encode(), phone_tail.encode())
               for p in case.parties if p.phone]
    return case if any(matches) else None


def next_deadline(view: InstanceView | None) -> datetime | None:
    """When the step the case waits for falls due: its open tasks' earliest deadline, else its
    process's next timer."""
    if view is None:
        return None
    dues = [t.due_at for t in view.ready_tasks if t.due_at is not None]
    if dues:
        return min(dues)
    return min((t.due_at for t in view.timers), default=None)
