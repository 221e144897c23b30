"""The hotline's entry point for every inbound message, whatever channel it came from."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import commands
from handlers.context import Ctx, Outbound, state_key
from handlers.desk import groups
from handlers.errors import HotlineError, UsageError
from handlers.intake import cadre
from handlers.messages import Inbound, StorageUnavailable
from handlers.settings import Clock, Deadlines, HotlineSettings
from handlers.texts import common
from handlers.textutil import fold, storable
from handlers.tickets import is_handler, replied_ticket
from storage import repo
from storage.db import Database, writes

log = logging.getLogger(__name__)

APOLOGY = common.APOLOGY  # tests count the apologies by this text


def split_command(text: str) -> tuple[str, str] | None:
    """`/tl@bot 12 abc` → ("tl", "12 abc"); None when the text is not a command."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = more + (" " + rest if rest else "")
    name = fold(head.split("@", 1)[0]).replace(" ", "")
    return name, rest.strip()


async def dispatch(ctx: Ctx) -> None:
    """Decide what an inbound message means and run its handler."""
    msg = ctx.msg
    text = (msg.callback or msg.text or "").strip()
    conversation = await ctx.conversation()

    digit = not msg.callback and text.isascii() and text.isdigit() and len(text) <= 3
    if digit and 1 <= int(text) <= len(conversation.choices):
        text = conversation.choices[int(text) - 1]  # "2" means the second choice offered here
        digit = False
    if digit and msg.chat.kind == "group":
        return  # not an answer to a menu this person asked for: a digit alone does nothing

    command = split_command(text)
    if command is not None:
        await commands.run(ctx, *command)
        return

    if msg.chat.kind == "group":
        # In a group, only replies to the bot's ticket cards are answers; chatter is ignored.
        if msg.reply_to and await replied_ticket(ctx) is not None:
            await commands.run(ctx, "tl", text)
        return

    answer = commands.STATES.get(conversation.state)
    if answer is not None:  # the step this person's conversation waits for
        await answer(ctx, conversation, text)
        return
    if msg.reply_to:
        linked = await replied_ticket(ctx)
        if linked is not None:
            # a card a supervisor or a member-list member got privately: a reply is an answer;
            # the cadre's own ticket: a reply adds information
            answers = linked.asker_chat != msg.chat.key and (
                (ctx.is_supervisor and ctx.settings.oversees(ctx.who, linked.area_code))
                or is_handler(ctx, linked)
            )
            await commands.run(ctx, "tl" if answers else "bosung", f"{linked.id} {text}")
            return
    if msg.attachments and msg.attachments[0].kind == "unsupported":
        await ctx.reply(common.ZALO_HIDDEN)
        return
    if not text and msg.attachments:
        await cadre.active_cadre(ctx)  # someone unregistered is shown how to register first
        if msg.attachments[0].kind in ("sticker", "voice"):
            await ctx.reply(common.STICKER_OR_VOICE)
        else:
            await ctx.reply(common.FILE_WITHOUT_TEXT)
        return
    await commands.run(ctx, "hoi", text)


DB_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)
CONFLICT_RETRIES = 5
# PostgreSQL: unique violation, serialization failure, deadlock
CONFLICT_CODES = frozenset({"23505", "40001", "40P01"})


def is_conflict(err: DBAPIError) -> bool:
    """A transaction that failed only because a concurrent one won a race: worth running again."""
    code = getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)
    return code in CONFLICT_CODES or "UNIQUE constraint failed" in str(err.orig)



class FloodGuard:
    """Per-person sliding one-minute window; in memory, since a flood does not outlive it."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._hits: dict[str, deque[datetime]] = {}
        self._warned: set[str] = set()

    def hit(self, who: str, now: datetime) -> str:
        """"ok", "warn" (first message over the limit) or "drop"."""
        if self.per_minute <= 0:
            return "ok"
        window = self._hits.setdefault(who, deque())
        while window and (now - window[0]).total_seconds() >= 60:
            window.popleft()
        if len(window) < self.per_minute:
            window.append(now)
            self._warned.discard(who)
            return "ok"
        if who in self._warned:
            return "drop"
        self._warned.add(who)
        return "warn"


BATCH_MAX = 100  # messages in one inbound transaction (a Telegram poll brings up to 100)


@dataclass
class Queued:
    """A message waiting for the inbound writer, and its caller's future."""

    msg: Inbound
    key: str | None  # the processed-update key; None: not deduplicated
    flood: str  # the flood guard's verdict, taken once on arrival: a rerun counts nothing twice
    done: asyncio.Future[None]


def _resolve(done: asyncio.Future[None], error: BaseException | None = None) -> None:
    if not done.done():  # its caller may have been cancelled meanwhile
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


