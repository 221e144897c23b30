"""What operators see (`/metrics`, `hotline status`): the outbox, tickets, running instances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Instance, OutboxMessage, Ticket, UTCDateTime


@dataclass(frozen=True)
class OutboxState:
    channel: str
    pending: int  # not sent yet, due or waiting for a retry
    due: int  # pending and due now
    oldest_due: datetime | None  # when the longest-waiting due message became due


async def outbox(session: AsyncSession, now: datetime) -> list[OutboxState]:
    is_due = col(OutboxMessage.next_attempt_at) <= now
    q = (
        select(
            col(OutboxMessage.channel),
            func.count(),
            func.sum(case((is_due, 1), else_=0)),
            # typed as the column, so SQLite's text comes back as an aware datetime
            type_coerce(
                func.min(case((is_due, col(OutboxMessage.next_attempt_at)), else_=None)), UTCDateTime()
            ),
        )
        .where(col(OutboxMessage.status) == "pending")
        .group_by(col(OutboxMessage.channel))
        .order_by(col(OutboxMessage.channel))
    )
    rows = (await session.execute(q)).all()
    return [OutboxState(ch, int(n), int(d or 0), oldest) for ch, n, d, oldest in rows]


async def failed_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Messages given up (permanent errors) per channel, created since `since`."""
    q = (
        select(col(OutboxMessage.channel), func.count())
        .where(col(OutboxMessage.status) == "failed", col(OutboxMessage.created_at) >= since)
        .group_by(col(OutboxMessage.channel))
    )
    return {ch: int(n) for ch, n in (await session.execute(q)).all()}


async def tickets_by_area(session: AsyncSession) -> dict[str, int]:
    q = select(col(Ticket.area_code), func.count()).group_by(col(Ticket.area_code))
    return {area or "": int(n) for area, n in (await session.execute(q)).all()}


async def instances(session: AsyncSession) -> list[Instance]:
    q = select(Instance).order_by(col(Instance.leader).desc(), col(Instance.id))
    return list((await session.execute(q)).scalars())

