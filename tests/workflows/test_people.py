"""People, roles and the district tree, in the real database."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from engine.database import Database
from workflows.district import COURT, OFFICE, TreeSize, build_district, parent_at_tier, room_code
from workflows.models import OrgUnit
from workflows.organisation import Membership
from workflows.people import PersonError, authenticate, create_person, memberships

NOW = datetime(2026, 3, 2, tzinfo=timezone.utc)


def test_the_seed_district_has_every_tier_rooms_organisations_and_a_court(db: Database):
    with db.transaction() as s:
        build_district(s)
    with db.reading() as s:
        counts = dict(s.execute(select(OrgUnit.kind, func.count()).group_by(OrgUnit.kind)).all())
        courtyard = s.scalar(select(OrgUnit).where(OrgUnit.code == "T03-V2-G1-Y3"))
        chain = [parent_at_tier(courtyard, tier).code for tier in ("courtyard", "grid", "village", "town", "district")]
    assert counts["town"] == 21 and counts["grid"] == 84 and counts["courtyard"] == 252
    assert counts["room"] >= 10 and counts["court"] == 1
    assert {"people_committee", "administrative", "professional", "trade_association"} <= set(counts)
    assert chain == ["T03-V2-G1-Y3", "T03-V2-G1", "T03-V2", "T03", OFFICE]


def test_people_log_in_with_hashed_passwords_and_hold_roles(db: Database):
    with db.transaction() as s:
        build_district(s, TreeSize(villages=1, grids=1, courtyards=1))
        person = create_person(
            s, username="li.med", display_name="李调解", password="correct horse",
            roles=[("mediator", room_code("labour")), ("judge", COURT)], now=NOW,
        )
        assert person.password_hash.startswith("$argon2id$")
    with db.transaction() as s:
        found = authenticate(s, "li.med", "correct horse")
        assert found is not None and found.display_name == "李调解"
        assert memberships(s, found.id) == [
            Membership("mediator", "RC-ROOM-LABOUR"), Membership("judge", COURT)
        ]
        assert authenticate(s, "li.med", "wrong password") is None
        assert authenticate(s, "nobody", "correct horse") is None


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"username": "", "password": "longenough"}, "username"),
        ({"username": "x", "password": "short"}, "at least 8"),
        ({"username": "x", "password": "longenough", "roles": [("boss", OFFICE)]}, "unknown role"),
        ({"username": "x", "password": "longenough", "roles": [("mediator", "NOPE")]}, "no organisation unit 'NOPE'"),
    ],
)
def test_bad_people_are_refused_with_the_reason(db: Database, kwargs, phrase):
    with db.transaction() as s:
        build_district(s, TreeSize(villages=1, grids=1, courtyards=1))
    with pytest.raises(PersonError, match=phrase):
        with db.transaction() as s:
            create_person(s, display_name="X", now=NOW, **kwargs)
