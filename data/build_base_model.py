"""Train antaris_like/resources/base_model.json reproducibly (standard library only, deterministic).

Training data:
  * data/corpus/prompts.jsonl: the project's own labelled prompts (tier trivial..expert, several languages);
  * optionally the MATH **train** split (../shared/data/math_levels/math_levels.jsonl, split == "train",
    level 1-5), used only as hashed-feature statistics: no text is stored, the test split is never read.
    RouteLLM's data is never used here (the quality benchmark learns from it).

Model: weighted ridge regression of the tier rank (0..4; MATH level L -> 1 + 0.75 (L - 1)) on
IDF-weighted hashed token features (tf * idf / sqrt(n)) plus dense structural signals, fitted by
AdaGrad with a seeded shuffle; the IDF is folded into the stored per-bucket weights. A held-out slice
(every fifth corpus prompt by crc32, every tenth MATH problem) fits the temperature of the
cumulative-logit tier probabilities. Same inputs -> byte-identical output.

Usage: python data/build_base_model.py [--math PATH | --no-math] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import zlib
from collections import Counter
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from antaris_like import classifier as C  # noqa: E402
from antaris_like import features as F  # noqa: E402
from antaris_like._packing import b64_array  # noqa: E402
from antaris_like.text import scan  # noqa: E402
from antaris_like.tiers import TIER_NAMES  # noqa: E402

DEFAULT_MATH = os.path.join(ROOT, "..", "shared", "data", "math_levels", "math_levels.jsonl")
CORPUS = os.path.join(HERE, "corpus", "prompts.jsonl")
OUT = os.path.join(ROOT, "antaris_like", "resources", "base_model.json")
EPOCHS = 12
L2 = 1e-4
STEP = 0.08
MIN_ABS_WEIGHT = 2e-3
CORPUS_SHARE = 0.5  # total weight of corpus examples relative to MATH examples

Example = Tuple[Dict[int, float], Tuple[float, ...], float, float]  # (sparse x, dense z, target, weight)


def featurize(clf: C.TierClassifier, text: str) -> Tuple[Counter, Tuple[float, ...]]:
    tokens, sig = scan(text)
    return Counter(clf._index(tokens)), F.dense_features(sig)


def load_rows(math_path: str) -> Tuple[list, list, list]:
    corpus = [json.loads(line) for line in open(CORPUS, encoding="utf-8") if line.strip()]
    train, hold = [], []
    for row in corpus:
        item = (row["prompt"], float(TIER_NAMES.index(row["tier"])), "corpus")
        (hold if zlib.crc32(row["prompt"].encode("utf-8")) % 5 == 0 else train).append(item)
    maths = []
    if math_path:
        for line in open(math_path, encoding="utf-8"):
            row = json.loads(line)
            if row.get("split") != "train" or not isinstance(row.get("label"), int):
                continue  # never the test split
            item = (row["prompt"], 1.0 + 0.75 * (row["label"] - 1), "math")
            (hold if zlib.crc32(row["id"].encode("utf-8")) % 10 == 0 else maths).append(item)
    return train, maths, hold


def build(math_path: str) -> dict:
    clf = C.TierClassifier(base={})
    train, maths, hold = load_rows(math_path)
    docs = [(featurize(clf, p), y, src) for p, y, src in train + maths]
    df: Counter = Counter()
    for (counts, _), _, _ in docs:
        df.update(counts.keys())
    n_docs = len(docs)
    idf = {i: math.log((n_docs + 1) / (d + 1)) + 1.0 for i, d in df.items()}
    default_idf = math.log(n_docs + 1) + 1.0
    n_corpus = sum(1 for d in docs if d[2] == "corpus")
    n_math = n_docs - n_corpus
    corpus_w = CORPUS_SHARE * n_math / n_corpus if n_math else 1.0

    def to_example(counts: Counter, dense: Tuple[float, ...], y: float, w: float) -> Example:
        norm = 1.0 / math.sqrt(sum(counts.values()) or 1)
        return ({i: c * idf.get(i, default_idf) * norm for i, c in counts.items()}, dense, y, w)

    examples = [to_example(c, z, y, corpus_w if src == "corpus" else 1.0) for (c, z), y, src in docs]
    mean_y = sum(e[2] * e[3] for e in examples) / sum(e[3] for e in examples)
    v: Dict[int, float] = {}
    g2: Dict[int, float] = {}
    dense = [0.0] * len(F.DENSE_NAMES)
    dense_g2 = [1e-8] * len(dense)
    bias, bias_g2 = mean_y, 1e-8
    rng = random.Random(20240601)
    order = list(range(len(examples)))
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for k in order:
            x, z, y, w = examples[k]
            pred = bias + sum(v.get(i, 0.0) * xi for i, xi in x.items()) + sum(a * b for a, b in zip(dense, z))
            err = (pred - y) * w
            for i, xi in x.items():
                g = err * xi + L2 * v.get(i, 0.0)
                g2[i] = g2.get(i, 1e-8) + g * g
                v[i] = v.get(i, 0.0) - STEP * g / math.sqrt(g2[i])
            for j, zj in enumerate(z):
                g = err * zj
                dense_g2[j] += g * g
                dense[j] -= STEP * g / math.sqrt(dense_g2[j])
            bias_g2 += err * err
            bias -= STEP * err / math.sqrt(bias_g2)
    folded = {i: wv * idf.get(i, default_idf) for i, wv in v.items() if abs(wv * idf.get(i, default_idf)) >= MIN_ABS_WEIGHT}
    scale = max(abs(x) for x in folded.values()) / 32000.0
    indices = sorted(folded)
    values = [int(round(folded[i] / scale)) for i in indices]
    deltas = [b - a for a, b in zip([0] + indices[:-1], indices)]
    model = {
        "schema_version": 1,
        "kind": "antaris_like.base_model",
        "dim_bits": F.DIM_BITS,
        "bias": round(bias, 6),
        "dense": [round(x, 6) for x in dense],
        "dense_names": list(F.DENSE_NAMES),
        "weights": {"scale": float(f"{scale:.9g}"), "index": b64_array("i", deltas),
                    "value": b64_array("h", values)},
        "temperature": 0.5,
    }
    fitted = C.TierClassifier(base=model)
    model["temperature"], nll, acc = fit_temperature(fitted, [h for h in hold if h[2] == "corpus"])
    model["trained_on"] = {
        "corpus_prompts": n_corpus, "math_train_problems": n_math,
        "held_out": {"corpus": sum(1 for h in hold if h[2] == "corpus"), "math": sum(1 for h in hold if h[2] == "math")},
        "nonzero_weights": len(indices), "epochs": EPOCHS, "l2": L2, "corpus_share": CORPUS_SHARE,
    }
    model["metrics"] = {"holdout_nll": round(nll, 4), "holdout_accuracy": round(acc, 4),
                        "holdout_math_spearman": round(spearman_math(fitted, [h for h in hold if h[2] == "math"]), 4)}
    return model


def fit_temperature(clf: C.TierClassifier, hold: list) -> Tuple[float, float, float]:
    scored = [(clf.score(clf.vectorize(p)), int(y)) for p, y, _ in hold]
    best = (float("inf"), 0.5)
    for k in range(10, 301, 5):
        t = k / 100.0
        nll = 0.0
        for s, y in scored:
            above = [C._sigmoid((s - th) / t) for th in C._THRESHOLDS]
            probs = [1 - above[0]] + [above[j] - above[j + 1] for j in range(3)] + [above[3]]
            nll -= math.log(max(probs[y], 1e-9))
        best = min(best, (nll / max(len(scored), 1), t))
    acc = sum(1 for s, y in scored if (s > 0.5) + (s > 1.5) + (s > 2.5) + (s > 3.5) == y) / max(len(scored), 1)
    return best[1], best[0], acc


def spearman_math(clf: C.TierClassifier, hold: list) -> float:
    if len(hold) < 3:
        return float("nan")
    xs = [clf.score(clf.vectorize(p)) for p, _, _ in hold]
    ys = [y for _, y, _ in hold]
    return spearman(xs, ys)


def _ranks(values: List[float]) -> List[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0
        i = j + 1
    return ranks


def spearman(xs: List[float], ys: List[float]) -> float:
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else 0.0


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--math", default=DEFAULT_MATH, help="MATH levels JSONL (train split used only)")
    parser.add_argument("--no-math", action="store_true", help="train on the project corpus only")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args(argv)
    math_path = "" if args.no_math else args.math
    if math_path and not os.path.exists(math_path):
        print(f"MATH data not found at {math_path}; use --no-math or see ../shared/data/README.md", file=sys.stderr)
        return 2
    model = build(math_path)
    text = json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.out)
    print(json.dumps({"out": os.path.relpath(args.out, ROOT), "bytes": len(text), **model["trained_on"],
                      **model["metrics"], "temperature": model["temperature"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
