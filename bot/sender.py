"""Delivers the outbox: every queued message reaches its channel, in order, once sent."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Channel, SendError, is_transient
from bot.ratelimit import ChannelLimits, RateLimiter
from bot.worker import Worker

if TYPE_CHECKING:
    from bot.ops import Metrics
from handlers.messages import ChatRef, Choice, Outgoing
from handlers.settings import Clock, HotlineSettings
from handlers.texts import ops
from handlers.texts import supervisor as t
from storage import outbox, repo
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import Due

log = logging.getLogger(__name__)

# Transient errors (platform down, network, 429) are retried for as long as they last; a send
# that raises anything else (a bug) is given up after this many tries, recorded and reported.
MAX_ATTEMPTS = 12
IDLE_WAIT = 30.0  # seconds between looks at the outbox when nothing wakes the sender
# A row is leased to the instance sending it for this long; past it (a crash) another takes
# it. Longer than any send takes (the HTTP clients time out well before). The default of
# [outbox] claim_lease_seconds; tests use a short one to see a takeover quickly.
LEASE = timedelta(seconds=60)


def to_outgoing(row: Due) -> Outgoing:
    choices = tuple(Choice(label, command) for label, command in json.loads(row.choices)) \
        if row.choices != "[]" else ()
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


@dataclass
class Outcome:
    """What became of one send: accepted (message ids), to retry later, or given up."""

    row: Due
    message_ids: tuple[str, ...] = ()
    error: str | None = None
    retry_in: float | None = None  # None with an error: given up
    skipped: bool = False  # not tried (a 429 paused the channel meanwhile): nothing to record

    @property
    def sent(self) -> bool:
        return self.error is None and not self.skipped


class OutboxSender(Worker):
    """One worker, many chats at once: each pass picks the head of every chat's queue, sends
    to different chats concurrently inside the platform limits, and records what happened in
    one transaction. A chat waiting on its limit or on a retry holds only itself."""

    name = "outbox-sender"

    def __init__(
        self,
        db: Database,
        channels: dict[str, Channel],
        clock: Clock,
        limits: dict[str, ChannelLimits] | None = None,
        settings: HotlineSettings | None = None,
        metrics: Metrics | None = None,
        owner: str = "local",
        lease: timedelta = LEASE,
    ):
        super().__init__()
        self.metrics = metrics
        self.owner = owner  # the claims' name for this instance
        self.lease = lease
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

    async def release(self) -> None:
        """What this pass claimed and did not finish is free again for any instance."""
        try:
            async with self.db.session() as session:
                await outbox.release(session, self.owner)
        except Exception as err:  # the database away: the leases run out by themselves
            log.warning("outbox claims not released (%s)", type(err).__name__)

    async def deliver_due(self) -> float:
        """Send what is due; return seconds until something may be sent again."""
        held: set[int] = set()  # ids claimed in this pass and not yet sent or given up
        try:
            return await self._deliver(held)
        finally:
            if held:
                await self.release()

    async def _deliver(self, held: set[int]) -> float:
        """A pipeline, not rounds: a send's result is recorded (with whatever else finished
        meanwhile, in one transaction that also claims the next heads, new rows included) as
        soon as it is in, and that chat's next row goes out at once; a slow send holds back
        only its own chat. At most one send per chat is in flight, so a crash repeats at most
        one message per chat."""
        sending: dict[asyncio.Task[Outcome], tuple[str, str]] = {}
        async with self.db.session() as session:
            heads, nxt = await self._claim(session, held, busy=())
        try:
            while True:
                batch, throttled = self._admit(heads)
                for row in batch:
                    sending[asyncio.create_task(self._send(row))] = (row.channel, row.chat_id)
                if not sending:
                    return min(throttled, nxt if nxt is not None else await self._next_due())
                # a chat held by its limit is looked at again when its wait is over, even
                # while the sends in flight take longer
                timeout = throttled if throttled < IDLE_WAIT else None
                done, _ = await asyncio.wait(sending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                finished = [task for task in sending if task in done]
                for task in finished:
                    del sending[task]
                outcomes = [task.result() for task in finished]
                heads, nxt = await self._record(outcomes, held, busy=set(sending.values()))
        finally:
            for task in sending:  # only when the pass failed: a crash's at-least-once applies
                task.cancel()

    def _admit(self, heads: Sequence[Due]) -> tuple[list[Due], float]:
        """Heads the limits allow now, in priority order; and how long the rest must wait."""
        batch: list[Due] = []
        throttled = IDLE_WAIT
        now = time.monotonic()
        for row in heads:
            paused = self._paused.get(row.channel, 0.0) - now
            if paused > 0:  # the platform said 429: the whole channel waits, no 429 storm
                throttled = min(throttled, paused)
                continue
            chat, group = f"{row.channel}:{row.chat_id}", row.chat_kind == "group"
            wait = self.limiter.wait(row.channel, chat, group, now)
            if wait > 0:  # over a limit: this chat (or channel) waits, the others go on
                throttled = min(throttled, wait)
                continue
            self.limiter.take(row.channel, chat, group)
            batch.append(row)
        return batch, throttled

    async def _next_due(self) -> float:
        async with self.db.session() as session:
            return await self._wait_for_next(session)

    async def _wait_for_next(self, session: AsyncSession) -> float:
        now = self.clock.now()
        nxt = await outbox.next_due(session, after=now)
        return IDLE_WAIT if nxt is None else max(0.05, (nxt - now).total_seconds())

    async def _claim(
        self, session: AsyncSession, held: set[int], busy: Collection[tuple[str, str]]
    ) -> tuple[list[Due], float | None]:
        """The due heads, leased to this instance (storage/outbox.py claim), so that several
        instances never send a row twice; less the chats with a send in flight (their head is
        that send). With nothing to send, also how long until something falls due."""
        rows = await outbox.claim(session, self.owner, self.clock.now(), self.lease)
        held.update(row.id for row in rows)
        heads = [row for row in rows if (row.channel, row.chat_id) not in busy]
        nxt = None if heads or busy else await self._wait_for_next(session)
        return heads, nxt

    async def _send(self, row: Due) -> Outcome:
        channel = self.channels.get(row.channel)
        if channel is None:
            # kept pending, never given up: it goes out once that channel runs again
            return Outcome(row, error=f"channel {row.channel!r} is not running", retry_in=60.0)
        if self._paused.get(row.channel, 0.0) > time.monotonic():  # a 429 arrived meanwhile
            return Outcome(row, skipped=True)
        try:
            sent = await channel.send(to_outgoing(row))
        except SendError as err:
            if self.metrics is not None:
                self.metrics.send_failures.labels(row.channel).inc()
                if err.retry_after is not None:
                    self.metrics.rate_limited.labels(row.channel).inc()
            if err.permanent:
                return Outcome(row, error=str(err))
            if err.retry_after is not None:
                self._paused[row.channel] = time.monotonic() + err.retry_after
            wait = err.retry_after if err.retry_after is not None else min(300.0, 2.0**row.attempts)
            # the platform or the network is down: wait it out however long, never drop
            return Outcome(row, error=str(err), retry_in=wait)
        except Exception as err:  # a bug in an adapter must not stop the sender
            if is_transient(err):  # an outage the adapter did not name: waited out, never dropped
                return Outcome(row, error=type(err).__name__, retry_in=min(300.0, 2.0**row.attempts))
            log.exception("channel %s failed sending outbox row %s", row.channel, row.id)
            if row.attempts + 1 >= MAX_ATTEMPTS:  # it will not get better: made visible, not lost
                return Outcome(row, error=ops.GIVEN_UP.format(error=type(err).__name__))
            return Outcome(row, error=type(err).__name__, retry_in=min(300.0, 2.0**row.attempts))
        if self.metrics is not None:
            self.metrics.sends.labels(row.channel).inc()
        return Outcome(row, message_ids=tuple(sent.message_ids))

    async def _record(
        self, outcomes: Sequence[Outcome], held: set[int], busy: Collection[tuple[str, str]]
    ) -> tuple[list[Due], float | None]:
        """One transaction for what finished: sent rows, links to tickets, retries, failures,
        and then the next claim (a chat's next row is its head once this one is sent): one
        commit per step of the pipeline."""
        now = self.clock.now()
        async with self.db.session() as session:
            sent = [o for o in outcomes if o.sent]
            await outbox.mark_sent(session, [o.row.id for o in sent], now)
            await outbox.add_links(session, [
                {"channel": o.row.channel, "chat_id": o.row.chat_id, "message_id": message_id,
                 "ticket_id": o.row.ticket_id}
                for o in sent if o.row.ticket_id is not None for message_id in o.message_ids
            ])
            held.difference_update(o.row.id for o in sent)
            for o in outcomes:
                if o.sent or o.skipped:
                    continue
                if o.retry_in is None:
                    await self._give_up(session, o.row, o.error or "", now)
                    held.discard(o.row.id)
                else:
                    await self._retry_later(session, o.row, o.error or "", o.retry_in, now)
            return await self._claim(session, held, busy)

    async def _retry_later(
        self, session: AsyncSession, row: Due, reason: str, retry_in: float, now: datetime
    ) -> None:
        await outbox.retry_later(session, row.id, reason, now + timedelta(seconds=retry_in))
        log.warning("outbox row %s to %s delayed %.1fs: %s", row.id, row.channel, retry_in, reason)

    async def _give_up(
        self, session: AsyncSession, row: Due, reason: str, now: datetime
    ) -> None:
        """Permanent failure: recorded on the ticket, and the supervisors are told (once)."""
        await outbox.fail(session, row.id, reason)
        to_supervisor = any(
            s.channel == row.channel and s.user_id == row.chat_id for s in self.supervisors
        )
        area = None
        if row.ticket_id is not None:
            await repo.add_event(
                session, row.ticket_id, "delivery_failed", "bot", now,
                t.DELIVERY_FAILED_EVENT.format(channel=row.channel, chat_id=row.chat_id, reason=reason[:200]),
            )
            ticket = await repo.get_ticket(session, row.ticket_id)
            area = ticket.area_code if ticket else None
        if not to_supervisor:
            about = t.ABOUT_TICKET.format(number=row.ticket_id) if row.ticket_id else ""
            for sup in self.supervisors:
                if self.settings is not None and not self.settings.oversees(sup, area):
                    continue
                repo.queue_message(session, OutboxMessage(
                    channel=sup.channel, chat_id=sup.user_id, ticket_id=row.ticket_id,
                    text=t.DELIVERY_FAILED.format(about=about, channel=row.channel,
                                                  chat_id=row.chat_id, reason=reason[:200]),
                    created_at=now, next_attempt_at=now,
                ))
        log.error("outbox row %s to %s failed permanently: %s", row.id, row.channel, reason)
