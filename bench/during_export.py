"""How long other users wait while a supervisor's monthly /xuat is being made.

A probe message (/quahan from a supervisor: a full handler transaction, which on SQLite takes
the write lock) is handled every 50 ms while the export runs, and its latency recorded:
- `job`: the export as the bot makes it now, a report job in a child process on its own engine
  (started for the job: the bot keeps it between jobs);
- `inline`: the earlier design for comparison, the workbook written inside a handler's
  transaction on the event loop.

    .venv/bin/python bench/during_export.py                 # SQLite, data/bench.db
    .venv/bin/python bench/during_export.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_bench
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import DEFAULT_URL, SUPERVISOR, FixedClock, periods  # noqa: E402
from bot.config import load_config  # noqa: E402
from handlers.core import Hotline  # noqa: E402
from handlers.messages import ChatRef, Inbound  # noqa: E402
from handlers.reports import excel, jobs  # noqa: E402
from handlers.reports.periods import parse_period  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import OutboxMessage, ReportJob  # noqa: E402


def message(text: str) -> Inbound:
    return Inbound(sender=SUPERVISOR, chat=ChatRef("console", "lanhdao"), text=text,
                   update_key=uuid.uuid4().hex)


async def probe_while(hotline: Hotline, work: asyncio.Task[object]) -> list[float]:
    latencies = []
    while not work.done():
        began = time.perf_counter()
        await hotline.handle(message("/quahan"))
        latencies.append(time.perf_counter() - began)
        await asyncio.sleep(0.05)
    await work
    return latencies


async def main(args: argparse.Namespace) -> None:
    cfg = load_config(args.config)
    now = datetime.now(UTC)
    settings = replace(cfg.settings(), reports_folder=tempfile.mkdtemp(prefix="hotline-bench-"))
    db = Database(args.url)
    await db.upgrade()  # as the bot does at start (a bench database may predate a migration)
    clock = FixedClock(now)
    hotline = Hotline(db, settings, clock, cfg.schedule.deadlines())
    month = periods(now, settings.timezone)["month"]
    import matplotlib.figure  # noqa: F401  (paid for once by a running bot)
    import openpyxl  # noqa: F401

    idle = await probe_while(hotline, asyncio.create_task(asyncio.sleep(2)))

    async def job() -> None:
        await hotline.handle(message(f"/xuat {month}"))
        await jobs.run_pending(db, settings, hotline.deadlines, clock)

    async def inline() -> None:
        period = parse_period(month, now, settings.timezone, "", "")
        path = Path(settings.reports_folder) / "inline.xlsx"
        async with db.session() as session:
            await excel.write_workbook(session, settings, hotline.deadlines, now, period, path)

    print(f"{'probe /quahan':<24} {'probes':>6} {'median':>8} {'p95':>8} {'max':>8}  export")  # noqa: T201
    for name, work in (("idle", None), ("during /xuat (job)", job), ("during /xuat (inline)", inline)):
        began = time.perf_counter()
        lat = idle if work is None else await probe_while(hotline, asyncio.create_task(work()))
        took = "" if work is None else f"{time.perf_counter() - began:.1f} s"
        ms = sorted(x * 1000 for x in lat)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        line = f"{name:<24} {len(ms):>6} {statistics.median(ms):>6.0f}ms {p95:>6.0f}ms {ms[-1]:>6.0f}ms"
        print(f"{line}  {took}")  # noqa: T201

    async with db.session() as session:  # the bench database is not a live bot
        await session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.chat_id == "lanhdao"))
        await session.execute(ReportJob.__table__.delete())
    await db.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--config", default="config.example.toml")
    asyncio.run(main(p.parse_args()))
