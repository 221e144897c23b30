"""The Zalo channel end to end: the real App, the real adapter and HTTP client, SQLite,
against the fake Zalo Bot API on 127.0.0.1 (tests/fakes/zalo_server.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import App
from bot.channels import zalo_api
from bot.channels.base import SendError, split_text, utf16_len
from bot.channels.zalo import Backoff, ZaloChannel, to_inbound, webhook_update
from bot.channels.zalo_api import TEXT_LIMIT, ZaloApi, ZaloApiError, ZaloHttpError
from bot.cli import main
from bot.config import Config, ConfigError, load_config
from handlers.messages import Attachment, ChatRef, Choice, Identity, Inbound, Outgoing, StorageUnavailable
from storage.models import OutboxMessage, Ticket, TicketStatus
from tests.fakes.zalo_server import (
    TOKEN,
    FakeZaloServer,
    image_event,
    message_event,
    text_event,
    voice_event,
)
from tests.helpers.harness import MemoryChannel
from tests.helpers.waiting import eventually, eventually_async, free_port
from tests.test_ops import samples

TG_IT = "-100777"  # the CNTT group, on the "other platform"
TG_FIN = "-100888"
REGISTER = "/dangky An Nguyễn | Xã Nam Đàn | Công chức địa chính"
LAND_QUESTION = "Xin hỏi hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm gì?"
SECRET = "webhook-secret-0123456789"
PUBLIC_URL = "https://hotline.example.invalid/zalo"  # what Zalo calls; TLS ends at the proxy
FIXTURES = Path(__file__).parent / "data" / "zalo"


def make_config(tmp_path, server: FakeZaloServer, **zalo: Any) -> Config:
    return Config.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"},
        "zalo": {"token": server.token, "api_base": server.base_url, **zalo},
        "console": {"enabled": False},
        "registration": {"policy": "open"},
        "roles": {"supervisors": ["telegram:900"]},
        "schedule": {"business_hours": False},
        "areas": [
            {"code": "dat_dai", "name": "Đất đai",
             "keywords": ["đất", "sổ đỏ", "giấy chứng nhận quyền sử dụng đất"]},
            {"code": "tai_chinh", "name": "Tài chính",
             "keywords": ["ngân sách", "kinh phí", "quyết toán"]},
            {"code": "cntt", "name": "Công nghệ thông tin",
             "keywords": ["phần mềm", "chữ ký số", "đường truyền"]},
            {"code": "khac", "name": "Khác"},
        ],
        "groups": [
            {"channel": "zalo", "name": "Tổ Đất đai", "areas": ["dat_dai"],
             "members": ["zalo:staff1", "zalo:staff2"]},
            {"channel": "telegram", "chat_id": TG_IT, "name": "Tổ CNTT", "areas": ["cntt"]},
            {"channel": "telegram", "chat_id": TG_FIN, "name": "Tổ Tài chính",
             "areas": ["tai_chinh", "khac"]},
        ],
    })


class Bot:
    """A running App with its Zalo channel and an in-memory stand-in for Telegram."""

    def __init__(self, app: App, server: FakeZaloServer):
        self.app = app
        self.server = server
        self.zalo: ZaloChannel = app.channels["zalo"]  # type: ignore[assignment]
        self.tg = MemoryChannel()
        self.tg.name = "telegram"  # type: ignore[misc]
        app.channels["telegram"] = self.tg
        self.zalo.backoff = Backoff(base=0.02, cap=0.1)

    async def reply_to(self, chat_id: str, needle: str, what: str = "") -> str:
        """The first message to `chat_id` containing `needle`, waiting for it to be sent."""
        def find() -> str | None:
            return next((t for t in self.server.texts_to(chat_id) if needle in t), None)
        return await eventually(find, what or f"{needle!r} sent to {chat_id}")

    def tg_texts(self, chat_id: str) -> list[str]:
        return [m.text for _, m in self.tg.sent if m.chat.chat_id == chat_id]

    async def register(self, user: str = "cadre1") -> None:
        self.server.queue(text_event(user, REGISTER))
        await self.reply_to(user, "Đăng ký xong")

    async def count(self, model: Any, *where: Any) -> int:
        async with self.app.db.session() as s:
            query = select(func.count()).select_from(model).where(*where)
            return int((await s.execute(query)).scalar_one())


@pytest.fixture(autouse=True)
def _token_never_logged(caplog):
    """Everything is logged at DEBUG during each test; the token must appear nowhere."""
    caplog.set_level(logging.INFO, logger="aiosqlite")  # every SQL call, with its parameters
    caplog.set_level(logging.DEBUG)  # last: it also sets the capturing handler's level
    yield
    records = caplog.get_records("setup") + caplog.get_records("call") + caplog.records
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        assert TOKEN not in text and TOKEN.split(":")[1] not in text, record.name


@pytest.fixture
async def server():
    fake = FakeZaloServer()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def start_bot(tmp_path, server):
    """`await start_bot(**zalo_settings)` → a started Bot; all are stopped at teardown."""
    apps: list[App] = []

    async def start(before: Callable[[App], None] | None = None, **zalo: Any) -> Bot:
        app = App(make_config(tmp_path, server, **zalo))
        bot = Bot(app, server)
        if before is not None:
            before(app)
        apps.append(app)
        await app.start()
        return bot

    yield start
    for app in apps:
        await app.stop()


StartBot = Callable[..., Awaitable[Bot]]


def webhook_mode(server: FakeZaloServer) -> dict[str, Any]:
    """Webhook settings as in production: Zalo calls the public https:// URL, the reverse
    proxy (played by the fake) forwards to the local listener."""
    port = free_port()
    server.proxy = f"http://127.0.0.1:{port}"
    return {"mode": "webhook", "webhook_url": PUBLIC_URL, "webhook_host": "127.0.0.1",
            "webhook_port": port, "webhook_secret": SECRET}


async def test_zalo_cadre_asks_member_list_answers(start_bot: StartBot, server):
    bot = await start_bot()
    await bot.register()
    server.queue(text_event("cadre1", LAND_QUESTION))
    confirmation = await bot.reply_to("cadre1", "Đã nhận câu hỏi")
    assert "#1" in confirmation and "Tổ Đất đai" in confirmation

    # both members get the card privately, with the buttons as a numbered list
    for member in ("staff1", "staff2"):
        card = await bot.reply_to(member, "#1")
        assert "Xã Nam Đàn" in card and "1. Nhận xử lý" in card and "(Gõ số để chọn.)" in card

    server.queue(text_event("staff1", "/tl 1 Hồ sơ gồm đơn theo Mẫu 04/ĐK.",
                            display_name="Hoa"))
    answer = await bot.reply_to("cadre1", "Mẫu 04/ĐK")
    assert "#1" in answer and "1. Đã giải quyết" in answer and "2. Chưa" in answer
    # everyone in the member list sees who answered
    for member in ("staff1", "staff2"):
        seen = await bot.reply_to(member, "Đã gửi trả lời phiếu #1")
        assert "Hoa" in seen

    server.queue(text_event("cadre1", "1"))  # the first choice: resolved
    await bot.reply_to("cadre1", "Đã đóng phiếu #1")
    async with bot.app.db.session() as s:
        assert (await s.get(Ticket, 1)).status == TicketStatus.CLOSED
    assert all(len(s.text) <= 2000 for s in server.sent)
    assert "getUpdates" in server.calls and "deleteWebhook" in server.calls


async def test_card_reaches_group_on_other_platform_and_answer_returns(start_bot: StartBot, server):
    bot = await start_bot()
    await bot.register()
    server.queue(text_event("cadre1", "Phần mềm báo chữ ký số hết hạn, không ký được văn bản"))
    await bot.reply_to("cadre1", "Đã nhận câu hỏi")
    card_id, card = await eventually(
        lambda: next(((mid, m) for mid, m in bot.tg.sent if m.chat.chat_id == TG_IT), None),
        "the card in the Telegram group",
    )
    assert "#1" in card.text and [c.command for c in card.choices][0] == "/nhan 1"

    # a Telegram staff member replies to the card; the answer reaches the cadre on Zalo
    await bot.app.hotline.handle(Inbound(
        sender=Identity("telegram", "555"), chat=ChatRef("telegram", TG_IT, "group"),
        text="Anh/chị gia hạn chứng thư số tại VNPT.", display_name="Bình",
        message_id="t1", update_key="t1", reply_to=card_id,
    ))
    answer = await bot.reply_to("cadre1", "gia hạn chứng thư số")
    assert "#1" in answer and "Bình" in answer


async def test_telegram_cadre_answered_by_zalo_member_list(start_bot: StartBot, server):
    bot = await start_bot()

    async def from_telegram_cadre(text: str, key: str) -> None:
        await bot.app.hotline.handle(Inbound(
            sender=Identity("telegram", "42"), chat=ChatRef("telegram", "42"), text=text,
            display_name="Lan", message_id=key, update_key=key,
        ))

    await from_telegram_cadre("/dangky Trần Thị Lan | Xã Nam Đàn | Công chức địa chính", "t1")
    await from_telegram_cadre(LAND_QUESTION, "t2")
    card = await bot.reply_to("staff1", "📩 Phiếu #1")  # the land group is a Zalo member list
    assert "Trần Thị Lan" in card
    server.queue(text_event("staff1", "/tl 1 Hồ sơ gồm đơn Mẫu 04/ĐK."))
    await eventually(lambda: any("Mẫu 04/ĐK" in t for t in bot.tg_texts("42")), "the answer on Telegram")
    await bot.reply_to("staff2", "trả lời")  # the other member sees who answered


async def test_numbered_choice_picks_the_first_choice(start_bot: StartBot, server):
    bot = await start_bot()
    await bot.register()
    server.queue(text_event("cadre1", "Xin hỏi về việc tổ chức hội nghị tổng kết cuối năm"))
    menu = await bot.reply_to("cadre1", "lĩnh vực nào")
    first = next(line for line in menu.splitlines() if line.startswith("1. "))
    code = first.rsplit("(/linhvuc ", 1)[1].rstrip(")")
    name = first[3:].split("  (")[0]

    server.queue(text_event("cadre1", "1"))
    confirmation = await bot.reply_to("cadre1", "Đã nhận câu hỏi")
    assert f"Lĩnh vực: {name}" in confirmation
    async with bot.app.db.session() as s:
        assert (await s.get(Ticket, 1)).area_code == code


async def test_long_answer_arrives_split(start_bot: StartBot, server):
    bot = await start_bot()
    await bot.register()
    server.queue(text_event("cadre1", LAND_QUESTION))
    await bot.reply_to("staff1", "#1")
    lines = [f"Bước {i}: " + "nộp hồ sơ tại bộ phận một cửa " * 3 for i in range(1, 61)]
    server.queue(text_event("staff1", "/tl 1 " + "\n".join(lines)))
    await bot.reply_to("cadre1", "Vấn đề đã được giải quyết chưa?", "the last part of the answer")
    parts = [t for t in server.texts_to("cadre1") if "Trả lời phiếu #1" in t or "Bước" in t
             or "giải quyết chưa" in t]
    assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)
    joined = "\n".join(parts)
    positions = [joined.index(line.strip()) for line in lines]
    assert positions == sorted(positions)  # every line arrived, in order

    async def all_sent() -> bool:  # the platform has the last part before the sender records it
        async with bot.app.db.session() as s:
            rows = await s.execute(select(OutboxMessage).where(OutboxMessage.chat_id == "cadre1"))
            return all(r.status == "sent" for r in rows.scalars())

    await eventually_async(all_sent, "every part recorded as sent")


async def test_unsupported_and_unknown_events(start_bot: StartBot, server, caplog):
    bot = await start_bot()
    server.queue(message_event("message.unsupported.received", "cadre9"))
    polite = await bot.reply_to("cadre9", "Zalo không cho bot xem")
    assert "bằng chữ" in polite

    server.queue(message_event("message.reaction.received", "cadre9", reaction="bí mật 42"))
    server.queue({"event_name": "message.text.received", "message": {"text": "thiếu trường"}})
    server.queue(text_event("cadre9", "/trogiup"))
    await bot.reply_to("cadre9", "/dangky", "the help after the skipped events")
    assert len(server.texts_to("cadre9")) == 2  # the polite answer and the help, nothing else
    assert "message.reaction.received" in caplog.text and "malformed" in caplog.text
    assert "bí mật 42" not in caplog.text and "thiếu trường" not in caplog.text


async def test_image_with_caption_opens_a_ticket(start_bot: StartBot, server):
    bot = await start_bot()
    await bot.register()
    server.queue(message_event(
        "message.image.received", "cadre1", photo="https://example.invalid/p.jpg",
        caption="Ảnh chụp lỗi phần mềm chữ ký số khi ký văn bản",
    ))
    await bot.reply_to("cadre1", "Đã nhận câu hỏi")
    _, card = await eventually(
        lambda: next(((i, m) for i, m in bot.tg.sent if m.chat.chat_id == TG_IT), None),
        "the card with the photo",
    )
    # a Zalo message cannot be copied into Telegram: the photo goes by its link, shown as a
    # photo (Telegram sendPhoto) and named in the card with the link as fallback
    assert "Ảnh chụp lỗi" in card.text and card.copy_from is None
    assert card.photo_url == "https://example.invalid/p.jpg"
    assert card.text.endswith(
        "📎 Kèm theo, gửi qua Zalo (không chuyển thẳng sang đây được):\n• Ảnh https://example.invalid/p.jpg")


async def test_redelivered_event_makes_no_second_ticket(start_bot: StartBot, server):
    bot = await start_bot()
    await bot.register()
    event = text_event("cadre1", LAND_QUESTION)
    server.queue(event)
    server.queue(event)  # Zalo delivers the same message again
    server.queue(text_event("cadre1", "/cuatoi"))
    await bot.reply_to("cadre1", "#1", "the ticket list")
    await eventually(lambda: len(server.texts_to("cadre1")) >= 3, "the reply to /cuatoi")
    assert await bot.count(Ticket) == 1
    assert sum("Đã nhận câu hỏi" in t for t in server.texts_to("cadre1")) == 1


async def test_transient_errors_are_retried_and_delivered_once(start_bot: StartBot, server):
    server.fail(2, method="getUpdates", status=500)
    server.fail(1, method="getUpdates", status=502, error_code=502, description="Bad Gateway")
    bot = await start_bot()
    server.fail(1, method="sendMessage", status=500)
    server.queue(text_event("cadre1", "/trogiup"))
    help_text = await bot.reply_to("cadre1", "/dangky", "the help after a failed send")
    await eventually(lambda: server.pending_failures == 0, "all failures consumed")
    assert server.texts_to("cadre1") == [help_text]  # sent exactly once
    assert bot.zalo.backoff.failures == 0  # reset after the first good poll


async def test_platform_trouble_for_a_while_then_all_delivered_in_order(
    start_bot: StartBot, server, monkeypatch
):
    """429, 5xx and a hung call in a row, under a burst: everything arrives once, in order in
    each chat, and nothing is sent while the 429's retry_after runs (no 429 storm)."""
    monkeypatch.setattr(zalo_api, "CALL_TIMEOUT", 1)
    bot = await start_bot()
    began, paused = watch_sends(bot.zalo)
    server.fail(1, method="sendMessage", status=429, error_code=429,
                description="Too Many Requests", retry_after=1)
    server.fail(2, method="sendMessage", status=500)
    server.fail(1, method="sendMessage", status=500, stall=3)  # the client gives up after 1 s
    server.fail(1, method="sendMessage", status=502, error_code=502, description="Bad Gateway")
    cadres = [f"cadre{i}" for i in range(1, 6)]
    for cadre in cadres:
        server.queue(text_event(cadre, REGISTER))
        server.queue(text_event(cadre, f"{LAND_QUESTION} ({cadre})"))

    def cards(member: str) -> list[str]:
        return [t for t in server.texts_to(member) if t.startswith("📩 Phiếu #")]

    def all_delivered() -> bool:
        return all(any("số phiếu #" in t for t in server.texts_to(c)) for c in cadres) and all(
            len(cards(m)) >= len(cadres) for m in ("staff1", "staff2"))

    await eventually(all_delivered, "every confirmation and every card")
    assert server.pending_failures == 0
    for cadre in cadres:
        texts = server.texts_to(cadre)
        assert len(texts) == 2 and "Đăng ký xong" in texts[0] and "số phiếu #" in texts[1], texts
    for member in ("staff1", "staff2"):
        numbers = [int(t.split("#")[1].split()[0]) for t in cards(member)]
        assert numbers == [1, 2, 3, 4, 5]  # each once, in order

    statuses = [status for method, _, status in server.call_times if method == "sendMessage"]
    assert statuses.count(429) == 1
    # retry_after waited out: no send began from the 429 until its wait was over (sends in
    # flight beside it may still arrive after it; their start is what counts). On the
    # sender's own clock, so a slow machine cannot make it fail
    [(raised_at, retry_after)] = paused
    assert retry_after == 1
    assert not [at for at in began if raised_at < at < raised_at + retry_after]


