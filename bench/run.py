"""Time the supervisor reports on a generated database (see bench/generate.py).

Each command runs in its own process, through the same path as a chat message (Hotline.handle:
the transaction, the handler, the reply written to the outbox; for /xuat and /bieudo also the
report job that makes the file in the report process, as the bot's report worker does; the
first run starts that process), --repeat times; the script
prints the median, the fastest and slowest run, and the process's peak RSS (ru_maxrss) next to
its RSS before the first run, so the memory a report itself needs shows.

    .venv/bin/python bench/run.py                      # SQLite, data/bench.db
    .venv/bin/python bench/run.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bot.config import load_config  # noqa: E402
from handlers.core import Hotline  # noqa: E402
from handlers.messages import ChatRef, Identity, Inbound  # noqa: E402
from handlers.reports import jobs as report_jobs  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import OutboxMessage, ReportJob  # noqa: E402

DEFAULT_URL = "sqlite+aiosqlite:///data/bench.db"
SUPERVISOR = Identity("console", "lanhdao")


def periods(now: datetime, tz) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The last full calendar month, and the 365 days up to today."""
    today = now.astimezone(tz).date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    year_start = today - timedelta(days=364)
    return {
        "month": f"{last_month_end:%Y-%m}",
        "year": f"{year_start:%d/%m/%Y}-{today:%d/%m/%Y}",
    }


def commands(now: datetime, tz) -> dict[str, str]:  # type: ignore[no-untyped-def]
    p = periods(now, tz)
    return {
        "tongket-month": f"/tongket {p['month']}",
        "tongket-year": f"/tongket {p['year']}",
        "quahan": "/quahan",
        "xephang-month": f"/xephang {p['month']}",
        "xa-year": f"/xa Nam Đàn {p['year']}",
        "xuat-month": f"/xuat {p['month']}",
        "bieudo-year": f"/bieudo {p['year']}",
    }


class FixedClock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def one(args: argparse.Namespace) -> dict:
    """Run one command --repeat times in this process."""
    cfg = load_config(args.config)
    now = datetime.now(UTC)
    folder = tempfile.mkdtemp(prefix="hotline-bench-")
    settings = replace(cfg.settings(), reports_folder=folder)
    db = Database(args.url)
    await db.upgrade()  # as the bot does at start (a bench database may predate a migration)
    hotline = Hotline(db, settings, FixedClock(now), cfg.schedule.deadlines())
    text = commands(now, settings.timezone)[args.one]
    # imports that a running bot has already paid for (matplotlib, openpyxl) are not timed
    import matplotlib.figure  # noqa: F401
    import openpyxl  # noqa: F401

    pool = report_jobs.new_pool()  # kept between runs, as the bot's report worker keeps it
    before = rss_mb()
    times = []
    for _ in range(args.repeat):
        msg = Inbound(sender=SUPERVISOR, chat=ChatRef("console", "lanhdao"), text=text,
                      update_key=uuid.uuid4().hex)
        began = time.perf_counter()
        await hotline.handle(msg)
        await report_jobs.run_pending(db, settings, hotline.deadlines, hotline.clock, pool)
        times.append(time.perf_counter() - began)
    async with db.session() as session:
        q = select(OutboxMessage).where(OutboxMessage.chat_id == "lanhdao").order_by(OutboxMessage.id.desc())
        last = (await session.execute(q.limit(1))).scalar_one()
        # the bench database is not a live bot: its outbox is never sent, so keep it small
        await session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.chat_id == "lanhdao"))
        await session.execute(ReportJob.__table__.delete())
    await db.close()
    pool.shutdown()
    if last.text.startswith(("Xin lỗi", "Cách dùng", "⚠️")):
        raise SystemExit(f"{args.one} failed: {last.text}")
    return {
        "command": text,
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "rss_before_mb": before,
        "rss_peak_mb": rss_mb(),
        "first_line": last.text.splitlines()[0][:100],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--config", default="config.example.toml")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--one", help=argparse.SUPPRESS)
    p.add_argument("--only", nargs="*", help="some of: tongket-month tongket-year quahan xephang-month "
                   "xa-year xuat-month bieudo-year")
    args = p.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(one(args)), ensure_ascii=False))  # noqa: T201
        return
    names = args.only or list(commands(datetime.now(UTC), load_config(args.config).settings().timezone))
    print(f"{'command':<32} {'median':>9} {'min':>9} {'max':>9} {'RSS before':>11} {'RSS peak':>9}")  # noqa: T201
    for name in names:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--url", args.url, "--config", args.config,
             "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=False,
        )
        if out.returncode != 0:
            print(f"{name}: failed\n{out.stderr[-2000:]}")  # noqa: T201
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(  # noqa: T201
            f"{r['command'][:32]:<32} {r['median_ms']:>7.0f}ms {r['min_ms']:>7.0f}ms {r['max_ms']:>7.0f}ms "
            f"{r['rss_before_mb']:>9.0f}MB {r['rss_peak_mb']:>7.0f}MB   {r['first_line']}"
        )


if __name__ == "__main__":
    main()
