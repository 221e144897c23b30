"""The router learns from the desk: every ticket whose area a person confirmed is a label.

A staff or supervisor `/chuyen` is the strongest label (the router, or the cadre, was wrong),
then the cadre's own choice, then a ticket answered where it was routed. Training runs in the
report worker's child process (`retrain`), never on the event loop, and reads the database on
its own engine. Tickets whose id is a multiple of HOLDOUT_EVERY are never trained on: they are
the held-out slice on which a new model must score at least as well as the current one before
it replaces it.
"""

from __future__ import annotations

import asyncio
import csv
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from handlers.intake import route_model
from handlers.intake.route_model import Example, RouteModel
from handlers.intake.routing import Router
from handlers.settings import AreaSpec

HOLDOUT_EVERY = 10
BACKGROUND_NICENESS = 10
WEIGHTS = {"transfer": 3.0, "cadre": 1.5}  # anything else (routed and answered): 1.0


@dataclass(frozen=True)
class TrainReport:
    accepted: bool
    labels: int  # labelled tickets read
    texts: int  # training texts (examples, keywords, labels)
    holdout: int
    old_right: int | None  # on the held-out slice; None when there was no model
    new_right: int
    seconds: float

    def line(self) -> str:
        old = "—" if self.old_right is None else f"{self.old_right}/{self.holdout}"
        verdict = "accepted" if self.accepted else "kept the old model"
        return (f"routing model {verdict}: {self.labels} labelled tickets, {self.texts} texts, "
                f"held-out right {self.new_right}/{self.holdout} (old {old}), {self.seconds:.1f}s")


def label_examples(labels: Sequence[tuple[int, str, str, str | None]]) -> list[Example]:
    return [Example(area, question, WEIGHTS.get(routed_by or "", 1.0))
            for _, question, area, routed_by in labels]


def fit_and_gate(
    areas: Sequence[AreaSpec], labels: Sequence[tuple[int, str, str, str | None]], old: RouteModel | None
) -> tuple[RouteModel, TrainReport]:
    """Train on seeds + labels outside the held-out slice; compare with `old` on that slice."""
    started = time.perf_counter()
    held = [row for row in labels if row[0] % HOLDOUT_EVERY == 0]
    trained = [row for row in labels if row[0] % HOLDOUT_EVERY != 0]
    model = route_model.train(areas, route_model.seed_examples(areas) + label_examples(trained))
    questions, truth = [q for _, q, _, _ in held], [a for _, _, a, _ in held]
    new_right = _right(model, questions, truth)
    old_right = _right(old, questions, truth) if old is not None else None
    accepted = old_right is None or new_right >= old_right
    report = TrainReport(accepted, len(labels), model.trained_on, len(held), old_right, new_right,
                         time.perf_counter() - started)
    return model, report


def _right(model: RouteModel, questions: list[str], truth: list[str]) -> int:
    if not questions:
        return 0
    return sum(r[0][0] == t for r, t in zip(model.rank_many(questions), truth, strict=True))


async def _read_labels(url: str) -> list[tuple[int, str, str, str | None]]:
    """On a plain engine of its own: the bot's engine begins with BEGIN IMMEDIATE on SQLite,
    which would hold the bot's write lock while 50,000 questions are read."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from storage import repo

    engine = create_async_engine(url, hide_parameters=True)  # no question text in errors
    try:
        async with AsyncSession(engine) as session:
            return await repo.routing_labels(session)
    finally:
        await engine.dispose()


def retrain(url: str, areas: Sequence[AreaSpec], path: str, background: bool = True) -> TrainReport:
    """The whole retraining, for a child process (or the CLI): read, fit, gate, save.

    In the report process it first lowers that process's priority: on a small machine the
    training would otherwise take CPU from the bot's event loop for its ~20 s."""
    if background and os.nice(0) < BACKGROUND_NICENESS:
        os.nice(BACKGROUND_NICENESS - os.nice(0))
    labels = asyncio.run(_read_labels(url))
    old = route_model.load(Path(path), areas)
    model, report = fit_and_gate(areas, labels, old)
    if report.accepted:
        route_model.save(model, Path(path))
    return report


@dataclass(frozen=True)
class Case:
    area: str
    question: str


def read_cases(path: Path) -> list[Case]:
    """A TSV with columns `area` and `question`; rows marked `split = train` are examples, not cases."""
    with path.open(encoding="utf-8", newline="") as src:
        rows = list(csv.DictReader(src, delimiter="\t"))
    return [Case(r["area"].strip(), r["question"].strip()) for r in rows if r.get("split") != "train"]


@dataclass
class EvalResult:
    right: int = 0  # routed to the right area
    wrong: int = 0  # routed to another area
    asked: int = 0  # the cadre was asked to choose
    asked_hit: int = 0  # … and the right area was among the choices
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, routed)

    @property
    def total(self) -> int:
        return self.right + self.wrong + self.asked

    def share(self, n: int) -> float:
        return n / self.total if self.total else 0.0

    def lines(self) -> list[str]:
        lines = [
            f"cases: {self.total}",
            f"right: {self.right} ({self.share(self.right):.1%})",
            f"asked: {self.asked} ({self.share(self.asked):.1%}); right area among the choices: "
            f"{self.asked_hit}/{self.asked}",
            f"wrong: {self.wrong} ({self.share(self.wrong):.1%})",
        ]
        lines += [f"  {want} → {got}: {n}" for (want, got), n in self.confusions.most_common()]
        return lines


def evaluate(router: Router, areas: Sequence[AreaSpec], cases: Sequence[Case]) -> EvalResult:
    result = EvalResult()
    for case in cases:
        decision = router.decide(case.question, areas)
        if decision.area is None:
            result.asked += 1
            result.asked_hit += case.area in {a.code for a in decision.choices}
        elif decision.area.code == case.area:
            result.right += 1
        else:
            result.wrong += 1
            result.confusions[(case.area, decision.area.code)] += 1
    return result
