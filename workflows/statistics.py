"""The figures a mediation office reports (DOMAIN.md §6), for any period.

Cases received in the period are counted from the case records the processes keep in step;
timeliness comes from the engine's task projection (acceptance tasks against their legal due
time) and its audit trail (a mediation period that expired).  Rates are ``None`` where nothing
was there to count, never a made-up 0 % or 100 %.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, HumanTask
from workflows.models import Case

LOW_TIERS = frozenset({"courtyard", "grid", "village"})
ACCEPTANCE_TASKS = ("accept_dispatch", "accept_delegation")
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
# A case the other side never answered was not mediated: it is not among the concluded ones.
CONCLUDED_OUTCOMES = frozenset({
    "resolved", "confirmed", "failed", "refused", "withdrawn", "guided_to_litigation",
    "guided_to_arbitration", "re_mediated",
})
RESOLVED_OUTCOMES = frozenset({"resolved", "confirmed"})


@dataclass(frozen=True)
class MediatorFigures:
    """One mediator's share of the work."""

    stretches: int
    agreements: int


@dataclass(frozen=True)
class OfficeReport:
    """The office's figures for cases received in [start, end)."""

    start: datetime
    end: datetime
    received: int
    by_channel: Mapping[str, int]
    by_type: Mapping[str, int]
    by_tier: Mapping[str, int]
    concluded: int
    resolved: int
    success_rate: float | None
    resolved_at_low_tiers: int
    escalated: int
    guided_to_litigation: int
    amount_in_dispute: Decimal
    amount_paid_on_the_spot: Decimal
    average_cycle_days: float | None
    on_time_acceptance_rate: float | None
    on_time_completion_rate: float | None
    open_overdue_tasks: int
    extended: int
    jc_applied: int
    jc_confirmed: int
    jc_rejected_by_ground: Mapping[str, int]
    voluntary_performance_rate: float | None
    satisfaction_rate: float | None
    mediators: Mapping[str, MediatorFigures] = field(default_factory=dict)


def office_report(session: Session, *, start: datetime, end: datetime, now: datetime) -> OfficeReport:
    """Compute the office's figures for the cases received from ``start`` until ``end``."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    cases = list(
        session.scalars(
            select(Case).where(Case.received_at >= start, Case.received_at < end).order_by(Case.id)
        )
    )
    instances = [c.instance_id for c in cases if c.instance_id is not None]
    concluded = [c for c in cases if c.outcome in CONCLUDED_OUTCOMES]
    resolved = [c for c in concluded if c.outcome in RESOLVED_OUTCOMES]
    closed = [c for c in cases if c.closed_at is not None]
    performed = [c.details.get("performed") for c in cases if c.details.get("performed")]
    satisfaction = [c.details.get("satisfaction") for c in cases if c.details.get("satisfaction")]
    return OfficeReport(
        start=start,
        end=end,
        received=len(cases),
        by_channel=dict(Counter(c.channel for c in cases)),
        by_type=dict(Counter(c.dispute_type for c in cases)),
        by_tier=dict(Counter(c.tier for c in cases if c.tier)),
        concluded=len(concluded),
        resolved=len(resolved),
        success_rate=_rate(len(resolved), len(concluded)),
        resolved_at_low_tiers=sum(1 for c in resolved if c.tier in LOW_TIERS),
        escalated=sum(1 for c in cases if _escalated(c.details)),
        guided_to_litigation=sum(1 for c in cases if c.outcome == "guided_to_litigation"),
        amount_in_dispute=sum((c.amount or Decimal(0) for c in cases), Decimal(0)),
        amount_paid_on_the_spot=sum(
            (Decimal(str(c.details.get("amount_agreed") or 0)) for c in cases
             if c.details.get("performed_on_spot")),
            Decimal(0),
        ),
        average_cycle_days=_average(
            [(c.closed_at - c.received_at).total_seconds() / 86400 for c in closed]
        ),
        on_time_acceptance_rate=_on_time_acceptance(session, instances),
        on_time_completion_rate=_on_time_completion(session, concluded),
        open_overdue_tasks=_open_overdue(session, instances, now),
        extended=sum(1 for c in cases if c.details.get("extensions")),
        jc_applied=sum(1 for c in cases if c.details.get("jc_outcome") not in (None, "not_applied", "lapsed", "not_available")),
        jc_confirmed=sum(1 for c in cases if c.details.get("jc_outcome") == "confirmed"),
        jc_rejected_by_ground=dict(Counter(
            c.details.get("rejection_ground") or "other"
            for c in cases if c.details.get("jc_outcome") == "rejected"
        )),
        voluntary_performance_rate=_rate(sum(1 for p in performed if p == "fully"), len(performed)),
        satisfaction_rate=_rate(sum(1 for s in satisfaction if s in SATISFIED), len(satisfaction)),
        mediators=_mediators(c.details for c in cases),
    )


def _on_time_acceptance(session: Session, instances: list[int]) -> float | None:
    """Acceptance tasks done by their legal due time, among those done (in chunks: SQL limits)."""
    done = on_time = 0
    for chunk in _chunks(instances):
        rows = session.execute(
            select(HumanTask.ended_at, HumanTask.due_at).where(
                HumanTask.instance_id.in_(chunk),
                HumanTask.element_id.in_(ACCEPTANCE_TASKS),
                HumanTask.state == "completed",
                HumanTask.due_at.is_not(None),
            )
        )
        for ended_at, due_at in rows:
            done += 1
            on_time += ended_at <= due_at
    return _rate(on_time, done)


def _on_time_completion(session: Session, concluded: list[Case]) -> float | None:
    """Concluded cases whose mediation never ran past a period without an agreed extension."""
    ids = [c.instance_id for c in concluded if c.instance_id is not None]
    late: set[int] = set()
    for chunk in _chunks(ids):
        late.update(
            session.scalars(
                select(AuditEvent.instance_id).where(
                    AuditEvent.instance_id.in_(chunk),
                    AuditEvent.action == "timer_fired",
                    AuditEvent.element_id == "mediation_expired",
                )
            )
        )
    return _rate(sum(1 for i in ids if i not in late), len(ids))


def _open_overdue(session: Session, instances: list[int], now: datetime) -> int:
    total = 0
    for chunk in _chunks(instances):
        total += session.scalar(
            select(func.count()).select_from(HumanTask).where(
                HumanTask.instance_id.in_(chunk), HumanTask.state == "ready", HumanTask.due_at < now
            )
        ) or 0
    return total


def _escalated(details: Mapping[str, Any]) -> bool:
    return any(h.get("result") == "escalate" for h in details.get("tier_history") or [])


def _mediators(all_details: Iterable[Mapping[str, Any]]) -> dict[str, MediatorFigures]:
    stretches: Counter[str] = Counter()
    agreements: Counter[str] = Counter()
    for details in all_details:
        for entry in details.get("tier_history") or []:
            mediator = entry.get("mediator")
            if mediator:
                stretches[mediator] += 1
                agreements[mediator] += entry.get("result") == "agreement"
    return {m: MediatorFigures(stretches[m], agreements[m]) for m in sorted(stretches)}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for index in range(0, len(ids), size):
        yield ids[index:index + size]
