"""People who log in, their roles in organisation units, and checking their passwords.

Passwords are hashed with Argon2id; a hash made with weaker parameters is upgraded at the next
successful login.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflows.district import DISTRICT
from workflows.models import OrgUnit, Person, RoleAssignment
from workflows.organisation import ROLE_LABELS, Membership

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
# The password hash of an account no password opens: a person on the roster who has no login yet
# (an administrator sets a password to give them one).
NO_LOGIN = "!no-login"
# A mainland mobile number (11 digits) or a landline with its area code (023-46789012).
PHONE_PATTERN = r"^(1\d{10}|0\d{2,3}-?\d{7,8})$"
# Checked against when the user does not exist, so a wrong username costs as long as a wrong
# password and the response time does not tell which one was wrong.
_DUMMY_HASH = _HASHER.hash("tiaojie-no-such-user")


class PersonError(ValueError):
    """A person could not be created or changed; the message says why."""


def create_person(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[tuple[str, str]] = (),
    phone: str | None = None,
    now: datetime,
) -> Person:
    """Create a person with ``roles`` given as (role, unit code) pairs."""
    username = username.strip()
    if not username or len(username) > 80:
        raise PersonError("a username of 1 to 80 characters is required")
    if session.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise PersonError(f"the username '{username}' is taken")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PersonError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if phone is not None and not re.fullmatch(PHONE_PATTERN, phone):
        raise PersonError(f"'{phone}' is not a phone number")
    person = Person(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=_HASHER.hash(password),
        phone=phone,
        active=True,
        created_at=now,
    )
    session.add(person)
    session.flush()
    for role, unit_code in roles:
        grant_role(session, person, role=role, unit_code=unit_code)
    return person


def add_staff(
    session: Session,
    *,
    username: str,
    display_name: str,
    roles: Iterable[tuple[str, str]],
    specialties: Iterable[str] = (),
    phone: str | None = None,
    now: datetime,
) -> Person:
    """Put a person on the roster without a login of their own (they cannot log in until an
    administrator sets a password); ``specialties``: dispute-type codes they are known for."""
    username = username.strip()
    if not username or len(username) > 80:
        raise PersonError("a username of 1 to 80 characters is required")
    person = Person(username=username, display_name=display_name.strip() or username,
                    password_hash=NO_LOGIN, phone=phone, active=True, created_at=now,
                    specialties=list(specialties) or None)
    session.add(person)
    session.flush()
    for role, unit_code in roles:
        grant_role(session, person, role=role, unit_code=unit_code)
    return person


def grant_role(session: Session, person: Person, *, role: str, unit_code: str) -> RoleAssignment:
    """Give ``person`` the ``role`` in the unit ``unit_code``."""
    if role not in ROLE_LABELS:
        raise PersonError(f"unknown role '{role}'; roles are {', '.join(ROLE_LABELS)}")
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
    if unit is None:
        raise PersonError(f"no organisation unit '{unit_code}'")
    assignment = RoleAssignment(person_id=person.id, role=role, org_unit_id=unit.id)
    session.add(assignment)
    session.flush()
    return assignment


def authenticate(session: Session, username: str, password: str) -> Person | None:
    """The active person with these credentials, or None."""
    person = session.scalar(select(Person).where(Person.username == username.strip()))
    if person is None or not person.active:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(person.password_hash, password):
        return None
    if _HASHER.check_needs_rehash(person.password_hash):
        person.password_hash = _HASHER.hash(password)
    return person


def set_password(person: Person, password: str) -> None:
    """Replace a person's password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PersonError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    person.password_hash = _HASHER.hash(password)


def memberships(session: Session, person_id: int) -> list[Membership]:
    """The roles a person holds, with the unit codes."""
    rows = session.execute(
        select(RoleAssignment.role, OrgUnit.code)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(RoleAssignment.person_id == person_id)
        .order_by(RoleAssignment.id)
    )
    return [Membership(role, code) for role, code in rows]


def get_person(session: Session, person_id: int) -> Person | None:
    """A person with their roles loaded."""
    return session.scalar(
        select(Person).where(Person.id == person_id).options(selectinload(Person.roles))
    )


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_administrator(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    unit_code: str | None,
    now: datetime,
) -> tuple[Person, str]:
    """Create an administrator in ``unit_code`` (default: the top of the organisation tree, made
    as an empty district when there is no tree yet); return the person and the unit's code."""
    if unit_code is None:
        roots = session.scalars(
            select(OrgUnit.code).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
        ).all()
        if not roots:
            session.add(OrgUnit(code=DISTRICT, name="本区", kind="district", tier="district",
                                active=True))
            session.flush()
        unit_code = roots[0] if roots else DISTRICT
    person = create_person(session, username=username, display_name=display_name,
                           password=password, roles=[("admin", unit_code)], now=now)
    return person, unit_code
