"""End-to-end throughput of the hot path against the fake Telegram server, beside a bare aiogram bot.

The fake Bot API (tests/fakes/telegram_server.py) runs in this process; the bot runs in its own
process exactly as `hotline run --config …` does (polling, Telegram limits lifted so that the bot
itself is measured). Registered cadres are written to the database first. Then:

- burst: every cadre asks one question at once; questions/s until every ack and every card
  has reached the server, and the bot process's CPU time per question;
- offered 10/s and 20/s: questions at that pace; latency question → ack, p50 / p99;
- the same for a bare aiogram bot (one handler: the ack, then a card to the group: two
  sequential sends) against the same server, in the same run;
- the floor: the same database doing one transaction of ticket + event + 2 outbox rows, in a row.

    .venv/bin/python bench/throughput.py                 # SQLite (a temporary file)
    .venv/bin/python bench/throughput.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from storage.communes import seed_communes  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Commune, OutboxMessage, Ticket, TicketEvent, User  # noqa: E402
from tests.fakes.telegram_server import TOKEN, FakeTelegram  # noqa: E402

LAND = -1001
QUESTION = "Xin hỏi hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm gì? ({})"
FIRST_UID = 100_000  # the registered cadres
BARE_UID = 900_000  # who writes to the bare bot

BARE_BOT = """
import asyncio, sys
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

async def main() -> None:
    bot = Bot(sys.argv[2], session=AiohttpSession(api=TelegramAPIServer.from_base(sys.argv[1])))
    dp = Dispatcher()

    @dp.message()
    async def ack(message: Message) -> None:
        await message.answer("Đã nhận câu hỏi, số phiếu #1.")
        await bot.send_message(int(sys.argv[3]), "📩 Phiếu #1")

    await dp.start_polling(bot, handle_signals=True)

asyncio.run(main())
"""


def show(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class TimedTelegram(FakeTelegram):
    """The fake server, noting when each message reached it."""

    def __init__(self) -> None:
        super().__init__()
        # kept as they arrive: the waits below look every 5 ms, and a scan of everything
        # received per look made this process (the server's) busy for a whole burst
        self.acked: dict[str, float] = {}  # chat_id → monotonic time of its first ack
        self.cards: list[float] = []  # monotonic times of the cards into the group

    def clear(self) -> None:
        self.acked.clear()
        self.cards.clear()

    def _record(self, method: str, params: dict[str, Any], text: str):  # type: ignore[no-untyped-def]
        chat, now = str(params["chat_id"]), time.monotonic()
        if chat == str(LAND):
            self.cards.append(now)
        elif "số phiếu #" in text:
            self.acked.setdefault(chat, now)
        return super()._record(method, params, text)


def config_text(url: str, base: str) -> str:
    return f"""
[database]
url = "{url}"
[telegram]
token = "{TOKEN}"
api_base = "{base}"
max_per_second = 0
max_per_chat_per_second = 0
max_per_group_per_minute = 0
[console]
enabled = false
[registration]
policy = "open"
[limits]
flood_per_minute = 0
[schedule]
business_hours = false
[[areas]]
code = "dat_dai"
name = "Đất đai"
keywords = ["đất", "sổ đỏ"]
[[areas]]
code = "khac"
name = "Khác"
[[groups]]
channel = "telegram"
chat_id = {LAND}
name = "Tổ Đất đai"
areas = ["dat_dai", "khac"]
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def prepare(url: str, cadres: int) -> None:
    db = Database(url)
    if not db.is_sqlite:
        await db.drop_all()
    await db.upgrade()
    async with db.session() as s:
        await seed_communes(s)
    async with db.session() as s:
        commune = (await s.execute(select(Commune.id).limit(1))).scalar_one()
        now = datetime.now(UTC)
        for uid in range(FIRST_UID, FIRST_UID + cadres + 1):
            s.add(User(identity=f"telegram:{uid}", name=f"Cán bộ {uid}", commune_id=commune,
                       position="Công chức", status="active", created_at=now))
    await db.close()


async def floor(url: str, n: int) -> float:
    """Transactions/s of the minimal durable question: ticket + event + two outbox rows."""
    db = Database(url)
    async with db.session() as s:
        asker = (await s.execute(select(User.id).limit(1))).scalar_one()
    start = time.perf_counter()
    for i in range(n):
        now = datetime.now(UTC)
        async with db.session() as s:
            ticket = Ticket(asker_id=asker, asker_chat="telegram:1", area_code="dat_dai",
                            question=f"floor {i}", created_at=now)
            s.add(ticket)
            await s.flush()
            s.add(TicketEvent(ticket_id=ticket.id, kind="question", actor="x", text="q", at=now))
            for chat in ("1", str(LAND)):
                s.add(OutboxMessage(channel="telegram", chat_id=chat, text="x", ticket_id=ticket.id,
                                    status="sent", created_at=now, next_attempt_at=now))
    rate = n / (time.perf_counter() - start)
    await db.close()
    return rate


