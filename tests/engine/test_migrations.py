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
from sqlalchemy import MetaData, inspect, text

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


def test_open_tasks_of_a_shared_party_queue_go_to_the_units_mediators(tmp_path: Path) -> None:
    """Parties no longer share a unit's queue: upgrading moves the open tasks still waiting in one
    to the mediators of that unit, and leaves finished tasks as they were."""
    database = Database(f"sqlite:///{tmp_path / 'before.db'}")
    try:
        config = database.alembic_config([DOMAIN_MIGRATIONS], [DomainBase.metadata])
        command.upgrade(config, "w0001")
        rows = [(1, "ready", "party:T01-V1-G1"), (2, "completed", "party:T01-V1-G1"),
                (3, "ready", "mediator:T01-V1-G1")]
        with database.sa_engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO engine_deployment (id, content_hash, created_at, created_by, note) "
                "VALUES (1, 'h', '2026-03-02 01:00:00', 't', '')"))
            connection.execute(text(
                "INSERT INTO engine_process_definition (id, process_id, version, name, "
                "content_hash, deployment_id, created_at, specs, forms, source_files) VALUES "
                "(1, 'p', 1, 'p', 'h', 1, '2026-03-02 01:00:00', '{}', '{}', '{}')"))
            connection.execute(text(
                "INSERT INTO engine_instance (id, definition_id, process_id, status, state, "
                "lock_version, task_count, created_at, created_by, updated_at) VALUES "
                "(1, 1, 'p', 'running', '{}', 1, 0, '2026-03-02 01:00:00', 't', "
                "'2026-03-02 01:00:00')"))
            for task_id, state, group in rows:
                connection.execute(text(
                    "INSERT INTO engine_human_task (id, instance_id, task_guid, element_id, name, "
                    "candidate_group, state, priority, created_at) VALUES (:id, 1, :guid, 'sign', "
                    "'sign', :group, :state, 0, '2026-03-02 01:00:00')"),
                    {"id": task_id, "guid": f"guid-{task_id}", "group": group, "state": state})
        command.upgrade(config, "heads")
        with database.sa_engine.connect() as connection:
            groups = dict(connection.execute(text(
                "SELECT id, candidate_group FROM engine_human_task ORDER BY id")).all())
        assert groups == {1: "mediator:T01-V1-G1", 2: "party:T01-V1-G1", 3: "mediator:T01-V1-G1"}
    finally:
        database.dispose()
