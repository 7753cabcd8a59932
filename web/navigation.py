"""The menu each role sees, and where a redirect may safely go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

__all__ = ["MENU", "PUBLIC", "MenuItem", "init_app", "menu_for", "same_site_path"]


@dataclass(frozen=True)
class MenuItem:
    """A link in the menu, shown to people holding any of ``roles``."""

    endpoint: str
    label: object  # a lazy translated string
    roles: frozenset[str]


# Shown to everyone, logged in or not.
PUBLIC = "public"

MENU: list[MenuItem] = [
    MenuItem("definitions.index", _l("Processes"), frozenset({"admin"})),
    MenuItem("instances.index", _l("Instances"), frozenset({"admin"})),
    MenuItem("organisation.index", _l("Organisation"), frozenset({"admin"})),
    MenuItem("users.index", _l("Users"), frozenset({"admin"})),
    MenuItem("holidays.index", _l("Holidays"), frozenset({"admin"})),
    MenuItem("templates.index", _l("Templates"), frozenset({"admin"})),
    # Casework.
    MenuItem("inbox.index", _l("Inbox"), frozenset({
        "party", "grid_worker", "intake_clerk", "dispatcher", "mediator", "committee_chair",
        "filing_clerk", "judge", "judge_assistant", "court_president"})),
    MenuItem("court.index", _l("Court queue"), frozenset({
        "filing_clerk", "judge", "judge_assistant", "court_president"})),
    MenuItem("cases.index", _l("Cases"), frozenset({
        "admin", "party", "grid_worker", "intake_clerk", "dispatcher", "mediator",
        "committee_chair", "filing_clerk", "judge", "judge_assistant", "court_president"})),
    MenuItem("notices.index", _l("Outbox"), frozenset({
        "admin", "intake_clerk", "dispatcher", "mediator", "committee_chair"})),
    MenuItem("intake.quick_report", _l("Quick report"), frozenset({"grid_worker"})),
    MenuItem("intake.report", _l("Report a dispute"), frozenset({PUBLIC})),
    MenuItem("status.lookup", _l("Follow my case"), frozenset({PUBLIC})),
]


def menu_for(roles: Iterable[str]) -> list[MenuItem]:
    """The menu items a person with ``roles`` may open."""
    held = frozenset(roles) | {PUBLIC}
    return [item for item in MENU if item.roles & held]


def same_site_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def init_app(app: Flask) -> None:
    """Give templates the current person's menu."""

    @app.context_processor
    def menu() -> dict[str, object]:
        roles = current_user.roles if current_user.is_authenticated else ()
        return {"menu": menu_for(roles)}