class Run:
    """One bot process (the project's or the bare one) against the server."""

    def __init__(self, server: TimedTelegram, argv: list[str], first_uid: int):
        self.server = server
        # the bot's log goes to a file: a pipe nobody reads would stall the bot once full
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log)
        self.next_uid = first_uid

    async def wait(self, check, what: str, timeout: float = 300.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not check():
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"bot exited: {self.log.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            await asyncio.sleep(0.005)

    def ask(self) -> tuple[str, float]:
        uid = self.next_uid
        self.next_uid += 1
        self.server.message(uid, QUESTION.format(uid))
        return str(uid), time.monotonic()

    def acks(self) -> dict[str, float]:
        return self.server.acked

    def card_count(self) -> int:
        return len(self.server.cards)

    async def warm_up(self) -> None:
        uid, _ = self.ask()
        await self.wait(lambda: uid in self.acks(), "the warm-up answer", timeout=120)
        await self.wait(lambda: self.card_count() >= 1, "the warm-up card", timeout=60)

    async def burst(self, n: int) -> tuple[float, float]:
        """(questions/s with ack and card out, CPU ms per question)."""
        cards0, cpu0 = self.card_count(), cpu_seconds(self.proc.pid)
        asked = [self.ask() for _ in range(n)]
        start = min(t for _, t in asked)
        acks, pending = self.acks(), {u for u, _ in asked}

        def done() -> bool:
            pending.difference_update([u for u in pending if u in acks])
            return not pending and self.card_count() >= cards0 + n

        await self.wait(done, "every ack and card")
        end = max(max(acks[u] for u, _ in asked), self.server.cards[-1])
        return n / (end - start), (cpu_seconds(self.proc.pid) - cpu0) / n * 1000

    async def offered(self, rate: float, seconds: float) -> tuple[float, float]:
        """(p50, p99) ms from question to ack at `rate` questions/s."""
        asked = []
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            asked.append(self.ask())
        acks, pending = self.acks(), {u for u, _ in asked}

        def done() -> bool:
            pending.difference_update([u for u in pending if u in acks])
            return not pending

        await self.wait(done, "every ack")
        latencies = sorted((acks[u] - t) * 1000 for u, t in asked)
        return statistics.median(latencies), latencies[int(0.99 * (len(latencies) - 1))]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # as Ctrl-C: the bot stops cleanly, py-spy writes
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


async def measure(
    label: str, server: TimedTelegram, argv: list[str], first_uid: int, n: int, seconds: float
) -> dict:
    run = Run(server, argv, first_uid)
    try:
        await run.warm_up()
        rate, cpu = await run.burst(n)
        at10 = await run.offered(10, seconds)
        at20 = await run.offered(20, seconds)
    finally:
        run.stop()
    show(f"  {label:<14} burst {rate:7.1f} q/s  CPU {cpu:5.1f} ms/q  10/s p50 {at10[0]:6.1f} "
         f"p99 {at10[1]:6.1f} ms  20/s p50 {at20[0]:6.1f} p99 {at20[1]:6.1f} ms")
    return {"rate": rate, "cpu": cpu, "at10": at10, "at20": at20}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--questions", type=int, default=500, help="cadres in the burst")
    parser.add_argument("--seconds", type=float, default=10, help="length of each offered-rate run")
    parser.add_argument("--profile", help="write a py-spy profile of the bot (raw format) here")
    args = parser.parse_args()
    offered = int(30 * args.seconds) + 2  # cadres for both offered-rate runs and the warm-up
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/throughput.db"
        await prepare(url, args.questions + offered)
        server = TimedTelegram()
        await server.start()
        cfg = Path(tmp) / "config.toml"
        cfg.write_text(config_text(url, server.base_url), encoding="utf-8")
        show(f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}: {args.questions} questions "
             f"in a burst, then {args.seconds:.0f} s at 10/s and at 20/s")
        try:
            bare = await measure("bare aiogram", server, [sys.executable, "-c", BARE_BOT, server.base_url,
                                 TOKEN, str(LAND)], BARE_UID, args.questions, args.seconds)
            server.clear()
            hotline = [sys.executable, "-m", "bot", "run", "--config", str(cfg)]
            if args.profile:  # py-spy (pip install py-spy) samples the bot; CPU figures then include it
                hotline = ["py-spy", "record", "-f", "raw", "-o", args.profile, "--", *hotline]
            bot = await measure("hotline", server, hotline, FIRST_UID, args.questions, args.seconds)
        finally:
            await server.close()
        tx = await floor(url, 300)
    show(f"  floor: {tx:.0f} transactions/s (ticket + event + 2 outbox rows, one after another)")
    show(f"  ratio to bare aiogram: {bot['rate'] / bare['rate']:.2f}; to the floor: {bot['rate'] / tx:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
