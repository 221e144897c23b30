"""Report files (/xuat, /bieudo) made after the request's transaction, not inside it.

The command only records a ReportJob and says the file is coming. `run_pending` (the app's
report worker, or a test) then makes the file in a worker thread, on its own read-only engine:
neither the SQLite write lock nor the event loop waits for openpyxl or matplotlib, so other
cadres and groups are served meanwhile. The file goes out through the outbox like any message.
A job cut off by a crash is taken up again at the next start; one that was cut off
MAX_ATTEMPTS times, or fails, ends with an apology to the supervisor instead of silence.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from handlers import report_files
from handlers.context import Ctx, Outbound
from handlers.errors import HotlineError
from handlers.messages import ChatRef
from handlers.reports import Period
from handlers.settings import Clock, Deadlines, HotlineSettings
from storage.db import Database
from storage.models import ReportJob

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2
WHAT = {"xuat": "báo cáo Excel", "bieudo": "biểu đồ"}
FAILED = (
    "⚠️ Không lập được {what} {label} do lỗi hệ thống. "
    "Xin thử lại sau; nếu vẫn lỗi, xin báo quản trị viên."
)


async def request(ctx: Ctx, kind: str, period: Period) -> None:
    chat = ctx.msg.chat
    ctx.session.add(ReportJob(
        kind=kind, channel=chat.channel, chat_id=chat.chat_id, chat_kind=chat.kind,
        thread_id=chat.thread_id, requester=str(ctx.msg.sender),
        period_start=period.start, period_end=period.end, period_label=period.label,
        period_slug=period.slug,
        areas=None if period.areas is None else " ".join(sorted(period.areas)),
        requested_at=ctx.now,
    ))
    await ctx.reply(f"⏳ Đang lập {WHAT[kind]} {period.label}; tệp sẽ được gửi vào đây khi xong.")


async def run_pending(db: Database, settings: HotlineSettings, deadlines: Deadlines, clock: Clock) -> int:
    """Make every waiting report, oldest first, one at a time; returns how many were handled."""
    handled = 0
    while (job := await _claim(db, settings, deadlines, clock)) is not None:
        await _run(job, db, settings, deadlines, clock)
        handled += 1
    return handled


async def _claim(
    db: Database, settings: HotlineSettings, deadlines: Deadlines, clock: Clock
) -> ReportJob | None:
    """The oldest pending job, its attempt counted first (committed before the work starts)."""
    async with db.session() as session:
        while True:
            job = (await session.execute(
                select(ReportJob).where(ReportJob.status == "pending").order_by(ReportJob.id).limit(1)
            )).scalar_one_or_none()
            if job is None:
                return None
            if job.attempts < MAX_ATTEMPTS:
                job.attempts += 1
                return job
            log.error("report job %s given up after %s interrupted attempts", job.id, job.attempts)
            out = Outbound(session, settings, clock.now(), deadlines)
            await _finish(out, job, "failed", _failed(job), None)


async def _run(
    job: ReportJob, db: Database, settings: HotlineSettings, deadlines: Deadlines, clock: Clock
) -> None:
    period = Period(
        job.period_start, job.period_end, job.period_label, job.period_slug,  # type: ignore[arg-type]
        None if job.areas is None else frozenset(job.areas.split()),
    )
    make = report_files.make_export if job.kind == "xuat" else report_files.make_chart
    file: tuple[str, str] | None = None
    status = "done"
    try:
        # asyncio.run in a thread: the file is made on its own loop and engine, off ours
        text, file = await asyncio.to_thread(
            asyncio.run, make(db.url, settings, deadlines, clock.now(), period)
        )
    except HotlineError as err:  # e.g. a period too large to send through a chat
        text = err.text
    except Exception:
        log.exception("report job %s (%s) failed", job.id, job.kind)
        text, status = _failed(job), "failed"
    async with db.session() as session:
        stored = await session.get(ReportJob, job.id)
        assert stored is not None
        await _finish(Outbound(session, settings, clock.now(), deadlines), stored, status, text, file)


async def _finish(
    out: Outbound, job: ReportJob, status: str, text: str, file: tuple[str, str] | None
) -> None:
    job.status = status
    job.finished_at = out.now
    await out.send(ChatRef(job.channel, job.chat_id, job.chat_kind, job.thread_id), text, file=file)  # type: ignore[arg-type]


def _failed(job: ReportJob) -> str:
    return FAILED.format(what=WHAT.get(job.kind, "báo cáo"), label=job.period_label)
