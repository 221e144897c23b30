"""Nghệ An's 130 communes and wards (since 1 July 2025), shipped as package data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from storage.models import Commune


@dataclass(frozen=True)
class CommuneInfo:
    id: int
    name: str
    kind: str
    former_district: str
    merged_from: tuple[str, ...]


@cache
def load_communes() -> tuple[CommuneInfo, ...]:
    """The shipped list; ids follow the file's order, which is stable."""
    raw = json.loads(resources.files("storage").joinpath("data/nghe-an-communes.json").read_text("utf-8"))
    return tuple(
        CommuneInfo(i, u["name"], u["kind"], u["former_district"], tuple(u["merged_from"]))
        for i, u in enumerate(raw["units"], start=1)
    )


async def seed_communes(db: AsyncSession | AsyncConnection) -> None:
    """Insert the shipped communes that the database does not have yet (a session, or the
    connection that runs the migrations under the start-up lock)."""
    have = set((await db.execute(select(col(Commune.id)))).scalars())
    rows = [
        {"id": c.id, "name": c.name, "kind": c.kind, "former_district": c.former_district,
         "merged_from": "\n".join(c.merged_from)}
        for c in load_communes() if c.id not in have
    ]
    if rows:
        await db.execute(insert(Commune), rows)
