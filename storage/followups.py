"""What the follow-ups must act on: open tickets past a reminder or deadline, answered tickets
awaiting a check-back, digests already sent, a day's numbers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from storage.models import DigestLog, Ticket, TicketStatus


async def _open(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[Ticket]:
    q = (
        select(Ticket)
        .where(col(Ticket.status).in_(TicketStatus.OPEN), *conditions)
        .order_by(col(Ticket.id))
    )
    return list((await session.execute(q)).scalars())


async def to_remind(session: AsyncSession, now: datetime) -> list[Ticket]:
    """Open, past the reminder time, before the deadline, not reminded yet."""
    return await _open(
        session, col(Ticket.remind_at) <= now, col(Ticket.reminder_sent_at).is_(None),
        col(Ticket.due_at) > now,
    )


async def newly_due(session: AsyncSession, now: datetime) -> list[Ticket]:
    """Open, at or past the first-response deadline, its group not told yet."""
    return await _open(session, col(Ticket.due_at) <= now, col(Ticket.due_notice_sent_at).is_(None))


async def newly_unresolved(session: AsyncSession, now: datetime) -> list[Ticket]:
    """Open, past the resolution deadline, its group not told yet."""
    return await _open(
        session, col(Ticket.resolution_due_at) <= now, col(Ticket.resolution_notice_sent_at).is_(None)
    )


async def overdue_not_escalated(session: AsyncSession, now: datetime) -> list[Ticket]:
    """Open, past the deadline, not escalated to the supervisors yet."""
    return await _open(session, col(Ticket.due_at) <= now, col(Ticket.overdue_escalated_at).is_(None))


async def answered_without_checkback(session: AsyncSession) -> list[Ticket]:
    q = select(Ticket).where(
        col(Ticket.status) == TicketStatus.ANSWERED, col(Ticket.checkback_sent_at).is_(None)
    )
    return list((await session.execute(q)).scalars())


async def checked_back_before(session: AsyncSession, limit: datetime) -> list[Ticket]:
    """Answered tickets whose cadre was asked at or before `limit` and has not replied."""
    q = select(Ticket).where(
        col(Ticket.status) == TicketStatus.ANSWERED, col(Ticket.checkback_sent_at) <= limit
    )
    return list((await session.execute(q)).scalars())


async def claim_digest(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record a digest as sent; False if it was already."""
    if await session.get(DigestLog, key) is not None:
        return False
    session.add(DigestLog(key=key, at=now))
    return True


async def day_counts(
    session: AsyncSession, start: datetime, end: datetime, areas: Collection[str] | None = None
) -> tuple[int, int, int]:
    """Tickets received, answered and closed in [start, end), of `areas` (None: all)."""
    scope = col(Ticket.area_code).in_(sorted(areas)) if areas is not None else true()

    async def count(at: Mapped[datetime | None]) -> int:
        q = select(func.count()).select_from(Ticket).where(scope, at >= start, at < end)
        return int((await session.execute(q)).scalar_one())

    return (
        await count(col(Ticket.created_at)),
        await count(col(Ticket.answered_at)),
        await count(col(Ticket.closed_at)),
    )
