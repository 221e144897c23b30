"""The figures every report shows: a period's summary, the groups' league, one commune's
view, the weekly series of the chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.reports.hours import percentile, working_hours_for
from handlers.reports.labels import group_name
from handlers.reports.periods import Period
from handlers.reports.queries import (
    Counts,
    add_counts,
    count_deflected,
    count_if,
    count_overdue,
    epoch,
    floor_int,
    grouped_counts,
    in_period,
    is_late,
    is_on_time,
    response_hours,
)
from handlers.settings import Deadlines, HotlineSettings
from storage.models import Ticket


@dataclass
class Summary:
    period: Period
    counts: Counts
    by_area: list[tuple[str, Counts]]  # most questions first
    top_communes: list[tuple[int | None, int]]
    response: list[float]  # sorted working hours
    overdue_everywhere: int  # all tickets overdue now, whenever received
    deflected: int = 0  # questions the handbook answered, so no ticket was opened

    @property
    def median(self) -> float | None:
        return percentile(self.response, 0.5)

    @property
    def p90(self) -> float | None:
        return percentile(self.response, 0.9)


async def summary(
    session: AsyncSession, settings: HotlineSettings, deadlines: Deadlines, now: datetime,
    period: Period, top: int = 5,
) -> Summary:
    where = in_period(period)
    areas = await grouped_counts(session, now, where, Ticket.area_code)
    total = add_counts(areas.values())
    by_area = sorted(((k[0], c) for k, c in areas.items()), key=lambda kc: (-kc[1].received, kc[0]))
    q = (
        select(Ticket.commune_id, func.count().label("n"))
        .where(where)
        .group_by(Ticket.commune_id)
        .order_by(func.count().desc(), Ticket.commune_id)
        .limit(top)
    )
    communes = [(cid, int(n)) for cid, n in (await session.execute(q)).all()]
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    response = (await response_hours(session, period, None, hours)).get((), [])
    overdue = await count_overdue(session, now, period.areas)
    deflected = await count_deflected(session, period)
    return Summary(period, total, by_area, communes, response, overdue, deflected)


@dataclass
class GroupRow:
    key: str | None
    name: str
    counts: Counts
    response: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return percentile(self.response, 0.5)


def rank_groups(rows: Iterable[GroupRow]) -> list[GroupRow]:
    """Best on-time share first, then the quicker median; groups with nothing decided last."""

    def key(r: GroupRow) -> tuple[bool, float, bool, float, str]:
        share = r.counts.on_time_share
        median = r.median
        return (share is None, -(share or 0.0), median is None, median or 0.0, r.name)

    return sorted(rows, key=key)


async def league(
    session: AsyncSession, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period
) -> list[GroupRow]:
    where = in_period(period)
    counts = await grouped_counts(session, now, where, Ticket.group_key)
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    times = await response_hours(session, period, None, hours, Ticket.group_key)
    rows = [
        GroupRow(k[0], group_name(settings, k[0]), c, times.get(k, [])) for k, c in counts.items()
    ]
    return rank_groups(rows)


@dataclass
class CommuneReport:
    commune_id: int
    counts: Counts
    by_area: list[tuple[str, Counts]]
    response: list[float]

    @property
    def median(self) -> float | None:
        return percentile(self.response, 0.5)


async def commune_report(
    session: AsyncSession, settings: HotlineSettings, deadlines: Deadlines, now: datetime,
    period: Period, commune_id: int,
) -> CommuneReport:
    where = and_(in_period(period), Ticket.commune_id == commune_id)
    areas = await grouped_counts(session, now, where, Ticket.area_code)
    total = add_counts(areas.values())
    by_area = sorted(((k[0], c) for k, c in areas.items()), key=lambda kc: (-kc[1].received, kc[0]))
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    response = (await response_hours(session, period, Ticket.commune_id == commune_id, hours)).get((), [])
    return CommuneReport(commune_id, total, by_area, response)


@dataclass
class WeeklySeries:
    """Tickets per week (Monday-based, local time) by area, and the on-time share per week."""

    weeks: list[date]
    by_area: dict[str, list[int]]
    on_time: list[int]
    decided: list[int]


async def weekly(
    session: AsyncSession, settings: HotlineSettings, now: datetime, period: Period
) -> WeeklySeries:
    tz = settings.timezone
    first, last = period.days(tz)
    last = min(last, now.astimezone(tz).date())
    monday = first - timedelta(days=first.weekday())
    weeks: list[date] = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    anchor = datetime.combine(weeks[0] if weeks else first, time(0), tzinfo=tz).timestamp()
    week = floor_int((epoch(Ticket.created_at) - anchor) / (7 * 86400)).label("week")
    q = (
        select(week, Ticket.area_code, func.count(), count_if(is_on_time()), count_if(is_late(now)))
        .where(in_period(period))
        .group_by(week, Ticket.area_code)
    )
    by_area: dict[str, list[int]] = {}
    on_time, decided = [0] * len(weeks), [0] * len(weeks)
    for w, area, n, ok, late in (await session.execute(q)).all():
        if w is None or not 0 <= int(w) < len(weeks):
            continue
        by_area.setdefault(area, [0] * len(weeks))[int(w)] += int(n)
        on_time[int(w)] += int(ok)
        decided[int(w)] += int(ok) + int(late)
    return WeeklySeries(weeks, by_area, on_time, decided)
