"""Supervisors' numbers: report periods, summaries, group league tables, one commune's view.

Counting happens in SQL (conditional sums over the tickets received in a period, served by
the created_at index); only first-response times come back ticket by ticket, as epoch
seconds, because working hours need the calendar. Nothing here loads Ticket objects in bulk.

Definitions used everywhere (chat summaries, the workbook, the chart):
- a period counts the tickets *received* in it (created_at in [start, end));
- response time = working hours from created_at to first_response_at (an answer, or a
  question back to the cadre);
- on time = first_response_at <= due_at (the deadline as moved by pauses and postponements);
  late = answered after due_at, or still waiting for the group (new, in progress) past due_at.
  Tickets without an answer that were closed or cancelled, and those still inside their
  deadline, are neither: they are left out of the on-time share;
- overdue = still waiting for the group and past due_at (what /quahan lists).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from math import floor
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from handlers.errors import UsageError
from handlers.settings import Deadlines, HotlineSettings
from handlers.textutil import fold
from handlers.worktime import ClockHours, WorkCalendar
from storage.communes import load_communes
from storage.models import HandbookEntry, HandbookUse, OutboxMessage, Ticket, TicketStatus

PERIOD_HELP = "homnay, homqua, tuan, thang, nam, YYYY-MM (ví dụ 2026-11) hoặc DD/MM/YYYY-DD/MM/YYYY"

# --- periods --------------------------------------------------------------------------------


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
        raise UsageError(f"Kỳ phải nằm trong các năm {YEARS[0]}–{YEARS[1]}. Kỳ: {PERIOD_HELP}")
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
        return _days(today, today, tz, f"hôm nay ({today:%d/%m/%Y})", f"{today:%Y-%m-%d}")
    if word in ("homqua", "yesterday"):
        day = today - timedelta(days=1)
        return _days(day, day, tz, f"hôm qua ({day:%d/%m/%Y})", f"{day:%Y-%m-%d}")
    if word in ("tuan", "tuannay"):
        monday = today - timedelta(days=today.weekday())
        sunday = monday + timedelta(days=6)
        return _days(monday, sunday, tz, f"tuần này ({_span(monday, sunday)})", f"tuan-{monday:%Y-%m-%d}")
    if word in ("thang", "thangnay"):
        first = today.replace(day=1)
        last = _next_month(first) - timedelta(days=1)
        return _days(first, last, tz, f"tháng {first:%m/%Y}", f"{first:%Y-%m}")
    if word in ("nam", "namnay"):
        first, last = date(today.year, 1, 1), date(today.year, 12, 31)
        return _days(first, last, tz, f"năm {today.year}", f"{today.year}")
    try:
        if m := _MONTH.match(raw):
            first = date(int(m[1]), int(m[2]), 1)
            last = _next_month(first) - timedelta(days=1)
            return _days(first, last, tz, f"tháng {first:%m/%Y}", f"{first:%Y-%m}")
        if m := _RANGE.match(raw):
            first = date(int(m[3]), int(m[2]), int(m[1]))
            last = date(int(m[6]), int(m[5]), int(m[4]))
            if last >= first:
                label = f"ngày {first:%d/%m/%Y}" if first == last else (
                    f"từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}")  # not "từ A–B": one or the other
                return _days(first, last, tz, label,
                             f"{first:%Y%m%d}-{last:%Y%m%d}")
        if m := _DAY.match(raw):
            day = date(int(m[3]), int(m[2]), int(m[1]))
            return _days(day, day, tz, f"ngày {day:%d/%m/%Y}", f"{day:%Y-%m-%d}")
    except (ValueError, OverflowError):  # 31/02, month 13, year 9999 + one month…
        pass
    raise UsageError(f"{usage} — kỳ: {PERIOD_HELP}")


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


# --- SQL helpers ----------------------------------------------------------------------------


class epoch(FunctionElement[float]):  # noqa: N801  (reads as a SQL function)
    """Seconds since 1970 of a UTC timestamp column, as a float, on SQLite and PostgreSQL."""

    type = Float()
    name = "epoch"
    inherit_cache = True


@compiles(epoch)
def _epoch_default(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


class floor_int(FunctionElement[int]):  # noqa: N801
    """floor() of a non-negative number as an integer (SQLite may lack the math functions)."""

    type = Integer()
    name = "floor_int"
    inherit_cache = True


@compiles(floor_int)
def _floor_default(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(floor_int, "sqlite")
def _floor_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_period(period: Period) -> ColumnElement[bool]:
    return and_(Ticket.created_at >= period.start, Ticket.created_at < period.end, in_areas(period.areas))


def in_areas(areas: frozenset[str] | None) -> ColumnElement[bool]:
    return Ticket.area_code.in_(sorted(areas)) if areas is not None else true()


def waiting_for_group() -> ColumnElement[bool]:
    return Ticket.status.in_(TicketStatus.OPEN)


def is_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(waiting_for_group(), Ticket.due_at < now)


def response_due() -> ColumnElement[datetime]:
    """The deadline of the first response (tickets from before it was kept: the current one)."""
    return func.coalesce(Ticket.response_due_at, Ticket.due_at)


def is_on_time() -> ColumnElement[bool]:
    return and_(Ticket.first_response_at.is_not(None), Ticket.first_response_at <= response_due())


def is_late(now: datetime) -> ColumnElement[bool]:
    answered_late = and_(Ticket.first_response_at.is_not(None), Ticket.first_response_at > response_due())
    return or_(answered_late, and_(Ticket.first_response_at.is_(None), is_overdue(now)))


@dataclass
class Counts:
    """The conditional sums every report shows, for one slice of the tickets."""

    received: int = 0
    answered: int = 0
    closed: int = 0
    cancelled: int = 0
    open: int = 0  # waiting for the group or for the cadre
    overdue: int = 0
    on_time: int = 0
    late: int = 0
    escalated: int = 0  # by the group (/vuot)
    auto_escalated: int = 0  # overdue and reported to the supervisors by the follow-up job
    rating_sum: int = 0
    rated: int = 0

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.decided if self.decided else None

    @property
    def rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None


def add_counts(parts: Iterable[Counts]) -> Counts:
    total = Counts()
    for part in parts:
        for name in total.__dataclass_fields__:
            setattr(total, name, getattr(total, name) + getattr(part, name))
    return total


def count_columns(now: datetime) -> list[ColumnElement[int]]:
    """In Counts field order."""
    return [
        func.count(),
        _count_if(Ticket.answered_at.is_not(None)),
        _count_if(Ticket.status == TicketStatus.CLOSED),
        _count_if(Ticket.status == TicketStatus.CANCELLED),
        _count_if(Ticket.status.in_((*TicketStatus.OPEN, TicketStatus.WAITING))),
        _count_if(is_overdue(now)),
        _count_if(is_on_time()),
        _count_if(is_late(now)),
        _count_if(Ticket.escalated_at.is_not(None)),
        _count_if(Ticket.overdue_escalated_at.is_not(None)),
        func.coalesce(func.sum(Ticket.rating), 0),
        func.count(Ticket.rating),
    ]


def _counts(row: Sequence[object]) -> Counts:
    return Counts(*(int(v or 0) for v in row))  # type: ignore[call-overload]


async def grouped_counts(
    session: AsyncSession, now: datetime, where: ColumnElement[bool], *keys: ColumnElement
) -> dict[tuple, Counts]:
    """Counts per value of `keys` (one row, key (), when no keys are given)."""
    q = select(*keys, *count_columns(now)).where(where)
    if keys:
        q = q.group_by(*keys)
    rows = (await session.execute(q)).all()
    return {tuple(r[: len(keys)]): _counts(r[len(keys):]) for r in rows}


# --- working hours, fast --------------------------------------------------------------------


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

    def _worked_many(self, t):  # type: ignore[no-untyped-def]
        """_worked over a numpy array; NaN outside the table."""
        import numpy as np

        days, offset = np.divmod(t - self._starts[0], 86400.0)
        i = days.astype(np.int64)
        inside = (i >= 0) & (i < len(self._starts) - 1)
        i = np.clip(i, 0, len(self._starts) - 1)
        within = sum(np.clip(offset - s, 0.0, float(e - s)) for s, e in self._sessions)
        total = np.asarray(self._cum)[i] + np.asarray(self._working, dtype=float)[i] * within
        total[~inside] = np.nan
        return total

    def hours_many(self, starts: Sequence[float], ends: Sequence[float]) -> list[float]:
        """hours() for many pairs at once (vectorised; a month of tickets takes milliseconds)."""
        import numpy as np

        a, b = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
        if self.plain:
            return (np.maximum(b - a, 0.0) / 3600).tolist()
        if not self._starts:
            return [self.hours(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        wa, wb = self._worked_many(a), self._worked_many(b)
        out = np.round(np.maximum(wb - wa, 0.0) / 3600, 6)
        for i in np.nonzero(np.isnan(out))[0].tolist():
            out[i] = self.hours(float(a[i]), float(b[i]))
        return out.tolist()

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


def windows(period: Period, days: int = 7) -> Iterable[tuple[datetime, datetime]]:
    """The period cut into slices of a few days, to read it in bounded pieces."""
    start = period.start
    while start < period.end:
        end = min(start + timedelta(days=days), period.end)
        yield start, end
        start = end


async def response_hours(
    session: AsyncSession, period: Period, where: ColumnElement[bool] | None, hours: WorkingHours,
    *keys: ColumnElement,
) -> dict[tuple, list[float]]:
    """Sorted first-response working hours per key, for the period's tickets (of its areas,
    when a supervisor is limited to some) matching `where` (a further condition, or None).

    Read a week at a time: memory stays bounded by a week of tickets, and a plain execute is
    markedly cheaper than a server-side cursor on aiosqlite. Only the week's bounds go on
    created_at: with the period's too, SQLite would range over the whole period every week.
    """
    n = len(keys)
    codes: dict[tuple, int] = {}
    which, starts, ends = array("i"), array("d"), array("d")  # compact: 20 bytes a ticket
    for lo, hi in windows(period):
        q = select(*keys, epoch(Ticket.created_at), epoch(Ticket.first_response_at)).where(
            Ticket.created_at >= lo, Ticket.created_at < hi, Ticket.first_response_at.is_not(None),
            in_areas(period.areas),
        )
        if where is not None:
            q = q.where(where)
        for row in (await session.execute(q)).all():
            which.append(codes.setdefault(tuple(row[:n]), len(codes)))
            starts.append(row[n])
            ends.append(row[n + 1])
    found: dict[tuple, list[float]] = {key: [] for key in codes}
    by_code = list(found.values())
    for code, h in zip(which, hours.hours_many(starts, ends), strict=True):
        by_code[code].append(h)
    for values in by_code:
        values.sort()
    return found


# --- reports --------------------------------------------------------------------------------


@dataclass
class Summary:
    period: Period
    counts: Counts
    by_area: list[tuple[str, Counts]]  # most questions first
    top_communes: list[tuple[int | None, int]]
    response: list[float]  # sorted working hours
    overdue_everywhere: int  # all tickets overdue now, whenever received
    deflected: int = 0  # questions the handbook answered, so no ticket was opened

    @property
    def median(self) -> float | None:
        return percentile(self.response, 0.5)

    @property
    def p90(self) -> float | None:
        return percentile(self.response, 0.9)


async def overdue_tickets(
    session: AsyncSession, now: datetime, limit: int = 50, areas: frozenset[str] | None = None
) -> list[Ticket]:
    """Waiting for the group and past due, oldest deadline first.

    One query per status, each walking the (status, due_at) index in order: with `status IN`
    SQLite prefers the due_at index and reads every old ticket to find the few still open.
    """
    found: list[Ticket] = []
    for status in TicketStatus.OPEN:
        q = (
            select(Ticket)
            .where(Ticket.status == status, Ticket.due_at < now, in_areas(areas))
            .order_by(Ticket.due_at, Ticket.id)
            .limit(limit)
        )
        found += (await session.execute(q)).scalars().all()
    found.sort(key=lambda t: (t.due_at, t.id))
    return found[:limit]


async def count_overdue(session: AsyncSession, now: datetime, areas: frozenset[str] | None = None) -> int:
    q = select(func.count()).select_from(Ticket).where(is_overdue(now), in_areas(areas))
    return int((await session.execute(q)).scalar_one())


async def failed_deliveries(
    session: AsyncSession, since: datetime, areas: frozenset[str] | None = None, limit: int = 10
) -> tuple[int, list[OutboxMessage]]:
    """Messages the platforms refused for good since `since` (bot blocked, chat gone), newest
    first, with how many there were; a supervisor limited to some areas sees their tickets'."""
    where = and_(
        OutboxMessage.status == "failed", OutboxMessage.created_at >= since,
        Ticket.area_code.in_(sorted(areas)) if areas is not None else true(),
    )
    joined = select(OutboxMessage).join(Ticket, Ticket.id == OutboxMessage.ticket_id, isouter=True)
    total = (await session.execute(
        joined.with_only_columns(func.count()).where(where)
    )).scalar_one()
    rows = (await session.execute(
        joined.where(where).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)
    )).scalars().all()
    return int(total), list(rows)


