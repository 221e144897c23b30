"""The outbox sender's queries: Core statements on plain rows, no ORM entities.

The sender runs them once or twice per message it sends (bot/sender.py), so they are kept to
one statement per step: a claim is one `UPDATE … RETURNING`, a pass's accepted rows one UPDATE
and their links one INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Table, Update, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import flush_deferred
from storage.models import MessageLink, OutboxMessage

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
LINKS: Table = MessageLink.__table__  # type: ignore[attr-defined]
_c = OUTBOX.c


class Due(NamedTuple):
    """A claimed outbox row: what the sender needs to send it and to record the result."""

    id: int
    channel: str
    chat_id: str
    chat_kind: str
    thread_id: str | None
    text: str
    choices: str
    copy_from: str | None
    file_path: str | None
    file_kind: str
    photo_url: str | None
    ticket_id: int | None
    attempts: int
    created_at: datetime

    @property
    def order(self) -> tuple[datetime, bool, int]:
        """Oldest first; a private message before a group notice of the same age (a cadre's
        ack before the card)."""
        return self.created_at, self.chat_kind == "group", self.id


_RETURNED = [_c[name] for name in Due._fields]


def _claim_statement() -> Update:
    heads = select(func.min(_c.id)).where(_c.status == "pending").group_by(_c.channel, _c.chat_id)
    now, owner = bindparam("now", type_=_c.next_attempt_at.type), bindparam("owner", type_=_c.claimed_by.type)
    leased_to_other = and_(  # NULL-safe: it is negated below, and NOT NULL is not true
        _c.claimed_until.is_not(None), _c.claimed_until > now,
        _c.claimed_by.is_not(None), _c.claimed_by != owner,
    )
    picked = (
        select(_c.id)
        .where(_c.id.in_(heads), _c.status == "pending", _c.next_attempt_at <= now, ~leased_to_other)
        .order_by(_c.created_at, case((_c.chat_kind == "group", 1), else_=0), _c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return (
        update(OUTBOX).where(_c.id.in_(picked))
        .values(claimed_by=owner, claimed_until=bindparam("until", type_=_c.claimed_until.type))
        .returning(*_RETURNED)
    )


# built once: the sender runs them for every message, and building is most of their Python cost
_CLAIM = _claim_statement()
_MARK_SENT = (
    update(OUTBOX).where(_c.id.in_(bindparam("ids", expanding=True)))
    .values(status="sent", sent_at=bindparam("now", type_=_c.sent_at.type), attempts=_c.attempts + 1)
)
_LINK = {"postgresql": pg_insert(LINKS).on_conflict_do_nothing(),
         "sqlite": sqlite_insert(LINKS).on_conflict_do_nothing()}
_AFTER = bindparam("after", type_=_c.next_attempt_at.type)
_NEXT_DUE = select(  # a retry falling due, or another instance's lease running out (a crash)
    func.min(case((_c.next_attempt_at > _AFTER, _c.next_attempt_at))),
    func.min(case((_c.claimed_until > _AFTER, _c.claimed_until))),
).where(_c.status == "pending", or_(_c.next_attempt_at > _AFTER, _c.claimed_until > _AFTER))


async def claim(
    session: AsyncSession, owner: str, now: datetime, lease: timedelta, limit: int = 1000
) -> list[Due]:
    """Claim, for `owner` until `now + lease`, the first pending row of every chat whose first
    row is due and not leased to another instance: what this instance may send now, in `order`.

    Only a chat's head is ever picked, so each chat receives in order — across instances too:
    a chat's next row becomes its head only once this one is sent — and a chat waiting on a
    retry or on another instance holds back only its own later rows. FOR UPDATE SKIP LOCKED
    (PostgreSQL): a head another instance is claiming right now is left to it, not waited for.
    """
    await flush_deferred(session)  # rows queued in this transaction (a give-up notice) are heads too
    params = {"owner": owner, "now": now, "until": now + lease, "limit": limit}
    rows = [Due(*row) for row in await session.execute(_CLAIM, params)]
    rows.sort(key=lambda r: r.order)  # RETURNING keeps no order
    return rows


async def release(session: AsyncSession, owner: str) -> None:
    """Give back what `owner` claimed and did not finish: another instance may send it now."""
    await session.execute(
        update(OUTBOX).where(_c.claimed_by == owner, _c.status == "pending")
        .values(claimed_by=None, claimed_until=None)
    )


async def mark_sent(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    """Rows the platform accepted, in one statement."""
    if ids:
        await session.execute(_MARK_SENT, {"ids": list(ids), "now": now})


async def add_links(session: AsyncSession, links: Sequence[dict[str, object]]) -> None:
    """Message → ticket links (a message resent after a crash keeps its first link): one
    executemany of one cached statement, whatever the number of links."""
    if links:
        await session.execute(_LINK[session.get_bind().dialect.name], list(links))


async def retry_later(session: AsyncSession, row_id: int, reason: str, at: datetime) -> None:
    await session.execute(
        update(OUTBOX).where(_c.id == row_id)
        .values(attempts=_c.attempts + 1, last_error=reason[:500], next_attempt_at=at)
    )


async def fail(session: AsyncSession, row_id: int, reason: str) -> None:
    await session.execute(
        update(OUTBOX).where(_c.id == row_id)
        .values(attempts=_c.attempts + 1, status="failed", last_error=reason[:500])
    )


async def next_due(session: AsyncSession, after: datetime) -> datetime | None:
    """When the next pending row falls due after `after`: its retry time, or the end of
    another instance's lease on it (a crashed instance's rows go out as its lease runs out,
    not at the sender's next idle look, up to half a minute later)."""
    await flush_deferred(session)
    times = (await session.execute(_NEXT_DUE, {"after": after})).one()
    return min((t for t in times if t is not None), default=None)

