"""/nhom: which areas a group chat answers. A chat is bound by the config or by a supervisor;
a chat administrator's /nhom is only a request, which a supervisor approves (/duyetnhom) or
refuses (/tuchoinhom). Until then the chat receives nothing. Every change is recorded
(BindingChange) and announced to the supervisors and to any group that loses an area."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Ctx
from handlers.errors import HotlineError, NotAllowed, UsageError
from handlers.messages import ChatRef, Choice
from handlers.settings import GroupSpec
from handlers.texts import desk as t
from handlers.texts import supervisor as sv
from handlers.textutil import one_line
from storage import groups as bindings
from storage.models import BindingChange

USAGE = t.BIND_LINE
PENDING, APPROVED, REFUSED = bindings.PENDING, "approved", "refused"
NAME_LIMIT = 80


async def load(session: AsyncSession) -> list[GroupSpec]:
    rows = await bindings.bindings(session)
    return [
        GroupSpec(r.channel, r.chat_id, r.name or t.DEFAULT_GROUP_NAME, tuple(r.areas.split()), r.thread_id)
        for r in rows
    ]


def _names(ctx: Ctx, codes: list[str]) -> str:
    return "; ".join(a.name if (a := ctx.settings.area(c)) else c for c in codes)


def _describe(ctx: Ctx, change: BindingChange) -> str:
    what = _names(ctx, change.areas.split()) if change.areas else t.UNBOUND_EVERYWHERE
    where = change.chat_id + (t.TOPIC.format(thread=change.thread_id) if change.thread_id else "")
    return t.CHANGE.format(name=change.name, channel=change.channel, where=where, what=what)


def _may_decide(ctx: Ctx, codes: set[str]) -> bool:
    """A supervisor limited to some areas decides only on changes within them."""
    return ctx.is_supervisor and all(ctx.settings.oversees(ctx.who, c) for c in codes)


async def bind(ctx: Ctx, args: str) -> None:
    """/nhom in a group: a supervisor binds at once; a chat administrator asks."""
    chat = ctx.msg.chat
    if chat.kind != "group":
        raise HotlineError(t.BIND_IN_GROUP)
    codes_text, _, name = args.partition("|")
    codes = codes_text.split()
    current = ctx.group
    if not codes:
        where = (t.GROUP_AREAS.format(name=current.name, areas=", ".join(current.areas)) if current
                 else t.NO_AREAS)
        await ctx.reply(t.THIS_GROUP.format(where=where, usage=USAGE))
        return
    if not (ctx.msg.is_chat_admin or ctx.is_supervisor):
        raise NotAllowed(t.BIND_ADMINS_ONLY)
    if codes == ["bo"]:
        codes = []
    unknown = [c for c in codes if ctx.settings.area(c) is None]
    if unknown:
        known = ", ".join(a.code for a in ctx.settings.areas)
        raise UsageError(t.UNKNOWN_CODES.format(usage=USAGE, unknown=", ".join(unknown), known=known))
    name = one_line(name)[:NAME_LIMIT]
    if not name:
        name = current.name if current else t.GROUP_NAME_OF_AREAS.format(
            areas=_names(ctx, codes).replace(";", ",")
        )
    previous = current.areas if current else ()
    change = BindingChange(
        key=chat.topic_key, channel=chat.channel, chat_id=chat.chat_id, thread_id=chat.thread_id,
        name=name, areas=" ".join(dict.fromkeys(codes)), previous=" ".join(previous),
        requested_by=str(ctx.who), requested_at=ctx.now,
    )
    touched = set(codes) | set(previous)
    if _may_decide(ctx, touched):
        await bindings.add_change(ctx.session, change)
        await _apply(ctx, change)
        return
    if ctx.is_supervisor and not ctx.msg.is_chat_admin:
        raise NotAllowed(t.BIND_OWN_AREAS_ONLY)
    # the newest request replaces the older ones
    for older in await bindings.pending_changes(ctx.session, chat.topic_key):
        older.status, older.decided_at, older.note = REFUSED, ctx.now, t.REPLACED
    number = await bindings.add_change(ctx.session, change)
    until = t.UNTIL_APPROVED_NEW if codes else t.UNTIL_APPROVED_SAME
    await ctx.reply(t.REQUEST_SENT.format(number=number, change=_describe(ctx, change), until=until))
    asker = one_line(ctx.msg.display_name)[:NAME_LIMIT] or str(ctx.who)
    text = t.REQUEST_TO_SUPERVISORS.format(
        number=change.id, change=_describe(ctx, change), asker=asker, who=ctx.who
    )
    choices = [Choice(sv.APPROVE, f"/duyetnhom {change.id}"), Choice(sv.REJECT, f"/tuchoinhom {change.id}")]
    for sup in sorted(ctx.settings.supervisors, key=str):
        if all(ctx.settings.oversees(sup, c) for c in touched):
            await ctx.send_to(sup, text, choices)


async def decide(ctx: Ctx, args: str, accept: bool = True) -> None:
    """/duyetnhom [số] and /tuchoinhom <số> [lý do]: without a number, the pending requests."""
    number, _, reason = args.strip().partition(" ")
    if not number:
        pending = [c for c in await bindings.pending_changes(ctx.session)
                   if _may_decide(ctx, set(c.areas.split()) | set(c.previous.split()))]
        if not pending:
            await ctx.reply(t.NO_REQUESTS)
            return
        lines = [t.REQUESTS]
        lines += [t.REQUEST_LINE.format(number=c.id, change=_describe(ctx, c), who=c.requested_by)
                  for c in pending]
        lines.append(t.HOW_TO_DECIDE)
        await ctx.reply("\n".join(lines))
        return
    if not (number.isascii() and number.isdigit()) or len(number) > 9:
        raise UsageError()
    change = await bindings.get_change(ctx.session, int(number))
    if change is None or not _may_decide(ctx, set(change.areas.split()) | set(change.previous.split())):
        raise HotlineError(t.NO_REQUEST, number=number)
    if change.status != PENDING:
        await ctx.reply(t.REQUEST_DECIDED.format(number=change.id))
        return
    chat = ChatRef(change.channel, change.chat_id, "group", change.thread_id)
    if not accept:
        change.status, change.decided_by, change.decided_at = REFUSED, str(ctx.who), ctx.now
        change.note = one_line(reason)[:200]
        because = t.BECAUSE.format(note=change.note) if change.note else ""
        await ctx.reply(t.REQUEST_REFUSED.format(number=change.id))
        await ctx.send(chat, t.REQUEST_REFUSED_TO_GROUP.format(number=change.id, because=because))
        return
    await _apply(ctx, change)


async def _apply(ctx: Ctx, change: BindingChange) -> None:
    """Make the change the routing, and tell everyone whose routing it changes."""
    change.status, change.decided_by, change.decided_at = APPROVED, str(ctx.who), ctx.now
    chat = ChatRef(change.channel, change.chat_id, "group", change.thread_id)
    current = ctx.settings.group_for_chat(chat)  # now, not when it was asked for
    change.previous = " ".join(current.areas) if current else ""
    codes = change.areas.split()
    await bindings.bind(ctx.session, change, str(ctx.who), ctx.now)
    ctx.groups_changed = True
    # the groups that answered these areas until now: new tickets go elsewhere from today
    losers: dict[str, tuple[GroupSpec, list[str]]] = {}
    for code in codes:
        for g in ctx.settings.groups:
            if code in g.areas and g.key != change.key:
                losers.setdefault(g.key, (g, []))[1].append(code)
                break
    lost_here = [c for c in change.previous.split() if c not in codes]
    summary = t.BOUND_SUMMARY.format(change=_describe(ctx, change), number=change.id, who=ctx.who)
    if ctx.msg.chat != chat:
        await ctx.reply(summary)
    if codes:
        text = t.BOUND_TO_GROUP.format(name=change.name, areas=_names(ctx, codes))
    else:
        text = t.UNBOUND_TO_GROUP
    if lost_here and codes:
        text += t.NO_LONGER.format(areas=_names(ctx, lost_here))
    await ctx.send(chat, text)
    for group, lost in losers.values():
        await ctx.send_to_group(
            group,
            t.LOST_AREAS.format(areas=_names(ctx, lost), name=change.name, who=ctx.who),
        )
    for sup in sorted(ctx.settings.supervisors, key=str):
        if sup != ctx.who:
            await ctx.send_to(sup, t.BINDING_CHANGED.format(summary=summary))