def watch_sends(channel: ZaloChannel) -> tuple[list[float], list[tuple[float, float]]]:
    """When each send began and each (raised at, retry_after) of a send refused with a wait,
    on the monotonic clock the sender's pause is kept on."""
    began: list[float] = []
    paused: list[tuple[float, float]] = []
    send = channel.send

    async def watched(message: Outgoing) -> Any:
        began.append(time.monotonic())
        try:
            return await send(message)
        except SendError as err:
            if err.retry_after is not None:
                paused.append((time.monotonic(), err.retry_after))
            raise

    channel.send = watched  # type: ignore[method-assign]
    return began, paused


def storage_down_for(times: int) -> Callable[[App], None]:
    """Make the core report the database unreachable for its next `times` messages."""
    def patch(app: App) -> None:
        real = app.hotline.handle
        left = [times]

        async def handle(msg: Inbound) -> None:
            if left[0]:
                left[0] -= 1
                raise StorageUnavailable()
            await real(msg)

        app.hotline.handle = handle  # type: ignore[method-assign]
    return patch


async def test_storage_outage_keeps_the_polled_message(start_bot: StartBot, server):
    bot = await start_bot(before=storage_down_for(2))
    server.queue(text_event("cadre1", "/trogiup"))
    help_text = await bot.reply_to("cadre1", "/dangky", "the help once storage is back")
    assert server.texts_to("cadre1") == [help_text]


