"""Delivers the outbox: every queued message reaches its channel, in order, once sent."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.channels.base import Channel, SendError, is_transient
from bot.ratelimit import ChannelLimits, RateLimiter
from bot.resend import GIVEN_UP
from bot.worker import Worker

if TYPE_CHECKING:
    from bot.ops import Metrics
from handlers.messages import ChatRef, Choice, Outgoing
from handlers.settings import Clock, HotlineSettings
from storage import repo
from storage.db import Database
from storage.models import MessageLink, OutboxMessage, Ticket

log = logging.getLogger(__name__)

# Transient errors (platform down, network, 429) are retried for as long as they last; a send
# that raises anything else (a bug) is given up after this many tries, recorded and reported.
MAX_ATTEMPTS = 12
IDLE_WAIT = 30.0  # seconds between looks at the outbox when nothing wakes the sender


def to_outgoing(row: OutboxMessage) -> Outgoing:
    choices = tuple(Choice(label, command) for label, command in json.loads(row.choices))
    copy = json.loads(row.copy_from) if row.copy_from else None
    return Outgoing(
        chat=ChatRef(row.channel, row.chat_id, row.chat_kind, row.thread_id),  # type: ignore[arg-type]
        text=row.text,
        choices=choices,
        ticket_number=row.ticket_id,
        copy_from=(copy[0], copy[1]) if copy else None,
        file_path=row.file_path,
        file_kind="photo" if row.file_kind == "photo" else "document",
        photo_url=row.photo_url,
    )


class OutboxSender(Worker):
    """One worker: sends due rows oldest first; a chat whose message waits holds the rest."""

    name = "outbox-sender"

    def __init__(
        self,
        db: Database,
        channels: dict[str, Channel],
        clock: Clock,
        limits: dict[str, ChannelLimits] | None = None,
        settings: HotlineSettings | None = None,
        metrics: Metrics | None = None,
    ):
        super().__init__()
        self.metrics = metrics
        self.db = db
        self.channels = channels
        self.clock = clock
        self.limiter = RateLimiter(limits or {})
        self._paused: dict[str, float] = {}  # channel → monotonic time its 429 wait ends
        self.settings = settings  # who is told of a permanent failure, and for which areas
        self.supervisors = tuple(sorted(settings.supervisors, key=str)) if settings else ()
        self._idle = asyncio.Event()

    def wake(self) -> None:
        self._idle.clear()
        super().wake()

    async def drain(self) -> None:
        """Wait until nothing is due now (used by the console and tests)."""
        if not self.running:
            return
        self.wake()
        await self._idle.wait()

    async def run_pass(self) -> float:
        try:
            return min(await self.deliver_due(), IDLE_WAIT)
        except Exception:
            log.exception("outbox delivery pass failed")
            return 5.0

    def resting(self) -> None:
        self._idle.set()

    async def deliver_due(self) -> float:
        """Send what is due; return seconds until the next pending row is due."""
        while True:
            async with self.db.session() as session:
                rows = await repo.due_outbox(session, self.clock.now())
            if not rows:
                break
            held: set[str] = set()
            progressed = False
            throttled = IDLE_WAIT
            for row in rows:
                chat = f"{row.channel}:{row.chat_id}"
                if chat in held:
                    continue
                group = row.chat_kind == "group"
                paused = self._paused.get(row.channel, 0.0) - time.monotonic()
                if paused > 0:  # the platform said 429: the whole channel waits, no 429 storm
                    throttled = min(throttled, paused)
                    continue
                wait = self.limiter.wait(row.channel, chat, group, time.monotonic())
                if wait > 0:  # over the platform's limit: hold the chat, retry when allowed
                    held.add(chat)
                    throttled = min(throttled, wait)
                    continue
                self.limiter.take(row.channel, chat, group)
                if await self._deliver(row):
                    progressed = True
                else:
                    held.add(chat)  # keep this chat's order: its later messages wait too
            if not progressed:
                return throttled if throttled < IDLE_WAIT else await self._next_due()
        return await self._next_due()

    async def _next_due(self) -> float:
        async with self.db.session() as session:
            nxt = await repo.next_outbox_time(session)
        if nxt is None:
            return IDLE_WAIT
        return max(0.05, (nxt - self.clock.now()).total_seconds())

    async def _deliver(self, row: OutboxMessage) -> bool:
        """True when the row is finished (sent, or given up); False when it must wait."""
        channel = self.channels.get(row.channel)
        now = self.clock.now()
        if channel is None:
            # kept pending, never given up: it goes out once that channel runs again
            await self._fail(row, f"channel {row.channel!r} is not running", 60.0)
            return False
        try:
            sent = await channel.send(to_outgoing(row))
        except SendError as err:
            if self.metrics is not None:
                self.metrics.send_failures.labels(row.channel).inc()
                if err.retry_after is not None:
                    self.metrics.rate_limited.labels(row.channel).inc()
            if err.permanent:
                await self._give_up(row, str(err))
                return True
            if err.retry_after is not None:
                self._paused[row.channel] = time.monotonic() + err.retry_after
            wait = err.retry_after if err.retry_after is not None else min(300.0, 2.0**row.attempts)
            # the platform or the network is down: wait it out however long, never drop
            await self._fail(row, str(err), retry_in=wait)
            return False
        except Exception as err:  # a bug in an adapter must not stop the sender
            if is_transient(err):  # an outage the adapter did not name: waited out, never dropped
                await self._fail(row, type(err).__name__, retry_in=min(300.0, 2.0**row.attempts))
                return False
            log.exception("channel %s failed sending outbox row %s", row.channel, row.id)
            if row.attempts + 1 >= MAX_ATTEMPTS:  # it will not get better: made visible, not lost
                await self._give_up(row, GIVEN_UP.format(type(err).__name__))
                return True
            await self._fail(row, type(err).__name__, retry_in=min(300.0, 2.0**row.attempts))
            return False
        if self.metrics is not None:
            self.metrics.sends.labels(row.channel).inc()
        async with self.db.session() as session:
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            stored.status = "sent"
            stored.sent_at = now
            stored.attempts += 1
            if row.ticket_id is not None:
                for message_id in sent.message_ids:
                    await session.merge(
                        MessageLink(channel=row.channel, chat_id=row.chat_id,
                                    message_id=message_id, ticket_id=row.ticket_id)
                    )
        return True

    async def _fail(
        self, row: OutboxMessage, reason: str, retry_in: float
    ) -> None:
        async with self.db.session() as session:
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            stored.attempts += 1
            stored.last_error = reason[:500]
            stored.next_attempt_at = self.clock.now() + timedelta(seconds=retry_in)
        log.warning("outbox row %s to %s delayed %.1fs: %s", row.id, row.channel, retry_in, reason)

    async def _give_up(self, row: OutboxMessage, reason: str) -> None:
        """Permanent failure: recorded on the ticket, and the supervisors are told (once)."""
        now = self.clock.now()
        async with self.db.session() as session:
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            stored.attempts += 1
            stored.status = "failed"
            stored.last_error = reason[:500]
            to_supervisor = any(
                s.channel == row.channel and s.user_id == row.chat_id for s in self.supervisors
            )
            area = None
            if row.ticket_id is not None:
                await repo.add_event(
                    session, row.ticket_id, "delivery_failed", "bot", now,
                    f"Không gửi được tới {row.channel}:{row.chat_id}: {reason[:200]}",
                )
                ticket = await session.get(Ticket, row.ticket_id)
                area = ticket.area_code if ticket else None
            if not to_supervisor:
                about = f" về phiếu #{row.ticket_id}" if row.ticket_id else ""
                for sup in self.supervisors:
                    if self.settings is not None and not self.settings.oversees(sup, area):
                        continue
                    session.add(OutboxMessage(
                        channel=sup.channel, chat_id=sup.user_id, ticket_id=row.ticket_id,
                        text=f"❗ Không gửi được tin{about} tới {row.channel}:{row.chat_id} "
                        f"({reason[:200]}). Xin kiểm tra nhóm/người nhận còn hoạt động.",
                        created_at=now, next_attempt_at=now,
                    ))
        log.error("outbox row %s to %s failed permanently: %s", row.id, row.channel, reason)
