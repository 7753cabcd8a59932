"""Deadlines as people read them: the last day of a period and the days left, in Shanghai time.

The processes store a period's end as the midnight after its last day (民事诉讼法 art 85: the
period ends at 24:00), both in process data (``*_due``) and as a task's ``due_at``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, g
from flask_babel import gettext as _
from markupsafe import Markup, escape

from engine.clock import SHANGHAI, aware
from web.transaction import db_session, get_engine
from workflows.periods import provisional_dues

SOON_DAYS = 2  # a deadline this close is shown as urgent


def parse_due(value: Any) -> datetime | None:
    """A stored deadline (ISO text or datetime) as an aware datetime; None if it is not one."""
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    return None


def last_day(due: datetime) -> date:
    """The last day of a period ending at ``due`` (the midnight after it, Shanghai)."""
    return (due.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()


def days_left(due: datetime, now: datetime) -> int:
    """Whole days from today to the last day: 0 on it, negative once it has passed."""
    return (last_day(due) - now.astimezone(SHANGHAI).date()).days


def days_left_text(days: int) -> str:
    """``days`` as words."""
    if days == 0:
        return _("Last day today")
    if days == 1:
        return _("1 day left")
    if days > 1:
        return _("%(days)s days left", days=days)
    if days == -1:
        return _("1 day overdue")
    return _("%(days)s days overdue", days=-days)


def urgency(days: int) -> str:
    """A CSS class for how close a deadline is."""
    if days < 0:
        return "overdue"
    return "soon" if days <= SOON_DAYS else "later"


def load_provisional(instance_ids: Iterable[int]) -> None:
    """Read, for this request, which deadlines of these instances are provisional."""
    known: dict[int, dict[datetime, tuple[int, ...]]] = g.setdefault("provisional_dues", {})
    wanted = [i for i in set(instance_ids) if i not in known]
    if wanted:
        found = provisional_dues(db_session(), wanted)
        known.update({i: found.get(i, {}) for i in wanted})


def provisional_years(instance_id: int | None, value: Any) -> tuple[int, ...]:
    """The years without an official schedule that the deadline ``value`` of an instance rests
    on (none: it is final)."""
    due = parse_due(value)
    if instance_id is None or due is None:
        return ()
    load_provisional([instance_id])
    return g.provisional_dues[instance_id].get(due, ())


def provisional_mark(years: Iterable[int]) -> Markup:
    """"Provisional", with a tooltip saying which year's schedule is missing (empty if none)."""
    shown = ", ".join(str(y) for y in sorted(years))
    if not shown:
        return Markup("")
    hint = _("Provisional: the official holiday schedule for %(years)s is not imported yet; the "
             "date was counted with the statutory holidays and may move when it is.", years=shown)
    return Markup('<abbr class="provisional" title="{hint}">{word}</abbr>').format(
        hint=hint, word=_("Provisional"))


def due_badge(value: Any, instance_id: int | None = None) -> Markup:
    """The last day and the days left of a deadline, as a badge (empty for no deadline), marked
    provisional when the instance's deadline rests on a year without an official schedule."""
    due = parse_due(value)
    if due is None:
        return Markup("")
    now = get_engine().now()
    days = days_left(due, now)
    mark = provisional_mark(provisional_years(instance_id, due))
    return Markup('<span class="due due-{cls}"><time datetime="{iso}">{day}</time> · {left}'
                  '{mark}</span>'
                  ).format(cls=urgency(days), iso=last_day(due).isoformat(),
                           day=escape(last_day(due).isoformat()), left=days_left_text(days),
                           mark=Markup(" ") + mark if mark else "")


def init_app(app: Flask) -> None:
    """Give templates the badge."""
    app.add_template_global(due_badge)
    app.add_template_global(provisional_mark)
