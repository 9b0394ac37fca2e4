"""Routing quality on real outcome data (issue 3's protocol), through the public API only.

Data: ../shared/data (override with --data). When it is absent: it holds RouteLLM's evaluation files
(github.com/lm-sys/RouteLLM, routellm/evals/{mmlu,gsm8k,mt_bench}, Apache-2.0) converted to JSONL, and
the MATH problems with their levels (github.com/hendrycks/math); see that folder's README.md and
SOURCE.txt files for the exact origin, commit and fields, and rebuild it from those sources.

Protocol, per dataset (MMLU, GSM8K, MT-Bench):
  * a fresh ``AdaptiveRouter(tmpdir, ab_test_rate=0.0)`` with two models: ``weak`` (trivial..moderate)
    priced like Mixtral-8x7B-Instruct, $0.60 / $0.60 per 1M tokens (Together AI serverless list price,
    together.ai/pricing, 2024), and ``strong`` (complex..expert) priced like gpt-4-1106-preview,
    $10 / $30 per 1M input / output tokens (OpenAI pricing page, Nov 2023);
  * contaminated rows dropped; shuffled with ``random.Random(--seed)`` (default 0);
  * first half: ``route()``, then ``report_outcome()`` with the outcome of the model that was chosen
    (MMLU / GSM8K: correct -> success True, quality 1.0, else False / 0.0; MT-Bench: quality = turn-1
    judge score / 10, success = score >= 8);
  * second half: ``route()`` only; the score is ``decision.complexity``.
Metrics (RouteLLM's evaluate.py): prompts are sent to the strong model in decreasing score order;
at every cut k = 0..n (ties move as one block) PGR = (mean quality - weak) / (strong - weak), where
weak / strong are the all-weak / all-strong means on the second half. APGR = trapezoid area under
PGR over the strong share 0..1; CPT(x) = smallest strong share with PGR >= x (linear between cuts).
Baselines: random scores (seeded), prompt length, and antaris-router 5.0.1's SemanticClassifier
(tier rank, then confidence) when the peer venv exists (run by subprocess with the venv's python).
MATH: Spearman(complexity, level) over the test split from a fresh router that never saw it.
Calibration: reliability table of the shipped model's confidence on the held-out fifth of the
project's labelled corpus (same split as data/build_base_model.py) and the expected calibration error.

Usage: python benchmarks/quality.py [--data DIR] [--seed N] [--only mmlu,gsm8k,mt_bench,math] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zlib
from typing import Dict, List, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from antaris_like import AdaptiveRouter, ModelConfig  # noqa: E402

DATA = os.path.join(ROOT, "..", "shared", "data")
RESULTS = os.path.join(ROOT, "benchmarks", "results", "quality.json")
ALL_PARTS = "mmlu,gsm8k,mt_bench,math,calibration"
CORPUS = os.path.join(ROOT, "data", "corpus", "prompts.jsonl")
PEERS_VENV = os.environ.get("ANTARIS_PEERS_VENV", "/work/peers-venv")
WEAK = ModelConfig("weak", ("trivial", "moderate"), cost_per_1k_input=0.0006, cost_per_1k_output=0.0006,
                   provider="together")
STRONG = ModelConfig("strong", ("complex", "expert"), cost_per_1k_input=0.01, cost_per_1k_output=0.03,
                     provider="openai")
GOALS = {"mmlu": {"apgr": 0.65, "cpt50": 0.30}, "gsm8k": {"apgr": 0.62}, "math": {"spearman": 0.45}}
TIERS = ("trivial", "simple", "moderate", "complex", "expert")

_PEER_SCRIPT = r"""
import json, sys, tempfile, logging
logging.disable(logging.CRITICAL)
from antaris_router import SemanticClassifier
ranks = {"trivial": 0, "simple": 1, "moderate": 2, "complex": 3, "expert": 4}
prompts = json.load(open(sys.argv[1]))
with tempfile.TemporaryDirectory() as tmp:
    clf = SemanticClassifier(tmp)
    out = []
    for p in prompts:
        r = clf.classify(p)
        out.append(ranks.get(getattr(r, "tier", "moderate"), 2) + 0.001 * float(getattr(r, "confidence", 0.0)))
