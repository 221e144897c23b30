"""Many questions at once on one database: none lost to a write conflict between transactions."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from sqlalchemy import delete, func, select

from handlers import core
from handlers.core import APOLOGY, Hotline
from handlers.errors import HotlineError
from handlers.intake import handbook
from handlers.messages import ChatRef, Identity, Inbound
from storage.models import ChatState, OutboxMessage, ProcessedUpdate, Ticket
from tests.helpers.harness import CH

AT_ONCE = 10


async def test_forty_questions_at_once_each_become_a_ticket(hx, monkeypatch):
    cadres = [f"c{i}" for i in range(40)]
    for who in cadres:
        await hx.register(who)
    # On PostgreSQL ten instances' transactions at a time reach the routing step together, as
    # in a burst on busy servers: they all find the group's chat state missing and all write
    # it. (One instance writes its inbound messages in one transaction at a time, and SQLite
    # runs one writing transaction at a time: BEGIN IMMEDIATE.)
    h = hx.hotline
    instances = [h] + [Hotline(hx.db, h.settings, hx.clock, h.deadlines) for _ in range(AT_ONCE - 1)]
    barrier = asyncio.Barrier(AT_ONCE)
    suggest = handbook.suggest

    async def in_step(ctx, question, area):  # type: ignore[no-untyped-def]
        shown = await suggest(ctx, question, area)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(barrier.wait(), 5)
        return shown

    if not hx.db.is_sqlite:
        monkeypatch.setattr(handbook, "suggest", in_step)
    await asyncio.gather(*(
        instances[i % AT_ONCE].handle(Inbound(
            sender=Identity(CH, who), chat=ChatRef(CH, who, "private"),
            text=f"Cấp sổ đỏ lần đầu cho hộ gia đình {who} cần giấy tờ gì?",
            display_name=who, message_id=f"q{who}", update_key=uuid.uuid4().hex,
        ))
        for i, who in enumerate(cadres)
    ))
    async with hx.db.session() as s:
        tickets = (await s.execute(select(func.count()).select_from(Ticket))).scalar_one()
        apologies = (await s.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.text == APOLOGY)
        )).scalar_one()
    assert (tickets, apologies) == (40, 0)
    await hx.sender.deliver_due()
    acks = [m for _, m in hx.channel.sent if m.chat.chat_id in cadres and "số phiếu #" in m.text]
    assert len(acks) == 40


def question(who: str, text: str) -> Inbound:
    return Inbound(sender=Identity(CH, who), chat=ChatRef(CH, who, "private"), text=text,
                   display_name=who, message_id=f"q{who}", update_key=uuid.uuid4().hex)


async def test_messages_arriving_together_are_stored_in_one_transaction_each_answered(hx, monkeypatch):
    """Messages that arrive while one is being handled are handled together, one commit for
    all; a user's mistake among them is answered without undoing the others."""
    cadres = [f"b{i}" for i in range(12)]
    for who in cadres:
        await hx.register(who)
    commits = []
    session = hx.db.session

    def counting():  # type: ignore[no-untyped-def]
        commits.append(1)
        return session()

    monkeypatch.setattr(hx.db, "session", counting)
    texts = {who: f"Xin hỏi thủ tục cấp sổ đỏ lần đầu của {who}?" for who in cadres}
    texts["b5"] = "ngắn"  # a user's mistake: answered, the others still stored
    await asyncio.gather(*(hx.hotline.handle(question(who, t)) for who, t in texts.items()))
    assert len(commits) <= 3  # the first alone, the rest together (not twelve)
    await hx.sender.deliver_due()
    to = {who: [m.text for _, m in hx.channel.sent if m.chat.chat_id == who] for who in cadres}
    assert all(any("số phiếu #" in t for t in to[w]) for w in cadres if w != "b5")
    assert any("quá ngắn" in t for t in to["b5"]) and not any("số phiếu #" in t for t in to["b5"])
    async with hx.db.engine.connect() as conn:
        tickets = (await conn.execute(select(func.count()).select_from(Ticket))).scalar_one()
    assert tickets == 11


