"""Choose the router's abstain rule by cross-validation on the training side only.

The training side is what the router is trained on in tests/test_routing.py: the example
config's seed examples and the `train` rows of tests/data/routing_eval.tsv. Five folds of it
are held out in turn (the keywords always stay in training), three times with other folds
(`--repeats`), and the pooled out-of-fold probabilities give,
for each budget of wrong routes, the rule (top probability ≥ threshold and lead over the second
≥ margin) that routes the most questions right. The test sets (the `test` rows of
routing_eval.tsv and tests/data/routing_blind.tsv) are only scored with `--test`, once the rule
is chosen: they are never tuned on.

    .venv/bin/python bench/routing_cv.py [--budget 0.02] [--test]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_config  # noqa: E402
from handlers.intake import route_learning, route_model  # noqa: E402
from handlers.intake.route_model import Example  # noqa: E402
from handlers.intake.routing import Router  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests/data"


def train_rows() -> list[Example]:
    with (DATA / "routing_eval.tsv").open(encoding="utf-8", newline="") as src:
        rows = list(csv.DictReader(src, delimiter="\t"))
    return [Example(r["area"], r["question"]) for r in rows if r["split"] == "train"]


def out_of_fold(areas, examples: list[Example], folds: int = 5,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per example: the top probability, the second's, and whether the top area is right."""
    keywords = [Example(code, kw) for code, kws in route_model.keyword_table(areas) for kw in kws]
    truth = np.array([e.area for e in examples])
    top, second, right = np.zeros(len(examples)), np.zeros(len(examples)), np.zeros(len(examples), bool)
    for train, held in StratifiedKFold(folds, shuffle=True, random_state=seed).split(truth, truth):
        model = route_model.train(areas, [examples[i] for i in train] + keywords)
        for i, ranked in zip(held, model.rank_many([examples[i].text for i in held]), strict=True):
            top[i], second[i] = ranked[0][1], ranked[1][1]
            right[i] = ranked[0][0] == truth[i]
    return top, second, right


def best_rule(top, second, right, budget: float) -> tuple[float, float, float, float]:
    """(threshold, margin, right share, wrong share) routing the most right within the budget."""
    best = (1.0, 1.0, 0.0, 0.0)
    for threshold in np.arange(0.20, 0.96, 0.02):
        for margin in np.arange(0.0, 0.62, 0.02):
            routed = (top >= threshold) & (top - second >= margin)
            share_right, share_wrong = (routed & right).mean(), (routed & ~right).mean()
            if share_wrong <= budget and share_right > best[2]:
                best = (round(float(threshold), 2), round(float(margin), 2), share_right, share_wrong)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.02, help="share of wrong routes allowed")
    parser.add_argument("--test", action="store_true", help="then score the two test sets once")
    parser.add_argument("--repeats", type=int, default=3,
                        help="cross-validations with other folds, pooled: a rule less fitted to one split")
    args = parser.parse_args()
    areas = load_config(ROOT / "config.example.toml").settings().areas
    examples = [Example(a.code, q) for a in areas for q in a.examples] + train_rows()
    runs = [out_of_fold(areas, examples, seed=seed) for seed in range(args.repeats)]
    top, second, right = (np.concatenate(parts) for parts in zip(*runs, strict=True))
    print(f"training side: {len(examples)} questions, {args.repeats}× 5-fold; "  # noqa: T201
          f"out-of-fold top-1 right {right.mean():.1%}")
    for budget in (0.01, 0.015, 0.02, 0.03, 0.05):
        t, m, r, w = best_rule(top, second, right, budget)
        print(f"  wrong ≤ {budget:.1%}: threshold {t:.2f}, margin {m:.2f} → right {r:.1%}, wrong {w:.1%}")  # noqa: T201
    threshold, margin, _, _ = best_rule(top, second, right, args.budget)
    if not args.test:
        return
    model = route_model.train(areas, route_model.seed_examples(areas) + train_rows())
    router = Router(threshold=threshold, margin=margin, model=model)
    for name in ("routing_eval.tsv", "routing_blind.tsv"):
        result = route_learning.evaluate(router, areas, route_learning.read_cases(DATA / name))
        print(f"{name} (threshold {threshold:.2f}, margin {margin:.2f}):\n  " + "\n  ".join(result.lines()))  # noqa: T201


if __name__ == "__main__":
    main()
