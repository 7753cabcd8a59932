"""The case's documents, generated from its record in Chinese and laid out like the paper forms:
受理登记表, 权利义务告知书, 调解笔录, 人民调解协议书 (and the record of an oral agreement), 调解终止/
不成 record, 司法确认申请书, 民事裁定书, 回访记录 and 结案报告表.

Each document becomes available once the case has reached the step that produces it
(:func:`available`); it is drawn from an HTML template (workflows/templates.py: data the
administrator may replace) and printed to A4 PDF with WeasyPrint, or converted to DOCX with
python-docx for editing.  A template reaches nothing outside the record it is given: the PDF
renderer fetches no URL but inline ``data:`` images.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import ProcessDefinition, ProcessInstance
from engine.runtime import Engine
from workflows.dates import chinese_date, chinese_time, due_day
from workflows.models import Case, OrgUnit, Person
from workflows.organisation import CHANNELS, DISPUTE_TYPES, TIER_LABELS
from workflows.templates import render

ROLE_NAMES = {"applicant": "申请人", "respondent": "被申请人", "agent": "委托代理人"}
RESULT_NAMES = {
    "agreement": "达成协议", "failed": "调解不成", "refused": "当事人拒绝调解或撤回",
    "escalate": "上交上一级", "expired": "调解期限届满", "continue": "继续调解",
}
JC_OUTCOME_NAMES = {
    "confirmed": "裁定调解协议有效", "rejected": "裁定驳回申请", "withdrawn": "准许撤回申请",
    "not_accepted": "不予受理", "not_applied": "未共同申请", "lapsed": "申请期限届满",
    "not_available": "不适用司法确认",
}


class Record(dict[str, Any]):
    """Recorded values by key; a key the case has not recorded reads as empty."""

    def __init__(self, values: Mapping[str, Any], missing: Any = ""):
        super().__init__(values)
        self.missing = missing

    def __missing__(self, key: str) -> Any:
        return self.missing


class DocumentUnavailable(LookupError):
    """The document does not exist, or the case has not reached the step that produces it."""


class DocumentFailed(RuntimeError):
    """A (replaced) template could not be rendered; the message says where."""


@dataclass(frozen=True)
class DocumentKind:
    """A document of the case file."""

    name: str
    title: str
    ready: Callable[[Mapping[str, Any], Case], bool]


def _written(data: Mapping[str, Any], _case: Case) -> bool:
    return data.get("agreement_form") == "written" and bool(data.get("terms"))


def _ended_without_agreement(data: Mapping[str, Any], case: Case) -> bool:
    return (data.get("mediation_result") in ("failed", "refused")
            or data.get("other_party_answer") in ("refuses", "no_answer")
            or bool(data.get("unsigned_parties")) or case.state == "terminated")


def _ruled(data: Mapping[str, Any], _case: Case) -> bool:
    return data.get("ruling") in ("valid", "rejected", "withdrawn") or \
        data.get("jc_outcome") == "not_accepted"


KINDS: tuple[DocumentKind, ...] = (
    DocumentKind("registration", "人民调解受理登记表",
                 lambda d, c: d.get("registration_decision") in ("register", "refuse")),
    DocumentKind("rights_notice", "人民调解当事人权利义务告知书",
                 lambda d, c: d.get("registration_decision") == "register"),
    DocumentKind("minutes", "人民调解笔录",
                 lambda d, c: bool(d.get("tier_history")) or bool(d.get("outcome"))),
    DocumentKind("agreement", "人民调解协议书", _written),
    DocumentKind("oral_agreement", "口头调解协议登记表",
                 lambda d, c: d.get("agreement_form") == "oral" and bool(d.get("terms"))),
    DocumentKind("termination", "终止人民调解告知书", _ended_without_agreement),
    DocumentKind("jc_application", "司法确认申请书",
                 lambda d, c: bool(d.get("jc_joint")) and bool(d.get("jc_applied_at"))),
    DocumentKind("ruling", "民事裁定书", _ruled),
    DocumentKind("follow_up", "人民调解回访记录", lambda d, c: bool(d.get("performed"))),
    DocumentKind("closing_report", "人民调解结案报告表",
                 lambda d, c: bool(d.get("closed_at")) or c.state == "closed"),
)
BY_NAME = {kind.name: kind for kind in KINDS}


def kind_of(name: str) -> DocumentKind:
    """The document called ``name``; DocumentUnavailable for an unknown name."""
    if name not in BY_NAME:
        raise DocumentUnavailable(f"no document called '{name}'")
    return BY_NAME[name]


def case_data(session: Session, engine: Engine, case: Case) -> dict[str, Any]:
    """What the case's documents are drawn from: the case record, then its process data."""
    data: dict[str, Any] = dict(case.details or {})
    if case.instance_id is not None:
        data.update(engine.instance(session, case.instance_id).data)
    return data