async def test_a_bug_in_one_message_of_a_batch_costs_only_that_message(hx, monkeypatch):
    """A batch that fails is rolled back whole and its messages handled one by one: the one
    that breaks gets the apology, every other one its ticket, each delivery recorded once."""
    cadres = [f"d{i}" for i in range(8)]
    for who in cadres:
        await hx.register(who)
    dispatch = core.dispatch

    async def breaks_on_d3(ctx):  # type: ignore[no-untyped-def]
        if ctx.msg.sender.user_id == "d3":
            raise RuntimeError("a bug")
        await dispatch(ctx)

    monkeypatch.setattr(core, "dispatch", breaks_on_d3)
    async with hx.db.session() as s:
        before = (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()
    await asyncio.gather(*(
        hx.hotline.handle(question(who, f"Hồ sơ cấp sổ đỏ lần đầu của {who} gồm gì?")) for who in cadres
    ))
    async with hx.db.session() as s:
        tickets = (await s.execute(select(func.count()).select_from(Ticket))).scalar_one()
        processed = (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()
        apologies = (await s.execute(
            select(OutboxMessage.chat_id).where(OutboxMessage.text == APOLOGY)
        )).scalars().all()
    assert (tickets, list(apologies), processed - before) == (7, ["d3"], 8)


async def test_a_mistake_found_after_a_write_undoes_only_that_message(hx, monkeypatch):
    """No savepoints: a HotlineError raised after the handler wrote something rolls the batch
    back; the others are handled again and keep one ticket each, the one refused keeps none
    of its writes and gets its answer once, and every delivery is recorded once."""
    cadres = [f"e{i}" for i in range(8)]
    for who in cadres:
        await hx.register(who)
    dispatch = core.dispatch

    async def writes_then_refuses(ctx):  # type: ignore[no-untyped-def]
        if ctx.msg.sender.user_id == "e3":
            await ctx.reply("written before the refusal")
            await ctx.session.flush()
            raise HotlineError("refused after a write")
        await dispatch(ctx)

    monkeypatch.setattr(core, "dispatch", writes_then_refuses)
    async with hx.db.session() as s:
        before = (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()
    await asyncio.gather(*(
        hx.hotline.handle(question(who, f"Hồ sơ cấp sổ đỏ lần đầu của {who} gồm gì?")) for who in cadres
    ))
    async with hx.db.session() as s:
        tickets = (await s.execute(select(func.count()).select_from(Ticket))).scalar_one()
        processed = (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()
        to_e3 = (await s.execute(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == "e3")
        )).scalars().all()
    assert (tickets, processed - before) == (7, 8)
    assert "written before the refusal" not in to_e3 and to_e3.count("refused after a write") == 1


async def test_one_batch_sees_its_own_ban_binding_and_redelivery(hx):
    """What a batch loads at its start stays true as its messages change it: a ban stops the
    banned person's next message, a routing change (/nhom) routes the questions after it and
    leaves them to be handled once each, and an update delivered twice is handled once."""
    for who in ("f1", "f2", "f3"):
        await hx.register(who)

    def said(who: str, text: str, key: str, group: str | None = None) -> Inbound:
        chat = ChatRef(CH, group, "group") if group else ChatRef(CH, who, "private")
        return Inbound(sender=Identity(CH, who), chat=chat, text=text, display_name=who,
                       message_id=key, update_key=key)

    await asyncio.gather(*(hx.hotline.handle(m) for m in [
        said("sep", "/chan mem:f1 quấy rối", "k1"),
        said("f1", "Hồ sơ cấp sổ đỏ lần đầu gồm những gì?", "k2"),
        said("sep", "/nhom cntt", "k3", group="g_new"),
        said("f2", "Phần mềm chữ ký số báo lỗi đường truyền thì làm sao?", "k4"),
        said("f3", "Hồ sơ cấp sổ đỏ lần đầu gồm những gì ạ?", "k5"),
        said("f3", "Hồ sơ cấp sổ đỏ lần đầu gồm những gì ạ?", "k5"),
    ]))
    async with hx.db.session() as s:
        tickets = (await s.execute(select(Ticket.asker_chat, Ticket.group_key).order_by(Ticket.id))).all()
        keys = (await s.execute(
            select(ProcessedUpdate.key).where(ProcessedUpdate.key.like(f"{CH}:k%"))  # type: ignore[attr-defined]
        )).scalars().all()
    assert tickets == [(f"{CH}:f2", f"{CH}:g_new"), (f"{CH}:f3", f"{CH}:g_dat")]
    assert sorted(keys) == [f"{CH}:k{i}" for i in range(1, 6)]
    await hx.sender.deliver_due()
    to_f3 = [m.text for _, m in hx.channel.sent if m.chat.chat_id == "f3" and "số phiếu #" in m.text]
    assert len(to_f3) == 1


async def test_a_menu_and_its_answer_in_one_batch(hx):
    """The chat state a message writes is deferred to the commit, yet the next message of the
    same person in the same batch reads it: a digit picks from the menu just offered."""
    question = "Xin hỏi về việc tổ chức hội nghị tổng kết cuối năm"
    for who in ("h1", "h2"):
        await hx.register(who)
    _, menu = (await hx.say("h1", question))[0]  # alone first: which number is the finance area
    index = [c.command for c in menu.choices].index("/linhvuc tai_chinh") + 1
    async with hx.db.session() as s:  # no state row yet for h2: the batch writes the first
        await s.execute(delete(ChatState).where(ChatState.key == f"{CH}:h2"))  # type: ignore[arg-type]
    before = len(hx.channel.sent)
    await asyncio.gather(hx.hotline.handle(question_from("h2", question, "m1")),
                         hx.hotline.handle(question_from("h2", str(index), "m2")))
    await hx.sender.deliver_due()
    to_h2 = [m for _, m in hx.channel.sent[before:] if m.chat.chat_id == "h2"]
    assert [len(m.choices) for m in to_h2][:1] == [len(menu.choices)]
    assert any(m.ticket_number for m in to_h2)
    assert any("Tài chính" in m.text for m in to_h2 if m.ticket_number)


async def test_a_refusal_after_a_read_of_deferred_rows_stays_in_the_batch(hx, monkeypatch):
    """A refused message that only read what an earlier message of its batch deferred (its
    chat state) wrote nothing: it is answered in the same transaction, nothing is redone."""
    await hx.register("r1")
    sessions = []
    session = hx.db.session

    def counting():  # type: ignore[no-untyped-def]
        sessions.append(1)
        return session()

    monkeypatch.setattr(hx.db, "session", counting)
    await asyncio.gather(
        hx.hotline.handle(question_from("r1", "Hồ sơ cấp sổ đỏ lần đầu gồm những gì?", "r-1")),
        hx.hotline.handle(question_from("r1", "ngắn", "r-2")),
    )
    assert len(sessions) == 1
    await hx.sender.deliver_due()
    to_r1 = [m.text for _, m in hx.channel.sent if m.chat.chat_id == "r1"]
    assert sum("số phiếu #" in t for t in to_r1) == 1 and sum("quá ngắn" in t for t in to_r1) == 1


def question_from(who: str, text: str, key: str) -> Inbound:
    return Inbound(sender=Identity(CH, who), chat=ChatRef(CH, who, "private"), text=text,
                   display_name=who, message_id=key, update_key=key)
