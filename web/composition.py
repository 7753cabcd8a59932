"""Where the parts are put together: the database, the engine and its configuration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.database import Database
from engine.clock import Clock, system_clock
from engine.runtime import Engine, EngineConfig
from workflows.configuration import OfficeSettings
from workflows.deadlines import HolidayCalendar
from web.settings import PROJECT_ROOT, Settings

BPMN_DIR = PROJECT_ROOT / "bpmn"
DOMAIN_MIGRATIONS = PROJECT_ROOT / "workflows" / "migrations" / "versions"


def open_database(settings: Settings) -> Database:
    """Connect to the configured database."""
    return Database(settings.database_url)


def upgrade(database: Database) -> None:
    """Bring the schema up to date (every migration branch: the engine's and the domain's)."""
    from workflows import models

    database.upgrade(version_locations=[DOMAIN_MIGRATIONS], metadata=[models.Base.metadata])


UPGRADE_HINT = "run `tiaojie db upgrade` first"


def schema_problem(database: Database) -> str | None:
    """Why the schema is not the one :func:`upgrade` makes (None when it is), in plain words."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    script = ScriptDirectory.from_config(database.alembic_config([DOMAIN_MIGRATIONS]))
    with database.sa_engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    if not current:
        return f"has no tiaojie tables; {UPGRADE_HINT}"
    try:  # applied: the current revisions and everything they were built on (dependencies too)
        applied = {r.revision for r in script.iterate_revisions(current, "base")}
    except RevisionError:
        return f"was migrated by another version of tiaojie (revision {', '.join(current)})"
    return None if set(script.get_heads()) <= applied else f"is not up to date; {UPGRADE_HINT}"


def build_engine(
    database: Database,
    config: EngineConfig | None = None,
    *,
    clock: Clock = system_clock,
    settings: OfficeSettings | None = None,
) -> Engine:
    """The engine as the mediation office runs it (unless a config is given).

    Diagrams count legal periods with the holiday calendar in force (the packaged schedules plus
    imported years, re-read every half minute) and every step keeps its case record in step.
    """
    if config is not None:
        return Engine(database, config)
    from workflows.cases import follow_up_case, sync_case
    from workflows.configuration import engine_config

    # The office's overrides live beside its data (instance/office.json), read once at start.
    office = settings or OfficeSettings.load(Settings.from_env().instance_path / "office.json")
    from workflows.holidays import CalendarCache, load_calendar

    def read_calendar() -> HolidayCalendar:
        with database.reading() as session:
            return load_calendar(session)

    def after_step(session: Any, view: Any) -> None:
        sync_case(session, view, now=clock(), formats=office.case_number_formats)
        follow_up_case(session, engine, view, settings=office, now=clock())

    engine = Engine(
        database,
        engine_config(
            clock=clock, calendar=CalendarCache(read_calendar, ttl=30.0), after_step=after_step,
        ),
    )
    return engine


def trial_run(
    paths: Sequence[Path], *, data: dict[str, Any], process_id: str | None, folder: Path
) -> dict[str, Any]:
    """Deploy files into a throwaway database, start a process and describe where it waits."""
    from engine.definitions import read_paths

    database = Database(f"sqlite:///{folder / 'try.db'}")
    try:
        upgrade(database)
        engine = build_engine(database)
        files = read_paths(paths)
        with engine.transaction() as session:
            deployment = engine.deploy(session, files, actor="try")
            startable = sorted(d.process_id for d in deployment.definitions)
            chosen = process_id or (startable[0] if startable else None)
            if chosen not in startable:
                from engine.errors import NotFound

                raise NotFound(
                    f"process '{chosen}' is not in these files; startable: {', '.join(startable)}"
                )
            view = engine.start(session, chosen, data=data, actor="try")
        return {
            "process": chosen,
            "startable": startable,
            "status": view.status,
            "error": (
                {"element": view.error_element, "message": view.error_message}
                if view.error_message
                else None
            ),
            "ready_tasks": [
                {"element": t.element_id, "name": t.name, "lane": t.lane, "form": t.form,
                 "candidate_group": t.candidate_group, "due_at": t.due_at}
                for t in view.ready_tasks
            ],
            "timers": [{"element": t.element_id, "name": t.name, "due_at": t.due_at} for t in view.timers],
            "awaited_messages": [
                {"element": m.element_id, "message": m.message_name} for m in view.awaiting
            ],
            "data": dict(view.data),
            "warnings": list(deployment.warnings),
        }
    finally:
        database.dispose()
