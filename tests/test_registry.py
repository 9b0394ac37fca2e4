"""Tests for antaris_like.registry: validation, lookups, default registry, LiteLLM import, atomic save."""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Dict
from unittest import mock

from antaris_like import registry as registry_module
from antaris_like.errors import ConfigurationError
from antaris_like.registry import (
    SCHEMA_VERSION,
    ModelInfo,
    ModelRegistry,
    import_litellm_prices,
    litellm_tier_range,
)
from antaris_like.tiers import Tier

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "litellm_prices.json")
ROOT = os.path.dirname(HERE)


def valid_model(**changes: Any) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "name": "m1",
        "provider": "openai",
        "input_per_1m": 0.15,
        "output_per_1m": 0.6,
        "tiers": ["trivial", "moderate"],
        "capabilities": ["text", "code"],
        "context_window": 128000,
        "max_output_tokens": 16384,
        "supports_streaming": True,
        "quality": 0.6,
        "as_of": "2026-11-22",
        "source": "test",
    }
    data.update(changes)
    return data


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def doc(*models: Dict[str, Any], **top: Any) -> Dict[str, Any]:
    data: Dict[str, Any] = {"schema_version": SCHEMA_VERSION, "models": list(models)}
    data.update(top)
    return data


class TempDirMixin:
    def setUp(self) -> None:  # noqa: D401 - unittest hook
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def write(self, name: str, content: bytes) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "wb") as handle:
            handle.write(content)
        return path


