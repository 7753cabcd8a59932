"""The organisation tree of a district, modelled on the seed district (荣昌区).

One district with its comprehensive mediation office and specialty rooms, mediation organisations
of the four kinds, 21 towns and streets with their people's mediation committees, villages and
communities, grids and courtyards, and the basic-level court with its case-filing division.  Unit
codes are stable (``T03-V2-G1-Y4``), so demo data and tests can name them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflows.models import OrgUnit

DISTRICT = "RC"
OFFICE = "RC-OFFICE"
COURT = "RC-COURT"
COURT_FILING = "RC-COURT-FILING"
PETITION_OFFICE = "RC-PETITION"
LABOUR_INSPECTION = "RC-LABOUR-INSPECTION"
# The office's public phone number, given on receipts and in messages to parties.
OFFICE_PHONE = "023-46789012"

TOWNS = (
    "昌元街道", "昌州街道", "广顺街道", "安富街道", "峰高街道", "双河街道", "直升镇", "路孔镇",
    "清江镇", "仁义镇", "河包镇", "古昌镇", "吴家镇", "观胜镇", "铜鼓镇", "清流镇", "盘龙镇",
    "远觉镇", "清升镇", "荣隆镇", "龙集镇",
)

ROOMS = {
    "medical": "医疗纠纷调解室",
    "labour": "劳动争议调解室",
    "property_management": "物业纠纷调解室",
    "family": "婚姻家庭调解室",
    "traffic": "道路交通调解室",
    "consumer": "消费纠纷调解室",
    "debt": "债权债务调解室",
    "land": "土地宅基地调解室",
    "construction": "建设工程调解室",
    "tenancy": "房屋租赁调解室",
    "financial": "金融纠纷调解室",
}

ORGANISATIONS = (
    ("RC-PMC", "荣昌区人民调解委员会", "people_committee", None),
    ("RC-HR-MED", "区人力社保局劳动人事争议调解中心", "administrative", "labour"),
    ("RC-HOUSING-MED", "区住房城乡建委物业纠纷调解中心", "administrative", "property_management"),
    ("RC-MEDICAL-MED", "区医疗纠纷人民调解委员会", "professional", "medical"),
    ("RC-TRAFFIC-MED", "区道路交通事故损害赔偿调解委员会", "professional", "traffic"),
    ("RC-PROPERTY-ASSOC", "区物业管理协会调解委员会", "trade_association", "property_management"),
    ("RC-CONSUMER-ASSOC", "区消费者协会调解委员会", "trade_association", "consumer"),
    # Units the office mediates jointly with (联合调解, 访调对接): petitions and labour inspection.
    (PETITION_OFFICE, "区信访办访调对接室", "administrative", None),
    (LABOUR_INSPECTION, "区劳动保障监察支队", "administrative", "labour"),
)


@dataclass(frozen=True)
class TreeSize:
    """How many villages per town, grids per village and courtyards per grid to create."""

    villages: int = 2
    grids: int = 2
    courtyards: int = 3


def room_code(dispute_type: str) -> str:
    """The code of the district's specialty room for a dispute type."""
    return f"RC-ROOM-{dispute_type.upper().replace('_', '-')}"


def town_code(index: int) -> str:
    """The code of the index-th town (1-based)."""
    return f"T{index:02d}"


def build_district(session: Session, size: TreeSize = TreeSize()) -> dict[str, OrgUnit]:
    """Create the whole tree; return the units by code."""
    units: dict[str, OrgUnit] = {}

    def add(code: str, name: str, kind: str, tier: str | None, parent: str | None,
            specialty: str | None = None) -> OrgUnit:
        unit = OrgUnit(code=code, name=name, kind=kind, tier=tier, specialty=specialty,
                       parent=units[parent] if parent else None, active=True)
        session.add(unit)
        units[code] = unit
        return unit

    add(DISTRICT, "荣昌区", "district", "district", None)
    add(OFFICE, "荣昌区综合调处室", "office", "district", DISTRICT)
    for specialty, name in ROOMS.items():
        add(room_code(specialty), name, "room", "district", OFFICE, specialty)
    for code, name, kind, specialty in ORGANISATIONS:
        add(code, name, kind, "district", DISTRICT, specialty)
    add(COURT, "荣昌区人民法院", "court", None, DISTRICT)
    add(COURT_FILING, "荣昌区人民法院立案庭", "court_division", None, COURT)
    for t, town in enumerate(TOWNS, start=1):
        tc = town_code(t)
        add(tc, town, "town", "town", DISTRICT)
        add(f"{tc}-PMC", f"{town}人民调解委员会", "people_committee", "town", tc)
        for v in range(1, size.villages + 1):
            vc = f"{tc}-V{v}"
            village = f"{town}{'社区' if '街道' in town else '村'}{v}"
            add(vc, village, "village", "village", tc)
            for g in range(1, size.grids + 1):
                gc = f"{vc}-G{g}"
                add(gc, f"{village}第{g}网格", "grid", "grid", vc)
                for y in range(1, size.courtyards + 1):
                    add(f"{gc}-Y{y}", f"{village}第{g}网格{y}号院", "courtyard", "courtyard", gc)
    session.flush()
    return units


def parent_at_tier(unit: OrgUnit, tier: str) -> OrgUnit | None:
    """The unit's ancestor (or itself) at ``tier``: where a case goes when it escalates."""
    current: OrgUnit | None = unit
    while current is not None:
        if current.tier == tier and current.kind in ("courtyard", "grid", "village", "town", "office"):
            return current
        if current.kind == "district" and tier == "district":
            return next((c for c in current.children if c.kind == "office"), current)
        current = current.parent
    return None
