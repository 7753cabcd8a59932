"""Cases: taking a dispute in, and keeping the case record in step with its process.

A submitted dispute becomes a case with a number and its parties, and its ``dispute_intake``
process starts at once, keyed by the case number.  From then on the process decides; after every
step (whoever caused it: a clerk, a mediator, the timer worker) :func:`sync_case` copies what the
office reports on — state, tier, unit, outcome — from the process data onto the case row, in the
same transaction, and :func:`follow_up_case` opens what the step asked for (a new mediation case
when the parties chose to mediate again after the court rejected their agreement).

A court sends a case it delegates (委派) or entrusts (委托) with :func:`refer_from_court`; a party's
withdrawal is recorded with :func:`record_withdrawal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SHANGHAI
from engine.runtime import ENGINE_ACTOR, Engine
from engine.views import InstanceView
from workflows.configuration import OfficeSettings
from workflows.district import parent_at_tier, room_code
from workflows.models import Case, OrgUnit, Party, Person, RoleAssignment
from workflows.numbering import DEFAULT_FORMATS, next_case_number
from workflows.organisation import CHANNELS, DISPUTE_TYPES, TIERS
from workflows.people import PHONE_PATTERN
from workflows.roster import person_id

INTAKE_PROCESS = "dispute_intake"
WITHDRAWAL_MESSAGE = "party_withdrew"

# Case states and what the UI calls them (DOMAIN.md §7).
STATES = {
    "reported": "待登记",
    "not_accepted": "不予受理",
    "consent_pending": "征询意愿",
    "dispatched": "已分流",
    "in_mediation": "调解中",
    "suspended": "中止",
    "agreement_reached": "达成协议",
    "judicial_confirmation": "司法确认",
    "performing": "履行中",
    "failed": "调解不成",
    "guided_to_litigation": "引导诉讼",
    "closing": "待结案",
    "closed": "结案归档",
    "terminated": "终止调解",
    "withdrawn": "已撤回",
    "not_mediated": "未能调解",
    "not_performed": "协议未履行",
    "error": "流程异常",
}
# How a case ended, for the office's reports (DOMAIN.md §2, §6).
OUTCOMES = {
    "resolved": "调解成功",
    "confirmed": "司法确认有效",
    "failed": "调解不成",
    "refused": "当事人拒绝调解",
    "withdrawn": "当事人撤回",
    "not_mediated": "对方未答复，未能调解（终止）",
    "guided_to_litigation": "引导诉讼",
    "guided_to_arbitration": "引导申请劳动仲裁",
    "re_mediated": "司法确认驳回后重新调解",
}
# A case a court delegated before filing (委派) or entrusted after filing (委托).
COURT_REFERRALS = {"delegated": "委派调解", "entrusted": "委托调解"}

# Which state a ready task means, most telling first (parallel branches: the court's work wins).
_STATE_OF_TASK = [
    ({"register_dispute"}, "reported"),
    ({"choose_remedy"}, "not_performed"),
    ({"ask_other_party"}, "consent_pending"),
    ({"apply_jointly", "decide_acceptance", "review_agreement", "approve_extension",
      "rule_after_extension", "serve_ruling", "choose_after_rejection"}, "judicial_confirmation"),
    ({"appraisal"}, "suspended"),
    ({"mediate", "ask_for_consent", "consent_to_extension"}, "in_mediation"),
    ({"choose_mediator", "designate_mediator", "accept_dispatch", "assign_by_chair",
      "delegate_case", "accept_delegation"}, "dispatched"),
    ({"draft_agreement", "sign_by_parties", "sign_by_mediator"}, "agreement_reached"),
    ({"register_suit", "file_suit", "register_as_suit"}, "guided_to_litigation"),
    ({"inform_routes", "guide_to_arbitration", "delegate_to_court_mediation"}, "failed"),
    ({"follow_up_visit"}, "performing"),
    ({"close_case", "close_as_out_of_court"}, "closing"),
]


class ApplicationInvalid(ValueError):
    """A submitted dispute is not valid; ``field_errors`` maps each field to its messages."""

    def __init__(self, field_errors: Mapping[str, list[str]]):
        self.field_errors = dict(field_errors)
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in self.field_errors.items()))


def _in_fen(amount: Decimal) -> bool:
    """An amount in yuan has at most two decimals (fen); more is refused, never rounded."""
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValidationError("金额最多保留两位小数")
    return True


class PartySchema(Schema):
    """A party as submitted."""

    role = fields.String(required=True, validate=validate.OneOf(["applicant", "respondent", "agent"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(
        load_default=None, validate=validate.Regexp(PHONE_PATTERN, error="不是有效的电话号码"),
    )
    id_number = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^\d{17}[\dXx]$", error="不是有效的身份证号码"),
    )
    address = fields.String(load_default=None, validate=validate.Length(max=300))
    # Many parties on one side: the position (from 0) in ``parties`` of the party of the same side
    # who represents this one (代表人).
    represented_by = fields.Integer(load_default=None, strict=True,
                                    validate=validate.Range(min=0, max=999))


# Representatives of one side (民事诉讼法 art 56–57, 民诉法解释 arts 76–78, by analogy): two to five.
REPRESENTATIVES = (2, 5)


class DisputeApplicationSchema(Schema):
    """A dispute as residents, grid workers and referring agencies submit it."""

    parties = fields.List(fields.Nested(PartySchema), required=True, validate=validate.Length(min=2))
    dispute_type = fields.String(required=True, validate=validate.OneOf(list(DISPUTE_TYPES)))
    amount = fields.Decimal(
        load_default=None, as_string=False,
        validate=[validate.Range(min=0, max=Decimal("1e11")), _in_fen],
    )
    description = fields.String(required=True, validate=validate.Length(min=5, max=5000))
    channel = fields.String(required=True, validate=validate.OneOf(list(CHANNELS)))
    reported_unit = fields.String(required=True, validate=validate.Length(min=1, max=60))
    applied_jointly = fields.Boolean(load_default=False)


@dataclass(frozen=True)
class Submitted:
    """What a submitter is told: the case number, and the process now running it."""

    case_id: int
    case_no: str
    instance: InstanceView


def submit_dispute(
    session: Session,
    engine: Engine,
    application: Mapping[str, Any],
    *,
    actor: str,
    settings: OfficeSettings,
    now: datetime,
    kind: str = "people_mediation",
    details: Mapping[str, Any] | None = None,
) -> Submitted:
    """Record a dispute, give it a number (of ``kind``) and start its intake process."""
    try:
        data = DisputeApplicationSchema().load(dict(application))
    except ValidationError as exc:
        raise ApplicationInvalid(_field_messages(exc.messages)) from exc
    if not any(p["role"] == "applicant" for p in data["parties"]) or not any(
        p["role"] == "respondent" for p in data["parties"]
    ):
        raise ApplicationInvalid({"parties": ["需要至少一名申请人和一名被申请人"]})
    representation_problems = _representation_problems(data["parties"])
    if representation_problems:
        raise ApplicationInvalid(representation_problems)
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == data["reported_unit"]))
    if unit is None or unit.tier not in TIERS:
        raise ApplicationInvalid({"reported_unit": [f"没有这个地点：{data['reported_unit']}"]})
    office = _unit(session, settings.office)
    court = _unit(session, settings.court)
    year = now.astimezone(SHANGHAI).year
    case_no = next_case_number(session, kind, year=year, formats=settings.case_number_formats)
    case = Case(
        case_no=case_no, kind=kind, dispute_type=data["dispute_type"],
        amount=data["amount"], amount_paid=None, description=data["description"],
        channel=data["channel"], tier=None, org_unit_id=office.id, court_id=court.id,
        state="reported", personal_status=False, instance_id=None, received_at=now,
        closed_at=None, outcome=None,
        details={**(details or {}), "reported_unit": unit.code, "submitted_by": actor},
    )
    case.parties = [
        Party(role=p["role"], name=p["name"], phone=p["phone"], id_number=p["id_number"],
              address=p["address"], person_id=_login_of(session, p))
        for p in data["parties"]
    ]
    session.add(case)
    session.flush()
    for party, submitted in zip(case.parties, data["parties"], strict=True):
        if submitted["represented_by"] is not None:
            party.represented_by_id = case.parties[submitted["represented_by"]].id
    view = engine.start(
        session,
        INTAKE_PROCESS,
        data=_process_data(session, case, unit, office, court, data, settings),
        actor=actor,
        business_key=case_no,
    )
    return Submitted(case.id, case_no, view)


class CourtReferralSchema(Schema):
    """What a court says when it sends a case to mediation."""

    mode = fields.String(required=True, validate=validate.OneOf(list(COURT_REFERRALS)))
    court_reference = fields.String(load_default=None, validate=validate.Length(max=60))


def refer_from_court(
    session: Session,
    engine: Engine,
    application: Mapping[str, Any],
    *,
    mode: str,
    court_reference: str | None = None,
    actor: str,
    settings: OfficeSettings,
    now: datetime,
) -> Submitted:
    """A case a court delegates (委派, before filing) or entrusts (委托, after filing) to the office
    for pre-litigation mediation: numbered as the court's (诉前调), reported at the office, and
    mediated under the pre-litigation rules (民事诉讼法 art 125; 特邀调解规定 art 27)."""
    try:
        referral = CourtReferralSchema().load({"mode": mode, "court_reference": court_reference})
    except ValidationError as exc:
        raise ApplicationInvalid(_field_messages(exc.messages)) from exc
    return submit_dispute(
        session, engine,
        {**application, "channel": "court", "reported_unit": settings.office,
         "applied_jointly": True},
        actor=actor, settings=settings, now=now, kind="pre_litigation",
        details={"court_referral": referral["mode"],
                 **({"court_reference": referral["court_reference"]}
                    if referral["court_reference"] else {})},
    )


class WithdrawalRefused(ValueError):
    """A withdrawal cannot be recorded: ``code`` says why (``not_a_party``, ``no_reason``,
    ``too_late``), the message in words."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def may_withdraw(view: InstanceView | None) -> bool:
    """Whether the case's process takes a withdrawal now (before its agreement takes effect)."""
    return view is not None and view.status == "running" and any(
        m.message_name == WITHDRAWAL_MESSAGE for m in view.awaiting)


