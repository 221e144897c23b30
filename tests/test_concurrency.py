"""Many questions at once on one database: none lost to a write conflict between transactions."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from sqlalchemy import func, select

from handlers.core import APOLOGY
from handlers.intake import handbook
from handlers.messages import ChatRef, Identity, Inbound
from storage.models import OutboxMessage, Ticket
from tests.helpers.harness import CH

AT_ONCE = 10


async def test_forty_questions_at_once_each_become_a_ticket(hx, monkeypatch):
    cadres = [f"c{i}" for i in range(40)]
    for who in cadres:
        await hx.register(who)
    # On PostgreSQL ten transactions at a time reach the routing step together, as in a burst
    # on a busy server: they all find the group's chat state missing and all write it. (SQLite
    # runs one writing transaction at a time: BEGIN IMMEDIATE.)
    barrier = asyncio.Barrier(AT_ONCE)
    suggest = handbook.suggest

    async def in_step(ctx, question):  # type: ignore[no-untyped-def]
        shown = await suggest(ctx, question)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(barrier.wait(), 5)
        return shown

    if not hx.db.is_sqlite:
        monkeypatch.setattr(handbook, "suggest", in_step)
    await asyncio.gather(*(
        hx.hotline.handle(Inbound(
            sender=Identity(CH, who), chat=ChatRef(CH, who, "private"),
            text=f"Cấp sổ đỏ lần đầu cho hộ gia đình {who} cần giấy tờ gì?",
            display_name=who, message_id=f"q{who}", update_key=uuid.uuid4().hex,
        ))
        for who in cadres
    ))
    async with hx.db.session() as s:
        tickets = (await s.execute(select(func.count()).select_from(Ticket))).scalar_one()
        apologies = (await s.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.text == APOLOGY)
        )).scalar_one()
    assert (tickets, apologies) == (40, 0)
    await hx.sender.deliver_due()
    acks = [m for _, m in hx.channel.sent if m.chat.chat_id in cadres and "số phiếu #" in m.text]
    assert len(acks) == 40
