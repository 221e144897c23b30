"""Work per question on the hot path, counted rather than timed (the counts do not depend on
the machine's load): statements, round trips to aiosqlite's thread, Python function calls;
then the same again unprofiled, for the CPU time per question (which does move with the load).

In process: `--questions` registered cadres each ask once, all at once, through
`Hotline.handle` (so they batch as a polled Telegram batch does), then the sender delivers
everything to an in-memory channel (one group: one card per pass).

    .venv/bin/python bench/hot_counts.py                 # SQLite (a temporary file)
    .venv/bin/python bench/hot_counts.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_bench
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiosqlite.core  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from handlers.messages import ChatRef, Identity, Inbound  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Commune, User  # noqa: E402
from tests.helpers.harness import CH, make_harness  # noqa: E402

hops = [0]
_execute = aiosqlite.core.Connection._execute


async def _counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    hops[0] += 1
    return await _execute(self, fn, *args, **kwargs)


aiosqlite.core.Connection._execute = _counted  # type: ignore[method-assign]


def question(i: int, round_: str = "k") -> Inbound:
    return Inbound(sender=Identity(CH, f"c{i}"), chat=ChatRef(CH, f"c{i}", "private"),
                   text=f"Xin hỏi hồ sơ cấp giấy chứng nhận quyền sử dụng đất gồm gì? ({i})",
                   display_name="C", message_id=f"{round_}u{i}", update_key=f"{round_}{i}")


async def main(url: str, n: int) -> None:
    hx = await make_harness(url)
    statements: collections.Counter[str] = collections.Counter()

    @event.listens_for(hx.db.engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        words = statement.split()
        statements[" ".join(words[:3]) if words[0] == "INSERT" else words[0]] += 1

    async with hx.db.session() as s:
        commune = (await s.execute(select(Commune.id).limit(1))).scalar_one()
        for i in range(n + 1):
            s.add(User(identity=f"{CH}:c{i}", name=f"Cán bộ {i}", commune_id=commune,
                       position="Công chức", status="active", created_at=datetime.now(UTC)))
    await hx.hotline.handle(question(n))  # warm-up: caches, the group's chat state
    await hx.sender.deliver_due()
    calls = [0]

    def profile(_frame, what, _arg):  # type: ignore[no-untyped-def]
        if what in ("call", "c_call"):
            calls[0] += 1

    for stage in ("inbound", "sender"):
        statements.clear()
        hops0, calls0 = hops[0], calls[0]
        sys.setprofile(profile)
        if stage == "inbound":
            await asyncio.gather(*(hx.hotline.handle(question(i)) for i in range(n)))
        else:
            await hx.sender.deliver_due()
        sys.setprofile(None)
        kinds = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(statements.items()))
        print(f"{stage:8} per question: {sum(statements.values()) / n:5.2f} statements, "  # noqa: T201
              f"{(hops[0] - hops0) / n:5.1f} thread hops, {(calls[0] - calls0) / n:6.0f} Python calls"
              f"\n         ({kinds})")
    assert len(hx.channel.sent) == 2 * (n + 1), "every ack and card sent"
    # the same again, unprofiled, timed: CPU time does move with the machine's load
    inbound = time.process_time()
    await asyncio.gather(*(hx.hotline.handle(question(i, "t")) for i in range(n)))
    sender = time.process_time()
    await hx.sender.deliver_due()
    done = time.process_time()
    print(f"CPU per question (process_time, unprofiled): inbound {(sender - inbound) / n * 1000:.2f} ms, "  # noqa: T201
          f"sender {(done - sender) / n * 1000:.2f} ms")
    assert len(hx.channel.sent) == 4 * n + 2, "every ack and card sent"
    await hx.db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            async def empty() -> None:
                db = Database(args.url)
                await db.drop_all()
                await db.close()
            asyncio.run(empty())
        asyncio.run(main(args.url or f"sqlite+aiosqlite:///{tmp}/counts.db", args.questions))
