"""Finding a ticket from a command and checking who may act on it."""

from __future__ import annotations

import re

from handlers.context import Ctx
from handlers.errors import TicketNotFound, UsageError
from storage import repo
from storage.models import Ticket, User

# Numbers users type for tickets, handbook entries, communes: at most nine digits, which fits
# every database's integer (PostgreSQL refuses an id past 2**31 instead of finding nothing).
_NUMBER = re.compile(r"^#?(\d{1,9})\b\s*(.*)$", re.S)


def typed_number(text: str) -> int | None:
    """`12` or `#12` alone, as a number; None for anything else (or too long to be an id)."""
    m = _NUMBER.match(text.strip())
    return int(m.group(1)) if m and not m.group(2) else None


async def replied_ticket(ctx: Ctx) -> Ticket | None:
    """The ticket of the bot message this one replies to, if any."""
    if not ctx.msg.reply_to:
        return None
    chat = ctx.msg.chat
    return await repo.ticket_for_message(ctx.session, chat.channel, chat.chat_id, ctx.msg.reply_to)


async def parse_ticket(ctx: Ctx, args: str, usage: str | None = None) -> tuple[int, str]:
    """(ticket number, the rest) from `N rest`, or from the replied-to card when N is absent."""
    m = _NUMBER.match(args.strip())
    if m:
        return int(m.group(1)), m.group(2).strip()
    linked = await replied_ticket(ctx)
    if linked is not None and linked.id is not None:
        return linked.id, args.strip()
    raise UsageError(usage)


def is_asker(ctx: Ctx, ticket: Ticket, asker: User | None) -> bool:
    return asker is not None and asker.identity == str(ctx.who)


def is_handler(ctx: Ctx, ticket: Ticket) -> bool:
    """Staff of the group the ticket is routed to (its chat, or a member list naming them)."""
    return any(g.key == ticket.group_key for g in ctx.staff_groups())


async def load(ctx: Ctx, number: int, *, asker: bool = False, staff: bool = False) -> Ticket:
    """The ticket if the speaker may act on it in the given role (supervisors always may)."""
    ticket = await repo.get_ticket(ctx.session, number)
    if ticket is None:
        raise TicketNotFound(number)
    # a supervisor acts as staff on the tickets of their areas, never as the cadre
    if ctx.is_supervisor and (staff or not asker) and ctx.settings.oversees(ctx.who, ticket.area_code):
        return ticket
    if staff and is_handler(ctx, ticket):
        return ticket
    if asker and ctx.msg.chat.kind == "private":
        owner = await repo.user_by_id(ctx.session, ticket.asker_id)
        if is_asker(ctx, ticket, owner):
            return ticket
        if ctx.settings.commune_shared and ticket.commune_id is not None:
            me = await ctx.user()  # colleagues of one commune share its tickets, if configured
            if me is not None and me.status == "active" and me.commune_id == ticket.commune_id:
                return ticket
    raise TicketNotFound(number)
