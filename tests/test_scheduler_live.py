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

        for _ in range(600):
            if texts("sep"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)  # a few more ticks: nothing may repeat
        group = texts("g")
        assert len([t for t in group if "sắp đến hạn" in t]) == 1
        assert len([t for t in group if "Đã đến hạn" in t]) == 1
        assert len([t for t in texts("sep") if "quá hạn" in t]) == 1
    finally:
        await app.stop()
