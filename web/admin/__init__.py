"""The administrator's area (role ``admin``): definitions, the modeler, instances, organisation,
users and the holiday calendar; one blueprint each, every one behind the same role check."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the administrator's blueprints."""
    from web.admin import definitions, holidays, instances, modeler, organisation, users

    for module in (definitions, modeler, instances, organisation, users, holidays):
        app.register_blueprint(module.bp)
