"""Scheduled follow-ups: reminders, deadline notices, escalation, check-backs, digests.

What is due is derived from the database, and what was sent is recorded on the same rows in
the same transaction, so each notice goes out once: several ticks, a restart or a clock jump
neither lose nor repeat one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from handlers import texts
from handlers.context import Outbound
from handlers.intake.cadre import ask_rating
from handlers.messages import Choice, Identity
from handlers.reports import labels
from handlers.settings import GroupSpec
from handlers.texts import format as fmt
from handlers.texts import report_chat as chat
from storage import followups as due
from storage import repo
from storage.models import Ticket, TicketStatus
from storage.reports import failed_deliveries


async def tick(out: Outbound) -> None:
    """One pass of every ticket-driven follow-up."""
    await remind_groups(out)
    await notify_due(out)
    await escalate_overdue(out)
    await notify_unresolved(out)
    await check_back(out)
    await auto_close(out)


def _by_group(out: Outbound, tickets: list[Ticket]) -> dict[GroupSpec | None, list[Ticket]]:
    grouped: dict[GroupSpec | None, list[Ticket]] = defaultdict(list)
    for t in tickets:
        grouped[out.settings.group_by_key(t.group_key)].append(t)
    return grouped


async def _to_group_or_supervisors(
    out: Outbound, group: GroupSpec | None, text: str, ticket: Ticket | None = None
) -> None:
    if group is not None:
        await out.send_to_group(group, text, ticket=ticket)
    else:
        await out.notify_supervisors(text, ticket=ticket)


async def _notify_groups(out: Outbound, tickets: list[Ticket], heading: str) -> None:
    """One message per group listing its tickets (the supervisors when none is bound)."""
    for group, items in _by_group(out, tickets).items():
        lines = [fmt.line(t, out.settings) for t in items]
        ticket = items[0] if len(items) == 1 else None
        await _to_group_or_supervisors(out, group, heading + "\n" + "\n".join(lines), ticket)


async def remind_groups(out: Outbound) -> None:
    """Before the deadline (by default at 75% of it): one reminder per group, listing tickets."""
    tickets = await due.to_remind(out.session, out.now)
    await _notify_groups(out, tickets, texts.desk.REMIND)
    for t in tickets:
        t.reminder_sent_at = out.now
        assert t.id is not None
        await repo.add_event(out.session, t.id, "remind", "bot", out.now, texts.desk.REMIND_EVENT)


async def notify_due(out: Outbound) -> None:
    """At the deadline: the group is told which tickets are now due."""
    tickets = await due.newly_due(out.session, out.now)
    await _notify_groups(out, tickets, texts.desk.DUE)
    for t in tickets:
        t.due_notice_sent_at = out.now
        t.reminder_sent_at = t.reminder_sent_at or out.now  # never remind after the deadline


async def notify_unresolved(out: Outbound) -> None:
    """Past the resolution deadline and still with the group (never answered, or reopened)."""
    tickets = await due.newly_unresolved(out.session, out.now)
    await _notify_groups(out, tickets, texts.desk.UNRESOLVED)
    for t in tickets:
        t.resolution_notice_sent_at = out.now


async def escalate_overdue(out: Outbound) -> None:
    """Overdue by the configured margin: the supervisors get the ticket and the group's name."""
    margin = out.settings.followup.escalate_after_hours
    candidates = await due.overdue_not_escalated(out.session, out.now)
    late = [
        t for t in candidates
        if t.due_at and out.deadlines.hours_between(t.due_at, out.now) >= margin
    ]
    if not late:
        return
    lines: dict[int, str] = {}
    for t in late:
        assert t.id is not None and t.due_at is not None
        group = out.settings.group_by_key(t.group_key)
        hours = out.deadlines.hours_between(t.due_at, out.now)
        postponed = t.postpone_reason
        lines[t.id] = texts.supervisor.OVERDUE_LINE.format(
            number=t.id, area=fmt.area_name(out.settings, t.area_code),
            commune=fmt.commune_name(t.commune_id),
            group=group.name if group else texts.supervisor.NO_GROUP, hours=labels.num(hours),
        ) + (texts.supervisor.POSTPONED_BECAUSE.format(reason=postponed) if postponed else "")
        t.overdue_escalated_at = out.now
        await repo.add_event(out.session, t.id, "overdue", "bot", out.now,
                             texts.supervisor.OVERDUE_EVENT.format(hours=labels.num(hours)))
    for sup in sorted(out.settings.supervisors, key=str):
        mine = [t for t in late if out.settings.oversees(sup, t.area_code)]
        if not mine:
            continue
        await out.send_to(
            sup,
            texts.supervisor.OVERDUE + "\n".join(lines[t.id] for t in mine),  # type: ignore[index]
            [Choice(texts.supervisor.SEE_NUMBER.format(number=t.id), f"/phieu {t.id}") for t in mine[:5]],
            mine[0] if len(mine) == 1 else None,
        )


