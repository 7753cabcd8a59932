"""A realistic demo: the seed district's tree, one login per role, and cases in every state.

:func:`load_demo` fills an empty, migrated database the way the office would have filled it over
the past weeks: it builds the organisation tree, deploys the bundled processes, creates the
:data:`DEMO_USERS`, and then plays a few dozen disputes through the *real* processes — submitted,
registered, dispatched, mediated, escalated by the timer worker, signed, confirmed by the court,
followed up and closed — on a controlled clock that it moves forward from weeks ago to "now".
Every case is a scenario: a short script of who does what and when (working days before today,
office hours), interleaved with the other cases on one timeline, with timers fired when they fall
due as the worker would fire them.  Cases that are still running at "now" were timed so that their
deadlines lie ahead (or are overdue where a court or a clerk is late, as happens), so the queues,
deadlines and statistics look like a working office's.

The demo passwords below are public, fixed strings: they are for demonstrations only.  A database
loaded with them must never be used for real cases (remove or re-password the accounts first).
"""

from __future__ import annotations

import heapq
import random
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import SHANGHAI, FixedClock, aware
from engine.definitions import read_paths
from engine.errors import EngineError
from engine.models import ProcessInstance
from engine.runtime import Engine
from engine.views import InstanceView, TaskView
from workflows.cases import STATES, record_withdrawal, refer_from_court, submit_dispute
from workflows.configuration import OfficeSettings
from workflows.deadlines import (
    HolidayCalendar,
    add_calendar_days,
    add_working_days,
    is_working_day,
)
from workflows.access import actor_named
from workflows.district import (
    COURT,
    DISTRICT,
    LABOUR_INSPECTION,
    OFFICE,
    PETITION_OFFICE,
    TreeSize,
    build_district,
    room_code,
)
from workflows.holidays import load_calendar
from workflows.joint_mediation import invite_unit
from workflows.models import Case, OrgUnit, Person
from workflows.people import add_staff, create_person

# The processes the demo deploys and plays: the bundle in the project's bpmn/ folder.
BUNDLED_PROCESSES = Path(__file__).resolve().parent.parent / "bpmn"

# --------------------------------------------------------------------------- demo logins


@dataclass(frozen=True)
class DemoUser:
    """A demo login: its public password, its role and the unit where it holds the role."""

    username: str
    password: str
    role: str
    display_name: str
    unit: str


# Where the demo's people work: one line of the tree, from a courtyard up to the district.
DEMO_COURTYARD = "T01-V1-G1-Y1"
DEMO_GRID = "T01-V1-G1"
DEMO_VILLAGE = "T01-V1"
DEMO_TOWN = "T01"
LABOUR_ROOM = room_code("labour")
MEDICAL_ROOM = room_code("medical")

# Fixed, published passwords: for demonstrations only (see the module docstring).
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "demo-admin-2026", "admin", "刘洋", DISTRICT),
    DemoUser("clerk", "demo-clerk-2026", "intake_clerk", "周敏", OFFICE),
    DemoUser("dispatcher", "demo-dispatcher-2026", "dispatcher", "吴昊", OFFICE),
    DemoUser("mediator.courtyard", "demo-courtyard-2026", "mediator", "王秀英", DEMO_COURTYARD),
    DemoUser("mediator.grid", "demo-grid-2026", "mediator", "李建华", DEMO_GRID),
    DemoUser("mediator.village", "demo-village-2026", "mediator", "陈德明", DEMO_VILLAGE),
    DemoUser("mediator.town", "demo-town-2026", "mediator", "赵丽萍", DEMO_TOWN),
    DemoUser("mediator.district", "demo-district-2026", "mediator", "孙志刚", OFFICE),
    DemoUser("mediator.labour", "demo-labour-2026", "mediator", "何静", LABOUR_ROOM),
    DemoUser("mediator.medical", "demo-medical-2026", "mediator", "郑文博", MEDICAL_ROOM),
    DemoUser("chair", "demo-chair-2026", "committee_chair", "黄国强", DEMO_TOWN),
    DemoUser("gridworker", "demo-gridworker-2026", "grid_worker", "杨小龙", DEMO_GRID),
    DemoUser("party", "demo-party-2026", "party", "张建国", DEMO_COURTYARD),
    DemoUser("party2", "demo-party2-2026", "party", "李秀兰", DEMO_COURTYARD),
    DemoUser("mediator.petition", "demo-petition-2026", "mediator", "冯建华", PETITION_OFFICE),
    DemoUser("filing", "demo-filing-2026", "filing_clerk", "林芳", COURT),
    DemoUser("judge", "demo-judge-2026", "judge", "王立新", COURT),
    DemoUser("assistant", "demo-assistant-2026", "judge_assistant", "赵敏", COURT),
    DemoUser("president", "demo-president-2026", "court_president", "徐正平", COURT),
)

_DEMO_AT = {(u.role, u.unit): u for u in DEMO_USERS if u.role != "party"}
_PARTY_USER = next(u for u in DEMO_USERS if u.username == "party")
_PARTY2_USER = next(u for u in DEMO_USERS if u.username == "party2")
_PARTY_USERS = {u.display_name: u for u in (_PARTY_USER, _PARTY2_USER)}

# What the demo's own mediators are known for (dispute-type codes).
_DEMO_SPECIALTIES = {
    "mediator.courtyard": ("neighbour", "family"),
    "mediator.grid": ("neighbour", "tenancy"),
    "mediator.village": ("family", "land"),
    "mediator.town": ("property_management", "debt", "consumer"),
    "mediator.district": ("construction", "financial"),
    "mediator.labour": ("labour",),
    "mediator.medical": ("medical",),
    "mediator.petition": ("labour", "other"),
}
# How many mediators each kind of unit has on its roster, and which kinds have a committee chair.
_ROSTER_SIZE = {"courtyard": 1, "grid": 2, "village": 2, "town": 3, "office": 3, "room": 2,
                "administrative": 2, "professional": 2, "trade_association": 2}
_CHAIRED = ("town", "village", "office")
_GENERAL_SPECIALTIES = ("neighbour", "family", "debt", "tenancy", "land", "property_management",
                        "consumer", "traffic", "other")
_GRID_WORKER = next(u for u in DEMO_USERS if u.role == "grid_worker")

# --------------------------------------------------------------------------- results


class DemoError(RuntimeError):
    """The demo cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` created."""

    users: tuple[DemoUser, ...]
    units: int
    cases_by_state: Mapping[str, int]
    scenarios: Mapping[str, str]  # case number -> scenario name
    first_received: datetime
    now: datetime
    notes: tuple[str, ...] = ()  # scenarios that could not be played as planned, and why

    @property
    def cases(self) -> int:
        """How many cases were created."""
        return sum(self.cases_by_state.values())


# --------------------------------------------------------------------------- loading


# How far ahead of "now" the deadlines of the running demo cases may reach (with moves past rest
# days): the holiday calendar must cover that far.
# The oldest case starts this many working days before today.
_OLDEST = 80


def demo_blocker(session: Session) -> str | None:
    """Why the demo cannot be loaded into this database (it is not empty), or None."""
    taken = session.scalars(
        select(Person.username).where(Person.username.in_([u.username for u in DEMO_USERS]))
    ).all()
    if taken:
        first = "admin" if "admin" in taken else sorted(taken)[0]
        more = f" and {len(taken) - 1} more demo users exist" if len(taken) > 1 else " exists"
        return (
            f"the database already has demo data (user '{first}'{more}); the demo is loaded "
            "only once, into an empty database"
        )
    units = session.scalar(select(func.count()).select_from(OrgUnit)) or 0
    cases = session.scalar(select(func.count()).select_from(Case)) or 0
    people = session.scalar(select(func.count()).select_from(Person)) or 0
    if units or cases or people:
        return (
            f"the database is not empty ({units} organisation units, {people} people, "
            f"{cases} cases); the demo is loaded only into an empty database"
        )
    return None


def loaded_demo_users(session: Session) -> tuple[DemoUser, ...]:
    """The demo logins, if the demo was loaded into this database (every demo account exists).

    All or nothing: an office that happens to have an ``admin`` of its own must never see the
    demo's public passwords advertised.
    """
    present = set(session.scalars(
        select(Person.username).where(Person.username.in_([u.username for u in DEMO_USERS]))
    ))
    return DEMO_USERS if present == {u.username for u in DEMO_USERS} else ()


def minimum_cases() -> int:
    """The fewest cases that still show every state."""
    return len(_CORE)


def load_demo(
    engine: Engine,
    *,
    clock: FixedClock,
    settings: OfficeSettings,
    cases: int = 40,
    seed: int = 2026,
    packaged_calendar: HolidayCalendar | None = None,
) -> DemoSummary:
    """Load the demo into an empty, migrated database; ``clock`` is the engine's clock.

    The clock's current time is "now": the cases are played from weeks before it up to it, and the
    clock is left at it.  Any date will do: years without an official holiday schedule are
    counted provisionally (plan with the engine's ``packaged_calendar`` when it has its own).
    Raises :class:`DemoError` if the database is not empty.
    """
    if cases < len(_CORE):
        raise DemoError(f"the demo needs at least {len(_CORE)} cases to show every state")
    now = clock()
    probe = now - timedelta(days=3653)
    clock.set(probe)
    same_clock = engine.now() == probe
    clock.set(now)
    if not same_clock:
        raise DemoError("load_demo needs the engine to run on the clock it is given")
    with engine.db.reading() as session:
        blocker = demo_blocker(session)
        calendar = load_calendar(session, packaged=packaged_calendar)
    if blocker is not None:
        raise DemoError(blocker)
    sim = _Simulation(engine, clock, settings, calendar, random.Random(seed), now)
    setup_at = sim.local(sim.working_day(_OLDEST + 5), 9)
    sim.set_up(setup_at)
    runs = sim.plan(cases)
    sim.play(runs)
    return sim.summary(runs, setup_at)


# --------------------------------------------------------------------------- people and places

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢钟谭"
)
_GIVEN = (
    "建国", "秀兰", "志强", "桂英", "明", "丽", "伟", "芳", "勇", "静", "军", "敏", "华", "燕", "平",
    "刚", "玉兰", "德福", "小红", "春梅", "国华", "文", "超", "婷", "海燕", "永福", "光明", "淑珍",
    "晓东", "红梅", "大勇", "成", "凤英", "家强", "雪梅", "世华", "长青", "兴旺", "代琼", "素芬",
)
_STAFF_GIVEN = ("晓琳", "振华", "德胜", "琼", "学军", "红", "庆", "春燕", "泽明", "兰", "国庆", "健")
_COMPANY_WORDS = ("昌盛", "宏达", "兴隆", "鑫源", "永安", "恒通", "安富", "荣峰", "鸿运", "瑞丰")
_RONGCHANG = "500153"