def record_withdrawal(
    session: Session,
    engine: Engine,
    case: Case,
    *,
    party_id: int,
    reason: str,
    actor: str,
) -> InstanceView:
    """Record that a party withdrew (撤回): the mediation ends and the other routes are told."""
    party = next((p for p in case.parties if p.id == party_id and p.role != "agent"), None)
    if party is None:
        raise WithdrawalRefused("not_a_party", "this person is not a party to the case")
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise WithdrawalRefused(
            "no_reason", "give the reason for the withdrawal (up to 2000 characters)")
    view = engine.instance(session, case.instance_id) if case.instance_id else None
    if not may_withdraw(view):
        raise WithdrawalRefused(
            "too_late",
            "the case can no longer be withdrawn: its mediation has ended or its agreement is in force",
        )
    engine.deliver_message(
        session, WITHDRAWAL_MESSAGE,
        payload={"party": party.name, "party_id": party.id, "reason": reason,
                 "recorded_by": actor},
        business_key=case.case_no, actor=actor,
    )
    return engine.instance(session, case.instance_id)


def follow_up_case(
    session: Session,
    engine: Engine,
    view: InstanceView,
    *,
    settings: OfficeSettings,
    now: datetime,
) -> None:
    """Open what a step asked for: after the court rejected an agreement and the parties chose to
    mediate again (民事诉讼法 art 206), a new mediation case linked to this one."""
    if view.business_key is None or not view.data.get("remediation_requested"):
        return
    case = session.scalar(select(Case).where(Case.case_no == view.business_key))
    if case is None or case.details.get("remediated_as"):
        return
    parties = list(case.parties)
    position = {p.id: index for index, p in enumerate(parties)}
    application = {
        "parties": [
            {"role": p.role, "name": p.name, "phone": p.phone, "id_number": p.id_number,
             "address": p.address, "represented_by": position.get(p.represented_by_id)}
            for p in parties
        ],
        "dispute_type": case.dispute_type,
        "amount": case.amount,
        "description": f"{case.description}\n（{case.case_no}的调解协议经人民法院裁定驳回，当事人选择重新调解）",
        "channel": "re_mediation",
        "reported_unit": case.details.get("reported_unit") or settings.office,
        "applied_jointly": True,
    }
    submitted = submit_dispute(
        session, engine, application, actor=ENGINE_ACTOR, settings=settings, now=now,
        details={"remediation_of": case.case_no},
    )
    # The same people are the parties again: each keeps the login their party had.
    new_case = session.get(Case, submitted.case_id)
    assert new_case is not None
    for old, new in zip(parties, new_case.parties, strict=True):
        new.person_id = new.person_id or old.person_id
    case.details = {**case.details, "remediated_as": submitted.case_no}


