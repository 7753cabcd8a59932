"""People as pages show them: display names instead of logins, the roster of mediators to choose
from (specialties and open cases), and the domain's refusal codes in the page's language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.case_labels import DISPUTE_TYPE_NAMES
from web.forms import Choice
from web.labels import name_of
from workflows.models import Person
from workflows.roster import RosterEntry


def display_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Login -> display name, for the logins given (unknown logins are left out)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = session.execute(
        select(Person.username, Person.display_name).where(Person.username.in_(wanted)))
    return {username: name for username, name in rows}


def roster_label(entry: RosterEntry) -> str:
    """A mediator as the roster shows them: name, specialties and open cases."""
    specialties = "、".join(name_of(DISPUTE_TYPE_NAMES, s) for s in entry.specialties)
    load = _("open cases: %(count)s", count=entry.open_cases)
    return " · ".join([entry.display_name, specialties or _("General mediation"), load])


def roster_choices(entries: list[RosterEntry], *, optional: bool) -> list[Choice]:
    """The roster as the choices of a form field (first: nobody in particular, if optional)."""
    choices = [Choice("", _("Nobody in particular: let the office designate a mediator"))] \
        if optional else []
    return choices + [Choice(e.username, roster_label(e)) for e in entries]


_CHOICE_MESSAGES = {
    "not_on_roster": lambda: _("Choose a mediator from the roster of this unit; this person is "
                               "not on it."),
    "declined": lambda: _("This mediator already declined the case; choose another one."),
    "not_a_candidate": lambda: _("The task can only go to a person of its unit who holds its "
                                 "role."),
}


def choice_messages(problems: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The domain's refusal codes of chosen people, by field, in the page's language."""
    return {field: [_CHOICE_MESSAGES[code]() if code in _CHOICE_MESSAGES else code
                    for code in codes]
            for field, codes in problems.items()}
