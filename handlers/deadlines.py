"""Setting, pausing and postponing a ticket's deadline (counted by the configured calendar)."""

from __future__ import annotations

import re
from datetime import datetime

from handlers.context import Outbound
from handlers.texts.words import DAY_UNITS, HOUR_UNITS
from storage.models import Ticket

_DURATION = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(" + "|".join(HOUR_UNITS + DAY_UNITS) + ")$", re.I)
WORKDAY_HOURS = 8.0


def schedule(t: Ticket, out: Outbound, start: datetime, due: datetime) -> None:
    """A new first-response deadline; the follow-up jobs start afresh for it."""
    t.due_at = due
    span = out.deadlines.hours_between(start, due)
    t.remind_at = out.deadlines.add_hours(start, span * out.settings.followup.reminder_fraction)
    t.reminder_sent_at = None
    t.due_notice_sent_at = None
    t.overdue_escalated_at = None


def pause(t: Ticket, out: Outbound) -> None:
    t.paused_at = t.paused_at or out.now


def resume(t: Ticket, out: Outbound) -> None:
    """The cadre answered the question back: the deadline moves by the working time paused."""
    if t.paused_at is None or t.due_at is None:
        return
    paused = out.deadlines.hours_between(t.paused_at, out.now)
    t.due_at = out.deadlines.add_hours(t.due_at, paused)
    if t.resolution_due_at is not None:
        t.resolution_due_at = out.deadlines.add_hours(t.resolution_due_at, paused)
    if t.remind_at is not None and t.reminder_sent_at is None:
        t.remind_at = out.deadlines.add_hours(t.remind_at, paused)
    t.paused_at = None


def parse_duration(text: str) -> float | None:
    """Working hours from '4h', '4 giờ', '2 ngày' (a working day is 8 hours); None if unclear."""
    m = _DURATION.match(text.strip())
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    unit = m.group(2).lower()
    return value * WORKDAY_HOURS if unit in DAY_UNITS else value
