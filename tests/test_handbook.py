"""The handbook: suggested before a ticket, grown from answered tickets, searched by anyone."""

from __future__ import annotations

from sqlalchemy import func, select

from storage import handbook
from storage.models import HandbookEntry, HandbookTerm, HandbookUse, Ticket, TicketEvent
from tests.helpers.harness import texts_to

LAND_Q = "Thủ tục cấp giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình cần những gì?"
ANSWER = "Hồ sơ gồm đơn đăng ký theo Mẫu 04/ĐK và giấy tờ về quyền sử dụng đất."


async def published(hx) -> int:  # type: ignore[no-untyped-def]
    """A ticket answered by the land group and published to the handbook; its entry id."""
    await hx.register("an")
    n = await hx.ask("an", LAND_Q)
    await hx.say("dd", f"/tl {n} {ANSWER}", group="g_dat")
    out = await hx.say("dd", f"/sotay {n}", group="g_dat")
    text = texts_to(out, "g_dat")[0]
    assert "Đã đưa phiếu" in text
    return int(text.split("(mục ")[1].split(")")[0])


async def count(hx, model) -> int:  # type: ignore[no-untyped-def]
    async with hx.db.session() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def test_suggestion_then_understood_opens_no_ticket(hx):
    entry = await published(hx)
    await hx.register("binh", "Xã Vạn An")
    out = await hx.say("binh", "thu tuc cap so do lan dau cho ho gia dinh can giay to gi")
    menu = next(m for _, m in out if m.chat.chat_id == "binh")
    assert "Sổ tay" in menu.text and LAND_Q in menu.text
    assert [c.command for c in menu.choices] == [f"/sotay xem {entry}", "/daro", "/vancanhoi"]
    out = await hx.say("binh", "1")
    [(_, full)] = out
    assert ANSWER in full.text and [c.command for c in full.choices] == ["/daro", "/vancanhoi"]
    out = await hx.say("binh", "1")  # "Đã rõ, cảm ơn", offered again with the full entry
    assert "Cảm ơn" in texts_to(out, "binh")[0]
    assert await count(hx, Ticket) == 1
    async with hx.db.session() as s:
        use = (await s.execute(select(HandbookUse))).scalars().one()
        assert use.outcome == "resolved" and use.identity == "mem:binh"