def sync_case(
    session: Session,
    view: InstanceView,
    *,
    now: datetime,
    formats: Mapping[str, str] = DEFAULT_FORMATS,
) -> None:
    """Copy what the office reports on from a step's view onto its case (the engine's after_step).

    When the case reaches the court it also takes the court's number: a judicial-confirmation
    number once both parties have applied, a pre-litigation confirmation number (诉前调确) when
    court-delegated mediation settles.
    """
    if view.business_key is None:
        return
    case = session.scalar(select(Case).where(Case.case_no == view.business_key))
    if case is None:
        return
    data = view.data
    case.instance_id = view.id
    if data.get("tier") in TIERS:
        case.tier = data["tier"]
    if data.get("dispute_type") in DISPUTE_TYPES:  # the clerk may reclassify at registration
        case.dispute_type = data["dispute_type"]
    unit_code = data.get("org_unit")
    if unit_code:
        unit = session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code))
        if unit is not None:
            case.org_unit_id = unit
    case.personal_status = bool(data.get("personal_status", case.personal_status))
    # The mediator who has the case: chosen or designated and accepted, or assigned by the chair.
    case.mediator_id = person_id(session, data.get("mediator")) if data.get("mediator_accepted") \
        else None
    case.state = case_state(view)
    case.outcome = _outcome(data) or case.outcome
    case.details = {
        **case.details,
        **{k: data[k] for k in _REPORTED_KEYS if k in data},
    }
    _court_numbers(session, case, data, now=now, formats=formats)
    if view.status in ("completed", "terminated") and case.closed_at is None:
        case.closed_at = _closed_at(data) or now


