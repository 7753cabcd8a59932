"""The ``tiaojie`` command line: database, definitions, trial runs, the timer worker, the server."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine.errors import DefinitionError, EngineError
from web.settings import Settings

if TYPE_CHECKING:
    from datetime import datetime

    from engine.database import Database


@click.group()
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="SQLAlchemy URL; default: SQLite under the instance folder.",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """tiaojie: multi-tier dispute mediation on a BPMN engine."""
    ctx.obj = Settings.from_env(database_url=database_url)


@main.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply every pending migration."""
    from sqlalchemy.exc import DBAPIError

    from web.composition import open_database, upgrade

    database = open_database(settings)
    try:
        upgrade(database)
    except DBAPIError as exc:
        click.echo(f"error: cannot upgrade {settings.safe_database_url}: {_reason(exc)}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(f"database is up to date ({settings.safe_database_url})")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(paths: Sequence[Path]) -> None:
    """Validate BPMN, DMN and form files; exit 1 with one line per problem."""
    from engine.definitions import check_paths

    problems = check_paths(paths)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    click.echo(f"ok: {len(paths)} path(s) deployable")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--note", default="", help="A note stored with the deployment.")
@click.option("--actor", default="cli", help="Who deploys (recorded in the history).")
@click.pass_obj
def deploy(settings: Settings, paths: Sequence[Path], note: str, actor: str) -> None:
    """Deploy files (directories are read recursively) as one versioned bundle."""
    from engine.definitions import read_paths
    from web.composition import build_engine

    engine = build_engine(_open_current(settings))
    try:
        files = read_paths(paths)
        with engine.transaction() as session:
            result = engine.deploy(session, files, actor=actor, note=note)
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    state = "deployed" if result.created else "already deployed (identical content)"
    click.echo(f"deployment {result.id}: {state}")
    for definition in result.definitions:
        click.echo(f"  {definition.process_id} version {definition.version}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")


@main.command("try")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--data", "data_json", default="{}", help="Initial data as a JSON object.")
@click.option("--process", "process_id", default=None, help="Process to start if there are several.")
def try_(paths: Sequence[Path], data_json: str, process_id: str | None) -> None:
    """Run a process in a throwaway database to its first wait state; print it as JSON."""
    from web.composition import trial_run

    try:
        data = json.loads(data_json)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc.msg} (column {exc.colno})", param_hint="--data")
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object such as {\"amount\": 1000}", param_hint="--data")
    with tempfile.TemporaryDirectory(prefix="tiaojie-try-") as folder:
        try:
            result = trial_run(paths, data=data, process_id=process_id, folder=Path(folder))
        except DefinitionError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        except EngineError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))


@main.command()
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.pass_obj
def worker(settings: Settings, once: bool, interval: float) -> None:
    """Fire due timers, route messages, send text messages to parties and store the case files
    of archived cases; several workers may run at once."""
    from web.composition import build_engine

    engine = build_engine(_open_current(settings))
    side_work = _side_work(settings, engine)
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        fired = engine.fire_due_timers()
        routed = engine.dispatch_messages()
        sent, archived = side_work()
        if fired or routed:
            click.echo(f"fired {fired} timer step(s), routed {routed} message(s)")
        if sent or archived:
            click.echo(f"sent {sent} text message(s), stored {archived} case file(s)")
        if once or stopping:
            break
        time.sleep(interval)


@main.command()
@click.option("--cases", default=40, show_default=True, help="How many demo cases to create.")
@click.option("--seed", default=2026, show_default=True, help="Seed of names, amounts and places.")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Play the cases up to this moment (ISO 8601, with a time zone) instead of now.",
)
@click.pass_obj
def demo(settings: Settings, cases: int, seed: int, now_text: str | None) -> None:
    """Load the demo into an empty database: the seed district, one login per role (printed
    once) and cases in every state, played through the real processes."""
    from datetime import datetime, timezone

    from sqlalchemy.exc import DBAPIError

    from web.composition import open_database, upgrade

    now = datetime.now(timezone.utc)
    if now_text is not None:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise click.BadParameter(f"not an ISO 8601 date and time: {exc}", param_hint="--now")
        if now.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. 2026-11-23T09:00:00+08:00",
                                     param_hint="--now")
    database = open_database(settings)
    try:
        upgrade(database)
        _load_demo(settings, database, now=now, cases=cases, seed=seed)
    except DBAPIError as exc:
        click.echo(f"error: cannot use the database {settings.safe_database_url}: {_reason(exc)}",
                   err=True)
        sys.exit(1)
    finally:
        database.dispose()


