"""/nhom: a group is bound by the config or by a supervisor; a chat administrator's /nhom is a
request that a supervisor approves or refuses, and until then the group receives nothing."""

from __future__ import annotations

from sqlalchemy import select

from handlers.messages import ChatRef, Identity, Inbound
from storage.models import BindingChange, GroupBinding
from tests.helpers.harness import CH, make_harness, texts_to

LIMITED = Identity(CH, "sep_tc")  # a supervisor of finance only


async def admin_says(hx, text: str, group: str = "g_new", who: str = "admin") -> list:  # type: ignore[no-untyped-def]
    """A message from the chat's administrator, as the platform reports it."""
    before = len(hx.channel.sent)
    await hx.hotline.handle(Inbound(
        sender=Identity(CH, who), chat=ChatRef(CH, group, "group"), text=text,
        update_key=f"{who}-{len(hx.channel.sent)}-{text}", is_chat_admin=True,
    ))
    await hx.sender.deliver_due()
    return hx.channel.sent[before:]


async def test_admin_request_waits_for_a_supervisor_then_binding_survives_restart(db_url):
    hx = await make_harness(db_url)
    await hx.register("an")
    out = await hx.say("x", "/nhom cntt", group="g_new")
    assert "Chỉ quản trị viên" in texts_to(out, "g_new")[0]
    out = await hx.say("sep", "/nhom cntt khongco", group="g_new")
    assert "khongco" in texts_to(out, "g_new")[0]

    # an unknown group's admin takes over the land area: only a request, nothing routed there
    out = await admin_says(hx, "/nhom dat_dai | Tổ Đất đai")
    assert "yêu cầu #1" in texts_to(out, "g_new")[0]
    assert "cho đến khi yêu cầu được duyệt" in texts_to(out, "g_new")[0]
    [to_boss] = texts_to(out, "sep")
    assert "Yêu cầu gắn nhóm #1" in to_boss and "admin" in to_boss
    assert [c.command for _, m in out if m.chat.chat_id == "sep" for c in m.choices] == [
        "/duyetnhom 1", "/tuchoinhom 1"]
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    assert not any(f"Phiếu #{n}" in t for t in texts_to(hx.channel.sent, "g_new"))
    assert any(f"#{n}" in t for t in texts_to(hx.channel.sent, "g_dat"))
    out = await hx.say("an", "/tl 1 trả lời giả", group="g_new")
    assert "Không tìm thấy phiếu" in texts_to(out, "g_new")[0]

    # a supervisor refuses it: recorded, the group told, still nothing routed there
    out = await hx.say("sep", "/tuchoinhom 1 không phải tổ chuyên môn")
    assert "Đã từ chối" in texts_to(out, "sep")[0]
    assert "không phải tổ chuyên môn" in texts_to(out, "g_new")[0]
    out = await hx.say("sep", "/duyetnhom 1")
    assert "đã được xử lý" in texts_to(out, "sep")[0]

    # a second request, approved: the group that answered the area until now is told
    await admin_says(hx, "/nhom cntt | Tổ CNTT mới")
    out = await hx.say("sep", "/duyetnhom")
    assert "#2" in texts_to(out, "sep")[0] and "Công nghệ thông tin" in texts_to(out, "sep")[0]
    out = await hx.say("sep", "/duyetnhom 2")
    assert "Đã gắn nhóm “Tổ CNTT mới”" in texts_to(out, "g_new")[0]
    assert "Công nghệ thông tin" in texts_to(out, "g_it")[0] and "Tổ CNTT mới" in texts_to(out, "g_it")[0]
    m = await hx.ask("an", "Phần mềm một cửa báo lỗi chữ ký số khi ký hồ sơ")
    assert any(f"#{m}" in t for t in texts_to(hx.channel.sent, "g_new"))
    async with hx.db.session() as s:
        changes = (await s.execute(select(BindingChange).order_by(BindingChange.id))).scalars().all()
    assert [(c.status, c.areas, c.decided_by) for c in changes] == [
        ("refused", "dat_dai", "mem:sep"), ("approved", "cntt", "mem:sep")]
    await hx.db.close()

    again = await make_harness(db_url, clock=hx.clock)
    k = await again.ask("an", "Đường truyền internet của xã bị chập chờn cả tuần")
    assert any(f"#{k}" in t for t in texts_to(again.channel.sent, "g_new"))
    out = await again.say("it", f"/tl {k} Đã báo VNPT kiểm tra.", group="g_new")
    assert any("Đã báo VNPT" in t for t in texts_to(out, "an"))
    # a supervisor binds (and unbinds) at once, recorded too
    out = await again.say("sep", "/nhom bo", group="g_new")
    assert "Đã gỡ nhóm" in texts_to(out, "g_new")[0]
    k = await again.ask("an", "Đường truyền internet của xã lại mất kết nối")
    assert any(f"#{k}" in t for t in texts_to(again.channel.sent, "g_it"))
    async with again.db.session() as s:
        assert await s.get(GroupBinding, f"{CH}:g_new") is None
        last = (await s.execute(select(BindingChange).order_by(BindingChange.id.desc()))).scalars().first()
        assert (last.status, last.areas, last.previous) == ("approved", "", "cntt")
    await again.db.close()


async def test_configured_admin_cannot_pull_another_area_and_limited_supervisor_decides_own(db_url):
    hx = await make_harness(db_url, supervisors=frozenset({Identity(CH, "sep"), LIMITED}),
                            supervisor_areas={LIMITED: frozenset({"tai_chinh", "khac"})})
    await hx.register("an")
    out = await admin_says(hx, "/nhom dat_dai tai_chinh", group="g_tc")
    assert "cho đến khi yêu cầu được duyệt" in texts_to(out, "g_tc")[0]
    assert texts_to(out, "sep") and not texts_to(out, "sep_tc")  # land is not theirs to decide
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    assert any(f"#{n}" in t for t in texts_to(hx.channel.sent, "g_dat"))
    out = await hx.say("sep_tc", "/duyetnhom 1")
    assert "Không có yêu cầu gắn nhóm #1" in texts_to(out, "sep_tc")[0]
    out = await hx.say("sep_tc", "/nhom dat_dai", group="g_tc")
    assert "lĩnh vực mình phụ trách" in texts_to(out, "g_tc")[0]
    out = await hx.say("sep_tc", "/duyetnhom")
    assert "Không có yêu cầu" in texts_to(out, "sep_tc")[0]
    out = await hx.say("an", "/duyetnhom 1")
    assert "chỉ dành cho lãnh đạo" in texts_to(out, "an")[0]
    async with hx.db.session() as s:
        assert (await s.execute(select(GroupBinding))).first() is None
    # the supervisor of every area approves: both groups that lose an area are told
    out = await hx.say("sep", "/duyetnhom 1")
    assert "không còn nhận phiếu mới của: Khác" in texts_to(out, "g_tc")[0]
    assert "Đất đai" in texts_to(out, "g_dat")[0] and "Tổ Tài chính" in texts_to(out, "g_dat")[0]
    assert "Thay đổi gắn nhóm" in texts_to(out, "sep_tc")[0]
    n = await hx.ask("an", "Tách thửa đất nông nghiệp có được không?")
    assert any(f"Phiếu #{n}" in t for t in texts_to(hx.channel.sent, "g_tc"))
    await hx.db.close()


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
