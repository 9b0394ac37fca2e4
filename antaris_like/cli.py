"""The command line: ``python -m antaris_like <command>`` (also installed as ``antaris-like``).

Each ``_<verb>_command`` returns an exit code: 0 success, 1 a runtime error
(bad state, no eligible model), 2 bad usage or input. Errors go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import unicodedata
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

from ._version import __version__
from .errors import AntarisError
from .policy import request_cost
from .registry import ModelInfo
from .router import Router
from .tiers import TIER_NAMES, Tier

__all__ = ["main", "DEMO_PROMPTS"]

# A varied sample for `demo`: tiers from trivial to expert, several languages, code and maths.
DEMO_PROMPTS = (
    "hi",
    "What is the capital of France?",
    "Translate 'good morning' into Japanese.",
    "¿Cuántos días tiene un año bisiesto?",
    "Объясни, что такое фотосинтез, простыми словами.",
    "用三句话解释什么是机器学习。",
    "Summarize the main causes of the French Revolution in a short paragraph for a high-school class.",
    "Write a Python function that checks whether a string is a palindrome, ignoring case and punctuation, "
    "and include two unit tests.",
    "Compare PostgreSQL and MongoDB for an e-commerce order system: consistency, schema evolution, "
    "reporting queries and operational cost. Give a recommendation with trade-offs.",
    "Prove that there are infinitely many primes of the form 4k+3, and explain where the argument fails "
    "for primes of the form 4k+1.",
    "Design a multi-region, strongly consistent distributed rate limiter for 100k requests per second: "
    "data model, consensus or CRDT choice, failure modes during network partitions, clock skew handling, "
    "and a migration plan from a single-region Redis setup. Include capacity estimates and the "
    "observability you would add.",
    "Review this code for race conditions and fix them:\n```python\nimport threading\ncount = 0\n"
    "def work():\n    global count\n    for _ in range(100000):\n        count += 1\n"
    "threads = [threading.Thread(target=work) for _ in range(8)]\n"
    "for t in threads: t.start()\nfor t in threads: t.join()\nprint(count)\n```",
)
_DEMO_OUTPUT_TOKENS = 500


def _add_router_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", metavar="DIR",
                        help="workspace folder (persists decisions and learning; default: ./.antaris_like, "
                             "where train writes, when that folder exists)")
    parser.add_argument("--no-workspace", action="store_true",
                        help="use no workspace, even when ./.antaris_like exists")
    parser.add_argument("--registry", metavar="FILE", help="registry JSON file (default: the shipped one)")
    parser.add_argument("--local", action="store_true", help="include the default registry's local Ollama models")


def _add_route_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="the prompt text, or - to read it from standard input")
    parser.add_argument("--min-tier", choices=TIER_NAMES, help="lowest tier to route to")
    parser.add_argument("--capability", help="required capability (e.g. code, vision)")
    parser.add_argument("--prefer", help="preferred provider (e.g. anthropic, openai, ollama)")
    parser.add_argument("--max-tokens", type=int, metavar="N", help="expected output tokens (cost estimate)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    _add_router_options(parser)


def _workspace(args: argparse.Namespace) -> Optional[str]:
    if args.no_workspace:
        if args.workspace is not None:
            raise ValueError("--workspace and --no-workspace contradict each other")
        return None
    if args.workspace is not None:
        return str(args.workspace)
    from .training import DEFAULT_WORKSPACE

    # `train FILE.jsonl` writes here by default; routing from the same folder should use what it learned.
    return DEFAULT_WORKSPACE if os.path.isdir(DEFAULT_WORKSPACE) else None


def _make_router(args: argparse.Namespace) -> Router:
    return Router(config_path=args.registry, workspace=_workspace(args), local_models=args.local)


def _read_prompt(value: str, stdin: Optional[TextIO]) -> str:
    if value != "-":
        return value
    if stdin is None:  # started with standard input closed (cron, some daemons)
        raise ValueError("standard input is closed: pass the prompt as an argument instead of '-'")
    return stdin.read()


def _route_from_args(args: argparse.Namespace, stdin: TextIO) -> Any:
    if args.max_tokens is not None and args.max_tokens < 0:
        raise ValueError(f"--max-tokens must be >= 0, got {args.max_tokens}")
    router = _make_router(args)
    prompt = _read_prompt(args.prompt, stdin)
    tokens = None
    if args.max_tokens is not None:
        from .text import estimate_tokens

        tokens = (max(1, estimate_tokens(prompt)), args.max_tokens)
    try:
        return router, router.route(
            prompt, min_tier=args.min_tier, capability=args.capability, prefer=args.prefer, estimate_tokens=tokens
        )
    finally:
        router.close()


def _route_command(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    _, decision = _route_from_args(args, stdin)
    if args.json:
        json.dump(decision.to_dict(), out, indent=2, ensure_ascii=False, allow_nan=False)
        out.write("\n")
    else:
        out.write(
            f"{decision.model}\ttier={decision.tier}\tconfidence={decision.confidence:.2f}\t"
            f"complexity={decision.complexity:.2f}\testimated_cost={_usd(decision.estimated_cost)}\n"
        )
    return 0


def _usd(amount: Optional[float]) -> str:
    return "unknown" if amount is None else f"${amount:.6f}"


def _explain_command(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    router, decision = _route_from_args(args, stdin)
    if args.json:
        json.dump({"decision": decision.to_dict(), "explanation": router.explain(decision)},
                  out, indent=2, ensure_ascii=False, allow_nan=False)
        out.write("\n")
    else:
        out.write(router.explain(decision) + "\n")
    return 0


def _models_command(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    router = _make_router(args)
    models: List[ModelInfo] = list(router.registry)
    if args.tier:
        wanted = Tier.parse(args.tier)
        models = [m for m in models if m.covers(wanted)]
    models.sort(key=lambda m: (m.min_tier.rank, request_cost(m, 1000, 1000), m.name))
    if args.json:
        json.dump([m.to_dict() for m in models], out, indent=2, allow_nan=False)
        out.write("\n")
        return 0
    rows = [("model", "provider", "tiers", "in $/1M", "out $/1M", "context", "as_of")]
    for m in models:
        rows.append((
            m.name,
            m.provider,
            f"{m.min_tier.value}..{m.max_tier.value}",
            _price(m.input_per_1m),
            _price(m.output_per_1m),
            f"{m.context_window:,}",
            m.as_of or "-",
        ))
    _print_table(rows, out)
    return 0


def _price(value: Optional[float]) -> str:
    return "unknown" if value is None else f"{value:.2f}"


def _width(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _print_table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(_width(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = (str(cell) + " " * (widths[i] - _width(str(cell))) for i, cell in enumerate(row))
        out.write("  ".join(cells).rstrip() + "\n")
        if index == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def _demo_command(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    router = Router(local_models=args.local)
    strongest = max(
        (m for m in router.registry if m.is_priced),
        key=lambda m: (m.max_tier.rank, m.quality, request_cost(m, 1000, 1000), m.name),
    )
    results: List[Dict[str, Any]] = []
    for prompt in DEMO_PROMPTS:
        decision = router.route(prompt, estimate_tokens=None)
        tokens = (decision.estimate_tokens[0], _DEMO_OUTPUT_TOKENS)
        routed_cost = request_cost(router.registry.get(decision.model), *tokens)
        results.append({
            "prompt": prompt,
            "tier": decision.tier,
            "model": decision.model,
            "confidence": round(decision.confidence, 3),
            "complexity": round(decision.complexity, 3),
            "estimated_cost_usd": routed_cost,
            "strongest_cost_usd": request_cost(strongest, *tokens),
        })
    total = sum(r["estimated_cost_usd"] for r in results)
    reference = sum(r["strongest_cost_usd"] for r in results)
    summary = {
        "prompts": len(results),
        "strongest_model": strongest.name,
        "output_tokens_assumed": _DEMO_OUTPUT_TOKENS,
        "routed_cost_usd": total,
        "strongest_cost_usd": reference,
        "saving_usd": reference - total,
        "saving_pct": (reference - total) / reference if reference else 0.0,
    }
    if args.json:
        json.dump({"results": results, "summary": summary}, out, indent=2, ensure_ascii=False, allow_nan=False)
        out.write("\n")
        return 0
    rows = [("prompt", "tier", "model", "est. cost")]
    for r in results:
        text = " ".join(r["prompt"].split())
        rows.append((text[:48] + ("…" if len(text) > 48 else ""), r["tier"], r["model"],
                     f"${r['estimated_cost_usd']:.6f}"))
    out.write(f"Routing {len(results)} sample prompts through the default registry (no network).\n\n")
    _print_table(rows, out)
    out.write(
        f"\nRouted cost: ${total:.6f}   Always {strongest.name}: ${reference:.6f}   "
        f"Saving: ${reference - total:.6f} ({summary['saving_pct']:.1%})\n"
        f"(each request assumed to produce {_DEMO_OUTPUT_TOKENS} output tokens; list prices from the registry)\n"
    )
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antaris-like",
        description="Route each LLM request to the cheapest model able to answer it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    route = commands.add_parser("route", help="choose a model for a prompt")
    _add_route_options(route)
    route.set_defaults(handler=_route_command)

    explain = commands.add_parser("explain", help="choose a model and explain why")
    _add_route_options(explain)
    explain.set_defaults(handler=_explain_command)

    models = commands.add_parser("models", help="list the registry's models")
    models.add_argument("--tier", choices=TIER_NAMES, help="only models covering this tier")
    models.add_argument("--json", action="store_true", help="print JSON")
    _add_router_options(models)
    models.set_defaults(handler=_models_command)

    demo = commands.add_parser("demo", help="route a built-in sample and show the saving (no network)")
    demo.add_argument("--json", action="store_true", help="print JSON")
    demo.add_argument("--local", action="store_true", help="include local Ollama models")
    demo.set_defaults(handler=_demo_command)

    for extra in _extra_commands():
        extra(commands)
    return parser


def _extra_commands() -> List[Callable[[Any], None]]:
    """Sub-commands that live with their own module (imported only when the CLI runs)."""
    from .training import add_train_command

    return [add_train_command]


def main(argv: Optional[Sequence[str]] = None, *, stdout: Optional[TextIO] = None,
         stdin: Optional[TextIO] = None) -> int:
    """Run the command line with ``argv`` (default: sys.argv[1:]) and return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    inp = stdin if stdin is not None else sys.stdin
    parser = _build_parser()
    try:
        # argparse prints --help and --version to sys.stdout: send them where the caller asked.
        with contextlib.redirect_stdout(out) if out is not None else contextlib.nullcontext():
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if out is None:  # started with standard output closed: nowhere to print the answer
        print("antaris-like: error: standard output is closed", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args, out, inp))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, AntarisError) and not isinstance(exc, ValueError):
            print(f"antaris-like: error: {exc}", file=sys.stderr)
            return 1
        print(f"antaris-like: error: {exc}", file=sys.stderr)
        return 2
    except AntarisError as exc:
        print(f"antaris-like: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except OSError as exc:  # reading a prompt file, writing the answer: a message, not a traceback
        print(f"antaris-like: error: {exc}", file=sys.stderr)
        return 1
