"""Hostile input (issue 11): digits in a working group, fake card lines through registration,
characters a database refuses, impossible dates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Ticket, User
from tests.helpers.harness import texts_to


async def status_of(hx, number: int) -> str:  # type: ignore[no-untyped-def]
    async with hx.db.session() as s:
        return (await s.get(Ticket, number)).status


async def test_a_bare_digit_in_a_group_picks_only_from_that_persons_own_menu(hx):
    await hx.register("an")
    await hx.register("binh", "Xã Diễn Châu")
    first = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    newest = await hx.ask("binh", "Tách thửa đất nông nghiệp có được không?")
    card = next(mid for mid, m in hx.channel.sent
                if m.chat.chat_id == "g_dat" and f"Phiếu #{first}" in m.text)
    # "4" (Đóng on the newest card) replying to the first card, then plain "2" and "3"
    for text, reply in (("4", card), ("2", None), ("3", None)):
        out = await hx.say("dd", text, group="g_dat", reply_to=reply)
        assert out == [], text
    assert await status_of(hx, first) == await status_of(hx, newest) == "new"
    # a menu asked for by one person: their digit picks from it, anyone else's does nothing
    out = await hx.say("dd", f"/chuyen {first}", group="g_dat")
    assert "Chọn số" in texts_to(out, "g_dat")[0]
    assert await hx.say("other", "1", group="g_dat") == []
    out = await hx.say("dd", "1", group="g_dat")
    assert any(f"#{first}" in t for t in texts_to(out, "g_tc"))
    async with hx.db.session() as s:
        assert (await s.get(Ticket, first)).area_code == "tai_chinh"
        assert (await s.get(Ticket, newest)).area_code == "dat_dai"


@pytest.mark.parametrize("line", [
    "/dangky " + "A" * 50_000 + " | Xã Nam Đàn | Công chức",
    "/dangky Nguyễn Văn An\nXã/phường: Xã Giả mạo | Xã Nam Đàn | Công chức",
    "/dangky Nguyễn Văn An | Xã Nam Đàn | Công chức\u2028Hạn trả lời: không",
    "/dangky An\x07 | Xã Nam Đàn | Công chức",
])
async def test_registration_fields_are_one_printable_line_in_bounds(hx, line):
    [answer] = texts_to(await hx.say("mal", line), "mal")
    assert "chưa hợp lệ" in answer and "Cách dùng" in answer and len(answer) < 400
    async with hx.db.session() as s:
        assert (await s.execute(select(User))).first() is None


async def test_step_by_step_refuses_a_name_with_a_line_break(hx):
    await hx.say("mal", "/dangky")
    [answer] = texts_to(await hx.say("mal", "Nguyễn Văn An\nXã/phường: Xã Giả mạo"), "mal")
    assert "Họ tên chưa hợp lệ" in answer


async def test_a_question_cannot_forge_a_cards_fields(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ thế nào?\nXã/phường: Xã Giả mạo\nHạn trả lời: không cần")
    [card] = [m.text for _, m in hx.channel.sent if m.chat.chat_id == "g_dat"]
    assert f"Phiếu #{n}" in card
    fields = [line for line in card.splitlines() if line.startswith("Xã/phường:")]
    assert fields == ["Xã/phường: Xã Nam Đàn"]
    assert "┃ Xã/phường: Xã Giả mạo" in card
    await hx.say("an", f"/bosung {n} Thêm\n• 10:00 — Trả lời — Tổ Đất đai: đã xong")
    [waiting] = texts_to(await hx.say("dd", "/chuaxuly", group="g_dat"), "g_dat")
    assert [line for line in waiting.splitlines() if line.startswith("#")] == [
        line for line in waiting.splitlines() if line.startswith(f"#{n} ")]
    [history] = texts_to(await hx.say("an", f"/phieu {n}"), "an")
    lines = history.splitlines()
    assert not any(line.startswith(("Xã/phường: Xã Giả", "• 10:00")) for line in lines), history


async def test_characters_a_database_refuses_never_lose_the_question(hx):
    """A NUL byte (PostgreSQL refuses it) and a lone UTF-16 surrogate, inside a question."""
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ\x00 lần đầu \ud83d cần giấy tờ gì?")
    async with hx.db.session() as s:
        assert (await s.get(Ticket, n)).question == "Cấp sổ đỏ lần đầu \ufffd cần giấy tờ gì?"


@pytest.mark.parametrize("text", [
    "/danhgia 1 ²", "²", "/tongket 0001-01", "/tongket 01/01/0001-31/12/9999", "/xuat 9999-12",
    "/bieudo 01/01/0001-31/12/9999", "/xephang 31/12/9999-31/12/9999",
])
async def test_odd_digits_and_impossible_dates_get_a_clear_answer(hx, text):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    await hx.say("dd", f"/dong {n}", group="g_dat")
    who = "sep" if text.split()[0] in ("/tongket", "/xuat", "/bieudo", "/xephang") else "an"
    answers = texts_to(await hx.say(who, text), who)
    assert answers and all("Xin lỗi, hệ thống gặp lỗi" not in a for a in answers), answers
    if who == "sep":
        assert "2000–2100" in answers[0] or "Cách dùng" in answers[0]
