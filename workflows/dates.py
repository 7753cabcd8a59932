"""Dates as the process data holds them (ISO text, Shanghai time when no zone is given) and as
Chinese documents and messages write them (二〇二六年 is for courts; offices write 2026年3月2日)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from engine.clock import SHANGHAI, aware


def instant(value: Any) -> datetime | None:
    """A stored instant (ISO text or datetime) as an aware datetime; None if it is not one."""
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    return None


def due_day(value: Any) -> date | None:
    """The last day of a period stored as the midnight after it (民事诉讼法 art 85: 24:00)."""
    when = instant(value)
    if when is None:
        return None
    return (when.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()


def day_of(value: Any) -> date | None:
    """The Shanghai day of an instant, or a date given as ISO text."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    when = instant(value)
    return when.astimezone(SHANGHAI).date() if when else None


def chinese_date(value: Any) -> str:
    """``2026年3月2日`` for a date, an instant or ISO text; '' when there is none."""
    day = value if isinstance(value, date) and not isinstance(value, datetime) else day_of(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def chinese_time(value: Any) -> str:
    """``2026年3月2日 09:30`` (Shanghai) for an instant; '' when there is none."""
    when = instant(value)
    if when is None:
        return ""
    local = when.astimezone(SHANGHAI)
    return f"{chinese_date(local.date())} {local:%H:%M}"
