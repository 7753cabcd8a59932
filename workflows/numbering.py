"""Case numbers: configurable formats, one gap-free sequence per kind and year.

A people's mediation case reads like ``(2026)渝荣调字第00123号``; court numbers follow the court's
own pattern: pre-litigation mediation ``(2026)渝0151民诉前调123号``, its confirmation
``(2026)渝0151民诉前调确123号``, judicial confirmation (special procedure) ``(2026)渝0151民特45号``.
Offices configure their own prefixes; ``{year}`` and ``{seq}`` (a format spec is allowed:
``{seq:05d}``) are filled in.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.models import CaseNumberSequence

DEFAULT_FORMATS: Mapping[str, str] = {
    "people_mediation": "({year})渝荣调字第{seq:05d}号",
    "pre_litigation": "({year})渝0151民诉前调{seq}号",
    "pre_litigation_confirmation": "({year})渝0151民诉前调确{seq}号",
    "judicial_confirmation": "({year})渝0151民特{seq}号",
}

_SEQUENCES = CaseNumberSequence.__table__


def check_format(pattern: str) -> None:
    """Raise ValueError naming the problem if ``pattern`` is not a usable case-number format."""
    try:
        sample = pattern.format(year=2026, seq=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"case-number format {pattern!r} is not valid: use {{year}} and {{seq}} only ({exc})"
        ) from exc
    if "{seq" not in pattern:
        raise ValueError(f"case-number format {pattern!r} must contain {{seq}}")
    if not sample.strip():
        raise ValueError("case-number format is empty")


def next_case_number(
    session: Session, kind: str, *, year: int, formats: Mapping[str, str] = DEFAULT_FORMATS
) -> str:
    """Take the next number of ``kind`` for ``year``; concurrent callers never share one."""
    if kind not in formats:
        raise ValueError(f"no case-number format for '{kind}'; known: {', '.join(formats)}")
    serial = _increment(session, kind, year)
    return formats[kind].format(year=year, seq=serial)


def _increment(session: Session, kind: str, year: int) -> int:
    bump = (
        update(_SEQUENCES)
        .where(_SEQUENCES.c.kind == kind, _SEQUENCES.c.year == year)
        .values(last=_SEQUENCES.c.last + 1)
        .returning(_SEQUENCES.c.last)
    )
    serial = session.execute(bump).scalar()
    if serial is not None:
        return int(serial)
    try:
        with session.begin_nested():
            session.execute(insert(_SEQUENCES).values(kind=kind, year=year, last=1))
        return 1
    except IntegrityError:
        # Someone created this year's sequence a moment ago: take the next number from it.
        return int(session.execute(bump).scalar_one())


def current_serial(session: Session, kind: str, year: int) -> int:
    """The last number taken for ``kind`` in ``year`` (0 if none)."""
    found = session.scalar(
        select(_SEQUENCES.c.last).where(_SEQUENCES.c.kind == kind, _SEQUENCES.c.year == year)
    )
    return int(found or 0)
