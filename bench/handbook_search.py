"""Time handbook search over 50,000 entries (SQLite FTS5; PostgreSQL with --url).

    .venv/bin/python bench/handbook_search.py [--entries 50000] [--url URL]

Entries are the evaluation set's, multiplied with variations (commune names, years, extra
clauses) so the index has realistic term statistics; queries are the evaluation questions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from storage import handbook
from storage.communes import load_communes
from storage.db import Database
from storage.models import HandbookEntry, HandbookTerm

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "handbook_eval"


async def fill(db: Database, count: int) -> None:
    entries = json.loads((DATA / "entries.json").read_text("utf-8"))
    communes = [c.name for c in load_communes()]
    rng = random.Random(1)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        e = entries[i % len(entries)]
        where = rng.choice(communes)
        question = f"{e['question']} ({where}, năm {rng.randint(2020, 2026)})"
        answer = f"{e['answer']} Áp dụng cho {where}; hồ sơ số {i}."
        rows.append({"area_code": e["area"], "question": question, "answer": answer,
                     "source": "import", "published_by": "bench", "published_at": now,
                     "current": True, "search_text": handbook.search_text(question, answer)})
    df = Counter(t for row in rows for t in handbook.counted_terms(row["search_text"]))
    async with db.session() as s:
        for start in range(0, len(rows), 5000):
            await s.execute(insert(HandbookEntry), rows[start:start + 5000])
        await s.execute(insert(HandbookTerm), [{"term": t, "df": n} for t, n in df.items()])
        if db.is_sqlite:
            await s.execute(text("INSERT INTO handbook_fts(rowid, body) "
                                 "SELECT id, search_text FROM handbookentry"))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.url or f"sqlite+aiosqlite:///{tmp}/bench.db")
        await db.drop_all()
        await db.upgrade()
        started = time.perf_counter()
        await fill(db, args.entries)
        print(f"loaded {args.entries} entries in {time.perf_counter() - started:.1f} s")  # noqa: T201
        questions = [q["q"] for q in json.loads((DATA / "questions.json").read_text("utf-8"))]
        timings = []
        async with db.session() as s:
            for q in questions * 2:
                t0 = time.perf_counter()
                await handbook.search(s, q)
                timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95)]
        print(f"{len(timings)} searches: median {statistics.median(timings):.1f} ms, "  # noqa: T201
              f"p95 {p95:.1f} ms")
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