class Hotline:
    """Handles inbound messages in transactions; what it sends goes through the outbox."""

    def __init__(
        self,
        db: Database,
        settings: HotlineSettings,
        clock: Clock,
        deadlines: Deadlines,
        on_outbox: Callable[[], None] = lambda: None,
    ):
        self.db = db
        self.settings = settings
        self.config_groups = settings.groups
        self.clock = clock
        self.deadlines = deadlines
        self.on_outbox = on_outbox
        self.flood = FloodGuard(settings.flood_per_minute)
        self._inbox: deque[Queued] = deque()  # messages waiting for the writer
        self._writer: asyncio.Task[None] | None = None

    async def handle(self, msg: Inbound) -> None:
        """Store and handle one message; return once it is committed (or apologized for).

        Calls made while the writer is busy (a polled batch's chats, concurrent webhook calls)
        wait in a queue and are then handled together in one transaction: one commit for
        many messages. There is no savepoint per message: a message that fails (a bug, a lost
        conflict, a handler's HotlineError after it wrote something) rolls the batch back;
        the ones before it are handled again together and it alone (`_handle_single`), so
        that errors, retries and apologies stay per message.
        Only StorageUnavailable escapes, so that the channel does not acknowledge an update
        it could not store (the platform redelivers).
        """
        # a character the database refuses must not lose the question: replaced, the rest kept
        msg = replace(msg, text=storable(msg.text), display_name=storable(msg.display_name),
                      callback=storable(msg.callback) if msg.callback else msg.callback)
        key = f"{msg.chat.channel}:{msg.update_key}" if msg.update_key else None
        exempt = msg.sender in self.settings.supervisors or msg.sender.channel == "console"
        flood = "ok" if exempt else self.flood.hit(str(msg.sender), self.clock.now())
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inbox.append(Queued(msg, key, flood, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="inbound-writer")
        await done

    async def _write(self) -> None:
        """The one writer of inbound messages: takes what is queued, a batch at a time."""
        batch: list[Queued] = []
        rest: list[Queued] = []
        try:
            while self._inbox:
                batch = [self._inbox.popleft() for _ in range(min(BATCH_MAX, len(self._inbox)))]
                rest = []
                if len(batch) > 1:
                    handled = await self._handle_batch(batch)
                    for item in batch[:handled]:
                        _resolve(item.done)
                    # after a routing change, or a failure: the rest go again, in order
                    batch, rest = batch[handled:][:1], batch[handled:][1:]
                    if handled:
                        self._inbox.extendleft(reversed(batch + rest))
                        continue
                if await self._handle_single(batch[0]):
                    self._inbox.extendleft(reversed(rest))
                else:  # the database is away: no use trying the rest of this batch
                    for item in rest:
                        _resolve(item.done, StorageUnavailable())
            batch = rest = []
        finally:  # cancelled (shutdown): nobody waits forever; the platform redelivers
            for item in [*batch, *rest]:
                if not item.done.done():
                    item.done.cancel()

    async def _admit(self, session: AsyncSession, item: Queued, new: bool | None = None) -> Ctx | None:
        """The steps before a handler: the delivery recorded (None: a redelivery; `new`: the
        batch recorded it already), banned people and floods dropped (None), else the
        handler's context."""
        now = self.clock.now()
        if new is None and item.key:
            new = await repo.mark_processed(session, item.key, now)
        if item.key and not new:
            log.info("skipping redelivered update %s", item.key)
            return None
        ctx = Ctx(session, self.settings, now, self.deadlines, msg=item.msg)
        if await self._dropped(ctx, item.flood):
            return None
        return ctx

    async def _handle_batch(self, batch: list[Queued]) -> int:
        """Handle the batch in one transaction; the number of messages handled (0: the first
        one failed and nothing was committed). It stops after a message that changed the
        group bindings, so that the next ones are routed by the new ones."""
        handled = 0
        changed = committing = False
        try:
            async with self.db.session() as session:
                new = await self._preload(session, batch)
                for item, fresh in zip(batch, new, strict=True):
                    ctx = await self._admit(session, item, fresh)
                    if ctx is not None:
                        await self._dispatch_in_batch(ctx)
                    handled += 1
                    if ctx is not None and ctx.groups_changed:
                        changed = True
                        break
                # the messages after a routing change go again: their deliveries are not done
                await repo.unmark_processed(session, [
                    item.key for item, fresh in zip(batch[handled:], new[handled:], strict=True)
                    if item.key and fresh
                ])
                committing = True
        except Exception as err:  # HotlineError included: no savepoint undoes one message alone
            if committing:
                log.info("a batch of %d updates failed to commit (%s)", handled, type(err).__name__)
                return 0
            if not isinstance(err, HotlineError):
                log.info("update %d of a batch of %d failed (%s); handling it alone",
                         handled + 1, len(batch), type(err).__name__)
            return await self._handle_batch(batch[:handled]) if handled else 0
        if changed:
            await self.load_bindings()
        self.on_outbox()
        return handled

    async def _preload(self, session: AsyncSession, batch: list[Queued]) -> list[bool | None]:
        """The batch's deliveries recorded, and what its handlers will look up loaded, in a
        few statements for the whole batch instead of a few per message; for each message,
        whether its delivery is new (None: not deduplicated)."""
        keys = [item.key for item in batch if item.key]
        fresh = iter(await repo.mark_processed_many(session, keys, self.clock.now()))
        await repo.preload(session, [str(item.msg.sender) for item in batch],
                           [state_key(item.msg) for item in batch])
        return [next(fresh) if item.key else None for item in batch]

    @staticmethod
    async def _dispatch_in_batch(ctx: Ctx) -> None:
        """A user's mistake (HotlineError) found before the handler wrote anything is answered
        within the batch; one found after its first write undoes the batch (no savepoints)."""
        before = await writes(ctx.session)  # flushed: the earlier messages' writes are not its own
        try:
            await dispatch(ctx)
        except HotlineError as err:
            session = ctx.session
            if session.new or session.dirty or session.deleted or await writes(session) != before:
                raise
            await ctx.reply(err.text)

    async def _handle_single(self, item: Queued) -> bool:
        """One message in its own transaction, run again after a lost write conflict, and
        resolved; False when the database is unavailable."""
        conflicts = 0
        outages = 0
        key = item.key
        try:
            while True:
                try:
                    await self._handle_once(item)
                    break
                except (DBAPIError, OSError) as err:
                    if isinstance(err, DBAPIError):
                        if is_conflict(err) and conflicts < CONFLICT_RETRIES:
                            conflicts += 1
                            log.info("update %s lost a write conflict, running it again", key)
                            await asyncio.sleep(random.uniform(0, 0.05 * conflicts))
                            continue
                        if not isinstance(err, OperationalError | InterfaceError):
                            raise
                    if outages == len(DB_RETRY_DELAYS):
                        log.error("database unavailable for update %s: %s", key, type(err).__name__)
                        _resolve(item.done, StorageUnavailable())
                        return False
                    log.warning("database busy for update %s, retrying", key)
                    await asyncio.sleep(DB_RETRY_DELAYS[outages])
                    outages += 1
        except Exception:
            log.exception("failed to handle update %s from %s", key, item.msg.sender)
            await self._apologize(item.msg, key)
        finally:
            self.on_outbox()
        _resolve(item.done)
        return True

    async def _handle_once(self, item: Queued) -> None:
        try:
            async with self.db.session() as session:
                ctx = await self._admit(session, item)
                if ctx is None:
                    return
                await dispatch(ctx)
        except HotlineError as err:
            # the handler's changes are rolled back with the whole transaction (no savepoint);
            # the delivery is recorded and answered in a new one
            async with self.db.session() as session:
                now = self.clock.now()
                if item.key and not await repo.mark_processed(session, item.key, now):
                    return
                await Ctx(session, self.settings, now, self.deadlines, msg=item.msg).reply(err.text)
            return
        if ctx.groups_changed:
            await self.load_bindings()

    async def alert_supervisors(self, text: str) -> None:
        """A notice from the runtime (a channel down, back, or refusing its token) to every
        supervisor, through the outbox like everything else."""
        async with self.db.session() as session:
            await Outbound(session, self.settings, self.clock.now(), self.deadlines).notify_supervisors(text)
        self.on_outbox()

    async def load_bindings(self) -> None:
        """Routing = groups bound with /nhom (stored) first, then the config's groups."""
        async with self.db.session() as session:
            bound = await groups.load(session)
        keys = {g.key for g in bound}
        kept = tuple(g for g in self.config_groups if g.key not in keys)
        self.settings = replace(self.settings, groups=(*bound, *kept))

    async def _dropped(self, ctx: Ctx, flood: str) -> bool:
        """Banned people and floods: stored as processed, not handled (one warning per flood)."""
        who = str(ctx.who)
        if ctx.is_supervisor:
            return False
        if await repo.is_banned(ctx.session, who):
            log.info("dropping update from banned %s", who)
            return True
        if flood == "ok":
            return False
        if flood == "warn":
            await ctx.reply(common.FLOOD_WARNING)
        log.info("flood guard dropped an update from %s", who)
        return True

    async def _apologize(self, msg: Inbound, key: str | None) -> None:
        try:
            async with self.db.session() as session:
                now = self.clock.now()
                if key:
                    await repo.mark_processed(session, key, now)
                ctx = Ctx(session, self.settings, now, self.deadlines, msg=msg)
                await ctx.reply(APOLOGY)
        except Exception:
            log.exception("could not record the apology for update %s", key)


__all__ = ["Hotline", "dispatch", "split_command", "UsageError"]
