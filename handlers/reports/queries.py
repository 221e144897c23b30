"""The reports' SQL: counts by conditional sums, response moments as epochs, overdue and
failed lists. Dialect-specific pieces (epoch, floor) compile for SQLite and PostgreSQL."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, Integer, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from handlers.reports.hours import WorkingHours
from handlers.reports.periods import Period, windows
from storage.models import HandbookEntry, HandbookUse, OutboxMessage, Ticket, TicketStatus


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


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
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
        count_if(Ticket.answered_at.is_not(None)),
        count_if(Ticket.status == TicketStatus.CLOSED),
        count_if(Ticket.status == TicketStatus.CANCELLED),
        count_if(Ticket.status.in_((*TicketStatus.OPEN, TicketStatus.WAITING))),
        count_if(is_overdue(now)),
        count_if(is_on_time()),
        count_if(is_late(now)),
        count_if(Ticket.escalated_at.is_not(None)),
        count_if(Ticket.overdue_escalated_at.is_not(None)),
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
