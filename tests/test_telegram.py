"""The Telegram channel end to end: the real App, aiogram and its HTTP client, SQLite, against
the fake Bot API on 127.0.0.1 (tests/fakes/telegram_server.py), in polling and webhook mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.base import SendError
from bot.config import Config
from handlers.messages import ChatRef, Outgoing
from storage.models import Commune, Ticket, TicketEvent, User
from tests.fakes.telegram_server import TOKEN, FakeTelegram
from tests.helpers.waiting import eventually, free_port

LAND, IT, FIN, NEW_GROUP = -1001, -1002, -1003, -1009
TOPIC = 7
CADRE, STAFF, BOSS = 11, 50, 900
SECRET = "tg-webhook-secret-123"
LAND_Q = "Xin hỏi hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm gì?"


def config(tmp_path, server: FakeTelegram, **telegram: Any) -> Config:
    return Config.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"},
        "telegram": {"token": TOKEN, "api_base": server.base_url, **telegram},
        "console": {"enabled": False},
        "registration": {"policy": "open"},
        "roles": {"supervisors": [f"telegram:{BOSS}"]},
        "schedule": {"business_hours": False},
        "areas": [
            {"code": "dat_dai", "name": "Đất đai", "keywords": ["đất", "sổ đỏ"]},
            {"code": "tai_chinh", "name": "Tài chính", "keywords": ["ngân sách", "quyết toán"]},
            {"code": "cntt", "name": "Công nghệ thông tin", "keywords": ["phần mềm", "chữ ký số"]},
            {"code": "khac", "name": "Khác"},
        ],
        "groups": [
            {"channel": "telegram", "chat_id": LAND, "name": "Tổ Đất đai", "areas": ["dat_dai"]},
            {"channel": "telegram", "chat_id": IT, "thread_id": TOPIC, "name": "Tổ CNTT",
             "areas": ["cntt"]},
            {"channel": "telegram", "chat_id": FIN, "name": "Tổ Tài chính",
             "areas": ["tai_chinh", "khac"]},
        ],
    })



@pytest.fixture
async def polling_bot(tmp_path, server) -> AsyncIterator[App]:
    app = App(config(tmp_path, server))
    await app.start()
    yield app
    await app.stop()


async def register(server: FakeTelegram, uid: int = CADRE) -> None:
    server.message(uid, "/dangky Nguyễn Văn An | Xã Nam Đàn | Công chức địa chính", name="An")
    await eventually(lambda: any("Đăng ký xong" in t for t in server.texts_to(uid)), "registration")


async def ask(server: FakeTelegram, text: str, uid: int = CADRE) -> int:
    before = len(server.texts_to(uid))
    server.message(uid, text)
    reply = await eventually(
        lambda: [t for t in server.texts_to(uid)[before:] if "số phiếu #" in t], "ticket number"
    )
    return int(reply[0].split("số phiếu #")[1].split(".")[0])


async def test_lifecycle_reply_to_card_and_tl(polling_bot, server):
    await register(server)
    n = await ask(server, LAND_Q)
    card = (await eventually(lambda: server.to(LAND), "card in the land group"))[0]
    assert f"#{n}" in card.text and ("Nhận xử lý", f"/nhan {n}") in card.buttons
    server.message(STAFF, "Hồ sơ gồm đơn Mẫu 04/ĐK.", chat_id=LAND, chat_type="supergroup",
                   reply_to=card.message_id, name="Hoa")
    answer = await eventually(
        lambda: [s for s in server.to(CADRE) if "Mẫu 04/ĐK" in s.text], "answer at the cadre"
    )
    assert f"#{n}" in answer[0].text and ("Đã giải quyết", f"/xong {n}") in answer[0].buttons
    server.message(STAFF, f"/tl@hotline_bot {n} Thêm: bản sao CCCD.", chat_id=LAND, chat_type="supergroup")
    await eventually(lambda: any("bản sao CCCD" in t for t in server.texts_to(CADRE)), "/tl answer")
    assert server.confirmed_offset > 0  # offsets confirmed as updates are stored
    scopes = [c["scope"]["type"] for c in server.commands]
    assert scopes == ["all_private_chats", "all_group_chats"]
    # the cadre closes it with the button under the answer, then rates it with a button
    server.press(CADRE, answer[0], f"/xong {n}")
    rate = await eventually(lambda: [s for s in server.to(CADRE) if s.buttons and "★" in s.buttons[0][0]],
                            "the rating question")
    await eventually(lambda: any(f"#{n}" in t and "đã đóng" in t for t in server.texts_to(LAND)),
                     "the group told it is closed")
    server.press(CADRE, rate[0], f"/danhgia {n} 5")
    await eventually(lambda: any("5/5" in t for t in server.texts_to(CADRE)), "the rating thanked")
    async with polling_bot.db.session() as s:
        ticket = await s.get(Ticket, n)
        assert ticket.status == "closed" and ticket.rating == 5


async def test_forum_topic_gets_the_card_and_answers_from_it(polling_bot, server):
    await register(server)
    n = await ask(server, "Phần mềm một cửa báo lỗi chữ ký số khi ký hồ sơ")
    card = (await eventually(lambda: server.to(IT), "card in the IT topic"))[0]
    assert card.thread_id == TOPIC and f"#{n}" in card.text
    server.message(STAFF, f"/tl {n} Gia hạn chứng thư số.", chat_id=IT, chat_type="supergroup",
                   thread_id=TOPIC)
    await eventually(lambda: any("Gia hạn" in t for t in server.texts_to(CADRE)), "answer")
    confirmation = await eventually(lambda: server.to(IT)[1:], "confirmation in the topic")
    assert confirmation[0].thread_id == TOPIC


async def test_area_picked_by_button_and_transfer_escalate_by_buttons(polling_bot, server):
    await register(server)
    server.message(CADRE, "Xin hỏi về việc tổ chức hội nghị tổng kết cuối năm của xã")
    menu = (await eventually(lambda: [s for s in server.to(CADRE) if s.buttons and "lĩnh vực" in s.text],
                            "area menu"))[0]
    press = server.press(CADRE, menu, "/linhvuc tai_chinh")
    card = (await eventually(lambda: server.to(FIN), "card in the finance group"))[0]
    await eventually(lambda: press["callback_query"]["id"] in server.answered_callbacks, "answered")
    n = int(card.text.split("#")[1].split()[0])

    server.press(STAFF, card, f"/chuyen {n}")
    choose = (await eventually(lambda: [s for s in server.to(FIN) if f"/chuyen {n} dat_dai" in
                                       [b[1] for b in s.buttons]], "transfer menu"))[0]
    server.press(STAFF, choose, f"/chuyen {n} dat_dai")
    land_card = (await eventually(lambda: server.to(LAND), "card moved to land"))[0]
    assert f"#{n}" in land_card.text

    server.press(STAFF, land_card, f"/vuot {n}")
    await eventually(lambda: any(f"#{n}" in t and "vượt thẩm quyền" in t for t in server.texts_to(BOSS)),
                     "escalation at the supervisor")


async def test_photo_reaches_the_group_with_the_card(polling_bot, server):
    await register(server)
    server.message(CADRE, photo="PHOTO1", caption="Ảnh sổ đỏ bị rách, cấp đổi sổ đỏ thế nào?")
    sent = await eventually(lambda: len(server.to(LAND)) >= 2 and server.to(LAND), "copy and card")
    assert sent[0].method == "copyMessage" and sent[1].text.startswith("📩 Phiếu #1")
    # a document from staff, as the answer: copied to the cadre with the answer's text
    server.message(STAFF, document="MAU04", caption="/tl 1 Mẫu đơn kèm theo.", chat_id=LAND,
                   chat_type="supergroup")
    await eventually(lambda: any("Mẫu đơn kèm theo" in t for t in server.texts_to(CADRE)), "the answer")
    copy, answer = server.to(CADRE)[-2:]  # the document first, then the answer's text
    assert copy.method == "copyMessage" and "Mẫu đơn kèm theo" in answer.text
    async with polling_bot.db.session() as s:
        kinds = [e.kind for e in (await s.execute(select(TicketEvent))).scalars()]
    assert kinds.count("attachment") == 1 and "answer" in kinds


async def test_429_is_honoured_without_loss_or_duplicate(polling_bot, server):
    await register(server)
    server.fail(1, method="sendMessage", status=429, description="Too Many Requests: retry after 1",
                retry_after=1)
    n = await ask(server, LAND_Q)
    await eventually(lambda: server.to(LAND), "card after the wait")
    assert server.failed == {429: 1}
    assert len([t for t in server.texts_to(LAND) if f"#{n}" in t]) == 1
    assert len([t for t in server.texts_to(CADRE) if f"số phiếu #{n}" in t]) == 1


async def test_half_sent_file_and_long_text_is_not_repeated(polling_bot, server, tmp_path):
    report = tmp_path / "baocao.xlsx"
    report.write_bytes(b"PK\x03\x04 not really a workbook")
    text = "\n".join(f"dòng {i} " + "x" * 80 for i in range(60))  # too long for a caption: 2 parts
    message = Outgoing(ChatRef("telegram", str(BOSS)), text, file_path=str(report))
    server.fail(1, method="sendMessage", status=429, description="Too Many Requests: retry after 1",
                retry_after=1, skip=1)  # the second text part is refused
    # only this message's calls: the bot's own catch-up digest may reach BOSS meanwhile
    def to_boss() -> list:  # type: ignore[type-arg]
        return [s for s in server.to(BOSS) if s.method == "sendDocument" or s.text.startswith("dòng ")]

    with pytest.raises(SendError) as refused:
        await polling_bot.channels["telegram"].send(message)
    assert refused.value.retry_after == 1
    assert [s.method for s in to_boss()] == ["sendDocument", "sendMessage"]
    sent = await polling_bot.channels["telegram"].send(message)  # the outbox's retry
    assert [s.method for s in to_boss()] == ["sendDocument", "sendMessage", "sendMessage"]
    assert [str(s.message_id) for s in to_boss()] == list(sent.message_ids)
    assert "\n".join(s.text for s in to_boss()[1:]) == text


async def test_nhom_by_admins_only_once_a_supervisor_approves(polling_bot, server):
    await register(server)
    server.message(70, "/nhom cntt", chat_id=NEW_GROUP, chat_type="supergroup")
    await eventually(lambda: any("Chỉ quản trị viên" in t for t in server.texts_to(NEW_GROUP)), "refusal")
    server.admins.add((NEW_GROUP, 60))
    server.message(60, "/nhom cntt | Tổ CNTT 2", chat_id=NEW_GROUP, chat_type="supergroup")
    request = (await eventually(lambda: [s for s in server.to(BOSS) if "Yêu cầu gắn nhóm" in s.text],
                                "the request at the supervisor"))[0]
    assert ("Duyệt", "/duyetnhom 1") in request.buttons
    server.press(BOSS, request, "/duyetnhom 1")
    await eventually(lambda: any("Đã gắn nhóm" in t for t in server.texts_to(NEW_GROUP)), "bound")
    await eventually(lambda: any("Tổ CNTT 2" in t for t in server.texts_to(IT)), "old group told")
    await ask(server, "Phần mềm một cửa báo lỗi chữ ký số khi ký hồ sơ")
    await eventually(lambda: any("📩 Phiếu" in t for t in server.texts_to(NEW_GROUP)), "card there")


async def test_webhook_mode_lifecycle_secret_and_redelivery(tmp_path, server):
    port = free_port()
    app = App(config(tmp_path, server, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/tg",
                     webhook_host="127.0.0.1", webhook_port=port, webhook_path="/tg",
                     webhook_secret=SECRET))
    await app.start()
    try:
        assert await eventually(lambda: server.webhook, "the webhook registered") == {
            "url": f"http://127.0.0.1:{port}/tg", "secret_token": SECRET}
        reg = server.message(CADRE, "/dangky Nguyễn Văn An | Xã Nam Đàn | Công chức địa chính")
        assert await server.deliver(reg, None) == 401
        assert await server.deliver(reg, "wrong-secret") == 401
        assert await server.deliver(reg, SECRET) == 200
        question = server.message(CADRE, LAND_Q)
        assert await server.deliver(question, SECRET) == 200
        assert await server.deliver(question, SECRET) == 200  # Telegram redelivers: one ticket
        card = (await eventually(lambda: server.to(LAND), "card"))[0]
        reply = server.message(STAFF, "Hồ sơ gồm đơn Mẫu 04/ĐK.", chat_id=LAND, chat_type="supergroup",
                               reply_to=card.message_id)
        assert await server.deliver(reply, SECRET) == 200
        await eventually(lambda: any("Mẫu 04/ĐK" in t for t in server.texts_to(CADRE)), "answer")
        tl = server.message(STAFF, "/tl 1 Thêm: bản sao CCCD.", chat_id=LAND, chat_type="supergroup")
        assert await server.deliver(tl, SECRET) == 200
        await eventually(lambda: any("bản sao CCCD" in t for t in server.texts_to(CADRE)), "/tl")
        done = server.message(CADRE, "/xong 1")
        assert await server.deliver(done, SECRET) == 200
        await eventually(lambda: any("Đã đóng phiếu #1" in t for t in server.texts_to(CADRE)), "closed")
        assert await server.deliver({"update_id": "garbage"}, SECRET) == 400
        async with app.db.session() as s:
            assert (await s.execute(select(func.count()).select_from(Ticket))).scalar_one() == 1
        assert "getUpdates" not in server.calls
    finally:
        await app.stop()


async def test_webhook_cli_commands(tmp_path, server):
    from bot.channels.telegram import TelegramChannel

    cfg = config(tmp_path, server, webhook_url="https://hotline.example/tg", webhook_secret=SECRET)
    channel = TelegramChannel(cfg.telegram)
    try:
        assert "https://hotline.example/tg" in await channel.webhook("set")
        assert "https://hotline.example/tg" in await channel.webhook("info")
        assert "deleted" in await channel.webhook("delete")
        assert server.webhook is None
    finally:
        await channel.stop()


async def test_polled_update_is_fetched_again_when_storage_is_down(tmp_path, server):
    from handlers.messages import StorageUnavailable

    app = App(config(tmp_path, server))
    real, left = app.hotline.handle, [2]

    async def handle(msg):  # type: ignore[no-untyped-def]
        if left[0]:
            left[0] -= 1
            raise StorageUnavailable()
        await real(msg)

    app.hotline.handle = handle  # type: ignore[method-assign]
    await app.start()
    try:
        update = server.message(CADRE, "/dangky Nguyễn Văn An | Xã Nam Đàn | Công chức địa chính")
        await eventually(lambda: any("Đăng ký xong" in t for t in server.texts_to(CADRE)),
                         "registration after the outage")
        assert left == [0]  # delivered three times: twice refused while storage was down
        await eventually(lambda: server.confirmed_offset == update["update_id"] + 1, "offset confirmed")
        assert len([t for t in server.texts_to(CADRE) if "Đăng ký xong" in t]) == 1
    finally:
        await app.stop()


async def test_commands_addressed_to_another_bot_are_ignored(polling_bot, server):
    await register(server)
    n = await ask(server, LAND_Q)
    await eventually(lambda: server.to(LAND), "the card")
    server.message(STAFF, f"/dong@some_other_bot {n}", chat_id=LAND, chat_type="supergroup")
    server.message(STAFF, f"/nhan@Hotline_Bot {n}", chat_id=LAND, chat_type="supergroup")
    # handled in order: once the cadre hears of /nhan, /dong@some_other_bot was seen before it
    await eventually(lambda: any("đang được" in t for t in server.texts_to(CADRE)), "the claim")
    async with polling_bot.db.session() as s:
        assert (await s.get(Ticket, n)).status == "in_progress"
    assert not any("đã đóng" in t for t in server.texts_to(CADRE))


async def test_webhook_refuses_deep_json_with_400_and_a_huge_chunked_body_with_413(tmp_path, server):
    import aiohttp

    port = free_port()
    app = App(config(tmp_path, server, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/tg",
                     webhook_host="127.0.0.1", webhook_port=port, webhook_path="/tg",
                     webhook_secret=SECRET))
    await app.start()
    url, headers = f"http://127.0.0.1:{port}/tg", {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(160):  # 10 MB, no Content-Length
            yield b" " * 65536

    try:
        async with aiohttp.ClientSession(headers={**headers, "Content-Type": "application/json"}) as http:
            deep = "[" * 100_000 + "]" * 100_000
            async with http.post(url, data=deep) as resp:
                assert resp.status == 400
            async with http.post(url, data=chunks()) as resp:
                assert resp.status == 413
            async with http.post(url, data="{}") as resp:  # the listener still answers
                assert resp.status == 400
    finally:
        await app.stop()


async def test_a_file_gone_before_its_send_is_a_permanent_failure(polling_bot, tmp_path):
    message = Outgoing(ChatRef("telegram", str(BOSS)), "Báo cáo", file_path=str(tmp_path / "gone.xlsx"))
    with pytest.raises(SendError) as refused:
        await polling_bot.channels["telegram"].send(message)
    assert refused.value.permanent  # not an outage: retrying cannot bring the file back


async def test_send_errors_are_decided_by_the_shared_classify(polling_bot, server):
    """Each Bot API answer to a send, over HTTP, as the outbox sees it: refusals of the message
    itself are permanent (403 blocked, 404 chat gone, 400, 413 a file over 50 MB), 429 waits
    Telegram's retry_after, 5xx and a proxy's HTML page are outages, retried."""
    channel = polling_bot.channels["telegram"]
    message = Outgoing(ChatRef("telegram", str(BOSS)), "Báo cáo")
    cases = [
        ({"status": 403, "description": "Forbidden: bot was blocked by the user"}, "permanent"),
        ({"status": 404, "description": "Not Found: chat not found"}, "permanent"),
        ({"status": 400, "description": "Bad Request: message is too long"}, "permanent"),
        ({"status": 413, "description": "Request Entity Too Large"}, "permanent"),
        ({"status": 429, "description": "Too Many Requests: retry after 7", "retry_after": 7}, "wait"),
        ({"status": 500, "description": "Internal Server Error"}, "retry"),
        ({"status": 502, "description": "Bad Gateway", "html": True}, "retry"),
    ]
    for failure, expected in cases:
        server.fail(1, method="sendMessage", **failure)
        with pytest.raises(SendError) as refused:
            await channel.send(message)
        err = refused.value
        got = "permanent" if err.permanent else "wait" if err.retry_after else "retry"
        assert got == expected, (failure, str(err))
        if expected == "wait":
            assert err.retry_after == 7
        assert TOKEN.split(":")[1] not in str(err) and "<html>" not in str(err)
    assert (await channel.send(message)).message_ids  # and the next one goes


async def test_photo_from_zalo_is_shown_by_its_link(polling_bot, server):
    """A Zalo cadre's photo reaches a Telegram group as a photo (sendPhoto with its URL, which
    Telegram fetches), then the card, whose text keeps the link should Telegram refuse it."""
    channel = polling_bot.channels["telegram"]
    url = "https://photo-stal-1.zdn.vn/bot/so-do.jpg"
    card = Outgoing(ChatRef("telegram", str(LAND), "group"), f"📩 Phiếu #1\n\n• Ảnh {url}",
                    photo_url=url)
    sent = await channel.send(card)
    photo, text = server.to(LAND)
    assert photo.method == "sendPhoto" and photo.payload["photo"] == url
    assert text.method == "sendMessage" and url in text.text
    assert list(sent.message_ids) == [str(photo.message_id), str(text.message_id)]

    server.fail(1, method="sendPhoto", status=400,
                description="Bad Request: failed to get HTTP URL content")
    sent = await channel.send(card)  # refused: the card goes all the same, with the link
    assert len(sent.message_ids) == 1 and server.to(LAND)[-1].text == text.text


async def test_a_card_backlog_in_one_group_does_not_delay_acks_or_other_chats(polling_bot, server):
    """Shipped limits (20 a minute into a group): 120 land cards take six minutes to go
    out; meanwhile every cadre's ack and the finance group's card leave at once."""
    cadres = list(range(2000, 2120))
    async with polling_bot.db.session() as s:  # registered cadres, written directly
        commune = (await s.execute(select(Commune.id).limit(1))).scalar_one()
        for uid in [*cadres, CADRE]:
            s.add(User(identity=f"telegram:{uid}", name=f"Cán bộ {uid}", commune_id=commune,
                       position="Công chức", status="active", created_at=polling_bot.clock.now()))
    for uid in cadres:
        server.message(uid, LAND_Q)
    server.message(CADRE, "Quyết toán ngân sách xã năm 2025 nộp khi nào?")
    acked = lambda uid: any("số phiếu #" in t for t in server.texts_to(uid))  # noqa: E731
    await eventually(lambda: all(acked(uid) for uid in [*cadres, CADRE]), "every ack")
    await eventually(lambda: server.to(FIN), "the finance card")
    assert len(server.to(LAND)) < 30  # the land group's backlog is still going out at its pace


async def test_a_polled_batch_moves_the_offset_only_past_what_was_stored(tmp_path, server):
    """A batch's chats are handled at once, each chat in order; when one update cannot be
    stored the offset stops there: it and what follows come again, and what was already
    stored is not handled twice."""
    from handlers.core import StorageUnavailable

    app = App(config(tmp_path, server))
    real, refused = app.hotline.handle, []

    async def handle(msg):  # type: ignore[no-untyped-def]
        if msg.sender.user_id == "22" and not refused:
            refused.append(msg.update_key)
            raise StorageUnavailable()
        await real(msg)

    app.hotline.handle = handle  # type: ignore[method-assign]
    signup = "/dangky Nguyễn Văn {} | Xã Nam Đàn | Công chức địa chính"
    server.message(21, signup.format("A"))  # queued before the bot starts: one batch
    failed = server.message(22, signup.format("B"))
    server.message(21, "/cuatoi")
    last = server.message(23, signup.format("C"))
    await app.start()
    try:
        await eventually(lambda: server.confirmed_offset == last["update_id"] + 1, "whole batch confirmed",
                         timeout=60)
        assert refused == [str(failed["update_id"])]
        for uid in (21, 22, 23):
            await eventually(lambda uid=uid: any("Đăng ký xong" in t for t in server.texts_to(uid)),
                             f"registration of {uid}")
        await eventually(lambda: any("chưa có phiếu" in t for t in server.texts_to(21)), "/cuatoi")
        a = server.texts_to(21)
        assert [i for i, t in enumerate(a) if "Đăng ký xong" in t] == [0]  # once, before /cuatoi
        assert len([t for t in a if "chưa có phiếu" in t]) == 1
        assert [len([t for t in server.texts_to(u) if "Đăng ký xong" in t]) for u in (22, 23)] == [1, 1]
    finally:
        await app.stop()
