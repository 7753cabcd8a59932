"""Case materials: photos, scans, PDFs and recordings added to a case.

What a file is comes from its content, never from its name: the first bytes say which kind it
claims to be, and then the whole file must open as that kind (an image decodes, a PDF has pages).
Photos are decoded and saved again without their EXIF block (where and with which phone they were
taken), turned upright first; each gets a small JPEG thumbnail.  The bytes go to the file store
under their SHA-256; the row keeps who added what and when.  A withdrawn material keeps its row
(who withdrew it, when and why) and is left out of the list.

Refusals are :class:`MaterialRefused` with a code and parameters, for the page to put in words.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.models import Case, Material
from workflows.storage import FileStore

# Detected media type -> (kind, file extension).
ACCEPTED: dict[str, tuple[str, str]] = {
    "image/jpeg": ("photo", ".jpg"),
    "image/png": ("photo", ".png"),
    "image/webp": ("photo", ".webp"),
    "application/pdf": ("document", ".pdf"),
    "audio/mpeg": ("audio", ".mp3"),
    "audio/mp4": ("audio", ".m4a"),
    "audio/aac": ("audio", ".aac"),
    "audio/amr": ("audio", ".amr"),
    "audio/ogg": ("audio", ".ogg"),
    "audio/x-wav": ("audio", ".wav"),
}
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; larger images are refused before decoding
FILENAME_LIMIT = 120
REASON_LIMIT = 300


@dataclass(frozen=True)
class MaterialRules:
    """How big and how many (office settings ``materials``)."""

    max_bytes: int = 10 * 1024 * 1024
    max_per_case: int = 60
    max_per_upload: int = 6


class MaterialRefused(ValueError):
    """A file was not accepted; ``code`` says why, ``params`` fill the message."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True)
class Inspected:
    """A file as it will be stored."""

    content: bytes
    media_type: str
    kind: str
    filename: str
    thumbnail: bytes | None


def inspect(content: bytes, filename: str, *, rules: MaterialRules) -> Inspected:
    """Check a file by its content and clean it (photos lose their EXIF data); MaterialRefused."""
    name = clean_filename(filename)
    if not content:
        raise MaterialRefused("empty", filename=name)
    if len(content) > rules.max_bytes:
        raise MaterialRefused("too_large", filename=name, limit=rules.max_bytes)
    guessed = filetype.guess(content)
    media_type = guessed.mime if guessed is not None else None
    if media_type not in ACCEPTED:
        raise MaterialRefused("unknown_type", filename=name)
    kind, extension = ACCEPTED[media_type]
    thumbnail = None
    if kind == "photo":
        content, thumbnail = _clean_photo(content, media_type, name)
    elif kind == "document":
        _check_pdf(content, name)
    return Inspected(content, media_type, kind, _with_extension(name, extension), thumbnail)


def add_material(
    session: Session,
    store: FileStore,
    case: Case,
    *,
    filename: str,
    content: bytes,
    actor: str,
    now: datetime,
    rules: MaterialRules,
) -> Material:
    """Check, clean and store a file, and record it on ``case``."""
    inspected = inspect(content, filename, rules=rules)
    if case.id is not None and count_materials(session, case.id) >= rules.max_per_case:
        raise MaterialRefused("too_many", filename=inspected.filename, limit=rules.max_per_case)
    digest = store.put(inspected.content)
    thumbnail = store.put(inspected.thumbnail) if inspected.thumbnail is not None else None
    material = Material(
        case_id=case.id, sha256=digest, media_type=inspected.media_type, kind=inspected.kind,
        filename=inspected.filename, size=len(inspected.content), thumbnail_sha256=thumbnail,
        added_by=actor, added_at=now,
    )
    session.add(material)
    session.flush()
    return material


def add_materials(
    session: Session,
    store: FileStore,
    case: Case,
    files: Sequence[tuple[str, bytes]],
    *,
    actor: str,
    now: datetime,
    rules: MaterialRules,
) -> list[Material]:
    """Add several files sent at once (all or none: the first refusal stops the lot)."""
    if len(files) > rules.max_per_upload:
        raise MaterialRefused("too_many_at_once", limit=rules.max_per_upload)
    return [add_material(session, store, case, filename=name, content=content, actor=actor,
                         now=now, rules=rules) for name, content in files]


def check_files(files: Sequence[tuple[str, bytes]], *, rules: MaterialRules) -> None:
    """Refuse files before anything is recorded (a report is not filed with a bad photo)."""
    if len(files) > rules.max_per_upload:
        raise MaterialRefused("too_many_at_once", limit=rules.max_per_upload)
    for name, content in files:
        inspect(content, name, rules=rules)


def withdraw_material(
    material: Material, *, actor: str, reason: str, now: datetime
) -> Material:
    """Take a material off the case's list; its record and bytes stay."""
    if material.withdrawn_at is not None:
        raise MaterialRefused("already_withdrawn", filename=material.filename)
    reason = reason.strip()[:REASON_LIMIT]
    if not reason:
        raise MaterialRefused("reason_needed", filename=material.filename)
    material.withdrawn_at, material.withdrawn_by, material.withdrawal_reason = now, actor, reason
    return material


def case_materials(session: Session, case_id: int, *, withdrawn: bool = False) -> list[Material]:
    """The case's materials, oldest first (the withdrawn ones too when asked)."""
    query = select(Material).where(Material.case_id == case_id)
    if not withdrawn:
        query = query.where(Material.withdrawn_at.is_(None))
    return list(session.scalars(query.order_by(Material.added_at, Material.id)))


def count_materials(session: Session, case_id: int) -> int:
    """How many materials the case lists (withdrawn ones do not count)."""
    return session.scalar(
        select(func.count(Material.id)).where(Material.case_id == case_id,
                                              Material.withdrawn_at.is_(None))
    ) or 0


def clean_filename(filename: str) -> str:
    """The last part of a file name, without control characters or path separators."""
    base = PurePath(filename.replace("\\", "/")).name
    base = "".join(c for c in unicodedata.normalize("NFC", base)
                   if unicodedata.category(c)[0] != "C")
    base = re.sub(r"[\"<>:|?*/]", "_", base).strip(" .")
    return base[-FILENAME_LIMIT:] or "file"


def _with_extension(name: str, extension: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or 'file'}{extension}"


def _clean_photo(content: bytes, media_type: str, name: str) -> tuple[bytes, bytes]:
    """The photo saved again upright and without metadata, and its thumbnail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise MaterialRefused("too_many_pixels", filename=name)
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                icc = image.info.get("icc_profile")
    except MaterialRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MaterialRefused("damaged", filename=name) from exc
    output = io.BytesIO()
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if media_type == "image/jpeg":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        options.update(quality=90, optimize=True)
    upright.save(output, _PILLOW_FORMATS[media_type], **options)
    return output.getvalue(), _thumbnail(upright)


def _thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail(THUMBNAIL_SIZE)
    if small.mode != "RGB":
        background = Image.new("RGB", small.size, "white")
        rgba = small.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        small = background
    output = io.BytesIO()
    small.save(output, "JPEG", quality=80)
    return output.getvalue()


def _check_pdf(content: bytes, name: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns about files it can still read
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted:
                raise MaterialRefused("encrypted", filename=name)
            if len(reader.pages) < 1:
                raise MaterialRefused("damaged", filename=name)
    except MaterialRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise MaterialRefused("damaged", filename=name) from exc
