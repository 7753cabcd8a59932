"""The case file (案卷, 人民调解法 art 27): every document of the case, every material, the texts
the parties signed, an index (目录) and the audit trail, in one zip.

It is built and stored (in the file store, named on the case) once the case is closed and
archived — by the worker, after the closing step has committed, since printing a dozen documents
takes a second or two — and built afresh on demand for staff.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SHANGHAI, aware
from engine.runtime import Engine
from workflows import documents
from workflows.materials import case_materials
from workflows.models import Case, CaseFile, Material, Notice, Person, Signature
from workflows.notices import case_notices
from workflows.signatures import METHOD_NAMES, signature_blocks
from workflows.storage import FileStore

STATUS_NAMES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                "outbox": "待人工送达", "handed": "已人工送达"}


@dataclass(frozen=True)
class Office:
    """Who issues the documents: the office's unit code and its public phone number."""

    code: str
    phone: str


def document_bytes(
    session: Session, engine: Engine, store: FileStore, case: Case, name: str, *,
    office: Office, now: datetime, fmt: str = "pdf", data: dict[str, Any] | None = None,
    signing_copy: bool = False,
) -> bytes:
    """Document ``name`` of ``case`` as PDF or DOCX (DocumentUnavailable before its step)."""
    data = data if data is not None else documents.case_data(session, engine, case)
    kind = documents.require(name, data, case)
    record = record_of(session, store, case, data, office=office, now=now)
    html = documents.render_html(session, kind, record, signing_copy=signing_copy)
    return documents.docx(html) if fmt == "docx" else documents.pdf(html)


def record_of(session: Session, store: FileStore, case: Case, data: dict[str, Any], *,
              office: Office, now: datetime) -> dict[str, Any]:
    """The template context of the case's documents, signatures included."""
    names = display_names(session, _usernames(session, case))
    blocks = signature_blocks(session, store, case, data, names=names,
                              data_url=documents.data_url)
    return documents.context(session, case, data, office_code=office.code, phone=office.phone,
                             now=now, signatures=blocks)


def build(session: Session, engine: Engine, store: FileStore, case: Case, *, office: Office,
          now: datetime) -> bytes:
    """The case file as a zip."""
    data = documents.case_data(session, engine, case)
    record = record_of(session, store, case, data, office=office, now=now)
    index: list[tuple[str, str, str]] = []  # (file, title, note)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, kind in enumerate(documents.available(data, case), start=1):
            path = f"文书/{number:02d}-{kind.title}.pdf"
            html = documents.render_html(session, kind, record)
            archive.writestr(path, documents.pdf(html))
            index.append((path, kind.title, ""))
        for signature in _signatures(session, case.id):
            path = f"签署/{signature.party_name}-{signature.id}-签署文本.pdf"
            archive.writestr(path, store.read(signature.document_sha256))
            index.append((path, f"{signature.party_name}签署的协议文本",
                          f"SHA-256 {signature.document_sha256}"))
            if signature.image_sha256:
                image = f"签署/{signature.party_name}-{signature.id}-签名.png"
                archive.writestr(image, store.read(signature.image_sha256))
                index.append((image, f"{signature.party_name}的电子签名", ""))
        for material in case_materials(session, case.id):
            path = f"材料/{material.id:04d}-{material.filename}"
            archive.writestr(path, store.read(material.sha256))
            index.append((path, material.filename,
                          f"{material.added_by} {_time(material.added_at)} 添加"))
        archive.writestr("审计记录.csv", audit_csv(session, engine, case))
        index.append(("审计记录.csv", "审计记录（流程、材料、签署、通知）", ""))
        archive.writestr("00-目录.txt", _index_text(case, index, now))
    return output.getvalue()


def archive_case(session: Session, engine: Engine, store: FileStore, case: Case, *,
                 office: Office, now: datetime) -> CaseFile:
    """Build and keep the case file of a closed case (once)."""
    existing = session.scalar(select(CaseFile).where(CaseFile.case_id == case.id))
    if existing is not None:
        return existing
    content = build(session, engine, store, case, office=office, now=now)
    stored = CaseFile(case_id=case.id, sha256=store.put(content), size=len(content),
                      created_at=now)
    session.add(stored)
    session.flush()
    return stored


