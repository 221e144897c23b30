"""Pick a question's area from the configured keywords, diacritics-insensitively."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.settings import AreaSpec
from handlers.textutil import fold


def score_areas(question: str, areas: Sequence[AreaSpec]) -> list[tuple[float, AreaSpec]]:
    """Areas whose keywords occur in the question, best first.

    A keyword counts by its number of words, so "giấy chứng nhận quyền sử dụng đất" outweighs
    a lone "đất"; matching is on whole words of the folded text.
    """
    text = f" {fold(question)} "
    scored = []
    for area in areas:
        score = 0.0
        for kw in area.keywords:
            folded = fold(kw)
            if folded and f" {folded} " in text:
                score += len(folded.split())
        if score:
            scored.append((score, area))
    scored.sort(key=lambda pair: -pair[0])
    return scored


def classify(question: str, areas: Sequence[AreaSpec]) -> tuple[AreaSpec | None, list[AreaSpec]]:
    """(the area when sure, else None; the candidates to offer first)."""
    scored = score_areas(question, areas)
    if not scored:
        return None, []
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best_score >= 2 * runner_up and best_score >= 1:
        return best, [a for _, a in scored]
    return None, [a for _, a in scored]
