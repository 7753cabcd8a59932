"""Connecting to the database and bringing its schema up to date.

SQLite (a file under the instance folder) is the embedded default; a ``postgresql+psycopg://`` URL
selects PostgreSQL for several web processes and timer workers.  The schema is owned by Alembic
migrations: the engine's own branch lives beside this module, and an application adds its branch
by passing more version locations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine as SAEngine
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class Database:
    """An SQLAlchemy engine plus a session factory, configured for SQLite or PostgreSQL."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.sa_engine: SAEngine = _create_engine(url, echo=echo)
        self.sessions = sessionmaker(self.sa_engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.sa_engine.execution_options(tiaojie_read_only=True), expire_on_commit=False
        )

    @property
    def is_postgres(self) -> bool:
        """Whether the database is PostgreSQL (row locks and SKIP LOCKED are available)."""
        return self.sa_engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Open a session, commit it when the block succeeds and roll it back when it fails."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Open a session for reads only; on SQLite it does not queue behind writers."""
        with self._read_sessions() as session, session.begin():
            yield session
            session.rollback()

    def upgrade(
        self,
        *,
        version_locations: Sequence[Path] = (),
        metadata: Iterable[MetaData] = (),
    ) -> None:
        """Apply every migration not yet applied (all branches)."""
        command.upgrade(self.alembic_config(version_locations, metadata), "heads")

    def alembic_config(
        self, version_locations: Sequence[Path] = (), metadata: Iterable[MetaData] = ()
    ) -> Config:
        """Alembic's configuration for this database, engine branch first."""
        from engine.models import Base

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        locations = [MIGRATIONS_DIR / "versions", *version_locations]
        config.set_main_option("version_locations", " ".join(str(p) for p in locations))
        config.set_main_option("path_separator", "space")
        config.attributes["connectable"] = self.sa_engine
        config.attributes["metadata"] = [Base.metadata, *metadata]
        return config

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.sa_engine.dispose()


def _create_engine(url: str, *, echo: bool) -> SAEngine:
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    # pysqlite defers BEGIN on its own; take control.  A writing transaction takes the write lock
    # up front (IMMEDIATE), so two steps on one instance queue instead of failing on lock upgrade.
    raw = conn.connection.dbapi_connection
    raw.execute("BEGIN" if conn.get_execution_options().get("tiaojie_read_only") else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
