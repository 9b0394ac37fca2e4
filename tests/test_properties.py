"""Property-based tests (hypothesis): bad input gets a documented error, good input keeps its invariants.

Generalises tests/test_boundary_values.py: instead of hand-picked values, hypothesis draws them (JSON of
any shape, any text, any number) and checks DESIGN.md §3 and §5 for each: the registry loads or raises
ConfigurationError and round-trips through save(); route() returns in-range decisions or a documented
error; outcome reports validate and persist; a budget's committed + reserved never passes its cap;
corrupt state files are moved aside; the CLI returns 0, 1 or 2; training rows fail with a line number.

Runs are reproducible (``derandomize=True``, no example database) and small enough for the whole
module to take about 20 seconds on a 2-core machine; ``ANTARIS_PROPERTY_SCALE=10`` searches ten times
deeper. The package's tests need nothing installed, so without hypothesis every
class here skips with a reason.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import fractions
import io
import json
import logging
import math
import os
import tempfile
import unittest
from typing import Any, Callable, Dict, Iterator, List, Tuple

try:
    from hypothesis import HealthCheck, given, note, settings
    from hypothesis import strategies as st
except ImportError:  # the package's own tests run with nothing installed
    HAVE_HYPOTHESIS = False

    class _Stub:
        """Stands in for hypothesis so that the decorated classes below can be defined, then skipped."""

        def __getattr__(self, name: str) -> Any:
            return self

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return self

        def __or__(self, other: Any) -> Any:
            return self

    def _keep(*args: Any, **kwargs: Any) -> Any:
        return lambda function: function  # @given(...) and @settings(...) leave the test as it is

    st = HealthCheck = note = _Stub()  # type: ignore[assignment,misc]
    given = settings = _keep  # type: ignore[assignment]
else:
    HAVE_HYPOTHESIS = True

from antaris_like import AdaptiveRouter, ModelConfig, Router
from antaris_like.errors import (
    BudgetExceededError,
    ConfigurationError,
    NoEligibleModelError,
    StateError,
)
from antaris_like.registry import ModelRegistry
from antaris_like.tiers import TIER_NAMES

SKIP_REASON = "hypothesis is not installed (pip install hypothesis)"
needs_hypothesis = unittest.skipUnless(HAVE_HYPOTHESIS, SKIP_REASON)


# ANTARIS_PROPERTY_SCALE=10 runs ten times the examples (a deeper search; still reproducible).
_SCALE = max(1, int(os.environ.get("ANTARIS_PROPERTY_SCALE", "1") or 1))


def _settings(examples: int) -> Any:
    """Reproducible settings: same examples every run, no example database, no per-example deadline."""
    return settings(max_examples=examples * _SCALE, deadline=None, derandomize=True, database=None,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@contextlib.contextmanager
def captured_logs(name: str = "antaris_like") -> Iterator[List[logging.LogRecord]]:
    """Collect the package's log records (and keep them off stderr) for the duration of the block."""
    records: List[logging.LogRecord] = []

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger(name)
    handler = _Handler(logging.DEBUG)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


# --- strategies ---------------------------------------------------------------------------------

# Text without lone surrogates, for values that go through JSON files in the harness itself. Lone
# surrogates are drawn on purpose in the registry's known fields and in its unknown keys and values
# (EXTRA_JSON): they once loaded and then made save() fail.
SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
SURROGATE_TEXT = st.sampled_from(["x\ud800", "\udfff", "ok\udc80ok"])
# Integers JSON can spell: ordinary, around the int64 / float edges, and beyond float range. Literals
# over Python's 4,300-digit int-to-str limit make the loaders raise a bare ValueError (bug 2): capped.
BIG_INTS = st.sampled_from([2 ** 53 + 1, 2 ** 63, 2 ** 64, -(2 ** 63) - 1, 10 ** 308, 10 ** 309, 10 ** 400,
                            -(10 ** 400)])
INTS = st.integers() | BIG_INTS
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e-300, 5e-324, 1e9, 1e9 + 1, 1e15, 1e15 + 1, 1.7976931348623157e308])
NUMBERS = INTS | FLOATS
SCALARS = st.none() | st.booleans() | NUMBERS | SAFE_TEXT


def json_values(scalars: Any = SCALARS, leaves: int = 8) -> Any:
    """Any JSON value (NaN and Infinity included: Python's json reads and writes them)."""
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(SAFE_TEXT, inner, max_size=4), max_leaves=leaves)


JSON = json_values()


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


TIER_LIKE = st.sampled_from(list(TIER_NAMES) + [" Expert ", "SIMPLE", "hard", ""]) | JSON
_KNOWN_KEYS = ("name", "provider", "base_url", "api_model", "input_per_1m", "output_per_1m", "tiers",
               "capabilities", "context_window", "max_output_tokens", "supports_streaming", "quality",
               "as_of", "source", "long_context_price")


def _either(valid: Any, junk: Any = JSON, weight: int = 15) -> Any:
    """``valid`` ``weight`` times in ``weight + 1``, else ``junk``: so that many documents load."""
    return st.integers(min_value=0, max_value=weight).flatmap(lambda pick: junk if pick == weight else valid)


PRICE = st.none() | st.floats(min_value=0, max_value=2e9) | st.integers(min_value=-5, max_value=10 ** 10)
MODEL_FIELDS: Dict[str, Any] = {
    "name": _either(st.sampled_from(["m", "gpt-4o-mini", "llama3:8b", "x/y"])
                    | SAFE_TEXT.map(str.strip).filter(bool),
                    SURROGATE_TEXT | st.sampled_from(["", " m", "m "]) | JSON),
    "provider": _either(st.sampled_from(["openai", "OpenAI ", "ollama", "p"]), SURROGATE_TEXT | JSON),
    "input_per_1m": _either(PRICE),
    "output_per_1m": _either(PRICE),
    "tiers": _either(st.lists(st.sampled_from(TIER_NAMES), min_size=2, max_size=2).map(
        lambda pair: sorted(pair, key=TIER_NAMES.index)),
                     st.lists(TIER_LIKE, max_size=3) | JSON),
    "context_window": _either(st.integers(min_value=1, max_value=10 ** 7) | st.sampled_from([1000.0, 2 ** 70])),
    "max_output_tokens": _either(st.integers(min_value=-3, max_value=10 ** 6)),
}
OPTIONAL_FIELDS: Dict[str, Any] = {
    "base_url": _either(st.none() | st.sampled_from(["http://localhost:11434", "https://api.x.ai/v1"]),
                        st.sampled_from(["ftp://x", "localhost", " "]) | JSON),
    "api_model": _either(st.none() | st.sampled_from(["gpt-4o", "m"]), SURROGATE_TEXT | JSON),
    "capabilities": _either(st.lists(st.sampled_from(["text", "code", "Vision ", "tools", "json", "text"]),
                                     max_size=4),
                            st.lists(SAFE_TEXT | SURROGATE_TEXT, max_size=3) | JSON),
    "supports_streaming": _either(st.booleans()),
    "quality": _either(st.floats(min_value=0, max_value=1) | st.sampled_from([0, 1]), NUMBERS),
    "as_of": _either(st.sampled_from(["", "2026-11-22", "2024-02-29"]),
                     st.sampled_from(["2023-02-29", "yesterday", "2026-11-22T00:00"]) | SURROGATE_TEXT | JSON),
    "source": _either(SAFE_TEXT, SURROGATE_TEXT | JSON),
}
_LONG_PRICE = st.fixed_dictionaries({"above_tokens": _either(st.integers(min_value=1, max_value=10 ** 7), weight=6),
                                     "input_per_1m": _either(PRICE, weight=6),
                                     "output_per_1m": _either(PRICE, weight=6)})
