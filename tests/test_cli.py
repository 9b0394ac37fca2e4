"""The command line: route, explain, models, demo; exit codes and errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr

from antaris_like.cli import DEMO_PROMPTS, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stderr(err):
        code = main(list(argv), stdout=out, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


class CliTest(unittest.TestCase):
    def test_help_and_version_go_to_the_given_stdout(self) -> None:
        for argv in (["--help"], ["--version"], ["route", "--help"]):
            with self.subTest(argv=argv):
                code, out, _ = run(*argv)
                self.assertEqual(code, 0)
                self.assertIn("antaris-like", out)

    def test_closed_standard_streams_are_usage_errors(self) -> None:
        err = io.StringIO()
        with redirect_stderr(err):
            code = main(["route", "-"], stdout=io.StringIO(), stdin=None)
            saved, sys.stdin = sys.stdin, None  # type: ignore[assignment]
            try:
                code = main(["route", "-"], stdout=io.StringIO())
            finally:
                sys.stdin = saved
        self.assertEqual(code, 2)
        self.assertIn("standard input is closed", err.getvalue())
        err = io.StringIO()
        with redirect_stderr(err):
            saved_out, sys.stdout = sys.stdout, None  # type: ignore[assignment]
            try:
                code = main(["route", "hello"])
            finally:
                sys.stdout = saved_out
        self.assertEqual(code, 2)
        self.assertIn("standard output is closed", err.getvalue())

    def test_route_uses_the_folder_train_writes_by_default(self) -> None:
        folder = tempfile.mkdtemp()
        self.addCleanup(__import__("shutil").rmtree, folder, True)
        rows = os.path.join(folder, "rows.jsonl")
        with open(rows, "w", encoding="utf-8") as fh:
            for _ in range(60):
                fh.write(json.dumps({"prompt": "hello there friend", "tier": "expert"}) + "\n")
        env = dict(os.environ, PYTHONPATH=ROOT)

        def cli(*argv: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "antaris_like", *argv], cwd=folder, env=env,
                                  capture_output=True, text=True, timeout=120)

        before = json.loads(cli("route", "hello there friend", "--json").stdout)["tier"]
        self.assertEqual(cli("train", "rows.jsonl").returncode, 0)
        self.assertTrue(os.path.isdir(os.path.join(folder, ".antaris_like")))
        after = json.loads(cli("route", "hello there friend", "--json").stdout)["tier"]
        self.assertNotEqual(before, "expert")
        self.assertEqual(after, "expert")
        plain = json.loads(cli("route", "hello there friend", "--json", "--no-workspace").stdout)["tier"]
        self.assertEqual(plain, before)
        both = cli("route", "hi", "--workspace", "x", "--no-workspace")
        self.assertEqual(both.returncode, 2, both.stderr)
        self.assertIn("contradict", both.stderr)

    def test_route_text_and_json(self) -> None:
        code, out, _ = run("route", "What is the capital of France?")
        self.assertEqual(code, 0)
        self.assertIn("tier=", out)
        code, out, _ = run("route", "What is the capital of France?", "--json")
        self.assertEqual(code, 0)
        data = json.loads(out)
        self.assertIn(data["tier"], ("trivial", "simple", "moderate", "complex", "expert"))
        self.assertEqual(len(data["prompt_hash"]), 64)

    def test_route_reads_stdin_and_takes_options(self) -> None:
        code, out, _ = run("route", "-", "--json", "--min-tier", "complex", "--max-tokens", "400",
                           stdin="Say hello")
        self.assertEqual(code, 0)
        data = json.loads(out)
        self.assertIn(data["tier"], ("complex", "expert"))
        self.assertEqual(data["estimate_tokens"][1], 400)

    def test_explain(self) -> None:
        code, out, _ = run("explain", "Design a consensus protocol for a replicated log.")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("Model selected: "))
        for section in ("Basis:", "Reasoning:", "Estimated cost:", "Evidence:", "Alternatives considered:"):
            self.assertIn(section, out)

    def test_models_table_and_json(self) -> None:
        code, out, _ = run("models")
        self.assertEqual(code, 0)
        self.assertIn("gpt-4o-mini", out)
        self.assertNotIn("llama3.2", out)
        code, out, _ = run("models", "--local", "--json", "--tier", "trivial")
        models = json.loads(out)
        self.assertTrue(any(m["provider"] == "ollama" for m in models))

    def test_demo_prints_saving(self) -> None:
        code, out, _ = run("demo")
        self.assertEqual(code, 0)
        self.assertIn("Saving:", out)
        code, out, _ = run("demo", "--json")
        data = json.loads(out)
        self.assertEqual(len(data["results"]), len(DEMO_PROMPTS))
        self.assertGreater(data["summary"]["saving_usd"], 0.0)
        self.assertGreater(len({r["tier"] for r in data["results"]}), 2, "the sample spans several tiers")

    def test_bad_input_exit_codes(self) -> None:
        cases = [
            (("route", "   "), 2, "empty"),
            (("route", "hi", "--registry", "/nonexistent/models.json"), 2, "models.json"),
            (("route", "hi", "--capability", "teleportation"), 1, "teleportation"),
        ]
        for argv, expected, needle in cases:
            with self.subTest(argv=argv):
                code, _, err = run(*argv)
                self.assertEqual(code, expected)
                self.assertIn(needle, err)
        code, _, _ = run("no-such-command")
        self.assertEqual(code, 2)

    def test_workspace_option_persists(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            code, _, _ = run("route", "hello", "--workspace", tmp)
            self.assertEqual(code, 0)
            self.assertTrue(os.path.exists(os.path.join(tmp, "routing.db")))

    def test_python_dash_m_entry_point(self) -> None:
        result = subprocess.run([sys.executable, "-m", "antaris_like", "route", "hi", "--json"],
                                capture_output=True, text=True, cwd=ROOT, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('"model"', result.stdout)
        result = subprocess.run([sys.executable, "-m", "antaris_like", "--version"], capture_output=True,
                                text=True, cwd=ROOT, timeout=60)
        self.assertEqual(result.returncode, 0)
        self.assertIn("antaris-like", result.stdout)


if __name__ == "__main__":
    unittest.main()
