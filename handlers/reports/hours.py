"""Working hours for many tickets at once: response times in reports, lateness in /quahan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from math import floor
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.reports.periods import Period
from handlers.settings import Deadlines
from handlers.worktime import ClockHours, WorkCalendar
from storage.reports import ResponseMoments

if TYPE_CHECKING:  # numpy itself is imported when a report is made, not at start
    import numpy as np
    from numpy.typing import NDArray


class WorkingHours:
    """`deadlines.hours_between` for many tickets at once, on epoch seconds.

    For a WorkCalendar, working seconds since the first day are tabulated per day once, so
    each response time is two lookups instead of a day-by-day walk. Other calendars (and
    moments outside the table, or a zone with daylight saving) fall back to hours_between.
    """

    def __init__(self, deadlines: Deadlines, first: date, last: date):
        self.deadlines = deadlines
        self._starts: list[float] = []
        self._cum: list[float] = []
        self._working: list[bool] = []
        self.plain = isinstance(deadlines, ClockHours)
        if isinstance(deadlines, WorkCalendar):
            self._tabulate(deadlines, first - timedelta(days=1), last + timedelta(days=1))

    def _tabulate(self, cal: WorkCalendar, first: date, last: date) -> None:
        self._sessions = [
            (s.hour * 3600 + s.minute * 60 + s.second, e.hour * 3600 + e.minute * 60 + e.second)
            for s, e in cal.sessions
        ]
        day_seconds = sum(e - s for s, e in self._sessions)
        total = 0.0
        day = first
        starts, cum, working = [], [], []
        while day <= last + timedelta(days=1):
            starts.append(datetime.combine(day, time(0), tzinfo=cal.tz).timestamp())
            cum.append(total)
            works = cal.is_working_day(day)
            working.append(works)
            total += day_seconds if works else 0.0
            day += timedelta(days=1)
        if any(b - a != 86400 for a, b in zip(starts, starts[1:], strict=False)):
            return  # daylight saving in this zone: keep the exact, slower path
        self._starts, self._cum, self._working = starts, cum, working

    def _worked(self, t: float) -> float | None:
        """Working seconds from the table's first day to t; None outside the table."""
        days, offset = divmod(t - self._starts[0], 86400.0)  # every day is 86400 s (checked)
        i = int(days)
        if i < 0 or i >= len(self._starts) - 1:
            return None
        total = self._cum[i]
        if self._working[i]:
            for s, e in self._sessions:
                if offset > s:
                    total += (offset if offset < e else e) - s
        return total

    def _worked_many(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """_worked over a numpy array; NaN outside the table."""
        import numpy as np

        days, offset = np.divmod(t - self._starts[0], 86400.0)
        i = days.astype(np.int64)
        inside = (i >= 0) & (i < len(self._starts) - 1)
        i = np.clip(i, 0, len(self._starts) - 1)
        within = sum(np.clip(offset - s, 0.0, float(e - s)) for s, e in self._sessions)
        working = np.asarray(self._working, dtype=float)
        total: NDArray[np.float64] = np.asarray(self._cum)[i] + working[i] * within
        total[~inside] = np.nan
        return total

    def hours_many(self, starts: Sequence[float], ends: Sequence[float]) -> list[float]:
        """hours() for many pairs at once (vectorised; a month of tickets takes milliseconds)."""
        import numpy as np

        a, b = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
        if self.plain:
            hours: list[float] = (np.maximum(b - a, 0.0) / 3600).tolist()
            return hours
        if not self._starts:
            return [self.hours(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        wa, wb = self._worked_many(a), self._worked_many(b)
        out = np.round(np.maximum(wb - wa, 0.0) / 3600, 6)
        for i in np.nonzero(np.isnan(out))[0].tolist():
            out[i] = self.hours(float(a[i]), float(b[i]))
        result: list[float] = out.tolist()
        return result

    def hours(self, start: float, end: float) -> float:
        """Working hours in [start, end), like Deadlines.hours_between; 0 when end <= start."""
        if end <= start:
            return 0.0
        if self.plain:
            return (end - start) / 3600
        if self._starts:
            a, b = self._worked(start), self._worked(end)
            if a is not None and b is not None:
                # SQLite hands back epochs good to the millisecond: drop the float noise
                return round((b - a) / 3600, 6)
        return self.deadlines.hours_between(
            datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
        )


def working_hours_for(deadlines: Deadlines, period: Period, now: datetime, tz: ZoneInfo) -> WorkingHours:
    first, last = period.days(tz)
    return WorkingHours(deadlines, first, max(last, now.astimezone(tz).date()))


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default); `ordered` is sorted."""
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    lo = floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def response_hours(moments: ResponseMoments, hours: WorkingHours) -> dict[str | None, list[float]]:
    """Sorted first-response working hours per key (area, group, or None for all)."""
    found: dict[str | None, list[float]] = {key: [] for key in moments.keys}
    by_code = list(found.values())
    for code, h in zip(moments.which, hours.hours_many(moments.starts, moments.ends), strict=True):
        by_code[code].append(h)
    for values in by_code:
        values.sort()
    return found