OPTIONAL_FIELDS["long_context_price"] = _either(_LONG_PRICE | st.lists(_LONG_PRICE, max_size=3), weight=6)
EXTRA_KEYS = SAFE_TEXT.filter(lambda k: k not in _KNOWN_KEYS)
# Unknown keys and values as a registry may hold them: lone surrogates in both, and a key naming a
# long-context price with a number of thousands no context has.
EXTRA_KEYS_ANY = EXTRA_KEYS | SURROGATE_TEXT | st.just("input_cost_per_token_above_" + "9" * 40 + "k_tokens")
EXTRA_JSON = json_values(SCALARS | SURROGATE_TEXT)


def _model_entry(required: Dict[str, Any], optional: Dict[str, Any], extra: Dict[str, Any], drop: Any) -> Dict[str, Any]:
    entry = {**extra, **optional, **required}
    entry.pop(drop, None)
    return entry


MODEL_ENTRY = st.builds(
    _model_entry,
    st.fixed_dictionaries(MODEL_FIELDS),
    st.fixed_dictionaries({}, optional=OPTIONAL_FIELDS),
    st.dictionaries(EXTRA_KEYS_ANY, EXTRA_JSON, max_size=2),
    _either(st.none(), st.sampled_from(sorted(MODEL_FIELDS)), weight=3),  # now and then a required key is missing
)
# Documents: mostly the right shape (schema_version 1, a list of models), sometimes anything at all.
REGISTRY_DOC = _either(
    st.builds(lambda models, meta: {**meta, "schema_version": 1, "models": models},
              st.lists(MODEL_ENTRY, max_size=4),
              st.dictionaries(EXTRA_KEYS_ANY.filter(lambda k: k not in ("schema_version", "models")), EXTRA_JSON,
                              max_size=2)),
    st.builds(lambda version, models: {"schema_version": version, "models": models},
              JSON | st.sampled_from([0, 2, 1.0, True, "1"]), JSON | st.lists(MODEL_ENTRY, max_size=2)) | JSON,
    weight=3,
)


