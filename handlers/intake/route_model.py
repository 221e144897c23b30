"""The trained side of routing: a scikit-learn text classifier over folded Vietnamese.

Features (TF-IDF, `Tokens`): diacritic-folded words and word bigrams (cadres type with or
without diacritics; the abbreviations cadres write are spelled out first), character n-grams
(typos, compounds, word stems), the words and pairs as typed where they carry diacritics (they
tell apart words that fold alike), and the configured keywords as prior knowledge (a token per
area, as often as its keyword words match). Every
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
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from handlers.settings import AreaSpec
from handlers.textutil import fold

if TYPE_CHECKING:  # scikit-learn is imported with the first model, not at start (~1 s CPU)
    from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)

FORMAT = 2  # bumped when a saved model can no longer be read by this code
MIN_TEXTS = 2  # an area needs this many training texts to be a class
# Abbreviations cadres type, folded, and what they stand for: "GCN QSDĐ" then shares its
# features with the seed examples' "giấy chứng nhận quyền sử dụng đất".
ABBREVIATIONS = {
    "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "gcn": "giay chung nhan",
    "qsdd": "quyen su dung dat", "gcnqsdd": "giay chung nhan quyen su dung dat",
    "bhyt": "bao hiem y te", "bhxh": "bao hiem xa hoi", "cccd": "can cuoc cong dan",
    "hkd": "ho kinh doanh", "ntm": "nong thon moi", "gpmb": "giai phong mat bang",
    "gpxd": "giay phep xay dung", "tthc": "thu tuc hanh chinh", "dvc": "dich vu cong",
    "cntt": "cong nghe thong tin", "cbcc": "can bo cong chuc", "cbccvc": "can bo cong chuc vien chuc",
    "tdc": "tai dinh cu", "mttq": "mat tran to quoc", "thcs": "trung hoc co so",
    "nsnn": "ngan sach nha nuoc", "kbnn": "kho bac nha nuoc", "dtc": "dau tu cong",
    "vbqppl": "van ban quy pham phap luat", "pccc": "phong chay chua chay",
    "attp": "an toan thuc pham", "dqtv": "dan quan tu ve", "nvqs": "nghia vu quan su",
    "hcc": "hanh chinh cong", "btxh": "bao tro xa hoi", "ncc": "nguoi co cong",
    "kcb": "kham chua benh", "tyt": "tram y te", "csdl": "co so du lieu", "cks": "chu ky so",
    "ktxh": "kinh te xa hoi", "vpdkdd": "van phong dang ky dat dai",
    "tnmt": "tai nguyen moi truong", "dtm": "danh gia tac dong moi truong",
    "ldtbxh": "lao dong thuong binh xa hoi",
}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Example:
    area: str
    text: str
    weight: float = 1.0


class Tokens:
    """A text's features, in one pass: of the folded text (abbreviations spelled out) words,
    word pairs, character 3-5-grams inside words (typos, compounds, stems) and one token `@area`
    per keyword word matched, so the configured keywords weigh in as prior knowledge; of the
    text as typed, `~`words and pairs with diacritics. One vectorizer over these tokens costs
    a third of three separate ones per question."""

    def __init__(self, table: tuple[tuple[str, tuple[str, ...]], ...]):
        self.table = table
        self.by_first_word: dict[str, list[tuple[str, str]]] = {}  # only a text's own words are tried
        for code, keywords in table:
            for k in keywords:
                self.by_first_word.setdefault(k.split()[0], []).append((code, k))

    def __call__(self, raw: str) -> list[str]:
        text = _WORD.sub(lambda m: ABBREVIATIONS.get(m[0], m[0]), fold(raw))
        words = text.split()
        tokens = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for word in words:
            padded = f" {word} "
            for n in (3, 4, 5):
                tokens += [f"#{padded[i:i + n]}" for i in range(max(1, len(padded) - n + 1))]
        padded = f" {text} "
        for word in set(words):
            for code, k in self.by_first_word.get(word, ()):
                if f" {k} " in padded:
                    tokens += [f"@{code}"] * len(k.split())
        typed = _WORD.findall(raw.lower())
        tokens += [f"~{w}" for w in typed if not w.isascii()]
        tokens += [f"~{a} {b}" for a, b in zip(typed, typed[1:], strict=False)
                   if not (a.isascii() and b.isascii())]
        return tokens


def keyword_table(areas: Sequence[AreaSpec]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((a.code, tuple(k for k in (fold(kw) for kw in a.keywords) if k)) for a in areas)


def seed_examples(areas: Sequence[AreaSpec]) -> list[Example]:
    """What a deployment knows before any history: the areas' examples and keywords."""
    seeds = [Example(a.code, text) for a in areas for text in a.examples]
    seeds += [Example(code, kw) for code, keywords in keyword_table(areas) for kw in keywords]
    return seeds