def delivery_lines(total: int, rows: Sequence[OutboxMessage], heading: str, tz: ZoneInfo) -> list[str]:
    """"❗ N tin không gửi được …" and one line per message: ticket, recipient, reason, when."""
    if not total:
        return []
    lines = [f"❗ {total} tin không gửi được {heading} — xin kiểm tra người nhận/nhóm còn hoạt động:"]
    for m in rows:
        ticket = f"#{m.ticket_id}" if m.ticket_id else "—"
        moment = m.created_at.astimezone(tz) if m.created_at else None
        at = f" ({moment:%H:%M %d/%m})" if moment else ""
        lines.append(f"{ticket} → {m.channel}:{m.chat_id} — {(m.last_error or '')[:80]}{at}")
    return lines


async def summary(
    session: AsyncSession, settings: HotlineSettings, deadlines: Deadlines, now: datetime,
    period: Period, top: int = 5,
) -> Summary:
    where = in_period(period)
    areas = await grouped_counts(session, now, where, Ticket.area_code)
    total = add_counts(areas.values())
    by_area = sorted(((k[0], c) for k, c in areas.items()), key=lambda kc: (-kc[1].received, kc[0]))
    q = (
        select(Ticket.commune_id, func.count().label("n"))
        .where(where)
        .group_by(Ticket.commune_id)
        .order_by(func.count().desc(), Ticket.commune_id)
        .limit(top)
    )
    communes = [(cid, int(n)) for cid, n in (await session.execute(q)).all()]
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    response = (await response_hours(session, period, None, hours)).get((), [])
    overdue = await count_overdue(session, now, period.areas)
    deflected = await count_deflected(session, period)
    return Summary(period, total, by_area, communes, response, overdue, deflected)


