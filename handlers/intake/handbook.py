"""The handbook (sổ tay hướng dẫn): suggested before a ticket opens, grown from answered tickets."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.errors import HotlineError, NotAllowed, UsageError
from handlers.messages import Choice
from handlers.settings import AreaSpec
from handlers.texts import format as fmt
from handlers.texts import intake as t
from handlers.texts.words import EDIT, RETIRE
from handlers.textutil import one_line
from handlers.tickets import is_handler, typed_number
from storage import handbook, repo
from storage.handbook import Hit
from storage.models import HandbookEntry, Ticket, UserStatus

SUGGESTING = "handbook"  # conversation state: suggestions shown, question pending
# A suggestion must share distinctive terms with the question (MIN_SCORE: about two rare
# two-syllable words) and a fair part of what the question is about (MIN_COVERAGE); both
# tuned on tests/data/handbook_eval (see tests/test_handbook_eval.py).
MIN_SCORE = 3.0
MIN_COVERAGE = 0.25
USAGE = t.HANDBOOK_LINE


def good_matches(hits: list[Hit]) -> list[Hit]:
    return [h for h in hits if h.score >= MIN_SCORE and h.coverage >= MIN_COVERAGE]


def _preview(entry: HandbookEntry, width: int = 160) -> str:
    first = entry.answer.strip().splitlines()[0] if entry.answer.strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"


async def suggest(ctx: Ctx, question: str, area: AreaSpec | None) -> bool:
    """Show the handbook's answers to a question, among those of `area` (the router's, when
    sure) and of no area; False (nothing shown) when none fits."""
    hits = good_matches(
        await handbook.search(ctx.session, question, area=area.code if area else None)
    )
    if not hits:
        return False
    ids = [h.entry.id for h in hits]
    use = await handbook.record_suggestion(ctx.session, str(ctx.who), ids, ctx.now)
    await ctx.wait_for(SUGGESTING, {"question": question, "entries": ids, "use": use.id})
    lines = [t.HANDBOOK_MAY_ANSWER]
    for h in hits:  # labelled by the entry's number, the one /sotay xem takes
        lines.append(
            t.HANDBOOK_HIT.format(id=h.entry.id, question=h.entry.question, preview=_preview(h.entry))
        )
    lines.append(t.HANDBOOK_READ_OR_DECIDE)
    choices = [Choice(t.HANDBOOK_SEE.format(id=h.entry.id), f"/sotay xem {h.entry.id}") for h in hits]
    choices += [Choice(t.HANDBOOK_CLEAR, "/daro"), Choice(t.HANDBOOK_STILL_ASK, "/vancanhoi")]
    await ctx.reply("\n".join(lines), choices)
    return True


async def _pending(ctx: Ctx) -> dict[str, Any]:
    conversation = await ctx.conversation()
    if conversation.state != SUGGESTING:
        raise HotlineError(t.HANDBOOK_NOTHING_PENDING)
    return conversation.data


async def settle(ctx: Ctx, outcome: str) -> dict[str, Any]:
    """The pending question, its suggestion recorded as `outcome` ("resolved" or "asked") and
    the conversation state cleared."""
    data = await _pending(ctx)
    await handbook.set_outcome(ctx.session, data["use"], outcome)
    await ctx.wait_for("")
    return data


async def resolved(ctx: Ctx, args: str) -> None:
    """/daro — the handbook answered it: no ticket."""
    await settle(ctx, "resolved")
    await ctx.reply(t.HANDBOOK_THANKS)


async def command(ctx: Ctx, args: str) -> None:
    """/sotay …: publish from a ticket, edit, show, retire."""
    head, _, rest = args.strip().partition(" ")
    head = head.lower()
    if head == "xem" and (entry_id := typed_number(rest)) is not None:
        await show(ctx, entry_id)
    elif head in RETIRE and (entry_id := typed_number(rest)) is not None:
        await retire(ctx, entry_id)
    elif (number := typed_number(head)) is not None:
        action, _, text = rest.strip().partition(" ")
        if action and action.lower() not in EDIT:
            raise UsageError()
        await publish(ctx, number, text.strip() if action else "")
    else:
        raise UsageError()


async def show(ctx: Ctx, entry_id: int) -> None:
    entry = await handbook.get_entry(ctx.session, entry_id)
    if entry is None or not entry.current:
        raise HotlineError(t.HANDBOOK_NO_ENTRY, id=entry_id)
    source = t.HANDBOOK_FROM_TICKET.format(source=entry.source) if entry.source.startswith("#") else ""
    text = t.HANDBOOK_ENTRY.format(
        id=entry.id, area=fmt.area_name(ctx.settings, entry.area_code), source=source,
        question=entry.question, answer=entry.answer,
    )
    conversation = await ctx.conversation()
    if conversation.state != SUGGESTING:
        await ctx.reply(text)
        return
    # read while deciding about a question: the question's choices stay on offer
    others = [i for i in conversation.data["entries"] if i != entry.id]
    choices = [Choice(t.HANDBOOK_CLEAR, "/daro"), Choice(t.HANDBOOK_STILL_ASK, "/vancanhoi")]
    choices += [Choice(t.HANDBOOK_SEE.format(id=i), f"/sotay xem {i}") for i in others]
    await ctx.reply(t.HANDBOOK_STILL_DECIDING.format(entry=text), choices)


async def publish(ctx: Ctx, number: int, new_answer: str) -> None:
    """/sotay N [sửa …] — the ticket's question and last answer become (or edit) an entry."""
    ticket = await repo.get_ticket(ctx.session, number)
    overseen = ticket is not None and ctx.is_supervisor and ctx.settings.oversees(ctx.who, ticket.area_code)
    if ticket is None or not (overseen or is_handler(ctx, ticket)):
        raise HotlineError(t.HANDBOOK_TICKET_NOT_HERE, number=number)
    existing = await handbook.current_entry_of_ticket(ctx.session, number)
    if existing is not None:
        if not new_answer:
            raise HotlineError(t.HANDBOOK_ALREADY, number=number, id=existing.id)
        existing.answer = new_answer
        existing.published_by, existing.published_at = str(ctx.who), ctx.now
        await handbook.save(ctx.session, existing)
        await ctx.reply(t.HANDBOOK_EDITED.format(id=existing.id, number=number))
        return
    answer = new_answer
    if not answer:
        answer = await repo.last_answer(ctx.session, number) or ""
    if not answer:
        raise HotlineError(t.HANDBOOK_NO_ANSWER, number=number)
    entry = await handbook.add(
        ctx.session, ticket.area_code, ticket.question, answer, source=f"#{number}",
        by=str(ctx.who), now=ctx.now, ticket_id=number,
    )
    await ctx.reply(t.HANDBOOK_PUBLISHED.format(number=number, id=entry.id))


