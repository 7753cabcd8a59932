"""A case through intake, mediation, agreement and judicial confirmation with the clock in years
no holiday schedule covers (2027, 2028, 2030): every period is counted provisionally with the
statutory holidays, nothing stops, and each deadline says it is provisional.

Counted by hand (statutory holidays only, no make-up working days; the start day not counted, a
last day on a weekend or holiday moves to the next working day):
  2027, from Fri 09-24: +7 CD = 10-01 National Day, 02-03 too → Mon 10-04; +3 = Mon 09-27;
        +15 = Sat 10-09 → Mon 10-11; +30 = Sun 10-24 → Mon 10-25.
  2028, from Tue 01-18: +7 = 01-25 the eve, 26-28 Spring Festival, 29/30 weekend → Mon 01-31;
        +3 = Fri 01-21; +15 = Wed 02-02; +30 = Thu 02-17.
  2030, from Wed 04-24: +7 = 05-01 Labour Day, 02 too → Fri 05-03; +3 = Sat 04-27 → Mon 04-29;
        +15 = Thu 05-09; +30 = Fri 05-24.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.database import Database
from tests.web.casework import build
from workflows.deadlines import SHANGHAI, HolidayCalendar
from workflows.models import LegalDeadline


def due(day: str) -> str:
    return (datetime.fromisoformat(day) + timedelta(days=1)).replace(tzinfo=SHANGHAI).isoformat()


@pytest.mark.parametrize(
    ("start", "mediation", "acceptance", "ruling", "apply"),
    [
        ("2027-09-24", "2027-10-04", "2027-09-27", "2027-10-11", "2027-10-25"),
        ("2028-01-18", "2028-01-31", "2028-01-21", "2028-02-02", "2028-02-17"),
        ("2030-04-24", "2030-05-03", "2030-04-29", "2030-05-09", "2030-05-24"),
    ],
)
def test_a_case_runs_from_intake_to_judicial_confirmation_in_a_year_without_a_schedule(
    db: Database, start: str, mediation: str, acceptance: str, ruling: str, apply: str
) -> None:
    year = int(start[:4])
    now = datetime.fromisoformat(f"{start}T09:00").replace(tzinfo=SHANGHAI)
    world = build(db, start=now, packaged_calendar=HolidayCalendar.default().up_to(2026))
    case = world.submit()
    assert case.case_no.startswith(f"({year})")
    case.in_mediation()
    assert case.case().state == "in_mediation"
    assert case.view.data["mediation_due"] == due(mediation)
    assert case.task("mediate").due_at == datetime.fromisoformat(due(mediation))

    performance = (date.fromisoformat(start) + timedelta(days=20)).isoformat()
    case.do("mediate", "mediator", outcome="agreement")
    case.do("draft_agreement", "mediator", **{
        "agreement_form": "written", "facts": "排水沟堵塞致院内积水", "issues": "赔偿",
        "responsibilities": "李四承担主要责任", "terms": "李四赔偿张三1500元",
        "performance_manner": "现金支付", "performance_place": "社区调解室",
        "performance_deadline": performance, "performed_on_spot": False, "amount_agreed": 1500,
    })
    case.each("sign_by_parties", "mediator", signing="signature")
    case.do("sign_by_mediator", "mediator", mediator_signed=True, committee_seal=True)
    assert case.view.data["jc_apply_due"] == due(apply)
    case.each("apply_jointly", "party", applies=True)
    assert case.case().state == "judicial_confirmation"
    assert case.view.data["jc_acceptance_due"] == due(acceptance)
    assert case.task("decide_acceptance").due_at == datetime.fromisoformat(due(acceptance))
    case.do("decide_acceptance", "filing", jc_accepted=True)
    assert case.view.data["jc_ruling_due"] == due(ruling)
    case.do("review_agreement", "judge", ruling="valid")
    case.do("serve_ruling", "assistant", served_on=start, service_method="electronic")
    assert case.view.data["jc_outcome"] == "confirmed"
    assert case.case().details["jc_case_no"].startswith(f"({year})")

    # After the performance deadline the worker opens the follow-up visit; then the case closes.
    world.clock.set(datetime.fromisoformat(f"{performance}T09:00").replace(tzinfo=SHANGHAI)
                    + timedelta(days=2))
    world.engine.fire_due_timers()
    case.refresh().do("follow_up_visit", "mediator", performed="fully", satisfaction="satisfied")
    case.do("close_case", "mediator", archived_documents=["application", "agreement"],
            closing_summary="调解成功，协议已经司法确认并履行")
    assert case.view.status == "completed" and case.case().state == "closed"

    # Every period was counted provisionally, and none is left running.
    with db.reading() as session:
        rows = session.execute(select(
            LegalDeadline.key, LegalDeadline.provisional_years, LegalDeadline.running
        ).where(LegalDeadline.case_id == case.case_id)).all()
    assert {key for key, _, _ in rows} >= {
        "choice_due", "acceptance_due", "mediation_due", "jc_apply_due", "jc_acceptance_due",
        "jc_ruling_due", "performance_due"}
    assert all(years == [year] for _, years, _ in rows)
    assert not any(running for _, _, running in rows)