async def count_deflected(session: AsyncSession, period: Period) -> int:
    """Questions the handbook answered (no ticket). For a supervisor limited to some areas,
    those whose first suggestion lay in their areas: the question's likely area."""
    resolved = and_(HandbookUse.outcome == "resolved", HandbookUse.at >= period.start,
                    HandbookUse.at < period.end)
    if period.areas is None:
        q = select(func.count()).select_from(HandbookUse).where(resolved)
        return int((await session.execute(q)).scalar_one())
    uses = (await session.execute(select(HandbookUse.entry_ids).where(resolved))).scalars().all()
    firsts = [int(ids.split()[0]) for ids in uses if ids.strip()]  # one per use
    if not firsts:
        return 0
    area_of = {entry_id: area for entry_id, area in (await session.execute(
        select(HandbookEntry.id, HandbookEntry.area_code).where(HandbookEntry.id.in_(set(firsts)))
    )).all()}
    return sum(1 for entry_id in firsts if area_of.get(entry_id) in period.areas)


@dataclass
class GroupRow:
    key: str | None
    name: str
    counts: Counts
    response: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return percentile(self.response, 0.5)


def group_name(settings: HotlineSettings, key: str | None) -> str:
    group = settings.group_by_key(key)
    if group is not None:
        return group.name
    return "Chưa có tổ (lãnh đạo xử lý)" if key is None else key


