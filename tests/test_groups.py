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
