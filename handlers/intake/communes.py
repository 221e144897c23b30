"""Match what a cadre typed to a commune: current name or a former (pre-2025) one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from handlers.texts import intake as t
from handlers.texts.words import COMMUNE_KIND_OF_PREFIX
from handlers.textutil import fold
from storage.communes import CommuneInfo, load_communes

_PREFIX = re.compile(r"^(xa|phuong|thi tran|tt|p|x)\s+")


@dataclass(frozen=True)
class Option:
    commune: CommuneInfo
    former_name: str | None = None  # set when the match was on a pre-merger unit

    @property
    def label(self) -> str:
        if self.former_name:
            return t.COMMUNE_OPTION_FORMER.format(
                former=self.former_name, district=self.commune.former_district, commune=self.commune.name
            )
        return t.COMMUNE_OPTION.format(commune=self.commune.name, district=self.commune.former_district)


@dataclass(frozen=True)
class Resolution:
    """Exactly one of: a single match, several to choose from, or nothing."""

    options: tuple[Option, ...]
    suggested: bool = False  # no name matched; these contain the typed words

    @property
    def unique(self) -> Option | None:
        return self.options[0] if len(self.options) == 1 and not self.suggested else None


def _split(text: str) -> tuple[str | None, str]:
    folded = fold(text)
    m = _PREFIX.match(folded)
    if not m:
        return None, folded
    return m.group(1), folded[m.end() :]


@cache
def _indexes() -> tuple[dict[str, list[CommuneInfo]], dict[str, list[tuple[str, CommuneInfo]]]]:
    current: dict[str, list[CommuneInfo]] = {}
    former: dict[str, list[tuple[str, CommuneInfo]]] = {}
    for c in load_communes():
        current.setdefault(_split(c.name)[1], []).append(c)
        for old in c.merged_from:
            former.setdefault(_split(old)[1], []).append((old, c))
    return current, former


def resolve_commune(text: str) -> Resolution:
    """Current names win over former ones; a folded name matching several is never guessed."""
    prefix, core = _split(text)
    if not core:
        return Resolution(())
    current, former = _indexes()
    if prefix not in ("thi tran", "tt"):  # a "thị trấn" no longer exists: only former names
        hits = current.get(core, [])
        kind = COMMUNE_KIND_OF_PREFIX.get(prefix or "")
        same_kind = [c for c in hits if c.kind == kind] if kind else hits
        hits = same_kind or hits
        if hits:
            return Resolution(tuple(Option(c) for c in hits))
    old_hits = former.get(core, [])
    if prefix:
        typed = fold(text)
        exact = [(o, c) for o, c in old_hits if fold(o) == typed]
        old_hits = exact or old_hits
    if old_hits:
        return Resolution(tuple(Option(c, o) for o, c in old_hits))
    near = [c for c in load_communes() if f" {core}" in f" {_split(c.name)[1]}"]
    return Resolution(tuple(Option(c) for c in near[:8]), suggested=True)


def commune_by_id(commune_id: int) -> CommuneInfo | None:
    for c in load_communes():
        if c.id == commune_id:
            return c
    return None
