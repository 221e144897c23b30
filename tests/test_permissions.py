"""The permission matrix (issue 11): every command × every role that must not use it on
ticket #1 (a land question of Xã Nam Đàn, routed to the land group). Each attempt is refused:
an answer to the speaker only, no message to any other chat, and no change in the database
(beyond the delivery bookkeeping every message causes)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from handlers.commands import COMMANDS, Role
from handlers.messages import ChatRef, Identity, Inbound
from storage.models import HandbookEntry
from tests.helpers.harness import CH, make_harness

C, S, L = Role.CADRE, Role.STAFF, Role.SUPERVISOR
LIMITED = Identity(CH, "sep_tc")
# Tables every handled message touches by design: the update recorded as processed, the
# chat's offered choices, the outbox holding the refusal itself.
BOOKKEEPING = {"processedupdate", "chatstate", "outboxmessage", "commune"}

# Every command of the registry as tried on ticket #1 and what the setup made; a try is a text,
# or (text, roles) when that form is for fewer roles than the command's declaration names.
# Registering and reading the help are open to anyone, /tracuu to every role: nothing to refuse.
TRIES: dict[str, list[str | tuple[str, set[Role]]]] = {
    "start": [], "dangky": [], "thamgia": [], "chonxa": [], "trogiup": [], "tracuu": [],
    "hoi": ["/hoi Cấp sổ đỏ lần đầu cần những giấy tờ gì?"], "linhvuc": ["/linhvuc dat_dai"],
    "daro": ["/daro"], "vancanhoi": ["/vancanhoi"], "cuatoi": ["/cuatoi"],
    "phieu": ["/phieu 1"], "bosung": ["/bosung 1 thêm"], "xong": ["/xong 1"],
    "chua": ["/chua 1 chưa rõ"], "huy": ["/huy 1"], "danhgia": ["/danhgia 1 5"],
    "tl": ["/tl 1 trả lời"], "nhan": ["/nhan 1"], "chuyen": ["/chuyen 1 tai_chinh"],
    "vuot": ["/vuot 1 lý do"], "dong": ["/dong 1"], "chuaxuly": ["/chuaxuly"],
    "hoilai": ["/hoilai 1 hỏi lại"], "hoan": ["/hoan 1 4h chờ hồ sơ"],
    "nhom": ["/nhom dat_dai", "/nhom bo"],
    "sotay": [("/sotay 1", {S, L}), ("/sotay 1 sửa nội dung", {S, L}), ("/sotay xoa 1", {L})],
    "tongket": ["/tongket"], "xephang": ["/xephang"], "xa": ["/xa Nam Đàn"], "quahan": ["/quahan"],
    "xuat": ["/xuat"], "bieudo": ["/bieudo"], "duyet": ["/duyet mem:cho"],
    "tuchoi": ["/tuchoi mem:cho"], "duyetnhom": ["/duyetnhom 1"], "tuchoinhom": ["/tuchoinhom 1"],
    "moi": ["/moi Nam Đàn"], "chan": ["/chan mem:an"], "bochan": ["/bochan mem:bi_chan"],
}

# What a role holder may still not do on ticket #1: it is not theirs, not their group's or
# area's, or they are not the chat's administrator.
CADRE_ON_1 = ["/bosung 1 thêm", "/xong 1", "/chua 1 chưa rõ", "/huy 1", "/danhgia 1 5"]
STAFF_ON_1 = ["/tl 1 trả lời", "/nhan 1", "/chuyen 1 tai_chinh", "/vuot 1 lý do", "/dong 1",
              "/hoilai 1 hỏi lại", "/hoan 1 4h chờ hồ sơ", "/sotay 1", "/sotay 1 sửa nội dung"]
READ_1 = ["/phieu 1"]
STAFF_LIST = ["/chuaxuly"]  # a group's waiting tickets
BIND = ["/nhom dat_dai", "/nhom bo"]

# (who, where, is the chat's administrator, their roles, refused to them beyond their roles)
# In a group chat the desk's commands are the ones offered: the role is staff's.
ROLES = {
    "cadre_of_the_commune": ("an", None, False, {C}, []),
    "cadre_of_another_commune": ("binh", None, False, {C}, CADRE_ON_1 + READ_1),
    "unregistered": ("x", None, False, {C}, CADRE_ON_1 + READ_1),
    "staff_of_the_group": ("dd", "g_dat", False, {S}, BIND),
    "staff_of_another_group": ("tc", "g_tc", False, {S}, STAFF_ON_1 + READ_1 + BIND),
    "admin_of_an_unbound_group": ("adm", "g_new", True, {S}, STAFF_ON_1 + STAFF_LIST + READ_1),
    "limited_supervisor": ("sep_tc", None, False, {L}, STAFF_ON_1 + READ_1
                           + ["/duyetnhom 1", "/tuchoinhom 1", "/sotay xoa 1"]),
    "supervisor": ("sep", None, False, {L}, []),
}


def refused_to(roles: set[Role], beyond: list[str]) -> list[str]:
    """The tries of commands none of whose roles the speaker holds, then the others refused."""
    out = []
    for command in COMMANDS:
        for attempt in TRIES[command.name]:
            text, allowed = attempt if isinstance(attempt, tuple) else (attempt, command.who)
            if not roles & allowed:
                out.append(text)
    return out + [t for t in beyond if t not in out]


def test_every_command_of_the_registry_is_tried():
    assert set(TRIES) == {c.name for c in COMMANDS}


async def snapshot(hx) -> dict[str, list]:  # type: ignore[no-untyped-def]
    async with hx.db.session() as s:
        out = {}
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in BOOKKEEPING:
                rows = (await s.execute(select(table))).all()
                out[table.name] = sorted(map(repr, rows))
        return out


@pytest.mark.parametrize("role", ROLES)
async def test_every_command_a_role_may_not_use_is_refused_without_effect(db_url, role):
    who, group, admin, roles, beyond = ROLES[role]
    refused = refused_to(roles, beyond)
    hx = await make_harness(db_url, supervisors=frozenset({Identity(CH, "sep"), LIMITED}),
                            supervisor_areas={LIMITED: frozenset({"tai_chinh", "khac"})},
                            flood_per_minute=0)  # some thirty commands from one person
    try:
        await hx.register("an")
        await hx.register("binh", "Xã Diễn Châu")
        await hx.say("cho", "/dangky Chờ Duyệt | Xã Nam Đàn | Công chức")
        await hx.say("sep", "/chan mem:bi_chan")
        assert await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?") == 1
        await hx.hotline.handle(Inbound(  # binding request #1: the land area for g_new
            sender=Identity(CH, "adm"), chat=ChatRef(CH, "g_new", "group"), text="/nhom dat_dai",
            update_key="setup-nhom", is_chat_admin=True))
        async with hx.db.session() as s:
            s.add(HandbookEntry(area_code="dat_dai", question="Cấp sổ đỏ?", answer="Mẫu 04/ĐK.",
                                source="#1", ticket_id=1, published_at=hx.clock.now()))
        await hx.sender.deliver_due()
        here = group or who
        for n, text in enumerate(refused):
            before = await snapshot(hx)
            sent_before = len(hx.channel.sent)
            await hx.hotline.handle(Inbound(
                sender=Identity(CH, who), chat=ChatRef(CH, here, "group" if group else "private"),
                text=text, display_name=who, update_key=f"{role}-{n}", is_chat_admin=admin))
            await hx.sender.deliver_due()
            out = hx.channel.sent[sent_before:]
            assert [m.chat.chat_id for _, m in out] == [here], (role, text, [m.text for _, m in out])
            answer = out[0][1].text
            assert "Xin lỗi, hệ thống gặp lỗi" not in answer, (role, text)
            assert "Mẫu 04/ĐK" not in answer and "giấy tờ gì" not in answer, (role, text, answer)
            assert await snapshot(hx) == before, (role, text, answer)
    finally:
        await hx.db.close()
