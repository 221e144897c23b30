"""The app's one APScheduler: the follow-up tick and the daily digests.

Jobs are module-level coroutines taking the app, with stable ids and replace_existing, so a
restart re-creates them instead of duplicating; what they send is recorded in the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import time
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import event

from handlers.context import Outbound
from handlers.desk import followups
from storage.models import OutboxMessage

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


async def _as_job(app: App, what: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run one job so that stopping the app waits for it: a job is never left running on a
    closed database (a traceback at exit), and one cut off only loses work the next start
    does again, since what jobs send is recorded in the same transaction."""
    if app.stopping:
        return
    task = asyncio.current_task()
    assert task is not None
    app.jobs.add(task)
    try:
        await work()
    except asyncio.CancelledError:  # the app stopped and its grace ran out
        log.info("%s cut off by shutdown; done at the next start", what)
    except Exception:
        log.exception("%s failed", what)
    finally:
        app.jobs.discard(task)
    app.sender.wake()


async def run_tick(app: App) -> None:
    """Reminders, deadline notices, escalations, check-backs, auto-close."""

    async def work() -> None:
        queued: list[OutboxMessage] = []
        async with app.db.session() as session:
            # counted as they are added: a flush during the tick empties session.new
            def count(_session: object, item: object) -> None:
                if isinstance(item, OutboxMessage):
                    queued.append(item)

            event.listen(session.sync_session, "transient_to_pending", count)
            await followups.tick(Outbound(session, app.hotline.settings, app.clock.now(), app.deadlines))
        app.metrics.followups.inc(len(queued))

    await _as_job(app, "follow-up tick", work)


async def run_digest(app: App) -> None:
    """The morning digests, on working days only."""
    now = app.clock.now()
    today = now.astimezone(app.settings.timezone).date()
    if not app.is_working_day(today):
        return

    async def work() -> None:
        async with app.db.session() as session:
            await followups.daily_digest(Outbound(session, app.hotline.settings, now, app.deadlines), today)

    await _as_job(app, "daily digest", work)


def build_scheduler(app: App) -> AsyncIOScheduler:
    cfg = app.cfg.schedule
    scheduler = AsyncIOScheduler(timezone=app.settings.timezone)
    scheduler.add_job(
        run_tick, "interval", seconds=cfg.tick_seconds, args=[app], id="followups-tick",
        replace_existing=True, max_instances=1, coalesce=True,
    )
    hour, minute = (int(part) for part in cfg.digest_time.split(":"))
    scheduler.add_job(
        run_digest, CronTrigger(hour=hour, minute=minute, timezone=app.settings.timezone),
        args=[app], id="daily-digest", replace_existing=True, max_instances=1, coalesce=True,
    )
    # Started after today's digest time (a restart in the morning): send today's now. The
    # in-memory job store forgets missed runs; DigestLog makes a second send impossible.
    local = app.clock.now().astimezone(app.settings.timezone)
    if local.time() >= time(hour, minute):
        scheduler.add_job(run_digest, args=[app], id="daily-digest-catch-up", replace_existing=True)
    return scheduler
