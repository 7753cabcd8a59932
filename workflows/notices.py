"""Notices to parties: a text message at each step that needs a party, and its delivery.

After every step (:func:`queue_notices`, called from the engine's after-step hook in the same
transaction) the case's process is read for the steps that need a party: the other party's consent
is asked, a mediator has taken the case, the agreement waits for signatures, the court's ruling is
served, the return visit is due.  Each party concerned gets one message per such step (a key per
step and party makes it once), written from a message template (data the administrator may
replace) with as little personal data as will do: the case number, the office, what happens next
and by when, the office's phone number — never the other side's name, amounts or terms.

Nothing is sent inside the step.  With a gateway configured the message waits as ``pending`` and
is delivered after the transaction commits (by the request that caused it, and by the worker,
which also retries); without one it goes to the outbox, for staff to print or read out on the
phone.  Every message keeps its delivery result, shown on the case's timeline.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.database import Database
from engine.views import InstanceView
from workflows.dates import chinese_date, due_day, instant
from workflows.models import Case, Notice, OrgUnit, Party
from workflows.templates import render

EVENTS = ("consent_asked", "mediator_chosen", "agreement_to_sign", "ruling_served",
          "return_visit")
PENDING, SENDING, SENT, FAILED, OUTBOX, HANDED = (
    "pending", "sending", "sent", "failed", "outbox", "handed")
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=5)
STUCK_AFTER = timedelta(minutes=10)  # a claim this old was lost with its worker: send again
AFTER_COMMIT_FLAG = "tiaojie_notices"
PARTY_ROLES = ("applicant", "respondent")


@dataclass(frozen=True)
class Delivery:
    """What the gateway answered."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class SmsGateway:
    """A text-message gateway reached over HTTP: a JSON POST of ``to``, ``text``, ``sender`` and
    ``reference`` with the token (read from the environment variable ``token_env``) as a bearer
    token; any 2xx answer means accepted."""

    url: str
    token_env: str | None = None
    sender: str = ""
    timeout: float = 5.0

    def send(self, *, phone: str, text: str, reference: str) -> Delivery:
        """Hand one message to the gateway."""
        body = json.dumps({"to": phone, "text": text, "sender": self.sender,
                           "reference": reference}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        token = os.environ.get(self.token_env) if self.token_env else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return Delivery(True, _snippet(answer.read()) or f"HTTP {answer.status}")
        except urllib.error.HTTPError as exc:
            return Delivery(False, f"HTTP {exc.code}: {_snippet(exc.read())}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Delivery(False, f"unreachable: {reason}")


@dataclass(frozen=True)
class Due:
    """A step that needs parties, and whom to tell."""

    event: str
    key: str
    roles: tuple[str, ...]
    deadline: datetime | None = None
    only: frozenset[str] | None = None  # party names, when not every party of the roles


def due_notices(view: InstanceView) -> list[Due]:
    """The steps of ``view`` that need a party (whether told already or not)."""
    data = view.data
    found: list[Due] = []
    tasks: dict[str, list[Any]] = {}
    for task in view.ready_tasks:
        tasks.setdefault(task.element_id, []).append(task)
    for task in tasks.get("ask_other_party", [])[:1]:
        found.append(Due("consent_asked", f"consent_asked:{task.id}", ("respondent",),
                         task.due_at or instant(data.get("consent_due"))))
    if "mediate" in tasks and data.get("accepted_at"):
        found.append(Due("mediator_chosen", f"mediator_chosen:{data['accepted_at']}", PARTY_ROLES,
                         instant(data.get("mediation_due"))))
    signing = tasks.get("sign_by_parties", [])
    if signing:
        signed = data.get("signatures") if isinstance(data.get("signatures"), dict) else {}
        names = {p.get("name") for p in data.get("parties", []) if isinstance(p, dict)}
        # The tasks of one signing round are created together: the round's key outlives the
        # tasks the first signers complete.
        opened = min(t.created_at for t in signing).isoformat()
        found.append(Due("agreement_to_sign", f"agreement_to_sign:{opened}", PARTY_ROLES,
                         min((t.due_at for t in signing if t.due_at), default=None),
                         frozenset(n for n in names if n not in signed)))
    if data.get("served_on") and data.get("ruling") in ("valid", "rejected", "withdrawn"):
        found.append(Due("ruling_served", f"ruling_served:{data['served_on']}", PARTY_ROLES))
    for task in tasks.get("follow_up_visit", [])[:1]:
        found.append(Due("return_visit", f"return_visit:{task.id}", PARTY_ROLES, task.due_at))
    return found


def queue_notices(
    session: Session,
    view: InstanceView,
    *,
    phone: str,
    gateway: SmsGateway | None,
    now: datetime,
) -> list[Notice]:
    """Write the messages the step calls for (each once); called after every step."""
    due = due_notices(view)
    if not due or view.business_key is None:
        return []
    case = session.scalar(select(Case).where(Case.case_no == view.business_key))
    if case is None:
        return []
    told = {(key, party) for key, party in session.execute(
        select(Notice.key, Notice.party_id).where(Notice.case_id == case.id))}
    office = session.scalar(select(OrgUnit.name).where(OrgUnit.id == case.org_unit_id)) or ""
    queued: list[Notice] = []
    for item in due:
        for party in _recipients(case.parties, item):
            if (item.key, party.id) in told:
                continue
            body = render(session, f"messages/{item.event}.txt", {
                "case_no": case.case_no, "office": office, "phone": phone,
                "deadline": chinese_date(due_day(item.deadline)),
            }).strip()
            notice = Notice(case_id=case.id, event=item.event, key=item.key, party_id=party.id,
                            recipient=party.name, phone=party.phone, body=body, created_at=now,
                            attempts=0, status=PENDING if gateway and party.phone else OUTBOX,
                            result=None if party.phone else "no phone number on record")
            session.add(notice)
            queued.append(notice)
    if queued:
        session.flush()
        if any(n.status == PENDING for n in queued):
            session.info[AFTER_COMMIT_FLAG] = True
    return queued


def deliver_pending(
    database: Database, gateway: SmsGateway | None, *, now: Callable[[], datetime],
    limit: int = 50,
) -> int:
    """Send pending messages (claimed first, so two workers never send one twice); how many
    were handed to the gateway.  A claim left by a worker that died is taken up again."""
    if gateway is None:
        return 0
    claimed = _claim(database, now(), limit)
    for notice_id, phone, body in claimed:
        delivery = gateway.send(phone=phone, text=body, reference=f"notice-{notice_id}")
        _record(database, notice_id, delivery, now())
    return len(claimed)


def mark_handed(notice: Notice, *, actor: str, now: datetime) -> None:
    """Staff delivered an outbox message by hand, post or phone."""
    if notice.status != OUTBOX:
        raise ValueError(f"notice {notice.id} is {notice.status}, not in the outbox")
    notice.status, notice.handled_by, notice.delivered_at = HANDED, actor, now


def case_notices(session: Session, case_id: int) -> list[Notice]:
    """Every message of a case, oldest first."""
    return list(session.scalars(select(Notice).where(Notice.case_id == case_id)
                                .order_by(Notice.created_at, Notice.id)))


def outbox(session: Session, *, units: Iterable[str] | None = None, limit: int = 200
           ) -> list[Notice]:
    """Messages waiting for staff (oldest first); only of the cases that sit in ``units`` (unit
    codes) when given."""
    query = select(Notice).where(Notice.status == OUTBOX)
    if units is not None:
        in_units = select(Case.id).join(OrgUnit, OrgUnit.id == Case.org_unit_id).where(
            OrgUnit.code.in_(sorted(units)))
        query = query.where(Notice.case_id.in_(in_units))
    return list(session.scalars(query.order_by(Notice.created_at, Notice.id).limit(limit)))


def _recipients(parties: Iterable[Party], due: Due) -> list[Party]:
    return [p for p in parties
            if p.role in due.roles and (due.only is None or p.name in due.only)]


def _claim(database: Database, now: datetime, limit: int) -> list[tuple[int, str, str]]:
    with database.transaction() as session:
        stuck = now - STUCK_AFTER
        session.execute(update(Notice).where(Notice.status == SENDING,
                                             Notice.next_attempt_at < stuck)
                        .values(status=PENDING))
        query = (select(Notice).where(Notice.status == PENDING,
                                      (Notice.next_attempt_at.is_(None))
                                      | (Notice.next_attempt_at <= now))
                 .order_by(Notice.id).limit(limit))
        if database.is_postgres:
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for notice in session.scalars(query):
            notice.status, notice.next_attempt_at = SENDING, now
            notice.attempts += 1
            claimed.append((notice.id, notice.phone or "", notice.body))
    return claimed


def _record(database: Database, notice_id: int, delivery: Delivery, now: datetime) -> None:
    with database.transaction() as session:
        notice = session.get(Notice, notice_id)
        if notice is None:
            return
        notice.result = delivery.detail[:300]
        if delivery.ok:
            notice.status, notice.delivered_at, notice.next_attempt_at = SENT, now, None
        elif notice.attempts >= MAX_ATTEMPTS:
            notice.status, notice.next_attempt_at = FAILED, None
        else:
            notice.status, notice.next_attempt_at = PENDING, now + RETRY_AFTER


def _snippet(raw: bytes) -> str:
    return raw[:200].decode("utf-8", "replace").strip()
