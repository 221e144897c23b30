"""Outbox claims: several senders (instances) on one database send every row once, each chat
in order, and a crashed sender's leased rows go out once its lease has run out."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from bot.sender import LEASE, OutboxSender
from handlers.messages import Outgoing, Sent
from storage.db import Database
from storage.models import OutboxMessage
from tests.helpers.harness import CH, FakeClock, MemoryChannel

CHATS, EACH = 20, 10


class Interleaving(MemoryChannel):
    """Records every send in one list and yields on each, so the senders interleave."""

    def __init__(self, log: list[tuple[str, Outgoing]], owner: str):
        super().__init__()
        self.log, self.owner = log, owner

    async def send(self, message: Outgoing) -> Sent:
        await asyncio.sleep(0)
        self.log.append((self.owner, message))
        await asyncio.sleep(0)
        return Sent((f"{self.owner}-{len(self.log)}",))


async def queue(db: Database, clock: FakeClock, **claim: object) -> None:
    async with db.session() as session:
        for n in range(EACH):
            for c in range(CHATS):
                session.add(OutboxMessage(channel=CH, chat_id=f"chat{c}", text=f"{c}:{n}",
                                          created_at=clock.now(), next_attempt_at=clock.now(), **claim))


async def pending(db: Database) -> int:
    async with db.session() as session:
        q = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        return int((await session.execute(q)).scalar_one())


async def test_two_senders_send_each_row_once_and_each_chat_in_order(db_url):
    db = Database(db_url)
    await db.upgrade()
    clock = FakeClock()
    await queue(db, clock)
    log: list[tuple[str, Outgoing]] = []
    senders = [OutboxSender(db, {CH: Interleaving(log, owner)}, clock, owner=owner)
               for owner in ("a", "b")]

    async def run(sender: OutboxSender) -> None:
        while await pending(db):
            await sender.deliver_due()
            await asyncio.sleep(0)

    try:
        await asyncio.gather(*(run(s) for s in senders))
    finally:
        await db.close()
    texts = [m.text for _, m in log]
    assert sorted(texts) == sorted(f"{c}:{n}" for c in range(CHATS) for n in range(EACH))  # once each
    by_chat: dict[str, list[int]] = defaultdict(list)
    for _, m in log:
        by_chat[m.chat.chat_id].append(int(m.text.split(":")[1]))
    assert all(seq == list(range(EACH)) for seq in by_chat.values()), by_chat
    print(f"claims: {sum(o == 'a' for o, _ in log)} sent by a, {sum(o == 'b' for o, _ in log)} by b")  # noqa: T201


async def test_a_crashed_senders_rows_wait_for_its_lease_then_go_once(db_url):
    db = Database(db_url)
    await db.upgrade()
    clock = FakeClock()
    lease = timedelta(seconds=10)  # shorter than the sender's idle wait
    await queue(db, clock, claimed_by="dead", claimed_until=clock.now() + lease)
    log: list[tuple[str, Outgoing]] = []
    sender = OutboxSender(db, {CH: Interleaving(log, "b")}, clock, owner="b", lease=LEASE)
    try:
        # leased to an instance that may still be sending them; looked at again as it runs out
        assert await sender.deliver_due() == lease.total_seconds()
        assert log == []
        clock.moment += lease + timedelta(seconds=1)
        await sender.deliver_due()
        assert len(log) == CHATS * EACH and await pending(db) == 0
    finally:
        await db.close()
