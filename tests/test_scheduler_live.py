"""The real APScheduler inside the App, on the real clock, with minute-level deadlines: a ticket
left alone gets its reminder, deadline notice and escalation, each once."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.config import Config
from handlers.messages import ChatRef, Identity, Inbound
from tests.helpers.harness import MemoryChannel


async def test_scheduler_walks_reminder_deadline_escalation(tmp_path):
    cfg = Config.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"},
        "console": {"enabled": False},
        "registration": {"policy": "open"},
        "roles": {"supervisors": ["console:sep"]},
        "schedule": {"business_hours": False, "tick_seconds": 0.2, "reminder_fraction": 0.5,
                     "escalate_after_hours": 0.0003},
        "areas": [{"code": "dat_dai", "name": "Đất đai", "keywords": ["sổ đỏ"],
                   "first_response_hours": 0.002}],  # about seven seconds
        "groups": [{"channel": "console", "chat_id": "g", "name": "Tổ Đất đai", "areas": ["dat_dai"]}],
    })
    app = App(cfg)
    channel = MemoryChannel()  # records what is sent, in place of the (disabled) console
    channel.name = "console"  # type: ignore[misc]
    app.channels["console"] = channel
    await app.start()
    try:
        for i, text in enumerate(["/dangky An | Xã Vạn An | Địa chính", "Cấp sổ đỏ lần đầu cần gì?"]):
            await app.hotline.handle(Inbound(Identity("console", "an"), ChatRef("console", "an"), text,
                                             update_key=f"u{i}"))

        def texts(chat: str) -> list[str]:
            return [m.text for _, m in channel.sent if m.chat.chat_id == chat]

        def escalations() -> list[str]:  # (the morning digest, sent at start, may be there too)
            return [t for t in texts("sep") if "#1" in t and "quá hạn" in t]

        for _ in range(600):
            if escalations():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)  # a few more ticks: nothing may repeat
        group = texts("g")
        assert len([t for t in group if "sắp đến hạn" in t]) == 1
        assert len([t for t in group if "Đã đến hạn" in t]) == 1
        assert len(escalations()) == 1
    finally:
        await app.stop()


async def test_a_restart_after_digest_time_sends_todays_digest_once(tmp_path):
    from datetime import UTC, datetime

    from tests.helpers.harness import FakeClock

    cfg = Config.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"},
        "console": {"enabled": False},
        "roles": {"supervisors": ["console:sep"]},
        "schedule": {"digest_time": "07:30"},  # working days, Vietnamese calendar
        "areas": [{"code": "khac", "name": "Khác"}],
        "groups": [{"channel": "console", "chat_id": "g", "areas": ["khac"]}],
    })
    sent: list[str] = []
    for _ in range(2):  # started at 09:00 on Monday 23/11/2026, then restarted
        app = App(cfg, clock=FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
        channel = MemoryChannel()
        channel.name = "console"  # type: ignore[misc]
        app.channels["console"] = channel
        await app.start()
        try:
            for _ in range(100):
                if channel.sent:
                    break
                await asyncio.sleep(0.05)
            await app.sender.drain()
        finally:
            await app.stop()
        sent += [m.text for _, m in channel.sent if m.chat.chat_id == "sep"]
    assert len(sent) == 1
    assert sent[0].startswith("📊 Số liệu từ 20/11 đến hết 22/11/2026: 0 câu hỏi mới")
