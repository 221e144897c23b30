"""The whole ticket lifecycle through the handlers, on a real database (dialogue style)."""

from __future__ import annotations

from sqlalchemy import select

from handlers.messages import Attachment
from storage.models import OutboxMessage, Ticket, TicketEvent, TicketStatus
from tests.helpers.harness import make_harness, texts_to


async def test_unregistered_question_opens_no_ticket(hx):
    out = await hx.say("an", "Xin hỏi về thủ tục cấp sổ đỏ cho hộ gia đình?")
    assert "chưa đăng ký" in texts_to(out, "an")[0]
    async with hx.db.session() as s:
        assert (await s.execute(select(Ticket))).first() is None


async def test_guided_registration_with_former_commune_name(hx):
    await hx.say("an", "/dangky")
    out = await hx.say("an", "Nguyễn Văn An")
    assert "xã/phường nào" in texts_to(out, "an")[0]
    out = await hx.say("an", "thi tran nam dan")
    text = texts_to(out, "an")[0]
    assert "Thị trấn Nam Đàn" in text and "Xã Vạn An" in text
    out = await hx.say("an", "Công chức địa chính")
    assert "Đăng ký xong" in texts_to(out, "an")[0]
    assert "Xã Vạn An" in texts_to(out, "an")[0]


async def test_ambiguous_commune_is_asked_not_guessed(hx):
    out = await hx.say("an", "/dangky Nguyễn Văn An | Long Sơn | Kế toán")
    _, msg = out[0]
    assert "nhiều đơn vị" in msg.text
    labels = [c.label for c in msg.choices]
    assert any("Xã Yên Xuân" in label for label in labels)
    assert any("Phường Thái Hòa" in label for label in labels)
    # choosing by number completes the registration with the chosen commune
    index = next(i for i, c in enumerate(msg.choices, start=1) if "Thái Hòa" in c.label)
    out = await hx.say("an", str(index))
    assert "Đăng ký xong" in texts_to(out, "an")[0] and "Phường Thái Hòa" in texts_to(out, "an")[0]


async def test_full_lifecycle_reply_to_card_and_close(hx):
    await hx.register("an")
    out = await hx.say("an", "Xin hỏi hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm gì?")
    card_id, card = next((mid, m) for mid, m in out if m.chat.chat_id == "g_dat")
    assert "#1" in card.text and "Xã Nam Đàn" in card.text and "Công chức địa chính" in card.text
    assert [c.command for c in card.choices][:1] == ["/nhan 1"]
    confirmation = texts_to(out, "an")[0]
    assert "#1" in confirmation and "Hạn trả lời" in confirmation

    out = await hx.say("hoa", "Hồ sơ gồm đơn theo Mẫu 04/ĐK.", group="g_dat", reply_to=card_id)
    answer = texts_to(out, "an")[0]
    assert "#1" in answer and "Mẫu 04/ĐK" in answer
    assert any("#1" in t for t in texts_to(out, "g_dat"))

    out = await hx.say("an", "/xong 1")
    assert "#1" in texts_to(out, "an")[0]
    assert any("#1" in t and "đóng" in t for t in texts_to(out, "g_dat"))
    async with hx.db.session() as s:
        t = await s.get(Ticket, 1)
        kinds = [e.kind for e in (await s.execute(select(TicketEvent))).scalars()]
    assert t.status == TicketStatus.CLOSED and t.first_response_at and t.closed_at
    assert kinds == ["question", "answer", "close"]


