"""Tests for antaris_like.text: validation, hashing, token estimates, signals."""

from __future__ import annotations

import hashlib
import unittest

from antaris_like.text import (
    MAX_PROMPT_CHARS,
    check_prompt,
    context_tokens,
    estimate_tokens,
    extract_signals,
    max_input_tokens,
    prompt_hash,
    scan,
)


class CheckPromptTest(unittest.TestCase):
    def test_bad_types(self) -> None:
        for value in (None, 123, 1.5, b"hi", bytearray(b"hi"), ["hi"], {"p": 1}, object()):
            with self.subTest(value=value):
                with self.assertRaisesRegex(TypeError, "prompt must be str"):
                    check_prompt(value)

    def test_bad_values(self) -> None:
        cases = {
            "": "empty", "   \n\t": "empty", "a\x00b": "NUL", "bad \ud800 surrogate": "surrogate",
            "x" * 11: "too long",
        }
        for value, message in cases.items():
            with self.subTest(value=value[:20]):
                with self.assertRaisesRegex(ValueError, message):
                    check_prompt(value, max_chars=10 if message == "too long" else MAX_PROMPT_CHARS)

    def test_huge_prompt_is_value_error(self) -> None:
        with self.assertRaisesRegex(ValueError, "too long"):
            check_prompt("a" * (MAX_PROMPT_CHARS + 1))

    def test_good_prompts_pass_through(self) -> None:
        for value in ("hi", "你好", "Привет", "emoji 😀", " x "):
            with self.subTest(value=value):
                self.assertIs(check_prompt(value), value)

    def test_what_names_the_argument(self) -> None:
        with self.assertRaisesRegex(TypeError, "^text must"):
            check_prompt(None, what="text")


class TokenTest(unittest.TestCase):
    def test_prompt_hash(self) -> None:
        self.assertEqual(prompt_hash("héllo"), hashlib.sha256("héllo".encode()).hexdigest())

    def test_estimates_by_script(self) -> None:
        self.assertEqual(estimate_tokens(""), 0)
        self.assertAlmostEqual(estimate_tokens("a" * 400), 100, delta=5)
        self.assertAlmostEqual(estimate_tokens("中" * 100), 100, delta=10)
        self.assertAlmostEqual(estimate_tokens("привет " * 20), 140 / 2.5 + 20 / 4, delta=10)

    def test_upper_bound_is_at_least_utf8_bytes(self) -> None:
        for text in ("hi", "中文字符", "😀😀", "Привет мир", "x" * 1000):
            with self.subTest(text=text[:10]):
                self.assertGreaterEqual(max_input_tokens(text), len(text.encode("utf-8")))
                self.assertGreaterEqual(max_input_tokens(text), estimate_tokens(text))

    def test_upper_bound_covers_chat_framing(self) -> None:
        # Regression (edges review #3): OpenAI bills "hi" as 8 prompt_tokens (3 per message, 1 for
        # the role, 1 for the text, 3 priming the reply); the bound was bytes + 4 = 6.
        self.assertGreaterEqual(max_input_tokens("hi"), 8)
        self.assertGreaterEqual(max_input_tokens("hi"), len(b"hi") + 30)  # templates with system blocks

    def test_context_count_lies_between_the_estimate_and_the_byte_bound(self) -> None:
        # Regression (edges review #4): context windows were checked against the typical estimate,
        # which digit runs beat 3x or more (they are 1 token per digit for Llama 2/Mistral/Qwen/Gemma).
        digits = "".join(str(i % 10) for i in range(9_000))
        english = "The quick brown fox jumps over the lazy dog while the cat sleeps.\n" * 200
        for text in (digits, english, "hi", "a a a a", "中文字符" * 50, "😀😀", "Привет мир " * 30, "x" * 1000):
            with self.subTest(text=text[:10]):
                self.assertGreaterEqual(context_tokens(text), estimate_tokens(text))
                self.assertLessEqual(context_tokens(text), max_input_tokens(text))
        self.assertGreaterEqual(context_tokens(digits), len(digits))
        self.assertGreaterEqual(context_tokens("a a a a"), 4)  # at least one token per word
        # Not the byte bound: ordinary English stays under twice its typical estimate.
        self.assertLess(context_tokens(english), 2 * estimate_tokens(english))
        self.assertLess(context_tokens(english), max_input_tokens(english) / 2)