async def retire(ctx: Ctx, entry_id: int) -> None:
    if not ctx.is_supervisor:
        raise NotAllowed(t.HANDBOOK_RETIRE_SUPERVISORS_ONLY)
    entry = await handbook.get_entry(ctx.session, entry_id)
    # a supervisor limited to some areas retires only their entries
    if entry is None or not entry.current or not ctx.settings.oversees(ctx.who, entry.area_code):
        raise HotlineError(t.HANDBOOK_NO_ENTRY, id=entry_id)
    await handbook.retire(ctx.session, entry)
    await ctx.reply(t.HANDBOOK_RETIRED.format(id=entry_id))


async def lookup(ctx: Ctx, args: str) -> None:
    """/tracuu <từ khóa> — for registered cadres, staff and supervisors."""
    if not (ctx.is_supervisor or ctx.staff_groups()):
        me = await repo.get_user(ctx.session, str(ctx.who))
        if me is None or me.status != UserStatus.ACTIVE:
            raise NotAllowed(t.HANDBOOK_REGISTER_FIRST)
    if not args.strip():
        raise UsageError()
    hits = await handbook.search(ctx.session, args, limit=5)
    if not hits:
        await ctx.reply(t.HANDBOOK_NOTHING_FOUND)
        return
    lines = [t.HANDBOOK_RESULTS]
    lines += [t.HANDBOOK_RESULT.format(id=h.entry.id, question=h.entry.question) for h in hits]
    await ctx.reply(
        "\n".join(lines),
        [Choice(t.HANDBOOK_SEE.format(id=h.entry.id), f"/sotay xem {h.entry.id}") for h in hits],
    )


async def note_suggestions(ctx: Ctx, ticket: Ticket, entry_ids: list[int]) -> str | None:
    """History line on a new ticket: the handbook entries the cadre read first (returned, for
    the group's card too, so staff do not answer with what the cadre already read)."""
    if not entry_ids or ticket.id is None:
        return None
    titles = [t.HANDBOOK_READ_TITLE.format(id=e.id, question=one_line(e.question))
              for e in await handbook.entries(ctx.session, entry_ids)]
    if not titles:
        return None
    line = t.HANDBOOK_READ + "; ".join(titles)
    await repo.add_event(ctx.session, ticket.id, "handbook", "bot", ctx.now, line)
    return line
