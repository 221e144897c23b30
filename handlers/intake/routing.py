"""Pick a question's area: the trained model when there is one, else the configured keywords.

`Router.decide` answers with the area when it is sure, else with at most three ranked
candidates for the cadre to choose from (plus "Lĩnh vực khác…" for the full list). The model
itself (handlers/intake/route_model.py) is trained away from the event loop (the report worker) and
swapped in whole; routing only reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from handlers.textutil import fold

if TYPE_CHECKING:  # settings holds the router: import its types for annotations only
    from handlers.intake.route_model import RouteModel
    from handlers.settings import AreaSpec

MAX_CHOICES = 3
MIN_CHOICE_PROBABILITY = 0.02  # a third choice this unlikely is noise (by CV: 0.05 lost 0.4% of hits)
# The model routes only when its top area has at least MIN_PROBABILITY and leads the second by
# MIN_MARGIN: two close areas are where it goes wrong. Both chosen by cross-validation of the
# training side (3× 5 folds, bench/routing_cv.py) to route the most right with ≤ 2% wrong.
MIN_PROBABILITY = 0.50
MIN_MARGIN = 0.38


def score_areas(question: str, areas: Sequence[AreaSpec]) -> list[tuple[float, AreaSpec]]:
    """Areas whose keywords occur in the question, best first.

    A keyword counts by its number of words, so "giấy chứng nhận quyền sử dụng đất" outweighs
    a lone "đất"; matching is on whole words of the folded text.
    """
    text = f" {fold(question)} "
    scored = []
    for area in areas:
        score = 0.0
        for folded, words in _folded(area.keywords):
            if f" {folded} " in text:
                score += words
        if score:
            scored.append((score, area))
    scored.sort(key=lambda pair: -pair[0])
    return scored


@lru_cache(maxsize=256)
def _folded(keywords: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Keywords folded once per configuration, not once per question: (folded, word count)."""
    return tuple((f, len(f.split())) for f in map(fold, keywords) if f)


def classify(question: str, areas: Sequence[AreaSpec]) -> tuple[AreaSpec | None, list[AreaSpec]]:
    """Keywords alone: (the area when sure, else None; the candidates to offer first)."""
    scored = score_areas(question, areas)
    if not scored:
        return None, []
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best_score >= 2 * runner_up and best_score >= 1:
        return best, [a for _, a in scored]
    return None, [a for _, a in scored]


@dataclass(frozen=True)
class Decision:
    area: AreaSpec | None  # routed there; None: the cadre chooses
    ranked: tuple[tuple[AreaSpec, float | None], ...]  # best first; probability when a model ranked
    by_model: bool

    @property
    def choices(self) -> list[AreaSpec]:
        """What to offer when not sure: two or three areas, never the whole list."""
        picked = [a for a, p in self.ranked[:MAX_CHOICES] if p is None or p >= MIN_CHOICE_PROBABILITY]
        return picked if len(picked) >= 2 else [a for a, _ in self.ranked[:2]]

    @property
    def confidence(self) -> float | None:
        return self.ranked[0][1] if self.ranked else None


@dataclass
class Router:
    """Holds the current model (None: keywords only); shared by every handler of the app."""

    threshold: float = MIN_PROBABILITY  # the model's top probability needed to route without asking
    margin: float = MIN_MARGIN  # … and its lead over the second area
    model: RouteModel | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, object]:
        # settings go to the report process with every job: the model stays in this process
        return {"threshold": self.threshold, "margin": self.margin, "model": None}

    def decide(self, question: str, areas: Sequence[AreaSpec]) -> Decision:
        model = self.model
        if not fold(question):  # emoji, punctuation: nothing to go on, the cadre picks from all
            return Decision(None, (), model is not None)
        if model is not None:
            by_code = {a.code: a for a in areas}
            ranked = tuple((by_code[c], p) for c, p in model.rank(question) if c in by_code)
            second = ranked[1][1] if len(ranked) > 1 else 0.0
            if ranked and ranked[0][1] >= self.threshold and ranked[0][1] - second >= self.margin:
                return Decision(ranked[0][0], ranked, True)
            return Decision(None, ranked, True)
        area, candidates = classify(question, areas)
        return Decision(area, tuple((a, None) for a in candidates), False)