def rank_groups(rows: Iterable[GroupRow]) -> list[GroupRow]:
    """Best on-time share first, then the quicker median; groups with nothing decided last."""

    def key(r: GroupRow) -> tuple:
        share = r.counts.on_time_share
        median = r.median
        return (share is None, -(share or 0.0), median is None, median or 0.0, r.name)

    return sorted(rows, key=key)


async def league(
    session: AsyncSession, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period
) -> list[GroupRow]:
    where = in_period(period)
    counts = await grouped_counts(session, now, where, Ticket.group_key)
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    times = await response_hours(session, period, None, hours, Ticket.group_key)
    rows = [
        GroupRow(k[0], group_name(settings, k[0]), c, times.get(k, [])) for k, c in counts.items()
    ]
    return rank_groups(rows)


@dataclass
class CommuneReport:
    commune_id: int
    counts: Counts
    by_area: list[tuple[str, Counts]]
    response: list[float]

    @property
    def median(self) -> float | None:
        return percentile(self.response, 0.5)


async def commune_report(
    session: AsyncSession, settings: HotlineSettings, deadlines: Deadlines, now: datetime,
    period: Period, commune_id: int,
) -> CommuneReport:
    where = and_(in_period(period), Ticket.commune_id == commune_id)
    areas = await grouped_counts(session, now, where, Ticket.area_code)
    total = add_counts(areas.values())
    by_area = sorted(((k[0], c) for k, c in areas.items()), key=lambda kc: (-kc[1].received, kc[0]))
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    response = (await response_hours(session, period, Ticket.commune_id == commune_id, hours)).get((), [])
    return CommuneReport(commune_id, total, by_area, response)