class ModelValidationTest(unittest.TestCase):
    def test_valid_model_loads(self) -> None:
        model = ModelInfo.from_dict(valid_model())
        self.assertEqual(model.min_tier, Tier.TRIVIAL)
        self.assertEqual(model.max_tier, Tier.MODERATE)
        self.assertTrue(model.is_priced)

    def test_every_bad_value_names_model_and_key(self) -> None:
        nan, inf = float("nan"), float("inf")
        cases = [
            ("input_per_1m", {"input_per_1m": nan}, "finite"),
            ("input_per_1m", {"input_per_1m": inf}, "finite"),
            ("output_per_1m", {"output_per_1m": -inf}, "finite"),
            ("output_per_1m", {"output_per_1m": -0.01}, ">= 0"),
            ("input_per_1m", {"input_per_1m": "0.15"}, "must be a number"),
            ("input_per_1m", {"input_per_1m": True}, "must be a number"),
            ("output_per_1m", {"output_per_1m": [1]}, "must be a number"),
            ("tiers", {"tiers": ["trivial", "hard"]}, "must be one of"),
            ("tiers", {"tiers": ["expert", "simple"]}, "above max tier"),
            ("tiers", {"tiers": ["simple"]}, r"\[min, max\]"),
            ("tiers", {"tiers": "simple"}, r"\[min, max\]"),
            ("tiers", {"tiers": [1, 2]}, "tier name"),
            ("context_window", {"context_window": 0}, "positive whole number"),
            ("context_window", {"context_window": True}, "positive whole number"),
            ("context_window", {"context_window": 1.5}, "positive whole number"),
            ("context_window", {"context_window": "128k"}, "positive whole number"),
            ("max_output_tokens", {"max_output_tokens": -1}, "positive whole number"),
            ("supports_streaming", {"supports_streaming": "yes"}, "true or false"),
            ("supports_streaming", {"supports_streaming": 1}, "true or false"),
            ("quality", {"quality": 1.5}, r"within \[0, 1\]"),
            ("quality", {"quality": -0.1}, ">= 0"),
            ("quality", {"quality": False}, "must be a number"),
            ("quality", {"quality": nan}, "finite"),
            ("capabilities", {"capabilities": "text"}, "list of strings"),
            ("capabilities", {"capabilities": ["text", 3]}, "non-empty strings"),
            ("capabilities", {"capabilities": ["text", " "]}, "non-empty strings"),
            ("provider", {"provider": ""}, "non-empty string"),
            ("provider", {"provider": 7}, "non-empty string"),
            ("base_url", {"base_url": "localhost:11434"}, "http:// or https://"),
            ("base_url", {"base_url": 5}, "non-empty string"),
            ("api_model", {"api_model": ""}, "non-empty string"),
            ("as_of", {"as_of": "last week"}, "YYYY-MM-DD"),
            ("as_of", {"as_of": 20261122}, "must be a string"),
            ("source", {"source": None}, "must be a string"),
            ("odd", {"odd": nan}, "NaN or Infinity"),
        ]
        for key, change, message in cases:
            with self.subTest(key=key, change=change):
                with self.assertRaisesRegex(ConfigurationError, rf"'m1'.*'{key}'.*{message}"):
                    ModelInfo.from_dict(valid_model(**change))

    def test_missing_required_keys_are_named(self) -> None:
        for key in ("name", "provider", "input_per_1m", "output_per_1m", "tiers", "context_window",
                    "max_output_tokens"):
            with self.subTest(key=key):
                data = valid_model()
                del data[key]
                expected_name = "<unnamed>" if key == "name" else "m1"
                with self.assertRaisesRegex(ConfigurationError, rf"'{expected_name}'.*missing.*'{key}'"):
                    ModelInfo.from_dict(data)

    def test_bad_names(self) -> None:
        for name in ("", "  ", " padded ", 12, None):
            with self.subTest(name=name):
                with self.assertRaisesRegex(ConfigurationError, "'name' must be a non-empty string"):
                    ModelInfo.from_dict(valid_model(name=name))

    def test_optional_keys_have_defaults(self) -> None:
        data = valid_model()
        for key in ("capabilities", "supports_streaming", "quality", "as_of", "source"):
            del data[key]
        model = ModelInfo.from_dict(data)
        self.assertEqual(model.capabilities, ["text"])
        self.assertTrue(model.supports_streaming)
        self.assertEqual(model.quality, 0.5)
        self.assertEqual((model.as_of, model.source, model.base_url), ("", "", None))

    def test_null_price_means_unknown(self) -> None:
        model = ModelInfo.from_dict(valid_model(input_per_1m=None, output_per_1m=None))
        self.assertFalse(model.is_priced)
        self.assertIsNone(model.cost_per_1k_input)
        with self.assertRaisesRegex(ConfigurationError, "'m1' has no known price"):
            model.calculate_cost(10, 10)
        half = ModelInfo.from_dict(valid_model(output_per_1m=None))
        self.assertFalse(half.is_priced)

    def test_unknown_keys_are_preserved(self) -> None:
        model = ModelInfo.from_dict(valid_model(notes="kept", pricing={"batch": 0.5}))
        self.assertEqual(model.extra["notes"], "kept")
        self.assertEqual(model.to_dict()["pricing"], {"batch": 0.5})
        self.assertEqual(ModelInfo.from_dict(model.to_dict()), model)

    def test_direct_construction_normalises(self) -> None:
        model = ModelInfo("local-x", "Ollama", None, 0, 0, "trivial", "simple", ["Text", "CODE", "text"],
                          4096, 1024)
        self.assertEqual(model.provider, "ollama")
        self.assertEqual(model.capabilities, ("text", "code"))
        self.assertEqual(model.tier_range, ("trivial", "simple"))
        self.assertTrue(model.is_local)
        self.assertEqual(model.request_model, "local-x")
        self.assertEqual(hash(model), hash(ModelInfo.from_dict(model.to_dict())))

    def test_model_is_frozen(self) -> None:
        model = ModelInfo.from_dict(valid_model())
        with self.assertRaises(AttributeError):
            model.input_per_1m = 0.0  # type: ignore[misc]
        with self.assertRaises(TypeError):
            model.extra["x"] = 1  # type: ignore[index]


