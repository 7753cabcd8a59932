"""The organisation tree, read-only: units under their parents, with kind, tier and code."""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, render_template

from web.admin import listings
from web.auth import require_roles
from web.transaction import db_session
from workflows.models import OrgUnit

bp = Blueprint("organisation", __name__, url_prefix="/admin/organisation")
bp.before_request(require_roles("admin"))


@bp.get("")
def index() -> str:
    """The whole tree; branches below the towns start folded so a phone can scroll it."""
    units = listings.org_units(db_session())
    children: dict[int | None, list[OrgUnit]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)
    return render_template(
        "admin/organisation.html", roots=children[None], children=children, total=len(units)
    )
