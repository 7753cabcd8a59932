"""The home page (what the system is, how to log in as each demo role) and the health check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from werkzeug.wrappers import Response

from web.transaction import db_session
from workflows.demo import loaded_demo_users
from workflows.organisation import ROLES

bp = Blueprint("home", __name__)


@dataclass(frozen=True)
class DemoLogin:
    """A demo account as the home page lists it."""

    role: str
    username: str
    password: str
    display_name: str = ""
    unit: str = ""


@bp.get("/")
def index() -> str:
    """Say what the system is and how to log in as each demo role."""
    logins = demo_logins()
    shown = {login.role for login in logins}
    return render_template(
        "home.html", logins=logins, roles_without_login=[r for r in ROLES if r not in shown]
    )


@bp.get("/health")
def health() -> Response:
    """A liveness check for load balancers."""
    return jsonify(status="ok")


def demo_logins() -> list[DemoLogin]:
    """The demo accounts that exist in this database (so a real office never advertises the
    demo's public passwords), else the ``DEMO_LOGINS`` setting; each entry names ``username``,
    ``password`` and ``role`` (optionally ``display_name`` and ``unit``), as attributes or keys."""
    entries: Iterable[Any] = loaded_demo_users(db_session()) or current_app.config.get(
        "DEMO_LOGINS", ()
    )
    return [_as_login(entry) for entry in entries]


def _as_login(entry: Any) -> DemoLogin:
    def field(name: str) -> str:
        value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
        return "" if value is None else str(value)

    return DemoLogin(
        role=field("role"), username=field("username"), password=field("password"),
        display_name=field("display_name"), unit=field("unit"),
    )
