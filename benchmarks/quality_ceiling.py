"""How far can a learner get on issue 3's halves when it sees *both* models' outcomes? (diagnostic)

quality.py's router learns from bandit feedback: on each first-half prompt it sees the outcome of
the one model it chose. This script gives standard text learners far more: the weak *and* the
strong model's outcome on every first-half prompt (full information). Each fits two logistic
regressions (or gradient-boosted trees), P(weak correct | prompt) and P(strong correct | prompt),
and scores the second half by P(strong) - P(weak), the same gain the router ranks by. Data, the
shuffle, the halves and the metrics are quality.py's, so the numbers compare one to one.

Learners: TF-IDF words, TF-IDF words + bigrams, TF-IDF character 2-4-grams (each logistic
regression with inverse L2 strength C in a grid), and gradient-boosted trees on numeric features
(log length, count of numbers, of decimals, of '%' and '$', of sentences, longest number).

One more row for GSM8K, "MATH levels (no outcomes)": a ridge regression of the human difficulty
level on TF-IDF character 2-4-grams of the MATH *train* split (math_levels/), scoring GSM8K prompts
by predicted level without any GSM8K outcome. It asks whether prior knowledge of maths difficulty,
which the shipped base model also draws on, ranks the weak-to-strong gain.

Two figures per learner:
  * ``cv``: C chosen by 5-fold cross-validated APGR on the first half (what a real user could do);
  * ``best``: the best C judged on the second half itself, an optimistic ceiling no user can reach.

It needs scikit-learn (``pip install scikit-learn``), which the package never uses: this is a
yardstick for the benchmark, not part of antaris_like. Without it the script says so and exits 2.

Usage: python benchmarks/quality_ceiling.py [--data DIR] [--seeds 0,1,2] [--only mmlu,gsm8k]
Writes benchmarks/results/quality_ceiling.json (a run of a subset: quality_ceiling-<subset>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from typing import Callable, Dict, List, Sequence, Tuple

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

import _common  # noqa: E402,F401  (puts the checkout on sys.path)
from quality import DATA, load_routellm, simulate, summarize  # noqa: E402

try:
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import KFold
except ImportError:  # pragma: no cover - depends on the machine
    np = None

GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _apgr(rows: Sequence[dict], scores: Sequence[float]) -> float:
    weak = [float(r["weak_correct"]) for r in rows]
    strong = [float(r["strong_correct"]) for r in rows]
    return summarize(list(scores), weak, strong)["apgr"]


def _numeric(rows: Sequence[dict]):
    out = []
    for r in rows:
        p = r["prompt"]
        nums = _NUMBER.findall(p)
        out.append([np.log1p(len(p)), len(nums), sum("." in n for n in nums), p.count("%"), p.count("$"),
                    len(re.findall(r"[.?!]\s", p)), max([len(n) for n in nums] or [0])])
    return np.array(out)


def _tfidf(**options) -> Callable:
    """Return a featurizer: (train rows, test rows) -> (train matrix, test matrix), log length appended."""
    def featurize(train, test):
        vec = TfidfVectorizer(sublinear_tf=True, **options)
        xtr = vec.fit_transform([r["prompt"] for r in train])
        xte = vec.transform([r["prompt"] for r in test])
        length = lambda rs: csr_matrix(np.log1p([[len(r["prompt"])] for r in rs]) - 6.0)  # noqa: E731
        return hstack([xtr, length(train)]).tocsr(), hstack([xte, length(test)]).tocsr()
    return featurize


def _gain_logistic(xtr, xte, train: Sequence[dict], c: float) -> List[float]:
    """Fit both outcome models on featurized ``train`` rows; return the gain on the ``xte`` rows."""
    probs = []
    for model in ("weak", "strong"):
        y = [int(r[f"{model}_correct"]) for r in train]
        probs.append(LogisticRegression(C=c, max_iter=3000).fit(xtr, y).predict_proba(xte)[:, 1])
    return list(probs[1] - probs[0])


def _gain_trees(train, test) -> List[float]:
    xtr, xte = _numeric(train), _numeric(test)
    probs = []
    for model in ("weak", "strong"):
        y = [int(r[f"{model}_correct"]) for r in train]
        trees = HistGradientBoostingClassifier(max_depth=3, max_iter=100, learning_rate=0.05, random_state=0)
        probs.append(trees.fit(xtr, y).predict_proba(xte)[:, 1])
    return list(probs[1] - probs[0])


def _cv_apgr(featurize: Callable, first: Sequence[dict], seed: int) -> Dict[float, float]:
    """Return each C's mean APGR over 5 folds of the first half (each fold featurized once)."""
    folds = KFold(n_splits=5, shuffle=True, random_state=seed)
    scores: Dict[float, List[float]] = {c: [] for c in GRID}
    for tr, te in folds.split(first):
        train, test = [first[i] for i in tr], [first[i] for i in te]
        xtr, xte = featurize(train, test)
        for c in GRID:
            scores[c].append(_apgr(test, _gain_logistic(xtr, xte, train, c)))
    return {c: sum(s) / len(s) for c, s in scores.items()}


