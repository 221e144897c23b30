"""Outages that answer with an HTML page (a proxy's 502 echoing the request path, token and
all): retried for as long as they last, at start and for every message, and never logged
with the token. The log-hygiene test greps the whole captured log."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from bot.app import App
from bot.channels.base import Backoff
from bot.logs import setup_logging
from handlers.commands import BY_NAME
from storage.models import OutboxMessage
from tests.fakes.telegram_server import TOKEN
from tests.helpers.harness import FakeClock
from tests.helpers.waiting import eventually, free_port
from tests.test_telegram import BOSS, CADRE, LAND, LAND_Q, SECRET, config, register

DOWN, BACK = "⚠️ Kênh Telegram", "✅ Kênh Telegram"

PAGE = {"status": 502, "html": True, "description": "502 Bad Gateway"}



@pytest.fixture
def captured_log() -> AsyncIterator[io.StringIO]:
    """The bot's own logging set-up, at DEBUG, into a buffer; the root logger restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("DEBUG", "text", [TOKEN, SECRET], stream=stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


async def outage_passes(app: App, clock: FakeClock, done, what: str):  # type: ignore[no-untyped-def]
    """Jump the clock past each backoff until `done()`: an outage of hours, in moments."""
    def check():  # type: ignore[no-untyped-def]
        if not done():
            clock.advance(seconds=301)
            app.sender.wake()
        return done()
    return await eventually(check, what)


async def test_html_502_at_start_and_on_sends_is_waited_out_and_past_failures_resent(
    tmp_path, server, captured_log
):
    clock = FakeClock()
    app = App(config(tmp_path, server), clock=clock)
    await app.db.upgrade()
    async with app.db.session() as s:  # given up during an earlier outage, by an older version
        s.add(OutboxMessage(channel="telegram", chat_id=str(BOSS), text="tin cũ bị kẹt",
                            status="failed", attempts=12,
                            last_error="lỗi hệ thống khi gửi (ClientDecodeError)",
                            created_at=clock.now(), next_attempt_at=clock.now()))
    server.fail(2, method="setMyCommands", **PAGE)
    await app.start()  # an HTML page at start does not stop the bot
    try:
        await eventually(lambda: "tin cũ bị kẹt" in server.texts_to(BOSS), "the stuck row resent")
        await register(server)
        server.fail(14, method="sendMessage", **PAGE)  # past the sender's 12 tries for a bug
        server.message(CADRE, LAND_Q)
        await outage_passes(app, clock, lambda: server.to(LAND) and any(
            "số phiếu #1" in t for t in server.texts_to(CADRE)), "the card and the confirmation")
        await eventually(lambda: len(server.commands) == 2, "the command menus, retried")
        assert server.failed == {502: 16}
        async with app.db.session() as s:  # (the jumps in time may have queued reminders)
            statuses = (await s.execute(select(OutboxMessage.status))).scalars().all()
        assert "failed" not in statuses
        assert len([t for t in server.texts_to(LAND) if "📩 Phiếu #1" in t]) == 1
    finally:
        await app.stop()
    log = captured_log.getvalue()
    assert "ClientDecodeError" in log or "retrying" in log  # the outage was logged…
    assert TOKEN not in log and TOKEN.split(":")[1] not in log  # …without the token
    assert "<html>" not in log and LAND_Q not in log