@dataclass(frozen=True)
class _Person:
    name: str
    natural: bool = True
    login: bool = False  # a demo party login (matched by name and telephone number)


@dataclass
class _Spec:
    """A dispute as it will be submitted, and how the clerk classifies it."""

    dispute_type: str
    amount: Decimal
    unit: str
    channel: str
    applicants: list[_Person]
    respondents: list[_Person]
    description: str
    facts: str
    issues: str
    responsibilities: str
    applied_jointly: bool = True
    register_type: str | None = None  # the clerk's classification, when it differs
    representatives: int = 0  # many applicants acting through this many of them (代表人)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.applicants + self.respondents]


# Per dispute type: description, the agreement's facts, issues and responsibilities; amounts.
# {a} applicant, {r} respondent, {amount} the amount in dispute, {place} a place in the unit.
_TEMPLATES: dict[str, list[tuple[str, str, str, str]]] = {
    "neighbour": [
        ("{a}与{r}系前后院邻居，{r}翻修房屋时堵塞两家之间的排水沟，雨后{a}院内积水、墙体受潮。"
         "{a}要求{r}疏通排水沟并赔偿损失{amount}元，双方多次争吵。",
         "{r}翻修房屋时堵塞排水沟，致{a}院内积水、墙体受潮", "排水沟疏通及损失赔偿",
         "{r}对排水沟堵塞负主要责任"),
        ("{r}在两家宅基地之间的通道上长期堆放柴草和建材，影响{a}家车辆通行，{a}多次要求清理无果，"
         "双方发生推搡，{a}请求调解，要求清除堆放物并赔偿{amount}元。",
         "{r}在公共通道堆放杂物影响通行并引发冲突", "通道清理及赔偿", "{r}负主要责任"),
        ("{r}家饲养的犬只未拴养，在{place}附近将{a}咬伤，{a}支出医疗费、误工费共计{amount}元，"
         "双方就赔偿数额协商未果。",
         "{r}饲养的犬只咬伤{a}", "医疗费、误工费赔偿", "{r}作为饲养人承担全部责任"),
    ],
    "debt": [
        ("{r}向{a}借款{amount}元用于生猪养殖，约定半年内归还，到期后{a}多次催要，{r}以行情不好为由"
         "拖延至今未还。",
         "{r}向{a}借款{amount}元逾期未还", "借款本金及归还期限", "{r}应按约归还借款"),
        ("{a}为{r}承包的果园供应化肥农药，双方对账后确认尚欠货款{amount}元，{r}迟迟未结清。",
         "{r}欠{a}农资货款{amount}元", "货款数额及支付方式", "{r}应支付所欠货款"),
    ],
    "tenancy": [
        ("{a}将位于{place}的门面出租给{r}经营小吃店，{r}拖欠房租{amount}元后提前退租，双方就押金"
         "退还和租金结算发生争议。",
         "{r}拖欠租金{amount}元并提前退租", "租金结算及押金退还", "{r}应支付所欠租金"),
    ],
    "other": [
        ("{a}与{r}合伙经营农家乐，因经营亏损散伙，双方对投资款{amount}元的分配及剩余设备的归属"
         "发生争议。",
         "双方合伙经营农家乐亏损散伙", "投资款分配及设备归属", "双方按出资比例分担亏损"),
    ],
    "family": [
        ("{a}与{r}系兄弟，因母亲的赡养费分摊及老宅修缮费用{amount}元的分担问题多次争吵，"
         "村（社区）干部协调未果。",
         "兄弟间赡养费及老宅修缮费用分担发生争议", "赡养费及修缮费分担", "双方均负有赡养义务"),
        ("{a}年老体弱、患有慢性病，其子{r}外出务工后长期不支付赡养费，{a}要求{r}按月支付赡养费"
         "并承担已发生的医疗费用{amount}元。",
         "{r}未履行赡养义务", "赡养费及医疗费承担", "{r}应依法履行赡养义务"),
    ],
    "marriage": [
        ("{a}与{r}婚后感情不和，已分居一年，双方均同意离婚，但对两个孩子的抚养和共同房产的分割"
         "存在分歧，涉及财产约{amount}元。",
         "双方婚后感情破裂，分居一年", "离婚后子女抚养及共同财产分割",
         "双方对婚姻破裂均有责任"),
    ],
    "medical": [
        ("{a}在{r}接受阑尾切除手术后出现切口感染，再次住院治疗二十余天，{a}认为医院存在诊疗过错，"
         "要求赔偿医疗费、误工费、护理费等共计{amount}元。",
         "{a}术后切口感染再次住院", "诊疗过错及损害赔偿", "{r}对术后感染承担次要责任"),
        ("{a}的父亲在{r}输液过程中出现过敏反应，经抢救后留有后遗症，{a}要求{r}赔偿{amount}元。",
         "患者输液过程中发生过敏反应", "医疗过错及赔偿数额", "{r}未尽充分告知义务"),
    ],
    "labour": [
        ("{a}在{r}从事窑炉烧成工作三年，{r}拖欠{a}工资{amount}元，且未依法为其缴纳社会保险，"
         "{a}经区人力社保局引导申请调解。",
         "{r}拖欠{a}工资并未缴纳社会保险", "欠薪数额及社会保险补缴", "{r}应足额支付劳动报酬"),
        ("{a}在{r}车间作业时左手受伤，已认定为工伤，双方就一次性伤残补助金及停工留薪期工资"
         "{amount}元发生争议。",
         "{a}在工作中受伤并已认定工伤", "工伤待遇数额", "{r}应依法支付工伤待遇"),
    ],
    "traffic": [
        ("{r}驾驶小型轿车在{place}路口与{a}驾驶的电动自行车相撞，致{a}右腿骨折。交警认定{r}负主要"
         "责任，双方就医疗费、误工费、护理费等赔偿{amount}元协商未果。",
         "{r}驾车与{a}发生交通事故致{a}受伤", "交通事故损害赔偿", "{r}负事故主要责任"),
    ],
    "consumer": [
        ("{a}在{r}购买的全屋定制家具安装不到两个月即出现开裂、变形，商家拒绝退换，{a}要求退款并"
         "赔偿共计{amount}元。",
         "{r}销售的定制家具存在质量问题", "退款及赔偿", "{r}应承担产品质量责任"),
        ("{a}在{r}预交健身年卡费用{amount}元，开业三个月后门店停业，{r}拒绝退还剩余费用。",
         "{r}停业后拒退预付费用", "预付费用退还", "{r}应退还未消费部分"),
    ],
    "property_management": [
        ("{a}所在小区的物业服务企业{r}长期未履行保洁和安保义务，地下车库多次被淹，{a}拒交物业费，"
         "{r}追索欠费，{a}反要求赔偿车辆受损{amount}元。",
         "小区物业服务不到位，车库被淹致车辆受损", "物业费及车辆损失", "{r}未尽管理职责"),
    ],
    "land": [
        ("{a}与{r}因承包地边界不清发生争执，{r}在{a}承包地内种植柑橘树，双方对土地面积及青苗补偿"
         "{amount}元存在争议。",
         "双方承包地边界不清，{r}越界种植", "土地边界及青苗补偿", "双方按确权图界定边界"),
    ],
    "construction": [
        ("{a}为{r}承建的三层自建房完工后，{r}以墙面渗水、地面开裂为由拒付工程尾款{amount}元，"
         "{a}认为质量问题系{r}擅自改动设计所致。",
         "自建房完工后双方对质量问题及尾款发生争议", "工程质量及尾款支付", "双方各负一定责任"),
    ],
    "financial": [
        ("{a}通过{r}购买的理财产品到期后未能按约兑付本息{amount}元，{a}认为销售人员未充分揭示"
         "风险。",
         "{a}购买的理财产品到期未兑付", "本息兑付及销售适当性", "{r}未充分履行风险告知义务"),
    ],
}

_AMOUNTS = {  # (low, high) yuan, by the tier the case should start at
    "small": (600, 4800),
    "village": (6000, 45000),
    "town": (55000, 98000),
    "large": (120000, 380000),
}

# Dispute types where one side is an organisation (a hospital, an employer, a shop...).
_ORGANISATION_PARTY = ("medical", "labour", "consumer", "property_management", "construction", "financial")

# The usual size of a dispute of each type (specialty types are triaged by type, not amount).
_USUAL_SIZE = {
    "medical": "town", "labour": "village", "traffic": "village", "construction": "village",
    "financial": "large", "consumer": "village", "property_management": "village", "land": "village",
}

# How parties sign an agreement (most sign by hand).
_SIGNING = ("signature", "signature", "fingerprint", "e_signature")

_REFERRALS = {
    "before_court": "该纠纷已由荣昌区人民法院立案受理，请向承办法官申请诉讼中调解。",
    "outside_scope": "属于行政争议，不属于人民调解受理范围，请向区人民政府申请行政复议。",
    "before_other_body": "该劳动争议已由区劳动人事争议仲裁委员会受理，请等待仲裁处理。",
}


# The demo's two party logins as parties (linked to their logins by name and telephone number).
_PARTY = _Person(_PARTY_USER.display_name, login=True)
_PARTY2 = _Person(_PARTY2_USER.display_name, login=True)


# --------------------------------------------------------------------------- the simulation


class _OffPlan(Exception):
    """A scenario found its case somewhere it did not expect; it stops driving it."""


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    run: _Run = field(compare=False)


