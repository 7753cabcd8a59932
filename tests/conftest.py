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
from sqlalchemy.engine import make_url

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
    # Each test session works in a schema of its own, so that several sessions (a developer's and
    # CI's, or parallel runs) can share one PostgreSQL database without dropping each other's data.
    schema = f"tiaojie_test_{os.getpid()}"
    base = normalise_url(PG_URL or "")
    admin = Database(base)
    with admin.sa_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = _with_search_path(base, schema)
    database = Database(url)
    upgrade(database)
    database.dispose()
    request.addfinalizer(lambda: _drop_schema(admin, schema))
    return url


@pytest.fixture
def db(migrated: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database for one test."""
    if migrated.startswith("postgresql"):
        database = Database(migrated)
        try:
            yield database
        finally:
            empty_postgres(database)
            database.dispose()
        return
    copy = tmp_path / "test.db"
    shutil.copyfile(migrated, copy)
    database = Database(f"sqlite:///{copy}")
    try:
        yield database
    finally:
        database.dispose()


def empty_postgres(database: Database) -> None:
    """Empty every table of the test session's schema but the migration record."""
    with database.sa_engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars().all()
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def _with_search_path(url: str, schema: str) -> str:
    """The URL with libpq told to work in ``schema`` (kept when the URL is passed to a subprocess)."""
    return str(
        make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


def _drop_schema(admin: Database, schema: str) -> None:
    with admin.sa_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()