def _court_numbers(
    session: Session, case: Case, data: Mapping[str, Any], *, now: datetime,
    formats: Mapping[str, str],
) -> None:
    """The court's number once both parties have applied for confirmation (``jc_applied_at``
    is set only then): 诉前调确 for an agreement reached in pre-litigation mediation, 民特 for
    any other."""
    if not data.get("jc_applied_at"):
        return
    if data.get("prelit_outcome") == "settled":
        key, kind = "prelit_case_no", "pre_litigation_confirmation"
    else:
        key, kind = "jc_case_no", "judicial_confirmation"
    if not case.details.get(key):
        year = now.astimezone(SHANGHAI).year
        number = next_case_number(session, kind, year=year, formats=formats)
        case.details = {**case.details, key: number}


_ENDED_WITHOUT_MEDIATION = ("withdrawn", "not_mediated")


def case_state(view: InstanceView) -> str:
    """The case's state in the office's words, read from where its process stands."""
    if view.status == "error":
        return "error"
    if view.status == "terminated":
        return "terminated"
    if view.status == "completed":
        return "not_accepted" if view.data.get("registration_decision") == "refuse" else "closed"
    ready = {t.element_id for t in view.ready_tasks}
    for elements, state in _STATE_OF_TASK:
        if ready & elements:
            if state == "failed" and view.data.get("mediation_result") in _ENDED_WITHOUT_MEDIATION:
                return str(view.data["mediation_result"])
            return state
    if view.data.get("agreement_in_force"):
        return "performing"
    return "in_mediation"


# Process data the office keeps on the case for reports and the case page.
_REPORTED_KEYS = (
    "start_tier", "room", "mediation_result", "failure_reason", "escalation_reason",
    "tier_history", "jc_outcome", "rejection_ground", "route", "suit_registered", "performed",
    "agreement_in_force", "agreement_effective_at", "registered_at", "accepted_at",
    "acceptance_due", "mediation_due", "consent_due", "choice_due", "jc_apply_due",
    "jc_acceptance_due", "jc_ruling_due", "suit_registration_due",
    "performance_due", "performed_on_spot", "amount_agreed", "extensions", "satisfaction",
    "withdrawal", "next_step", "rejection_choice_due", "drafting_due", "signing_due",
    "signing_lapsed", "non_performance", "remedy", "enforcement_due", "prelit_outcome",
    "extensions_left",
)


def acting_parties(parties: list[Party]) -> list[dict[str, Any]]:
    """The parties who answer for themselves, by id, each with those they represent.

    Agents act for a party and are not asked as parties; a party who chose a representative is
    answered for by the representative (their consent, signature and application count for all
    they represent).
    """
    represented: dict[int, list[Party]] = {}
    for p in parties:
        if p.represented_by_id is not None:
            represented.setdefault(p.represented_by_id, []).append(p)
    acting = []
    for p in parties:
        if p.role == "agent" or p.represented_by_id is not None:
            continue
        entry: dict[str, Any] = {"id": p.id, "name": p.name, "role": p.role}
        if p.id in represented:
            entry["represents"] = [{"id": r.id, "name": r.name} for r in represented[p.id]]
        acting.append(entry)
    return acting