class ModelBehaviourTest(unittest.TestCase):
    def setUp(self) -> None:
        self.model = ModelInfo.from_dict(valid_model(capabilities=["text", "code", "vision"]))

    def test_antaris_names(self) -> None:
        self.assertAlmostEqual(self.model.cost_per_1k_input, 0.00015)
        self.assertAlmostEqual(self.model.cost_per_1k_output, 0.0006)
        self.assertEqual(self.model.max_tokens, 128000)
        self.assertEqual(self.model.capabilities, ["text", "code", "vision"])
        self.assertEqual(repr(self.model.capabilities), "['text', 'code', 'vision']")
        self.assertTrue(self.model.has_capability("vision"))
        self.assertTrue(self.model.has_capability(" Vision "))
        self.assertFalse(self.model.has_capability("tools"))
        self.assertFalse(self.model.has_capability(None))  # type: ignore[arg-type]

    def test_calculate_cost(self) -> None:
        cases = [
            (0, 0, 0.0),
            (1_000_000, 0, 0.15),
            (0, 1_000_000, 0.6),
            (500, 200, (500 * 0.15 + 200 * 0.6) / 1_000_000),
            (1000, 1000, 0.00015 + 0.0006),
        ]
        for inp, out, expected in cases:
            with self.subTest(inp=inp, out=out):
                self.assertAlmostEqual(self.model.calculate_cost(inp, out), expected, places=12)

    def test_long_context_price_applies_above_its_threshold(self) -> None:
        # Regression (edges review #2): the long-context surcharge was kept but never charged.
        tiered = ModelInfo.from_dict(valid_model(long_context_price=[
            {"above_tokens": 272_000, "input_per_1m": 0.5, "output_per_1m": 2.0},
            {"above_tokens": 200_000, "input_per_1m": 0.3, "output_per_1m": 1.2},
        ]))
        self.assertEqual(tiered.long_context_prices, ((200_000, 0.3, 1.2), (272_000, 0.5, 2.0)))
        cases = [(200_000, 0.15, 0.6), (200_001, 0.3, 1.2), (272_000, 0.3, 1.2), (300_000, 0.5, 2.0)]
        for inp, price_in, price_out in cases:
            with self.subTest(inp=inp):
                self.assertEqual(tiered.prices_for(inp), (price_in, price_out))
                self.assertAlmostEqual(tiered.calculate_cost(inp, 1000),
                                       (inp * price_in + 1000 * price_out) / 1e6, places=12)
        self.assertEqual(tiered.to_dict()["long_context_price"][0]["above_tokens"], 272_000)  # kept as written
        shipped = ModelRegistry.default().get("gemini-2.5-pro")
        self.assertAlmostEqual(shipped.calculate_cost(300_000, 1024), 300_000 * 2.5e-6 + 1024 * 15e-6)

    def test_bad_long_context_price_is_refused(self) -> None:
        cases = [
            ("cheap", "long_context_price' must be an object"),
            ({"input_per_1m": 1, "output_per_1m": 2}, "above_tokens' must be a positive whole number"),
            ({"above_tokens": 10, "input_per_1m": -1, "output_per_1m": 2}, "input_per_1m' must be >= 0"),
            ({"above_tokens": 10, "input_per_1m": 1}, "output_per_1m' must be a number"),
            ({"above_tokens": 10, "input_per_1m": 1, "output_per_1m": 2e9}, "above the 1e\\+09 limit"),
            ([{"above_tokens": 10, "input_per_1m": 1, "output_per_1m": 2}] * 2, "above_tokens 10 twice"),
        ]
        for value, message in cases:
            with self.subTest(value=value):
                with self.assertRaisesRegex(ConfigurationError, "'m1'.*" + message):
                    ModelInfo.from_dict(valid_model(long_context_price=value))

    def test_calculate_cost_rejects_bad_counts(self) -> None:
        for inp, out, error in ((-1, 0, ValueError), (0, -5, ValueError), (1.5, 0, TypeError),
                                (True, 0, TypeError), ("10", 0, TypeError), (None, 0, TypeError)):
            with self.subTest(inp=inp, out=out):
                with self.assertRaises(error):
                    self.model.calculate_cost(inp, out)  # type: ignore[arg-type]

    def test_covers(self) -> None:
        expected = {"trivial": True, "simple": True, "moderate": True, "complex": False, "expert": False}
        for tier, covered in expected.items():
            with self.subTest(tier=tier):
                self.assertEqual(self.model.covers(tier), covered)
                self.assertEqual(self.model.covers(Tier(tier)), covered)
        with self.assertRaises(ValueError):
            self.model.covers("hard")


