"""Nghệ An's 130 communes and wards (since 1 July 2025), shipped as package data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def seed_communes(session: AsyncSession) -> None:
    """Insert the shipped communes that the database does not have yet."""
    have = set((await session.execute(select(Commune.id))).scalars())
    for c in load_communes():
        if c.id not in have:
            session.add(
                Commune(
                    id=c.id,
                    name=c.name,
                    kind=c.kind,
                    former_district=c.former_district,
                    merged_from="\n".join(c.merged_from),
                )
            )
