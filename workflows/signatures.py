"""Signing the mediation agreement (人民调解法 art 29; 在线调解规则 art 19).

A party signs either on a phone, drawing on a signature pad (an electronic signature: the image is
kept), or on paper in the mediation room, which the mediator records and thereby confirms.  Each
signature keeps the signer, the time, who recorded it and the SHA-256 of the exact document signed
(the agreement printed without signatures, whose bytes are kept in the file store), together with
a fingerprint of the agreement's content.  When the content changes after a party signed, that
signature no longer counts: the party must sign the new text, and the mediator cannot sign and
seal until every party has.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.dates import chinese_time
from workflows.models import Case, Party, Signature
from workflows.storage import FileStore

# How a party signs, as the signing form codes it: on the pad, or on paper before the mediator.
ELECTRONIC = "e_signature"
IN_PERSON = ("signature", "seal", "fingerprint")
REFUSED = "refused"
METHOD_NAMES = {"e_signature": "电子签名", "signature": "当面签名", "seal": "盖章",
                "fingerprint": "按指印"}
# The agreement's content: what a signature is a signature of.
CONTENT_KEYS = ("agreement_form", "facts", "issues", "responsibilities", "terms",
                "performance_manner", "performance_place", "performance_deadline",
                "performed_on_spot", "amount_agreed")
IMAGE_LIMIT = 512 * 1024
MAX_SIDE = 2000


class SignatureRefused(ValueError):
    """A signature cannot be recorded (or the mediator cannot sign yet); ``code`` and
    ``params`` say why."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True)
class PartySignature:
    """Where one party stands with the agreement in force now."""

    party_id: int
    party_name: str
    role: str
    signature: Signature | None
    stale: bool  # signed, but the agreement changed since

    @property
    def signed(self) -> bool:
        """Whether the party's signature counts for the current text."""
        return self.signature is not None and not self.stale


def content_fingerprint(case: Case, data: Mapping[str, Any]) -> str:
    """SHA-256 of the agreement's content: its terms, the case number and the parties."""
    content = {
        "case_no": case.case_no,
        "parties": [[p.role, p.name, p.id_number or ""] for p in case.parties],
        **{key: data.get(key) for key in CONTENT_KEYS},
    }
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def clean_signature_image(content: bytes) -> bytes:
    """The drawn signature as a PNG without metadata; SignatureRefused when it is not one."""
    if not content:
        raise SignatureRefused("no_image")
    if len(content) > IMAGE_LIMIT:
        raise SignatureRefused("image_too_large", limit=IMAGE_LIMIT)
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != "PNG" or image.width > MAX_SIDE or image.height > MAX_SIDE:
                raise SignatureRefused("not_an_image")
            image.load()
            drawn = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SignatureRefused("not_an_image") from exc
    if drawn.getchannel("A").getbbox() is None:
        raise SignatureRefused("blank")
    output = io.BytesIO()
    drawn.save(output, "PNG", optimize=True)
    return output.getvalue()


def record_signature(
    session: Session,
    store: FileStore,
    case: Case,
    data: Mapping[str, Any],
    *,
    party_id: int,
    method: str,
    image: bytes | None,
    document: bytes,
    actor: str,
    confirmed_by: str | None,
    now: datetime,
) -> Signature:
    """Record that the party ``party_id`` signed the agreement text ``document`` (its PDF).

    An electronic signature needs the drawn image; a signature on paper, a seal or a fingerprint
    needs the mediator who saw it (``confirmed_by``).
    """
    party = _party(case, party_id)
    if method == ELECTRONIC:
        if image is None:
            raise SignatureRefused("no_image")
        image_digest: str | None = store.put(clean_signature_image(image))
    elif method in IN_PERSON:
        if not confirmed_by:
            raise SignatureRefused("needs_mediator")
        image_digest = None
    else:
        raise SignatureRefused("unknown_method", method=method)
    document_digest = store.put(document)
    signature = Signature(
        case_id=case.id, party_id=party.id, party_name=party.name, method=method,
        image_sha256=image_digest, document_sha256=document_digest,
        content_sha256=content_fingerprint(case, data), signed_at=now, recorded_by=actor,
        confirmed_by=confirmed_by,
    )
    session.add(signature)
    session.flush()
    return signature


def party_signatures(session: Session, case: Case, data: Mapping[str, Any]
                     ) -> list[PartySignature]:
    """Each party's latest signature, and whether the agreement changed since."""
    current = content_fingerprint(case, data)
    latest: dict[int | None, Signature] = {}
    for signature in session.scalars(select(Signature).where(Signature.case_id == case.id)
                                     .order_by(Signature.signed_at, Signature.id)):
        latest[signature.party_id] = signature
    found = []
    for party in case.parties:
        if party.role == "agent":
            continue
        signature = latest.get(party.id)
        found.append(PartySignature(party.id, party.name, party.role, signature,
                                    signature is not None
                                    and signature.content_sha256 != current))
    return found


def to_sign_again(session: Session, case: Case, data: Mapping[str, Any]) -> list[str]:
    """The parties who signed an earlier text of the agreement."""
    return [p.party_name for p in party_signatures(session, case, data) if p.stale]


def check_mediator_may_sign(session: Session, case: Case, data: Mapping[str, Any]) -> None:
    """The mediator signs and seals only an agreement every party signed as it stands."""
    stale = to_sign_again(session, case, data)
    if stale:
        raise SignatureRefused("sign_again", parties="、".join(stale))


def signature_blocks(
    session: Session, store: FileStore, case: Case, data: Mapping[str, Any],
    *, names: Mapping[str, str], data_url: Any,
) -> list[dict[str, Any]]:
    """The signature lines of the agreement as its template draws them."""
    blocks = []
    role_names = {"applicant": "申请人", "respondent": "被申请人"}
    for item in party_signatures(session, case, data):
        signature = item.signature
        image = None
        if item.signed and signature is not None and signature.image_sha256:
            image = data_url("image/png", store.read(signature.image_sha256))
        blocks.append({
            "name": item.party_name,
            "role": role_names.get(item.role, item.role),
            "signed": item.signed,
            "stale": item.stale,
            "image": image,
            "method": METHOD_NAMES.get(signature.method, signature.method) if signature else "",
            "at": chinese_time(signature.signed_at) if signature else "",
            "confirmed_by": names.get(signature.confirmed_by or "", signature.confirmed_by or "")
            if signature else "",
            "document_sha256": signature.document_sha256 if signature else "",
        })
    return blocks


def _party(case: Case, party_id: int) -> Party:
    # By id: two parties may share a name, and each signs only for themselves.
    for party in case.parties:
        if party.id == party_id and party.role != "agent":
            return party
    raise SignatureRefused("unknown_party", party=party_id)
