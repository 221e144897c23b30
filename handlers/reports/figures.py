"""The figures every report shows: a period's summary, the groups' league, one commune's
view, the weekly series of the chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.reports.hours import percentile, response_hours, working_hours_for
from handlers.reports.labels import group_name
from handlers.reports.periods import Period
from handlers.settings import Deadlines, HotlineSettings
from storage import reports as db
from storage.reports import Counts, add_counts


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
    areas = await db.ticket_counts(session, now, period, "area")
    total = add_counts(areas.values())
    by_area = _by_area(areas)
    communes = await db.top_communes(session, period, top)
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    response = response_hours(await db.response_moments(session, period), hours).get(None, [])
    overdue = await db.count_overdue(session, now, period.areas)
    deflected = await db.count_deflected(session, period)
    return Summary(period, total, by_area, communes, response, overdue, deflected)


def _by_area(counts: dict[str | None, Counts]) -> list[tuple[str, Counts]]:
    """Most questions first (an area's code is never None)."""
    return sorted(((k or "", c) for k, c in counts.items()), key=lambda kc: (-kc[1].received, kc[0]))


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
    counts = await db.ticket_counts(session, now, period, "group")
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    times = response_hours(await db.response_moments(session, period, "group"), hours)
    rows = [GroupRow(k, group_name(settings, k), c, times.get(k, [])) for k, c in counts.items()]
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
    areas = await db.ticket_counts(session, now, period, "area", commune_id)
    total = add_counts(areas.values())
    by_area = _by_area(areas)
    hours = working_hours_for(deadlines, period, now, settings.timezone)
    moments = await db.response_moments(session, period, commune_id=commune_id)
    response = response_hours(moments, hours).get(None, [])
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
    by_area: dict[str, list[int]] = {}
    on_time, decided = [0] * len(weeks), [0] * len(weeks)
    for w, area, n, ok, late in await db.weekly_counts(session, now, period, anchor):
        if w is None or not 0 <= w < len(weeks):
            continue
        by_area.setdefault(area, [0] * len(weeks))[w] += n
        on_time[w] += ok
        decided[w] += ok + late
    return WeeklySeries(weeks, by_area, on_time, decided)