class SignalsTest(unittest.TestCase):
    def test_antaris_keys(self) -> None:
        d = extract_signals("Design a distributed rate limiter").to_dict()
        for key in ("length", "keyword_matches", "has_code", "code_indicators", "structural_complexity"):
            self.assertIn(key, d)
        self.assertEqual(set(d["keyword_matches"]), {"trivial", "simple", "moderate", "complex", "expert"})

    def test_word_boundaries(self) -> None:
        self.assertEqual(extract_signals("Architect a system").keyword_matches["trivial"], 0)
        self.assertEqual(extract_signals("hi there").keyword_matches["trivial"], 1)
        self.assertEqual(extract_signals("build a rate limiter").keyword_matches["complex"], 1)

    def test_scripts(self) -> None:
        self.assertEqual(extract_signals("请解释一下分布式系统").language, "zh")
        self.assertEqual(extract_signals("Объясни, как работает сборщик мусора").language, "ru")
        self.assertGreater(extract_signals("请解释一下分布式系统").word_count, 5)
        self.assertGreater(extract_signals("Объясни, как работает сборщик мусора").word_count, 3)

    def test_code_and_maths(self) -> None:
        s = extract_signals("```python\ndef f(x):\n    return x\n```")
        self.assertTrue(s.has_code)
        self.assertGreater(extract_signals("Solve $x^2 + 3x = 4$ for x").math_indicators, 2)

    def test_unicode_punctuation_and_mixed_scripts(self) -> None:
        tokens, sig = scan("Привет — «мир»… что такое: 你好，世界！")
        self.assertIn("привет", tokens)
        self.assertIn("мир", tokens)
        self.assertNotIn("—", tokens)
        self.assertIn("你好", tokens)  # CJK bigram
        self.assertEqual(sig["keyword_matches"]["trivial"], 2)  # привет, 你好
        self.assertEqual(extract_signals("日本語のテキストです").language, "ja")
        self.assertEqual(extract_signals("안녕하세요 세계").language, "ko")
        self.assertEqual(extract_signals("Ελληνικά κείμενο").language, "el")
        self.assertEqual(extract_signals("Café crème brûlée, s'il vous plaît").language, "en")

    def test_phrases_need_consecutive_words(self) -> None:
        self.assertEqual(extract_signals("what is this").keyword_matches["simple"], 1)
        self.assertEqual(extract_signals("what, if anything, is this").keyword_matches["simple"], 0)
        self.assertEqual(extract_signals("почему what is это").keyword_matches["simple"], 1)

    def test_symbol_counts(self) -> None:
        s = extract_signals("Is x? Yes. Really! {a; b} $x^2 = y + 1 < 3 > 0\\")
        self.assertEqual((s.question_count, s.sentences), (1, 3))
        self.assertEqual(s.code_indicators, 1)
        self.assertEqual(s.math_indicators, 7)
        self.assertEqual(extract_signals("这是什么？好的。").question_count, 1)

    def test_list_items_are_lines_starting_with_a_marker(self) -> None:
        self.assertEqual(extract_signals("Steps:\n1. mix\n2) bake\n- cool\n* serve\n\u2022 eat").list_items, 5)
        self.assertEqual(extract_signals("Plan:\n  a. first\n  b) second\n").list_items, 2)
        self.assertEqual(extract_signals("Indented after a bare marker:\n1.\n\t2. two").list_items, 2)
        self.assertEqual(extract_signals("Not items:\n1.5 litres\n-5 degrees\nab. cd\nA. upper").list_items, 0)
        self.assertEqual(extract_signals("- only line").list_items, 0)  # one line: lists need newlines

    def test_phrase_words_anywhere_but_not_adjacent(self) -> None:
        self.assertEqual(extract_signals("is it what you think").keyword_matches["simple"], 0)
        self.assertEqual(extract_signals("so what is it").keyword_matches["simple"], 1)

    def test_length_uses_whole_text(self) -> None:
        s = extract_signals("word " * 10000)
        self.assertEqual(s.length, 50000)
        self.assertTrue(s.windowed)


if __name__ == "__main__":
    unittest.main()