def _math_level_scorer(data: str) -> Callable:
    """Return prompts -> predicted MATH level, fitted on the MATH train split only."""
    with open(os.path.join(data, "math_levels", "math_levels.jsonl"), encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    train = [r for r in rows if r.get("split") == "train" and isinstance(r.get("label"), int)]
    vec = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 4), min_df=3)
    model = Ridge(alpha=10.0).fit(vec.fit_transform([r["prompt"] for r in train]), [r["label"] for r in train])
    return lambda prompts: list(model.predict(vec.transform(prompts)))


def ceiling(data: str, name: str, seed: int) -> Dict[str, object]:
    rows = load_routellm(data, name)
    random.Random(seed).shuffle(rows)  # quality.py's shuffle and halves
    half = len(rows) // 2
    first, second = rows[:half], rows[half:]
    out: Dict[str, object] = {"n_train": len(first), "n_test": len(second)}
    learners: Tuple[Tuple[str, Callable], ...] = (
        ("words", _tfidf(ngram_range=(1, 1), min_df=2)),
        ("words+bigrams", _tfidf(ngram_range=(1, 2), min_df=2)),
        ("char 2-4", _tfidf(analyzer="char_wb", ngram_range=(2, 4), min_df=3)),
    )
    for label, featurize in learners:
        xtr, xte = featurize(first, second)
        test_by_c = {c: _apgr(second, _gain_logistic(xtr, xte, first, c)) for c in GRID}
        cv_by_c = _cv_apgr(featurize, first, seed)
        chosen = max(GRID, key=lambda c: cv_by_c[c])
        best = max(GRID, key=lambda c: test_by_c[c])
        out[label] = {"cv": round(test_by_c[chosen], 4), "cv_c": chosen,
                      "best": round(test_by_c[best], 4), "best_c": best}
    trees = round(_apgr(second, _gain_trees(first, second)), 4)
    out["trees on numbers"] = {"cv": trees, "best": trees}
    if name == "gsm8k" and os.path.isdir(os.path.join(data, "math_levels")):
        prior = round(_apgr(second, _math_level_scorer(data)([r["prompt"] for r in second])), 4)
        out["MATH levels (no outcomes)"] = {"cv": prior, "best": prior}
    return out


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description="full-information learners on issue 3's halves (diagnostic)")
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--only", default="mmlu,gsm8k")
    args = parser.parse_args(list(argv) or None)
    if np is None:
        print("this diagnostic needs scikit-learn: pip install scikit-learn (the package itself never does)")
        return 2
    if not os.path.isdir(os.path.join(args.data, "routellm")):
        print(f"no data at {args.data}: see benchmarks/quality.py's docstring, or pass --data DIR")
        return 2
    results: Dict[str, object] = {}
    print(f"{'dataset':8s} {'seed':>4s} {'learner (full information)':28s} {'cv':>6s} {'best':>6s}")
    for name in args.only.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            res = ceiling(args.data, name, seed)
            res["antaris_like (bandit)"] = simulate(args.data, name, seed, False)["antaris_like"]
            results[f"{name}/{seed}"] = res
            for label, value in res.items():
                if isinstance(value, dict) and "cv" in value:
                    print(f"{name:8s} {seed:4d} {label:28s} {value['cv']:6.3f} {value['best']:6.3f}")
            ours = res["antaris_like (bandit)"]["apgr"]
            print(f"{name:8s} {seed:4d} {'antaris_like (bandit only)':28s} {ours:6.3f}")
    # Only the default run replaces the committed table; a subset gets its own file.
    name = "quality_ceiling" if (args.seeds, args.only) == ("0,1,2", "mmlu,gsm8k") else \
        f"quality_ceiling-{args.only.replace(',', '+')}-seeds{args.seeds.replace(',', '+')}"
    _common.write_json(name, {"seeds": args.seeds, "grid_c": list(GRID), "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
