"""The office's figures, from cases driven through their real processes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from engine import Engine, FixedClock
from workflows.statistics import office_report

from .test_cases import (  # noqa: F401  (fixtures)
    APPLICATION,
    choose,
    clock,
    complete,
    engine,
    submit,
)

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
END = datetime(2026, 4, 1, tzinfo=timezone.utc)


def register(engine: Engine, view, **form: Any):
    data = {"registration_decision": "register", "dispute_type": "neighbour", "amount": 2000,
            "applied_jointly": True, "ownership_confirmation": False, **form}
    return complete(engine, view.task("register_dispute").id, "clerk", **data)


def accept(engine: Engine, view, mediator: str):
    view = choose(engine, view, mediator)
    return complete(engine, view.task("accept_dispatch").id, mediator, accepts=True)


def each_party(engine: Engine, view, element: str, **form: Any):
    for task in [t for t in view.ready_tasks if t.element_id == element]:
        view = complete(engine, task.id, "party", **form)
    return view


def settle_on_the_spot(engine: Engine, clock: FixedClock):
    submitted = submit(engine, clock)
    view = accept(engine, register(engine, submitted.instance), "王调解员")
    view = complete(engine, view.task("mediate").id, "王调解员", outcome="agreement")
    view = complete(engine, view.task("draft_agreement").id, "王调解员",
                    agreement_form="written", facts="排水沟堵塞致积水", issues="赔偿",
                    responsibilities="李四承担责任", terms="赔偿1500元", performance_manner="现金",
                    performance_place="调解室", performance_deadline="2026-03-03",
                    performed_on_spot=True, amount_agreed=1500)
    view = each_party(engine, view, "sign_by_parties", signing="signature")
    view = complete(engine, view.task("sign_by_mediator").id, "王调解员",
                    mediator_signed=True, committee_seal=True)
    return submitted, view


def test_figures_of_a_settled_a_refused_and_an_escalated_case(engine, clock):
    settled, view = settle_on_the_spot(engine, clock)
    view = each_party(engine, view, "apply_jointly", applies=False)
    while "close_case" not in [t.element_id for t in view.ready_tasks]:
        follow = view.task("follow_up_visit")
        view = complete(engine, follow.id, "王调解员", performed="fully", satisfaction="satisfied")
    complete(engine, view.task("close_case").id, "王调解员", archived_documents=["agreement"],
             closing_summary="当场履行")

    refused = submit(engine, clock, amount="500")
    register(engine, refused.instance, registration_decision="refuse",
             refusal_reason="before_court", referral_route="已告知当事人向人民法院咨询")

    escalated = submit(engine, clock, amount="8000")
    accept(engine, register(engine, escalated.instance), "小院调解员")
    clock.set(datetime(2026, 3, 9, 16, 1, tzinfo=timezone.utc))
    assert engine.fire_due_timers() == 1

    with engine.db.reading() as session:
        report = office_report(session, start=START, end=END, now=clock())
    assert report.received == 3
    assert report.by_channel == {"grid_worker": 3}
    assert (report.concluded, report.resolved, report.success_rate) == (1, 1, 1.0)
    assert report.resolved_at_low_tiers == 1
    assert report.escalated == 1 and report.by_tier["grid"] == 1
    assert report.amount_in_dispute == Decimal("10500.00")
    assert report.amount_paid_on_the_spot == Decimal("1500")
    assert report.on_time_acceptance_rate == 1.0
    assert report.on_time_completion_rate == 1.0
    assert (report.voluntary_performance_rate, report.satisfaction_rate) == (1.0, 1.0)
    assert report.average_cycle_days is not None and report.average_cycle_days < 8
    assert report.mediators["王调解员"].agreements == 1
    assert report.mediators["小院调解员"].stretches == 1


def test_an_empty_period_reports_nothing_rather_than_invented_rates(engine, clock):
    with engine.db.reading() as session:
        report = office_report(session, start=START, end=END, now=clock())
    assert report.received == 0
    assert report.success_rate is None and report.satisfaction_rate is None
    with pytest.raises(ValueError, match="must end after it starts"):
        with engine.db.reading() as session:
            office_report(session, start=END, end=START, now=clock())


def test_a_case_takes_the_courts_number_when_both_parties_apply_for_confirmation(engine, clock):
    settled, view = settle_on_the_spot(engine, clock)
    each_party(engine, view, "apply_jointly", applies=True)
    with engine.db.reading() as session:
        from sqlalchemy import select

        from workflows.models import Case

        case = session.scalar(select(Case).where(Case.case_no == settled.case_no))
        assert case.details["jc_case_no"] == "(2026)渝0151民特1号"
        assert case.state == "judicial_confirmation"