@dataclass
class WeeklySeries:
    """Tickets per week (Monday-based, local time) by area, and the on-time share per week."""

    weeks: list[date]
    by_area: dict[str, list[int]]
    on_time: list[int]
    decided: list[int]


async def weekly(
    session: AsyncSession, settings: HotlineSettings, now: datetime, period: Period
) -> WeeklySeries:
    tz = settings.timezone
    first, last = period.days(tz)
    last = min(last, now.astimezone(tz).date())
    monday = first - timedelta(days=first.weekday())
    weeks: list[date] = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    anchor = datetime.combine(weeks[0] if weeks else first, time(0), tzinfo=tz).timestamp()
    week = floor_int((epoch(Ticket.created_at) - anchor) / (7 * 86400)).label("week")
    q = (
        select(week, Ticket.area_code, func.count(), _count_if(is_on_time()), _count_if(is_late(now)))
        .where(in_period(period))
        .group_by(week, Ticket.area_code)
    )
    by_area: dict[str, list[int]] = {}
    on_time, decided = [0] * len(weeks), [0] * len(weeks)
    for w, area, n, ok, late in (await session.execute(q)).all():
        if w is None or not 0 <= int(w) < len(weeks):
            continue
        by_area.setdefault(area, [0] * len(weeks))[int(w)] += int(n)
        on_time[int(w)] += int(ok)
        decided[int(w)] += int(ok) + int(late)
    return WeeklySeries(weeks, by_area, on_time, decided)


# --- text -----------------------------------------------------------------------------------


def num(value: float | None, digits: int = 1) -> str:
    """Vietnamese numbers: a decimal comma and a dot between thousands (8.338; 2.671,5)."""
    if value is None:
        return "—"
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def count(n: int) -> str:
    """A count beside decimal commas: 8.338, never 8338."""
    return num(n, 0)


def share(part: int, whole: int) -> str:
    if not whole:
        return "— (chưa có phiếu đến hạn)"
    return f"{num(100 * part / whole, 0)}% ({count(part)}/{count(whole)})"


def commune_names() -> dict[int, str]:
    return {c.id: c.name for c in load_communes()}


def short_area(settings: HotlineSettings, code: str) -> str:
    """The area name up to its first comma, for legends and tables ("Đất đai")."""
    area = settings.area(code)
    return area.name.split(",")[0].strip() if area else code


def area_name(settings: HotlineSettings, code: str) -> str:
    area = settings.area(code)
    return area.name if area else code