def _load_demo(
    settings: Settings,
    database: Database,
    *,
    now: datetime,
    cases: int = 40,
    seed: int = 2026,
    fatal: bool = True,
) -> None:
    """Load the demo and print its logins and cases.  If it cannot be loaded, say why and exit 1
    (or, unless ``fatal``, go on without it)."""
    from engine.errors import EngineError
    from engine.clock import FixedClock
    from web.composition import build_engine
    from workflows.cases import STATES
    from workflows.configuration import OfficeSettings, SettingsError
    from workflows.demo import DemoError, load_demo

    try:
        office = OfficeSettings.load(settings.instance_path / "office.json")
        clock = FixedClock(now)
        started = time.perf_counter()
        summary = load_demo(build_engine(database, clock=clock), clock=clock, settings=office,
                            cases=cases, seed=seed)
    except (DemoError, SettingsError, EngineError) as exc:
        click.echo(f"{'error' if fatal else 'warning'}: the demo was not loaded: {exc}", err=True)
        if fatal:
            sys.exit(1)
        return
    elapsed = time.perf_counter() - started
    click.echo(
        f"demo loaded into {settings.safe_database_url} in {elapsed:.1f} s: {summary.units} "
        f"organisation units, {len(summary.users)} users, {summary.cases} cases received since "
        f"{summary.first_received.date().isoformat()}"
    )
    click.echo("")
    click.echo("Demo logins (shown once; the passwords are public: for demonstrations only):")
    rows = [("username", "password", "role", "unit")] + [
        (u.username, u.password, u.role, u.unit) for u in summary.users
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3]))
                   + "  " + row[3])
    click.echo("")
    click.echo("Cases per state:")
    for state, label in STATES.items():
        if summary.cases_by_state.get(state):
            click.echo(f"  {state:22} {summary.cases_by_state[state]:3}  {label}")
    for note in summary.notes:
        click.echo(f"note: {note}")


@main.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@click.argument("username")
@click.option("--admin", "as_admin", is_flag=True, help="Make the user an administrator.")
@click.option("--name", "display_name", default="", help="Display name (default: the username).")
@click.option("--unit", "unit_code", default=None,
              help="Unit code where the role is held (default: the top of the tree).")
@click.pass_obj
def user_create(settings: Settings, username: str, as_admin: bool, display_name: str,
                unit_code: str | None) -> None:
    """Create a user: the first administrator of an installation without the demo.

    The password is asked twice, or read from the first line of standard input when it is not a
    terminal (e.g. ``tiaojie user create --admin chief < password.txt``).
    """
    from datetime import datetime, timezone

    from workflows.people import PersonError, create_administrator

    if not as_admin:
        click.echo("error: give --admin (other accounts are made on the Users page)", err=True)
        sys.exit(2)
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    database = _open_current(settings)
    try:
        with database.transaction() as session:
            _, unit = create_administrator(
                session, username=username, display_name=display_name or username,
                password=password, unit_code=unit_code, now=datetime.now(timezone.utc),
            )
    except PersonError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(f"administrator '{username}' created (unit {unit}); log in at /login")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--demo",
    is_flag=True,
    help="Load the demo into an empty database first (exit 1 with the reason if it cannot be "
         "loaded).",
)
@click.pass_obj
def run(settings: Settings, host: str, port: int, demo: bool) -> None:
    """Serve the application with a timer worker running in-process."""
    import threading

    from engine.definitions import read_paths
    from web.app import create_app
    from web.composition import BPMN_DIR, build_engine, open_database, upgrade

    from workflows.configuration import SettingsError

    database = open_database(settings)
    upgrade(database)
    try:
        engine = build_engine(database)
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if demo:
        from datetime import datetime, timezone

        from workflows.demo import demo_blocker, loaded_demo_users

        with database.reading() as session:
            blocker = demo_blocker(session)
            already = bool(loaded_demo_users(session))
        if blocker is None:
            # An empty database nobody can log in to is no application: stop and say why.
            _load_demo(settings, database, now=datetime.now(timezone.utc))
        elif already:
            click.echo("demo data already loaded (the logins were printed when it was)")
        else:
            click.echo(f"demo data not loaded: {blocker}")
    if demo and any(BPMN_DIR.glob("*.bpmn")):
        with engine.transaction() as session:
            engine.deploy(session, read_paths([BPMN_DIR]), actor="demo", note="bundled processes")
    stop = threading.Event()
    side_work = _side_work(settings, engine)

    def tick() -> None:
        while not stop.wait(1.0):
            engine.fire_due_timers()
            engine.dispatch_messages()
            side_work()

    threading.Thread(target=tick, name="timer-worker", daemon=True).start()
    app = create_app(settings, engine=engine)
    click.echo(f"tiaojie at http://{host}:{port} (timer worker running)")
    try:
        app.run(host=host, port=port, use_reloader=False, threaded=True)
    finally:
        stop.set()


def _side_work(settings: Settings, engine: Any) -> Any:
    """What a worker does after each round of timers: send the text messages waiting for the
    gateway and store the case file of each case archived since."""
    from workflows.case_file import Office, archive_closed_cases
    from workflows.configuration import OfficeSettings
    from workflows.notices import deliver_pending
    from workflows.storage import FileStore

    office = OfficeSettings.load(settings.instance_path / "office.json")
    store = FileStore(settings.files_folder)

    def run() -> tuple[int, int]:
        sent = deliver_pending(engine.db, office.sms, now=engine.now)
        archived = archive_closed_cases(engine, store, office=Office(office.office, office.phone),
                                        now=engine.now)
        return sent, archived

    return run


def _open_current(settings: Settings) -> Database:
    """Open the database, or exit 1 in plain words if it is unreachable or not yet migrated."""
    from sqlalchemy.exc import DBAPIError

    from web.composition import open_database, schema_problem

    database = open_database(settings)
    try:
        problem = schema_problem(database)
    except DBAPIError as exc:
        database.dispose()
        click.echo(
            f"error: cannot use the database {settings.safe_database_url}: {_reason(exc)}", err=True
        )
        sys.exit(1)
    if problem is not None:
        database.dispose()
        click.echo(f"error: the database {settings.safe_database_url} {problem}", err=True)
        sys.exit(1)
    return database


def _reason(exc: Exception) -> str:
    """The driver's own first line for a database error, without SQLAlchemy's wrapping."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


if __name__ == "__main__":  # pragma: no cover
    main()
