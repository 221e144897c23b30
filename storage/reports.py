"""The reports' SQL: counts by conditional sums over the tickets received in a span, first
responses as epoch seconds, the overdue and failed lists, the export's rows, weekly counts.

Counting happens in SQL (served by the created_at index); only first-response moments come
back ticket by ticket, because working hours need the calendar (handlers/reports/hours.py).
Nothing here loads Ticket objects in bulk. The definitions of on time, late and overdue are
in handlers/reports/__init__.py. Dialect-specific pieces (epoch, floor) compile for SQLite
and PostgreSQL.
"""

from __future__ import annotations

from array import array
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast

from sqlalchemy import BigInteger, Float, Integer, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from storage.models import HandbookEntry, HandbookUse, OutboxMessage, ReportJob, Ticket, TicketStatus, User


class Span(Protocol):
    """The tickets a report covers: received in [start, end), of `areas` (None: every area).
    handlers.reports.periods.Period is one."""

    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def areas(self) -> frozenset[str] | None: ...


By = Literal["area", "group"] | None  # what counts are split by; None: one total (key None)

# --- dialect-specific functions -------------------------------------------------------------


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


class epoch_us(FunctionElement[int]):  # noqa: N801
    """Microseconds since 1970 of a UTC timestamp column, exactly, as an integer: the export
    computes its dates and working hours from these with the arithmetic the datetimes gave."""

    type = BigInteger()
    name = "epoch_us"
    inherit_cache = True


