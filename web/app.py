"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from engine.runtime import Engine
from web import (
    admin,
    assets,
    auth,
    case_labels,
    cases,
    court,
    documents,
    errors,
    files,
    home,
    i18n,
    inbox,
    intake,
    labels,
    materials,
    navigation,
    notices,
    privacy,
    security,
    status,
    timing,
    transaction,
)
from web.composition import build_engine, open_database
from web.settings import Settings

# Uploads are diagrams, decision tables, holiday files and case materials (each file's own limit
# is an office setting; a request may carry several).
MAX_UPLOAD_BYTES = 80 * 1024 * 1024


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, testing: bool = False
) -> Flask:
    """Build the application for the given settings (default: from the environment)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(TESTING=testing, MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES, DEMO_LOGINS=())
    # The transaction comes first: every later before-request hook may read the database.
    transaction.init_app(app, engine or build_engine(open_database(settings)))
    security.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    navigation.init_app(app)
    labels.init_app(app)
    privacy.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    app.register_blueprint(home.bp)
    admin.init_app(app)
    # Casework: intake, the inbox and task pages, case pages, the court's queue.
    case_labels.init_app(app)
    timing.init_app(app)
    intake.init_app(app)
    for blueprint in (inbox.bp, cases.bp, court.bp, materials.bp, documents.bp, status.bp):
        app.register_blueprint(blueprint)
    # Materials and documents: the file store, and messages to parties after each commit.
    files.init_app(app, settings)
    notices.init_app(app)
    return app