def available(data: Mapping[str, Any], case: Case) -> list[DocumentKind]:
    """The documents the case has reached, in the order of the case file."""
    return [kind for kind in KINDS if kind.ready(data, case)]


def require(name: str, data: Mapping[str, Any], case: Case) -> DocumentKind:
    """The document ``name`` if the case has reached it, else DocumentUnavailable."""
    kind = kind_of(name)
    if not kind.ready(data, case):
        raise DocumentUnavailable(f"the case has not reached the step that produces '{name}'")
    return kind


# -- the record as templates see it --------------------------------------------------------------


def context(
    session: Session,
    case: Case,
    data: Mapping[str, Any],
    *,
    office_code: str,
    phone: str,
    now: datetime,
    signatures: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything a document template may use, already in Chinese words."""
    names = _people_names(session, data)
    choices = choice_titles(session, case.instance_id)
    return {
        "office": _unit_name_by_code(session, office_code),
        "office_phone": phone,
        "unit": _unit_name(session, case.org_unit_id) or _unit_name_by_code(session, office_code),
        "court": _unit_name(session, case.court_id),
        "case": {
            "case_no": case.case_no or "",
            "jc_case_no": (case.details or {}).get("jc_case_no", ""),
            "dispute_type": DISPUTE_TYPES.get(case.dispute_type, case.dispute_type),
            "amount": _money(case.amount),
            "description": case.description,
            "received": chinese_date(case.received_at),
            "channel": CHANNELS.get(case.channel, case.channel),
            "tier": TIER_LABELS.get(case.tier or "", ""),
            "state": case.state,
            "closed": chinese_date(case.closed_at),
        },
        "parties": [
            {"role": ROLE_NAMES.get(p.role, p.role), "role_code": p.role, "name": p.name,
             "phone": p.phone or "", "id_number": p.id_number or "", "address": p.address or ""}
            for p in case.parties
        ],
        "record": Record({key: _shown(key, value, choices, names) for key, value in data.items()
                          if isinstance(key, str)}),
        "raw": Record({key: value for key, value in data.items() if isinstance(key, str)},
                      missing=None),
        "dates": Record({key: chinese_date(value) for key, value in data.items()
                         if isinstance(key, str) and key.endswith(("_at", "_on"))}),
        "mediator": names.get(str(data.get("mediator") or ""), str(data.get("mediator") or "")),
        "rounds": _rounds(data, names),
        "signatures": signatures or [],
        "today": chinese_date(now),
        "jc_outcome": JC_OUTCOME_NAMES.get(str(data.get("jc_outcome") or ""), ""),
    }


def choice_titles(session: Session, instance_id: int | None) -> dict[str, dict[str, str]]:
    """Data key -> {code: title} from the forms of the case's process version (the forms name
    every choice in Chinese)."""
    if instance_id is None:
        return {}
    forms = session.scalar(
        select(ProcessDefinition.forms)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.id == instance_id)
    ) or {}
    titles: dict[str, dict[str, str]] = {}
    for document in (forms.get("documents") or {}).values():
        for key, prop in (document.get("properties") or {}).items():
            source = prop.get("items", prop) if prop.get("type") == "array" else prop
            for option in source.get("oneOf", []):
                if "const" in option:
                    titles.setdefault(key, {})[str(option["const"])] = str(
                        option.get("title", option["const"]))
    return titles


def _shown(key: str, value: Any, choices: Mapping[str, Mapping[str, str]],
           names: Mapping[str, str]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_shown(key, v, choices, names) for v in value if not isinstance(v, dict))
    if isinstance(value, dict):
        return ""
    text = str(value)
    if text in choices.get(key, {}):
        return choices[key][text]
    if key in ("mediator",):
        return names.get(text, text)
    if key.endswith("_due"):
        return chinese_date(due_day(text))
    if key.endswith("_at"):
        return chinese_time(text)
    if key.endswith(("_on", "_deadline")):
        return chinese_date(text)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text


def _rounds(data: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, str]]:
    """The mediation at each tier, for the minutes."""
    rounds = []
    for record in data.get("tier_history") or []:
        if not isinstance(record, dict):
            continue
        rounds.append({
            "tier": TIER_LABELS.get(str(record.get("tier")), str(record.get("tier") or "")),
            "mediator": names.get(str(record.get("mediator") or ""),
                                  str(record.get("mediator") or "")),
            "result": RESULT_NAMES.get(str(record.get("result")), str(record.get("result") or "")),
            "reason": str(record.get("reason") or ""),
            "accepted": chinese_time(record.get("accepted_at")),
            "ended": chinese_time(record.get("ended_at")),
        })
    return rounds


def _people_names(session: Session, data: Mapping[str, Any]) -> dict[str, str]:
    """Usernames named in the record -> display names."""
    usernames = {str(data.get("mediator") or "")}
    for record in data.get("tier_history") or []:
        if isinstance(record, dict) and record.get("mediator"):
            usernames.add(str(record["mediator"]))
    usernames.discard("")
    if not usernames:
        return {}
    rows = session.execute(select(Person.username, Person.display_name)
                           .where(Person.username.in_(sorted(usernames))))
    return {username: display for username, display in rows}


def _money(amount: Any) -> str:
    if amount is None:
        return ""
    return f"{amount:,.2f}"


def _unit_name(session: Session, unit_id: int | None) -> str:
    if unit_id is None:
        return ""
    return session.scalar(select(OrgUnit.name).where(OrgUnit.id == unit_id)) or ""


def _unit_name_by_code(session: Session, code: str) -> str:
    return session.scalar(select(OrgUnit.name).where(OrgUnit.code == code)) or code


# -- rendering -----------------------------------------------------------------------------------


def render_html(session: Session, kind: DocumentKind, record: Mapping[str, Any],
                *, signing_copy: bool = False) -> str:
    """The document as HTML from its template (``signing_copy``: without any signature, the
    text a party signs)."""
    try:
        return render(session, f"{kind.name}.html",
                      {**record, "title": kind.title, "signing_copy": signing_copy})
    except TemplateError as exc:
        raise DocumentFailed(f"the template {kind.name}.html cannot be used: {exc}") from exc


def pdf(html: str) -> bytes:
    """The HTML printed to PDF (A4, as the template's CSS lays it out)."""
    from weasyprint import HTML  # imported on first use: it loads Pango and the fonts
    from weasyprint.urls import URLFetcher

    # Inline images only: a template never reaches a file or the network.
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


def docx(html: str) -> bytes:
    """The HTML as a Word document for editing: headings, paragraphs, tables and images."""
    from docx import Document as WordDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt
    from lxml import html as lxml_html

    word = WordDocument()
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.6))
    for side in ("top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    style = word.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    root = lxml_html.fromstring(html)
    body = root.find("body") if root.find("body") is not None else root
    align = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}

    def classes(element: Any) -> set[str]:
        return set((element.get("class") or "").split())

    def alignment(element: Any) -> Any:
        for name, value in align.items():
            if name in classes(element):
                return value
        return None

    def paragraph(element: Any, *, size: float | None = None, bold: bool = False) -> None:
        text = _text_of(element)
        images = element.findall(".//img")
        if not text and not images:
            return
        para = word.add_paragraph()
        para.alignment = alignment(element)
        if text:
            run = para.add_run(text)
            run.bold = bold or element.tag in ("strong", "b")
            if size:
                run.font.size = Pt(size)
        for image in images:
            picture = _image_bytes(image.get("src") or "")
            if picture:
                para.add_run().add_picture(io.BytesIO(picture), height=Cm(1.5))

    def table(element: Any) -> None:
        rows = element.findall(".//tr")
        width = max((len(r.findall("th") + r.findall("td")) for r in rows), default=0)
        if not rows or not width:
            return
        grid = word.add_table(rows=len(rows), cols=width)
        grid.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, cell in enumerate([x for x in row if x.tag in ("th", "td")][:width]):
                target = grid.cell(r, c)
                target.text = _text_of(cell)
                for image in cell.findall(".//img"):
                    picture = _image_bytes(image.get("src") or "")
                    if picture:
                        target.paragraphs[0].add_run().add_picture(io.BytesIO(picture),
                                                                   height=Cm(1.2))
                if cell.tag == "th":
                    for run in target.paragraphs[0].runs:
                        run.bold = True

    def walk(element: Any) -> None:
        for child in element:
            if not isinstance(child.tag, str) or child.tag in ("style", "script", "head"):
                continue
            if child.tag == "h1":
                paragraph(child, size=20, bold=True)
                word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif child.tag in ("h2", "h3"):
                paragraph(child, size=14, bold=True)
            elif child.tag == "table":
                table(child)
            elif child.tag in ("p", "li", "dt", "dd"):
                paragraph(child)
            elif any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in child):
                walk(child)
            else:
                paragraph(child)

    walk(body)
    output = io.BytesIO()
    word.save(output)
    return output.getvalue()


_BLOCKS = {"div", "section", "header", "footer", "p", "h1", "h2", "h3", "table", "ul", "ol",
           "li", "dl", "dt", "dd"}
_SPACES = re.compile(r"[ \t\r\n]+")


def _text_of(element: Any) -> str:
    return _SPACES.sub(" ", element.text_content()).strip()


def _image_bytes(src: str) -> bytes | None:
    if not src.startswith("data:image/") or ";base64," not in src:
        return None
    try:
        return base64.b64decode(src.split(";base64,", 1)[1], validate=True)
    except ValueError:
        return None


def data_url(media_type: str, content: bytes) -> str:
    """``content`` as an inline ``data:`` URL for a template."""
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"
