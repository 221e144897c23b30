"""Deadlines in Vietnamese working time, or plain clock time for 24/7 pilots and tests.

Government offices work Monday–Friday in two sessions (default 07:00–11:30, 13:30–17:00,
Asia/Ho_Chi_Minh) and close on public holidays; the `holidays` package knows the lunar ones
(Tết, Hùng Kings). Deadlines users see are counted the way the government counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

Session = tuple[time, time]
DEFAULT_SESSIONS: tuple[Session, ...] = ((time(7), time(11, 30)), (time(13, 30), time(17)))


class ClockHours:
    """24/7 counting, for pilots and tests (`[schedule] business_hours = false`)."""

    def add_hours(self, start: datetime, hours: float) -> datetime:
        return start + timedelta(hours=hours)

    def hours_between(self, start: datetime, end: datetime) -> float:
        return (end - start).total_seconds() / 3600

    def is_working_day(self, day: date) -> bool:
        return True


def parse_sessions(items: Sequence[str]) -> tuple[Session, ...]:
    """["07:00-11:30", "13:30-17:00"] → ordered, non-overlapping sessions, or ValueError."""
    sessions: list[Session] = []
    for item in items:
        try:
            start_text, end_text = item.split("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        except ValueError:
            raise ValueError(f"a session is written HH:MM-HH:MM, got {item!r}") from None
        if end <= start:
            raise ValueError(f"session {item!r} ends before it starts")
        if sessions and start < sessions[-1][1]:
            raise ValueError(f"session {item!r} overlaps or precedes the one before it")
        sessions.append((start, end))
    if not sessions:
        raise ValueError("at least one working session is needed")
    return tuple(sessions)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


class WorkCalendar:
    """Working hours on working days; walks day by day, never minute by minute."""

    def __init__(
        self,
        sessions: Sequence[Session] = DEFAULT_SESSIONS,
        tz: ZoneInfo | None = None,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        use_public_holidays: bool = True,
    ):
        self.sessions = tuple(sessions)
        self.tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        self.use_public_holidays = use_public_holidays
        self._day_hours = sum(_seconds(s, e) for s, e in self.sessions) / 3600

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:  # a make-up Saturday overrides weekend and holiday
            return True
        if day.weekday() >= 5 or day in self.extra_days_off:
            return False
        return not (self.use_public_holidays and day in _public_holidays(day.year))

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("working time needs an aware datetime")
        return moment.astimezone(self.tz)

    def _at(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self.tz)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when `hours` of working time have passed after `start` (in UTC)."""
        local = self._local(start)
        if hours <= 0:
            return start.astimezone(UTC)
        remaining = hours * 3600
        day, clock = local.date(), local.timetz().replace(tzinfo=None)
        while True:
            if self.is_working_day(day):
                for s, e in self.sessions:
                    begin = max(s, clock)
                    if begin >= e:
                        continue
                    available = _seconds(begin, e)
                    if remaining <= available:
                        return (self._at(day, begin) + timedelta(seconds=remaining)).astimezone(UTC)
                    remaining -= available
            day, clock = day + timedelta(days=1), time(0)
            # skip whole working weeks at once when far from the end
            while remaining > 5 * self._day_hours * 3600 * 2 and self._plain_week(day):
                remaining -= 5 * self._day_hours * 3600
                day += timedelta(days=7)

    def _plain_week(self, day: date) -> bool:
        """Seven days from `day` with exactly five ordinary working days (no exceptions)."""
        days = [day + timedelta(days=i) for i in range(7)]
        return sum(self.is_working_day(d) for d in days) == 5 and all(
            self.is_working_day(d) == (d.weekday() < 5) for d in days
        )

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours in [start, end); 0 when end is not after start."""
        a, b = self._local(start), self._local(end)
        if b <= a:
            return 0.0
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                lo = a.timetz().replace(tzinfo=None) if day == a.date() else time(0)
                hi = b.timetz().replace(tzinfo=None) if day == b.date() else None
                for s, e in self.sessions:
                    begin, finish = max(s, lo), e if hi is None else min(e, hi)
                    if finish > begin:
                        total += _seconds(begin, finish)
            day += timedelta(days=1)
            if day < b.date() and self._full_weeks_ahead(day, b.date()):
                weeks = (b.date() - day).days // 7
                skip = 0
                while skip < weeks and self._plain_week(day):
                    total += 5 * self._day_hours * 3600
                    day += timedelta(days=7)
                    skip += 1
        return total / 3600

    def _full_weeks_ahead(self, day: date, last: date) -> bool:
        return (last - day).days >= 14


def _seconds(a: time, b: time) -> float:
    return (b.hour - a.hour) * 3600 + (b.minute - a.minute) * 60 + (b.second - a.second) + (
        b.microsecond - a.microsecond
    ) / 1e6
