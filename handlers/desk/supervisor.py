"""Supervisors' commands: reports over a period, overdue tickets, bans.

The numbers come from handlers/reports/ (figures, chat wording) and the files from its jobs;
this module parses arguments, checks the role and words the replies.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers import texts
from handlers.context import Ctx
from handlers.errors import HotlineError, UsageError
from handlers.intake.communes import resolve_commune
from handlers.messages import Choice, Identity
from handlers.reports import figures, jobs, labels, periods
from handlers.reports.hours import WorkingHours
from handlers.texts import format as fmt
from handlers.texts import report_chat as chat
from handlers.texts import supervisor as t
from storage import repo
from storage.models import Ticket, TicketStatus
from storage.reports import count_overdue, failed_deliveries, overdue_tickets

FAILED_DAYS = 7  # /quahan also lists the messages the platforms refused in this many days


def _period(ctx: Ctx, args: str, default: str, usage: str) -> periods.Period:
    period = periods.parse_period(args, ctx.now, ctx.settings.timezone, default, usage)
    return replace(period, areas=ctx.supervisor_areas)


async def summary(ctx: Ctx, args: str) -> None:
    """/tongket [kỳ] — received, answered, closed, open, overdue, response times, by area."""
    period = _period(ctx, args, "homnay", t.SUMMARY_LINE)
    s = await figures.summary(ctx.session, ctx.settings, ctx.deadlines, ctx.now, period)
    await ctx.reply(chat.summary_text(s, ctx.settings))


async def ranking(ctx: Ctx, args: str) -> None:
    """/xephang [kỳ] — working groups by on-time share, then median response time."""
    period = _period(ctx, args, "thang", t.RANKING_LINE)
    rows = await figures.league(ctx.session, ctx.settings, ctx.deadlines, ctx.now, period)
    await ctx.reply(chat.league_text(rows, period))


async def commune(ctx: Ctx, args: str) -> None:
    """/xa <tên xã/phường> [kỳ] — one commune's questions by area (default: this year)."""
    usage = t.COMMUNE_LINE
    if not args.strip():
        raise UsageError(texts.reports.PERIOD_USAGE.format(usage=usage, help=periods.PERIOD_HELP))
    name, period_text = args.strip(), ""
    found = resolve_commune(name)
    if not found.options or found.suggested:
        words = name.split()
        for n in (1, 2):  # the last word or two may be the period
            if len(words) <= n:
                break
            tail = " ".join(words[-n:])
            try:
                _period(ctx, tail, "nam", usage)
            except UsageError:
                continue
            head = " ".join(words[:-n])
            shorter = resolve_commune(head)
            if shorter.options:
                name, period_text, found = head, tail, shorter
            break
    period = _period(ctx, period_text, "nam", usage)
    ids = {o.commune.id for o in found.options}
    if len(ids) == 1 and not found.suggested:
        info = found.options[0].commune
        report = await figures.commune_report(
            ctx.session, ctx.settings, ctx.deadlines, ctx.now, period, info.id
        )
        await ctx.reply(chat.commune_text(report, info.name, period, ctx.settings))
        return
    if not found.options:
        raise HotlineError(t.COMMUNE_NOT_FOUND, name=name)
    suffix = f" {period_text}" if period_text else ""
    await ctx.reply(
        t.COMMUNE_AMBIGUOUS.format(name=name, suffix=suffix),
        [Choice(o.label, f"/xa {o.commune.name}{suffix}") for o in found.options],
    )


async def overdue(ctx: Ctx, args: str) -> None:
    """/quahan — tickets past their deadline without an answer, oldest first, how late."""
    tickets = await overdue_tickets(ctx.session, ctx.now, areas=ctx.supervisor_areas)
    total, failed = await failed_deliveries(
        ctx.session, ctx.now - timedelta(days=FAILED_DAYS), ctx.supervisor_areas
    )
    tz = ctx.settings.timezone
    undelivered = chat.delivery_lines(total, failed, t.FAILED_IN_DAYS.format(days=FAILED_DAYS), tz)
    lines = [t.NOTHING_OVERDUE] if not tickets else await _overdue_lines(ctx, tickets)
    if undelivered:
        lines += ["", *undelivered]
    await ctx.reply("\n".join(lines))


async def _overdue_lines(ctx: Ctx, tickets: list[Ticket]) -> list[str]:
    tz = ctx.settings.timezone
    total = await count_overdue(ctx.session, ctx.now, ctx.supervisor_areas)
    oldest = min(x.due_at for x in tickets if x.due_at).astimezone(tz).date()
    hours = WorkingHours(ctx.deadlines, oldest, ctx.now.astimezone(tz).date())
    names = labels.commune_names()
    shown = t.OLDEST_SHOWN.format(count=labels.count(len(tickets))) if total > len(tickets) else ""
    lines = [t.OVERDUE_HEADING.format(total=labels.count(total), shown=shown)]
    for ticket in tickets:
        due = ticket.due_at
        late = hours.hours(due.timestamp(), ctx.now.timestamp()) if due else 0.0
        state = t.NOT_CLAIMED if ticket.status == TicketStatus.NEW else t.IN_PROGRESS
        lines.append(t.OVERDUE_LIST_LINE.format(
            number=ticket.id, area=fmt.area_name(ctx.settings, ticket.area_code),
            commune=names.get(ticket.commune_id or 0, "—"),
            group=labels.group_name(ctx.settings, ticket.group_key), late=chat.late_text(late),
            state=state, due=fmt.when(due, ctx.settings.timezone),
        ))
    return lines


async def export(ctx: Ctx, args: str) -> None:
    """/xuat [kỳ] — the Excel workbook of the period, sent as a document (default: this month)."""
    await jobs.request(ctx, "xuat", _period(ctx, args, "thang", t.EXPORT_LINE))


async def chart(ctx: Ctx, args: str) -> None:
    """/bieudo [kỳ] — questions per week by area and the on-time share, as a PNG (default: this year)."""
    await jobs.request(ctx, "bieudo", _period(ctx, args, "nam", t.CHART_LINE))


async def ban(ctx: Ctx, args: str) -> None:
    """/chan <kênh:mã> [lý do] — block someone who misuses the hotline."""
    target, _, reason = args.strip().partition(" ")
    try:
        who = Identity.parse(target)
    except ValueError:
        raise UsageError() from None
    if who in ctx.settings.supervisors:
        raise HotlineError(t.CANNOT_BAN_SUPERVISOR)
    await repo.ban(ctx.session, str(who), str(ctx.who), reason.strip(), ctx.now)
    await ctx.reply(t.BANNED.format(who=who))


async def unban(ctx: Ctx, args: str) -> None:
    """/bochan <kênh:mã>"""
    try:
        who = Identity.parse(args)
    except ValueError:
        raise UsageError() from None
    if not await repo.unban(ctx.session, str(who)):
        await ctx.reply(t.NOT_BANNED.format(who=who))
        return
    await ctx.reply(t.UNBANNED.format(who=who))
