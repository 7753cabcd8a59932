"""Where the parts are put together: the database, the engine and its configuration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from engine.database import Database
from engine.clock import Clock, system_clock
from engine.runtime import Engine, EngineConfig
from workflows.configuration import OfficeSettings
from workflows.deadlines import HolidayCalendar
from workflows.holidays import CalendarSource
from web.settings import PROJECT_ROOT, Settings

T = TypeVar("T")
# The calendar each engine counts with, for the pages that show and import schedules.
_CALENDARS: WeakKeyDictionary[Engine, CalendarSource] = WeakKeyDictionary()

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
    packaged_calendar: HolidayCalendar | None = None,
) -> Engine:
    """The engine as the mediation office runs it (unless a config is given).

    Diagrams count legal periods with the holiday calendar in force (the packaged schedules —
    ``packaged_calendar``, default chinesecalendar's — plus imported years, re-read every half
    minute; other years provisionally), and every step keeps its case record and the periods it
    counted in step.
    """
    calendar = CalendarSource(
        lambda load: _read(database, load), packaged=packaged_calendar, ttl=30.0
    )
    if config is not None:
        engine = Engine(database, config)
        _CALENDARS[engine] = calendar
        return engine
    from workflows.cases import follow_up_case, sync_case
    from workflows.configuration import engine_config
    from workflows.notices import queue_notices
    from workflows.periods import record_periods

    # The office's overrides live beside its data (instance/office.json), read once at start.
    settings = settings or OfficeSettings.load(Settings.from_env().instance_path / "office.json")

    def after_step(session: Any, view: Any) -> None:
        now = clock()
        sync_case(session, view, now=now, formats=settings.case_number_formats)
        record_periods(session, view, now=now)
        # Messages to the parties the step calls for; sent after the step commits.
        queue_notices(session, view, phone=settings.phone, gateway=settings.sms, now=now)
        # A new case the step asked for (mediating again after a rejected confirmation).
        follow_up_case(session, engine, view, settings=settings, now=now)

    engine = Engine(
        database, engine_config(clock=clock, calendar=calendar, after_step=after_step)
    )
    _CALENDARS[engine] = calendar
    return engine


def calendar_source(engine: Engine) -> CalendarSource:
    """The holiday calendar ``engine`` counts with."""
    found = _CALENDARS.get(engine)
    if found is None:  # an engine built elsewhere: the packaged calendar and the imports
        found = _CALENDARS[engine] = CalendarSource(
            lambda load: _read(engine.db, load), packaged=None
        )
    return found


def _read(database: Database, load: Callable[[Any], T]) -> T:
    with database.reading() as session:
        return load(session)


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
