"""Run the handlers against an in-memory channel and read the transcript, dialogue style."""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.sender import OutboxSender
from handlers.context import Outbound
from handlers.core import Hotline
from handlers.desk import followups
from handlers.messages import Attachment, ChatRef, Identity, Inbound, Outgoing, Sent
from handlers.reports import jobs as report_jobs
from handlers.settings import AreaSpec, Deadlines, GroupSpec, HotlineSettings
from handlers.worktime import ClockHours
from storage.communes import seed_communes
from storage.db import Database

CH = "mem"
_report_pool: list[ProcessPoolExecutor] = []  # one warm report process for all tests, as in the app


class FakeClock:
    """The one clock; tests move it instead of sleeping."""

    def __init__(self, start: datetime | None = None):
        self.moment = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Mon 09:00 in Vinh

    def now(self) -> datetime:
        return self.moment

    def advance(self, **kwargs: float) -> None:
        self.moment += timedelta(**kwargs)


class MemoryChannel:
    """Records what the bot sends; message ids are m1, m2, …"""

    name = CH

    def __init__(self) -> None:
        self.sent: list[tuple[str, Outgoing]] = []
        self._ids = itertools.count(1)
        self.fail_next: list[Exception] = []  # raised by the next sends, whatever their chat
        self.fail_to: dict[str, list[Exception]] = {}  # raised by the next sends to one chat
        self.attempts = 0

    async def start(self, on_inbound) -> None:  # type: ignore[no-untyped-def]
        pass

    async def stop(self) -> None:
        pass

    async def send(self, message: Outgoing) -> Sent:
        self.attempts += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        if self.fail_to.get(message.chat.chat_id):
            raise self.fail_to[message.chat.chat_id].pop(0)
        message_id = f"m{next(self._ids)}"
        self.sent.append((message_id, message))
        return Sent((message_id,))


AREAS = (
    AreaSpec("dat_dai", "Đất đai", ("đất", "sổ đỏ", "giấy chứng nhận quyền sử dụng đất")),
    AreaSpec("tai_chinh", "Tài chính", ("ngân sách", "kinh phí", "quyết toán")),
    AreaSpec("cntt", "Công nghệ thông tin", ("phần mềm", "chữ ký số", "đường truyền")),
    AreaSpec("khac", "Khác", ()),
)
GROUPS = (
    GroupSpec(CH, "g_dat", "Tổ Đất đai", ("dat_dai",)),
    GroupSpec(CH, "g_tc", "Tổ Tài chính", ("tai_chinh", "khac")),
    GroupSpec(CH, "g_it", "Tổ CNTT", ("cntt",)),
)
SUPERVISOR = Identity(CH, "sep")


def settings(**overrides) -> HotlineSettings:  # type: ignore[no-untyped-def]
    base = dict(areas=AREAS, groups=GROUPS, supervisors=frozenset({SUPERVISOR}),
                registration="open")
    base.update(overrides)
    return HotlineSettings(**base)  # type: ignore[arg-type]


@dataclass
class Harness:
    db: Database
    hotline: Hotline
    channel: MemoryChannel
    sender: OutboxSender
    clock: FakeClock
    _updates: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def say(
        self,
        who: str,
        text: str = "",
        *,
        group: str | None = None,
        thread: str | None = None,
        reply_to: str | None = None,
        callback: str | None = None,
        attachments: tuple[Attachment, ...] = (),
        update_key: str | None = None,
    ) -> list[tuple[str, Outgoing]]:
        """One message from `who` (privately, or in `group`); returns what the bot sent."""
        chat = ChatRef(CH, group, "group", thread) if group else ChatRef(CH, who, "private")
        before = len(self.channel.sent)
        n = next(self._updates)
        await self.hotline.handle(
            Inbound(
                sender=Identity(CH, who),
                chat=chat,
                text=text,
                display_name=who.capitalize(),
                message_id=f"u{n}",
                update_key=update_key or uuid.uuid4().hex,
                reply_to=reply_to,
                callback=callback,
                attachments=attachments,
            )
        )
        await self.sender.deliver_due()
        return self.channel.sent[before:]

    async def tick(self) -> list[tuple[str, Outgoing]]:
        """One run of the follow-up job at the clock's current time; returns what was sent."""
        before = len(self.channel.sent)
        async with self.db.session() as session:
            out = Outbound(session, self.hotline.settings, self.clock.now(), self.hotline.deadlines)
            await followups.tick(out)
        await self.sender.deliver_due()
        return self.channel.sent[before:]

    async def reports(self) -> list[tuple[str, Outgoing]]:
        """Run the waiting report jobs (/xuat, /bieudo), as the app's worker does."""
        before = len(self.channel.sent)
        h = self.hotline
        if not _report_pool:
            _report_pool.append(report_jobs.new_pool())
        await report_jobs.run_pending(h.db, h.settings, h.deadlines, h.clock, _report_pool[0])
        await self.sender.deliver_due()
        return self.channel.sent[before:]

    async def digest(self) -> list[tuple[str, Outgoing]]:
        before = len(self.channel.sent)
        today = self.clock.now().astimezone(self.hotline.settings.timezone).date()
        async with self.db.session() as session:
            out = Outbound(session, self.hotline.settings, self.clock.now(), self.hotline.deadlines)
            await followups.daily_digest(out, today)
        await self.sender.deliver_due()
        return self.channel.sent[before:]

    async def register(self, who: str, commune: str = "Xã Nam Đàn") -> None:
        await self.say(who, f"/dangky {who.capitalize()} Nguyễn | {commune} | Công chức địa chính")

    async def ask(self, who: str, question: str) -> int:
        """Ask and return the new ticket number (read from the confirmation)."""
        out = await self.say(who, question)
        for _, msg in out:
            if msg.chat.chat_id == who and msg.ticket_number:
                return msg.ticket_number
        raise AssertionError(f"no ticket opened: {[m.text for _, m in out]}")


def texts_to(out: list[tuple[str, Outgoing]], chat_id: str) -> list[str]:
    return [m.text for _, m in out if m.chat.chat_id == chat_id]


async def make_harness(
    db_url: str, clock: FakeClock | None = None, deadlines: Deadlines | None = None, **overrides
) -> Harness:  # type: ignore[no-untyped-def]
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as session:
        await seed_communes(session)
    clock = clock or FakeClock()
    channel = MemoryChannel()
    config = settings(**overrides)
    sender = OutboxSender(db, {CH: channel}, clock, settings=config)
    hotline = Hotline(db, config, clock, deadlines or ClockHours())
    await hotline.load_bindings()
    return Harness(db, hotline, channel, sender, clock)
