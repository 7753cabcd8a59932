"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

The schema is built once per backend by running the real Alembic migrations; each test then gets
a fresh copy (SQLite: a copy of the migrated file; PostgreSQL: the tables emptied afterwards).
Set ``TEST_DATABASE_URL`` to a PostgreSQL URL to run every database test on both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.database import Database
from web.composition import upgrade
from web.settings import normalise_url

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session", params=BACKENDS)
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database URL (or SQLite template file) with every migration applied."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("schema") / "template.db"
        database = Database(f"sqlite:///{template}")
        upgrade(database)
        database.dispose()
        return str(template)
    url = normalise_url(PG_URL or "")
    database = Database(url)
    with database.sa_engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(database)
    database.dispose()
    return url


@pytest.fixture
def db(migrated: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database for one test."""
    if migrated.startswith("postgresql"):
        database = Database(migrated)
        try:
            yield database
        finally:
            _empty_postgres(database)
            database.dispose()
        return
    copy = tmp_path / "test.db"
    shutil.copyfile(migrated, copy)
    database = Database(f"sqlite:///{copy}")
    try:
        yield database
    finally:
        database.dispose()


def _empty_postgres(database: Database) -> None:
    with database.sa_engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars().all()
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