class _TempDirCase(unittest.TestCase):
    """A temporary folder per test method (hypothesis examples make their own subfolders)."""

    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self._count = 0

    def fresh(self, name: str = "d") -> str:
        """Return a new, empty subfolder path (not created), unique within this test."""
        self._count += 1
        return os.path.join(self.dir, f"{name}{self._count}")

    def write(self, data: Any, name: str = "file.json") -> str:
        folder = self.fresh()
        os.makedirs(folder)
        path = os.path.join(folder, name)
        with open(path, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        return path


# --- 1. the registry ----------------------------------------------------------------------------

class _RegistryChecks(_TempDirCase):
    """What every loaded registry satisfies: values in range, and save() then from_file() gives it back."""

    def check_loaded(self, registry: ModelRegistry) -> None:
        for model in registry:
            for price in (model.input_per_1m, model.output_per_1m):
                self.assertTrue(price is None or (math.isfinite(price) and 0.0 <= price <= 1e9), price)
            self.assertLessEqual(model.min_tier, model.max_tier)
            self.assertTrue(0.0 <= model.quality <= 1.0)
            self.assertTrue(model.context_window >= 1 and model.max_output_tokens >= 1)
            self.assertEqual(model.name, model.name.strip())
            thresholds = [above for above, _, _ in getattr(model, "long_context_prices", ())]
            self.assertEqual(thresholds, sorted(set(thresholds)))
            for above, price_in, price_out in getattr(model, "long_context_prices", ()):
                self.assertTrue(above >= 1 and all(math.isfinite(p) and 0.0 <= p <= 1e9 for p in (price_in, price_out)))
                if model.is_priced:  # one token past its threshold, a request is charged this rate
                    self.assertAlmostEqual(model.calculate_cost(above + 1, 0), (above + 1) * price_in / 1e6,
                                           delta=1e-9 * (1 + (above + 1) * price_in / 1e6))
            self.assertTrue(model.capabilities and all(c == c.strip().lower() for c in model.capabilities)
                            or model.capabilities == ())
        self.assertRoundTrips(registry)

    def assertRoundTrips(self, registry: ModelRegistry) -> None:
        path = os.path.join(self.fresh(), "saved.json")
        os.makedirs(os.path.dirname(path))
        registry.save(path)
        again = ModelRegistry.from_file(path)
        self.assertEqual(list(again), list(registry))
        self.assertEqual(again.to_dict(), registry.to_dict())
        self.assertEqual([dict(m.extra) for m in again], [dict(m.extra) for m in registry])


@needs_hypothesis
class RegistryPropertyTest(_RegistryChecks):
    """Any registry document loads (and round-trips through save) or raises ConfigurationError."""

    @_settings(250)
    @given(REGISTRY_DOC)
    def test_from_dict_loads_or_raises_configuration_error(self, doc: Any) -> None:
        try:
            registry = ModelRegistry.from_dict(doc)
        except ConfigurationError as exc:
            self.assertTrue(str(exc))
            return
        self.check_loaded(registry)

    @_settings(80)
    @given(st.one_of(REGISTRY_DOC.map(_dumps),
                     st.text(max_size=40).map(lambda s: '{"schema_version": 1, "models": [' + s),
                     st.binary(max_size=40),
                     st.sampled_from(["", "  \n", "\ufeff{}", "[" * 100_000, '{"a": 1, "a": 2}',
                                      '{"schema_version": 1, "models": [], "models": []}'])))
    def test_from_file_loads_or_raises_configuration_error(self, data: Any) -> None:
        path = self.write(data)
        try:
            registry = ModelRegistry.from_file(path)
        except ConfigurationError as exc:
            self.assertTrue(str(exc))
            return
        self.check_loaded(registry)

    def test_missing_or_folder_path_is_a_configuration_error(self) -> None:
        for path in (os.path.join(self.dir, "absent.json"), self.dir):
            with self.subTest(path=path), self.assertRaises(ConfigurationError):
                ModelRegistry.from_file(path)


LITELLM_ENTRY = st.builds(
    lambda core, more, drop: {k: v for k, v in {**more, **core}.items() if k != drop},
    st.fixed_dictionaries({
        "litellm_provider": _either(st.sampled_from(["openai", "anthropic", "gemini", "ollama"]),
                                    st.sampled_from(["", " "]) | SURROGATE_TEXT | JSON),
        "mode": _either(st.just("chat"), st.sampled_from(["embedding", "completion", "Chat"]) | JSON),
        "input_cost_per_token": _either(st.floats(min_value=0, max_value=1e-3) | st.just(0),
                                        st.floats() | st.sampled_from([-1e-6, 1e300, 1e10]) | JSON),
        "output_cost_per_token": _either(st.floats(min_value=0, max_value=1e-3) | st.just(0),
                                         st.floats() | st.sampled_from([-1e-6, 1e300, 1e10]) | JSON),
        "max_input_tokens": _either(st.integers(min_value=1, max_value=2_000_000)),
    }),
    st.fixed_dictionaries({}, optional={
        "max_tokens": _either(st.integers(min_value=1, max_value=200_000)),
        "max_output_tokens": _either(st.integers(min_value=1, max_value=200_000)),
        "supports_vision": _either(st.booleans()),
        "supports_function_calling": _either(st.booleans()),
        "supports_native_streaming": _either(st.booleans()),
        "source": _either(SAFE_TEXT, SURROGATE_TEXT | JSON),
        "input_cost_per_token_above_200k_tokens": _either(st.floats(min_value=0, max_value=1e-3), st.floats() | JSON),
        "output_cost_per_token_above_128k_tokens": _either(st.floats(min_value=0, max_value=1e-3), st.floats() | JSON),
    }),
    _either(st.none(), st.sampled_from(["mode", "litellm_provider", "input_cost_per_token", "max_input_tokens"]),
            weight=3),  # now and then a key it needs is missing
)
LITELLM_KEYS = st.sampled_from(["gpt-4o", "openai/gpt-4o", "gemini/gemini-pro", "sample_spec", "claude-3",
                                "", " x", "x\ud800"]) | SAFE_TEXT
LITELLM_DOC = _either(st.dictionaries(LITELLM_KEYS, _either(LITELLM_ENTRY, weight=3), max_size=5), weight=4)


@needs_hypothesis
class LiteLLMPropertyTest(_RegistryChecks):
    """Any LiteLLM price file imports (and round-trips) or raises ConfigurationError."""

    @_settings(150)
    @given(LITELLM_DOC, st.none() | st.lists(LITELLM_KEYS, max_size=2) | st.just("gpt-4o"),
           st.none() | st.sampled_from(["openai", "google", "gemini", "nobody"]), st.booleans())
    def test_import_or_configuration_error(self, doc: Any, models: Any, provider: Any, unpriced: bool) -> None:
        path = self.write(_dumps(doc), "model_prices_and_context_window.json")
        try:
            registry = ModelRegistry.from_litellm_file(path, models=models, provider=provider,
                                                       include_unpriced=unpriced)
        except ConfigurationError as exc:
            self.assertTrue(str(exc))
            return
        self.check_loaded(registry)
        for model in registry:
            self.assertTrue({"text", "code"} <= set(model.capabilities))
            self.assertTrue(model.is_priced or unpriced)
        if models is not None:  # every model asked for was imported (or it raised above)
            wanted = [models] if isinstance(models, str) else models
            got = {m.name for m in registry} | {m.api_model for m in registry}
            self.assertLessEqual(set(wanted), got)


# --- 2. route() ----------------------------------------------------------------------------------

# Any text: letters of every script, control characters, emoji; NUL and lone surrogates drawn on purpose.
PROMPT_CHARS = st.characters(blacklist_categories=("Cs",))
PROMPTS = st.one_of(
    st.text(PROMPT_CHARS, max_size=60),
    st.text(st.sampled_from("\t\n\r\x0b\x0c\x1b\x7f\x85\u2028\u200b\ufeff \x01"), max_size=8),
    st.builds(lambda s, n: (s or "a") * n, st.text(PROMPT_CHARS, min_size=1, max_size=5),
              st.integers(min_value=100, max_value=700)),   # long, around the test router's limit
    st.builds(lambda a, b: a + b, st.text(PROMPT_CHARS, max_size=10), st.sampled_from(["\x00", "\ud800", "\udfff"])),
    st.sampled_from(["", " ", "\n\t", "hi", "```python\nprint(1)\n```", "∫ x² dx", "用三句话解释机器学习。"]),
)
NOT_A_PROMPT = st.one_of(st.none(), st.integers(), st.binary(max_size=5), st.lists(st.text(max_size=3), max_size=2))
TIER_OPTION = st.none() | _either(st.sampled_from(list(TIER_NAMES) + [" Complex", "EXPERT"]),
                                  st.sampled_from(["hard", "", "tier5"]) | st.integers() | JSON, weight=6)
CAPABILITY = st.none() | _either(st.sampled_from(["text", "code", "vision", "tools", "json", "reasoning", "Code "]),
                                 st.sampled_from(["telepathy", "", " "]) | JSON, weight=6)
PREFER = st.none() | _either(st.sampled_from(["openai", "anthropic", "google", "gpt", "gpt-4o-mini", "nobody"]),
                             st.sampled_from(["", " "]) | JSON, weight=6)
TOKEN_INTS = st.integers(min_value=0, max_value=100_000) | st.integers(min_value=-5, max_value=10 ** 7) \
    | BIG_INTS | st.sampled_from([0, 1, 10 ** 12, 10 ** 30])
ESTIMATE = st.none() | _either(st.tuples(TOKEN_INTS, TOKEN_INTS),
                               st.lists(TOKEN_INTS, max_size=3) | st.tuples(st.floats(), st.booleans()) | JSON,
                               weight=4)
MAX_TOKENS = st.none() | _either(TOKEN_INTS, st.sampled_from([True, 2.5, "10"]) | JSON, weight=6)
# What route() documents: TypeError / ValueError for bad arguments (ConfigurationError is a ValueError),
# NoEligibleModelError when nothing fits.
ROUTE_ERRORS = (TypeError, ValueError, NoEligibleModelError)
LIMIT = 2000  # max_prompt_chars of the test router, so that "too long" is reachable cheaply


class _DecisionChecks(unittest.TestCase):
    """What every decision satisfies, whatever the prompt, the options and the registry."""

    names: Dict[int, Any] = {}

    def check_decision(self, router: Router, decision: Any, prompt: str, min_tier: Any, capability: Any,
                       max_tokens: Any) -> None:
        self.assertIn(decision.model, self.names[id(router)])
        model = router.registry.get(decision.model)
        self.assertIn(decision.tier, TIER_NAMES)
        self.assertIn(decision.classified_tier, TIER_NAMES)
        self.assertTrue(0.0 <= decision.confidence <= 1.0, decision.confidence)
        self.assertTrue(0.0 <= decision.complexity <= 1.0, decision.complexity)
        if not model.covers(decision.tier):  # allowed only when nothing eligible covers it: the nearest range
            self.assertTrue(any("no model covers" in r for r in decision.reasoning), decision.reasoning)
        cost = decision.estimated_cost
        self.assertTrue(cost is None or (isinstance(cost, float) and math.isfinite(cost) and cost >= 0.0), cost)
        if cost is None and model.is_priced:  # only an unknown price is shown as unknown
            self.fail(f"priced model {model.name} got estimated_cost None for {decision.estimate_tokens}")
        if min_tier is not None:
            from antaris_like.tiers import Tier
            self.assertGreaterEqual(Tier.parse(decision.tier), Tier.parse(min_tier))
        if capability is not None:
            self.assertTrue(model.has_capability(capability))
        if max_tokens is not None:
            self.assertTrue(1 <= decision.max_tokens <= max_tokens)
        self.assertEqual(len(decision.prompt_hash), 64)
        import hashlib
        self.assertEqual(decision.prompt_hash, hashlib.sha256(prompt.encode("utf-8")).hexdigest())
        data = decision.to_dict()
        json.dumps(data, allow_nan=False)  # a decision is JSON-ready: no NaN or Infinity for strict parsers
        self.assertTrue(router.explain(decision))


@needs_hypothesis
class RoutePropertyTest(_DecisionChecks):
    """route() on any text with any options: an in-range decision, or a documented error."""

    router: Router
    local: Router

    @classmethod
    def setUpClass(cls) -> None:
        cls.router = Router(max_prompt_chars=LIMIT)
        cls.local = Router(local_models=True, max_prompt_chars=LIMIT)
        cls.names = {id(cls.router): set(cls.router.registry.names()),
                     id(cls.local): set(cls.local.registry.names())}

    @classmethod
    def tearDownClass(cls) -> None:
        cls.router.close()
        cls.local.close()

    @_settings(300)
    @given(PROMPTS, TIER_OPTION, CAPABILITY, PREFER, ESTIMATE, MAX_TOKENS, st.booleans())
    def test_route_returns_in_range_or_documented_error(self, prompt: str, min_tier: Any, capability: Any,
                                                        prefer: Any, estimate: Any, max_tokens: Any,
                                                        local: bool) -> None:
        router = self.local if local else self.router
        kwargs = dict(min_tier=min_tier, capability=capability, prefer=prefer, estimate_tokens=estimate,
                      max_tokens=max_tokens)
        try:
            decision = router.route(prompt, **kwargs)
        except ROUTE_ERRORS as exc:
            self.assertTrue(str(exc), type(exc))
            with self.assertRaises(type(exc)):  # the same input fails the same way
                router.route(prompt, **kwargs)
            return
        self.check_decision(router, decision, prompt, min_tier, capability, max_tokens)
        again = router.route(prompt, **kwargs)  # exploration is off: routing is a function of its input
        self.assertEqual((again.model, again.tier, again.confidence, again.complexity),
                         (decision.model, decision.tier, decision.confidence, decision.complexity))

    @_settings(40)
    @given(NOT_A_PROMPT)
    def test_non_text_prompt_is_a_type_error(self, prompt: Any) -> None:
        with self.assertRaisesRegex(TypeError, "prompt must be str"):
            self.router.route(prompt)

    @_settings(30)
    @given(st.text(PROMPT_CHARS, min_size=1, max_size=4).filter(lambda s: not s.isspace() and "\x00" not in s),
           st.integers(min_value=-3, max_value=3))
    def test_length_limit_is_exact(self, unit: str, offset: int) -> None:
        prompt = (unit * (LIMIT // len(unit) + 1))[:LIMIT + offset]
        if prompt.isspace():
            return
        if len(prompt) > LIMIT:
            with self.assertRaisesRegex(ValueError, "too long"):
                self.router.route(prompt)
        else:
            self.check_decision(self.router, self.router.route(prompt), prompt, None, None, None)


# --- 3. outcome reports ----------------------------------------------------------------------------

QUALITY = st.one_of(st.floats(min_value=0, max_value=1), st.floats(), st.sampled_from([0, 1, -1, 2, 10 ** 400]),
                    st.booleans(), st.none(), st.sampled_from(["0.5", b"1", [0.5]]),
                    st.fractions(), st.decimals(allow_nan=False, allow_infinity=True), st.complex_numbers(max_magnitude=1))
SUCCESS = st.one_of(st.booleans(), st.integers(min_value=-2, max_value=3),
                    st.sampled_from([1.0, 0.0, None, "yes", "true", b"1"]))


def _quality_ok(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, fractions.Fraction, decimal.Decimal)):
        return False
    try:
        number = float(value)
    except OverflowError:
        return False
    return math.isfinite(number) and 0.0 <= number <= 1.0


def _success_ok(value: Any) -> bool:
    return isinstance(value, bool) or (type(value) is int and value in (0, 1))


@needs_hypothesis
class OutcomePropertyTest(_TempDirCase):
    """report_outcome() accepts exactly the valid quality/success values, and an accepted one persists."""

    @_settings(25)
    @given(st.lists(st.tuples(st.integers(min_value=0, max_value=2), QUALITY, SUCCESS), min_size=1, max_size=6))
    def test_reports_validate_and_persist(self, reports: List[Tuple[int, Any, Any]]) -> None:
        ws = self.fresh("ws")
        router = AdaptiveRouter(ws)
        try:
            router.register_model(ModelConfig("cheap", ("trivial", "expert")))
            decisions = [router.route(f"prompt number {i} about sorting lists") for i in range(3)]
            last: Dict[str, Tuple[float, bool]] = {}
            for index, quality, success in reports:
                decision = decisions[index]
                valid = _quality_ok(quality) and _success_ok(success)
                try:
                    router.report_outcome(decision.prompt_hash, quality, success)
                except (TypeError, ValueError) as exc:
                    self.assertFalse(valid, f"refused a valid report {quality!r}, {success!r}: {exc}")
                    self.assertRegex(str(exc), "quality_score|success")
                    continue
                self.assertTrue(valid, f"accepted {quality!r}, {success!r}")
                last[decision.prompt_hash] = (float(quality), bool(success))
        finally:
            router.close()
        fresh = Router(workspace=ws)  # what a new process sees: only the workspace
        try:
            tiers = {d.tier for d in decisions}
            n = sum(fresh.outcomes.stats("cheap", t).n for t in tiers)
            successes = sum(fresh.outcomes.stats("cheap", t).successes for t in tiers)
            quality_sum = sum(fresh.outcomes.stats("cheap", t).quality_sum for t in tiers)
            self.assertEqual(n, len(last))
            self.assertEqual(successes, sum(ok for _, ok in last.values()))
            # qualities are kept in millionths (exact sums when a report is replaced)
            self.assertAlmostEqual(quality_sum, sum(q for q, _ in last.values()), delta=1e-6 * len(last))
        finally:
            fresh.close()

    @_settings(15)
    @given(st.lists(st.tuples(st.integers(min_value=0, max_value=2), QUALITY, SUCCESS,
                              st.sampled_from(["m1", "m2"]) | st.sampled_from(["", None, 5, "x\ud800"])),
                    min_size=1, max_size=5))
    def test_quality_tracker_standalone(self, reports: List[Tuple[int, Any, Any, Any]]) -> None:
        from antaris_like import QualityTracker

        ws = self.fresh("ws")
        digests = [f"{i:064x}" for i in range(3)]  # never routed: recorded against the model, with no tier
        last: Dict[Tuple[str, str], Tuple[float, bool]] = {}
        tracker = QualityTracker(ws)
        try:
            for index, quality, success, model in reports:
                valid = _quality_ok(quality) and _success_ok(success) and model in ("m1", "m2")
                try:
                    tracker.record_outcome(digests[index], quality, success, model=model)
                except (TypeError, ValueError, LookupError) as exc:
                    self.assertFalse(valid, f"refused {quality!r}, {success!r}, {model!r}: {exc}")
                    self.assertTrue(str(exc))
                    continue
                self.assertTrue(valid, f"accepted {quality!r}, {success!r}, {model!r}")
                last = {k: v for k, v in last.items() if k[0] != digests[index]}  # a re-report replaces
                last[(digests[index], model)] = (float(quality), bool(success))
        finally:
            tracker.close()
        fresh = QualityTracker(ws)
        try:
            for model in ("m1", "m2"):
                mine = [v for (_, m), v in last.items() if m == model]
                performance = fresh.get_model_performance(model)
                self.assertEqual(performance["total_outcomes"], len(mine))
                if mine:
                    self.assertAlmostEqual(performance["avg_quality"], sum(q for q, _ in mine) / len(mine),
                                           delta=2e-6)
        finally:
            fresh.close()

    @_settings(40)
    @given(st.one_of(st.text(max_size=70), st.none(), st.integers(), st.binary(max_size=64),
                     st.text(alphabet="0123456789abcdefABCDEF", min_size=63, max_size=65)),
           st.floats(min_value=0, max_value=1), st.booleans())
    def test_bad_or_unknown_hash_is_refused(self, digest: Any, quality: float, success: bool) -> None:
        from antaris_like.errors import UnknownDecisionError
        router = _memory_router()
        with self.assertRaises((TypeError, ValueError, UnknownDecisionError)) as caught:
            router.report_outcome(digest, quality, success)
        self.assertRegex(str(caught.exception), "prompt_hash")


_MEMORY_ROUTER: List[Router] = []


def _memory_router() -> Router:
    if not _MEMORY_ROUTER:
        _MEMORY_ROUTER.append(Router())
    return _MEMORY_ROUTER[0]


# --- 2b. route() over any loadable registry ---------------------------------------------------------

VALID_MODEL = st.builds(
    lambda name, provider, prices, tiers, caps, context, output, quality: {
        "name": name, "provider": provider, "input_per_1m": prices[0], "output_per_1m": prices[1],
        "tiers": sorted(tiers, key=TIER_NAMES.index), "capabilities": caps, "context_window": context,
        "max_output_tokens": output, "quality": quality},
    st.sampled_from(["a", "b", "c", "d", "e"]),
    st.sampled_from(["openai", "anthropic", "ollama", "p"]),
    st.tuples(st.none() | st.sampled_from([0.0, 1e-9, 0.15, 1e9]) | st.floats(0, 1e9),
              st.none() | st.sampled_from([0.0, 1e-9, 0.6, 1e9]) | st.floats(0, 1e9)),
    st.lists(st.sampled_from(TIER_NAMES), min_size=2, max_size=2),
    st.lists(st.sampled_from(["text", "code", "vision", "tools"]), max_size=3),
    st.sampled_from([1, 10, 4096, 128_000, 10 ** 12, 10 ** 400]),
    st.sampled_from([1, 256, 16_384, 10 ** 400]),
    st.floats(0, 1),
)
# Token counts up to 1e300: a priced model's cost past float range is refused (ValueError), never shown
# as the unknown price it once was.
SANE_TOKENS = st.integers(min_value=0, max_value=10 ** 6) | st.sampled_from([0, 1, 10 ** 12, 10 ** 200, 10 ** 300])


@needs_hypothesis
class RouteAnyRegistryPropertyTest(_DecisionChecks):
    """route() over registries drawn at random (huge context windows, $0 and $1e9 prices, unpriced)."""

    @_settings(150)
    @given(st.lists(VALID_MODEL, min_size=1, max_size=4, unique_by=lambda m: m["name"]), PROMPTS.filter(
        lambda p: len(p) <= LIMIT), TIER_OPTION, CAPABILITY, st.none() | st.tuples(SANE_TOKENS, SANE_TOKENS),
        st.none() | SANE_TOKENS)
    def test_route_any_registry(self, models: List[Dict[str, Any]], prompt: str, min_tier: Any, capability: Any,
                                estimate: Any, max_tokens: Any) -> None:
        registry = ModelRegistry.from_dict({"schema_version": 1, "models": models})
        router = Router(registry=registry, max_prompt_chars=LIMIT)
        self.names = {id(router): set(registry.names())}
        kwargs = dict(min_tier=min_tier, capability=capability, estimate_tokens=estimate, max_tokens=max_tokens)
        try:
            decision = router.route(prompt, **kwargs)
        except ROUTE_ERRORS as exc:
            self.assertTrue(str(exc))
            return
        self.check_decision(router, decision, prompt, min_tier, capability, max_tokens)
        self.assertEqual(router.route(prompt, **kwargs).model, decision.model)
        json.dumps(router.get_analytics(), allow_nan=False)  # no inf / NaN leaks into the analytics


# --- 4. budgets -----------------------------------------------------------------------------------

AMOUNT_LIKE = st.none() | _either(st.floats(min_value=0, max_value=1e6) | st.sampled_from([0, 1, 1e15]),
                                  NUMBERS | st.booleans() | st.sampled_from(["1", b"1"]), weight=4)
WINDOW_LIKE = _either(st.sampled_from(["total", "request", "hour", "day", "week", "month", "sliding",
                                       "token_bucket", "bucket", "Daily", " month ", "lifetime"]),
                      st.sampled_from(["fortnight", "", "hours"]) | JSON, weight=4)
TZ_LIKE = _either(st.sampled_from(["UTC", "Europe/London", "America/New_York", "Asia/Kathmandu",
                                   "Australia/Lord_Howe", "Pacific/Chatham", "Etc/GMT+12", "Z", " utc"])
                  | st.sampled_from([_dt.timezone.utc, _dt.timezone(_dt.timedelta(hours=5, minutes=45)),
                                     _dt.timezone(_dt.timedelta(hours=-23, minutes=-59))]),
                  st.sampled_from(["Mars/Olympus", "", "America", "../etc/passwd", "a\x00b", "x\ud800"])
                  | st.none() | JSON, weight=4)
NOW = st.floats(min_value=0, max_value=4.1e9) | st.sampled_from(
    [0.0, 1711846800.0, 1730595600.0, 1704067199.999, 1709164800.0, 951782400.0])  # DST and leap days


@needs_hypothesis
class LimitPropertyTest(unittest.TestCase):
    """Limit(...) with any arguments is a valid limit or a TypeError / ValueError; windows hold ``now``."""

    @_settings(300)
    @given(AMOUNT_LIKE, AMOUNT_LIKE, AMOUNT_LIKE,
           st.none() | _either(st.sampled_from(["user", "org", "team.eu", "k-1"]), SAFE_TEXT | JSON, weight=3),
           WINDOW_LIKE, TZ_LIKE, AMOUNT_LIKE, AMOUNT_LIKE,
           _either(st.floats(min_value=0, max_value=0.99), NUMBERS, weight=3),
           st.none() | _either(st.sampled_from(["daily-usd", "x"]), st.sampled_from(["", " ", "a|b"]) | JSON, weight=3),
           st.lists(NOW, min_size=1, max_size=3))
    def test_limit_is_valid_or_refused(self, usd: Any, tokens: Any, requests: Any, per: Any, window: Any,
                                       timezone: Any, seconds: Any, rate: Any, share: Any, name: Any,
                                       nows: List[float]) -> None:
        from antaris_like import Limit
        from antaris_like.budget.limits import MAX_AMOUNT
        try:
            limit = Limit(usd=usd, tokens=tokens, requests=requests, per=per, window=window, timezone=timezone,
                          seconds=seconds, rate=rate, priority_share=share, name=name)
        except (TypeError, ValueError) as exc:  # ConfigurationError is a ValueError
            self.assertTrue(str(exc))
            return
        self.assertTrue(math.isfinite(limit.amount) and 0.0 <= limit.amount <= MAX_AMOUNT)
        self.assertTrue(0.0 <= limit.cap_for("normal") <= limit.cap_for("high") == limit.amount)
        self.assertIsInstance(limit.id, str)
        keys = {limit.per: "alice"} if limit.per else {}
        for now in nows:
            span = limit.span(now)
            if limit.kind.is_calendar:
                self.assertTrue(span.start <= now < span.end, (span, now))
                self.assertGreater(span.end - span.start, 0)
                self.assertLessEqual(span.end - span.start, 31 * 86400 + 3600)
                self.assertEqual(limit.span(span.start).label, span.label)  # the window's first instant is in it
            line = limit.line(keys, 0.5, now, "normal")
            self.assertEqual(line.cap, limit.cap_for("normal"))
            self.assertIsInstance(limit.scope_label(keys, now), str)


# A ledger operation: ("reserve", usd, tokens, user) | ("settle", which, usd) | ("release", which)
# | ("advance", seconds) | ("again", which): settle a finished reservation once more.
GOOD_USD = st.floats(min_value=0, max_value=60) | st.sampled_from([0.0, 1e-12, 5e-324, 10.0, 25.0, 50.0])
BAD_USD = st.sampled_from([-1.0, -1e-300, math.nan, math.inf, 1e16, 10 ** 400, True, "1"])
_RESERVE = st.tuples(st.just("reserve"), _either(GOOD_USD, BAD_USD, weight=10),
                     st.floats(min_value=0, max_value=500), st.sampled_from(["alice", "bob"]))
_FINISH_OR_WAIT = st.one_of(
    st.tuples(st.just("settle"), st.integers(min_value=0, max_value=20),
              st.none() | st.floats(min_value=0, max_value=1) | BAD_USD),
    st.tuples(st.just("settle_over"), st.integers(min_value=0, max_value=20), st.floats(min_value=0, max_value=30)),
    st.tuples(st.just("release"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 1.0, 30.0, 99.0, 100.0, 3600.0, 86400.0])),
    st.tuples(st.just("again"), st.integers(min_value=0, max_value=20)),
)
LEDGER_OP = _either(_RESERVE, _FINISH_OR_WAIT, weight=1)  # half of the operations reserve


@needs_hypothesis
class LedgerPropertyTest(unittest.TestCase):
    """Any sequence of reserve / settle / release on a memory-store Budget keeps the hard cap hard."""

    @_settings(200)
    @given(st.floats(min_value=0, max_value=100) | st.sampled_from([0.0, 1e-9, 50.0]),
           st.floats(min_value=0, max_value=40), st.floats(min_value=1, max_value=2000),
           st.sampled_from(["day", "hour", "total"]), st.booleans(),
           st.lists(LEDGER_OP, max_size=30), st.sampled_from([1709164700.0, 1711846700.0, 0.0]))
    def test_cap_and_spend_invariants(self, cap: float, user_cap: float, token_cap: float, user_window: str,
                                      high: bool, ops: List[Tuple[Any, ...]], start: float) -> None:
        from antaris_like import Budget, Limit
        from antaris_like.budget import UnknownReservationError

        now = [start]
        budget = Budget(Limit(usd=cap), Limit(usd=user_cap, per="user", window=user_window, timezone="Europe/London"),
                        Limit(tokens=token_cap, window="sliding", seconds=60.0, priority_share=0.25),
                        store="memory://", clock=lambda: now[0], reservation_ttl=100.0)
        held: List[Any] = []       # every reservation made, in order
        expired: Dict[str, bool] = {}
        tol = lambda x: 1e-9 * (1 + abs(x)) + 1e-9 * (len(ops) + 1)  # noqa: E731 - float sums and RESIDUE

        def usage(user: str) -> List[Any]:
            return list(budget.status({"user": user}).limits)

        with captured_logs():  # overage and late-settle warnings are expected here
            self.run_ops(budget, ops, held, expired, usage, tol, now, UnknownReservationError, high)

    def run_ops(self, budget: Any, ops: List[Tuple[Any, ...]], held: List[Any], expired: Dict[str, bool],
                usage: Callable[[str], List[Any]], tol: Callable[[float], float], now: List[float],
                UnknownReservationError: Any, high: bool) -> None:
        model_spent = 0.0          # what the total-window USD limit must show as spent
        overage = False            # a settle above what was held makes committed alone pass a cap: allowed
        for op in ops:
            note(repr(op))
            kind = op[0]
            if kind == "reserve":
                _, usd, tokens, user = op
                try:
                    reservation = budget.reserve(usd=usd, tokens=tokens, keys={"user": user},
                                                 priority="high" if high else "normal")
                except BudgetExceededError as exc:
                    self.assertGreater(exc.requested, 0.0)  # zero amounts always fit
                    self.assertTrue(exc.spent + exc.reserved + exc.requested > exc.limit - tol(exc.limit))
                    continue
                except (TypeError, ValueError) as exc:
                    self.assertRegex(str(exc), "usd|tokens")
                    continue
                held.append(reservation)
                if usd > 0 or tokens > 0:
                    for item in usage(user):  # the reserve that just succeeded fits under every cap
                        amount = usd if item.unit == "usd" else tokens
                        if amount > 0:
                            self.assertLessEqual(item.spent + item.reserved, item.limit + tol(item.limit), item)
            elif kind in ("settle", "settle_over", "release", "again") and held:
                reservation = held[op[1] % len(held)]
                if reservation.done:  # settled or released already: a second finish is refused
                    with self.assertRaises(UnknownReservationError):
                        reservation.release() if kind == "release" else reservation.settle(usd=0.0)
                    continue
                if kind == "again":
                    op = ("settle", op[1], None)
                was_expired = expired.get(reservation.id, False)
                if kind == "release":
                    reservation.release()
                    charge = 0.0
                else:
                    if kind == "settle_over":
                        actual = reservation.usd + op[2]
                    elif op[2] is None or not isinstance(op[2], float) or not 0.0 <= op[2] <= 1.0:
                        actual = op[2]
                    else:
                        actual = reservation.usd * op[2]
                    try:
                        result = reservation.settle(usd=actual)
                    except (TypeError, ValueError) as exc:
                        self.assertRegex(str(exc), "usd")
                        self.assertFalse(reservation.done)
                        continue
                    charge = reservation.usd if actual is None else float(actual)
                    self.assertEqual(result.expired, was_expired)
                    overage = overage or charge > reservation.usd
                # an expired reservation was charged in full when it expired: only an overage is still owed
                model_spent += max(charge, reservation.usd) if was_expired else charge
                if was_expired:
                    model_spent -= reservation.usd  # counted at expiry below
            elif kind == "advance":
                now[0] += op[1]
            for reservation in held:  # status() below sweeps expired reservations: charged in full
                if not reservation.done and not expired.get(reservation.id) and reservation.expires_at <= now[0]:
                    expired[reservation.id] = True
                    model_spent += reservation.usd
            for user in ("alice", "bob"):
                for item in usage(user):
                    self.assertTrue(item.spent >= 0.0 and item.reserved >= 0.0 and math.isfinite(item.spent))
                    if not overage:  # the hard-cap invariant: committed + reserved <= cap
                        self.assertLessEqual(item.spent + item.reserved, item.limit + tol(item.limit), item)
            total = budget.status({}).limits[0]
            self.assertEqual(total.limit_id, "usd/*/total")
            self.assertAlmostEqual(total.spent, model_spent, delta=tol(model_spent))
            self.assertAlmostEqual(budget.spent(), model_spent, delta=tol(model_spent))
            live = sum(r.usd for r in held if not r.done and not expired.get(r.id))
            self.assertAlmostEqual(total.reserved, live, delta=tol(live))


# --- 5. state files in the workspace -----------------------------------------------------------------

STATE_FILES = ("classifier.json", "router_state.json")


def _mutate(draw: Callable[[Any], Any], doc: Any) -> Any:
    """Return a copy of ``doc`` with one node (reached by a random walk) replaced or removed."""
    doc = json.loads(json.dumps(doc))
    parent, key, node = None, None, doc
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if isinstance(node, dict) and node:
            child = draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            child = draw(st.integers(min_value=0, max_value=len(node) - 1))
        else:
            break
        parent, key, node = node, child, node[child]
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "tweak"]))
    if action == "tweak" and isinstance(node, str) and node:  # e.g. one character of a base64 array
        at = draw(st.integers(min_value=0, max_value=len(node) - 1))
        value: Any = node[:at] + draw(st.sampled_from(["A", "=", "!", "", "é", node[at] * 3])) + node[at + 1:]
    elif action == "tweak" and isinstance(node, (int, float)) and not isinstance(node, bool):
        value = draw(st.sampled_from([-node, node * 1e300 if node else 1e300, node + 0.5, 2 ** 63, -1, math.nan]))
    else:
        value = draw(JSON | st.sampled_from([math.inf, -math.inf, math.nan, 10 ** 400, -1, 2 ** 63, [], {}, ""]))
    if parent is None:
        return value if action != "delete" else {}
    if action == "delete":
        del parent[key]
    else:
        parent[key] = value
    return doc


