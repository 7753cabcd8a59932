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
    """Fire due timers and route messages; several workers may run at once."""
    from web.composition import build_engine

    engine = build_engine(_open_current(settings))
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        fired = engine.fire_due_timers()
        routed = engine.dispatch_messages()
        if fired or routed:
            click.echo(f"fired {fired} timer step(s), routed {routed} message(s)")
        if once or stopping:
            break
        time.sleep(interval)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--demo", is_flag=True, help="Deploy the bundled processes first.")
@click.pass_obj
def run(settings: Settings, host: str, port: int, demo: bool) -> None:
    """Serve the application with a timer worker running in-process."""
    import threading

    from engine.definitions import read_paths
    from web.app import create_app
    from web.composition import BPMN_DIR, build_engine, open_database, upgrade

    database = open_database(settings)
    upgrade(database)
    engine = build_engine(database)
    if demo and any(BPMN_DIR.glob("*.bpmn")):
        with engine.transaction() as session:
            engine.deploy(session, read_paths([BPMN_DIR]), actor="demo", note="bundled processes")
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(1.0):
            engine.fire_due_timers()
            engine.dispatch_messages()

    threading.Thread(target=tick, name="timer-worker", daemon=True).start()
    app = create_app(settings, engine=engine)
    click.echo(f"tiaojie at http://{host}:{port} (timer worker running)")
    try:
        app.run(host=host, port=port, use_reloader=False, threaded=True)
    finally:
        stop.set()


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
