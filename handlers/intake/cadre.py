"""What a commune cadre does in a private chat: ask, follow up, close."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import deadlines
from handlers.context import Conversation, Ctx, Outbound
from handlers.errors import HotlineError, UsageError
from handlers.intake import handbook, registration
from handlers.intake.routing import Decision
from handlers.messages import ATTACHMENT_LABEL, Choice
from handlers.settings import AreaSpec
from handlers.texts import common
from handlers.texts import format as fmt
from handlers.texts import intake as t
from handlers.textutil import one_line
from handlers.tickets import load, parse_ticket
from storage import repo
from storage.models import Ticket, TicketStatus, User, UserStatus

CHOOSE_AREA = "choose_area"


async def active_cadre(ctx: Ctx) -> User:
    """The registered, approved cadre speaking; otherwise a Vietnamese explanation."""
    if ctx.msg.chat.kind == "group":
        raise HotlineError(t.GROUP_NOT_PRIVATE)
    user = await ctx.user()
    if user is None and ctx.is_supervisor:
        raise HotlineError(t.SUPERVISOR_DOES_NOT_ASK)
    if user is None:
        raise HotlineError(t.NOT_REGISTERED + registration.how_to_register(ctx.settings.registration))
    if user.status == UserStatus.PENDING:
        raise HotlineError(t.PENDING)
    if user.status != UserStatus.ACTIVE:
        raise HotlineError(t.NOT_ACCEPTED)
    return user


async def ask(ctx: Ctx, question: str) -> None:
    """A question: routed by area when the keywords are clear, otherwise the cadre chooses."""
    question = question.strip()
    if not question:
        raise UsageError()
    if len(question) < 8 and not ctx.msg.attachments:
        raise HotlineError(t.TOO_SHORT)
    user = await active_cadre(ctx)
    decision = ctx.settings.router.decide(question, ctx.settings.areas)  # once per question
    if await handbook.suggest(ctx, question, decision.area):
        return  # the cadre reads the handbook first: "Đã rõ" or "Vẫn cần hỏi"
    await route(ctx, user, question, decision=decision)


async def still_ask(ctx: Ctx, args: str) -> None:
    """/vancanhoi — after the handbook's suggestions, open the ticket as usual; staff see what
    the cadre already read."""
    data = await handbook.settle(ctx, "asked")
    user = await active_cadre(ctx)
    await route(ctx, user, data["question"], suggested=data["entries"])


async def route(
    ctx: Ctx, user: User, question: str, suggested: list[int] | None = None,
    decision: Decision | None = None,
) -> None:
    """Open the ticket in the area the router is sure of, or ask the cadre to choose among the
    likeliest two or three (with "Lĩnh vực khác…" for the full list)."""
    if decision is None:
        decision = ctx.settings.router.decide(question, ctx.settings.areas)
    if decision.area is not None:
        await open_ticket(ctx, user, question, decision.area, suggested,
                          routed_by="auto", score=decision.confidence)
        return
    await ctx.wait_for(CHOOSE_AREA, {"question": question, "suggested": suggested or []})
    likely = decision.choices
    if not likely:  # nothing to go on: every area
        await ctx.reply(t.WHICH_AREA, _area_choices(ctx.settings.areas))
        return
    await ctx.reply(t.LIKELY_AREAS, [*_area_choices(likely), Choice(t.OTHER_AREA, "/linhvuc")])


async def add_to_pending(ctx: Ctx, conversation: Conversation, text: str) -> None:
    """A plain message while the area menu is open: more words help the router decide. Said
    aloud, so that two questions are never merged silently."""
    pending = conversation.data["question"]
    await ctx.reply(common.QUESTION_MERGED.format(pending=one_line(pending)[:60]))
    await ask(ctx, f"{pending}\n{text}")


def _area_choices(areas: Sequence[AreaSpec]) -> list[Choice]:
    return [Choice(a.name, f"/linhvuc {a.code}") for a in areas]


async def choose_area(ctx: Ctx, args: str) -> None:
    """/linhvuc <mã> — the answer to 'which area?'; /linhvuc alone lists every area."""
    conversation = await ctx.conversation()
    if conversation.state != CHOOSE_AREA:
        raise HotlineError(t.NO_AREA_QUESTION)
    if not args.strip():
        await ctx.reply(t.WHICH_AREA, _area_choices(ctx.settings.areas))
        return
    area = ctx.settings.area(args.strip())
    if area is None:
        codes = ", ".join(a.code for a in ctx.settings.areas)
        raise UsageError(more=t.AREA_CODES.format(codes=codes))
    user = await active_cadre(ctx)
    data = conversation.data
    await ctx.wait_for("")
    await open_ticket(ctx, user, data["question"], area, data.get("suggested"), routed_by="cadre")


def card_choices(number: int) -> list[Choice]:
    return [
        Choice(t.CARD_CLAIM, f"/nhan {number}"),
        Choice(t.CARD_TRANSFER, f"/chuyen {number}"),
        Choice(t.CARD_ESCALATE, f"/vuot {number}"),
        Choice(t.CARD_CLOSE, f"/dong {number}"),
    ]


async def open_ticket(
    ctx: Ctx, user: User, question: str, area: AreaSpec, suggested: list[int] | None = None,
    routed_by: str | None = None, score: float | None = None,
) -> Ticket:
    group = ctx.settings.group_for_area(area.code)
    assert user.id is not None  # a stored user
    ticket = repo.new_ticket(
        commune_id=user.commune_id,
        asker_id=user.id,
        asker_chat=ctx.msg.chat.key,
        area_code=area.code,
        routed_by=routed_by,
        route_score=score,
        group_key=group.key if group else None,
        question=question,
        created_at=ctx.now,
        resolution_due_at=ctx.deadlines.add_hours(ctx.now, area.resolution_hours),
    )
    deadlines.schedule(ticket, ctx, ctx.now, ctx.deadlines.add_hours(ctx.now, area.first_response_hours))
    number = await repo.add_ticket(ctx.session, ticket)
    await repo.add_event(ctx.session, number, "question", str(ctx.who), ctx.now, question, user.name)
    read = await handbook.note_suggestions(ctx, ticket, suggested or [])
    for item in ctx.msg.attachments:  # the file itself stays on the platform; history says it came
        label = ATTACHMENT_LABEL.get(item.kind, item.kind)
        await repo.add_event(ctx.session, number, "attachment", str(ctx.who), ctx.now,
                             f"{label} {item.name}".strip(), user.name)
    text = fmt.card(ticket, user, ctx.settings) + (f"\n📘 {read}" if read else "")
    if group is not None:
        await ctx.send_to_group(group, text, card_choices(number), ticket, ctx.msg.forward)
        where = group.name
    else:
        await ctx.notify_supervisors(
            t.NO_GROUP_FOR_AREA.format(area=area.name, card=text),
            card_choices(number),
            ticket,
            ctx.msg.forward,
        )
        where = t.TO_SUPERVISORS
    tz = ctx.settings.timezone
    await ctx.reply(
        t.RECEIVED.format(number=ticket.id, area=area.name, where=where, due=fmt.when(ticket.due_at, tz),
                          resolution_due=fmt.when(ticket.resolution_due_at, tz)),
        ticket=ticket,
    )
    return ticket


async def my_tickets(ctx: Ctx, args: str) -> None:
    """/cuatoi"""
    user = await active_cadre(ctx)
    tickets = await repo.tickets_of_asker(ctx.session, user.id or 0)
    if not tickets:
        await ctx.reply(t.NO_TICKETS)
        return
    lines = [fmt.line(ticket, ctx.settings) for ticket in tickets]
    await ctx.reply(t.MY_TICKETS + "\n".join(lines))


async def add_info(ctx: Ctx, args: str) -> None:
    """/bosung N <nội dung> — more information, forwarded to the group."""
    number, text = await parse_ticket(ctx, args)
    if not text:
        raise UsageError()
    ticket = await load(ctx, number, asker=True)
    if ticket.status not in TicketStatus.ACTIVE:
        raise HotlineError(t.CLOSED_ASK_ANEW, number=number)
    await repo.add_event(ctx.session, number, "info", str(ctx.who), ctx.now, text, ctx.msg.display_name)
    if ticket.status == TicketStatus.WAITING:
        deadlines.resume(ticket, ctx)
    if ticket.status in (TicketStatus.ANSWERED, TicketStatus.WAITING):
        ticket.status = TicketStatus.IN_PROGRESS
    group = ctx.settings.group_by_key(ticket.group_key)
    note = t.INFO_TO_GROUP.format(number=number, text=text)
    if group:
        await ctx.send_to_group(group, note, ticket=ticket, forward=ctx.msg.forward)
    else:
        await ctx.notify_supervisors(note, ticket=ticket, forward=ctx.msg.forward)
    await ctx.reply(t.INFO_SENT.format(number=number), ticket=ticket)


async def resolved(ctx: Ctx, args: str) -> None:
    """/xong N — the cadre says the answer solved it; the ticket closes."""
    number, _ = await parse_ticket(ctx, args)
    ticket = await load(ctx, number, asker=True)
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        await ctx.reply(t.ALREADY_CLOSED.format(number=number))
        return
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = ctx.now
    await repo.add_event(ctx.session, number, "close", str(ctx.who), ctx.now,
                         t.RESOLVED_EVENT, ctx.msg.display_name)
    await ctx.reply(t.CLOSED_THANKS.format(number=number), ticket=ticket)
    if ticket.answered_at is not None:  # nothing to rate when nobody answered
        await ask_rating(ctx, ticket)
    group = ctx.settings.group_by_key(ticket.group_key)
    if group:
        await ctx.send_to_group(group, t.RESOLVED_TO_GROUP.format(number=number))


async def not_resolved(ctx: Ctx, args: str) -> None:
    """/chua N [lý do] — the answer did not solve it: the ticket reopens to its group."""
    number, text = await parse_ticket(ctx, args)
    ticket = await load(ctx, number, asker=True)
    if ticket.status == TicketStatus.CANCELLED:
        raise HotlineError(t.CANCELLED_ASK_ANEW, number=number)
    if ticket.status not in (TicketStatus.ANSWERED, TicketStatus.CLOSED):
        raise HotlineError(t.NOT_ANSWERED_YET, number=number)
    ticket.status = TicketStatus.IN_PROGRESS
    ticket.closed_at = None
    ticket.paused_at = None
    ticket.checkback_sent_at = None
    ticket.rating = None  # it rated an answer that did not solve it; the history keeps it
    area = ctx.settings.area(ticket.area_code)
    hours = area.first_response_hours if area else 8.0
    deadlines.schedule(ticket, ctx, ctx.now, ctx.deadlines.add_hours(ctx.now, hours))
    await repo.add_event(ctx.session, number, "reopen", str(ctx.who), ctx.now, text, ctx.msg.display_name)
    note = t.REOPENED_TO_GROUP.format(number=number)
    if text:
        note += t.OPINION.format(text=text)
    group = ctx.settings.group_by_key(ticket.group_key)
    if group:
        await ctx.send_to_group(group, note, ticket=ticket)
    else:
        await ctx.notify_supervisors(note, ticket=ticket)
    await ctx.reply(t.REOPENED.format(number=number), ticket=ticket)


async def cancel(ctx: Ctx, args: str) -> None:
    """/huy N — the cadre withdraws a question."""
    number, _ = await parse_ticket(ctx, args)
    ticket = await load(ctx, number, asker=True)
    if ticket.status not in TicketStatus.ACTIVE:
        raise HotlineError(t.CLOSED_CANNOT_CANCEL, number=number)
    ticket.status = TicketStatus.CANCELLED
    ticket.closed_at = ctx.now
    await repo.add_event(ctx.session, number, "cancel", str(ctx.who), ctx.now, "", ctx.msg.display_name)
    await ctx.reply(t.CANCELLED.format(number=number), ticket=ticket)
    group = ctx.settings.group_by_key(ticket.group_key)
    if group:
        await ctx.send_to_group(group, t.CANCELLED_TO_GROUP.format(number=number))


async def ask_rating(out: Outbound, ticket: Ticket) -> None:
    """After closing: the cadre may rate the answer 1–5."""
    await out.send_to_asker(
        ticket,
        t.RATE_ASK.format(number=ticket.id),
        [Choice(f"{k} ★", f"/danhgia {ticket.id} {k}") for k in range(1, 6)],
    )


async def rate(ctx: Ctx, args: str) -> None:
    """/danhgia N 1-5"""
    number, score = await parse_ticket(ctx, args)
    if score not in {"1", "2", "3", "4", "5"}:
        raise UsageError()
    ticket = await load(ctx, number, asker=True)
    if ticket.status != TicketStatus.CLOSED:
        raise HotlineError(t.RATE_NOT_CLOSED, number=number)
    if ticket.answered_at is None:
        raise HotlineError(t.RATE_NO_ANSWER, number=number)
    ticket.rating = int(score)
    await repo.add_event(ctx.session, number, "rating", str(ctx.who), ctx.now, score, ctx.msg.display_name)
    await ctx.reply(t.RATED.format(number=number, score=score))
