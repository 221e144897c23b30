"""The trained side of routing: a scikit-learn text classifier over folded Vietnamese.

Features: TF-IDF over diacritic-folded words and word bigrams (cadres type with or without
diacritics), TF-IDF over character n-grams (typos, compounds, word stems), and the configured
keywords as prior knowledge (one feature per area: how strongly its keywords match). Every
keyword is also a short training text of its area, so a deployment with no history and few
examples still knows its keywords' words. The model is a multinomial logistic regression: a
linear model whose probabilities are fitted by log loss, so they can decide between routing
and asking. (A sigmoid-calibrated linear SVM scored the same on tests/data/routing_eval.tsv
but took 5.7 ms a question instead of 0.5 ms: bench/routing.py.)
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn import config_context
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union
from threadpoolctl import threadpool_limits

from handlers.settings import AreaSpec
from handlers.textutil import fold

log = logging.getLogger(__name__)

FORMAT = 1  # bumped when a saved model can no longer be read by this code
MIN_TEXTS = 2  # an area needs this many training texts to be a class


@dataclass(frozen=True)
class Example:
    area: str
    text: str
    weight: float = 1.0


class KeywordFeatures(BaseEstimator, TransformerMixin):
    """One column per area: log(1 + words of its keywords found), on folded whole words."""

    def __init__(self, table: tuple[tuple[str, tuple[str, ...]], ...] = ()):
        self.table = table

    def fit(self, texts: Sequence[str], y: object = None) -> KeywordFeatures:
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows = np.zeros((len(texts), len(self.table)))
        for i, text in enumerate(texts):
            padded = f" {text} "
            for j, (_, keywords) in enumerate(self.table):
                rows[i, j] = sum(len(k.split()) for k in keywords if f" {k} " in padded)
        return sparse.csr_matrix(np.log1p(rows))


def keyword_table(areas: Sequence[AreaSpec]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((a.code, tuple(k for k in (fold(kw) for kw in a.keywords) if k)) for a in areas)


def seed_examples(areas: Sequence[AreaSpec]) -> list[Example]:
    """What a deployment knows before any history: the areas' examples and keywords."""
    seeds = [Example(a.code, text) for a in areas for text in a.examples]
    seeds += [Example(code, kw) for code, keywords in keyword_table(areas) for kw in keywords]
    return seeds


class RouteModel:
    """A fitted classifier and the area codes it knows; `rank` is what routing calls."""

    def __init__(self, pipeline: Pipeline, trained_on: int):
        self.pipeline = pipeline
        self.classes: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)
        self.trained_on = trained_on  # texts, for logs and `hotline routing train`

    def rank(self, question: str) -> list[tuple[str, float]]:
        """Area codes with their probabilities, best first."""
        with config_context(assume_finite=True, skip_parameter_validation=True):  # ~1 ms a call
            probs = self.pipeline.predict_proba([fold(question)])[0]
        order = np.argsort(-probs)
        return [(self.classes[i], float(probs[i])) for i in order]

    def rank_many(self, questions: Sequence[str]) -> list[list[tuple[str, float]]]:
        probs = self.pipeline.predict_proba([fold(q) for q in questions])
        order = np.argsort(-probs, axis=1)
        return [[(self.classes[i], float(row[i])) for i in idx]
                for row, idx in zip(probs, order, strict=True)]


def train(areas: Sequence[AreaSpec], examples: Sequence[Example]) -> RouteModel:
    """Fit on the given examples (seed examples and desk labels, each with its weight)."""
    known = {a.code for a in areas}
    usable = [e for e in examples if e.area in known and fold(e.text)]
    counts = Counter(e.area for e in usable)
    kept = [e for e in usable if counts[e.area] >= MIN_TEXTS]
    if len({e.area for e in kept}) < 2:
        raise ValueError("routing needs training texts for at least two areas")
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1,
                        max_features=200_000),
        KeywordFeatures(keyword_table(areas)),
    )
    model = LogisticRegression(C=20, max_iter=1000)
    pipeline = Pipeline([("features", features), ("model", model)])
    with threadpool_limits(1):  # BLAS threads fight over a shared machine's cores: 5× slower
        pipeline.fit([fold(e.text) for e in kept], [e.area for e in kept],
                     model__sample_weight=np.array([e.weight for e in kept]))
    return RouteModel(pipeline, len(kept))


def save(model: RouteModel, path: Path) -> None:
    """Written to a temporary file and renamed: a reader never sees half a model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump({"format": FORMAT, "model": model}, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, areas: Sequence[AreaSpec]) -> RouteModel | None:
    """The saved model, or None (one log line) when it is missing, corrupt or for other areas.

    Only files the bot wrote itself are read (pickle runs code: the folder must be the bot's own).
    """
    try:
        with path.open("rb") as src:
            saved = pickle.load(src)
        model = saved["model"]
        if saved.get("format") != FORMAT or not isinstance(model, RouteModel):
            raise ValueError("not a routing model of this version")
    except FileNotFoundError:
        log.info("routing model %s not found: routing by keywords until one is trained", path)
        return None
    except Exception as err:  # truncated, garbage, another library version…
        log.warning("routing model %s unreadable (%s): routing by keywords", path, type(err).__name__)
        return None
    unknown = set(model.classes) - {a.code for a in areas}
    if unknown:
        log.warning("routing model %s knows areas the config lacks (%s): routing by keywords",
                    path, ", ".join(sorted(unknown)))
        return None
    return model