async def test_storage_outage_refuses_the_webhook_call(start_bot: StartBot, server):
    bot = await start_bot(before=storage_down_for(1), **webhook_mode(server))
    await eventually(lambda: server.webhook is not None, "setWebhook")
    event = text_event("cadre1", "/trogiup")
    assert await server.deliver(event) == 503  # not stored: Zalo must deliver it again
    assert await server.deliver(event) == 200
    help_text = await bot.reply_to("cadre1", "/dangky")
    assert server.texts_to("cadre1") == [help_text]


async def test_empty_polls_are_silent_and_immediate(start_bot: StartBot, server, caplog):
    bot = await start_bot()
    await eventually(lambda: server.empty_polls >= 3, "three empty long polls")
    assert bot.zalo.backoff.failures == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_error_codes_on_sends(start_bot: StartBot, server):
    """Only 400 condemns a message; 403 ("Internal server error" in Zalo's table), 404 and
    5xx are retried; a 429 without retry_after (Zalo sends none) gets our own growing wait."""
    bot = await start_bot()
    channel = bot.zalo

    async def failure() -> SendError:
        with pytest.raises(SendError) as err:
            await channel.send(Outgoing(ChatRef("zalo", "u1"), "xin chào"))
        assert TOKEN not in str(err.value)
        return err.value

    server.fail(1, method="sendMessage", status=429, error_code=429, retry_after=7)
    err = await failure()
    assert err.retry_after == 7 and not err.permanent
    waits = []
    for _ in range(3):
        server.fail(1, method="sendMessage", status=429, error_code=429,
                    description="Quota exceeded")
        err = await failure()
        assert not err.permanent and err.retry_after is not None
        waits.append(err.retry_after)
    assert waits[0] > 0 and max(waits[:2]) <= waits[2]  # it grows (jitter stays under 2x)
    server.fail(1, method="sendMessage", status=200, error_code=400,
                description="Bad Request: chat not found")
    assert (await failure()).permanent
    for status in (403, 404):
        server.fail(1, method="sendMessage", status=status, error_code=status,
                    description="Internal server error")
        assert not (await failure()).permanent
    server.forbidden_chats.add("u1")  # the fake's 403 for one chat: still not given up
    assert not (await failure()).permanent
    server.forbidden_chats.clear()
    server.fail(1, method="sendMessage", status=503)  # an HTML error page, no envelope
    assert not (await failure()).permanent
    await channel.send(Outgoing(ChatRef("zalo", "u1"), "xin chào"))
    assert channel.throttle.failures == 0  # a good send ends our own 429 wait