def _representation_problems(parties: list[Mapping[str, Any]]) -> dict[str, list[str]]:
    """What is wrong with who represents whom: a representative is another party of the same
    side who is not represented themselves, and a side that uses them has two to five."""
    problems: dict[str, list[str]] = {}
    chosen: dict[str, set[int]] = {}
    for index, party in enumerate(parties):
        by = party.get("represented_by")
        if by is None:
            continue
        field = f"parties.{index}.represented_by"
        if by >= len(parties) or by == index:
            problems[field] = ["代表人须是本案的另一名当事人"]
        elif parties[by]["role"] != party["role"] or party["role"] == "agent":
            problems[field] = ["代表人须与被代表的当事人属同一方"]
        elif parties[by].get("represented_by") is not None:
            problems[field] = ["代表人本人不能再由他人代表"]
        else:
            chosen.setdefault(party["role"], set()).add(by)
    low, high = REPRESENTATIVES
    for role, representatives in chosen.items():
        if not low <= len(representatives) <= high:
            problems.setdefault("parties", []).append(
                f"一方当事人推选代表人的，代表人应为{low}至{high}人（{_SIDE.get(role, role)}现有"
                f"{len(representatives)}人）")
    return problems


_SIDE = {"applicant": "申请人一方", "respondent": "被申请人一方"}


def _login_of(session: Session, party: Mapping[str, Any]) -> int | None:
    """The login of a party, where they have one: an active person holding the party role whose
    name and telephone number are the party's own."""
    if not party.get("phone") or party["role"] == "agent":
        return None
    return session.scalar(
        select(Person.id)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(Person.display_name == party["name"], Person.phone == party["phone"],
               Person.active.is_(True), RoleAssignment.role == "party")
        .limit(1)
    )


def _process_data(
    session: Session,
    case: Case,
    unit: OrgUnit,
    office: OrgUnit,
    court: OrgUnit,
    data: Mapping[str, Any],
    settings: OfficeSettings,
) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "case_no": case.case_no,
        # The parties sign, consent and apply each for themselves (or through their
        # representative), by id: two parties may share a name.
        "parties": acting_parties(case.parties),
        "agents": [{"name": p["name"]} for p in data["parties"] if p["role"] == "agent"],
        "dispute_type": data["dispute_type"],
        "amount": float(data["amount"]) if data["amount"] is not None else 0,
        "description": data["description"],
        "intake_channel": data["channel"],
        "applied_jointly": data["applied_jointly"],
        "origin_tier": unit.tier,
        "org_unit": office.code,
        "office": office.code,
        "court": court.code,
        "tier_units": tier_units(unit, office),
        "room_units": room_units(session),
        "tier_periods": {k: dict(v) for k, v in settings.tier_periods.items()},
        "room_periods": {k: dict(v) for k, v in settings.room_periods.items()},
        "chair_assignment_period": dict(settings.chair_assignment_period),
        "task_periods": {k: dict(v) for k, v in settings.task_periods.items()},
        "extension_limit": settings.extensions_per_tier,
    }


def tier_units(unit: OrgUnit, office: OrgUnit) -> dict[str, str]:
    """Where the case is mediated at each tier, from the unit where it was reported.

    Tiers below the reporting unit have no unit of their own there: the case is mediated at the
    reporting unit (it cannot go lower than where it came in).
    """
    units: dict[str, str] = {}
    for tier in TIERS:
        found = office if tier == "district" else parent_at_tier(unit, tier)
        units[tier] = found.code if found is not None else unit.code
    return units


def room_units(session: Session) -> dict[str, str]:
    """The district's specialty rooms by the room code triage gives."""
    codes = session.scalars(select(OrgUnit.specialty).where(OrgUnit.kind == "room")).all()
    return {code: room_code(code) for code in codes if code}


def _unit(session: Session, code: str) -> OrgUnit:
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise LookupError(f"the office settings name unit '{code}', which does not exist")
    return unit


def _outcome(data: Mapping[str, Any]) -> str | None:
    """How the case ended (a key of OUTCOMES), most telling first."""
    result = data.get("mediation_result")
    if data.get("jc_outcome") == "confirmed":
        return "confirmed"
    if result == "not_mediated":
        return "not_mediated"
    if result == "withdrawn" or data.get("prelit_outcome") == "withdrawn":
        return "withdrawn"
    if data.get("jc_outcome") == "rejected" and data.get("next_step") == "re_mediate":
        return "re_mediated"
    if data.get("route") == "labour_arbitration":
        return "guided_to_arbitration"
    if data.get("route") == "litigation" or data.get("suit_registered"):
        return "guided_to_litigation"
    if data.get("prelit_outcome") == "settled":
        return "resolved"
    return {"agreement": "resolved", "failed": "failed", "refused": "refused"}.get(result or "")


def _closed_at(data: Mapping[str, Any]) -> datetime | None:
    value = data.get("closed_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _field_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(_field_messages(value, f"{prefix}{key}."))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix.rstrip(".")] = list(messages)
    else:
        flat[prefix.rstrip(".")] = [str(messages)]
    return flat