class _Simulation:
    """The timeline: one clock moved forward, cases acting on it, timers fired when due."""

    def __init__(
        self,
        engine: Engine,
        clock: FixedClock,
        settings: OfficeSettings,
        calendar: HolidayCalendar,
        rng: random.Random,
        now: datetime,
    ):
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.calendar = calendar
        self.rng = rng
        self.now = now
        self.today = now.astimezone(SHANGHAI).date()
        self._working_days: list[date] = []
        self.units: dict[str, tuple[str, str | None]] = {}  # code -> (name, tier)
        self.roster: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (role, unit) -> people
        self.phones: dict[str, str] = {}  # demo login -> telephone number
        self.notes: list[str] = []

    # -- calendar -------------------------------------------------------------------------

    def working_day(self, k: int) -> date:
        """The k-th working day before today (k >= 1)."""
        day = self._working_days[-1] if self._working_days else self.today
        while len(self._working_days) < k:
            day -= timedelta(days=1)
            if is_working_day(day, self.calendar):
                self._working_days.append(day)
        return self._working_days[k - 1]

    def next_working(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next one."""
        while not is_working_day(day, self.calendar):
            day += timedelta(days=1)
        return day

    def local(self, day: date, hour: float, rng: random.Random | None = None) -> datetime:
        minutes = int(round(hour * 60)) + (rng or self.rng).randint(0, 25)
        return datetime.combine(day, time(0), tzinfo=SHANGHAI) + timedelta(minutes=minutes)

    def period_start_before(self, moment: datetime, days: int, unit: str) -> date:
        """The latest working day from which a period of ``days`` has expired by ``moment``."""
        day = moment.astimezone(SHANGHAI).date() - timedelta(days=1)
        while True:
            if is_working_day(day, self.calendar):
                counted = (
                    add_working_days(day, days, calendar=self.calendar)
                    if unit == "WD"
                    else add_calendar_days(day, days, calendar=self.calendar)
                )
                if counted.due_at <= moment:
                    return day
            day -= timedelta(days=1)

    def tier_period(self, tier: str) -> tuple[int, str]:
        period = self.settings.tier_periods[tier]
        return int(period["days"]), str(period["unit"])

    # -- people ---------------------------------------------------------------------------

    def staff(self, role: str, unit: str) -> tuple[str, str]:
        """(login, name) of the first person holding ``role`` in ``unit`` (the demo user, if there
        is one there), else a stable made-up name (roles the demo has no roster for)."""
        people = self.roster.get((role, unit))
        if people:
            return people[0]
        index = zlib.crc32(f"{role}:{unit}".encode())
        name = _SURNAMES[index % len(_SURNAMES)] + _STAFF_GIVEN[(index >> 16) % len(_STAFF_GIVEN)]
        return name, name

    def roster_of(self, role: str, unit: str) -> list[tuple[str, str]]:
        """(login, name) of everyone holding ``role`` in ``unit``."""
        return list(self.roster.get((role, unit), []))

    @staticmethod
    def person(rng: random.Random) -> _Person:
        return _Person(rng.choice(_SURNAMES) + rng.choice(_GIVEN))

    @staticmethod
    def phone(rng: random.Random) -> str:
        return "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))

    @staticmethod
    def id_number(rng: random.Random) -> str:
        born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 52))
        body = _RONGCHANG + born.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        return body + check

    def company(self, kind: str, rng: random.Random) -> _Person:
        word = rng.choice(_COMPANY_WORDS)
        town = self.units[f"T{rng.randint(1, 21):02d}"][0]
        return _Person(
            {
                "medical": f"荣昌区{town}卫生院",
                "labour": f"重庆{word}陶瓷有限公司",
                "consumer": f"荣昌区{word}家居经营部",
                "property_management": f"重庆{word}物业服务有限公司",
                "construction": f"荣昌区{word}建筑劳务有限公司",
                "financial": f"重庆{word}投资咨询有限公司",
            }[kind],
            natural=False,
        )

    # -- units ----------------------------------------------------------------------------

    def random_unit(self, tier: str, rng: random.Random, *, avoid_demo: bool = True) -> str:
        choices = [
            code for code, (_, unit_tier) in self.units.items()
            if unit_tier == tier and code[0] == "T" and not (avoid_demo and code.startswith("T01-"))
            and code.count("-") == {"courtyard": 3, "grid": 2, "village": 1, "town": 0}[tier]
        ]
        return rng.choice(sorted(choices))

    # -- setting up -----------------------------------------------------------------------

    def plan(self, count: int) -> list[_Run]:
        """The scenarios to play, each primed: its dispute described, its first moment known."""
        chosen = list(_CORE) + list(_EXTRAS)
        while len(chosen) < count:
            chosen.append(_REPEATABLE[(len(chosen) - len(_CORE) - len(_EXTRAS)) % len(_REPEATABLE)])
        runs = []
        for index, scenario in enumerate(chosen[:count]):
            run = _Run(self, scenario, index)
            run.prime()
            runs.append(run)
        return runs

    def set_up(self, when: datetime) -> None:
        """The tree, the processes and the demo users, as the administrator set them up."""
        self.clock.set(when)
        with self.engine.transaction() as session:
            build_district(session, TreeSize())
            self.engine.deploy(
                session, read_paths([BUNDLED_PROCESSES]), actor="admin",
                note="bundled processes (demo)",
            )
            for user in DEMO_USERS:
                self.phones[user.username] = self.phone(self.rng)
                person = create_person(
                    session, username=user.username, display_name=user.display_name,
                    password=user.password, roles=[(user.role, user.unit)],
                    phone=self.phones[user.username], now=self.clock(),
                )
                person.specialties = list(_DEMO_SPECIALTIES.get(user.username, ())) or None
                if user.role != "party":
                    self.roster.setdefault((user.role, user.unit), []).append(
                        (user.username, user.display_name))
            self.units = {
                code: (name, tier)
                for code, name, tier in session.execute(
                    select(OrgUnit.code, OrgUnit.name, OrgUnit.tier)
                )
            }
            self.fill_rosters(session)

    def fill_rosters(self, session: Session) -> None:
        """Mediators at every tier, room and mediation organisation, and a committee chair at
        every village, town and the office, so that every path can be walked: people on the
        roster without a login of their own (the demo users are the ones who log in)."""
        kinds = dict(session.execute(select(OrgUnit.code, OrgUnit.kind)).all())
        specialty_of = dict(session.execute(select(OrgUnit.code, OrgUnit.specialty)).all())
        used: set[str] = {name for people in self.roster.values() for _, name in people}
        for code in sorted(kinds):
            kind = kinds[code]
            wanted = [("mediator", _ROSTER_SIZE.get(kind, 0))]
            if kind in _CHAIRED:
                wanted.append(("committee_chair", 1))
            for role, size in wanted:
                people = self.roster.setdefault((role, code), [])
                while len(people) < size:
                    name = self._staff_name(f"{role}:{code}:{len(people)}", used)
                    username = f"{'m' if role == 'mediator' else 'chair'}.{code.lower()}." \
                               f"{len(people) + 1}"
                    specialties = (
                        [specialty_of[code]] if specialty_of.get(code) else
                        self._specialties(f"{code}:{len(people)}") if role == "mediator" else []
                    )
                    add_staff(session, username=username, display_name=name,
                              roles=[(role, code)], specialties=specialties, now=self.clock())
                    people.append((username, name))

    @staticmethod
    def _staff_name(seed: str, used: set[str]) -> str:
        index = zlib.crc32(seed.encode())
        given = _STAFF_GIVEN + _GIVEN
        for step in range(len(_SURNAMES) * len(given)):
            n = index + step * 7919
            name = _SURNAMES[n % len(_SURNAMES)] + given[(n >> 8) % len(given)]
            if name not in used:
                used.add(name)
                return name
        return f"调解员{index % 10000}"

    @staticmethod
    def _specialties(seed: str) -> list[str]:
        index = zlib.crc32(seed.encode())
        first = _GENERAL_SPECIALTIES[index % len(_GENERAL_SPECIALTIES)]
        second = _GENERAL_SPECIALTIES[(index >> 8) % len(_GENERAL_SPECIALTIES)]
        return [first] if first == second else [first, second]

    # -- playing --------------------------------------------------------------------------

    def play(self, runs: list[_Run]) -> None:
        queue = [_Event(run.start, run.index, run) for run in runs]
        heapq.heapify(queue)
        seq = len(runs)
        while queue:
            event = heapq.heappop(queue)
            self.advance_to(event.at)
            run = event.run
            nxt = run.step()
            if nxt is None:
                continue
            if nxt > self.now:
                self.notes.append(f"{run.label}: next step at {nxt.isoformat()} is after now")
                continue
            seq += 1
            heapq.heappush(queue, _Event(max(nxt, self.clock()), seq, run))
        self.advance_to(self.now)
        self.clock.set(self.now)

    def advance_to(self, when: datetime) -> None:
        """Move the clock to ``when``, firing each timer on the way at its due time, as the
        worker would."""
        while True:
            with self.engine.db.reading() as session:
                due = session.scalar(
                    select(func.min(ProcessInstance.next_timer_at)).where(
                        ProcessInstance.status == "running"
                    )
                )
            if due is None or aware(due) > when:
                break
            self.clock.set(max(self.clock(), aware(due) + timedelta(seconds=30)))
            if not self.engine.fire_due_timers():
                break
        if when > self.clock():
            self.clock.set(when)

    # -- the result -----------------------------------------------------------------------

    def summary(self, runs: list[_Run], setup_at: datetime) -> DemoSummary:
        with self.engine.db.reading() as session:
            states = Counter(session.scalars(select(Case.state)).all())
            units = session.scalar(select(func.count()).select_from(OrgUnit)) or 0
            first = session.scalar(select(func.min(Case.received_at)))
            failed = session.execute(
                select(Case.case_no, ProcessInstance.error_message)
                .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
                .where(ProcessInstance.status == "error")
            ).all()
        self.notes += [f"{case_no}: the process failed: {message}" for case_no, message in failed]
        return DemoSummary(
            users=DEMO_USERS,
            units=units,
            cases_by_state={state: states[state] for state in STATES if states[state]},
            scenarios={run.case_no: run.name for run in runs if run.case_no},
            first_received=aware(first) if first is not None else setup_at,
            now=self.now,
            notes=tuple(self.notes + [n for run in runs for n in run.notes]),
        )


_Script = Generator[datetime, None, None]


class _Run:
    """One case being played: its scenario, its process as last seen, and the helpers a scenario
    uses to act as the people in the lanes."""

    def __init__(self, sim: _Simulation, scenario: Callable[[_Run], _Script], index: int):
        self.sim = sim
        self.rng = random.Random(sim.rng.random())
        self.scenario = scenario
        self.index = index
        self.spec: _Spec | None = None
        self.case_no: str | None = None
        self.view: InstanceView | None = None
        self.mediator: str | None = None
        self.notes: list[str] = []
        self.start = sim.now
        self._script: _Script | None = None
        self._seen: datetime | None = None  # the instance's last update this run has seen
        self._party_of: dict[int, str] = {}  # per-party task id -> the party's name

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.__name__.lstrip("_")

    @property
    def label(self) -> str:
        return f"{self.case_no or 'case ' + str(self.index + 1)} ({self.name})"

    # -- driving --------------------------------------------------------------------------

    def prime(self) -> None:
        self._script = self.scenario(self)
        self.start = next(self._script)

    def step(self) -> datetime | None:
        """Act until the script waits; return when it wants to act next (None: it is done)."""
        assert self._script is not None
        if self.view is not None and self._updated_at() != self._seen:
            self.refresh()  # a timer fired or a message arrived since this run last acted
        try:
            return self._script.send(None)
        except StopIteration:
            return None
        except (_OffPlan, EngineError) as exc:
            self.notes.append(f"{self.label}: {exc}")
            return None
        finally:
            self._seen = self._updated_at()

    def refresh(self) -> None:
        if self.view is not None:
            with self.sim.engine.db.reading() as session:
                self.view = self.sim.engine.instance(session, self.view.id)

    def _updated_at(self) -> datetime | None:
        if self.view is None:
            return None
        with self.sim.engine.db.reading() as session:
            return session.scalar(
                select(ProcessInstance.updated_at).where(ProcessInstance.id == self.view.id)
            )

    # -- time -----------------------------------------------------------------------------

    def at(self, k: int, hour: float = 10) -> datetime:
        """The k-th working day before today, at ``hour`` (office time, a few minutes' jitter)."""
        return self.sim.local(self.sim.working_day(k), hour, self.rng)

    def later(self, hours: float = 1.0) -> datetime:
        return self.sim.clock() + timedelta(hours=hours, minutes=self.rng.randint(0, 20))

    def next_day(self, days: int = 1, hour: float = 10) -> datetime:
        """``days`` working days after the current day, at ``hour``."""
        day = self.sim.clock().astimezone(SHANGHAI).date()
        for _ in range(days):
            day = self.sim.next_working(day + timedelta(days=1))
        return self.sim.local(day, hour, self.rng)

    def after_due(self, key: str, hour: float = 9.5) -> datetime:
        """The first working day on which the period ``key`` has run out, at ``hour``."""
        due = datetime.fromisoformat(str(self.data[key])).astimezone(SHANGHAI)
        return self.sim.local(self.sim.next_working(due.date()), hour, self.rng)

    def days_before_today(self, days: int) -> date:
        return self.sim.today - timedelta(days=days)

    # -- the case -------------------------------------------------------------------------

    def new(
        self,
        dispute_type: str,
        size: str | None = None,
        *,
        unit: str,
        channel: str,
        jointly: bool = True,
        register_type: str | None = None,
        respondents: int = 1,
        applicant: _Person | None = None,
        respondent: _Person | None = None,
    ) -> None:
        """Describe the dispute this case is about (names, amounts, wording)."""
        sim, rng = self.sim, self.rng
        template_type = register_type if register_type in _TEMPLATES else dispute_type
        description, facts, issues, responsibilities = rng.choice(_TEMPLATES[template_type])
        low, high = _AMOUNTS[size or _USUAL_SIZE.get(dispute_type, "small")]
        amount = Decimal(rng.randrange(low, high, 100 if high > 10000 else 50))
        applicants = [applicant or sim.person(rng)]
        if dispute_type in _ORGANISATION_PARTY:
            company = sim.company(dispute_type, rng)
            if dispute_type == "construction":
                applicants, others = [company], [respondent or sim.person(rng)]
            else:
                others = [respondent or company]
        else:
            others = [respondent or sim.person(rng) for _ in range(respondents)]
        values = {
            "a": applicants[0].name, "r": "、".join(p.name for p in others),
            "amount": f"{amount:,.0f}", "place": sim.units[unit][0],
        }
        self.spec = _Spec(
            dispute_type=dispute_type, amount=amount, unit=unit, channel=channel,
            applicants=applicants, respondents=others,
            description=description.format(**values), facts=facts.format(**values),
            issues=issues.format(**values), responsibilities=responsibilities.format(**values),
            applied_jointly=jointly, register_type=register_type,
        )

    @property
    def data(self) -> Mapping[str, Any]:
        return self.view.data if self.view is not None else {}

    @property
    def applicant(self) -> str:
        assert self.spec is not None
        return self.spec.applicants[0].name

    @property
    def respondent(self) -> str:
        assert self.spec is not None
        return self.spec.respondents[0].name

    @property
    def unit(self) -> str:
        return str(self.data.get("org_unit") or OFFICE)

    def ready(self) -> list[str]:
        return sorted(t.element_id for t in self.view.ready_tasks) if self.view else []

    def staff(self, role: str) -> tuple[str, str]:
        return self.sim.staff(role, self.unit)

    def party_actor(self, name: str) -> str:
        """The login of a party who has one; otherwise the party's name (for the record)."""
        user = _PARTY_USERS.get(name)
        return user.username if user is not None else name

    def recorder(self) -> str:
        """Who records what a party without a login answers: the case's mediator, else one of
        the unit's mediators."""
        return self.mediator or self.staff("mediator")[0]

    def _task_of(self, element_id: str) -> TaskView:
        """The first ready task of ``element_id``."""
        for task in self.view.ready_tasks if self.view else ():
            if task.element_id == element_id:
                return task
        ready = ", ".join(self.ready()) or "none"
        raise _OffPlan(f"expected a ready '{element_id}'; ready: {ready}")

    def _task(self, element_id: str, party: str | None = None) -> TaskView:
        ready = self.view.ready_tasks if self.view else ()
        tasks = [t for t in ready if t.element_id == element_id]
        if party is not None:
            unknown = [t.id for t in tasks if t.id not in self._party_of]
            if unknown:
                with self.sim.engine.db.reading() as session:
                    for task_id in unknown:
                        data = self.sim.engine.task_data(session, task_id)
                        self._party_of[task_id] = str(data.get("party", {}).get("name"))
            tasks = [t for t in tasks if self._party_of[t.id] == party]
        if len(tasks) != 1:
            whose = f" for {party}" if party else ""
            status = self.view.status if self.view else "-"
            raise _OffPlan(
                f"expected one ready '{element_id}'{whose}; ready: "
                f"{', '.join(self.ready()) or 'none'} (status {status})"
            )
        return tasks[0]

    def do(self, element_id: str, actor: str, party: str | None = None, **form: Any) -> None:
        """Complete a ready task as ``actor``, or as the person it is assigned to (a party with a
        login answers their own; the mediator who has the case works its tasks)."""
        task = self._task(element_id, party)
        with self.sim.engine.transaction() as session:
            self.view = self.sim.engine.complete_task(session, task.id, data=form,
                                                      actor=task.assignee or actor)
        if self.view.status == "error":
            raise _OffPlan(
                f"the process failed at {self.view.error_element}: {self.view.error_message}"
            )

    # -- intake ---------------------------------------------------------------------------

    def submit_from_court(self, mode: str = "delegated") -> None:
        """The court sends the dispute to the office from its own intake page."""
        spec = self.spec
        assert spec is not None
        parties = [self._party("applicant", p) for p in spec.applicants]
        parties += [self._party("respondent", p) for p in spec.respondents]
        application = {"parties": parties, "dispute_type": spec.dispute_type,
                       "amount": str(spec.amount), "description": spec.description}
        year = self.sim.clock().astimezone(SHANGHAI).year
        with self.sim.engine.transaction() as session:
            submitted = refer_from_court(
                session, self.sim.engine, application, mode=mode,
                court_reference=f"({year})渝0153民诉前{self.rng.randint(100, 999)}号",
                actor=self.court("filing_clerk"), settings=self.sim.settings,
                now=self.sim.clock(),
            )
        self.case_no, self.view = submitted.case_no, submitted.instance

    def submit(self) -> None:
        spec = self.spec
        assert spec is not None
        parties = [self._party("applicant", p) for p in spec.applicants]
        parties += [self._party("respondent", p) for p in spec.respondents]
        if spec.representatives:
            # The first few applicants were chosen by the others to act for them, in turns.
            for index in range(spec.representatives, len(spec.applicants)):
                parties[index]["represented_by"] = index % spec.representatives
        application = {
            "parties": parties, "dispute_type": spec.dispute_type, "amount": str(spec.amount),
            "description": spec.description, "channel": spec.channel, "reported_unit": spec.unit,
            "applied_jointly": spec.applied_jointly,
        }
        if spec.channel == "grid_worker":
            actor = (
                _GRID_WORKER.username if spec.unit.startswith(_GRID_WORKER.unit)
                else self.sim.staff("grid_worker", spec.unit)[0]
            )
        elif spec.channel == "online":
            actor = self.party_actor(self.applicant)
        else:
            actor = _DEMO_AT[("intake_clerk", OFFICE)].username
        with self.sim.engine.transaction() as session:
            submitted = submit_dispute(
                session, self.sim.engine, application, actor=actor, settings=self.sim.settings,
                now=self.sim.clock(),
            )
        self.case_no, self.view = submitted.case_no, submitted.instance

    def _party(self, role: str, person: _Person) -> dict[str, Any]:
        assert self.spec is not None
        phone = self.sim.phone(self.rng)
        user = _PARTY_USERS.get(person.name) if person.natural else None
        if user is not None and person.login:
            phone = self.sim.phones[user.username]  # linked to the login by name and phone
        party: dict[str, Any] = {"role": role, "name": person.name, "phone": phone}
        if person.natural:
            party["id_number"] = self.sim.id_number(self.rng)
            place = self.sim.units[self.spec.unit][0]
            party["address"] = f"重庆市荣昌区{place}{self.rng.randint(1, 88)}号"
        return party

    def register(self) -> None:
        spec = self.spec
        assert spec is not None
        self.do(
            "register_dispute", _DEMO_AT[("intake_clerk", OFFICE)].username,
            registration_decision="register",
            dispute_type=spec.register_type or spec.dispute_type,
            amount=float(spec.amount), description=spec.description,
            applied_jointly=spec.applied_jointly, ownership_confirmation=False,
        )

    def refuse(self, reason: str) -> None:
        self.do(
            "register_dispute", _DEMO_AT[("intake_clerk", OFFICE)].username,
            registration_decision="refuse", refusal_reason=reason,
            referral_route=_REFERRALS[reason],
        )

    def ask_other(self, answer: str) -> None:
        notes = {"consents": "电话联系被申请人，同意调解", "refuses": "上门征询，被申请人明确拒绝调解"}
        self.do("ask_other_party", _DEMO_AT[("intake_clerk", OFFICE)].username,
                other_party_answer=answer, contact_note=notes[answer])

    # -- dispatch -------------------------------------------------------------------------

    def choose(self) -> None:
        """Every party names the unit's (least busy) mediator: chosen jointly.  A party with a
        login answers on their own; the unit's mediator records the others' choice."""
        chosen = self.staff("mediator")[0]
        recorder = self.recorder()
        while "choose_mediator" in self.ready():
            task = self._task_of("choose_mediator")
            with self.sim.engine.transaction() as session:
                self.view = self.sim.engine.complete_task(
                    session, task.id, data={"preferred_mediator": chosen},
                    actor=task.assignee or recorder)
        self.mediator = chosen

    def designate(self, mediator: str | None = None) -> None:
        self.mediator = mediator or self.staff("mediator")[0]
        self.do("designate_mediator", self.staff("dispatcher")[0], mediator=self.mediator,
                designation_note="当事人未在期限内共同选定调解员，由调度员指定")

    def dispatch(self) -> None:
        """Whatever dispatch is waiting: the parties' joint choice, or the dispatcher's."""
        if "choose_mediator" in self.ready():
            self.choose()
        else:
            self.designate()

    def accept(self) -> None:
        self.do("accept_dispatch", self._mediator_actor(), accepts=True)

    def decline(self, reason: str) -> None:
        self.do("accept_dispatch", self._mediator_actor(), accepts=False, decline_reason=reason)

    def _mediator_actor(self) -> str:
        return self.mediator or self.staff("mediator")[0]

    # -- mediation ------------------------------------------------------------------------

    def mediate(self, outcome: str, **form: Any) -> None:
        self.do("mediate", self._mediator_actor(), outcome=outcome, **form)

    def consent(self, name: str, consents: bool) -> None:
        """A party answers the mediator's request to extend the period."""
        self.do("consent_to_extension", self.recorder(), party=name, consents=consents)

    def agree(self, *, deadline: date, form: str = "written", on_spot: bool = False) -> None:
        """Mediation succeeded: the mediator records it and drafts the agreement."""
        spec = self.spec
        assert spec is not None
        share = Decimal(self.rng.choice((55, 60, 65, 70, 75, 80, 85)))
        agreed = (spec.amount * share / 10000).quantize(Decimal(1)) * 100  # in hundreds of yuan
        payer, payee = (self.respondent, self.applicant)
        if spec.dispute_type == "construction":
            payer, payee = payee, payer
        self.mediate("agreement")
        self.do(
            "draft_agreement", self._mediator_actor(), agreement_form=form,
            facts=spec.facts, issues=spec.issues, responsibilities=spec.responsibilities,
            terms=(f"{payer}于{deadline.month}月{deadline.day}日前向{payee}支付{agreed:,.0f}元，"
                   "双方就本纠纷再无其他争议" if agreed else "双方按本协议约定履行，互不追究"),
            performance_manner=self.rng.choice(("银行转账", "微信转账", "现金支付")),
            performance_place=f"{self.sim.units[self.unit][0]}调解室",
            performance_deadline=deadline.isoformat(), performed_on_spot=on_spot,
            amount_agreed=float(agreed),
        )

    def sign(self, name: str, signing: str | None = None) -> None:
        method = signing or self.rng.choice(_SIGNING)
        self.do("sign_by_parties", self.recorder(), party=name, signing=method)

    def sign_all(self) -> None:
        for name in self.acting_names():
            self.sign(name)

    def acting_names(self) -> list[str]:
        """The names of the parties who answer for themselves (representatives for the rest)."""
        return [str(p["name"]) for p in self.data.get("parties", [])]

    def seal(self) -> None:
        self.do("sign_by_mediator", self._mediator_actor(), mediator_signed=True,
                committee_seal=True)

    def settle(self, *, deadline: date, on_spot: bool = False) -> Iterator[datetime]:
        """Agreement reached, drafted, signed by every party and then by the mediator."""
        self.agree(deadline=deadline, on_spot=on_spot)
        yield self.later(1)
        self.sign_all()
        yield self.later(0.5)
        self.seal()

    def apply(self, name: str, applies: bool) -> None:
        self.do("apply_jointly", self.recorder(), party=name, applies=applies)

    def apply_all(self, applies: bool = True) -> None:
        for name in self.acting_names():
            self.apply(name, applies)

    def follow_up(self, performed: str = "fully", satisfaction: str = "satisfied") -> None:
        notes = {"fully": "回访确认已按协议履行完毕", "partly": "已履行大部分，余款约定下月付清",
                 "not_performed": "义务人未履行，已告知可申请强制执行或另行起诉"}
        self.do("follow_up_visit", self._follow_up_actor(), performed=performed,
                satisfaction=satisfaction, follow_up_note=notes[performed])

    def _follow_up_actor(self) -> str:
        return self._mediator_actor()

    def close(self, summary: str, *documents: str) -> None:
        """The mediator archives the file: the intake papers, the minutes and ``documents``."""
        papers = ["application", "registration_form", "rights_notice", "party_ids", "minutes"]
        self.do("close_case", self._mediator_actor(), archived_documents=papers + list(documents),
                closing_summary=summary)

    def withdraw(self, party: str, reason: str) -> None:
        """A party withdraws (撤回), recorded at the office by the intake clerk."""
        with self.sim.engine.transaction() as session:
            case = session.scalar(select(Case).where(Case.case_no == self.case_no))
            assert case is not None
            party_id = next(p.id for p in case.parties if p.name == party)
            self.view = record_withdrawal(
                session, self.sim.engine, case, party_id=party_id, reason=reason,
                actor=_DEMO_AT[("intake_clerk", OFFICE)].username,
            )

    def remedy(self, remedy: str, note: str) -> None:
        """The agreement was not performed: the parties are told the routes, one is taken."""
        self.do("choose_remedy", self._mediator_actor(), routes_explained=True, remedy=remedy,
                remedy_note=note)

    def invite(self, unit: str) -> None:
        """The dispatcher invites ``unit`` to mediate the case jointly."""
        with self.sim.engine.transaction() as session:
            case = session.scalar(select(Case).where(Case.case_no == self.case_no))
            actor = actor_named(session, _DEMO_AT[("dispatcher", OFFICE)].username)
            assert case is not None and actor is not None
            invite_unit(session, actor=actor, case=case, unit_code=unit, now=self.sim.clock())

    def terminate(self, reason: str) -> None:
        """The administrator ends the case's process."""
        assert self.view is not None
        with self.sim.engine.transaction() as session:
            self.view = self.sim.engine.terminate(
                session, self.view.id, actor=_DEMO_AT[("admin", DISTRICT)].username, reason=reason
            )

    # -- the court ------------------------------------------------------------------------

    def court(self, role: str) -> str:
        return _DEMO_AT[(role, COURT)].username

    def jc_accept(self) -> None:
        self.do("decide_acceptance", self.court("filing_clerk"), jc_accepted=True,
                acceptance_note="材料齐全，符合司法确认受理条件")

    def review(self, ruling: str, **form: Any) -> None:
        self.do("review_agreement", self.court("judge"), ruling=ruling, **form)

    def serve(self) -> None:
        self.do("serve_ruling", self.court("judge_assistant"),
                served_on=self.sim.clock().astimezone(SHANGHAI).date().isoformat(),
                service_method=self.rng.choice(("electronic", "in_person", "post")))

    def guide_to_arbitration(self) -> None:
        self.do("guide_to_arbitration", self._mediator_actor(), routes_explained=True,
                route="labour_arbitration", arbitration_commission="荣昌区劳动人事争议仲裁委员会",
                routes_note="已告知劳动争议须先申请仲裁，仲裁时效为一年")

    def inform(self, route: str) -> None:
        form: dict[str, Any] = {"routes_explained": True, "route": route}
        if route == "pre_litigation":
            form["all_parties_consent"] = True
        form["routes_note"] = {
            "litigation": "已告知当事人可向荣昌区人民法院起诉，申请人表示将起诉",
            "pre_litigation": "各方同意由法院委派特邀调解员进行诉前调解",
            "none": "已告知仲裁、诉讼等途径，当事人暂不主张",
        }[route]
        self.do("inform_routes", self._mediator_actor(), **form)

    def delegate(self, mediator: str) -> None:
        """The court's filing division delegates the case to an invited mediator."""
        self.do("delegate_case", self.court("filing_clerk"), party_refused_delegation=False,
                mediator=f"特邀调解员 {mediator}")

    def register_suit(self) -> None:
        year = self.sim.clock().astimezone(SHANGHAI).year
        self.do("register_suit", self.court("filing_clerk"), suit_registered=True,
                court_case_no=f"({year})渝0153民初{self.rng.randint(1000, 9999)}号")


# --------------------------------------------------------------------------- scenarios
#
# Each scenario is a generator: it describes its dispute (``run.new``), yields the moment of its
# next action, acts, and so on.  ``run.at(k, hour)`` is the k-th working day before today.
#
# Timing rules that keep a scenario on plan whatever "now" is (weekends, long holidays): a period
# that starts on a working day lasts at least until the next working day, so the action that must
# come before a period ends is taken on the working day after the period started; and a period
# still running at "now" starts on the last working day before today (short periods) or early
# enough that it cannot end before today only by a holiday longer than the period (long ones).


def _courtyard(run: _Run) -> str:
    return run.sim.random_unit("courtyard", run.rng)


def _perf_future(run: _Run, low: int = 6, high: int = 12) -> date:
    return run.sim.today + timedelta(days=run.rng.randint(low, high))


def _intake(run: _Run, k: int, hour: float = 9.5) -> _Script:
    """Submitted and registered on the k-th working day before today."""
    yield run.at(k, hour)
    run.submit()
    yield run.later(2)
    run.register()


def _dispatched_to(run: _Run, k: int) -> _Script:
    """The parties choose the unit's mediator, who accepts, on the k-th working day before today."""
    yield max(run.at(k, 9.5), run.later(0.5))
    run.dispatch()
    yield run.later(2)
    run.accept()


def _reported(run: _Run) -> _Script:
    """An online application from yesterday evening, waiting for the intake clerk."""
    kind = run.rng.choice(("neighbour", "debt", "tenancy"))
    run.new(kind, unit=_courtyard(run), channel="online")
    yield run.at(1, 20.5)
    run.submit()


def _reported_walk_in(run: _Run) -> _Script:
    run.new("family", "village", unit=run.sim.random_unit("village", run.rng), channel="walk_in")
    yield run.at(1, 15.5)
    run.submit()


def _not_accepted(run: _Run) -> _Script:
    """Already before the court: not accepted, and told where to go."""
    run.new("debt", "village", unit=_courtyard(run), channel="walk_in")
    yield run.at(run.rng.randint(10, 30), 9.5)
    run.submit()
    yield run.later(3)
    run.refuse("before_court")


def _not_accepted_outside_scope(run: _Run) -> _Script:
    run.new("other", "village", unit=run.sim.random_unit("grid", run.rng), channel="petition")
    yield run.at(run.rng.randint(5, 20), 10)
    run.submit()
    yield run.later(4)
    run.refuse("outside_scope")


def _consent_pending(run: _Run) -> _Script:
    """Only one side applied: the clerk is asking the other within 3 working days."""
    run.new("neighbour", unit=_courtyard(run), channel="walk_in", jointly=False)
    yield from _intake(run, 2)


def _dispatched_choice(run: _Run) -> _Script:
    """Registered yesterday at the demo courtyard: the parties may choose a mediator (the demo
    party among them, from their own login)."""
    run.new("neighbour", unit=DEMO_COURTYARD, channel="grid_worker", applicant=_PARTY)
    yield run.at(2, 16)
    run.submit()
    yield run.at(1, 9.5)
    run.register()


def _courtyard_in_mediation(run: _Run) -> _Script:
    """The second demo party's neighbour dispute, in mediation at the demo courtyard."""
    run.new("neighbour", unit=DEMO_COURTYARD, channel="grid_worker", respondents=2,
            applicant=_PARTY2)
    yield from _intake(run, 3)
    yield run.at(2, 10)
    run.choose()
    yield run.at(1, 9)
    run.accept()


def _escalated_to_grid(run: _Run) -> _Script:
    """The courtyard's period ran out (an extension was refused): the worker moved the case up to
    the grid, where it is being mediated now."""
    run.new("debt", unit="T01-V1-G1-Y2", channel="grid_worker")
    grid_accepts = run.at(1, 9)
    days, unit = run.sim.tier_period("courtyard")
    accepted = run.sim.period_start_before(grid_accepts - timedelta(hours=9), days, unit)
    start = run.sim.local(accepted, 9, run.rng)
    yield start - timedelta(days=1)
    run.submit()
    yield run.later(2)
    run.register()
    yield start
    run.choose()
    yield run.later(3)
    run.accept()
    yield run.next_day(1, 14)
    run.mediate("extend", extension_days=3)
    yield run.later(1)
    run.consent(run.applicant, True)
    yield run.later(1)
    run.consent(run.respondent, False)
    yield max(grid_accepts, run.after_due("mediation_due", 8.5))
    run.dispatch()
    yield run.later(2)
    run.accept()


def _suspended_for_appraisal(run: _Run) -> _Script:
    """A traffic accident at the district's traffic room: suspended for a disability appraisal."""
    run.new("traffic", "village", unit=run.sim.random_unit("village", run.rng), channel="police")
    yield from _intake(run, 20, 10)
    yield from _dispatched_to(run, 19)
    yield run.at(14, 15)
    run.mediate("suspend", appraisal_matter=f"{run.applicant}的伤残等级及后续治疗费用")


def _agreement_drafting(run: _Run) -> _Script:
    """Agreement reached yesterday at the demo village; the mediator is drafting it."""
    run.new("family", "village", unit="T01-V1-G2-Y3", channel="walk_in")
    yield from _intake(run, 3, 9)
    yield from _dispatched_to(run, 2)
    yield run.at(1, 15)
    run.mediate("agreement")


def _jc_application_open(run: _Run) -> _Script:
    """Agreement in force; one party has applied for judicial confirmation, the other not yet;
    the performance deadline has passed, so a follow-up visit is due too."""
    run.new("debt", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 16)
    yield from _dispatched_to(run, 15)
    yield run.at(14, 10)
    yield from run.settle(deadline=run.sim.working_day(9))
    yield run.at(10, 11)
    run.apply(run.applicant, True)


def _performing(run: _Run) -> _Script:
    """Agreement in force, no joint application for confirmation, performance due next week."""
    run.new("tenancy", unit=_courtyard(run), channel="grid_worker")
    yield from _intake(run, 10)
    yield from _dispatched_to(run, 9)
    yield run.at(8, 14)
    yield from run.settle(deadline=_perf_future(run))
    yield run.at(6, 10)
    run.apply(run.applicant, True)
    yield run.at(5, 16)
    run.apply(run.respondent, False)


def _failed_at_village(run: _Run) -> _Script:
    """Mediation failed at a village (the gap was too large): the routes are to be explained."""
    run.new("neighbour", "village", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 3)
    yield from _dispatched_to(run, 2)
    yield run.at(1, 15)
    run.mediate("failed", failure_ground="large_gap",
                outcome_reason="双方对赔偿数额分歧较大，经三次调解仍无法达成一致")


def _guided_to_litigation(run: _Run) -> _Script:
    """A builder's claim for the final payment failed at the district; the court has 7 days to
    register the suit."""
    run.new("construction", unit=_courtyard(run), channel="housing")
    yield from _intake(run, 16, 10)
    yield from _dispatched_to(run, 15)
    yield run.at(5, 15)
    run.mediate("failed", failure_ground="large_gap", outcome_reason="发包方坚持先鉴定质量再付尾款")
    yield run.at(4, 10)
    run.inform("litigation")


def _wage_claim_to_arbitration(run: _Run) -> _Script:
    """A wage claim failed at the labour room within its 15 days: a labour dispute goes to
    arbitration first (仲裁前置), and the mediator is to tell the parties so."""
    run.new("labour", unit=_courtyard(run), channel="human_resources")
    yield from _intake(run, 5, 10)
    yield from _dispatched_to(run, 4)
    yield run.at(1, 15)
    run.mediate("failed", failure_ground="large_gap", outcome_reason="企业称资金困难，仅同意分期支付三成")


def _closing_after_refusal(run: _Run) -> _Script:
    """The respondent refused to go on; told the other routes, the mediator closes the file."""
    run.new("debt", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 3)
    yield from _dispatched_to(run, 2)
    yield run.at(1, 15)
    run.mediate("refused", outcome_reason="被申请人明确表示不同意调解，要求通过诉讼解决")
    yield run.later(1)
    run.inform("none")


def _withdrawn_routes_pending(run: _Run) -> _Script:
    """The applicant withdrew yesterday; the mediator is to tell the parties the other routes."""
    run.new("neighbour", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 3)
    yield from _dispatched_to(run, 2)
    yield run.at(1, 16)
    run.withdraw(run.applicant, "双方已自行协商解决")


def _not_mediated_routes_pending(run: _Run) -> _Script:
    """The other side never answered within 3 working days: not mediated, routes to be told."""
    run.new("debt", unit=_courtyard(run), channel="online", jointly=False)
    yield from _intake(run, 5)


def _not_performed_remedies(run: _Run) -> _Script:
    """Agreed and signed, but the debtor did not pay by the deadline: the follow-up recorded it
    and the mediator is to tell the creditor the routes (payment order, suit)."""
    run.new("debt", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 16)
    yield from _dispatched_to(run, 15)
    yield run.at(14, 10)
    yield from run.settle(deadline=run.sim.working_day(9))
    yield run.at(12, 10)
    run.apply_all(False)
    yield run.after_due("performance_due", 10)
    run.follow_up("not_performed", "dissatisfied")


def _closed_settled(run: _Run) -> _Script:
    """Settled at a courtyard, performed, followed up and archived."""
    run.new(run.rng.choice(("neighbour", "debt", "tenancy", "other")), unit=_courtyard(run),
            channel=run.rng.choice(("grid_worker", "walk_in", "online")))
    k = run.rng.randint(28, 45)
    yield from _intake(run, k)
    yield from _dispatched_to(run, k - 1)
    yield run.at(k - 2, 14)
    yield from run.settle(deadline=run.sim.working_day(k - 10))
    yield run.at(k - 5, 10)
    run.apply(run.applicant, False)
    yield run.later(3)
    run.apply(run.respondent, False)
    yield run.after_due("performance_due", 10)
    run.follow_up()
    yield run.later(3)
    run.close("小院调解成功，协议已履行完毕，当事人满意", "agreement", "receipts", "follow_up_record")


def _closed_confirmed(run: _Run) -> _Script:
    """Agreement confirmed by the court (enforceable), performed and archived."""
    run.new("debt", "village", unit=_courtyard(run), channel="walk_in")
    k = run.rng.randint(38, 48)
    yield from _intake(run, k)
    yield from _dispatched_to(run, k - 1)
    yield run.at(k - 2, 14)
    yield from run.settle(deadline=run.sim.working_day(k - 16))
    yield run.at(k - 4, 10)
    run.apply_all(True)
    yield run.at(k - 5, 10)
    run.jc_accept()
    yield run.at(k - 10, 15)
    run.review("valid", ruling_note="协议系双方真实意思表示，内容合法")
    yield run.at(k - 11, 10)
    run.serve()
    yield run.after_due("performance_due", 10)
    run.follow_up()
    yield run.later(2)
    run.close("协议经司法确认有效并已履行", "agreement", "jc_papers", "receipts", "follow_up_record")


def _closed_jc_rejected(run: _Run) -> _Script:
    """The court rejected the agreement (unclear terms); the parties chose to mediate again: a new
    case was opened for it, and this one was closed."""
    run.new("tenancy", "village", unit=_courtyard(run), channel="walk_in")
    k = run.rng.randint(38, 48)
    yield from _intake(run, k)
    yield from _dispatched_to(run, k - 1)
    yield run.at(k - 2, 14)
    yield from run.settle(deadline=run.sim.working_day(k - 18))
    yield run.at(k - 4, 10)
    run.apply_all(True)
    yield run.at(k - 5, 10)
    run.jc_accept()
    yield run.at(k - 10, 15)
    run.review("rejected", rejection_ground="unclear_content",
               ruling_note="协议对押金抵扣租金的方式约定不明，无法执行")
    yield run.at(k - 11, 10)
    run.serve()
    yield run.at(k - 13, 10)
    run.do("choose_after_rejection", run.recorder(), next_step="re_mediate")
    yield run.after_due("performance_due", 10)
    run.follow_up("not_performed", "dissatisfied")
    yield run.later(1)
    run.remedy("urge", "双方已另案重新调解，待新协议达成后履行")
    yield run.later(2)
    run.close("司法确认申请被驳回，当事人选择重新调解，已另立新案", "agreement", "jc_papers",
              "follow_up_record")


def _closed_through_every_tier(run: _Run) -> _Script:
    """No agreement at any tier: the worker escalated it courtyard → grid → village → town →
    district; the district could not solve it, the parties sued and the court registered it."""
    run.new("neighbour", unit=_courtyard(run), channel="grid_worker")
    yield from _intake(run, _OLDEST)
    for _ in range(5):
        yield run.next_day(1, 10)
        run.dispatch()
        yield run.later(3)
        run.accept()
        yield run.after_due("mediation_due", 8.5)
    run.inform("litigation")
    yield run.next_day(3, 10)
    run.register_suit()
    yield run.later(3)
    run.close("逐级调解未果，已引导诉讼并由法院立案", "failure_record")


def _terminated_duplicate(run: _Run) -> _Script:
    """Registered twice by mistake; the administrator ended the duplicate."""
    run.new("neighbour", unit=_courtyard(run), channel="online")
    yield run.at(7, 21)
    run.submit()
    yield run.at(6, 10)
    run.register()
    yield run.at(5, 11)
    run.terminate("重复登记：当事人网上申请与来访登记重复，保留来访登记的案件")


# -- extras: more cases in the demo users' queues and in the remaining corners of the processes


def _accept_pending_at_grid(run: _Run) -> _Script:
    run.new("tenancy", unit=DEMO_GRID, channel="walk_in")
    yield from _intake(run, 2, 10)
    yield run.at(1, 10)
    run.choose()


def _designate_pending_at_office(run: _Run) -> _Script:
    """A large partnership dispute at the district office: the parties did not choose."""
    run.new("other", "large", unit=run.sim.random_unit("town", run.rng), channel="petition")
    yield from _intake(run, 5, 10)


def _chair_assigns_at_town(run: _Run) -> _Script:
    """The town's three mediators, designated in turn, declined: the committee chair assigns one
    (within 3 working days, or the case goes up to the district)."""
    run.new("consumer", unit="T01-V2-G1-Y1", channel="walk_in")
    yield from _intake(run, 6)
    reasons = ("与被申请人系亲属，申请回避", "在外参加培训", "手头案件过多")
    for k, reason in zip((2, 2, 1), reasons, strict=True):
        yield max(run.at(k, 9), run.later(0.5))
        declined = set(run.data.get("previous_mediators") or [])
        mediator = next(login for login, _ in run.sim.roster_of("mediator", run.unit)
                        if login not in declined)
        run.designate(mediator)
        yield run.later(2)
        run.decline(reason)


def _extension_asked_at_courtyard(run: _Run) -> _Script:
    """The demo party is asked to consent to a longer period."""
    run.new("neighbour", unit=DEMO_COURTYARD, channel="walk_in", respondent=_PARTY)
    yield from _intake(run, 3)
    yield run.at(2, 9.5)
    run.choose()
    yield run.at(1, 9)
    run.accept()
    yield run.later(2)
    run.mediate("extend", extension_days=5)
    yield run.later(2)
    run.consent(run.applicant, True)


def _in_mediation_at_town(run: _Run) -> _Script:
    run.new("property_management", unit="T01-V2-G2-Y1", channel="housing")
    yield from _intake(run, 4, 10)
    yield from _dispatched_to(run, 3)


def _in_mediation_at_office(run: _Run) -> _Script:
    run.new("neighbour", "large", unit=_courtyard(run), channel="petition")
    yield from _intake(run, 15, 10)
    yield run.at(13, 10)
    run.dispatch()
    yield run.at(12, 10)
    run.accept()


def _in_mediation_at_labour_room(run: _Run) -> _Script:
    """A wage claim at the labour room, within the 15 days from its receipt (劳动争议调解仲裁法
    art 14)."""
    run.new("labour", unit=run.sim.random_unit("grid", run.rng), channel="human_resources")
    yield from _intake(run, 4, 10)
    yield from _dispatched_to(run, 3)


def _court_referred_in_mediation(run: _Run) -> _Script:
    """The court sent a debt suit to the office before filing (委派); an office mediator took it."""
    run.new("debt", "village", unit=OFFICE, channel="court")
    yield run.at(6, 15)
    run.submit_from_court("delegated")
    yield run.at(5, 10)
    run.register()
    yield run.at(4, 10)
    run.do("accept_delegation", run._mediator_actor(), acknowledged=True,
           note="已联系双方，定于下周调解")


def _jc_rejected_parties_sue(run: _Run) -> _Script:
    """The court rejected the agreement; the parties chose to sue, and the court registers it."""
    run.new("tenancy", "village", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 13)
    yield from _dispatched_to(run, 12)
    yield run.at(11, 14)
    yield from run.settle(deadline=_perf_future(run))
    yield run.at(9, 10)
    run.apply_all(True)
    yield run.at(8, 10)
    run.jc_accept()
    yield run.at(3, 15)
    run.review("rejected", rejection_ground="unclear_content",
               ruling_note="协议对押金抵扣租金的方式约定不明，无法执行")
    yield run.at(2, 10)
    run.serve()
    yield run.at(1, 10)
    run.do("choose_after_rejection", run.recorder(), next_step="sue")


def _collective_wages_jointly(run: _Run) -> _Script:
    """Thirty workers' unpaid wages: three of them represent the others (代表人); the labour room
    mediates it jointly with the petition office and the labour inspectorate (联合调解)."""
    workers = [run.sim.person(run.rng) for _ in range(30)]  # namesakes are told apart by id
    run.new("labour", "town", unit=run.sim.random_unit("grid", run.rng), channel="petition",
            applicant=workers[0])
    assert run.spec is not None
    company = run.spec.respondents[0].name
    run.spec.applicants, run.spec.representatives = workers, 3
    run.spec.description = (
        f"{company}拖欠{len(workers)}名工人2026年7月至9月工资共计{run.spec.amount:,.0f}元，工人多次"
        f"到公司讨要未果后到区信访办集体反映。工人推选{workers[0].name}、{workers[1].name}、"
        f"{workers[2].name}为代表人，由区劳动争议调解室会同信访办、劳动保障监察支队联合调解。")
    yield from _intake(run, 6, 10)
    yield run.at(5, 10)
    run.dispatch()
    yield run.later(2)
    run.accept()
    yield run.later(1)
    run.invite(PETITION_OFFICE)
    run.invite(LABOUR_INSPECTION)


def _in_mediation_at_medical_room(run: _Run) -> _Script:
    run.new("medical", unit=run.sim.random_unit("town", run.rng), channel="walk_in")
    yield from _intake(run, 26, 10)
    yield from _dispatched_to(run, 25)


def _escalated_by_grid_mediator(run: _Run) -> _Script:
    """The grid's mediator sent it up: it concerns the village's collective land."""
    run.new("neighbour", unit="T01-V1-G2", channel="grid_worker")
    yield from _intake(run, 4, 10)
    yield from _dispatched_to(run, 3)
    yield run.at(2, 15)
    run.mediate("escalate", outcome_reason="涉及村集体土地使用，需村调委会协调")
    yield from _dispatched_to(run, 1)


def _in_pre_litigation_mediation(run: _Run) -> _Script:
    """Failed at the traffic room; with everyone's consent the court delegated it to an invited
    mediator (pre-litigation mediation), who is at work on it."""
    run.new("traffic", unit=_courtyard(run), channel="police")
    yield from _intake(run, 27, 10)
    yield from _dispatched_to(run, 26)
    yield run.at(16, 15)
    run.mediate("failed", failure_ground="large_gap", outcome_reason="保险公司对误工费计算标准有异议")
    yield run.at(15, 10)
    run.inform("pre_litigation")
    yield run.at(14, 10)
    run.delegate("陈光明")
    yield run.at(13, 10)
    run.do("accept_delegation", "陈光明", acknowledged=True, note="已联系双方，定于下周调解")


def _jc_acceptance_pending(run: _Run) -> _Script:
    run.new("debt", "village", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 8)
    yield from _dispatched_to(run, 7)
    yield run.at(6, 14)
    yield from run.settle(deadline=_perf_future(run))
    yield run.at(1, 10)
    run.apply_all(True)


def _jc_review_pending(run: _Run) -> _Script:
    run.new("tenancy", "village", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 12)
    yield from _dispatched_to(run, 11)
    yield run.at(10, 14)
    yield from run.settle(deadline=_perf_future(run, 3, 10))
    yield run.at(8, 10)
    run.apply_all(True)
    yield run.at(7, 10)
    run.jc_accept()


def _jc_extension_for_president(run: _Run) -> _Script:
    run.new("construction", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 15)
    yield from _dispatched_to(run, 14)
    yield run.at(13, 14)
    yield from run.settle(deadline=_perf_future(run, 5, 12))
    yield run.at(11, 10)
    run.apply_all(True)
    yield run.at(10, 10)
    run.jc_accept()
    yield run.at(2, 15)
    run.review("extend", extension_reason="需向住建部门调取房屋质量检测报告")


def _jc_ruling_to_serve(run: _Run) -> _Script:
    run.new("debt", "village", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 12)
    yield from _dispatched_to(run, 11)
    yield run.at(10, 14)
    yield from run.settle(deadline=_perf_future(run))
    yield run.at(8, 10)
    run.apply_all(True)
    yield run.at(7, 10)
    run.jc_accept()
    yield run.at(1, 15)
    run.review("valid", ruling_note="协议内容合法有效")


def _jc_rejected_parties_to_choose(run: _Run) -> _Script:
    run.new("neighbour", "village", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 13)
    yield from _dispatched_to(run, 12)
    yield run.at(11, 14)
    yield from run.settle(deadline=_perf_future(run))
    yield run.at(9, 10)
    run.apply_all(True)
    yield run.at(8, 10)
    run.jc_accept()
    yield run.at(3, 15)
    run.review("rejected", rejection_ground="third_party_interests",
               ruling_note="协议处分了案外人共有的宅基地使用权")
    yield run.at(2, 10)
    run.serve()


def _signing_at_village(run: _Run) -> _Script:
    """The respondents signed; the second demo party, the applicant, signs on their phone."""
    run.new("family", "village", unit="T01-V1-G1-Y3", channel="walk_in", respondents=2,
            applicant=_PARTY2)
    yield from _intake(run, 4)
    yield from _dispatched_to(run, 3)
    yield run.at(2, 14)
    run.agree(deadline=_perf_future(run))
    yield run.at(1, 10)
    assert run.spec is not None
    for respondent in run.spec.respondents:
        run.sign(respondent.name)


def _mediator_to_sign_at_town(run: _Run) -> _Script:
    run.new("land", unit="T01-V2-G1-Y2", channel="grid_worker")
    yield from _intake(run, 4)
    yield from _dispatched_to(run, 3)
    yield run.at(2, 14)
    run.agree(deadline=_perf_future(run))
    yield run.at(1, 10)
    run.sign_all()


def _divorce_follow_up_due(run: _Run) -> _Script:
    """A divorce settled at a village: personal status, so no confirmation; follow-up is due."""
    run.new("family", "village", unit=_courtyard(run), channel="walk_in", register_type="marriage")
    yield from _intake(run, 14)
    yield from _dispatched_to(run, 13)
    yield run.at(12, 14)
    yield from run.settle(deadline=run.sim.working_day(6))


def _performing_after_confirmation(run: _Run) -> _Script:
    run.new("debt", "village", unit=_courtyard(run), channel="online")
    yield run.at(14, 20)
    run.submit()
    yield run.at(13, 10)
    run.register()
    yield from _dispatched_to(run, 12)
    yield run.at(11, 14)
    yield from run.settle(deadline=_perf_future(run, 8, 14))
    yield run.at(10, 10)
    run.apply_all(True)
    yield run.at(9, 10)
    run.jc_accept()
    yield run.at(4, 15)
    run.review("valid", ruling_note="协议系双方真实意思表示")
    yield run.at(3, 10)
    run.serve()


def _refused_to_sign(run: _Run) -> _Script:
    run.new("tenancy", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 4)
    yield from _dispatched_to(run, 3)
    yield run.at(2, 14)
    run.agree(deadline=_perf_future(run))
    yield run.later(1)
    run.sign(run.applicant)
    yield run.at(1, 11)
    run.sign(run.respondent, "refused")


def _suit_registration_overdue(run: _Run) -> _Script:
    """Failed at the district office; the court has let its 7 days pass (overdue)."""
    run.new("neighbour", "large", unit=run.sim.random_unit("grid", run.rng), channel="walk_in")
    yield from _intake(run, 24, 10)
    yield from _dispatched_to(run, 23)
    yield run.at(12, 15)
    run.mediate("failed", failure_ground="unreachable", outcome_reason="被申请人长期外出务工，多次联系未果")
    yield run.at(11, 10)
    run.inform("litigation")


def _closing_after_follow_up(run: _Run) -> _Script:
    run.new("debt", unit=_courtyard(run), channel="grid_worker")
    yield from _intake(run, 15)
    yield from _dispatched_to(run, 14)
    yield run.at(13, 14)
    yield from run.settle(deadline=run.sim.working_day(7))
    yield run.at(12, 10)
    run.apply(run.applicant, True)
    yield run.later(2)
    run.apply(run.respondent, False)
    yield run.after_due("performance_due", 10)
    run.follow_up("fully", "basically_satisfied")


def _closed_jc_lapsed(run: _Run) -> _Script:
    """Only one party applied for confirmation within the 30 days: the window lapsed."""
    run.new("neighbour", unit=_courtyard(run), channel="grid_worker")
    k = run.rng.randint(42, 50)
    yield from _intake(run, k)
    yield from _dispatched_to(run, k - 1)
    yield run.at(k - 2, 14)
    yield from run.settle(deadline=run.sim.working_day(k - 8))
    yield run.at(k - 4, 10)
    run.apply(run.applicant, True)
    yield run.after_due("performance_due", 10)
    run.follow_up()
    yield run.after_due("jc_apply_due", 10)
    run.close("协议已履行，当事人未在期限内共同申请司法确认", "agreement", "receipts",
              "follow_up_record")


def _closed_withdrawn(run: _Run) -> _Script:
    """The applicant withdrew after settling privately; told the other routes, closed."""
    run.new("debt", unit=_courtyard(run), channel="walk_in")
    k = run.rng.randint(15, 30)
    yield from _intake(run, k)
    yield run.at(k - 1, 10)
    run.choose()
    yield run.at(k - 2, 16)
    run.withdraw(run.applicant, "已与对方私下和解")
    yield run.next_day(1, 10)
    run.inform("none")
    yield run.later(1)
    run.close("申请人撤回调解申请，终止调解", "failure_record")


def _closed_other_side_refused(run: _Run) -> _Script:
    run.new("tenancy", unit=_courtyard(run), channel="online", jointly=False)
    k = run.rng.randint(12, 30)
    yield run.at(k, 20)
    run.submit()
    yield run.at(k - 1, 10)
    run.register()
    yield run.at(k - 2, 15)
    run.ask_other("refuses")
    yield run.later(1)
    run.inform("none")
    yield run.later(1)
    run.close("被申请人拒绝调解，已告知其他途径", "failure_record")


def _closed_other_side_silent(run: _Run) -> _Script:
    """The other side never answered: not mediated; told the routes, closed."""
    run.new("debt", unit=_courtyard(run), channel="walk_in", jointly=False)
    yield from _intake(run, run.rng.randint(12, 30))
    yield run.after_due("consent_due", 10)
    run.inform("litigation")
    yield run.later(2)
    run.register_suit()
    yield run.later(2)
    run.close("被申请人未答复，未能调解，已引导诉讼", "failure_record")


def _closed_pre_litigation_failed(run: _Run) -> _Script:
    """Failed at the district and again in pre-litigation mediation: registered as a suit."""
    run.new("construction", unit=_courtyard(run), channel="housing")
    k = run.rng.randint(44, 50)
    yield from _intake(run, k, 10)
    yield from _dispatched_to(run, k - 1)
    yield run.at(k - 8, 15)
    run.mediate("failed", failure_ground="large_gap", outcome_reason="双方对工程质量鉴定结论有争议")
    yield run.at(k - 9, 10)
    run.inform("pre_litigation")
    yield run.at(k - 10, 10)
    run.delegate("刘晓东")
    yield run.at(k - 11, 10)
    run.do("accept_delegation", "刘晓东", acknowledged=True)
    yield run.at(k - 20, 15)
    run.mediate("failed", failure_ground="large_gap", outcome_reason="发包方不同意一次性支付尾款")
    yield run.at(k - 22, 10)
    run.register_suit()
    yield run.later(2)
    run.close("诉前调解不成，已登记立案", "failure_record")


def _closed_agreement_at_town(run: _Run) -> _Script:
    """Escalated by the village's mediator, settled at the town."""
    run.new("neighbour", "village", unit=_courtyard(run), channel="walk_in")
    k = run.rng.randint(30, 40)
    yield from _intake(run, k, 10)
    yield from _dispatched_to(run, k - 1)
    yield run.at(k - 2, 15)
    run.mediate("escalate", outcome_reason="涉及多户村民，需镇街综治中心协调")
    yield from _dispatched_to(run, k - 3)
    yield run.at(k - 4, 14)
    yield from run.settle(deadline=run.sim.working_day(k - 12))
    yield run.at(k - 6, 10)
    run.apply_all(False)
    yield run.after_due("performance_due", 10)
    run.follow_up("fully", "basically_satisfied")
    yield run.later(2)
    run.close("镇街调解成功，协议已履行", "agreement", "receipts", "follow_up_record")


def _extension_agreed(run: _Run) -> _Script:
    run.new("debt", unit=_courtyard(run), channel="walk_in")
    yield from _intake(run, 3)
    yield run.at(2, 10)
    run.choose()
    yield run.later(2)
    run.accept()
    yield run.at(1, 10)
    run.mediate("extend", extension_days=7)
    yield run.later(1)
    run.consent(run.applicant, True)
    yield run.later(3)
    run.consent(run.respondent, True)


def _suspended_land_survey(run: _Run) -> _Script:
    run.new("land", unit="T01-V2-G2-Y3", channel="walk_in")
    yield from _intake(run, 12, 10)
    yield from _dispatched_to(run, 11)
    yield run.at(7, 15)
    run.mediate("suspend", appraisal_matter="争议地块面积及四至界限测绘")


# Every state, JC confirmed and rejected, a case escalated by the worker and one through every tier.
_CORE: tuple[Callable[[_Run], _Script], ...] = (
    _reported, _not_accepted, _consent_pending, _dispatched_choice, _courtyard_in_mediation,
    _escalated_to_grid, _suspended_for_appraisal, _agreement_drafting, _jc_application_open,
    _performing, _failed_at_village, _guided_to_litigation, _closing_after_refusal,
    _closed_settled, _closed_confirmed, _closed_jc_rejected, _closed_through_every_tier,
    _terminated_duplicate, _withdrawn_routes_pending, _not_mediated_routes_pending,
    _not_performed_remedies,
)
# Then, in order, as many as the requested number of cases allows.
_EXTRAS: tuple[Callable[[_Run], _Script], ...] = (
    _accept_pending_at_grid, _designate_pending_at_office, _wage_claim_to_arbitration,
    _chair_assigns_at_town, _extension_asked_at_courtyard, _in_mediation_at_town,
    _in_mediation_at_office, _in_mediation_at_labour_room, _collective_wages_jointly,
    _in_mediation_at_medical_room, _escalated_by_grid_mediator, _in_pre_litigation_mediation,
    _court_referred_in_mediation, _jc_acceptance_pending, _jc_review_pending,
    _jc_extension_for_president, _jc_ruling_to_serve, _jc_rejected_parties_to_choose,
    _signing_at_village,
    # beyond the default 40
    _mediator_to_sign_at_town, _divorce_follow_up_due, _closed_jc_lapsed, _closed_withdrawn,
    _closed_other_side_refused, _closed_pre_litigation_failed, _jc_rejected_parties_sue,
    _suit_registration_overdue, _performing_after_confirmation, _refused_to_sign,
    _closing_after_follow_up, _closed_settled, _closed_other_side_silent, _closed_agreement_at_town,
    _extension_agreed, _suspended_land_survey, _reported_walk_in, _not_accepted_outside_scope,
    _closed_confirmed,
)
# Beyond the catalogue: more of the ordinary cases, at random places.
_REPEATABLE: tuple[Callable[[_Run], _Script], ...] = (
    _closed_settled, _closed_confirmed, _closed_agreement_at_town, _not_accepted_outside_scope,
)

# What each scenario leaves its case in at "now" (checked by the tests).
EXPECTED_STATES: Mapping[str, str] = {
    "reported": "reported", "reported_walk_in": "reported",
    "not_accepted": "not_accepted", "not_accepted_outside_scope": "not_accepted",
    "consent_pending": "consent_pending",
    "dispatched_choice": "dispatched", "accept_pending_at_grid": "dispatched",
    "designate_pending_at_office": "dispatched", "chair_assigns_at_town": "dispatched",
    "courtyard_in_mediation": "in_mediation", "escalated_to_grid": "in_mediation",
    "extension_asked_at_courtyard": "in_mediation", "in_mediation_at_town": "in_mediation",
    "in_mediation_at_office": "in_mediation", "in_mediation_at_labour_room": "in_mediation",
    "in_mediation_at_medical_room": "in_mediation", "escalated_by_grid_mediator": "in_mediation",
    "in_pre_litigation_mediation": "in_mediation", "extension_agreed": "in_mediation",
    "collective_wages_jointly": "in_mediation",
    "suspended_for_appraisal": "suspended", "suspended_land_survey": "suspended",
    "agreement_drafting": "agreement_reached", "signing_at_village": "agreement_reached",
    "mediator_to_sign_at_town": "agreement_reached",
    "jc_application_open": "judicial_confirmation",
    "jc_acceptance_pending": "judicial_confirmation",
    "jc_review_pending": "judicial_confirmation",
    "jc_extension_for_president": "judicial_confirmation",
    "jc_ruling_to_serve": "judicial_confirmation",
    "jc_rejected_parties_to_choose": "judicial_confirmation",
    "jc_rejected_parties_sue": "guided_to_litigation",
    "wage_claim_to_arbitration": "failed",
    "court_referred_in_mediation": "in_mediation",
    "withdrawn_routes_pending": "withdrawn",
    "not_mediated_routes_pending": "not_mediated",
    "not_performed_remedies": "not_performed",
    "performing": "performing", "divorce_follow_up_due": "performing",
    "performing_after_confirmation": "performing",
    "failed_at_village": "failed", "refused_to_sign": "failed",
    "guided_to_litigation": "guided_to_litigation",
    "suit_registration_overdue": "guided_to_litigation",
    "closing_after_refusal": "closing", "closing_after_follow_up": "closing",
    "closed_settled": "closed", "closed_confirmed": "closed", "closed_jc_rejected": "closed",
    "closed_through_every_tier": "closed", "closed_jc_lapsed": "closed",
    "closed_withdrawn": "closed", "closed_other_side_refused": "closed",
    "closed_other_side_silent": "closed", "closed_pre_litigation_failed": "closed",
    "closed_agreement_at_town": "closed",
    "terminated_duplicate": "terminated",
}


__all__ = [
    "DEMO_USERS",
    "EXPECTED_STATES",
    "DemoError",
    "DemoSummary",
    "DemoUser",
    "demo_blocker",
    "load_demo",
    "loaded_demo_users",
    "minimum_cases",
]