@compiles(epoch_us)
def _epoch_us_default(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    # SQLite's date functions round to the millisecond: the whole seconds come from the stored
    # text's first 19 characters ('YYYY-MM-DD HH:MM:SS'), the microseconds from the six digits
    # SQLAlchemy writes after them
    x = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(strftime('%s', substr({x}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({x}, 21, 6) AS INTEGER))"
    )


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


# --- conditions -----------------------------------------------------------------------------


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_areas(areas: frozenset[str] | None) -> ColumnElement[bool]:
    return col(Ticket.area_code).in_(sorted(areas)) if areas is not None else true()


def _in_span(span: Span) -> ColumnElement[bool]:
    created = col(Ticket.created_at)
    return and_(created >= span.start, created < span.end, _in_areas(span.areas))


def _is_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(col(Ticket.status).in_(TicketStatus.OPEN), col(Ticket.due_at) < now)


def _response_due() -> ColumnElement[datetime]:
    """The deadline of the first response (tickets from before it was kept: the current one)."""
    return func.coalesce(Ticket.response_due_at, Ticket.due_at)


def _is_on_time() -> ColumnElement[bool]:
    first = col(Ticket.first_response_at)
    return and_(first.is_not(None), first <= _response_due())


def _is_late(now: datetime) -> ColumnElement[bool]:
    first = col(Ticket.first_response_at)
    answered_late = and_(first.is_not(None), first > _response_due())
    return or_(answered_late, and_(first.is_(None), _is_overdue(now)))


def _key(by: By) -> list[Mapped[str | None]]:
    if by is None:
        return []
    return [col(Ticket.area_code) if by == "area" else col(Ticket.group_key)]


def _of_commune(commune_id: int | None) -> ColumnElement[bool]:
    return col(Ticket.commune_id) == commune_id if commune_id is not None else true()


# --- counts ---------------------------------------------------------------------------------


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


def _count_columns(now: datetime) -> list[ColumnElement[int]]:
    """In Counts field order."""
    return [
        func.count(),
        _count_if(col(Ticket.answered_at).is_not(None)),
        _count_if(col(Ticket.status) == TicketStatus.CLOSED),
        _count_if(col(Ticket.status) == TicketStatus.CANCELLED),
        _count_if(col(Ticket.status).in_((*TicketStatus.OPEN, TicketStatus.WAITING))),
        _count_if(_is_overdue(now)),
        _count_if(_is_on_time()),
        _count_if(_is_late(now)),
        _count_if(col(Ticket.escalated_at).is_not(None)),
        _count_if(col(Ticket.overdue_escalated_at).is_not(None)),
        func.coalesce(func.sum(Ticket.rating), 0),
        func.count(col(Ticket.rating)),
    ]


async def ticket_counts(
    session: AsyncSession, now: datetime, span: Span, by: By = None, commune_id: int | None = None
) -> dict[str | None, Counts]:
    """Counts of the span's tickets (of one commune, when given) per area or group; with
    `by` None, the one total under the key None (absent when the query returns no row)."""
    keys = _key(by)
    q = select(*keys, *_count_columns(now)).where(_in_span(span), _of_commune(commune_id))
    if keys:
        q = q.group_by(*keys)
    rows = (await session.execute(q)).all()
    return {(r[0] if keys else None): Counts(*(int(v or 0) for v in r[len(keys):])) for r in rows}


async def top_communes(session: AsyncSession, span: Span, limit: int) -> list[tuple[int | None, int]]:
    """The communes that asked most in the span, with how many questions."""
    q = (
        select(col(Ticket.commune_id), func.count().label("n"))
        .where(_in_span(span))
        .group_by(col(Ticket.commune_id))
        .order_by(func.count().desc(), col(Ticket.commune_id))
        .limit(limit)
    )
    return [(cid, int(n)) for cid, n in (await session.execute(q)).all()]


async def count_overdue(session: AsyncSession, now: datetime, areas: frozenset[str] | None = None) -> int:
    q = select(func.count()).select_from(Ticket).where(_is_overdue(now), _in_areas(areas))
    return int((await session.execute(q)).scalar_one())


async def count_deflected(session: AsyncSession, span: Span) -> int:
    """Questions the handbook answered (no ticket). For a supervisor limited to some areas,
    those whose first suggestion lay in their areas: the question's likely area."""
    at = col(HandbookUse.at)
    resolved = and_(col(HandbookUse.outcome) == "resolved", at >= span.start, at < span.end)
    if span.areas is None:
        q = select(func.count()).select_from(HandbookUse).where(resolved)
        return int((await session.execute(q)).scalar_one())
    uses = (await session.execute(select(col(HandbookUse.entry_ids)).where(resolved))).scalars().all()
    firsts = [int(ids.split()[0]) for ids in uses if ids.strip()]  # one per use
    if not firsts:
        return 0
    area_of = {entry_id: area for entry_id, area in (await session.execute(
        select(col(HandbookEntry.id), col(HandbookEntry.area_code))
        .where(col(HandbookEntry.id).in_(set(firsts)))
    )).all()}
    return sum(1 for entry_id in firsts if area_of.get(entry_id) in span.areas)


async def weekly_counts(
    session: AsyncSession, now: datetime, span: Span, anchor: float
) -> list[tuple[int | None, str, int, int, int]]:
    """(week since `anchor` (epoch seconds), area, received, on time, late) per week and area."""
    week = floor_int((epoch(col(Ticket.created_at)) - anchor) / (7 * 86400)).label("week")
    q = (
        select(week, col(Ticket.area_code), func.count(), _count_if(_is_on_time()), _count_if(_is_late(now)))
        .where(_in_span(span))
        .group_by(week, col(Ticket.area_code))
    )
    return [
        (None if w is None else int(w), area, int(n), int(ok), int(late))
        for w, area, n, ok, late in (await session.execute(q)).all()
    ]


# --- first responses ------------------------------------------------------------------------


@dataclass
class ResponseMoments:
    """Created and first-response moments (epoch seconds) of answered tickets, ticket by
    ticket, with the key (area or group) of each as an index into `keys`. Compact arrays:
    about 20 bytes a ticket."""

    keys: list[str | None] = field(default_factory=list)
    which: array[int] = field(default_factory=lambda: array("i"))
    starts: array[float] = field(default_factory=lambda: array("d"))
    ends: array[float] = field(default_factory=lambda: array("d"))


def windows(span: Span, days: int = 7) -> Iterable[tuple[datetime, datetime]]:
    """The span cut into slices of a few days, to read it in bounded pieces."""
    start = span.start
    while start < span.end:
        end = min(start + timedelta(days=days), span.end)
        yield start, end
        start = end


async def response_moments(
    session: AsyncSession, span: Span, by: By = None, commune_id: int | None = None
) -> ResponseMoments:
    """The span's answered tickets (of one commune, when given); with `by` None, every one
    under the key None.

    Read a week at a time: memory stays bounded by a week of tickets, and a plain execute is
    markedly cheaper than a server-side cursor on aiosqlite. Only the week's bounds go on
    created_at: with the span's too, SQLite would range over the whole span every week.
    """
    keys = _key(by)
    found = ResponseMoments()
    codes: dict[str | None, int] = {}
    created, first = col(Ticket.created_at), col(Ticket.first_response_at)
    for lo, hi in windows(span):
        q = select(*keys, epoch(created), epoch(first)).where(
            created >= lo, created < hi, first.is_not(None), _in_areas(span.areas), _of_commune(commune_id),
        )
        for row in (await session.execute(q)).all():
            key = row[0] if keys else None
            if key not in codes:
                codes[key] = len(codes)
                found.keys.append(key)
            found.which.append(codes[key])
            found.starts.append(cast(float, row[-2]))
            found.ends.append(cast(float, row[-1]))
    return found


# --- lists ----------------------------------------------------------------------------------


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
            .where(col(Ticket.status) == status, col(Ticket.due_at) < now, _in_areas(areas))
            .order_by(col(Ticket.due_at), col(Ticket.id))
            .limit(limit)
        )
        found += (await session.execute(q)).scalars().all()
    found.sort(key=lambda t: (t.due_at, t.id))
    return found[:limit]


