"""The administrator's area (role ``admin``): definitions, the modeler, instances, organisation,
users, the holiday calendar and the document templates; one blueprint each, every one behind the same role check."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the administrator's blueprints."""
    from web.admin import (
        definitions,
        holidays,
        instances,
        modeler,
        organisation,
        templates,
        users,
    )

    for module in (definitions, modeler, instances, organisation, users, holidays, templates):
        app.register_blueprint(module.bp)
