"""Report files (/xuat, /bieudo) made after the request's transaction, not inside it.

The command only records a ReportJob and says the file is coming. `run_pending` (the app's
report worker, or a test) then makes the file in a child process, on its own read-only engine:
neither the SQLite write lock nor the event loop waits for the workbook writer or matplotlib, so other
cadres and groups are served meanwhile. A process, not a thread: in a thread the export's
pure-Python row loop held the GIL and a 30 ms handler took up to a second (bench/README.md).
The app keeps one such process warm between jobs (bot/report_worker.py); if it dies (out of
memory, killed) the job counts as cut off and is tried again. The file goes out through the
outbox like any message.
A job cut off by a crash is taken up again at the next start; one that was cut off
MAX_ATTEMPTS times, or fails, ends with an apology to the supervisor instead of silence.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from handlers.context import Ctx, Outbound
from handlers.errors import HotlineError
from handlers.messages import ChatRef
from handlers.reports import chart, excel
from handlers.reports.periods import Period
from handlers.settings import Clock, Deadlines, HotlineSettings
from handlers.texts import reports as t
from storage import repo
from storage.db import Database
from storage.models import ReportJob
from storage.reports import oldest_pending_job

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2


async def request(ctx: Ctx, kind: str, period: Period) -> None:
    chat = ctx.msg.chat
    repo.add_report_job(ctx.session, ReportJob(
        kind=kind, channel=chat.channel, chat_id=chat.chat_id, chat_kind=chat.kind,
        thread_id=chat.thread_id, requester=str(ctx.msg.sender),
        period_start=period.start, period_end=period.end, period_label=period.label,
        period_slug=period.slug,
        areas=None if period.areas is None else " ".join(sorted(period.areas)),
        requested_at=ctx.now,
    ))
    await ctx.reply(t.PREPARING.format(what=t.WHAT[kind], label=period.label))


def new_pool() -> ProcessPoolExecutor:
    # spawn, not fork: the bot's process has an event loop and threads running
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


async def run_pending(
    db: Database, settings: HotlineSettings, deadlines: Deadlines, clock: Clock,
    pool: ProcessPoolExecutor | None = None,
) -> int:
    """Make every waiting report, oldest first, one at a time; returns how many were handled.

    Without a pool, one is made for this call. BrokenProcessPool escapes (the child died): the
    job stays pending, its attempt counted, for the caller to retry with a new pool."""
    own = pool is None
    pool = pool or new_pool()
    handled = 0
    try:
        while (job := await _claim(db, settings, deadlines, clock)) is not None:
            await _run(job, pool, db, settings, deadlines, clock)
            handled += 1
    finally:
        if own:
            pool.shutdown(wait=False)
    return handled


async def _claim(
    db: Database, settings: HotlineSettings, deadlines: Deadlines, clock: Clock
) -> ReportJob | None:
    """The oldest pending job, its attempt counted first (committed before the work starts)."""
    async with db.session() as session:
        while True:
            job = await oldest_pending_job(session)
            if job is None:
                return None
            if job.attempts < MAX_ATTEMPTS:
                job.attempts += 1
                return job
            log.error("report job %s given up after %s interrupted attempts", job.id, job.attempts)
            out = Outbound(session, settings, clock.now(), deadlines)
            await _finish(out, job, "failed", _failed(job), None)


async def _run(
    job: ReportJob, pool: ProcessPoolExecutor,
    db: Database, settings: HotlineSettings, deadlines: Deadlines, clock: Clock,
) -> None:
    period = Period(
        job.period_start, job.period_end, job.period_label, job.period_slug,  # type: ignore[arg-type]
        None if job.areas is None else frozenset(job.areas.split()),
    )
    file: tuple[str, str] | None = None
    status = "done"
    try:
        text, file = await asyncio.get_running_loop().run_in_executor(
            pool, make_file, job.kind, db.url, settings, deadlines, clock.now(), period
        )
    except HotlineError as err:  # e.g. a period too large to send through a chat
        text = err.text
    except BrokenProcessPool:
        log.error("report job %s (%s): the report process died", job.id, job.kind)
        raise
    except Exception:
        log.exception("report job %s (%s) failed", job.id, job.kind)
        text, status = _failed(job), "failed"
    async with db.session() as session:
        assert job.id is not None
        stored = await repo.get_report_job(session, job.id)
        assert stored is not None
        await _finish(Outbound(session, settings, clock.now(), deadlines), stored, status, text, file)


async def _finish(
    out: Outbound, job: ReportJob, status: str, text: str, file: tuple[str, str] | None
) -> None:
    job.status = status
    job.finished_at = out.now
    await out.send(ChatRef(job.channel, job.chat_id, job.chat_kind, job.thread_id), text, file=file)  # type: ignore[arg-type]


def make_file(
    kind: str, url: str, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period
) -> tuple[str, tuple[str, str]]:
    """In the child process: the caption and (path, document|photo) of one report."""
    make = excel.make_export if kind == "xuat" else chart.make_chart
    return asyncio.run(make(url, settings, deadlines, now, period))


def _failed(job: ReportJob) -> str:
    return t.JOB_FAILED.format(what=t.WHAT.get(job.kind, t.A_REPORT), label=job.period_label)