async def failed_deliveries(
    session: AsyncSession, since: datetime, areas: frozenset[str] | None = None, limit: int = 10
) -> tuple[int, list[OutboxMessage]]:
    """Messages the platforms refused for good since `since` (bot blocked, chat gone), newest
    first, with how many there were; a supervisor limited to some areas sees their tickets'."""
    where = and_(
        col(OutboxMessage.status) == "failed", col(OutboxMessage.created_at) >= since, _in_areas(areas),
    )
    joined = select(OutboxMessage).join(
        Ticket, col(Ticket.id) == col(OutboxMessage.ticket_id), isouter=True
    )
    total = (await session.execute(
        joined.with_only_columns(func.count()).where(where)
    )).scalar_one()
    rows = (await session.execute(
        joined.where(where)
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(limit)
    )).scalars().all()
    return int(total), list(rows)


async def export_rows(
    session: AsyncSession, span: Span, now: datetime, question_chars: int, batch: int
) -> AsyncIterator[Sequence[Any]]:
    """The span's tickets for the workbook, oldest first, streamed in batches: (id, created,
    first response, closed (the three in microseconds since 1970, UTC), answered on time (None:
    not answered, or no deadline), overdue now, commune id, asker's name, the question's first
    `question_chars` characters, area, group, status, rating)."""
    first = col(Ticket.first_response_at)
    q = (
        select(
            col(Ticket.id), epoch_us(col(Ticket.created_at)), epoch_us(first),
            epoch_us(col(Ticket.closed_at)), first <= _response_due(),
            case((_is_overdue(now), True), else_=False), col(Ticket.commune_id), col(User.name),
            func.substr(Ticket.question, 1, question_chars), col(Ticket.area_code), col(Ticket.group_key),
            col(Ticket.status), col(Ticket.rating),
        )
        .join(User, col(User.id) == col(Ticket.asker_id), isouter=True)
        .where(_in_span(span))
        .order_by(col(Ticket.created_at), col(Ticket.id))
    )
    # on the session's connection, as Core rows: the ORM's per-row loading cost ~5% of an export;
    # numbers, not datetimes: parsing five datetime columns a row cost a fifth of it
    conn = await session.connection()
    result = await conn.stream(q.execution_options(yield_per=batch))
    async for part in result.partitions():
        yield part


# --- report jobs ----------------------------------------------------------------------------


async def oldest_pending_job(session: AsyncSession) -> ReportJob | None:
    q = select(ReportJob).where(col(ReportJob.status) == "pending").order_by(col(ReportJob.id)).limit(1)
    return (await session.execute(q)).scalar_one_or_none()


@asynccontextmanager
async def reading(url: str) -> AsyncIterator[AsyncSession]:
    """A session on an engine of its own. The bot's engine begins every transaction with
    BEGIN IMMEDIATE on SQLite; a plain engine only reads, so a long report never holds the
    bot's write lock (in WAL mode readers and the writer do not block each other)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, hide_parameters=True)  # no question text in errors
    try:
        async with AsyncSession(engine) as session:
            yield session
    finally:
        await engine.dispose()
