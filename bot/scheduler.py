"""The app's one APScheduler: the follow-up tick and the daily digests.

Jobs are module-level coroutines taking what they need (the hotline, which owns the runtime
settings, and the `Jobs` they run under), with stable ids and replace_existing, so a restart
re-creates them instead of duplicating; what they send is recorded in the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Outbound
from handlers.core import Hotline
from handlers.desk import followups
from storage import repo

log = logging.getLogger(__name__)


class Jobs:
    """The scheduler's jobs running now, so that stopping the app waits for them: a job is
    never left running on a closed database (a traceback at exit), and one cut off only loses
    work the next start does again, since what jobs send is recorded in the same transaction."""

    def __init__(self, stopping: Callable[[], bool], sent: Callable[[], None]):
        self.stopping = stopping  # no job starts once the app is stopping
        self.sent = sent  # wakes the sender after a job
        self.running: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self.running)

    async def run(self, what: str, work: Callable[[], Awaitable[None]]) -> None:
        if self.stopping():
            return
        task = asyncio.current_task()
        assert task is not None
        self.running.add(task)
        try:
            await work()
        except asyncio.CancelledError:  # the app stopped and its grace ran out
            log.info("%s cut off by shutdown; done at the next start", what)
        except Exception:
            log.exception("%s failed", what)
        finally:
            self.running.discard(task)
        self.sent()

    async def finish(self, grace: float = 5.0) -> None:
        """Before the scheduler's shutdown, which cancels running jobs at once: let them end,
        cut off the late ones."""
        if self.running:
            _, late = await asyncio.wait(set(self.running), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=grace)


def _outbound(hotline: Hotline, session: AsyncSession, now: datetime) -> Outbound:
    # the settings of this moment: group bindings change at runtime
    return Outbound(session, hotline.settings, now, hotline.deadlines)


async def run_tick(hotline: Hotline, jobs: Jobs, counted: Callable[[int], None]) -> None:
    """Reminders, deadline notices, escalations, check-backs, auto-close; `counted` gets the
    number of messages the tick queued."""

    async def work() -> None:
        async with hotline.db.session() as session:
            await followups.tick(_outbound(hotline, session, hotline.clock.now()))
            queued = repo.queued(session)
        counted(queued)

    await jobs.run("follow-up tick", work)


async def run_digest(hotline: Hotline, jobs: Jobs) -> None:
    """The morning digests, on working days only (every day when business hours are off)."""
    now = hotline.clock.now()
    today = now.astimezone(hotline.settings.timezone).date()
    if not hotline.deadlines.is_working_day(today):
        return

    async def work() -> None:
        async with hotline.db.session() as session:
            await followups.daily_digest(_outbound(hotline, session, now), today)

    await jobs.run("daily digest", work)


def build_scheduler(
    hotline: Hotline, jobs: Jobs, tick_seconds: float, digest_time: str, counted: Callable[[int], None]
) -> AsyncIOScheduler:
    zone = hotline.settings.timezone
    scheduler = AsyncIOScheduler(timezone=zone)
    scheduler.add_job(
        run_tick, "interval", seconds=tick_seconds, args=[hotline, jobs, counted], id="followups-tick",
        replace_existing=True, max_instances=1, coalesce=True,
    )
    hour, minute = (int(part) for part in digest_time.split(":"))
    scheduler.add_job(
        run_digest, CronTrigger(hour=hour, minute=minute, timezone=zone),
        args=[hotline, jobs], id="daily-digest", replace_existing=True, max_instances=1, coalesce=True,
    )
    # Started after today's digest time (a restart in the morning): send today's now. The
    # in-memory job store forgets missed runs; DigestLog makes a second send impossible.
    local = hotline.clock.now().astimezone(zone)
    if local.time() >= time(hour, minute):
        scheduler.add_job(run_digest, args=[hotline, jobs], id="daily-digest-catch-up", replace_existing=True)
    return scheduler