async def check_back(out: Outbound) -> None:
    """Some time after an answer: ask the cadre whether it solved the problem."""
    after = out.settings.followup.checkback_after_hours
    for t in await due.answered_without_checkback(out.session):
        if t.answered_at is None or out.deadlines.hours_between(t.answered_at, out.now) < after:
            continue
        assert t.id is not None
        t.checkback_sent_at = out.now
        days = out.settings.followup.autoclose_after_days
        await out.send_to_asker(
            t,
            texts.desk.CHECK_BACK.format(number=t.id, days=days),
            [Choice(texts.desk.DONE, f"/xong {t.id}"), Choice(texts.desk.NOT_YET, f"/chua {t.id}")],
        )
        await repo.add_event(out.session, t.id, "checkback", "bot", out.now)


async def auto_close(out: Outbound) -> None:
    """No reply to the check-back within the configured days: closed as resolved."""
    limit = out.now - timedelta(days=out.settings.followup.autoclose_after_days)
    for t in await due.checked_back_before(out.session, limit):
        assert t.id is not None
        t.status = TicketStatus.CLOSED
        t.closed_at = out.now
        await repo.add_event(out.session, t.id, "close", "bot", out.now, texts.desk.AUTO_CLOSE_EVENT)
        await out.send_to_asker(t, texts.desk.AUTO_CLOSED.format(number=t.id))
        if t.answered_at is not None:
            await ask_rating(out, t)


async def daily_digest(out: Outbound, today: date) -> None:
    """Each group: its open tickets, oldest first. Supervisors: yesterday's numbers, overdue."""
    tz = out.settings.timezone
    for group in out.settings.groups:
        tickets = await repo.open_tickets_of_group(out.session, group.key)
        key = f"group:{group.key}:{today.isoformat()}"
        if not tickets or not await due.claim_digest(out.session, key, out.now):
            continue
        lines = [fmt.line(t, out.settings, out.now) for t in tickets]
        await out.send_to_group(
            group,
            texts.desk.GROUP_DIGEST.format(group=group.name, today=today) + "\n".join(lines),
        )
    if not out.settings.supervisors or not await due.claim_digest(
        out.session, f"supervisors:{today.isoformat()}", out.now
    ):
        return
    # the previous working day: on Monday, Friday's numbers (the weekend's are counted with them)
    previous = today - timedelta(days=1)
    while not out.deadlines.is_working_day(previous) and (today - previous).days < 14:
        previous -= timedelta(days=1)
    start = datetime.combine(previous, time(0), tzinfo=tz)
    end = datetime.combine(today, time(0), tzinfo=tz)
    last = today - timedelta(days=1)
    span = texts.supervisor.DIGEST_DAY.format(day=previous) if previous == last else (
        texts.supervisor.DIGEST_DAYS.format(first=previous, last=last))
    overdue = await repo.overdue_tickets(out.session, out.now)
    # a supervisor limited to some areas gets the numbers of those areas only
    views: dict[frozenset[str] | None, list[Identity]] = {}
    for sup in sorted(out.settings.supervisors, key=str):
        views.setdefault(out.settings.supervisor_areas.get(sup), []).append(sup)
    for areas, supervisors in views.items():
        received, answered, closed = await due.day_counts(out.session, start, end, areas)
        late = [t for t in overdue if areas is None or t.area_code in areas]
        lines = [
            texts.supervisor.DIGEST_NUMBERS.format(span=span)
            + (texts.supervisor.DIGEST_AREAS.format(
                areas=", ".join(fmt.area_name(out.settings, a) for a in sorted(areas))) if areas else "")
            + texts.supervisor.DIGEST_COUNTS.format(received=received, answered=answered, closed=closed),
            texts.supervisor.DIGEST_OVERDUE.format(count=labels.count(len(late))),
        ]
        lines += [fmt.line(t, out.settings) for t in late[:20]]
        total, failed = await failed_deliveries(out.session, start, areas)
        lines += chat.delivery_lines(total, failed, span, tz)
        for sup in supervisors:
            await out.send_to(sup, "\n".join(lines))