async def test_answer_by_command_claim_and_info(hx):
    await hx.register("an")
    n = await hx.ask("an", "Phần mềm quản lý văn bản bị lỗi không đăng nhập được, chữ ký số báo hết hạn")
    out = await hx.say("it1", f"/nhan {n}", group="g_it")
    assert f"#{n}" in texts_to(out, "an")[0]
    out = await hx.say("an", f"/bosung {n} Lỗi xuất hiện từ sáng nay")
    assert any("Lỗi xuất hiện" in t and f"#{n}" in t for t in texts_to(out, "g_it"))
    out = await hx.say("it1", f"/tl {n} Anh/chị gia hạn chứng thư số tại VNPT.", group="g_it")
    msg = next(m for _, m in out if m.chat.chat_id == "an")
    assert "gia hạn" in msg.text and [c.command for c in msg.choices] == [f"/xong {n}", f"/chua {n}"]
    out = await hx.say("an", "2")  # the "Chưa" choice, typed as a number
    assert any("mở lại" in t for t in texts_to(out, "g_it"))
    async with hx.db.session() as s:
        assert (await s.get(Ticket, n)).status == TicketStatus.IN_PROGRESS


async def test_unsure_area_asks_cadre_to_choose(hx):
    await hx.register("an")
    out = await hx.say("an", "Xin hỏi về việc tổ chức hội nghị tổng kết cuối năm")
    _, menu = out[0]
    assert "lĩnh vực" in menu.text and len(menu.choices) == 4
    index = [c.command for c in menu.choices].index("/linhvuc tai_chinh") + 1
    out = await hx.say("an", str(index))
    assert any("#1" in t for t in texts_to(out, "g_tc"))


