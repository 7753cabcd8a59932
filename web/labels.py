"""Names of the domain's codes (roles, tiers, unit kinds, statuses) in the page's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

ROLE_NAMES: Mapping[str, Any] = {
    "party": _l("Party"),
    "grid_worker": _l("Grid worker"),
    "intake_clerk": _l("Intake clerk"),
    "dispatcher": _l("Dispatcher"),
    "mediator": _l("Mediator"),
    "committee_chair": _l("Committee chair"),
    "filing_clerk": _l("Case-filing clerk"),
    "judge": _l("Judge"),
    "judge_assistant": _l("Judge's assistant"),
    "court_president": _l("Court president"),
    "admin": _l("Administrator"),
}

TIER_NAMES: Mapping[str, Any] = {
    "courtyard": _l("Courtyard"),
    "grid": _l("Grid"),
    "village": _l("Village / community"),
    "town": _l("Town / street"),
    "district": _l("District"),
}

UNIT_KIND_NAMES: Mapping[str, Any] = {
    "district": _l("District"),
    "office": _l("Comprehensive mediation office"),
    "room": _l("Specialty mediation room"),
    "town": _l("Town / street"),
    "village": _l("Village / community"),
    "grid": _l("Grid"),
    "courtyard": _l("Courtyard"),
    "people_committee": _l("People's mediation committee"),
    "administrative": _l("Administrative mediation body"),
    "professional": _l("Professional mediation body"),
    "trade_association": _l("Trade association mediation body"),
    "court": _l("People's court"),
    "court_division": _l("Court division"),
}

STATUS_NAMES: Mapping[str, Any] = {
    "running": _l("Running"),
    "completed": _l("Completed"),
    "error": _l("Error"),
    "suspended": _l("Suspended"),
    "terminated": _l("Terminated"),
}


def name_of(names: Mapping[str, Any], code: str | None) -> str:
    """The translated name of ``code``, or the code itself when it has none."""
    if code is None:
        return ""
    return str(names.get(code, code))


def init_app(app: Flask) -> None:
    """Give templates filters for each kind of code."""
    app.add_template_filter(lambda code: name_of(ROLE_NAMES, code), "role_name")
    app.add_template_filter(lambda code: name_of(TIER_NAMES, code), "tier_name")
    app.add_template_filter(lambda code: name_of(UNIT_KIND_NAMES, code), "unit_kind_name")
    app.add_template_filter(lambda code: name_of(STATUS_NAMES, code), "status_name")