print(json.dumps(out))
"""


from _metrics import apgr, cpt, pgr_curve, spearman  # noqa: E402  (benchmarks/ is on sys.path)


def summarize(scores: Sequence[float], weak: Sequence[float], strong: Sequence[float]) -> Dict[str, float]:
    """Return APGR, CPT(50%) and CPT(80%) of a score list."""
    pts = pgr_curve(scores, weak, strong)
    return {"apgr": round(apgr(pts), 4), "cpt50": round(cpt(pts, 0.5), 4), "cpt80": round(cpt(pts, 0.8), 4)}


# -- data ----------------------------------------------------------------------------------------
def load_routellm(data: str, name: str) -> List[dict]:
    """Return the non-contaminated rows of one RouteLLM file."""
    with open(os.path.join(data, "routellm", name + ".jsonl"), encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r for r in rows if not r.get("contaminated")]


def outcome(row: dict, name: str, model: str) -> Tuple[float, bool]:
    """Return (quality, success) of ``model`` ('weak' or 'strong') on a row."""
    if name == "mt_bench":
        score = float(row[f"{model}_score_turn1"])
        return score / 10.0, score >= 8.0
    ok = bool(row[f"{model}_correct"])
    return float(ok), ok


def peer_scores(prompts: List[str]) -> List[float]:
    """Return antaris-router SemanticClassifier scores via the peer venv, or [] when it is absent."""
    python = os.path.join(PEERS_VENV, "bin", "python")
    if not os.path.exists(python):
        return []
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(prompts, fh)
    try:
        done = subprocess.run([python, "-c", _PEER_SCRIPT, fh.name], capture_output=True, text=True,
                              timeout=1800, check=True)
        return [float(x) for x in json.loads(done.stdout)]
    except (subprocess.SubprocessError, ValueError) as exc:
        print(f"  peer run failed: {exc}", file=sys.stderr)
        return []
    finally:
        os.unlink(fh.name)


def simulate(data: str, name: str, seed: int, with_peer: bool) -> Dict[str, object]:
    """Run the protocol on one dataset and return its figures."""
    rows = load_routellm(data, name)
    random.Random(seed).shuffle(rows)
    half = len(rows) // 2
    train, test = rows[:half], rows[half:]
    t0 = time.perf_counter()
    strong_calls = 0
    with tempfile.TemporaryDirectory() as tmp:
        router = AdaptiveRouter(tmp, ab_test_rate=0.0)
        router.register_model(WEAK)
        router.register_model(STRONG)
        for row in train:
            decision = router.route(row["prompt"])
            strong_calls += decision.model == "strong"
            quality, success = outcome(row, name, decision.model)
            router.report_outcome(decision.prompt_hash, quality, success)
        learned = [router.route(row["prompt"]).complexity for row in test]
        router.close()
    weak = [outcome(r, name, "weak")[0] for r in test]
    strong = [outcome(r, name, "strong")[0] for r in test]
    rng = random.Random(seed + 1)
    scorers = {"antaris_like": learned, "random": [rng.random() for _ in test],
               "length": [float(len(r["prompt"])) for r in test]}
    if with_peer:
        peer = peer_scores([r["prompt"] for r in test])
        if peer:
            scorers["antaris_router_semantic"] = peer
    out: Dict[str, object] = {"n_train": len(train), "n_test": len(test),
                              "first_half_strong_share": round(strong_calls / max(len(train), 1), 4),
                              "seconds": round(time.perf_counter() - t0, 1)}
    for scorer, scores in scorers.items():
        out[scorer] = summarize(scores, weak, strong)
    return out


def math_spearman(data: str) -> Dict[str, object]:
    """Spearman between a fresh router's complexity and the MATH test level."""
    xs: List[float] = []
    ys: List[int] = []
    lens: List[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        router = AdaptiveRouter(tmp, ab_test_rate=0.0)
        router.register_model(WEAK)
        router.register_model(STRONG)
        with open(os.path.join(data, "math_levels", "math_levels.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row["split"] == "test" and isinstance(row["label"], int):
                    xs.append(router.route(row["prompt"]).complexity)
                    ys.append(row["label"])
                    lens.append(float(len(row["prompt"])))
        router.close()
    return {"n": len(xs), "spearman": round(spearman(xs, ys), 4), "length_spearman": round(spearman(lens, ys), 4)}


def calibration(bins: int = 10) -> Dict[str, object]:
    """Reliability of the shipped model's confidence on the held-out corpus fifth, plus ECE."""
    from antaris_like import AdaptiveRouter as _Router  # the public router classifies as route() does

    rows = []
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if zlib.crc32(row["prompt"].encode("utf-8")) % 5 == 0:
                    rows.append(row)
    table = [[0, 0.0, 0] for _ in range(bins)]  # n, confidence sum, correct
    with tempfile.TemporaryDirectory() as tmp:
        router = _Router(tmp, ab_test_rate=0.0)
        router.register_model(ModelConfig("any", ("trivial", "expert")))
        for row in rows:
            d = router.route(row["prompt"])
            c = float(d.confidence)
            b = min(int(c * bins), bins - 1)
            table[b][0] += 1
            table[b][1] += c
            table[b][2] += d.classified_tier == row["tier"]
        router.close()
    n = sum(t[0] for t in table)
    ece = sum(abs(t[1] - t[2]) for t in table) / n if n else 0.0
    reliability = [{"bin": f"{i / bins:.1f}-{(i + 1) / bins:.1f}", "n": t[0],
                    "mean_confidence": round(t[1] / t[0], 3) if t[0] else None,
                    "accuracy": round(t[2] / t[0], 3) if t[0] else None} for i, t in enumerate(table)]
    return {"n": n, "ece": round(ece, 4), "accuracy": round(sum(t[2] for t in table) / max(n, 1), 4),
            "reliability": reliability}


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description="routing quality on RouteLLM and MATH data (issue 3)")
    parser.add_argument("--data", default=DATA, help="folder holding routellm/ and math_levels/")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=ALL_PARTS)
    parser.add_argument("--no-peer", action="store_true", help="skip antaris-router even when installed")
    parser.add_argument("--out", help="JSON results file (default: results/quality.json for the full "
                        "seed-0 run, results/quality-seed<N>-<parts>.json otherwise)")
    args = parser.parse_args(list(argv) or None)
    parts = args.only.split(",")
    out: Dict[str, object] = {"python": sys.version.split()[0], "seed": args.seed, "goals": GOALS,
                              "prices_per_1m": {"weak": [0.60, 0.60], "strong": [10.0, 30.0]}}
    if "calibration" in parts:
        cal = calibration()
        out["calibration"] = cal
        print(f"calibration on {cal['n']} held-out corpus prompts: accuracy {cal['accuracy']:.1%}, ECE {cal['ece']:.3f}")
        print(f"  {'confidence':11s} {'n':>4s} {'mean conf':>9s} {'observed':>9s}")
        for r in cal["reliability"]:
            if r["n"]:
                print(f"  {r['bin']:11s} {r['n']:4d} {r['mean_confidence']:9.3f} {r['accuracy']:9.3f}")
    if not os.path.isdir(os.path.join(args.data, "routellm")):
        print(f"no data at {args.data}: see the module docstring for where it comes from "
              "(RouteLLM evals + MATH), or pass --data DIR")
    else:
        for name in ("mmlu", "gsm8k", "mt_bench"):
            if name in parts:
                out[name] = simulate(args.data, name, args.seed, not args.no_peer)
        if "math" in parts:
            out["math"] = math_spearman(args.data)
    print(f"\n{'dataset':9s} {'scorer':24s} {'APGR':>6s} {'CPT50':>7s} {'CPT80':>7s}")
    for name in ("mmlu", "gsm8k", "mt_bench"):
        if name not in out:
            continue
        r = out[name]
        for scorer in ("antaris_like", "antaris_router_semantic", "length", "random"):
            if scorer in r:
                m = r[scorer]
                print(f"{name:9s} {scorer:24s} {m['apgr']:6.3f} {m['cpt50']:7.1%} {m['cpt80']:7.1%}")
        goal = GOALS.get(name)
        print(f"{'':9s} n_test={r['n_test']}, first-half strong share {r['first_half_strong_share']:.1%}"
              + (f", goal {goal}" if goal else ", no goal (too few prompts)"))
    if "math" in out:
        m = out["math"]
        print(f"MATH test Spearman(complexity, level) = {m['spearman']} (goal >= 0.45; length {m['length_spearman']}), n={m['n']}")
    # Only the full seed-0 run replaces the figures the README quotes; a partial or other-seed run
    # gets its own file (git-ignored), so a quick check never overwrites them with a subset.
    path = args.out or (RESULTS if (sorted(parts) == sorted(ALL_PARTS.split(",")) and args.seed == 0)
                        else RESULTS.replace(".json", f"-seed{args.seed}-{'+'.join(parts)}.json"))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
    print(f"results: {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
