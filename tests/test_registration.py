"""Registration under the approval and invite policies."""

from __future__ import annotations

from tests.helpers.harness import make_harness, texts_to


async def test_approval_policy(db_url):
    hx = await make_harness(db_url, registration="approval")
    out = await hx.say("an", "/dangky Nguyễn Văn An | Xã Vạn An | Chủ tịch UBND xã")
    assert "chờ" in texts_to(out, "an")[0] or "duyệt" in texts_to(out, "an")[0]
    notice = next(m for _, m in out if m.chat.chat_id == "sep")
    assert [c.command for c in notice.choices] == ["/duyet mem:an", "/tuchoi mem:an"]
    out = await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    assert "đang chờ lãnh đạo duyệt" in texts_to(out, "an")[0]
    out = await hx.say("an", "/duyet mem:an")
    assert "chỉ dành" in texts_to(out, "an")[0] or "không có quyền" in texts_to(out, "an")[0]
    out = await hx.say("sep", "1")
    assert "được duyệt" in texts_to(out, "an")[0]
    assert await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?") == 1
    out = await hx.say("bob", "/dangky Trần Bình | Xã Vạn An | Kế toán")
    out = await hx.say("sep", "/tuchoi mem:bob")
    assert "chưa được chấp nhận" in texts_to(out, "bob")[0]
    out = await hx.say("bob", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    assert "chưa được chấp nhận" in texts_to(out, "bob")[0]
    await hx.db.close()


async def test_invite_policy(db_url):
    hx = await make_harness(db_url, registration="invite")
    out = await hx.say("an", "/dangky Nguyễn Văn An | Xã Vạn An | Chủ tịch")
    assert "mã mời" in texts_to(out, "an")[0]
    out = await hx.say("sep", "/moi vạn an")
    text = texts_to(out, "sep")[0]
    code = text.split("Mã mời cho Xã Vạn An: ")[1].split()[0]
    out = await hx.say("an", f"/thamgia {code.lower()}")
    assert "họ và tên" in texts_to(out, "an")[0]
    await hx.say("an", "Nguyễn Văn An")
    out = await hx.say("an", "Chủ tịch UBND xã")
    assert "Đăng ký xong" in texts_to(out, "an")[0] and "Xã Vạn An" in texts_to(out, "an")[0]
    out = await hx.say("bob", f"/thamgia {code}")  # a code works once
    assert "đã được dùng" in texts_to(out, "bob")[0]
    out = await hx.say("sep", "/moi long son")
    assert "Cần đúng một xã/phường" in texts_to(out, "sep")[0]
    await hx.db.close()


async def test_guided_registration_rejects_bad_steps(hx):
    out = await hx.say("an", "/dangky")
    assert "họ và tên" in texts_to(out, "an")[0]
    out = await hx.say("an", "A")
    assert "chưa hợp lệ" in texts_to(out, "an")[0]
    await hx.say("an", "Nguyễn Văn An")
    out = await hx.say("an", "Hà Nội")
    assert "Không tìm thấy xã/phường" in texts_to(out, "an")[0]
    await hx.say("an", "Xã Vạn An")
    out = await hx.say("an", "Công chức tư pháp - hộ tịch")
    assert "Đăng ký xong" in texts_to(out, "an")[0]
    out = await hx.say("an", "/dangky")
    assert "đã đăng ký rồi" in texts_to(out, "an")[0]
    out = await hx.say("x", "/dangky A | B | C", group="g_dat")
    assert "tin nhắn riêng" in texts_to(out, "g_dat")[0]


async def test_commune_colleagues_share_tickets_only_when_configured(db_url):
    for shared in (False, True):
        hx = await make_harness(db_url, commune_shared=shared)
        await hx.register(f"an{shared}", "Xã Vạn An")
        await hx.register(f"binh{shared}", "Xã Vạn An")
        await hx.register(f"chi{shared}", "Xã Nam Đàn")
        n = await hx.ask(f"an{shared}", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
        colleague = texts_to(await hx.say(f"binh{shared}", f"/phieu {n}"), f"binh{shared}")[0]
        outsider = texts_to(await hx.say(f"chi{shared}", f"/phieu {n}"), f"chi{shared}")[0]
        assert ("Lịch sử" in colleague) is shared
        assert "Không tìm thấy phiếu" in outsider
        await hx.db.close()


async def test_tuchoi_does_not_revoke_an_active_cadre_it_points_to_chan(db_url):
    hx = await make_harness(db_url, registration="approval")
    await hx.say("an", "/dangky Nguyễn Văn An | Xã Vạn An | Chủ tịch UBND xã")
    await hx.say("sep", "/duyet mem:an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    text = texts_to(await hx.say("sep", "/tuchoi mem:an"), "sep")[0]
    assert "đã được duyệt và đang dùng đường dây" in text and "/chan mem:an" in text
    assert f"#{n}" in texts_to(await hx.say("an", "/cuatoi"), "an")[0]  # still a cadre
    await hx.db.close()


async def test_invite_policy_tells_the_unregistered_to_use_thamgia(db_url):
    hx = await make_harness(db_url, registration="invite")
    for said in (await hx.say("an", "/start"), await hx.say("an", "Cấp sổ đỏ cần gì?")):
        text = texts_to(said, "an")[0]
        assert "/thamgia <mã mời>" in text and "/dangky" not in text, text
    made = texts_to(await hx.say("sep", "/moi vạn an"), "sep")[0]
    code = made.split("Mã mời cho Xã Vạn An: ")[1].split()[0]
    out = await hx.say("an", f"/thamgia {code}", group="g_dat")
    assert texts_to(out, "g_dat") == [
        "Xin gõ /thamgia <mã mời> trong tin nhắn riêng với bot, không dùng trong nhóm."
    ]
    assert "họ và tên" in texts_to(await hx.say("an", f"/thamgia {code}"), "an")[0]  # still unused
    await hx.db.close()
