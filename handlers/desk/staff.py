"""What agency staff do from their working group: answer, claim, transfer, escalate, close."""

from __future__ import annotations

from handlers import deadlines
from handlers.context import Ctx
from handlers.errors import HotlineError, UsageError
from handlers.intake.cadre import card_choices
from handlers.messages import Choice
from handlers.texts import desk as t
from handlers.texts import format as fmt
from handlers.texts.words import DURATION_UNITS
from handlers.tickets import load, parse_ticket
from storage import repo
from storage.models import Ticket, TicketStatus

FINISHED = (TicketStatus.CLOSED, TicketStatus.CANCELLED)


def _actor(ctx: Ctx) -> str:
    """How staff are named to others: their name, and the group they answer for."""
    name = ctx.msg.display_name or str(ctx.who)
    groups = ctx.staff_groups()
    return t.ACTOR.format(name=name, group=groups[0].name) if groups else name


def _first_response(ticket: Ticket, ctx: Ctx) -> None:
    """An answer or a question back: the first one is what the on-time share measures."""
    if ticket.first_response_at is None:
        ticket.first_response_at = ctx.now
        ticket.response_due_at = ticket.due_at


async def _active(ctx: Ctx, number: int) -> Ticket:
    ticket = await load(ctx, number, staff=True)
    if ticket.status in FINISHED:
        raise HotlineError(t.ALREADY_FINISHED, number=number, status=fmt.STATUS_TEXT[ticket.status])
    return ticket


async def answer(ctx: Ctx, args: str) -> None:
    """/tl N <nội dung>, or a reply to the card: the answer goes to the cadre."""
    number, text = await parse_ticket(ctx, args)
    if not text and not ctx.msg.attachments:
        raise UsageError()
    ticket = await _active(ctx, number)
    ticket.status = TicketStatus.ANSWERED
    _first_response(ticket, ctx)
    ticket.answered_at = ctx.now
    ticket.claimed_by = ticket.claimed_by or str(ctx.who)
    await repo.add_event(ctx.session, number, "answer", str(ctx.who), ctx.now, text, _actor(ctx))
    await ctx.send_to_asker(
        ticket,
        t.ANSWER.format(number=number, actor=_actor(ctx), text=text or t.SEE_ATTACHMENT),
        [Choice(t.RESOLVED, f"/xong {number}"), Choice(t.NOT_YET, f"/chua {number}")],
        ctx.msg.forward,
    )
    who = ctx.msg.display_name or str(ctx.who)  # the group is where this is read: no need to name it
    await _tell_team(ctx, ticket, t.ANSWER_SENT.format(number=number, who=who))


async def _tell_team(ctx: Ctx, ticket: Ticket, text: str) -> None:
    """Confirm to the group (every member, for member-list groups) or to the supervisor."""
    group = ctx.settings.group_by_key(ticket.group_key)
    if group and group.members:
        await ctx.send_to_group(group, text, ticket=ticket)
    else:
        await ctx.reply(text, ticket=ticket)


async def claim(ctx: Ctx, args: str) -> None:
    """/nhan N — one person takes the ticket, so two colleagues do not both work on it."""
    number, _ = await parse_ticket(ctx, args)
    ticket = await _active(ctx, number)
    if ticket.claimed_by and ticket.claimed_by != str(ctx.who):
        await ctx.reply(t.CLAIMED_BEFORE.format(number=number, who=ticket.claimed_by))
        return
    ticket.claimed_by = str(ctx.who)
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.IN_PROGRESS
    await repo.add_event(ctx.session, number, "claim", str(ctx.who), ctx.now, "", _actor(ctx))
    await _tell_team(ctx, ticket, t.CLAIMED.format(number=number, actor=_actor(ctx)))
    await ctx.send_to_asker(ticket, t.CLAIMED_TO_ASKER.format(number=number, actor=_actor(ctx)))


async def transfer(ctx: Ctx, args: str) -> None:
    """/chuyen N <mã lĩnh vực> [lý do] — to the group of another area."""
    number, rest = await parse_ticket(ctx, args)
    ticket = await _active(ctx, number)
    code, _, reason = rest.partition(" ")
    area = ctx.settings.area(code.strip())
    if area is None:
        await ctx.reply(
            t.TRANSFER_WHERE.format(number=number),
            [Choice(a.name, f"/chuyen {number} {a.code}") for a in ctx.settings.areas
             if a.code != ticket.area_code],
            ticket=ticket,
        )
        return
    group = ctx.settings.group_for_area(area.code)
    if group is None:
        raise HotlineError(t.NO_GROUP_FOR_AREA, area=area.name)
    old_group = ctx.settings.group_by_key(ticket.group_key)
    ticket.area_code = area.code
    ticket.routed_by = "transfer"  # the strongest label the router learns from
    ticket.route_score = None
    ticket.group_key = group.key
    ticket.claimed_by = None
    ticket.status = TicketStatus.NEW
    reason = reason.strip()
    await repo.add_event(
        ctx.session, number, "transfer", str(ctx.who), ctx.now,
        t.TRANSFER_EVENT.format(area=area.name, group=group.name)
        + (t.REASON.format(reason=reason) if reason else ""), _actor(ctx),
    )
    asker = await repo.user_by_id(ctx.session, ticket.asker_id)
    assert asker is not None
    from_text = t.TRANSFERRED_FROM.format(group=old_group.name if old_group else "—")
    from_text += t.REASON.format(reason=reason) + ")" if reason else ")"
    await ctx.send_to_group(group, fmt.card(ticket, asker, ctx.settings) + from_text,
                            card_choices(number), ticket)
    await _tell_team(ctx, ticket, t.TRANSFERRED.format(number=number, group=group.name))
    await ctx.send_to_asker(
        ticket, t.TRANSFERRED_TO_ASKER.format(number=number, area=area.name, group=group.name)
    )


