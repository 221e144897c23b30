"""How fast routing is: one question's classification, and retraining on a large desk history.

- classification: `Router.decide` on the event loop, for the questions of
  tests/data/routing_eval.tsv and as many variants, with the model trained from the example
  config (p50 / p99 / max), in wall time and in the thread's CPU time (which a loaded machine
  inflates less: the goal, p99 < 5 ms, is CPU);
- retraining: N labelled tickets (default 50,000; made from the seed examples with varied
  wording, some without diacritics, some joined in pairs, 5% transferred) in a fresh SQLite
  database, retrained by the report worker in its child process while a probe message (/quahan
  from a supervisor, a full handler transaction) is handled every 50 ms, as bench/during_export.py
  does; the probe's latency idle and during the training.

    .venv/bin/python bench/routing.py [--tickets 50000]   # --tickets 0: classification only
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import SUPERVISOR, FixedClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.report_worker import ReportWorker  # noqa: E402
from bot.route_learner import RouteLearner  # noqa: E402
from handlers.core import Hotline  # noqa: E402
from handlers.intake import route_learning, route_model  # noqa: E402
from handlers.messages import ChatRef, Inbound  # noqa: E402
from handlers.textutil import fold  # noqa: E402
from storage.db import Database  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OPENERS = ("", "Xin hỏi ", "Kính gửi tổ công tác, ", "Cho em hỏi ", "Đề nghị hướng dẫn: ", "Xã em hỏi: ")
CLOSERS = ("", " Xin cảm ơn.", " Mong được hướng dẫn sớm.", " (xã mới sau sáp nhập)", " Gấp ạ.")


def variant(rng: random.Random, questions: list[str]) -> str:
    text = rng.choice(OPENERS) + rng.choice(questions) + rng.choice(CLOSERS)
    if rng.random() < 0.15:
        text += " " + rng.choice(questions)
    return fold(text) if rng.random() < 0.3 else text


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, ms: list[float]) -> str:
    return (f"{name:<30} {len(ms):>6} {statistics.median(ms):>7.2f}ms {pct(ms, 0.99):>7.2f}ms "
            f"{max(ms):>7.2f}ms")


async def fill(db: Database, areas, n: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    by_area = {a.code: list(a.examples) for a in areas if a.examples}
    codes = list(by_area)
    now = datetime.now(UTC).replace(tzinfo=None)
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO user (id, identity, name, position, status, created_at) "
            "VALUES (1, 'console:bench', 'Bench', 'Công chức', 'active', ?)", (now,))
        rows = []
        for i in range(1, n + 1):
            code = rng.choice(codes)
            routed_by = "transfer" if rng.random() < 0.05 else rng.choice(("auto", "cadre"))
            rows.append((i, 1, "console:bench", code, routed_by, "closed", variant(rng, by_area[code]),
                         now, now))
        await conn.exec_driver_sql(
            "INSERT INTO ticket (id, asker_id, asker_chat, area_code, routed_by, status, question, "
            "created_at, first_response_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


async def probe_while(hotline: Hotline, work: asyncio.Task[object]) -> list[float]:
    latencies = []
    while not work.done():
        began = time.perf_counter()
        await hotline.handle(Inbound(sender=SUPERVISOR, chat=ChatRef("console", "lanhdao"),
                                     text="/quahan", update_key=uuid.uuid4().hex))
        latencies.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.05)
    await work
    return latencies


async def main(args: argparse.Namespace) -> None:
    cfg = load_config(args.config)
    settings = cfg.settings()
    areas = settings.areas
    rng = random.Random(args.seed)

    model = route_model.train(areas, route_model.seed_examples(areas))
    settings.router.model = model
    cases = [c.question for c in route_learning.read_cases(ROOT / "tests/data/routing_eval.tsv")]
    questions = cases + [variant(rng, cases) for _ in cases] + ["😀🙏", "đất " * 1700]
    timings, cpu = [], []
    for q in questions * 3:
        began, began_cpu = time.perf_counter(), time.thread_time()
        settings.router.decide(q, areas)
        cpu.append((time.thread_time() - began_cpu) * 1000)
        timings.append((time.perf_counter() - began) * 1000)
    print(f"{'':<30} {'n':>6} {'median':>9} {'p99':>9} {'max':>9}")  # noqa: T201
    print(line("classify (Router.decide)", timings))  # noqa: T201
    print(line("classify, thread CPU", cpu))  # noqa: T201
    if not args.tickets:
        return

    with tempfile.TemporaryDirectory(prefix="hotline-routing-bench-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await db.upgrade()
        began = time.perf_counter()
        await fill(db, areas, args.tickets, rng)
        print(f"made {args.tickets} labelled tickets in {time.perf_counter() - began:.1f} s")  # noqa: T201
        hotline = Hotline(db, settings, FixedClock(datetime.now(UTC)), cfg.schedule.deadlines())
        learner = RouteLearner(hotline, f"{tmp}/routing.pickle", every=20)
        worker = ReportWorker(hotline, on_done=lambda: None, learner=learner)
        try:
            idle = await probe_while(hotline, asyncio.create_task(asyncio.sleep(3)))
            began = time.perf_counter()
            during = await probe_while(hotline, asyncio.create_task(worker.learn()))
            took = time.perf_counter() - began
            size = Path(f"{tmp}/routing.pickle").stat().st_size
            began = time.perf_counter()
            route_model.load(Path(f"{tmp}/routing.pickle"), areas)
            load_ms = (time.perf_counter() - began) * 1000
        finally:
            await worker.stop()
            await db.close()
    print(line("probe /quahan, idle", idle))  # noqa: T201
    print(line("probe /quahan, retraining", during))  # noqa: T201
    print(f"retraining on {args.tickets} tickets in the report process: {took:.1f} s "  # noqa: T201
          f"(process start and imports included)")
    print(f"model file {size / 1e6:.1f} MB, loaded in {load_ms:.0f} ms (in a thread of the bot)")  # noqa: T201


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="config.example.toml")
    p.add_argument("--tickets", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=7)
    asyncio.run(main(p.parse_args()))
