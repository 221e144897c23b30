"""The real APScheduler inside the App, on the real clock, with minute-level deadlines: a ticket
left alone gets its reminder, deadline notice and escalation, each once."""

from __future__ import annotations

from bot.app import App
from bot.config import Config
from handlers.messages import ChatRef, Identity, Inbound
from tests.helpers.harness import MemoryChannel


async def test_scheduler_walks_reminder_deadline_escalation(tmp_path):
    """The real scheduler ticks every 0.2 s; the injected clock jumps, and each step waits on
    what it must produce, so a loaded machine only makes the test slower, never wrong."""
    from apscheduler.events import EVENT_JOB_EXECUTED

    from tests.helpers.harness import FakeClock
    from tests.helpers.waiting import eventually

    cfg = Config.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"},
        "console": {"enabled": False},
        "registration": {"policy": "open"},
        "roles": {"supervisors": ["console:sep"]},
        "schedule": {"business_hours": False, "tick_seconds": 0.2, "reminder_fraction": 0.5,
                     "escalate_after_hours": 0.5},
        "areas": [{"code": "dat_dai", "name": "Đất đai", "keywords": ["sổ đỏ"],
                   "first_response_hours": 1}],
        "groups": [{"channel": "console", "chat_id": "g", "name": "Tổ Đất đai", "areas": ["dat_dai"]}],
    })
    clock = FakeClock()
    app = App(cfg, clock=clock)
    channel = MemoryChannel()  # records what is sent, in place of the (disabled) console
    channel.name = "console"  # type: ignore[misc]
    app.channels["console"] = channel
    ticks: list[object] = []
    await app.start()
    assert app.scheduler is not None  # the only instance leads
    app.scheduler.add_listener(
        lambda event: ticks.append(event) if event.job_id == "followups-tick" else None,
        EVENT_JOB_EXECUTED,
    )
    try:
        for i, text in enumerate(["/dangky Lê Văn An | Xã Vạn An | Địa chính", "Cấp sổ đỏ lần đầu cần gì?"]):
            await app.hotline.handle(Inbound(Identity("console", "an"), ChatRef("console", "an"), text,
                                             update_key=f"u{i}"))

        def texts(chat: str, *words: str) -> list[str]:
            return [m.text for _, m in channel.sent if m.chat.chat_id == chat
                    and all(w in m.text for w in words)]

        clock.advance(minutes=31)  # past half the first-response time
        await eventually(lambda: texts("g", "sắp đến hạn"), "the reminder")
        clock.advance(minutes=30)  # past the deadline
        await eventually(lambda: texts("g", "Đã đến hạn"), "the deadline notice")
        clock.advance(minutes=31)  # overdue by more than escalate_after_hours
        await eventually(lambda: texts("sep", "#1", "quá hạn"), "the escalation")
        seen = len(ticks)
        await eventually(lambda: len(ticks) >= seen + 3, "three more ticks")
        await app.sender.drain()
        assert len(texts("g", "sắp đến hạn")) == 1  # nothing repeats
        assert len(texts("g", "Đã đến hạn")) == 1
        assert len(texts("sep", "#1", "quá hạn")) == 1
    finally:
        await app.stop()


async def test_a_restart_after_digest_time_sends_todays_digest_once(tmp_path):
    from datetime import UTC, datetime

    from tests.helpers.harness import FakeClock
    from tests.helpers.waiting import eventually

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
            def caught_up() -> bool:  # the one-off job has left the store and finished running
                scheduler = app.scheduler  # noqa: B023
                return bool(scheduler and not scheduler.get_job("daily-digest-catch-up") and not app.jobs)  # noqa: B023

            await eventually(caught_up, "the catch-up digest")
            await app.sender.drain()
        finally:
            await app.stop()
        sent += [m.text for _, m in channel.sent if m.chat.chat_id == "sep"]
    assert len(sent) == 1
    assert sent[0].startswith("📊 Số liệu từ 20/11 đến hết 22/11/2026: 0 câu hỏi mới")