def archive_closed_cases(engine: Engine, store: FileStore, *, office: Office,
                         now: Callable[[], datetime], limit: int = 20) -> int:
    """Store the case file of every closed case that has none yet (each in its own
    transaction); how many were stored."""
    with engine.db.reading() as session:
        due = list(session.scalars(
            select(Case.id).where(Case.state == "closed",
                                  ~Case.id.in_(select(CaseFile.case_id)))
            .order_by(Case.id).limit(limit)))
    for case_id in due:
        with engine.transaction() as session:
            case = session.get(Case, case_id)
            if case is not None:
                archive_case(session, engine, store, case, office=office, now=now())
    return len(due)


def stored_file(session: Session, case_id: int) -> CaseFile | None:
    """The case file stored when the case was archived, if it was."""
    return session.scalar(select(CaseFile).where(CaseFile.case_id == case_id))


def audit_csv(session: Session, engine: Engine, case: Case) -> str:
    """Everything done on the case, oldest first: the process's audit trail, materials added
    and withdrawn, signatures and messages with their delivery results."""
    rows: list[tuple[datetime, str, str, str, str]] = []
    if case.instance_id is not None:
        for event in engine.audit_trail(session, case.instance_id):
            rows.append((aware(event.at), event.actor, event.action,
                         event.element_name or event.element_id or "", event.detail or ""))
    for material in case_materials(session, case.id, withdrawn=True):
        rows.extend(_material_rows(material))
    for signature in _signatures(session, case.id):
        rows.append((aware(signature.signed_at), signature.recorded_by, "agreement_signed",
                     signature.party_name,
                     f"{METHOD_NAMES.get(signature.method, signature.method)}"
                     f"{'，' + signature.confirmed_by + '确认' if signature.confirmed_by else ''}"
                     f"；SHA-256 {signature.document_sha256}"))
    for notice in case_notices(session, case.id):
        rows.extend(_notice_rows(notice))
    rows.sort(key=lambda r: r[0])
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["时间", "操作人", "操作", "对象", "说明"])
    for at, actor, action, target, detail in rows:
        writer.writerow([_time(at), actor, action, target, detail])
    return "\ufeff" + output.getvalue()  # a BOM, so spreadsheet programs read it as UTF-8


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """Usernames -> display names (of those that exist)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    return {u: d for u, d in session.execute(
        select(Person.username, Person.display_name).where(Person.username.in_(wanted)))}


def _usernames(session: Session, case: Case) -> set[str]:
    return {s.confirmed_by or "" for s in _signatures(session, case.id)}


def _signatures(session: Session, case_id: int) -> list[Signature]:
    return list(session.scalars(select(Signature).where(Signature.case_id == case_id)
                                .order_by(Signature.signed_at, Signature.id)))


def _material_rows(material: Material) -> list[tuple[datetime, str, str, str, str]]:
    rows = [(aware(material.added_at), material.added_by, "material_added", material.filename,
             f"{material.media_type}，{material.size} 字节，SHA-256 {material.sha256}")]
    if material.withdrawn_at is not None:
        rows.append((aware(material.withdrawn_at), material.withdrawn_by or "",
                     "material_withdrawn", material.filename, material.withdrawal_reason or ""))
    return rows


def _notice_rows(notice: Notice) -> list[tuple[datetime, str, str, str, str]]:
    status = STATUS_NAMES.get(notice.status, notice.status)
    detail = f"{status}{'：' + notice.result if notice.result else ''}"
    when = aware(notice.delivered_at or notice.created_at)
    return [(when, notice.handled_by or "system", f"notice_{notice.event}", notice.recipient,
             detail)]


def _index_text(case: Case, index: list[tuple[str, str, str]], now: datetime) -> str:
    lines = [f"案卷目录　{case.case_no}", f"生成时间：{_time(now)}", ""]
    for number, (path, title, note) in enumerate(index, start=1):
        lines.append(f"{number:3d}. {title}　{path}{'　' + note if note else ''}")
    return "\n".join(lines) + "\n"


def _time(value: datetime) -> str:
    return aware(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
