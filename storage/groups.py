"""Group chats bound to areas at runtime (/nhom), and the binding changes asked and decided."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import BindingChange, GroupBinding

PENDING = "pending"


async def bindings(session: AsyncSession) -> Sequence[GroupBinding]:
    """Every runtime binding, oldest first."""
    return (await session.execute(select(GroupBinding).order_by(col(GroupBinding.at)))).scalars().all()


async def pending_changes(session: AsyncSession, key: str | None = None) -> list[BindingChange]:
    """Changes awaiting a supervisor, oldest first (of one chat's topic, when `key` is given)."""
    query = select(BindingChange).where(col(BindingChange.status) == PENDING).order_by(col(BindingChange.id))
    if key is not None:
        query = query.where(col(BindingChange.key) == key)
    return list((await session.execute(query)).scalars())


async def add_change(session: AsyncSession, change: BindingChange) -> int:
    """Store a requested binding change; its number (for /duyetnhom)."""
    session.add(change)
    await session.flush()
    assert change.id is not None
    return change.id


async def get_change(session: AsyncSession, change_id: int) -> BindingChange | None:
    return await session.get(BindingChange, change_id)


async def bind(session: AsyncSession, change: BindingChange, by: str, now: datetime) -> None:
    """Make an approved change the chat's binding: its areas, or no binding when it has none."""
    row = await session.get(GroupBinding, change.key)
    if not change.areas.split():
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        row = GroupBinding(key=change.key, channel=change.channel, chat_id=change.chat_id)
        session.add(row)
    row.thread_id, row.areas, row.name = change.thread_id, change.areas, change.name
    row.bound_by, row.at = by, now
