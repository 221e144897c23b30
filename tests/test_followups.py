"""Reminders, deadline notices, escalation, check-backs, auto-close and digests — each once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.messages import Identity
from storage.models import Ticket, TicketStatus
from tests.helpers.harness import FakeClock, make_harness, texts_to

QUESTION = "Xin hỏi hồ sơ cấp sổ đỏ lần đầu gồm những gì?"  # routed to g_dat, 8 hours


async def test_left_alone_walks_reminder_deadline_escalation_once(hx):
    await hx.register("an")
    n = await hx.ask("an", QUESTION)
    assert await hx.tick() == []

    hx.clock.advance(hours=6)  # 75% of 8 hours
    out = await hx.tick()
    reminder = texts_to(out, "g_dat")
    assert len(reminder) == 1 and "sắp đến hạn" in reminder[0] and f"#{n}" in reminder[0]
    assert await hx.tick() == []  # a second tick sends nothing again

    hx.clock.advance(hours=2)
    out = await hx.tick()
    assert len(texts_to(out, "g_dat")) == 1 and "Đã đến hạn" in texts_to(out, "g_dat")[0]
    assert texts_to(out, "sep") == []

    hx.clock.advance(hours=4)  # overdue by the 4-hour margin: supervisors hear of it
    out = await hx.tick()
    escalation = texts_to(out, "sep")
    assert len(escalation) == 1 and f"#{n}" in escalation[0] and "Tổ Đất đai" in escalation[0]
    hx.clock.advance(hours=28)  # 40 hours in all: the resolution deadline passes, said once
    [unresolved] = texts_to(await hx.tick(), "g_dat")
    assert unresolved.startswith("⌛ Đã quá hạn giải quyết") and f"#{n}" in unresolved
    hx.clock.advance(days=3)
    assert await hx.tick() == []


async def test_follow_ups_resume_exactly_after_restart(db_url):
    clock = FakeClock()
    hx = await make_harness(db_url, clock=clock)
    await hx.register("an")
    await hx.ask("an", QUESTION)
    clock.advance(hours=6)
    assert len(await hx.tick()) == 1
    await hx.db.close()

    again = await make_harness(db_url, clock=clock)  # a new process, same database
    assert await again.tick() == []
    clock.advance(hours=6.5)  # due passed and 4.5 h overdue while "down": both notices, once
    out = await again.tick()
    assert len(texts_to(out, "g_dat")) == 1 and len(texts_to(out, "sep")) == 1
    assert await again.tick() == []
    await again.db.close()


async def test_answer_then_check_back_not_resolved_reopens(hx):
    await hx.register("an")
    n = await hx.ask("an", QUESTION)
    await hx.say("dd", f"/tl {n} Hồ sơ gồm đơn và giấy tờ về đất.", group="g_dat")
    hx.clock.advance(hours=8)
    out = await hx.tick()
    ask = [m for _, m in out if m.chat.chat_id == "an"]
    assert len(ask) == 1 and f"#{n}" in ask[0].text
    assert [c.command for c in ask[0].choices] == [f"/xong {n}", f"/chua {n}"]
    out = await hx.say("an", "2")  # "Chưa"
    assert any("mở lại" in t for t in texts_to(out, "g_dat"))
    async with hx.db.session() as s:
        t = await s.get(Ticket, n)
        assert t.status == TicketStatus.IN_PROGRESS and t.due_at > hx.clock.now()


async def test_no_reply_to_check_back_auto_closes_and_asks_rating(hx):
    await hx.register("an")
    n = await hx.ask("an", QUESTION)
    await hx.say("dd", f"/tl {n} Hồ sơ gồm đơn và giấy tờ về đất.", group="g_dat")
    hx.clock.advance(hours=8)
    await hx.tick()
    hx.clock.advance(days=3)
    out = await hx.tick()
    to_an = [m for _, m in out if m.chat.chat_id == "an"]
    assert "tự đóng" in to_an[0].text and len(to_an[1].choices) == 5
    out = await hx.say("an", "5")
    assert "5/5" in texts_to(out, "an")[0]
    async with hx.db.session() as s:
        t = await s.get(Ticket, n)
        assert t.status == TicketStatus.CLOSED and t.rating == 5
    assert await hx.tick() == []


async def test_question_back_pauses_the_clock(hx):
    await hx.register("an")
    n = await hx.ask("an", QUESTION)
    async with hx.db.session() as s:
        due_before = (await s.get(Ticket, n)).due_at
    hx.clock.advance(hours=1)
    out = await hx.say("dd", f"/hoilai {n} Thửa đất đã có quyết định giao đất chưa?", group="g_dat")
    assert any("quyết định giao đất" in t for t in texts_to(out, "an"))
    hx.clock.advance(hours=20)  # waiting for the cadre: no reminders, not overdue
    assert await hx.tick() == []
    out = await hx.say("an", f"/bosung {n} Đã có quyết định năm 1995.")
    assert any("năm 1995" in t for t in texts_to(out, "g_dat"))
    async with hx.db.session() as s:
        t = await s.get(Ticket, n)
        assert t.status == TicketStatus.IN_PROGRESS
        assert (t.due_at - due_before).total_seconds() == 20 * 3600


async def test_postpone_once_with_reason_seen_by_supervisors(hx):
    await hx.register("an")
    n = await hx.ask("an", QUESTION)
    out = await hx.say("dd", f"/hoan {n} 2 ngày chờ hồ sơ từ Văn phòng đăng ký đất đai", group="g_dat")
    assert any("chờ hồ sơ" in t and f"#{n}" in t for t in texts_to(out, "sep"))
    assert any("hạn trả lời mới" in t for t in texts_to(out, "an"))
    out = await hx.say("dd", f"/hoan {n} 4h lần nữa", group="g_dat")
    assert "đã được hoãn một lần" in texts_to(out, "g_dat")[0]
    out = await hx.say("dd", f"/hoan {n} mai", group="g_dat")
    assert "Cách dùng" in texts_to(out, "g_dat")[0]
    hx.clock.advance(hours=12)
    assert texts_to(await hx.tick(), "sep") == []  # 8 + 16 hours now: not overdue


async def test_daily_digest_lists_open_tickets_once(hx):
    await hx.register("an")
    a = await hx.ask("an", QUESTION)
    b = await hx.ask("an", "Thu hồi đất làm đường thì bồi thường thế nào?")
    await hx.ask("an", "Quyết toán ngân sách xã nộp khi nào?")
    hx.clock.advance(days=1)
    out = await hx.digest()
    land = texts_to(out, "g_dat")
    assert len(land) == 1 and land[0].index(f"#{a}") < land[0].index(f"#{b}")
    assert len(texts_to(out, "g_tc")) == 1 and texts_to(out, "g_it") == []
    summary = texts_to(out, "sep")[0]
    assert "3 câu hỏi mới" in summary and "Đang quá hạn: 3 phiếu" in summary
    assert await hx.digest() == []
    async with hx.db.session() as s:
        assert len((await s.execute(select(Ticket))).all()) == 3


@pytest.fixture
async def limited(db_url):  # type: ignore[no-untyped-def]
    """"land" oversees land only, "sep" everything; one land and one finance ticket."""
    hx = await make_harness(
        db_url,
        supervisors=frozenset({Identity("mem", "sep"), Identity("mem", "land")}),
        supervisor_areas={Identity("mem", "land"): frozenset({"dat_dai"})},
    )
    await hx.register("an")
    land = await hx.ask("an", QUESTION)
    money = await hx.ask("an", "Quyết toán ngân sách xã năm 2025 nộp khi nào?")
    yield hx, land, money
    await hx.db.close()


async def test_escalations_reach_only_supervisors_of_the_area(limited):
    hx, land, money = limited
    hx.clock.advance(hours=12)
    out = await hx.tick()
    to_land, to_all = texts_to(out, "land"), texts_to(out, "sep")
    assert len(to_land) == 1 and f"#{land}" in to_land[0] and f"#{money}" not in to_land[0]
    assert len(to_all) == 1 and f"#{land}" in to_all[0] and f"#{money}" in to_all[0]


async def test_digest_of_a_limited_supervisor_counts_only_their_areas(limited):
    hx, land, money = limited
    hx.clock.advance(days=1)
    out = await hx.digest()
    [to_land], [to_all] = texts_to(out, "land"), texts_to(out, "sep")
    assert to_land.startswith("📊 Số liệu ngày 23/11/2026 (Đất đai): 1 câu hỏi mới, 0 đã trả lời")
    assert "Đang quá hạn: 1 phiếu" in to_land and f"#{land}" in to_land and f"#{money}" not in to_land
    assert to_all.startswith("📊 Số liệu ngày 23/11/2026: 2 câu hỏi mới")
    assert "Đang quá hạn: 2 phiếu" in to_all


async def test_a_refused_card_is_reported_only_to_supervisors_of_its_area(limited):
    from bot.channels.base import SendError

    hx, _, _ = limited
    hx.channel.fail_to["g_dat"] = [SendError("chat not found", permanent=True)]
    out = await hx.say("an", "Thủ tục tách thửa đất ở như thế nào?")  # the land card is refused
    assert len(texts_to(out, "land")) == 1 and len(texts_to(out, "sep")) == 1
    hx.channel.fail_to["g_tc"] = [SendError("chat not found", permanent=True)]
    out = await hx.say("an", "Kinh phí sửa chữa nhỏ lấy từ ngân sách nào?")  # the finance card
    assert texts_to(out, "land") == [] and len(texts_to(out, "sep")) == 1


async def test_the_groups_digest_marks_tickets_past_their_deadline(hx):
    await hx.register("an")
    late = await hx.ask("an", QUESTION)
    hx.clock.advance(hours=7)  # the land group answers in 8 clock hours
    fresh = await hx.ask("an", "Thu hồi đất làm đường thì bồi thường thế nào?")
    hx.clock.advance(hours=2)
    [text] = texts_to(await hx.digest(), "g_dat")
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert lines[f"#{late}"].endswith(", ⚠️ quá hạn)") and "quá hạn" not in lines[f"#{fresh}"]


def test_long_lateness_says_working_days():
    from handlers.texts.report_chat import late_text

    assert late_text(2671.5) == "2.671,5 giờ làm việc (~333 ngày làm việc 7,5 giờ)"


def test_counts_have_thousands_dots_beside_decimal_commas():
    from handlers.reports.labels import count, num, share

    assert (count(8338), count(1_234_567), count(7), num(3.45), num(12345.67)) == (
        "8.338", "1.234.567", "7", "3,5", "12.345,7")
    assert share(8000, 8338) == "96% (8.000/8.338)"
