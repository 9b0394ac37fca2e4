"""The package imports only the standard library, works vendored, and exports what it documents."""

from __future__ import annotations

import ast
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import unittest

import antaris_like

PACKAGE_DIR = pathlib.Path(antaris_like.__file__).resolve().parent
ROOT = PACKAGE_DIR.parent


def _is_stdlib(module: str) -> bool:
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return module in names
    if module in sys.builtin_module_names:
        return True
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        return spec is not None
    stdlib_dirs = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    origin = os.path.realpath(spec.origin)
    return any(origin.startswith(d + os.sep) for d in stdlib_dirs) and "site-packages" not in origin


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


class StandardLibraryOnlyTest(unittest.TestCase):
    def test_every_import_is_standard_library_or_relative(self) -> None:
        offenders = []
        files = sorted(PACKAGE_DIR.rglob("*.py"))
        self.assertGreater(len(files), 10)
        for path in files:
            for lineno, name in _imports(path):
                top = name.split(".")[0]
                if top == "__future__":
                    continue
                if top == "antaris_like":
                    offenders.append(f"{path.name}:{lineno}: absolute import of {name} (use a relative import)")
                elif not _is_stdlib(top):
                    offenders.append(f"{path.name}:{lineno}: imports {name}, which is not in the standard library")
        self.assertEqual(offenders, [], "\n".join(offenders))

    def test_the_checker_catches_a_third_party_import(self) -> None:
        self.assertFalse(_is_stdlib("requests_not_stdlib_surely"))
        self.assertTrue(_is_stdlib("json"))
        self.assertTrue(_is_stdlib("sqlite3"))


class VendoredCopyTest(unittest.TestCase):
    def test_copied_under_another_parent_package_routes_isolated(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            parent = pathlib.Path(tmp, "vendor", "thirdparty")
            shutil.copytree(PACKAGE_DIR, parent / "antaris_like", ignore=shutil.ignore_patterns("__pycache__"))
            (parent / "__init__.py").write_text("", encoding="utf-8")
            script = (
                "import sys, json\n"
                f"sys.path.insert(0, {str(pathlib.Path(tmp, 'vendor'))!r})\n"
                "from thirdparty.antaris_like import Router, AdaptiveRouter, ModelConfig\n"
                "d = Router().route('Design a fault-tolerant distributed job scheduler with leader election.')\n"
                "a = AdaptiveRouter(sys.argv[1], ab_test_rate=0.0)\n"
                "a.register_model(ModelConfig('small', ('trivial', 'moderate'), 0.0001, 0.0002))\n"
                "r = a.route('hello there')\n"
                "a.report_outcome(r.prompt_hash, quality_score=1.0, success=True)\n"
                "import thirdparty.antaris_like as pkg\n"
                "assert 'antaris_like' not in sys.modules, 'the vendored copy imported the installed one'\n"
                "print(json.dumps({'model': d.model, 'tier': d.tier, 'file': pkg.__file__, 'small': r.model}))\n"
            )
            result = subprocess.run(
                [sys.executable, "-I", "-S", "-c", script, str(pathlib.Path(tmp, "ws"))],
                capture_output=True, text=True, cwd=tmp, timeout=120,
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("thirdparty", result.stdout)
            self.assertIn('"small": "small"', result.stdout)


class ExportsTest(unittest.TestCase):
    def test_all_is_sorted_and_every_name_resolves(self) -> None:
        self.assertEqual(list(antaris_like.__all__), sorted(antaris_like.__all__))
        for name in antaris_like.__all__:
            with self.subTest(name=name):
                self.assertIsNotNone(getattr(antaris_like, name))

    def test_manual_exports_are_present(self) -> None:
        documented = (
            "AdaptiveRouter RoutingResult ModelConfig SemanticClassifier SemanticResult TFIDFVectorizer "
            "QualityTracker QualityDecision Router RoutingDecision TaskClassifier ClassificationResult "
            "ModelRegistry ModelInfo CostTracker UsageRecord Config SLAConfig SLAMonitor SLARecord"
        ).split()
        for name in documented:
            with self.subTest(name=name):
                self.assertIn(name, antaris_like.__all__)

    def test_unknown_attribute_raises_attribute_error(self) -> None:
        with self.assertRaises(AttributeError):
            antaris_like.NoSuchThing  # noqa: B018

    def test_py_typed_and_resources_ship(self) -> None:
        self.assertTrue((PACKAGE_DIR / "py.typed").exists())
        self.assertTrue((PACKAGE_DIR / "resources" / "models.json").exists())
        self.assertTrue((PACKAGE_DIR / "resources" / "base_model.json").exists())
        pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        self.assertIn('requires-python = ">=3.9"', pyproject)
        self.assertIn("dependencies = []", pyproject)
        self.assertIn('antaris-like = "antaris_like.cli:main"', pyproject)


if __name__ == "__main__":
    unittest.main()