async def test_files_and_copies_degrade_to_text(start_bot: StartBot, server):
    bot = await start_bot()
    sent = await bot.zalo.send(Outgoing(
        ChatRef("zalo", "sep"), "Báo cáo tuần", file_path="/srv/hotline/out/bao-cao-tuan.xlsx",
        copy_from=("cadre1", "abc"),
    ))
    assert len(sent.message_ids) == 1
    text = server.texts_to("sep")[0]
    assert text.startswith("Báo cáo tuần") and "bao-cao-tuan.xlsx" in text and "/srv" not in text


async def test_half_sent_long_message_is_not_repeated(start_bot: StartBot, server):
    bot = await start_bot()
    text = "\n".join(f"dòng {i} " + "x" * 80 for i in range(60))  # three parts
    message = Outgoing(ChatRef("zalo", "u1"), text, choices=(Choice("Xem", "/phieu 1"),))
    server.fail(1, method="sendMessage", status=500, skip=1)  # the second part fails
    with pytest.raises(SendError):
        await bot.zalo.send(message)
    assert len(server.sent) == 1
    sent = await bot.zalo.send(message)  # the outbox's retry sends only what is missing
    assert len(sent.message_ids) == len(server.sent) >= 3
    assert [s.message_id for s in server.sent] == list(sent.message_ids)
    assert "\n".join(s.text for s in server.sent).endswith("(Gõ số để chọn.)")


