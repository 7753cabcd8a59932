"""Templates of the office's documents and messages: data the administrator may replace.

The packaged templates live in the project's ``documents/`` folder (HTML for documents, plain
text under ``messages/`` for text messages).  An administrator's replacement is stored in the
database (so every web process and worker sees it at once) and wins over the packaged file until
it is reset.  Templates are Jinja, run in a sandbox: a replaced template reads the record it is
given and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import FunctionLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import DocumentTemplate

PACKAGED = Path(__file__).resolve().parent.parent / "documents"
SUFFIXES = (".html", ".css", ".txt")
TEMPLATE_LIMIT = 200_000  # characters


class TemplateRefused(ValueError):
    """A replacement template cannot be used; ``code`` and ``params`` say why."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True)
class TemplateInfo:
    """A template as the administrator's page lists it."""

    name: str
    replaced: bool
    updated_at: datetime | None
    updated_by: str | None


def packaged_names(folder: Path = PACKAGED) -> list[str]:
    """Every packaged template, by its name relative to the folder (``messages/…`` included)."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES
    )


def packaged_text(name: str, folder: Path = PACKAGED) -> str:
    """The packaged content of template ``name`` (KeyError for an unknown name)."""
    if name not in packaged_names(folder):
        raise KeyError(name)
    return (folder / name).read_text(encoding="utf-8")


def templates_info(session: Session, folder: Path = PACKAGED) -> list[TemplateInfo]:
    """Every template and whether it is replaced."""
    rows = {t.name: t for t in session.scalars(select(DocumentTemplate))}
    return [
        TemplateInfo(name, name in rows, rows[name].updated_at if name in rows else None,
                     rows[name].updated_by if name in rows else None)
        for name in packaged_names(folder)
    ]


def template_text(session: Session, name: str, folder: Path = PACKAGED) -> str:
    """The template in force: the replacement if there is one, else the packaged file."""
    row = session.get(DocumentTemplate, name)
    return row.content if row is not None else packaged_text(name, folder)


def replace_template(
    session: Session, name: str, content: str, *, actor: str, now: datetime,
    folder: Path = PACKAGED,
) -> None:
    """Store a replacement for ``name``, after checking that it compiles."""
    if name not in packaged_names(folder):
        raise TemplateRefused("unknown", name=name)
    if len(content) > TEMPLATE_LIMIT:
        raise TemplateRefused("too_long", name=name, limit=TEMPLATE_LIMIT)
    if name.endswith((".html", ".txt")):
        try:
            environment({}, folder).parse(content)
        except TemplateError as exc:
            raise TemplateRefused("syntax", name=name,
                                  line=getattr(exc, "lineno", None), message=str(exc)) from exc
    row = session.get(DocumentTemplate, name)
    if row is None:
        session.add(DocumentTemplate(name=name, content=content, updated_at=now,
                                     updated_by=actor))
    else:
        row.content, row.updated_at, row.updated_by = content, now, actor


def reset_template(session: Session, name: str) -> bool:
    """Go back to the packaged template; whether a replacement was removed."""
    row = session.get(DocumentTemplate, name)
    if row is None:
        return False
    session.delete(row)
    return True


def environment(overrides: Mapping[str, str], folder: Path = PACKAGED
                ) -> ImmutableSandboxedEnvironment:
    """A sandboxed Jinja environment reading ``overrides`` first, then the packaged files."""
    known = set(packaged_names(folder))

    def load(name: str) -> str | None:
        if name in overrides:
            return overrides[name]
        return (folder / name).read_text(encoding="utf-8") if name in known else None

    return ImmutableSandboxedEnvironment(
        loader=FunctionLoader(load),
        autoescape=lambda name: bool(name and name.endswith(".html")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(session: Session, name: str, context: Mapping[str, Any],
           folder: Path = PACKAGED) -> str:
    """Render template ``name`` (with the administrator's replacements) with ``context``."""
    overrides = {t.name: t.content for t in session.scalars(select(DocumentTemplate))}
    return environment(overrides, folder).get_template(name).render(**context)