async def test_group_acts_only_on_its_own_tickets(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ cho thửa đất tách thửa thế nào?")
    out = await hx.say("x", f"/tl {n} trả lời nhầm nhóm", group="g_it")
    assert "Không tìm thấy phiếu" in texts_to(out, "g_it")[0]
    out = await hx.say("bob", f"/phieu {n}")  # another cadre cannot see it either
    assert "Không tìm thấy phiếu" in texts_to(out, "bob")[0]


async def test_escalation_reason_is_optional(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    out = await hx.say("dd", f"/vuot {n}", group="g_dat")
    assert any(f"#{n}" in t and "Lý do: (chưa ghi lý do)" in t for t in texts_to(out, "sep"))


async def test_transfer_and_escalate(hx):
    await hx.register("an")
    n = await hx.ask("an", "Kinh phí sửa chữa trụ sở dôi dư lấy từ nguồn ngân sách nào?")
    out = await hx.say("tc", f"/chuyen {n}", group="g_tc")
    _, menu = out[0]
    assert f"/chuyen {n} dat_dai" in [c.command for c in menu.choices]
    out = await hx.say("tc", f"/chuyen {n} dat_dai liên quan đất công", group="g_tc")
    assert any(f"#{n}" in t and "Chuyển từ Tổ Tài chính" in t for t in texts_to(out, "g_dat"))
    assert any(f"#{n}" in t and "Đất đai" in t for t in texts_to(out, "an"))
    out = await hx.say("dd", f"/vuot {n} cần ý kiến UBND tỉnh", group="g_dat")
    assert any(f"#{n}" in t and "cần ý kiến UBND tỉnh" in t for t in texts_to(out, "sep"))
    out = await hx.say("sep", f"/tl {n} UBND tỉnh đồng ý dùng nguồn cải cách tiền lương.")
    assert any("UBND tỉnh đồng ý" in t for t in texts_to(out, "an"))


async def test_staff_close_cancel_and_lists(hx):
    await hx.register("an")
    a = await hx.ask("an", "Cấp sổ đỏ lần đầu cần gì?")
    b = await hx.ask("an", "Thu hồi đất để làm đường giao thông thế nào?")
    out = await hx.say("dd", "/chuaxuly", group="g_dat")
    listing = texts_to(out, "g_dat")[0]
    assert f"#{a}" in listing and f"#{b}" in listing
    await hx.say("dd", f"/dong {a} trùng câu hỏi", group="g_dat")
    out = await hx.say("an", f"/huy {b}")
    assert any(f"#{b}" in t for t in texts_to(out, "g_dat"))
    out = await hx.say("an", "/cuatoi")
    mine = texts_to(out, "an")[0]
    assert "Đã đóng" in mine and "Đã hủy" in mine
    out = await hx.say("dd", "/chuaxuly", group="g_dat")
    assert "Không còn phiếu" in texts_to(out, "g_dat")[0]


async def test_supervisor_commands_and_refusals(hx):
    await hx.register("an")
    await hx.ask("an", "Cấp sổ đỏ lần đầu cần gì?")
    await hx.ask("an", "Quyết toán ngân sách xã năm 2025 nộp khi nào?")
    out = await hx.say("an", "/tongket")
    assert "chỉ dành cho lãnh đạo" in texts_to(out, "an")[0]
    out = await hx.say("sep", "/tongket")
    summary = texts_to(out, "sep")[0]
    assert "2 câu hỏi mới" in summary and "Đất đai: 1" in summary and "Tài chính: 1" in summary
    out = await hx.say("sep", "/quahan")
    assert "Không có phiếu nào quá hạn" in texts_to(out, "sep")[0]
    hx.clock.advance(hours=9)
    out = await hx.say("sep", "/quahan")
    late = texts_to(out, "sep")[0]
    assert "#1" in late and "#2" in late and "Tổ Đất đai" in late


async def test_bad_input_gets_vietnamese_usage_not_a_crash(hx):
    await hx.register("an")
    for text, expected in [
        ("/tl", "Cách dùng"),
        ("/phieu abc", "Cách dùng"),
        ("/phieu 999", "Không tìm thấy phiếu #999"),
        ("/khongco", "Không có lệnh /khongco"),
        ("/bosung 1", "Cách dùng"),
        ("ok", "quá ngắn"),
    ]:
        out = await hx.say("an", text)
        assert expected in texts_to(out, "an")[0], text


async def test_redelivered_update_is_handled_once(hx):
    await hx.register("an")
    first = await hx.say("an", "Cấp sổ đỏ lần đầu cần gì?", update_key="dup-1")
    again = await hx.say("an", "Cấp sổ đỏ lần đầu cần gì?", update_key="dup-1")
    assert first and again == []
    async with hx.db.session() as s:
        assert len((await s.execute(select(Ticket))).all()) == 1


async def test_unexpected_error_apologises_and_keeps_working(hx, monkeypatch, caplog):
    await hx.register("an")
    from handlers.intake import cadre

    async def boom(ctx, args):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    from dataclasses import replace

    from handlers.commands import BY_NAME
    monkeypatch.setitem(BY_NAME, "cuatoi", replace(BY_NAME["cuatoi"], run=boom))
    out = await hx.say("an", "/cuatoi")
    assert "Xin lỗi" in texts_to(out, "an")[0]
    assert "Traceback" not in texts_to(out, "an")[0]
    monkeypatch.undo()
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần gì?")
    assert n == 1 and cadre is not None


async def test_outbox_survives_platform_error_and_restart(db_url):
    from bot.channels.base import SendError

    hx = await make_harness(db_url)
    await hx.register("an")
    hx.channel.fail_to["g_dat"] = [SendError("HTTP 502")]
    out = await hx.say("an", "Cấp sổ đỏ lần đầu cần gì?")
    assert out == [] or all(m.chat.chat_id != "g_dat" for _, m in out)
    await hx.db.close()

    # a new process over the same database delivers what is still pending, once
    again = await make_harness(db_url, clock=hx.clock)
    hx.clock.advance(seconds=5)
    await again.sender.deliver_due()
    sent = [m for _, m in again.channel.sent]
    assert [m.chat.chat_id for m in sent].count("g_dat") == 1
    async with again.db.session() as s:
        pending = (await s.execute(select(OutboxMessage).where(OutboxMessage.status != "sent")))
        assert pending.first() is None
    await again.db.close()


async def test_attachment_only_message_asks_for_text(hx):
    await hx.register("an")
    out = await hx.say("an", "", attachments=(Attachment("photo", "f1"),))
    assert "gõ kèm nội dung" in texts_to(out, "an")[0]
    out = await hx.say("an", "", attachments=(Attachment("unsupported"),))
    assert "Zalo không cho bot xem" in texts_to(out, "an")[0]


async def test_photo_question_is_recorded_in_history(hx):
    await hx.register("an")
    out = await hx.say("an", "Ảnh sổ đỏ bị rách, cấp đổi sổ đỏ thế nào?",
                       attachments=(Attachment("photo", "file-1"),))
    card = next(m for _, m in out if m.chat.chat_id == "g_dat")
    assert card.copy_from is not None
    out = await hx.say("an", "/phieu 1")
    assert "Đính kèm — An Nguyễn: Ảnh" in texts_to(out, "an")[0]


async def test_photo_answer_reaches_the_cadre_with_the_photo(hx):
    await hx.register("an")
    n = await hx.ask("an", "Mẫu đơn đăng ký biến động đất đai là mẫu nào?")
    out = await hx.say("dd", f"/tl {n}", group="g_dat", attachments=(Attachment("photo", "f9"),))
    [(_, answer)] = [(i, m) for i, m in out if m.chat.chat_id == "an"]
    assert answer.copy_from is not None and "(xem ảnh/tệp kèm theo)" in answer.text


async def test_supervisor_replying_to_an_escalated_card_answers_the_cadre(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    out = await hx.say("dd", f"/vuot {n} cần ý kiến lãnh đạo", group="g_dat")
    [card_id] = [i for i, m in out if m.chat.chat_id == "sep"]
    out = await hx.say("sep", "Đồng ý, hướng dẫn theo Điều 137 Luật Đất đai.", reply_to=card_id)
    assert any("Điều 137" in t and f"#{n}" in t for t in texts_to(out, "an"))
    assert not any("bổ sung" in t for t in texts_to(out, "g_dat"))


async def test_member_replying_privately_to_a_card_answers_and_the_cadre_still_adds_info(db_url):
    from handlers.messages import Identity
    from handlers.settings import GroupSpec
    from tests.helpers.harness import AREAS, CH

    hx = await make_harness(db_url, groups=(
        GroupSpec(CH, "", "Tổ Đất đai", ("dat_dai", "tai_chinh", "cntt", "khac"),
                  members=(Identity(CH, "dd1"), Identity(CH, "dd2"))),
    ), areas=AREAS)
    await hx.register("an")
    out = await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    [card_id] = [i for i, m in out if m.chat.chat_id == "dd1"]
    [confirmation_id] = [i for i, m in out if m.chat.chat_id == "an"]
    out = await hx.say("dd1", "Hồ sơ gồm đơn Mẫu 04/ĐK.", reply_to=card_id)
    assert any("Mẫu 04/ĐK" in t for t in texts_to(out, "an"))
    assert any("Dd1 trả lời" in t for t in texts_to(out, "dd2"))
    out = await hx.say("an", "Thửa đất có nhà ở từ năm 1990.", reply_to=confirmation_id)
    assert any("bổ sung thông tin" in t and "1990" in t for t in texts_to(out, "dd1"))
    await hx.db.close()


async def test_not_resolved_needs_an_answer_and_carries_the_cadres_words(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    out = await hx.say("an", f"/chua {n} vẫn chưa rõ")
    assert texts_to(out, "an")[0].startswith(f"Phiếu #{n} chưa có câu trả lời")
    assert texts_to(out, "g_dat") == []
    await hx.say("dd", f"/tl {n} Hồ sơ gồm đơn Mẫu 04/ĐK.", group="g_dat")
    out = await hx.say("an", f"/chua {n} thửa đất đang tranh chấp thì sao?")
    assert any(f"#{n}" in t and "thửa đất đang tranh chấp" in t for t in texts_to(out, "g_dat"))


async def test_postponing_after_the_answer_and_supervisors_acting_as_cadre_are_refused(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    await hx.say("dd", f"/tl {n} Hồ sơ gồm đơn Mẫu 04/ĐK.", group="g_dat")
    out = await hx.say("dd", f"/hoan {n} 4h chờ ý kiến sở", group="g_dat")
    assert "đã được trả lời" in texts_to(out, "g_dat")[0]
    for command in (f"/xong {n}", f"/chua {n}", f"/huy {n}"):
        out = await hx.say("sep", command)
        assert "Không tìm thấy phiếu" in texts_to(out, "sep")[0], command


async def test_stickers_voice_and_cadre_commands_in_groups_get_a_fitting_answer(hx):
    out = await hx.say("lan", "", attachments=(Attachment("sticker", "s1"),))
    assert texts_to(out, "lan")[0].startswith("Anh/chị chưa đăng ký")
    await hx.register("an")
    out = await hx.say("an", "", attachments=(Attachment("voice", "v1"),))
    assert texts_to(out, "an")[0].startswith("Bot chưa đọc được nhãn dán hay tin nhắn thoại")
    out = await hx.say("dd", "/cuatoi", group="g_dat")
    assert texts_to(out, "g_dat") == ["Lệnh này dùng khi nhắn riêng với bot, không dùng trong nhóm."]


async def test_postponing_after_asking_back_says_why_not_that_it_was_answered(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    await hx.say("dd", f"/hoilai {n} Thửa đất đã có bản đồ địa chính chưa?", group="g_dat")
    await hx.say("an", f"/bosung {n} Đã có bản đồ địa chính năm 2015.")
    text = texts_to(await hx.say("dd", f"/hoan {n} 4h chờ ý kiến sở", group="g_dat"), "g_dat")[0]
    assert f"Phiếu #{n} đã được tổ hỏi lại cán bộ" in text and "đã được trả lời" not in text
    assert "trước khi tổ trả lời hoặc hỏi lại" in text


async def test_closing_a_never_answered_ticket_asks_no_rating(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    said = texts_to(await hx.say("an", f"/xong {n}"), "an")
    assert said == [f"Đã đóng phiếu #{n}. Cảm ơn anh/chị!"]
    refused = texts_to(await hx.say("an", f"/danhgia {n} 5"), "an")[0]
    assert refused == f"Phiếu #{n} chưa có câu trả lời nào để đánh giá."
    async with hx.db.session() as s:
        assert (await s.get(Ticket, n)).rating is None


async def test_a_reopened_ticket_drops_the_rating_of_the_answer_that_did_not_solve_it(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    await hx.say("dd", f"/tl {n} Hồ sơ gồm đơn Mẫu 04/ĐK.", group="g_dat")
    said = texts_to(await hx.say("an", f"/xong {n}"), "an")
    assert any("đánh giá câu trả lời" in t for t in said)
    await hx.say("an", f"/danhgia {n} 5")
    await hx.say("an", f"/chua {n} thửa đất đang tranh chấp thì sao?")
    async with hx.db.session() as s:
        assert (await s.get(Ticket, n)).rating is None


async def test_closing_words_read_as_sentences(hx):
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    out = await hx.say("dd", f"/dong {n} Đã trả lời xong", group="g_dat")
    assert "Lý do: Đã trả lời xong. Nếu còn vướng mắc, xin gửi câu hỏi mới." in texts_to(out, "an")[0]
    help_text = texts_to(await hx.say("sep", "/trogiup"), "sep")[0]
    assert "homnay (mặc định)" not in help_text and "(không ghi: kỳ mặc định của lệnh)" in help_text


async def test_a_second_message_while_the_area_menu_is_open_is_merged_out_loud(hx):
    await hx.register("an")
    await hx.say("an", "Xin hỏi về việc tổ chức hội nghị tổng kết cuối năm")
    said = texts_to(await hx.say("an", "Kinh phí hội nghị lấy từ nguồn ngân sách nào?"), "an")
    assert said[0].startswith("Câu hỏi trước (“Xin hỏi về việc tổ chức hội nghị tổng kết cuối năm”)")
    assert "được ghép vào câu hỏi đó" in said[0] and len(said) == 2