async def test_split_text_keeps_lines_and_limits():
    text = "a" * 1500 + "\n" + "b" * 1500 + "\n" + "word " * 900
    parts = split_text(text, TEXT_LIMIT)
    assert all(0 < len(p) <= 2000 for p in parts)
    assert parts[0] == "a" * 1500 and parts[1] == "b" * 1500
    assert "".join(parts[2:]).replace(" ", "") == "word" * 900
    assert split_text("ngắn", TEXT_LIMIT) == ["ngắn"]


async def test_webhook_mode_lifecycle(start_bot: StartBot, server):
    settings = webhook_mode(server)
    url = PUBLIC_URL
    bot = await start_bot(**settings)
    await eventually(lambda: server.webhook and server.webhook["url"] == url, "setWebhook")
    assert server.webhook["secret_token"] == SECRET
    assert bot.zalo.webhook_port == settings["webhook_port"]

    assert await server.deliver(text_event("cadre1", REGISTER)) == 200
    await bot.reply_to("cadre1", "Đăng ký xong")
    assert await server.deliver(text_event("cadre1", LAND_QUESTION)) == 200
    await bot.reply_to("cadre1", "Đã nhận câu hỏi")
    await bot.reply_to("staff2", "#1")
    assert "getUpdates" not in server.calls  # never both at once

    assert (await bot.zalo.webhook("info")).startswith(f"zalo: webhook {url}, updated ")
    assert "deleted" in await bot.zalo.webhook("delete")
    assert server.webhook is None
    assert "no webhook" in await bot.zalo.webhook("info")
    assert url in await bot.zalo.webhook("set")
    assert server.webhook["url"] == url
    with pytest.raises(ValueError):
        await bot.zalo.webhook("replace")
    await bot.app.stop()

    # back to polling: the webhook is removed first, then updates are polled
    polling = await start_bot()
    await eventually(lambda: server.webhook is None, "deleteWebhook at polling start")
    server.queue(text_event("cadre1", "/cuatoi"))
    await polling.reply_to("cadre1", "#1", "the ticket list over polling")


async def test_wrong_webhook_secret_is_refused(start_bot: StartBot, server):
    bot = await start_bot(**webhook_mode(server))
    await eventually(lambda: server.webhook is not None, "setWebhook")
    assert await server.deliver(text_event("cadre1", REGISTER), secret="wrong-secret-123") == 401
    assert await server.deliver(text_event("cadre1", REGISTER), secret=None) == 401
    assert await server.deliver(text_event("cadre1", REGISTER), secret=SECRET[:-1]) == 401
    assert await server.deliver({}, body=b"{" + b" " * 100_000 + b"}") == 413
    assert await server.deliver({}, body=b"not json") == 400
    assert await server.deliver({}, body=b"[" * 30_000 + b"]" * 30_000) == 400
    await bot.app.sender.drain()
    assert server.sent == [] and await bot.count(OutboxMessage, OutboxMessage.channel == "zalo") == 0
    # the right secret is accepted
    assert await server.deliver(text_event("cadre1", REGISTER)) == 200
    await bot.reply_to("cadre1", "Đăng ký xong")


async def test_webhook_mode_needs_a_secret(tmp_path, server):
    cfg = make_config(tmp_path, server, mode="webhook", webhook_url=PUBLIC_URL,
                      webhook_secret="short")
    channel = ZaloChannel(cfg.zalo)

    async def on_inbound(msg: Inbound) -> None:
        pass

    with pytest.raises(ValueError, match="webhook_secret"):
        await channel.start(on_inbound)
    await channel.stop()


async def test_invalid_token_stops_polling_once(tmp_path, server, caplog):
    cfg = make_config(tmp_path, server)
    cfg.zalo.token = SecretStr("999:wrong-token-value")
    channel = ZaloChannel(cfg.zalo)
    seen: list[Inbound] = []

    async def on_inbound(msg: Inbound) -> None:
        seen.append(msg)

    await channel.start(on_inbound)
    await eventually(lambda: channel.stopped_reason, "the loop to stop")
    await channel.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "token was rejected" in errors[0].getMessage()
    assert "wrong-token-value" not in caplog.text
    assert server.calls == []  # the fake refused before any method ran


