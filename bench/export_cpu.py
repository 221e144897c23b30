"""The monthly workbook alone, in this process: `export_file` for the last full month of the
bench database (see bench/generate.py), timed in CPU seconds (`time.process_time`, which the
machine's other load inflates far less than wall time) and wall seconds. Not a test.

    .venv/bin/python bench/export_cpu.py [--url …] [--repeat 3] [--profile /tmp/export.prof]

With --profile one more run goes under cProfile and the top functions are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import periods  # noqa: E402
from bot.config import load_config  # noqa: E402
from handlers.reports.excel import export_file  # noqa: E402
from handlers.reports.periods import parse_period  # noqa: E402

DEFAULT_URL = "sqlite+aiosqlite:///data/bench.db"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--config", default="config.example.toml")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--profile", help="write a cProfile of one more run here")
    args = p.parse_args()
    cfg = load_config(args.config)
    settings, deadlines = cfg.settings(), cfg.schedule.deadlines()
    now = datetime.now(UTC)
    month = periods(now, settings.timezone)["month"]
    period = parse_period(month, now, settings.timezone, month, "")
    folder = Path(tempfile.mkdtemp(prefix="hotline-export-"))

    def once(i: int) -> tuple[float, float, int]:
        cpu, wall = time.process_time(), time.perf_counter()
        result = asyncio.run(export_file(args.url, settings, deadlines, now, period, folder / f"{i}.xlsx"))
        return time.process_time() - cpu, time.perf_counter() - wall, result.rows

    runs = [once(i) for i in range(args.repeat)]
    cpu, wall = [r[0] for r in runs], [r[1] for r in runs]
    print(f"{month}: {runs[0][2]:,} rows; load average {os.getloadavg()[0]:.1f}")  # noqa: T201
    print(f"CPU  median {statistics.median(cpu):.2f} s ({min(cpu):.2f}–{max(cpu):.2f})")  # noqa: T201
    print(f"wall median {statistics.median(wall):.2f} s ({min(wall):.2f}–{max(wall):.2f})")  # noqa: T201
    if args.profile:
        cProfile.runctx("once(-1)", globals(), {"once": once}, args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