@needs_hypothesis
class StateFilePropertyTest(_TempDirCase):
    """Any damage to classifier.json / router_state.json: the router loads it or moves it aside with a
    warning (StateError only for a newer schema), and then routes, reports and saves normally."""

    _tmp: tempfile.TemporaryDirectory[str]
    base: str
    docs: Dict[str, Any]

    @classmethod
    def setUpClass(cls) -> None:
        cls._tmp = tempfile.TemporaryDirectory()
        cls.base = os.path.join(cls._tmp.name, "ws")
        with captured_logs():
            router = AdaptiveRouter(cls.base)
            router.register_model(ModelConfig("cheap", ("trivial", "moderate")))
            router.register_model(ModelConfig("top", ("complex", "expert"), cost_per_1k_input=0.01))
            for i in range(70):  # past the first fit of the outcome model: the snapshot holds one
                decision = router.route(f"prompt number {i} about sorting")
                router.report_outcome(decision.prompt_hash, 0.5, i % 3 == 0)
            router.save_state()
            router.close()
        cls.docs = {}
        for name in STATE_FILES:
            with open(os.path.join(cls.base, name), encoding="utf-8") as fh:
                cls.docs[name] = json.load(fh)

    @classmethod
    def tearDownClass(cls) -> None:
        cls._tmp.cleanup()

    def copy_workspace(self) -> str:
        import shutil

        target = self.fresh("ws")
        shutil.copytree(self.base, target)
        return target

    def check_router_survives(self, ws: str, name: str) -> None:
        with captured_logs() as logs:
            try:
                router = AdaptiveRouter(ws)
            except StateError as exc:
                self.assertRegex(str(exc), "schema_version|newer")  # only state from a newer version is refused
                return
            try:
                router.register_model(ModelConfig("cheap", ("trivial", "moderate")))
                router.register_model(ModelConfig("top", ("complex", "expert"), cost_per_1k_input=0.01))
                for prompt in ("Prove that the sum of two even numbers is even", "hi", "用三句话解释机器学习。"):
                    decision = router.route(prompt)
                    self.assertTrue(0.0 <= decision.confidence <= 1.0 and 0.0 <= decision.complexity <= 1.0)
                    self.assertIn(decision.tier, TIER_NAMES)
                    router.report_outcome(decision.prompt_hash, 0.5, True)
                router.get_analytics()
                router.save_state()  # what was loaded can be written back
            finally:
                router.close()
        moved = [n for n in os.listdir(ws) if n.startswith(name + ".corrupt-")]
        if moved:  # never silently: a corrupt file moved aside is announced
            self.assertTrue(any(r.levelno >= logging.WARNING for r in logs), [r.getMessage() for r in logs])
        for state in STATE_FILES:  # and the files written back are strict JSON
            with open(os.path.join(ws, state), encoding="utf-8") as fh:
                text = fh.read()
            json.loads(text, parse_constant=lambda c, state=state: self.fail(f"{state} holds {c}"))

    @_settings(40)
    @given(st.sampled_from(STATE_FILES), st.data())
    def test_mutated_state_file(self, name: str, data: Any) -> None:
        doc = _mutate(data.draw, self.docs[name])
        ws = self.copy_workspace()
        with open(os.path.join(ws, name), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, allow_nan=True))
        self.check_router_survives(ws, name)

    @_settings(15)
    @given(st.sampled_from(STATE_FILES), st.one_of(st.binary(max_size=30), JSON.map(_dumps),
                                                  st.sampled_from([b"", b"{", b"\xff\xfe", b"[" * 100_000,
                                                                   b'{"schema_version": 999}'])))
    def test_replaced_state_file(self, name: str, raw: Any) -> None:
        ws = self.copy_workspace()
        with open(os.path.join(ws, name), "wb") as fh:
            fh.write(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass"))
        self.check_router_survives(ws, name)


# --- 6. the command line ------------------------------------------------------------------------------

CLI_OPTIONS = st.one_of(
    st.tuples(st.just("--min-tier"), st.sampled_from(list(TIER_NAMES) + ["Expert", "hard"])),
    st.tuples(st.just("--capability"), st.sampled_from(["code", "vision", "telepathy", ""])),
    st.tuples(st.just("--prefer"), st.sampled_from(["anthropic", "openai", "nobody", " "])),
    st.tuples(st.just("--max-tokens"), st.sampled_from(["-5", "0", "10", "4096", "1" + "0" * 30, "2.5", "x"])),
    st.tuples(st.just("--workspace"), st.sampled_from(["@WS", "@WS", "@FILE_WS", "@MISSING", "."])),
    st.tuples(st.just("--registry"), st.sampled_from(["@REGISTRY", "@REGISTRY", "@BAD_REGISTRY", "@UNPRICED",
                                                      "@MISSING", "@WS"])),
    st.tuples(st.just("--tier"), st.sampled_from(list(TIER_NAMES) + ["hard"])),
    st.just(("--json",)), st.just(("--json",)), st.just(("--local",)), st.just(("--no-workspace",)),
)
CLI_JUNK = st.sampled_from(["--help", "--version", "--", "-", "-x", "--bogus", "route", "1e400"]) | SAFE_TEXT
CLI_POSITIONAL = {
    "route": st.text(PROMPT_CHARS, max_size=30) | st.sampled_from(["-", "", " ", "hi", "Prove it\x00"]),
    "train": st.sampled_from(["@TRAIN", "@TRAIN", "@BAD_TRAIN", "@MISSING", "@WS", "@REGISTRY"]),
}
CLI_POSITIONAL["explain"] = CLI_POSITIONAL["route"]


@st.composite
def cli_argv(draw: Callable[[Any], Any]) -> List[str]:
    """An argv: a real sub-command, its positional argument, options with values, and now and then junk."""
    command = draw(st.sampled_from(["route", "route", "explain", "models", "train", "train", "demo", "serve", ""]))
    argv = [command] if command else []
    if command in CLI_POSITIONAL and draw(st.integers(0, 9)):
        argv.append(draw(CLI_POSITIONAL[command]))
    for option in draw(st.lists(CLI_OPTIONS, max_size=4)):
        argv.extend(option)
    for _ in range(draw(st.integers(0, 6)) // 5):  # junk in one argv of six
        argv.insert(draw(st.integers(0, len(argv))), draw(CLI_JUNK))
    return argv


@needs_hypothesis
class CommandLinePropertyTest(_TempDirCase):
    """main(argv) with any mix of real sub-commands, flags and junk: exit code 0, 1 or 2, never a traceback."""

    def setUp(self) -> None:
        super().setUp()
        self._cwd = os.getcwd()
        self.addCleanup(os.chdir, self._cwd)
        model = {"provider": "openai", "input_per_1m": 0.15, "output_per_1m": 0.6, "tiers": ["trivial", "expert"],
                 "context_window": 128000, "max_output_tokens": 4096}
        self.files = {
            "@REGISTRY": self.write(json.dumps({"schema_version": 1, "models": [dict(model, name="gpt-4o-mini")]}),
                                    "models.json"),
            "@UNPRICED": self.write(json.dumps({"schema_version": 1, "models": [
                dict(model, name="a", input_per_1m=None, output_per_1m=None),
                dict(model, name="b", input_per_1m=None, output_per_1m=None)]}), "unpriced.json"),
            "@BAD_REGISTRY": self.write('{"schema_version": 1, "models": [{"name": 1}]}', "bad.json"),
            "@TRAIN": self.write('{"prompt": "hi", "tier": "simple"}\n\n{"prompt": "Prove it", "tier": "expert"}\n',
                                 "train.jsonl"),
            "@BAD_TRAIN": self.write('{"prompt": "hi", "tier": "simple"}\n{"prompt": ""}\n', "bad.jsonl"),
            "@FILE_WS": self.write("not a folder", "file_ws"),
            "@MISSING": os.path.join(self.dir, "missing", "x.json"),
        }

    def resolve(self, tokens: List[str]) -> List[str]:
        workspace = os.path.join(self.fresh("ws"), "ws")
        return [self.files.get(t, workspace if t == "@WS" else t) for t in tokens]

    @_settings(80)
    @given(cli_argv(), st.text(PROMPT_CHARS, max_size=30) | st.sampled_from(["", "\x00", "hi\n"]))
    def test_exit_code_is_0_1_or_2(self, tokens: List[str], stdin_text: str) -> None:
        from antaris_like.cli import main

        argv = self.resolve(tokens)
        cwd = self.fresh("cwd")  # `train` writes ./.antaris_like by default: keep each run in its own folder
        os.makedirs(cwd)
        os.chdir(cwd)
        out, err, sys_out = io.StringIO(), io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(sys_out), captured_logs():
            code = main(argv, stdout=out, stdin=io.StringIO(stdin_text))
        note(f"argv={argv!r} code={code} stderr={err.getvalue()[-300:]!r}")
        self.assertIn(code, (0, 1, 2))
        self.assertNotIn("Traceback", err.getvalue())
        if code != 0:
            self.assertTrue(err.getvalue().strip(), "a failure says why on stderr")
            self.assertRegex(err.getvalue(), "error|usage")
        helped = {"-h", "--help", "--version"} & set(argv)
        if code == 0 and "--json" in argv and not helped:
            json.loads(out.getvalue(), parse_constant=lambda c: self.fail(f"--json printed {c}"))


# --- 7. training files --------------------------------------------------------------------------------

_LINE_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
GOOD_ROWS = st.one_of(
    st.builds(lambda p, t: {"prompt": p, "tier": t}, st.sampled_from(["hi", "Prove it", "写一首诗", "x" * 300]),
              st.sampled_from(list(TIER_NAMES) + [" Expert"])),
    st.builds(lambda p, m, ok, q: {"prompt": p, "model": m, "success": ok, "quality": q},
              st.sampled_from(["hi", "Sort a list in Python"]), st.sampled_from(["cheap", "top"]), st.booleans(),
              st.floats(min_value=0, max_value=1) | st.sampled_from([0, 1])),
    st.builds(lambda p, m, ok: {"prompt": p, "model": m, "success": ok},  # quality defaults from success
              st.just("hello"), st.sampled_from(["cheap", "top"]), st.booleans()),
)
ROW_FIELDS = st.fixed_dictionaries({}, optional={
    "prompt": _either(st.text(_LINE_TEXT, min_size=1, max_size=20), JSON | st.sampled_from(["", " ", "a\ud800", "\x00"]),
                      weight=3),
    "tier": _either(st.sampled_from(TIER_NAMES), JSON, weight=2),
    "model": _either(st.sampled_from(["cheap", "top"]), st.sampled_from(["gpt-4o-mini", "nobody", ""]) | JSON,
                     weight=2),
    "success": _either(st.booleans(), st.sampled_from([0, 1, "true", None]) | JSON, weight=2),
    "quality": _either(st.floats(min_value=0, max_value=1), NUMBERS | JSON, weight=2),
})
TRAIN_LINES = st.one_of(
    GOOD_ROWS.map(json.dumps), GOOD_ROWS.map(json.dumps), GOOD_ROWS.map(json.dumps),
    ROW_FIELDS.map(_dumps),
    JSON.map(_dumps),
    st.text(_LINE_TEXT, max_size=20),                                  # not JSON, or JSON of another shape
    st.sampled_from(["", "   ", "\t", "\x0c", "[" * 100_000, '{"prompt": "hi", "tier": "simple"'])
    .map(lambda s: s),
    st.sampled_from([b"\xff\xfe", b'{"prompt": "caf\xe9", "tier": "simple"}', b"\xef\xbb\xbf{}"]),
)


@needs_hypothesis
class TrainingPropertyTest(_TempDirCase):
    """train_from_jsonl on any lines: learns all of them, or raises TrainingDataError naming the first bad
    line, having learned nothing."""

    _tmp: tempfile.TemporaryDirectory[str]
    router: AdaptiveRouter

    @classmethod
    def setUpClass(cls) -> None:
        cls._tmp = tempfile.TemporaryDirectory()
        with captured_logs():
            cls.router = AdaptiveRouter(os.path.join(cls._tmp.name, "ws"))
            cls.router.register_model(ModelConfig("cheap", ("trivial", "moderate")))
            cls.router.register_model(ModelConfig("top", ("complex", "expert"), cost_per_1k_input=0.01))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.router.close()
        cls._tmp.cleanup()

    def train(self, lines: List[Any]) -> Any:
        from antaris_like.training import train_from_jsonl

        data = b"\n".join(line if isinstance(line, bytes) else line.encode("utf-8") for line in lines) + b"\n"
        with captured_logs():
            return train_from_jsonl(self.router, self.write(data, "train.jsonl"))

    @_settings(60)
    @given(st.lists(TRAIN_LINES, min_size=1, max_size=6))
    def test_trains_or_names_the_first_bad_line(self, lines: List[Any]) -> None:
        from antaris_like.training import TrainingDataError

        before = self.router.outcomes.last_event_seq()
        try:
            report = self.train(lines)
        except TrainingDataError as exc:
            self.assertTrue(1 <= exc.line <= len(lines), exc.line)
            self.assertIn(f"line {exc.line}: ", str(exc))
            self.assertEqual(self.router.outcomes.last_event_seq(), before)  # a bad row changes nothing
            # The named line is bad on its own, and every line before it is good.
            with self.assertRaises(TrainingDataError) as alone:
                self.train([lines[exc.line - 1]])
            self.assertEqual(alone.exception.line, 1)
            if exc.line > 1:
                self.train(lines[:exc.line - 1])
            return
        self.assertEqual(report.outcomes + report.labelled + report.skipped_blank, len(lines))
        self.assertEqual(self.router.outcomes.last_event_seq() - before, report.outcomes + report.labelled)
        decision = self.router.route("Sort a list in Python")
        self.assertIn(decision.model, ("cheap", "top"))