async def test_still_asking_opens_the_ticket_with_what_was_read(hx):
    entry = await published(hx)
    await hx.say("an", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu mà đất có tranh chấp thì sao?")
    out = await hx.say("an", "/vancanhoi")
    card = next(m for _, m in out if m.chat.chat_id == "g_dat")
    assert "#2" in card.text
    async with hx.db.session() as s:
        q = select(TicketEvent.text).where(TicketEvent.ticket_id == 2, TicketEvent.kind == "handbook")
        assert f"mục {entry}" in (await s.execute(q)).scalar_one()


async def test_no_good_match_opens_the_ticket_directly(hx):
    await published(hx)
    out = await hx.say("an", "Quyết toán ngân sách xã năm 2025 nộp khi nào?")
    assert any("#2" in t for t in texts_to(out, "g_tc"))
    assert await count(hx, HandbookUse) == 0


async def test_edit_retire_and_permissions(hx):
    entry = await published(hx)
    out = await hx.say("it", "/sotay 1", group="g_it")
    assert "không thuộc tổ này" in texts_to(out, "g_it")[0]
    out = await hx.say("dd", "/sotay 1", group="g_dat")
    assert "đã có trong sổ tay" in texts_to(out, "g_dat")[0]
    out = await hx.say("dd", "/sotay 1 sửa Hồ sơ gồm đơn Mẫu 04a/ĐK, bản sao giấy tờ.", group="g_dat")
    assert f"Đã sửa mục sổ tay {entry}" in texts_to(out, "g_dat")[0]
    out = await hx.say("an", f"/sotay xem {entry}")
    assert "Mẫu 04a/ĐK" in texts_to(out, "an")[0]
    out = await hx.say("dd", f"/sotay xoa {entry}", group="g_dat")
    assert "Chỉ lãnh đạo" in texts_to(out, "g_dat")[0]
    out = await hx.say("sep", f"/sotay xoa {entry}")
    assert "Đã gỡ" in texts_to(out, "sep")[0]
    out = await hx.say("an", "thu tuc cap so do lan dau cho ho gia dinh")
    assert any("#2" in t for t in texts_to(out, "g_dat"))  # retired: no longer suggested
    out = await hx.say("an", "/sotay linh tinh")
    assert "Cách dùng" in texts_to(out, "an")[0]


async def test_lookup_for_registered_people_only(hx):
    await published(hx)
    out = await hx.say("la", "/tracuu sổ đỏ")
    assert "đăng ký" in texts_to(out, "la")[0]
    out = await hx.say("an", "/tracuu giay chung nhan quyen su dung dat")
    assert LAND_Q in texts_to(out, "an")[0]
    out = await hx.say("an", "/tracuu bóng đá")
    assert "Không tìm thấy" in texts_to(out, "an")[0]


async def test_import_export_round_trip(hx, tmp_path):
    csv_file = tmp_path / "sotay.csv"
    csv_file.write_text(
        "area,question,answer\n"
        'tu_phap,"Chứng thực bản sao từ bản chính ở đâu?","Tại UBND cấp xã hoặc tổ chức hành nghề '
        'công chứng."\n', "utf-8")
    md_file = tmp_path / "sotay.md"
    md_file.write_text(
        "## Cấp lại mật khẩu phần mềm một cửa\narea: cntt\n\nLiên hệ quản trị hệ thống của tỉnh.\n"
        "Cần văn bản đề nghị của UBND xã.\n", "utf-8")
    async with hx.db.session() as s:
        assert await handbook.import_file(s, csv_file, by="import", now=hx.clock.now()) == 1
        assert await handbook.import_file(s, md_file, by="import", now=hx.clock.now()) == 1
    out_csv, out_md = tmp_path / "out.csv", tmp_path / "out.md"
    async with hx.db.session() as s:
        assert await handbook.export_file(s, out_csv) == 2
        assert await handbook.export_file(s, out_md) == 2
    async with hx.db.session() as s:
        await handbook.clear(s)
        assert await handbook.import_file(s, out_md, by="import", now=hx.clock.now()) == 2
    async with hx.db.session() as s:
        hits = await handbook.search(s, "chung thuc ban sao")
        assert hits[0].entry.area_code == "tu_phap" and "UBND cấp xã" in hits[0].entry.answer
        entries = await handbook.current_entries(s)
        assert any("Cần văn bản đề nghị" in e.answer for e in entries)
    assert "Chứng thực bản sao" in out_csv.read_text("utf-8")


async def test_term_counts_follow_additions_edits_and_retirements(hx):
    async def counts() -> dict[str, int]:
        async with hx.db.session() as s:
            return {t.term: t.df for t in (await s.execute(select(HandbookTerm))).scalars()}

    async with hx.db.session() as s:
        a = await handbook.add(s, "tu_phap", "Chứng thực bản sao ở đâu?", "Tại UBND cấp xã.",
                               source="import", by="test", now=hx.clock.now())
        await handbook.add(s, "cntt", "Cấp lại mật khẩu một cửa", "Liên hệ quản trị hệ thống.",
                           source="import", by="test", now=hx.clock.now())
    added = await counts()
    assert added[handbook.ENTRIES] == 2 and added["chung"] == 1 and added["bansao"] == 1
    async with hx.db.session() as s:
        entry = await s.get(HandbookEntry, a.id)
        entry.question = "Chứng thực chữ ký ở đâu?"
        await handbook.save(s, entry)
    edited = await counts()
    assert edited[handbook.ENTRIES] == 2 and edited["bansao"] == 0 and edited["chuky"] == 1
    async with hx.db.session() as s:
        await handbook.retire(s, await s.get(HandbookEntry, a.id))
    after = await counts()
    assert after[handbook.ENTRIES] == 1 and after["chung"] == 0 and after["matkhau"] == 1


def test_handbook_cli_import_export(tmp_path, capsys):
    from bot.cli import main

    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/h.db"\n'
        '[[areas]]\ncode = "tu_phap"\nname = "Tư pháp"\n', "utf-8")
    source = tmp_path / "in.csv"
    source.write_text("area,question,answer\ntu_phap,Chứng thực chữ ký ở đâu?,Tại UBND cấp xã.\n", "utf-8")
    assert main(["handbook", "import", str(source), "--config", str(config)]) == 0
    out = tmp_path / "out.md"
    assert main(["handbook", "export", str(out), "--config", str(config)]) == 0
    assert "## Chứng thực chữ ký ở đâu?\narea: tu_phap" in out.read_text("utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("khong,dung\n1,2\n", "utf-8")
    assert main(["handbook", "import", str(bad), "--config", str(config)]) == 2
    # a name instead of a code: refused, nothing imported; the same file again: nothing added
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("area,question,answer\nTư pháp,Sao y bản chính ở đâu?,Tại UBND cấp xã.\n", "utf-8")
    assert main(["handbook", "import", str(wrong), "--config", str(config)]) == 2
    assert "unknown area code 'Tư pháp'; codes: tu_phap" in capsys.readouterr().err
    assert main(["handbook", "import", str(source), "--config", str(config)]) == 0
    assert "0 mục sổ tay" in capsys.readouterr().out
    assert main(["handbook", "export", str(out), "--config", str(config)]) == 0
    assert out.read_text("utf-8").count("## ") == 1


async def test_summary_counts_questions_the_handbook_answered(hx):
    await published(hx)
    await hx.register("binh", "Xã Vạn An")
    await hx.say("binh", "thu tuc cap so do lan dau cho ho gia dinh can giay to gi")
    await hx.say("binh", "/daro")
    summary = texts_to(await hx.say("sep", "/tongket"), "sep")[0]
    assert "Sổ tay đã trả lời thêm 1 câu hỏi" in summary


async def test_deflected_count_follows_a_supervisors_areas(db_url):
    from handlers.messages import Identity
    from tests.helpers.harness import make_harness

    hx = await make_harness(
        db_url,
        supervisors=frozenset({Identity("mem", "sep"), Identity("mem", "land"), Identity("mem", "it")}),
        supervisor_areas={Identity("mem", "land"): frozenset({"dat_dai"}),
                          Identity("mem", "it"): frozenset({"cntt"})},
    )
    await published(hx)
    await hx.register("binh", "Xã Vạn An")
    await hx.say("binh", "thu tuc cap so do lan dau cho ho gia dinh can giay to gi")
    await hx.say("binh", "/daro")
    for who, expected in (("sep", True), ("land", True), ("it", False)):
        summary = texts_to(await hx.say(who, "/tongket"), who)[0]
        assert ("Sổ tay đã trả lời thêm 1 câu hỏi" in summary) is expected, who
    await hx.db.close()


async def test_the_groups_card_lists_the_entries_the_cadre_read(hx):
    entry = await published(hx)
    await hx.say("an", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu mà đất có tranh chấp thì sao?")
    card = next(m for _, m in await hx.say("an", "/vancanhoi") if m.chat.chat_id == "g_dat")
    assert f"📘 Cán bộ đã xem sổ tay: mục {entry}: {LAND_Q}" in card.text


async def test_handbook_choices_are_labelled_with_the_number_they_open(hx):
    entry = await published(hx)
    [(_, menu)] = await hx.say("an", "/tracuu giay chung nhan quyen su dung dat")
    assert f"• Mục {entry}: {LAND_Q}" in menu.text
    assert [(c.label, c.command) for c in menu.choices] == [(f"Xem mục {entry}", f"/sotay xem {entry}")]
