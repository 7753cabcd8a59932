"""Fixtures for the web tests: an app on a populated database, and clients that log in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.database import Database
from engine.runtime import Engine
from tests.conftest import empty_postgres
from tests.web.world import World, login, make_app, populate
from web.composition import build_engine


@pytest.fixture
def engine(db: Database) -> Engine:
    """The engine on the test's database."""
    return build_engine(db)


@pytest.fixture
def world(engine: Engine) -> World:
    """An administrator and a mediator, the district tree, the triage process and instances."""
    return populate(engine, roles=("admin", "mediator"))


@pytest.fixture
def app(engine: Engine, world: World, tmp_path: Path) -> Flask:
    """The application, testing mode, CSRF on."""
    return make_app(engine, tmp_path / "instance")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An anonymous browser."""
    return app.test_client()


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    """A browser logged in as the administrator."""
    browser = app.test_client()
    assert login(browser, "admin").status_code == 302
    return browser


@pytest.fixture(scope="module")
def module_db(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated database shared by one module's tests (people are slow to create: Argon2)."""
    if migrated.startswith("postgresql"):
        database = Database(migrated)
        try:
            yield database
        finally:
            empty_postgres(database)
            database.dispose()
        return
    copy = tmp_path_factory.mktemp("module-db") / "test.db"
    shutil.copyfile(migrated, copy)
    database = Database(f"sqlite:///{copy}")
    try:
        yield database
    finally:
        database.dispose()