async def test_client_errors_are_distinct_and_tokenless(server):
    api = ZaloApi(SecretStr(TOKEN), server.base_url)
    try:
        me = await api.get_me()
        assert me.account_name == "bot.FakeHotline"
        assert await api.get_updates(timeout=0) is None  # the empty poll is not an error
        server.fail(1, method="getUpdates", status=408)  # a proxy's bare 408, no envelope
        assert await api.get_updates(timeout=0) is None
        server.fail(1, error_code=400, status=400, description="Bad Request: chat not found")
        with pytest.raises(ZaloApiError) as api_err:
            await api.send_message("nobody", "xin chào")
        assert api_err.value.code == 400 and "chat not found" in str(api_err.value)
        server.fail(1, status=500)
        with pytest.raises(ZaloHttpError) as http_err:
            await api.get_me()
        assert http_err.value.status == 500
        for err in (api_err.value, http_err.value):
            assert TOKEN not in str(err) and TOKEN not in repr(err)
        assert TOKEN not in repr(api)
        with pytest.raises(ValueError):
            await api.send_message("u1", "x" * 2001)
        photo = await api.send_photo("u1", "https://example.invalid/a.jpg", "ảnh")
        assert server.sent[-1].method == "sendPhoto" and server.sent[-1].message_id == photo.message_id
        await api.send_chat_action("u1")
        assert server.calls[-1] == "sendChatAction"
        with pytest.raises(ValueError):
            await api.set_webhook("https://example.invalid/zalo", "short")
    finally:
        await api.close()
    down = ZaloApi(SecretStr(TOKEN), "http://127.0.0.1:9")
    try:
        with pytest.raises(ZaloHttpError) as err:
            await down.get_me()
        assert TOKEN not in str(err.value)
    finally:
        await down.close()


async def test_cli_manages_the_zalo_webhook(tmp_path, server, capsys):
    config = tmp_path / "config.toml"
    config.write_text(
        f'''[zalo]
token = "{server.token}"
api_base = "{server.base_url}"
webhook_url = "https://hotline.example.invalid/zalo"
webhook_secret = "{SECRET}"
[[areas]]
code = "khac"
name = "Khác"
''',
        encoding="utf-8",
    )

    async def hotline(*args: str) -> tuple[int, str]:
        code = await asyncio.to_thread(main, [*args, "--config", str(config)])
        out, err = capsys.readouterr()
        assert TOKEN not in out + err
        return code, out + err

    assert await hotline("webhook", "set", "--channel", "zalo") == (
        0, "zalo: webhook set to https://hotline.example.invalid/zalo\n")
    assert server.webhook["secret_token"] == SECRET
    code, out = await hotline("webhook", "info", "--channel", "zalo")
    assert code == 0 and "https://hotline.example.invalid/zalo" in out
    assert (await hotline("webhook", "delete", "--channel", "zalo"))[0] == 0
    assert server.webhook is None
    server.fail(1, status=500)
    code, out = await hotline("webhook", "info", "--channel", "zalo")
    assert code == 1 and "getWebhookInfo" in out and "HTTP 500" in out
    code, out = await hotline("webhook", "info", "--channel", "telegram")
    assert code == 2 and "no token" in out


# --- Zalo as the live service sends it (issue 12) -------------------------------------------

