"""Report periods: what `/tongket tuan`, `/xuat 2026-11`… mean, in the deployment's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.errors import UsageError
from handlers.texts import reports as t
from handlers.textutil import fold

PERIOD_HELP = t.PERIOD_HELP


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC-aware datetimes, with how it reads in Vietnamese and in file names."""

    start: datetime
    end: datetime
    label: str
    slug: str
    areas: frozenset[str] | None = None  # a supervisor limited to some areas sees only those

    def days(self, tz: ZoneInfo) -> tuple[date, date]:
        """First and last local day of the period."""
        return self.start.astimezone(tz).date(), (self.end - timedelta(microseconds=1)).astimezone(tz).date()


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s*-\s*(\d{1,2})/(\d{1,2})/(\d{4})$")
_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


YEARS = (2000, 2100)  # a period outside these years is a typing mistake (and year 1 overflows)


def _days(first: date, last: date, tz: ZoneInfo, label: str, slug: str) -> Period:
    if not (YEARS[0] <= first.year and last.year <= YEARS[1]):
        raise UsageError(t.PERIOD_YEARS.format(first=YEARS[0], last=YEARS[1], help=PERIOD_HELP))
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return Period(start.astimezone(UTC), end.astimezone(UTC), label, slug)


def _span(first: date, last: date) -> str:
    return f"{first:%d/%m/%Y}" if first == last else f"{first:%d/%m/%Y}–{last:%d/%m/%Y}"


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def parse_period(text: str, now: datetime, tz: ZoneInfo, default: str, usage: str) -> Period:
    """`homnay|homqua|tuan|thang|nam|YYYY-MM|DD/MM/YYYY-DD/MM/YYYY` (with or without
    diacritics, "hôm nay" as well) in the deployment's time zone; UsageError otherwise."""
    raw = text.strip() or default
    word = fold(raw).replace(" ", "")
    today = now.astimezone(tz).date()
    if word in ("homnay", "today"):
        return _days(today, today, tz, t.TODAY.format(day=today), f"{today:%Y-%m-%d}")
    if word in ("homqua", "yesterday"):
        day = today - timedelta(days=1)
        return _days(day, day, tz, t.YESTERDAY.format(day=day), f"{day:%Y-%m-%d}")
    if word in ("tuan", "tuannay"):
        monday = today - timedelta(days=today.weekday())
        sunday = monday + timedelta(days=6)
        label = t.THIS_WEEK.format(span=_span(monday, sunday))
        return _days(monday, sunday, tz, label, f"tuan-{monday:%Y-%m-%d}")
    if word in ("thang", "thangnay"):
        first = today.replace(day=1)
        last = _next_month(first) - timedelta(days=1)
        return _days(first, last, tz, t.MONTH.format(first=first), f"{first:%Y-%m}")
    if word in ("nam", "namnay"):
        first, last = date(today.year, 1, 1), date(today.year, 12, 31)
        return _days(first, last, tz, t.YEAR.format(year=today.year), f"{today.year}")
    try:
        if m := _MONTH.match(raw):
            first = date(int(m[1]), int(m[2]), 1)
            last = _next_month(first) - timedelta(days=1)
            return _days(first, last, tz, t.MONTH.format(first=first), f"{first:%Y-%m}")
        if m := _RANGE.match(raw):
            first = date(int(m[3]), int(m[2]), int(m[1]))
            last = date(int(m[6]), int(m[5]), int(m[4]))
            if last >= first:
                label = t.DAY.format(day=first) if first == last else t.DAYS.format(first=first, last=last)
                return _days(first, last, tz, label,
                             f"{first:%Y%m%d}-{last:%Y%m%d}")
        if m := _DAY.match(raw):
            day = date(int(m[3]), int(m[2]), int(m[1]))
            return _days(day, day, tz, t.DAY.format(day=day), f"{day:%Y-%m-%d}")
    except (ValueError, OverflowError):  # 31/02, month 13, year 9999 + one month…
        pass
    raise UsageError(t.PERIOD_USAGE.format(usage=usage, help=PERIOD_HELP))


def split_period(args: str, now: datetime, tz: ZoneInfo) -> tuple[str, Period | None]:
    """`<name> [kỳ]` → (name, period) when the last one or two words are a period."""
    words = args.split()
    for n in (1, 2):
        if len(words) > n:
            try:
                period = parse_period(" ".join(words[-n:]), now, tz, "", "")
            except UsageError:
                continue
            return " ".join(words[:-n]), period
    return args.strip(), None
