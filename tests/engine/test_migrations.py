"""The Alembic migrations build exactly the schema the models describe, and can be undone.

The ``db`` fixture's database was made by the real ``upgrade`` (the engine's branch plus the
application's), on SQLite and, with ``TEST_DATABASE_URL``, on PostgreSQL.  Autogenerate's
comparison against the models must find nothing: a model changed without a migration (or a
migration that drifted from its model) shows up here as a difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect

from engine.database import Database
from engine.models import Base as EngineBase
from web.composition import DOMAIN_MIGRATIONS, schema_problem, upgrade
from workflows.models import Base as DomainBase

# The options env.py migrates with, plus server defaults.
COMPARE_OPTS = {"compare_type": True, "compare_server_default": True}


def differences(
    database: Database, metadata: MetaData | Sequence[MetaData], *, only: MetaData | None = None
) -> list[Any]:
    """What autogenerate would change to make the database match ``metadata``.

    ``only``: compare just the tables of that metadata (the others belong to another branch).
    """
    opts: dict[str, Any] = dict(COMPARE_OPTS)
    if only is not None:
        tables = set(only.tables)

        def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
            return type_ != "table" or name in tables

        opts["include_name"] = include_name
    with database.sa_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, metadata))  # type: ignore[arg-type]


def test_migrated_engine_tables_match_the_engine_models(db: Database) -> None:
    assert differences(db, EngineBase.metadata, only=EngineBase.metadata) == []


def test_migrated_database_matches_all_models_and_holds_nothing_else(db: Database) -> None:
    assert differences(db, [EngineBase.metadata, DomainBase.metadata]) == []
    assert schema_problem(db) is None


@pytest.mark.parametrize("branches", ["engine", "engine+domain"])
def test_downgrade_to_base_then_upgrade_to_heads_on_a_fresh_sqlite_file(
    tmp_path: Path, branches: str
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        if branches == "engine":
            config = database.alembic_config()
            metadata: list[MetaData] = [EngineBase.metadata]
            database.upgrade()
        else:
            config = database.alembic_config([DOMAIN_MIGRATIONS], [DomainBase.metadata])
            metadata = [EngineBase.metadata, DomainBase.metadata]
            upgrade(database)
        assert differences(database, metadata) == []
        script = ScriptDirectory.from_config(config)
        heads = set(script.get_heads())
        assert {r.revision for r in script.get_revisions("engine@head")} <= heads

        command.downgrade(config, "base")
        assert set(inspect(database.sa_engine).get_table_names()) <= {"alembic_version"}
        with database.sa_engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == ()

        command.upgrade(config, "heads")
        assert differences(database, metadata) == []
        if branches == "engine+domain":
            assert schema_problem(database) is None
        else:
            assert schema_problem(database) == (
                "is not up to date; run `tiaojie db upgrade` first")
    finally:
        database.dispose()
