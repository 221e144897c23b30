"""Handbook search quality on a labelled set: top-3 hits and false suggestions, measured."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.config import load_config
from handlers.intake.handbook import good_matches
from handlers.intake.routing import classify
from storage import handbook
from storage.db import Database

DATA = Path(__file__).parent / "data" / "handbook_eval"
ROOT = Path(__file__).resolve().parents[1]


async def evaluate(db_url: str) -> tuple[float, float, list[str]]:
    entries = json.loads((DATA / "entries.json").read_text("utf-8"))
    questions = json.loads((DATA / "questions.json").read_text("utf-8"))
    areas = load_config(ROOT / "config.example.toml").settings().areas
    db = Database(db_url)
    await db.upgrade()
    ids: dict[int, str] = {}
    now = datetime.now(UTC)
    async with db.session() as s:
        for e in entries:
            row = await handbook.add(s, e["area"], e["question"], e["answer"], source="import",
                                     by="eval", now=now)
            assert row.id is not None
            ids[row.id] = e["id"]
    hits = misses = false = none = 0
    failures = []
    async with db.session() as s:
        for item in questions:
            area, _ = classify(item["q"], areas)
            found = good_matches(await handbook.search(s, item["q"], area=area.code if area else None))
            got = [ids[h.entry.id] for h in found[:3]]
            if item["expect"] == "none":
                none += 1
                if got:
                    false += 1
                    failures.append(f"false: {item['q']!r} → {got}")
            elif item["expect"] in got:
                hits += 1
            else:
                misses += 1
                failures.append(f"miss: {item['q']!r} expected {item['expect']}, got {got}")
    await db.close()
    return hits / (hits + misses), false / none, failures


async def test_top3_hit_rate_and_false_suggestions(db_url):
    hit_rate, false_rate, failures = await evaluate(db_url)
    print(f"handbook eval: top-3 hit rate {hit_rate:.1%}, false suggestions {false_rate:.1%}")  # noqa: T201
    for line in failures:
        print("  " + line)  # noqa: T201
    assert hit_rate >= 0.80
    assert false_rate <= 0.15
