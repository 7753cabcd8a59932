"""Tiers, roles and the binding of a diagram's lanes to concrete candidate groups.

Diagrams name lanes after roles (``调解员``); a task's candidate group is that role *in the unit
where the case sits* (``mediator:GRID-0101``), so a mediator's queue holds exactly the tasks of
their own organisation and tier.  Court roles bind to the court the case was sent to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.views import LaneContext

# The five tiers, lowest first: small matters stay low, unresolved ones climb.
TIERS: tuple[str, ...] = ("courtyard", "grid", "village", "town", "district")
TIER_LABELS = {"courtyard": "小院", "grid": "网格", "village": "村社", "town": "镇街", "district": "区级"}

# Lane names used in the diagrams -> role codes.
LANE_ROLES = {
    "当事人": "party",
    "网格员": "grid_worker",
    "受理员": "intake_clerk",
    "调度员": "dispatcher",
    "调解员": "mediator",
    "调委会主任": "committee_chair",
    "立案庭": "filing_clerk",
    "法官": "judge",
    "法官助理": "judge_assistant",
    "院长": "court_president",
}
ROLE_LABELS = {role: lane for lane, role in LANE_ROLES.items()} | {"admin": "管理员"}
ROLES = tuple(ROLE_LABELS)
COURT_ROLES = frozenset({"filing_clerk", "judge", "judge_assistant", "court_president"})
# Intake and dispatch happen in one place for the whole district (一地调度): the office.
OFFICE_ROLES = frozenset({"intake_clerk", "dispatcher"})


def next_tier(tier: str) -> str | None:
    """The tier a case escalates to from ``tier``; None above the district."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier '{tier}'; tiers are {', '.join(TIERS)}")
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


def candidate_group(role: str, unit_code: str) -> str:
    """The candidate group of ``role`` in the unit ``unit_code``."""
    if role not in ROLE_LABELS:
        raise ValueError(f"unknown role '{role}'")
    return f"{role}:{unit_code}"


def resolve_group(context: LaneContext) -> str | None:
    """Bind a task's lane to the role's group in the case's unit (or its court, for court roles).

    The unit comes from the task data the domain keeps on every case process: ``org_unit`` (the
    code of the unit mediating now), ``office`` (where intake and dispatch happen for the whole
    district) and ``court``. A lane that is not a role, or data that names no unit, yields the
    bare role: visible office-wide to that role.
    """
    role = LANE_ROLES.get(context.lane or "")
    if role is None:
        return context.lane
    if role in COURT_ROLES:
        unit = context.data.get("court")
    elif role in OFFICE_ROLES:
        unit = context.data.get("office") or context.data.get("org_unit")
    else:
        unit = context.data.get("org_unit")
    return candidate_group(role, str(unit)) if unit else role


def group_unit(group: str | None) -> str | None:
    """The unit code of a candidate group (``mediator:T01`` -> ``T01``); None for a bare role."""
    if not group or ":" not in group:
        return None
    return group.split(":", 1)[1]


def group_role(group: str | None) -> str | None:
    """The role of a candidate group (``mediator:T01`` -> ``mediator``)."""
    if not group:
        return None
    return group.split(":", 1)[0]


@dataclass(frozen=True)
class Membership:
    """A role held in a unit."""

    role: str
    unit_code: str


def groups_of(memberships: Iterable[Membership]) -> frozenset[str]:
    """Every candidate group whose queue a person with these memberships works."""
    groups: set[str] = set()
    for m in memberships:
        groups.add(candidate_group(m.role, m.unit_code))
        groups.add(m.role)
    return frozenset(groups)


# Dispute types, with the specialty room at the district that takes them.
DISPUTE_TYPES = {
    "neighbour": "邻里纠纷",
    "family": "婚姻家庭",
    "medical": "医疗纠纷",
    "labour": "劳动争议",
    "property_management": "物业纠纷",
    "traffic": "道路交通",
    "consumer": "消费纠纷",
    "debt": "债权债务",
    "land": "土地/宅基地",
    "construction": "建设工程",
    "tenancy": "房屋租赁",
    "financial": "金融纠纷",
    "marriage": "婚姻纠纷（身份关系）",
    "adoption": "收养纠纷（身份关系）",
    "parentage": "亲子关系纠纷（身份关系）",
    "other": "其他纠纷",
}

# How a dispute reached the office.
CHANNELS = {
    "online": "网上申请",
    "walk_in": "来访",
    "grid_worker": "网格员上报",
    "court": "法院委派",
    "petition": "信访转办",
    "human_resources": "人社转办",
    "housing": "住建转办",
    "police": "公安转办",
    "re_mediation": "驳回后重新调解",
}

# Kinds of organisation unit.
UNIT_KINDS = {
    "district": "区",
    "office": "综合调处室",
    "room": "特色调解室",
    "town": "镇街",
    "village": "村社",
    "grid": "网格",
    "courtyard": "小院",
    "people_committee": "人民调解委员会",
    "administrative": "行政调解组织",
    "professional": "专业调解组织",
    "trade_association": "行业协会调解组织",
    "court": "人民法院",
    "court_division": "法院内设机构",
}