def summary_text(s: Summary, settings: HotlineSettings) -> str:
    c = s.counts
    lines = [f"📊 Tổng kết {s.period.label}: {count(c.received)} câu hỏi mới."]
    if s.deflected:
        lines.append(f"Sổ tay đã trả lời thêm {count(s.deflected)} câu hỏi (không cần tạo phiếu).")
    if c.received:
        lines += [
            f"Đã trả lời: {count(c.answered)} · Đã đóng: {count(c.closed)} · Còn mở: {count(c.open)}"
            f" · Quá hạn: {count(c.overdue)}"
            + (f" · Đã hủy: {count(c.cancelled)}" if c.cancelled else ""),
            "Thời gian phản hồi: chưa có phiếu nào được phản hồi." if s.median is None else
            f"Thời gian phản hồi (giờ làm việc): trung vị {num(s.median)} giờ, "
            f"90% trong {num(s.p90)} giờ ({count(len(s.response))} phiếu đã phản hồi).",
            f"Trả lời đúng hạn: {share(c.on_time, c.decided)}.",
            f"Vượt thẩm quyền, báo lãnh đạo: {count(c.escalated)} · Quá hạn, tự động báo lãnh đạo: "
            f"{count(c.auto_escalated)}.",
            f"Đánh giá trung bình: {num(c.rating)}/5 ({count(c.rated)} lượt)." if c.rated
            else "Đánh giá: chưa có lượt nào.",
            "Theo lĩnh vực:",
        ]
        for code, a in s.by_area:
            late = f" (quá hạn {count(a.overdue)})" if a.overdue else ""
            lines.append(f"• {area_name(settings, code)}: {count(a.received)}{late}")
        names = commune_names()
        lines.append(f"{count(len(s.top_communes))} xã/phường hỏi nhiều nhất:")
        for cid, n in s.top_communes:
            lines.append(f"• {names.get(cid, '—') if cid is not None else '—'}: {count(n)}")
    lines.append(f"Đang quá hạn (mọi kỳ): {count(s.overdue_everywhere)} phiếu — xem /quahan.")
    return "\n".join(lines)


def league_text(rows: Sequence[GroupRow], period: Period) -> str:
    if not rows:
        return f"🏆 Xếp hạng tổ công tác {period.label}: chưa có câu hỏi nào."
    lines = [
        f"🏆 Xếp hạng tổ công tác {period.label}",
        "(theo tỉ lệ trả lời đúng hạn, rồi thời gian phản hồi trung vị, giờ làm việc):",
    ]
    for i, r in enumerate(rows, start=1):
        c = r.counts
        rate = (f"{num(100 * c.on_time_share, 0)}% đúng hạn ({count(c.on_time)}/{count(c.decided)})"
                if c.decided else "chưa có phiếu đến hạn")
        median = f"trung vị {num(r.median)} giờ" if r.median is not None else "chưa phản hồi phiếu nào"
        lines.append(
            f"{i}. {r.name}: {rate}; {median}; {count(c.received)} câu hỏi"
            + (f"; đang quá hạn {count(c.overdue)}" if c.overdue else "")
        )
    return "\n".join(lines)


def commune_text(r: CommuneReport, name: str, period: Period, settings: HotlineSettings) -> str:
    c = r.counts
    lines = [f"🏘️ {name} — {period.label}: {count(c.received)} câu hỏi."]
    if not c.received:
        return lines[0]
    lines += [
        f"Trả lời đúng hạn: {share(c.on_time, c.decided)} · Phản hồi trung vị {num(r.median)} giờ "
        f"làm việc · Còn mở: {count(c.open)} · Quá hạn: {count(c.overdue)}.",
        "Theo lĩnh vực (hỏi nhiều nhất trước — nơi cần hướng dẫn, bồi dưỡng):",
    ]
    for code, a in r.by_area:
        late = f", quá hạn {count(a.overdue)}" if a.overdue else ""
        part = num(100 * a.received / c.received, 0)
        lines.append(f"• {area_name(settings, code)}: {count(a.received)} ({part}%{late})")
    return "\n".join(lines)


def late_text(hours: float) -> str:
    """How late, in working hours (and working days of 8 hours when long)."""
    if hours < 8:
        return f"{num(hours)} giờ làm việc"
    days, rest = divmod(hours, 8)
    return f"{num(hours)} giờ làm việc (~{int(days)} ngày làm việc {num(rest)} giờ)"