class Scorer:
    """The fitted pipeline's maths, taken out of scikit-learn once, for one question at a time.

    Every model `train` fits gives its probabilities as a softmax of a linear function of the
    TF-IDF vector (the regression's of coef_ and intercept_; complement NB's log-probabilities,
    normalized, are a softmax of feature_log_prob_), and the soft vote is their weighted mean.
    A question has ~100 features of the tens of thousands, so the rows of those weights are
    gathered and summed: no sparse matrices, none of scikit-learn's input checks, which were
    most of a question's 1.6 ms (cProfile). The sklearn path (`RouteModel.rank_many`) stays the
    reference: tests hold the two equal on the evaluation sets.
    """

    def __init__(self, pipeline: Pipeline):
        from sklearn.ensemble import VotingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.naive_bayes import ComplementNB

        features, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
        if not (features.sublinear_tf and features.use_idf and features.norm == "l2"):
            raise ValueError("TF-IDF settings the scorer does not compute")
        if isinstance(model, VotingClassifier):
            parts = list(model.estimators_)
            shares = np.asarray(model.weights or [1.0] * len(parts))
        else:
            parts, shares = [model], np.ones(1)
        coefs, intercepts = [], []
        for part in parts:
            if isinstance(part, LogisticRegression) and len(part.classes_) > 2:
                coefs.append(part.coef_)
                intercepts.append(part.intercept_)
            elif isinstance(part, ComplementNB) and len(part.classes_) > 1:
                coefs.append(part.feature_log_prob_)
                intercepts.append(np.zeros(len(part.classes_)))
            else:
                raise ValueError(f"no scorer for {type(part).__name__}")
        self.analyzer = features.build_analyzer()
        self.vocabulary: dict[str, int] = features.vocabulary_
        self.idf: np.ndarray = features.idf_
        self.weights = np.ascontiguousarray(np.hstack([c.T for c in coefs]))  # features × (parts·classes)
        self.intercepts = np.concatenate(intercepts)
        self.shares = shares / shares.sum()
        self.n_parts = len(parts)

    def probabilities(self, question: str) -> np.ndarray:
        vocabulary = self.vocabulary
        counts = Counter(i for token in self.analyzer(question) if (i := vocabulary.get(token)) is not None)
        index = np.fromiter(sorted(counts), dtype=np.intp, count=len(counts))
        values = (np.log(np.fromiter((counts[i] for i in index), dtype=np.float64, count=len(index)))
                  + 1.0) * self.idf[index]
        norm = np.sqrt(values @ values)
        if norm:
            values /= norm
        scores = (values @ self.weights[index] + self.intercepts).reshape(self.n_parts, -1)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs: np.ndarray = self.shares @ (scores / scores.sum(axis=1, keepdims=True))
        return probs


class RouteModel:
    """A fitted classifier and the area codes it knows; `rank` is what routing calls."""

    def __init__(self, pipeline: Pipeline, trained_on: int):
        self.pipeline = pipeline
        self.classes: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)
        self.trained_on = trained_on  # texts, for logs and `hotline routing train`
        self.scorer = Scorer(pipeline)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "scorer"}  # made again from the pipeline

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.scorer = Scorer(self.pipeline)

    def rank(self, question: str) -> list[tuple[str, float]]:
        """Area codes with their probabilities, best first."""
        probs = self.scorer.probabilities(question)
        order = np.argsort(-probs)
        return [(self.classes[i], float(probs[i])) for i in order]

    def rank_many(self, questions: Sequence[str]) -> list[list[tuple[str, float]]]:
        """The same through scikit-learn, for many questions at once (evaluation, the gate)."""
        from sklearn import config_context

        with config_context(assume_finite=True, skip_parameter_validation=True):
            probs = self.pipeline.predict_proba(list(questions))
        order = np.argsort(-probs, axis=1)
        return [[(self.classes[i], float(row[i])) for i in idx]
                for row, idx in zip(probs, order, strict=True)]


def train(areas: Sequence[AreaSpec], examples: Sequence[Example]) -> RouteModel:
    """Fit on the given examples (seed examples and desk labels, each with its weight)."""
    from sklearn.ensemble import VotingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    known = {a.code for a in areas}
    usable = [e for e in examples if e.area in known and fold(e.text)]
    counts = Counter(e.area for e in usable)
    kept = [e for e in usable if counts[e.area] >= MIN_TEXTS]
    if len({e.area for e in kept}) < 2:
        raise ValueError("routing needs training texts for at least two areas")
    rare = 1 if len(kept) < 5_000 else 2  # on a long history, once-seen n-grams are noise and bulk
    features = TfidfVectorizer(analyzer=Tokens(keyword_table(areas)), sublinear_tf=True,
                               min_df=rare, max_features=200_000)
    # NB smoothing by CV of the training side (bench/routing_cv.py): alpha 0.3 → 0.01 raised
    # out-of-fold top-1 89.2 → 90.6% and the share routed right at ≤ 2% wrong 69 → 75%
    model = VotingClassifier([("lr", LogisticRegression(C=20, max_iter=1000)),
                              ("nb", ComplementNB(alpha=0.01))], voting="soft", weights=[0.6, 0.4])
    pipeline = Pipeline([("features", features), ("model", model)])
    with threadpool_limits(1):  # BLAS threads fight over a shared machine's cores: 5× slower
        pipeline.fit([e.text for e in kept], [e.area for e in kept],
                     model__sample_weight=np.array([e.weight for e in kept]))
    if hasattr(features, "stop_words_"):  # every pruned n-gram, kept only for introspection
        del features.stop_words_
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