async def test_log_hygiene_webhook_outage_and_database_errors(tmp_path, server, captured_log,
                                                              monkeypatch, db_url):
    from handlers.intake import cadre

    port = free_port()
    cfg = config(tmp_path, server, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/tg",
                 webhook_host="127.0.0.1", webhook_port=port, webhook_path="/tg",
                 webhook_secret=SECRET)
    cfg.database.url = db_url  # SQLite and PostgreSQL word their errors differently
    app = App(cfg)
    server.fail(1, method="setWebhook", **PAGE)
    await app.start()
    try:
        await eventually(lambda: server.webhook is not None, "the webhook set after the outage")
        reg = server.message(CADRE, "/dangky Nguyễn Văn An | Xã Nam Đàn | Công chức địa chính")
        assert await server.deliver(reg, "wrong-" + SECRET) == 401
        assert await server.deliver(reg, SECRET) == 200
        await eventually(lambda: server.texts_to(CADRE), "registered")
        real_ask = cadre.ask

        async def failing_ask(ctx, question):  # type: ignore[no-untyped-def]
            # a database error whose statement carries the question as a parameter
            await ctx.session.execute(text("INSERT INTO ban (identity, by, reason, at) "
                                           "VALUES (:q, NULL, :q, NULL)"), {"q": question})
            await real_ask(ctx, question)

        # a question is dispatched through the registry's "hoi" command
        monkeypatch.setitem(BY_NAME, "hoi", replace(BY_NAME["hoi"], run=failing_ask))
        server.fail(1, method="sendMessage", **PAGE)
        assert await server.deliver(server.message(CADRE, LAND_Q), SECRET) == 200
        await eventually(lambda: any("Xin lỗi" in t for t in server.texts_to(CADRE)), "the apology")
        assert await server.deliver({"update_id": 1, "message": {"bad": LAND_Q}}, SECRET) == 400
    finally:
        await app.stop()
    log = captured_log.getvalue()
    assert "IntegrityError" in log  # the database error was logged…
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET, LAND_Q):  # …with none of these
        assert secret not in log, secret


async def test_webhook_command_answered_by_an_html_page_prints_no_token(tmp_path, server, capsys):
    from bot.cli import _webhook

    cfg = config(tmp_path, server, webhook_url="https://hotline.example/tg", webhook_secret=SECRET)
    server.fail(1, method="setWebhook", **PAGE)
    assert await _webhook(cfg, "telegram", "set") == 1
    err = capsys.readouterr().err
    assert "telegram webhook set failed (ClientDecodeError)" in err
    assert TOKEN.split(":")[1] not in err and "<html>" not in err


async def test_polling_through_an_outage_tells_the_supervisors_once_down_and_once_back(
    tmp_path, server
):
    """Every call answered by a proxy's 502 page until the alert time has passed on the
    channel's outage clock (the test's own: a slow machine cannot stretch a blip into an
    outage): polling goes on, the supervisors hear once that Telegram was down (queued, so a
    supervisor on Telegram reads it after) and once that it is back, and what a cadre sent
    meanwhile is handled after. A blip of three failed polls says nothing."""
    app = App(config(tmp_path, server))
    channel = app.channels["telegram"]
    channel.backoff = Backoff(base=0.02, cap=0.1)  # type: ignore[attr-defined]
    watch, moment = channel.outage, [0.0]  # type: ignore[attr-defined]
    watch.monotonic = lambda: moment[0]
    await app.start()
    try:
        await register(server)

        def notices(start: str) -> list[str]:
            return [t for t in server.texts_to(BOSS) if t.startswith(start)]

        server.fail_for(3600.0)  # until ended below
        server.message(CADRE, "/cuatoi")  # waits at Telegram while polling fails
        await eventually(lambda: server.outage_calls >= 5, "polling on through the outage")
        assert not notices(DOWN)  # failing, but not yet for the alert time
        moment[0] += watch.after
        await eventually(lambda: watch.notices, "the outage notice queued")  # sent once it is over
        server.fail_for(0)  # over
        down = await eventually(lambda: notices(DOWN), "the outage notice")
        assert "error page" in down[0]  # the last error, named without the page or the token
        await eventually(lambda: len(server.texts_to(CADRE)) >= 2, "the answer after the outage")
        await eventually(lambda: notices(BACK), "the recovery notice")
        assert len(notices(DOWN)) == 1 and len(notices(BACK)) == 1

        server.fail(3, method="getUpdates", **PAGE)  # a blip of three polls tells nobody
        await eventually(lambda: not server.failures, "the blip to pass")
        server.message(CADRE, "/cuatoi")
        await eventually(lambda: len(server.texts_to(CADRE)) >= 3, "an answer after the blip")
        assert len(notices(DOWN)) == 1 and len(notices(BACK)) == 1
    finally:
        await app.stop()