EXPECTED = {  # what each fixture event becomes: (text, attachment kind, attachment link)
    "text": ("Xin hỏi thủ tục cấp sổ đỏ lần đầu 👋", None, None),
    "image": ("Ảnh chụp lỗi phần mềm một cửa", "photo", "https://photo-stal-1.zdn.vn/bot/a1b2c3.jpg"),
    "sticker": ("", "sticker", "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=46991"),
    "voice": ("", "voice", "https://voice-stal.zdn.vn/bot/9f8e7d.aac"),
    "unsupported": ("", "unsupported", ""),
    "unsupported-empty": None,  # withheld content and no message: nobody to answer
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_events_parse_alike_in_both_shapes(name):
    """tests/data/zalo/: each event flat (live webhook calls) and wrapped (the docs, and
    getUpdates), with the live and the documented media fields: both give the same message."""
    parsed = []
    for shape in ("live", "docs"):
        body = (FIXTURES / f"{name}.{shape}.json").read_bytes()
        update = webhook_update(body)
        if shape == "docs":  # the same object is getUpdates' `result`
            assert update == webhook_update(json.dumps(json.loads(body)["result"]).encode())
        parsed.append(to_inbound(update))
    live, docs = parsed
    assert live == docs
    if EXPECTED[name] is None:
        assert live is None
        return
    text, kind, link = EXPECTED[name]
    assert live is not None and live.text == text
    assert live.sender == Identity("zalo", "6ede9afa66b88fe6d6a9") and live.display_name == "Nguyễn Văn An"
    assert live.update_key == live.message_id != ""
    assert [(a.kind, a.ref) for a in live.attachments] == ([(kind, link)] if kind else [])


def test_webhook_bodies_that_carry_no_event_are_refused():
    for body in (b"not json", b"[1, 2]", b"{}", b'{"ok": true}', b'{"ok": true, "result": 5}',
                 "\udcff".encode("utf-8", "surrogatepass"), b"[" * 30_000 + b"]" * 30_000):
        with pytest.raises(ValueError):
            webhook_update(body)


async def test_live_webhook_end_to_end(start_bot: StartBot, server):
    """Live-shaped calls through the proxy: a cadre registers, sends a photo question with
    `photo_url`; the Zalo member list gets the photo itself (sendPhoto) and the card with the
    link; a Telegram group's card carries the photo link for sendPhoto; answers come back;
    a wrong secret changes nothing; a withheld event without a message is accepted."""
    server.live = True
    bot = await start_bot(**webhook_mode(server))
    await eventually(lambda: server.webhook is not None, "setWebhook")
    photo = "https://photo-stal-1.zdn.vn/bot/so-do.jpg"
    question = image_event("cadre1", photo, "Sổ đỏ bị rách như ảnh, xin hỏi thủ tục cấp đổi đất")

    assert await server.deliver(question, secret="wrong-secret-123") == 401
    assert await server.deliver(text_event("cadre1", REGISTER)) == 200
    await bot.reply_to("cadre1", "Đăng ký xong")
    assert await bot.count(Ticket) == 0

    assert await server.deliver(question) == 200
    await bot.reply_to("cadre1", "Đã nhận câu hỏi")
    for member in ("staff1", "staff2"):
        card = await bot.reply_to(member, "📩 Phiếu #1")
        assert f"• Ảnh {photo}" in card  # the link, should the photo not show
        shown = [s for s in server.sent if s.chat_id == member and s.method == "sendPhoto"]
        assert [s.payload["photo"] for s in shown] == [photo]

    server.queue(text_event("x", "never polled"))  # webhook mode never polls
    assert await server.deliver(text_event("staff1", "/tl 1 Anh/chị nộp đơn Mẫu 04/ĐK tại bộ phận "
                                           "một cửa.", display_name="Hoa")) == 200
    answer = await bot.reply_to("cadre1", "Mẫu 04/ĐK")
    assert "#1" in answer

    # a software question with a photo goes to the Telegram group: the card carries the link
    it_photo = "https://photo-stal-1.zdn.vn/bot/loi.png"
    assert await server.deliver(image_event("cadre1", it_photo, "Phần mềm một cửa báo lỗi "
                                            "chữ ký số như ảnh")) == 200
    _, card = await eventually(
        lambda: next(((i, m) for i, m in bot.tg.sent if m.chat.chat_id == TG_IT), None),
        "the card in the Telegram group")
    assert card.photo_url == it_photo and it_photo in card.text

    # a voice note: read from voice_url, answered politely (the bot cannot listen)
    assert await server.deliver(voice_event("cadre1", "https://voice-stal.zdn.vn/bot/v.aac")) == 200
    await bot.reply_to("cadre1", "tin nhắn thoại")

    before = len(server.sent)
    assert await server.deliver({"event_name": "message.unsupported.received"}) == 200
    assert await server.deliver({"event_name": "message.unsupported.received"}) == 200
    assert bot.zalo.events["unsupported_without_message"] == 2
    metrics = samples((await bot.app.metrics.render(bot.app.db)).decode())  # what /metrics shows
    events = {labels: n for (name, labels), n in metrics.items()
              if name == "hotline_platform_events_total"}
    assert events[(("channel", "zalo"), ("event", "message.unsupported.received"))] == 2
    assert events[(("channel", "zalo"), ("event", "unsupported_without_message"))] == 2
    assert events[(("channel", "zalo"), ("event", "message.voice.received"))] == 1
    assert events[(("channel", "zalo"), ("event", "message.image.received"))] == 2
    await bot.app.sender.drain()
    assert len(server.sent) == before
    assert await bot.count(Ticket) == 2
    assert "getUpdates" not in server.calls


@pytest.mark.parametrize("status", [200, 408])
async def test_empty_poll_answered_with_either_status(start_bot: StartBot, server, caplog, status):
    server.empty_poll_status = status
    bot = await start_bot()
    await eventually(lambda: server.empty_polls >= 3, "three empty long polls")
    server.queue(text_event("cadre1", "/trogiup"))
    await bot.reply_to("cadre1", "/dangky")
    assert bot.zalo.backoff.failures == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def supervisor_texts(bot: Bot) -> list[str]:
    return bot.tg_texts("900")


async def test_polling_survives_a_long_outage_and_tells_the_supervisors(start_bot: StartBot, server):
    """Every poll answered 403 or 5xx until the alert time has passed on the channel's outage
    clock (the test's own: a slow machine cannot stretch the blip below into an outage):
    polling goes on, the supervisors hear once that Zalo is down and once that it is back,
    and every message sent meanwhile is handled after."""
    bot = await start_bot()
    watch, moment = bot.zalo.outage, [0.0]
    watch.monotonic = lambda: moment[0]
    await bot.register()
    server.fail_for(3600.0, method="getUpdates")  # until ended below
    for i in range(1, 4):
        server.queue(text_event(f"cadre{i}", "/trogiup"))
    await eventually(lambda: server.outage_calls >= 5, "polling on through the outage")
    assert not [t for t in supervisor_texts(bot) if t.startswith("⚠️ Kênh Zalo")]
    moment[0] += watch.after
    down = await eventually(lambda: [t for t in supervisor_texts(bot) if t.startswith("⚠️ Kênh Zalo")],
                            "the outage notice")
    assert "Kênh Zalo" in down[0] and ("403" in down[0] or "HTTP 5" in down[0])
    server.fail_for(0, method="getUpdates")  # over
    for i in range(1, 4):
        await bot.reply_to(f"cadre{i}", "/dangky", "the help after the outage")
    back = await eventually(lambda: [t for t in supervisor_texts(bot) if t.startswith("✅ Kênh Zalo")],
                            "the recovery notice")
    assert len(back) == 1
    assert len([t for t in supervisor_texts(bot) if t.startswith("⚠️ Kênh Zalo")]) == 1
    assert server.outage_calls >= 5  # it kept polling through the outage
    assert {s for m, _, s in server.call_times if m == "getUpdates"} >= {403, 500}
    assert bot.zalo.stopped_reason is None

    # a second, short blip tells nobody
    server.fail_for(0.2, method="getUpdates")
    await eventually(lambda: server.outage_calls and server._outage is None, "the blip to end")
    server.queue(text_event("cadre1", "/cuatoi"))
    await eventually(lambda: len(server.texts_to("cadre1")) >= 3, "a reply after the blip")
    assert len([t for t in supervisor_texts(bot) if t.startswith("⚠️ Kênh Zalo")]) == 1


async def test_rejected_token_stops_the_channel_and_tells_the_supervisors(start_bot: StartBot,
                                                                          server, caplog):
    bot = await start_bot(token="999:wrong-token-value")
    await eventually(lambda: bot.zalo.stopped_reason, "the polling loop to stop")
    notice = await eventually(lambda: [t for t in supervisor_texts(bot) if "token" in t],
                              "the supervisors' notice")
    assert "đã dừng" in notice[0]
    with pytest.raises(SendError) as err:  # a send is kept (not given up) until a restart
        await bot.zalo.send(Outgoing(ChatRef("zalo", "cadre1"), "xin chào"))
    assert not err.value.permanent
    await bot.app.sender.drain()
    assert len([t for t in supervisor_texts(bot) if "token" in t]) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("bot.")]
    assert len(errors) == 1 and "token was rejected" in errors[0].getMessage()
    assert "wrong-token-value" not in caplog.text


