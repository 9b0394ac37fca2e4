"""Classifier-level quality and speed: MATH Spearman, a RouteLLM-protocol simulation, classify() timing.

Data: ../shared/data (see its README.md; MATH from hendrycks/MATH, RouteLLM from lm-sys/RouteLLM
routellm/evals). Without it the quality sections are skipped with a message.

Simulation (issue 3's protocol at classifier level): contaminated rows dropped, shuffled with seed 0,
first half: classify, weak model (trivial..moderate) chosen when tier <= moderate else strong
(complex..expert), learn_outcome() with that model's result (MMLU/GSM8K correct; MT-Bench turn-1
score/10 as quality, success = score >= 8); second half: classify only, sweep a threshold on
complexity. PGR(s) = (quality - weak) / (strong - weak); APGR = trapezoid area over the strong share at
every prompt threshold; CPT(x) = smallest strong share with PGR >= x.

Speed: classify() over a fixed set of 14 prompts, and vectorize() + classify_vector() (what route() calls)
over the mixed set of benchmarks/_common.py (210 prompts, 10 to 5,000 characters, seven kinds).

Usage: python benchmarks/classifier_eval.py [--quick | --speed-only]
  --speed-only  time only; updates the speed sections of the JSON and keeps the quality ones
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from typing import Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from antaris_like.classifier import TierClassifier  # noqa: E402
from antaris_like.tiers import Tier  # noqa: E402

DATA = os.path.join(ROOT, "..", "shared", "data")
RESULTS = os.path.join(ROOT, "benchmarks", "results", "classifier_eval.json")
SEED = 0


from _metrics import apgr, cpt, pgr_curve, spearman  # noqa: E402  (benchmarks/ is on sys.path)


def load(name: str) -> List[dict]:
    with open(os.path.join(DATA, "routellm", name), encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r for r in rows if not r.get("contaminated")]


def outcomes(row: dict, dataset: str) -> Tuple[float, float]:
    if dataset == "mt_bench":
        return row["weak_score_turn1"] / 10.0, row["strong_score_turn1"] / 10.0
    return float(row["weak_correct"]), float(row["strong_correct"])


def simulate(dataset: str, **options) -> Dict[str, float]:
    rows = load(dataset + ".jsonl")
    random.Random(SEED).shuffle(rows)
    half = len(rows) // 2
    clf = TierClassifier.load_base(**options)
    routed_weak = 0
    for row in rows[:half]:
        vec = clf.vectorize(row["prompt"])
        tier = Tier(clf.classify_vector(vec).tier)
        weak_q, strong_q = outcomes(row, dataset)
        if tier <= Tier.MODERATE:
            routed_weak += 1
            q, top = weak_q, Tier.MODERATE
        else:
            q, top = strong_q, Tier.EXPERT
        success = q >= 0.8 if dataset == "mt_bench" else q >= 1.0
        clf.learn_outcome(vec, routed_tier=tier, model_max_tier=top, success=success, quality=q)
    test = rows[half:]
    result = {"n_train": half, "n_test": len(test), "first_half_weak_share": round(routed_weak / max(half, 1), 3)}
    weak = [outcomes(r, dataset)[0] for r in test]
    strong = [outcomes(r, dataset)[1] for r in test]
    base = TierClassifier.load_base()
    scorers = {
        "learned": [clf.classify(r["prompt"]).complexity for r in test],
        "base": [base.classify(r["prompt"]).complexity for r in test],
        "length": [float(len(r["prompt"])) for r in test],
        "random": [random.Random(SEED + 1).random() for _ in test],
    }
    rng = random.Random(SEED + 1)
    scorers["random"] = [rng.random() for _ in test]
    for name, scores in scorers.items():
        pts = pgr_curve(scores, weak, strong)
        result[f"{name}_apgr"] = round(apgr(pts), 4)
        result[f"{name}_cpt50"] = round(cpt(pts, 0.5), 4)
        result[f"{name}_cpt80"] = round(cpt(pts, 0.8), 4)
    return result


def math_spearman() -> Dict[str, float]:
    clf = TierClassifier.load_base()
    xs, ys, lens = [], [], []
    with open(os.path.join(DATA, "math_levels", "math_levels.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["split"] == "test" and isinstance(row["label"], int):
                xs.append(clf.classify(row["prompt"]).complexity)
                ys.append(row["label"])
                lens.append(len(row["prompt"]))
    return {"n": len(xs), "spearman": round(spearman(xs, ys), 4), "length_spearman": round(spearman(lens, ys), 4)}


def speed_prompts() -> List[str]:
    base = [
        "hi", "What is the capital of France?", "Translate 'good night' into Spanish.",
        "Explain the difference between TCP and UDP with examples of when to use each.",
        "Design a distributed rate limiter for a multi-region API gateway handling 1M requests per second.",
        "请解释一下分布式系统中的一致性算法，以及它们在实际工程中的权衡。",
        "Объясни, как работает сборщик мусора в Java, и сравни алгоритмы G1 и ZGC.",
        "Prove that for every integer $n \\ge 1$, $\\sum_{k=1}^n k^3 = (n(n+1)/2)^2$.",
        "```python\ndef merge(a, b):\n    out = []\n    while a and b:\n        out.append(a.pop(0) if a[0] < b[0] else b.pop(0))\n    return out + a + b\n```\nWhy is this slow and how do I fix it?",
        "x" * 5000,
    ]
    para = ("Our team maintains a data platform that ingests events from many services, and we need to "
            "decide how to evolve the schema without breaking downstream consumers. ")
    base.append(para * 4)
    base.append(para * 30)
    base.append("Переведи этот текст и объясни грамматику. " * 40)
    base.append("这是一个很长的中文提示，用于测试分类器在长文本上的速度。" * 80)
    return base


def speed(rounds: int = 300) -> Dict[str, float]:
    clf = TierClassifier.load_base()
    prompts = speed_prompts()
    rng = random.Random(SEED)
    for p in prompts:
        clf.classify(p)
    samples = []
    clock = time.perf_counter
    for _ in range(rounds):
        rng.shuffle(prompts)
        for p in prompts:
            t0 = clock()
            clf.classify(p)
            samples.append(clock() - t0)
    samples.sort()
    return {"n": len(samples), "median_us": round(samples[len(samples) // 2] * 1e6, 2),
            "p99_us": round(samples[int(len(samples) * 0.99)] * 1e6, 2),
            "prompt_lengths": sorted(len(p) for p in prompts)}


def mixed_speed(rounds: int = 20) -> Dict[str, object]:
    """Time vectorize + classify_vector per call on the mixed prompt set; also each part and each kind."""
    from _common import KINDS, mixed_prompts, summarize, time_calls

    clf = TierClassifier.load_base()
    prompts = mixed_prompts(210)
    vecs = [clf.vectorize(p) for p in prompts]
    vectorize, classify_vector = clf.vectorize, clf.classify_vector
    both = time_calls(lambda p: classify_vector(vectorize(p), p), prompts, rounds=rounds)
    by_vec = dict(zip(prompts, vecs))
    out: Dict[str, object] = {
        "prompts": len(prompts), "rounds": rounds,
        "vectorize_plus_classify_vector": summarize(both),
        "vectorize": summarize(time_calls(vectorize, prompts, rounds=rounds)),
        "classify_vector": summarize(time_calls(lambda p: classify_vector(by_vec[p], p), prompts, rounds=rounds)),
    }
    per_kind = {}
    for k, kind in enumerate(KINDS):
        # mixed_prompts cycles through the kinds, so prompt i is of kind i % len(KINDS)
        per_kind[kind] = statistics.median(t for i, t in enumerate(both) if i % len(prompts) % len(KINDS) == k)
    out["median_us_by_kind"] = {kind: round(v, 2) for kind, v in per_kind.items()}
    return out


def load_time() -> Dict[str, float]:
    import antaris_like.classifier as C
    path = C._BASE_PATH
    times = []
    for _ in range(20):
        C._BASE_CACHE.clear()
        t0 = time.perf_counter()
        TierClassifier.load_base()
        times.append(time.perf_counter() - t0)
    return {"load_base_ms_median": round(sorted(times)[10] * 1e3, 2), "base_model_bytes": os.path.getsize(path)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="classifier quality and speed")
    parser.add_argument("--quick", action="store_true", help="skip MMLU (the slow part)")
    parser.add_argument("--speed-only", action="store_true", help="time only; keep the JSON's quality sections")
    args = parser.parse_args(argv)
    out: Dict[str, object] = {}
    if args.speed_only and os.path.exists(RESULTS):
        with open(RESULTS, encoding="utf-8") as fh:
            out = json.load(fh)
    out["python"] = sys.version.split()[0]
    out["speed"] = speed()
    out["mixed_speed"] = mixed_speed()
    out["load"] = load_time()
    if args.speed_only:
        pass
    elif os.path.isdir(DATA):
        out["math_test"] = math_spearman()
        for name in (("gsm8k", "mt_bench") if args.quick else ("mmlu", "gsm8k", "mt_bench")):
            out[name] = simulate(name)
    else:
        print(f"no data at {DATA}: quality sections skipped (see ../shared/data/README.md for sources)")
    print(f"classify(): median {out['speed']['median_us']} us, p99 {out['speed']['p99_us']} us "
          f"over {out['speed']['n']} calls; load_base {out['load']['load_base_ms_median']} ms "
          f"({out['load']['base_model_bytes']} bytes)")
    m = out["mixed_speed"]
    both = m["vectorize_plus_classify_vector"]
    print(f"vectorize + classify_vector on the mixed set: median {both['median_us']} us, p99 {both['p99_us']} us "
          f"over {both['n']} calls (vectorize {m['vectorize']['median_us']} us, "
          f"classify_vector {m['classify_vector']['median_us']} us)")
    print("  median by kind: " + ", ".join(f"{k} {v}" for k, v in m["median_us_by_kind"].items()))
    if "math_test" in out:
        m = out["math_test"]
        print(f"MATH test Spearman(complexity, level) = {m['spearman']} (goal >= 0.45; length {m['length_spearman']}), n={m['n']}")
        print(f"{'dataset':9s} {'scorer':8s} {'APGR':>6s} {'CPT50':>6s} {'CPT80':>6s}")
        for name in ("mmlu", "gsm8k", "mt_bench"):
            if name not in out:
                continue
            r = out[name]
            for scorer in ("learned", "base", "length", "random"):
                print(f"{name:9s} {scorer:8s} {r[scorer + '_apgr']:6.3f} {r[scorer + '_cpt50']:6.1%} {r[scorer + '_cpt80']:6.1%}")
            print(f"{'':9s} first-half weak share {r['first_half_weak_share']:.1%}, n_test={r['n_test']}")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
