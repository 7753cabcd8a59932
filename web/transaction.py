"""One database transaction per request: views read and write through it and never commit.

Safe methods (GET, HEAD, OPTIONS) get a read-only transaction, which on SQLite does not queue
behind writers; every other method gets a writing one.  The writing transaction commits when the
response is not an error and rolls back otherwise: an error page never leaves half a change.
Messages that instances threw in the transaction are routed after it commits, as
``Engine.transaction`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy.orm import Session

from engine.runtime import Engine

ENGINE_KEY = "tiaojie.engine"
AFTER_COMMIT_KEY = "tiaojie.after_commit"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask, engine: Engine) -> None:
    """Attach the engine and open, commit or roll back the request's transaction."""
    app.extensions[ENGINE_KEY] = engine
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_close)


def on_every_commit(app: Flask, hook: Callable[[dict[str, Any]], None]) -> None:
    """Run ``hook`` with the session's ``info`` after each request's transaction commits (where
    side effects such as sending messages belong: never inside the transaction)."""
    app.extensions.setdefault(AFTER_COMMIT_KEY, []).append(hook)


def get_engine() -> Engine:
    """The application's engine."""
    engine: Engine = current_app.extensions[ENGINE_KEY]
    return engine


def db_session() -> Session:
    """The current request's session (its transaction is already open)."""
    session: Session | None = g.get("db_session")
    if session is None:
        # Error pages for requests that failed before their transaction began (404 routing) still
        # read the logged-in person; give them a read-only transaction of their own.
        _begin_reading()
        session = g.db_session
    return session


def after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once the request's transaction has committed (not if it rolls back): for
    work that takes transactions of its own, such as one per instance."""
    g.setdefault("after_commit", []).append(action)


def rollback() -> None:
    """Undo everything the request wrote so far (the error handlers call this)."""
    session: Session | None = g.get("db_session")
    if session is not None and g.get("db_writing"):
        session.rollback()
        g.db_done = True


def _begin() -> None:
    if request.method in SAFE_METHODS:
        _begin_reading()
        return
    session = get_engine().db.sessions()
    session.begin()
    g.db_session, g.db_writing, g.db_done = session, True, False


def _begin_reading() -> None:
    stack = ExitStack()
    g.db_session = stack.enter_context(get_engine().db.reading())
    g.db_stack, g.db_writing, g.db_done = stack, False, False


def _finish(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is None or not g.get("db_writing") or g.get("db_done"):
        return response
    g.db_done = True
    if response.status_code >= 400:
        session.rollback()
        return response
    session.commit()
    if session.info.pop("tiaojie_outbox", False):
        get_engine().dispatch_messages()
    for hook in current_app.extensions.get(AFTER_COMMIT_KEY, ()):
        hook(session.info)
    for action in g.pop("after_commit", []):
        action()
    return response


def _close(_error: BaseException | None) -> None:
    stack: ExitStack | None = g.pop("db_stack", None)
    session: Session | None = g.pop("db_session", None)
    if stack is not None:
        stack.close()  # a read-only transaction ends with a rollback
    elif session is not None:
        if not g.get("db_done"):
            session.rollback()  # an exception no handler turned into a response
        session.close()