async def test_text_limit_counts_utf16_units(start_bot: StartBot, server):
    """2,000 units, where an emoji counts two: an answer full of them still goes through."""
    text = "Hướng dẫn 👍 " * 400 + "\n" + "😀" * 1500
    parts = split_text(text, TEXT_LIMIT)
    assert all(0 < utf16_len(p) <= 2000 for p in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert split_text("😀" * 1001, TEXT_LIMIT) == ["😀" * 1000, "😀"]
    bot = await start_bot()
    sent = await bot.zalo.send(Outgoing(ChatRef("zalo", "u1"), text))
    assert len(sent.message_ids) == len(parts)
    assert "".join(server.texts_to("u1")) == "".join(parts)


async def test_check_config_refuses_a_webhook_url_without_https(tmp_path, capsys):
    for channel in ("telegram", "zalo"):
        for url, ok in (("http://hotline.example.gov.vn/zalo", False), ("https:///zalo", False),
                        ("hotline.example.gov.vn/zalo", False),
                        ("https://hotline.example.gov.vn/zalo", True)):
            path = tmp_path / "c.toml"
            path.write_text(f'[{channel}]\ntoken = "t"\nmode = "webhook"\nwebhook_url = "{url}"\n'
                            f'webhook_secret = "{SECRET}"\n[[areas]]\ncode = "khac"\nname = "Khác"\n',
                            "utf-8")
            if ok:
                load_config(path)
                assert main(["check-config", "--config", str(path)]) == 0
                continue
            with pytest.raises(ConfigError, match=f"{channel}.webhook_url: must be a public https://"):
                load_config(path)
            assert main(["check-config", "--config", str(path)]) == 2
    assert "https://" in capsys.readouterr().err


async def test_telegram_photo_reaches_a_zalo_member_list_as_a_clear_stand_in(start_bot: StartBot,
                                                                              server):
    """A Telegram photo has no link Zalo could fetch (its download link holds the token):
    the Zalo members' card says where to see it, and no empty link or photo call is made."""
    bot = await start_bot()

    async def from_telegram_cadre(text: str, key: str, **kw: Any) -> None:
        await bot.app.hotline.handle(Inbound(
            sender=Identity("telegram", "42"), chat=ChatRef("telegram", "42"), text=text,
            display_name="Lan", message_id=key, update_key=key, **kw))

    await from_telegram_cadre("/dangky Trần Thị Lan | Xã Nam Đàn | Công chức địa chính", "t1")
    await from_telegram_cadre(LAND_QUESTION, "t2", attachments=(Attachment("photo", "AgACAgUAAx"),))
    card = await bot.reply_to("staff1", "📩 Phiếu #1")
    assert ("📎 Kèm theo, gửi qua Telegram (không chuyển thẳng sang đây được):\n"
            "• Ảnh (chỉ xem được trên Telegram)\n") in card
    assert "AgACAgUAAx" not in card and "http" not in card
    assert not [s for s in server.sent if s.method == "sendPhoto"]