async def escalate(ctx: Ctx, args: str) -> None:
    """/vuot N [lý do] — beyond the group's authority: report to the supervisors."""
    number, reason = await parse_ticket(ctx, args)
    ticket = await _active(ctx, number)
    reason = reason or t.NO_REASON  # optional, as on the card's button
    ticket.escalated_at = ctx.now
    ticket.escalation_reason = reason
    await repo.add_event(ctx.session, number, "escalate", str(ctx.who), ctx.now, reason, _actor(ctx))
    asker = await repo.user_by_id(ctx.session, ticket.asker_id)
    assert asker is not None
    await ctx.notify_supervisors(
        t.ESCALATED_TO_SUPERVISORS.format(number=number, actor=_actor(ctx), reason=reason)
        + fmt.card(ticket, asker, ctx.settings),
        [Choice(t.SEE_TICKET, f"/phieu {number}")],
        ticket,
    )
    await _tell_team(ctx, ticket, t.ESCALATED.format(number=number))
    await ctx.send_to_asker(
        ticket, t.ESCALATED_TO_ASKER.format(number=number)
    )


async def close(ctx: Ctx, args: str) -> None:
    """/dong N [lý do] — staff close a ticket (duplicate, answered elsewhere…)."""
    number, reason = await parse_ticket(ctx, args)
    ticket = await _active(ctx, number)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = ctx.now
    await repo.add_event(ctx.session, number, "close", str(ctx.who), ctx.now, reason, _actor(ctx))
    await _tell_team(ctx, ticket, t.CLOSED.format(number=number))
    await ctx.send_to_asker(
        ticket,
        t.CLOSED_TO_ASKER.format(number=number, actor=_actor(ctx))
        + (t.CLOSED_REASON.format(reason=reason.rstrip(" .")) if reason else "") + t.ASK_ANEW,
    )


async def open_list(ctx: Ctx, args: str) -> None:
    """/chuaxuly — this group's tickets still waiting for an answer."""
    groups = ctx.staff_groups()  # not empty: the registry checked the role
    lines = []
    for group in groups:
        for ticket in await repo.open_tickets_of_group(ctx.session, group.key):
            lines.append(fmt.line(ticket, ctx.settings))
    if not lines:
        await ctx.reply(t.NOTHING_OPEN)
        return
    await ctx.reply(t.OPEN_LIST + "\n".join(lines))


async def ask_back(ctx: Ctx, args: str) -> None:
    """/hoilai N <câu hỏi> — ask the cadre for more; the deadline clock pauses until they answer."""
    number, question = await parse_ticket(ctx, args)
    if not question:
        raise UsageError()
    ticket = await _active(ctx, number)
    ticket.status = TicketStatus.WAITING
    _first_response(ticket, ctx)
    deadlines.pause(ticket, ctx)
    await repo.add_event(ctx.session, number, "ask_back", str(ctx.who), ctx.now, question, _actor(ctx))
    await ctx.send_to_asker(
        ticket,
        t.ASKED_BACK_TO_ASKER.format(number=number, actor=_actor(ctx), question=question),
    )
    await _tell_team(ctx, ticket, t.ASKED_BACK.format(number=number))


async def postpone(ctx: Ctx, args: str) -> None:
    """/hoan N <thời gian> <lý do> — once per ticket, with a reason the supervisors see."""
    number, rest = await parse_ticket(ctx, args)
    parts = rest.split(maxsplit=2)
    hours, reason = None, ""
    if len(parts) >= 2 and parts[1].lower() in DURATION_UNITS:
        hours = deadlines.parse_duration(" ".join(parts[:2]))
        reason = parts[2] if len(parts) > 2 else ""
    elif parts:
        hours = deadlines.parse_duration(parts[0])
        reason = rest[len(parts[0]):].strip()
    if hours is None or hours <= 0 or not reason:
        raise UsageError()
    if hours > ctx.settings.followup.max_postpone_hours:
        raise HotlineError(t.POSTPONE_TOO_LONG, hours=ctx.settings.followup.max_postpone_hours)
    ticket = await _active(ctx, number)
    if ticket.postponed_at is not None:
        raise HotlineError(t.POSTPONED_BEFORE, number=number)
    if ticket.due_at is None:
        raise HotlineError(t.NO_DEADLINE, number=number)
    if ticket.first_response_at is not None:  # the deadline that counted has passed or been met
        what = t.WAS_ANSWERED if ticket.answered_at is not None else t.WAS_ASKED_BACK
        raise HotlineError(t.POSTPONE_TOO_LATE, number=number, what=what)
    ticket.postponed_at = ctx.now
    ticket.postpone_reason = reason
    deadlines.schedule(ticket, ctx, ctx.now, ctx.deadlines.add_hours(ticket.due_at, hours))
    new_due = fmt.when(ticket.due_at, ctx.settings.timezone)
    text = t.POSTPONE_EVENT.format(hours=hours, due=new_due, reason=reason)
    await repo.add_event(ctx.session, number, "postpone", str(ctx.who), ctx.now, text, _actor(ctx))
    await _tell_team(ctx, ticket, t.POSTPONED.format(number=number, text=text))
    await ctx.notify_supervisors(
        t.POSTPONED_TO_SUPERVISORS.format(actor=_actor(ctx), number=number, text=text), ticket=ticket
    )
    await ctx.send_to_asker(
        ticket, t.POSTPONED_TO_ASKER.format(number=number, due=fmt.when(ticket.due_at, ctx.settings.timezone))
    )
