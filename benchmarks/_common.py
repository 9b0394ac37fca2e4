"""Shared helpers for the benchmark scripts: the mixed prompt set, timing, tables, JSON results.

Standard library only. The peer runner (benchmarks/peers/antaris_runner.py) runs under another
interpreter and does not import this module: prompts reach it as a JSON file written here.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
PEER_RUNNER = os.path.join(BENCH_DIR, "peers", "antaris_runner.py")
DEFAULT_PEERS_VENV = "/work/peers-venv"
PEER_SETUP_HINT = (
    "antaris-router is not installed side by side; to compare, run\n"
    "    sh benchmarks/peers/setup.sh      # venv at $ANTARIS_PEERS_VENV or /work/peers-venv\n"
    "and run this benchmark again."
)

if REPO_ROOT not in sys.path:  # run as `python benchmarks/x.py` from a checkout, not installed
    sys.path.insert(0, REPO_ROOT)

# -- the mixed prompt set --------------------------------------------------------------------

# Length buckets follow antaris' tier boundaries, so every tier's length range is represented.
LENGTH_BUCKETS = ((10, 50), (50, 200), (200, 1000), (1000, 3000), (3000, 5000))

_SENTENCES: Dict[str, Sequence[str]] = {
    "english": (
        "What is the capital of Australia?",
        "Explain how a hash map handles collisions.",
        "Summarise the main argument of the attached report in three bullet points.",
        "Compare the trade-offs between eventual and strong consistency in distributed databases.",
        "Write a polite email declining the meeting invitation for Thursday.",
        "Design a rate limiter that works across several data centres and explain its failure modes.",
        "Why is the sky blue?",
        "List five ways to reduce the memory footprint of a web service.",
        "Analyse the risks of migrating a payments platform from a monolith to microservices.",
        "Give me a short definition of entropy.",
    ),
    "chinese": (
        "请解释一下量子纠缠的基本原理。",
        "北京今天的天气怎么样？",
        "请为一个分布式任务队列设计优先级调度方案，并说明如何处理节点故障。",
        "把这段话翻译成英文：我们明天上午十点开会。",
        "比较关系型数据库和文档数据库在高并发写入场景下的优缺点。",
        "写一首关于秋天的短诗。",
        "请分析这家公司的季度财报，并指出主要风险。",
        "什么是机器学习中的过拟合？",
    ),
    "russian": (
        "Какая столица Канады?",
        "Объясните разницу между процессом и потоком в операционной системе.",
        "Спроектируйте отказоустойчивую систему обработки платежей для нескольких регионов.",
        "Переведите на английский: встреча переносится на пятницу.",
        "Проанализируйте риски перехода с монолита на микросервисы.",
        "Что такое энтропия в теории информации?",
        "Напишите короткое письмо с благодарностью коллеге.",
    ),
    "spanish": (
        "¿Cuál es la capital de Perú?",
        "Explica cómo funciona la recolección de basura en Java.",
        "Diseña una arquitectura de microservicios para una tienda en línea con alta disponibilidad.",
        "Resume este artículo en tres frases.",
        "Compara las ventajas de PostgreSQL y MySQL para cargas analíticas.",
        "Escribe un poema corto sobre el mar.",
        "Analiza los riesgos regulatorios de lanzar un banco digital en Europa.",
    ),
    "arabic": (
        "ما هي عاصمة المغرب؟",
        "اشرح الفرق بين التعلم الآلي والتعلم العميق.",
        "صمم نظامًا موزعًا لمعالجة الطلبات مع تحمل الأعطال في عدة مناطق.",
        "ترجم هذه الجملة إلى الإنجليزية: الاجتماع غدًا في الساعة العاشرة.",
        "حلل مخاطر نقل قاعدة البيانات إلى السحابة.",
        "اكتب رسالة قصيرة لشكر فريق العمل.",
    ),
    "code": (
        "def add(a, b):\n    return a + b\n",
        "Why does this raise KeyError?\n```python\ncounts = {}\ncounts['x'] += 1\n```\n",
        "Refactor this function to be thread-safe:\n```python\nclass Counter:\n    def __init__(self):\n"
        "        self.n = 0\n    def incr(self):\n        self.n += 1\n```\n",
        "SELECT user_id, COUNT(*) FROM orders GROUP BY user_id HAVING COUNT(*) > 5;",
        "Implement an LRU cache in Rust with O(1) get and put, and explain the borrow checker issues.",
        "function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }",
        "Write a Go HTTP middleware that enforces a per-client token bucket and returns 429 with Retry-After.",
    ),
    "maths": (
        "What is 17 * 23?",
        "Solve for x: 3x + 7 = 22.",
        "Prove that the square root of 2 is irrational.",
        "Compute the integral of x^2 * e^x dx and verify by differentiation.",
        "Let G be a finite group of order p^2 for a prime p. Show that G is abelian.",
        "Find all real solutions of x^4 - 5x^2 + 4 = 0.",
        "Show that the series sum 1/n^2 converges and find its value.",
    ),
}
KINDS = tuple(_SENTENCES)


def _build(rng: random.Random, kind: str, target: int) -> str:
    pool = _SENTENCES[kind]
    joiner = "" if kind == "chinese" else " "
    parts: List[str] = []
    length = 0
    while length < target:
        sentence = rng.choice(pool)
        parts.append(sentence)
        length += len(sentence) + len(joiner)
    text = joiner.join(parts)[:target].rstrip()
    if joiner and " " in text:
        # prefer ending on a word boundary when that keeps the prompt near its target length
        cut = text.rsplit(" ", 1)[0].rstrip()
        if len(cut) >= max(10, int(target * 0.8)):
            text = cut
    return text if len(text) >= 2 else pool[0][:target]


def mixed_prompts(count: int = 210, seed: int = 20240601) -> List[str]:
    """Return ``count`` deterministic prompts of 10 to 5,000 characters across languages, code and maths.

    Every (kind, length bucket) pair is used in turn, so any count of at least 35 covers them all.
    """
    rng = random.Random(seed)
    prompts: List[str] = []
    combos = [(kind, bucket) for bucket in LENGTH_BUCKETS for kind in KINDS]
    for index in range(count):
        kind, (low, high) = combos[index % len(combos)]
        # log-uniform inside the bucket: short prompts are as common as long ones within it
        target = int(round(math.exp(rng.uniform(math.log(low), math.log(high)))))
        prompts.append(_build(rng, kind, target))
    return prompts


def unique_prompts(base: Sequence[str]) -> Iterator[str]:
    """Yield an endless stream of distinct prompts built from ``base`` (for route+report loops)."""
    index = 0
    while True:
        for prompt in base:
            yield f"{prompt} (request {index})"
            index += 1


def describe_prompts(prompts: Sequence[str]) -> Dict[str, Any]:
    """Summarise a prompt set for the JSON results."""
    lengths = sorted(len(p) for p in prompts)
    return {"count": len(prompts), "min_chars": lengths[0], "median_chars": statistics.median(lengths),
            "max_chars": lengths[-1], "kinds": list(KINDS)}


# -- timing ----------------------------------------------------------------------------------

def time_calls(fn: Callable[[str], Any], prompts: Sequence[str], *, rounds: int = 5,
               warmup_rounds: int = 1) -> List[float]:
    """Call ``fn`` on every prompt ``rounds`` times after warm-up; return each call's time in µs."""
    for _ in range(warmup_rounds):
        for prompt in prompts:
            fn(prompt)
    clock = time.perf_counter_ns
    samples: List[float] = []
    append = samples.append
    for _ in range(rounds):
        for prompt in prompts:
            start = clock()
            fn(prompt)
            append((clock() - start) / 1000.0)
    return samples


