"""Settings read from the environment, with defaults that run on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where the data lives and how to reach it."""

    database_url: str
    instance_path: Path
    # Where case materials and documents are kept (``TIAOJIE_FILES``); share it between the web
    # processes and workers when scaling out.  Default: ``files`` in the instance folder.
    files_path: Path | None = None

    @property
    def files_folder(self) -> Path:
        """The folder of the file store."""
        return self.files_path or self.instance_path / "files"

    @classmethod
    def from_env(cls, *, database_url: str | None = None) -> Settings:
        """Read ``DATABASE_URL``, ``TIAOJIE_INSTANCE`` and ``TIAOJIE_FILES``; default to SQLite
        and files in ./instance."""
        instance = Path(os.environ.get("TIAOJIE_INSTANCE", PROJECT_ROOT / "instance")).resolve()
        url = database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'tiaojie.db'}"
        files = os.environ.get("TIAOJIE_FILES")
        return cls(database_url=normalise_url(url), instance_path=instance,
                   files_path=Path(files).resolve() if files else None)

    @property
    def safe_database_url(self) -> str:
        """The database URL with any password hidden, for messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