class RegistryDocumentTest(TempDirMixin, unittest.TestCase):
    def test_document_errors(self) -> None:
        cases = [
            ([], "expected a JSON object"),
            (None, "expected a JSON object"),
            ("models", "expected a JSON object"),
            ({}, "empty"),
            ({"models": []}, "'schema_version' must be the integer 1"),
            ({"schema_version": "1", "models": []}, "'schema_version' must be the integer 1"),
            ({"schema_version": True, "models": []}, "'schema_version' must be the integer 1"),
            ({"schema_version": 2, "models": []}, "newer antaris_like.*upgrade"),
            ({"schema_version": 0, "models": []}, "unknown schema_version 0"),
            ({"schema_version": 1}, "'models' must be a list"),
            ({"schema_version": 1, "models": {"a": 1}}, "'models' must be a list"),
            ({"schema_version": 1, "models": ["gpt"]}, r"models\[0\] must be a JSON object"),
            (doc(valid_model(), valid_model()), r"'m1': 'name' is listed twice"),
            (doc(valid_model(), extra=float("nan")), "'extra' holds NaN"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                with self.assertRaisesRegex(ConfigurationError, message):
                    ModelRegistry.from_dict(data)

    def test_file_errors(self) -> None:
        good = json.dumps(doc(valid_model())).encode()
        cases = [
            ("empty.json", b"", "is empty"),
            ("blank.json", b"  \n", "is empty"),
            ("latin1.json", good.replace(b'"test"', b'"caf\xe9"'), "not UTF-8.*offset"),
            ("garbage.json", b"\x00\x01\x02", "not valid JSON"),
            ("truncated.json", good[:40], "not valid JSON: .* line 1"),
            ("list.json", b"[]", "expected a JSON object"),
            ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
            ("null.json", b"null", "expected a JSON object"),
            ("nan.json", good.replace(b"0.15", b"NaN"), r"'m1': 'input_per_1m' must be finite"),
            ("inf.json", good.replace(b"0.6", b"Infinity"), r"'m1': 'output_per_1m' must be finite"),
            ("neginf.json", good.replace(b"0.6", b"-Infinity"), r"'m1': 'output_per_1m' must be finite"),
            ("huge.json", good.replace(b"0.6", b"1e400"), r"'m1': 'output_per_1m' must be finite"),
            ("dupkey.json", good.replace(b'"provider": "openai"', b'"provider": "openai", "provider": "x"'),
             r"'m1': 'provider' appears twice"),
        ]
        for name, content, message in cases:
            with self.subTest(name=name):
                path = self.write(name, content)
                with self.assertRaisesRegex(ConfigurationError, message):
                    ModelRegistry.from_file(path)

    def test_missing_file_and_directory(self) -> None:
        missing = os.path.join(self.dir, "nope.json")
        with self.assertRaisesRegex(ConfigurationError, "registry file not found: .*nope.json"):
            ModelRegistry.from_file(missing)
        with self.assertRaisesRegex(ConfigurationError, "is a directory"):
            ModelRegistry.from_file(self.dir)

    def test_utf8_bom_and_unicode_names_load(self) -> None:
        data = doc(valid_model(name="模型-1", source="café"))
        path = self.write("bom.json", b"\xef\xbb\xbf" + json.dumps(data, ensure_ascii=False).encode("utf-8"))
        self.assertIn("模型-1", ModelRegistry.from_file(path))

    def test_round_trip(self) -> None:
        data = doc(valid_model(), valid_model(name="local", provider="ollama", input_per_1m=0,
                                              output_per_1m=0, base_url="http://127.0.0.1:11434",
                                              notes={"keep": [1, 2]}),
                   valid_model(name="mystery", input_per_1m=None, output_per_1m=None), description="mine")
        registry = ModelRegistry.from_dict(copy.deepcopy(data))
        again = ModelRegistry.from_dict(registry.to_dict())
        self.assertEqual(list(again), list(registry))
        self.assertEqual(again.to_dict(), registry.to_dict())
        self.assertEqual(again.metadata, {"description": "mine"})
        self.assertEqual(again.get("local").extra, {"notes": {"keep": [1, 2]}})
        self.assertIsNone(again.to_dict()["models"][2]["input_per_1m"])


class RegistryApiTest(unittest.TestCase):
    def setUp(self) -> None:
        self.registry = ModelRegistry.from_dict(doc(
            valid_model(name="cheap", input_per_1m=0.1, output_per_1m=0.4, tiers=["trivial", "simple"]),
            valid_model(name="mid", input_per_1m=1, output_per_1m=4, tiers=["simple", "complex"],
                        capabilities=["text", "code", "vision"]),
            valid_model(name="mid-twin", input_per_1m=1, output_per_1m=4, tiers=["simple", "complex"],
                        quality=0.9),
            valid_model(name="big", input_per_1m=5, output_per_1m=25, tiers=["complex", "expert"]),
            valid_model(name="unknown-price", input_per_1m=None, output_per_1m=None,
                        tiers=["trivial", "expert"]),
            valid_model(name="local", provider="ollama", input_per_1m=0, output_per_1m=0,
                        tiers=["trivial", "moderate"]),
        ))

    def test_container_protocol(self) -> None:
        self.assertEqual(len(self.registry), 6)
        self.assertIn("mid", self.registry)
        self.assertIn(self.registry.get("mid"), self.registry)
        self.assertNotIn("gpt-9", self.registry)
        self.assertNotIn(42, self.registry)
        self.assertEqual([m.name for m in self.registry], self.registry.names())
        self.assertEqual(self.registry.providers(), ["ollama", "openai"])

    def test_get_unknown_suggests(self) -> None:
        with self.assertRaisesRegex(ConfigurationError, r"unknown model 'mid-twn'.*did you mean 'mid-twin'"):
            self.registry.get("mid-twn")
        with self.assertRaisesRegex(ConfigurationError, r"unknown model 'zzz' \(6 registered\)$"):
            self.registry.get("zzz")
        with self.assertRaises(TypeError):
            self.registry.get(None)  # type: ignore[arg-type]
        self.assertIsNone(self.registry.find("zzz"))

    def test_add_replace_remove(self) -> None:
        model = ModelInfo.from_dict(valid_model(name="mid", quality=0.1))
        with self.assertRaisesRegex(ConfigurationError, "'mid'.*already registered.*replace=True"):
            self.registry.add(model)
        self.registry.add(model, replace=True)
        self.assertEqual(self.registry.get("mid").quality, 0.1)
        self.assertIs(self.registry.remove("mid"), model)
        self.assertNotIn("mid", self.registry)
        with self.assertRaises(ConfigurationError):
            self.registry.remove("mid")
        with self.assertRaises(TypeError):
            self.registry.add(valid_model())  # type: ignore[arg-type]

    def test_version_changes_with_every_mutation_and_is_unique_across_registries(self) -> None:
        seen = {self.registry.version}
        model = ModelInfo.from_dict(valid_model(name="mid", quality=0.1))
        before = self.registry.version
        with self.assertRaises(ConfigurationError):
            self.registry.add(model)  # refused: nothing changed
        self.assertEqual(self.registry.version, before)
        for change in (lambda: self.registry.add(model, replace=True), lambda: self.registry.remove("mid"),
                       lambda: self.registry.add(model)):
            change()
            self.assertNotIn(self.registry.version, seen)
            seen.add(self.registry.version)
        self.assertNotIn(ModelRegistry().version, seen)
        self.assertNotIn(ModelRegistry([model]).version, seen)

    def test_eligible_orders_by_price_then_quality_then_name(self) -> None:
        cases = [
            ("trivial", None, ["local", "cheap", "unknown-price"]),
            ("simple", None, ["local", "cheap", "mid-twin", "mid", "unknown-price"]),
            (Tier.COMPLEX, None, ["mid-twin", "mid", "big", "unknown-price"]),
            ("expert", None, ["big", "unknown-price"]),
            ("moderate", "vision", ["mid"]),
            ("moderate", ["code", "VISION"], ["mid"]),
            ("moderate", "tools", []),
        ]
        for tier, capability, expected in cases:
            with self.subTest(tier=tier, capability=capability):
                self.assertEqual([m.name for m in self.registry.eligible(tier, capability)], expected)

    def test_iteration_is_a_snapshot(self) -> None:
        for model in self.registry:
            self.registry.remove(model.name)
        self.assertEqual(len(self.registry), 0)


class DefaultRegistryTest(unittest.TestCase):
    MANUAL_MODELS = ("gpt-4o", "gpt-4o-mini", "claude-haiku-3-5", "claude-sonnet-4-6", "claude-opus-4-6")

    @classmethod
    def setUpClass(cls) -> None:
        cls.registry = ModelRegistry.default()

    def test_manual_models_present_with_provenance(self) -> None:
        for name in self.MANUAL_MODELS:
            with self.subTest(name=name):
                model = self.registry.get(name)
                self.assertTrue(model.is_priced)
                self.assertGreater(model.input_per_1m, 0)
                self.assertRegex(model.as_of, r"^\d{4}-\d{2}-\d{2}$")
                self.assertTrue(model.source)

    def test_manual_examples(self) -> None:
        info = self.registry.get("claude-sonnet-4-6")
        self.assertEqual(info.provider, "anthropic")
        self.assertAlmostEqual(info.cost_per_1k_input, 0.003)
        self.assertAlmostEqual(info.cost_per_1k_output, 0.015)
        self.assertTrue(info.has_capability("vision"))
        self.assertTrue(info.supports_streaming)
        self.assertAlmostEqual(info.calculate_cost(500, 200), (500 * 3 + 200 * 15) / 1e6)
        self.assertEqual(self.registry.get("gpt-4o-mini").tier_range, ("trivial", "moderate"))
        self.assertEqual(self.registry.get("claude-sonnet-4-6").tier_range, ("simple", "complex"))
        self.assertEqual(self.registry.get("claude-opus-4-6").tier_range, ("complex", "expert"))

    def test_every_model_is_sound(self) -> None:
        for model in self.registry:
            with self.subTest(name=model.name):
                self.assertRegex(model.as_of, r"^\d{4}-\d{2}-\d{2}$")
                self.assertTrue(model.source)
                self.assertIn("text", model.capabilities)
                self.assertLessEqual(model.min_tier, model.max_tier)
                self.assertTrue(0.0 <= model.quality <= 1.0)
                if model.provider == "ollama":
                    self.assertTrue(model.is_local)
                    self.assertIsNone(model.base_url)
                    self.assertLessEqual(model.min_tier, Tier.SIMPLE)
                else:
                    self.assertTrue(model.is_priced)
                    self.assertFalse(model.is_local)

    def test_coverage(self) -> None:
        providers = set(self.registry.providers())
        self.assertTrue({"openai", "anthropic", "google", "mistral", "deepseek", "groq", "ollama"} <= providers)
        for tier in Tier:
            with self.subTest(tier=tier):
                self.assertTrue(self.registry.eligible(tier), f"no default model covers {tier}")
        local = [m.name for m in self.registry if m.provider == "ollama"]
        for name in ("llama3.2", "llama3.1:8b", "qwen2.5", "mistral", "gemma3", "phi4", "qwen2.5-coder",
                     "deepseek-r1"):
            with self.subTest(local=name):
                self.assertIn(name, local)

    def test_default_returns_independent_registries(self) -> None:
        first, second = ModelRegistry.default(), ModelRegistry.default()
        first.remove("gpt-4o")
        self.assertIn("gpt-4o", second)

    def test_resource_file_round_trips(self) -> None:
        with open(registry_module._RESOURCE, encoding="utf-8") as handle:
            raw = json.load(handle)
        self.assertEqual(raw["schema_version"], SCHEMA_VERSION)
        self.assertEqual(ModelRegistry.from_dict(raw).to_dict(), raw)

    def test_import_does_not_load_the_registry(self) -> None:
        code = ("import antaris_like.registry as r, sys; "
                "sys.exit(0 if r._default_models is None else 3)")
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)


class LiteLLMImportTest(TempDirMixin, unittest.TestCase):
    def test_import_fixture(self) -> None:
        models = {m.name: m for m in import_litellm_prices(FIXTURE, as_of="2026-11-01")}
        self.assertEqual(
            sorted(models),
            ["claude-opus-4-6", "gemini/gemini-2.5-flash", "gpt-4o-mini", "groq/llama-3.1-8b-instant",
             "ollama/llama3.1"],
        )
        mini = models["gpt-4o-mini"]
        self.assertAlmostEqual(mini.input_per_1m, 0.15, places=9)
        self.assertAlmostEqual(mini.output_per_1m, 0.6, places=9)
        self.assertEqual((mini.context_window, mini.max_output_tokens), (128000, 16384))
        self.assertEqual(mini.capabilities, ["text", "code", "vision", "tools", "json"])
        self.assertEqual(mini.tier_range, ("trivial", "moderate"))
        self.assertEqual((mini.provider, mini.as_of, mini.api_model), ("openai", "2026-11-01", None))
        opus = models["claude-opus-4-6"]
        self.assertEqual((opus.input_per_1m, opus.output_per_1m), (5.0, 25.0))
        self.assertEqual(opus.tier_range, ("complex", "expert"))
        self.assertIn("reasoning", opus.capabilities)
        flash = models["gemini/gemini-2.5-flash"]
        self.assertEqual((flash.provider, flash.api_model, flash.request_model),
                         ("google", "gemini-2.5-flash", "gemini-2.5-flash"))
        self.assertEqual((flash.input_per_1m, flash.output_per_1m), (0.3, 2.5))
        self.assertIn("ai.google.dev", flash.source)
        groq = models["groq/llama-3.1-8b-instant"]
        self.assertEqual((groq.context_window, groq.max_output_tokens), (8192, 8192))
        self.assertFalse(groq.supports_streaming)
        self.assertTrue(models["ollama/llama3.1"].is_local)
        self.assertEqual(models["ollama/llama3.1"].tier_range, ("trivial", "simple"))

    def test_unpriced_entries(self) -> None:
        names = [m.name for m in import_litellm_prices(FIXTURE, include_unpriced=True)]
        self.assertIn("heroku/claude-4-sonnet", names)
        model = ModelRegistry.from_litellm_file(FIXTURE, include_unpriced=True).get("heroku/claude-4-sonnet")
        self.assertFalse(model.is_priced)
        with self.assertRaisesRegex(ConfigurationError, "heroku/claude-4-sonnet.*no input/output price.*include_unpriced"):
            import_litellm_prices(FIXTURE, models=["heroku/claude-4-sonnet"])

    def test_filters(self) -> None:
        registry = ModelRegistry.from_litellm_file(FIXTURE, models=["gpt-4o-mini", "gemini-2.5-flash"])
        self.assertEqual(registry.names(), ["gpt-4o-mini", "gemini/gemini-2.5-flash"])
        self.assertEqual(ModelRegistry.from_litellm_file(FIXTURE, provider="google").names(),
                         ["gemini/gemini-2.5-flash"])
        self.assertEqual(ModelRegistry.from_litellm_file(FIXTURE, provider="gemini").names(),
                         ["gemini/gemini-2.5-flash"])
        self.assertEqual(len(ModelRegistry.from_litellm_file(FIXTURE, provider="openai")), 1)

    def test_requested_but_not_importable(self) -> None:
        cases = [
            (["gpt-4o-mni"], "'gpt-4o-mni': not in the file.*close: gpt-4o-mini"),
            (["text-embedding-3-small"], "mode is 'embedding'"),
            (["dall-e-3"], "mode is 'image_generation'"),
            (["sample_spec"], "'sample_spec': not in the file"),
        ]
        for wanted, message in cases:
            with self.subTest(wanted=wanted):
                with self.assertRaisesRegex(ConfigurationError, message):
                    import_litellm_prices(FIXTURE, models=wanted)

    def test_bad_prices_raise(self) -> None:
        with open(FIXTURE, encoding="utf-8") as handle:
            base = json.load(handle)
        cases = [
            (-1e-06, "input_cost_per_token.*>= 0"),
            ("1e-06", "input_cost_per_token.*must be a number"),
            (True, "input_cost_per_token.*must be a number"),
        ]
        for value, message in cases:
            with self.subTest(value=value):
                data = copy.deepcopy(base)
                data["gpt-4o-mini"]["input_cost_per_token"] = value
                path = self.write("bad.json", json.dumps(data).encode())
                with self.assertRaisesRegex(ConfigurationError, "'gpt-4o-mini'.*" + message):
                    import_litellm_prices(path)
        path = self.write("nan.json", json.dumps(base).replace("6e-07", "NaN").encode())
        with self.assertRaisesRegex(ConfigurationError, "'gpt-4o-mini'.*'output_cost_per_token' must be finite"):
            import_litellm_prices(path)

    def test_file_level_errors(self) -> None:
        with self.assertRaisesRegex(ConfigurationError, "LiteLLM price file not found"):
            import_litellm_prices(os.path.join(self.dir, "missing.json"))
        with self.assertRaisesRegex(ConfigurationError, "expected a JSON object of models"):
            import_litellm_prices(self.write("list.json", b"[1]"))

    def test_tiered_prices_are_imported(self) -> None:
        # Regression (edges review #2): *_above_200k_tokens prices were dropped on import.
        entry = {"litellm_provider": "gemini", "mode": "chat", "max_input_tokens": 1048576,
                 "max_output_tokens": 65535, "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
                 "input_cost_per_token_above_200k_tokens": 2.5e-06,
                 "output_cost_per_token_above_200k_tokens": 1.5e-05,
                 "input_cost_per_token_above_128k_tokens": 2e-06,
                 "cache_read_input_token_cost_above_200k_tokens": 3e-07}
        path = self.write("tiers.json", json.dumps({"gemini/gemini-2.5-pro": entry}).encode())
        (model,) = import_litellm_prices(path)
        self.assertEqual(model.long_context_prices, ((128_000, 2.0, 10.0), (200_000, 2.5, 15.0)))
        self.assertAlmostEqual(model.calculate_cost(300_000, 1024), 300_000 * 2.5e-6 + 1024 * 1.5e-5)
        again = ModelInfo.from_dict(model.to_dict())  # survives a registry save
        self.assertEqual(again.long_context_prices, model.long_context_prices)
        entry["input_cost_per_token_above_200k_tokens"] = "2.5e-06"
        path = self.write("bad.json", json.dumps({"gemini/gemini-2.5-pro": entry}).encode())
        with self.assertRaisesRegex(ConfigurationError, "input_cost_per_token_above_200k_tokens.*must be a number"):
            import_litellm_prices(path)

    def test_as_of_defaults_to_file_date(self) -> None:
        path = self.write("p.json", b'{"m": {"litellm_provider": "openai", "mode": "chat", '
                                    b'"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, '
                                    b'"max_tokens": 1000}}')
        os.utime(path, (1767225600, 1767225600))  # 2026-01-01T00:00:00Z
        (model,) = import_litellm_prices(path)
        self.assertEqual(model.as_of, "2026-01-01")
        self.assertEqual((model.input_per_1m, model.output_per_1m), (1.0, 2.0))

    def test_tier_bands(self) -> None:
        cases = [
            (0.0, 0.0, ("trivial", "simple")),
            (0.05, 0.08, ("trivial", "moderate")),
            (0.4, 1.6, ("simple", "complex")),
            (3.0, 15.0, ("moderate", "expert")),
            (5.0, 25.0, ("complex", "expert")),
            (15.0, 75.0, ("complex", "expert")),
        ]
        for inp, out, expected in cases:
            with self.subTest(inp=inp, out=out):
                low, high, quality = litellm_tier_range(inp, out)
                self.assertEqual((low, high), expected)
                self.assertTrue(0.0 <= quality <= 1.0)


class SaveTest(TempDirMixin, unittest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.registry = ModelRegistry.from_dict(doc(valid_model(), valid_model(name="m2")))
        self.path = os.path.join(self.dir, "models.json")

    def leftovers(self) -> list:
        return sorted(n for n in os.listdir(self.dir) if n != "models.json")

    def test_save_and_reload(self) -> None:
        self.registry.save(self.path)
        self.assertEqual(list(ModelRegistry.from_file(self.path)), list(self.registry))
        self.assertEqual(self.leftovers(), [])
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o644)
        os.chmod(self.path, 0o600)
        self.registry.save(self.path)
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)

    def test_unserialisable_value_leaves_old_file(self) -> None:
        self.registry.save(self.path)
        before = read_bytes(self.path)
        broken = ModelRegistry(self.registry, metadata={"bad": {1, 2}})
        with self.assertRaises(TypeError):
            broken.save(self.path)
        self.assertEqual(read_bytes(self.path), before)
        self.assertEqual(self.leftovers(), [])

    def test_failed_replace_leaves_no_partial_file(self) -> None:
        self.registry.save(self.path)
        before = read_bytes(self.path)
        bigger = ModelRegistry(list(self.registry) + [ModelInfo.from_dict(valid_model(name="m3"))])
        with mock.patch.object(registry_module.os, "replace", side_effect=OSError("disk full")):
            with self.assertRaisesRegex(OSError, "disk full"):
                bigger.save(self.path)
        self.assertEqual(read_bytes(self.path), before)
        self.assertEqual(self.leftovers(), [])

    def test_failed_write_to_new_path_creates_nothing(self) -> None:
        with mock.patch.object(registry_module.os, "fsync", side_effect=OSError("io error")):
            with self.assertRaises(OSError):
                self.registry.save(self.path)
        self.assertEqual(os.listdir(self.dir), [])

    def test_saved_json_is_strict(self) -> None:
        self.registry.save(self.path)
        text = read_bytes(self.path).decode("utf-8")
        json.loads(text, parse_constant=lambda name: self.fail(f"non-standard constant {name}"))
        self.assertTrue(text.endswith("\n"))
        self.assertFalse(math.isnan(json.loads(text)["models"][0]["input_per_1m"]))


if __name__ == "__main__":
    unittest.main()
