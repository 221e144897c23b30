"""`hotline status` against a running app: who runs, who leads, the outbox, failed sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.cli import main
from bot.config import load_config
from storage.models import Instance, OutboxMessage
from tests.helpers.instances import telegram_config


async def status(config, capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = await asyncio.to_thread(main, ["status", "--config", str(config)])
    return code, capsys.readouterr().out


async def test_status_shows_instances_leader_outbox_and_failures(tmp_path, server, db_url, capsys):
    config = telegram_config(tmp_path / "bot.toml", server, db_url)
    app = App(load_config(config))
    await app.start()
    try:
        now = datetime.now(UTC)
        async with app.db.session() as session:  # on zalo: the bot sends nothing of its own there
            session.add(Instance(id="old-host:99", host="old-host", pid=99, leader=True,
                                 started_at=now - timedelta(hours=5), seen_at=now - timedelta(hours=3)))
            session.add(OutboxMessage(channel="zalo", chat_id="666", text="x", status="failed",
                                      created_at=now - timedelta(hours=2), next_attempt_at=now))
            session.add(OutboxMessage(channel="zalo", chat_id="77", text="y", created_at=now,
                                      next_attempt_at=now + timedelta(hours=1)))  # waits for a retry
        code, out = await status(config, capsys)
    finally:
        await app.stop()
    assert code == 0, out
    me = app.leadership.id
    assert f"{me}" in out and "điều phối (leader)" in out and f"Điều phối: {me}" in out
    assert "old-host:99" in out and "mất tín hiệu" in out  # a crashed one is not taken for the leader
    assert "zalo: 1 tin chờ gửi, 0 đã đến hạn" in out
    assert "Gửi không được trong 24 giờ qua: zalo 1" in out

    code, out = await status(config, capsys)  # stopped cleanly: its row is gone, nobody leads
    assert code == 1 and me not in out and "Điều phối: KHÔNG CÓ" in out
