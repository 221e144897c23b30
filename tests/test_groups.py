"""/nhom binds a chat to areas; only chat administrators and supervisors may do it."""

from __future__ import annotations

from handlers.messages import ChatRef, Identity, Inbound
from tests.helpers.harness import CH, make_harness, texts_to


async def test_only_admin_or_supervisor_binds_and_binding_survives_restart(db_url):
    hx = await make_harness(db_url)
    await hx.register("an")
    out = await hx.say("x", "/nhom cntt", group="g_new")
    assert "Chỉ quản trị viên" in texts_to(out, "g_new")[0]
    out = await hx.say("sep", "/nhom cntt khongco", group="g_new")
    assert "khongco" in texts_to(out, "g_new")[0]

    # a chat administrator, as the platform reports it
    await hx.hotline.handle(Inbound(
        sender=Identity(CH, "admin"), chat=ChatRef(CH, "g_new", "group"), text="/nhom cntt | Tổ CNTT mới",
        update_key="adm1", is_chat_admin=True,
    ))
    await hx.sender.deliver_due()
    assert "Đã gắn nhóm “Tổ CNTT mới”" in hx.channel.sent[-1][1].text
    n = await hx.ask("an", "Phần mềm một cửa báo lỗi chữ ký số khi ký hồ sơ")
    assert any(f"#{n}" in t for t in texts_to(hx.channel.sent, "g_new"))
    await hx.db.close()

    again = await make_harness(db_url, clock=hx.clock)
    m = await again.ask("an", "Đường truyền internet của xã bị chập chờn cả tuần")
    assert any(f"#{m}" in t for t in texts_to(again.channel.sent, "g_new"))
    out = await again.say("it", f"/tl {m} Đã báo VNPT kiểm tra.", group="g_new")
    assert any("Đã báo VNPT" in t for t in texts_to(out, "an"))
    out = await again.say("sep", "/nhom bo", group="g_new")
    k = await again.ask("an", "Đường truyền internet của xã lại mất kết nối")
    assert any(f"#{k}" in t for t in texts_to(again.channel.sent, "g_it"))
    await again.db.close()


async def test_two_forum_topics_of_one_chat_are_two_groups(db_url):
    from handlers.settings import GroupSpec


    hx = await make_harness(db_url, groups=(
        GroupSpec(CH, "forum", "Tổ Đất đai", ("dat_dai",), thread_id="1"),
        GroupSpec(CH, "forum", "Tổ CNTT", ("cntt", "tai_chinh", "khac"), thread_id="2"),
    ))
    await hx.register("an")
    out = await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    [card] = [m for _, m in out if m.chat.chat_id == "forum"]
    assert card.chat.thread_id == "1"
    out = await hx.say("an", "/bosung 1 Thửa đất có nhà ở từ năm 1990.")
    assert [m.chat.thread_id for _, m in out if m.chat.chat_id == "forum"] == ["1"]
    out = await hx.say("it", "/tl 1 trả lời nhầm chủ đề", group="forum", thread="2")
    assert "Không tìm thấy phiếu" in texts_to(out, "forum")[0]
    out = await hx.say("dd", "/tl 1 Hồ sơ gồm đơn Mẫu 04/ĐK.", group="forum", thread="1")
    assert any("Mẫu 04/ĐK" in t for t in texts_to(out, "an"))
    await hx.db.close()