def time_interleaved(fns: Dict[str, Callable[[str], Any]], prompts: Sequence[str], *, rounds: int = 5,
                     warmup_rounds: int = 1) -> Dict[str, List[float]]:
    """Like time_calls for several contenders, taking turns each round so load drift hits all alike."""
    samples: Dict[str, List[float]] = {name: [] for name in fns}
    for fn in fns.values():
        time_calls(fn, prompts, rounds=0, warmup_rounds=warmup_rounds)
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].extend(time_calls(fn, prompts, rounds=1, warmup_rounds=0))
    return samples


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, int(math.ceil(pct / 100.0 * len(ordered))))
    return ordered[rank - 1]


def summarize(samples: Sequence[float]) -> Dict[str, float]:
    """Median, p99, mean and count of timing samples (µs)."""
    return {"median_us": round(statistics.median(samples), 2), "p99_us": round(percentile(samples, 99), 2),
            "mean_us": round(statistics.fmean(samples), 2), "n": len(samples)}


# -- output ----------------------------------------------------------------------------------

def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "") -> None:
    """Print a plain-text table with right-aligned numbers."""
    cells = [[_fmt(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    if title:
        print(title)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    print()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value == 0 or abs(value) >= 100:
            return f"{value:,.1f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def environment() -> Dict[str, Any]:
    """Describe the machine and interpreter for the JSON results."""
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": " ".join([os.path.basename(sys.executable)] + sys.argv)}


def write_json(name: str, data: Dict[str, Any]) -> str:
    """Write ``data`` (plus the environment) to benchmarks/results/<name>.json; return the path."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, f"{name}.json")
    payload = {"benchmark": name, "environment": environment(), **data}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(tmp, path)
    print(f"wrote {os.path.relpath(path, os.getcwd())}")
    return path


# -- peers -----------------------------------------------------------------------------------

def peer_python() -> Optional[str]:
    """Return the peer venv's interpreter if benchmarks/peers/setup.sh has created it."""
    venv = os.environ.get("ANTARIS_PEERS_VENV", DEFAULT_PEERS_VENV)
    for candidate in (os.path.join(venv, "bin", "python"), os.path.join(venv, "Scripts", "python.exe")):
        if os.path.exists(candidate):
            return candidate
    return None


def run_peer(mode: str, prompts: Sequence[str], *args: str, timeout: float = 3600.0) -> Optional[Dict[str, Any]]:
    """Run antaris_runner.py ``mode`` under the peer interpreter on ``prompts``; None if unavailable."""
    python = peer_python()
    if python is None:
        return None
    with tempfile.TemporaryDirectory(prefix="antaris_peer_") as tmp:
        prompts_file = os.path.join(tmp, "prompts.json")
        with open(prompts_file, "w", encoding="utf-8") as handle:
            json.dump(list(prompts), handle, ensure_ascii=False)
        command = [python, PEER_RUNNER, mode, "--prompts", prompts_file, *args]
        # cwd outside the repo so the peer can never pick up antaris_like by accident
        proc = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        print(f"peer runner failed ({proc.returncode}):\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout)


def progress(message: str) -> None:
    """Report progress on stderr so stdout stays the table."""
    print(message, file=sys.stderr, flush=True)
