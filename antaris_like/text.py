"""Prompt validation, token estimates and structural signals (any script, bounded work).

Everything here is pure and cheap: the structural scan reads a bounded head/tail window of the
prompt, so its cost does not grow with prompt length, while length signals use the whole text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

__all__ = [
    "MAX_PROMPT_CHARS",
    "HEAD_CHARS",
    "TAIL_CHARS",
    "Signals",
    "check_prompt",
    "estimate_tokens",
    "extract_signals",
    "max_input_tokens",
    "prompt_hash",
    "scan",
    "window",
]

MAX_PROMPT_CHARS: int = 1_000_000
# Structural scan and featurisation read at most HEAD_CHARS + TAIL_CHARS characters.
HEAD_CHARS: int = 448
TAIL_CHARS: int = 128
# Tokens a tokenizer may add beyond the text itself: BOS/EOS and SentencePiece's dummy prefix.
_SPECIAL_TOKEN_ALLOWANCE: int = 4

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_CJK_CAP = 160  # CJK characters featurised per prompt: one character is about one token
_PUNCT = "!\"#%&'()*+,-./:;<=>?@[\\]^_`{|}~$"
_ASCII_SPLIT = bytes.maketrans(_PUNCT.encode("ascii"), b" " * len(_PUNCT))
_UNICODE_SPLIT = str.maketrans({c: " " for c in _PUNCT + "，。！？；：、（）《》「」『』“”‘’—…«»„·"})
_CODE_SYMBOLS = b"{};"
_MATH_SYMBOLS = b"$^=\\+<>"
_SENTENCE_END = ".!?"
_LIST_RE = re.compile(r"^\s*(?:\d+[.)]|[-*\u2022]|[a-z][.)])\s+", re.MULTILINE)

# Keyword lists per tier, matched on whole words (or whole two-word phrases) only.
_KEYWORDS: Dict[str, Tuple[str, ...]] = {
    "trivial": ("hi", "hello", "hey", "thanks", "thank you", "yes", "no", "ok", "okay", "bye",
                "привет", "спасибо", "你好", "谢谢", "hola", "gracias", "bonjour", "merci", "hallo", "danke"),
    "simple": ("what is", "define", "definition", "meaning", "translate", "spell", "list", "who is",
               "when did", "convert", "summarize", "rephrase", "synonym", "что", "такое", "翻译"),
    "moderate": ("explain", "compare", "difference", "write", "function", "implement", "example", "steps",
                 "analyze", "calculate", "solve", "refactor", "debug", "script", "объясни", "сравни",
                 "напиши", "解释", "比较", "编写"),
    "complex": ("architecture", "distributed", "microservices", "scalable", "scalability", "optimize",
                "optimise", "design", "tradeoffs", "concurrency", "performance", "security",
                "migration", "pipeline", "rate limiter", "system design", "архитектура", "распределённый",
                "оптимизация", "架构", "分布式", "优化"),
    "expert": ("prove", "proof", "theorem", "lemma", "formal", "formally", "verification", "novel",
               "research", "derive", "rigorous", "byzantine", "consensus", "compiler", "asymptotic",
               "complexity", "докажи", "доказательство", "теорема", "证明", "定理"),
}
_TIER_OF_WORD: Dict[str, str] = {w: t for t, ws in _KEYWORDS.items() for w in ws if " " not in w}
_TIER_OF_WORD_B: Dict[bytes, str] = {w.encode(): t for w, t in _TIER_OF_WORD.items() if w.isascii()}
_PHRASES: Tuple[Tuple[str, str], ...] = tuple(
    (f" {w} ", t) for t, ws in _KEYWORDS.items() for w in ws if " " in w
)
_PHRASES_B = tuple((p.encode(), t) for p, t in _PHRASES)
_KW_SET = frozenset(_TIER_OF_WORD)
_KW_SET_B = frozenset(_TIER_OF_WORD_B)
_CODE_WORDS = frozenset(
    "def return import class function const var let public static void int include self lambda elif "
    "printf println struct impl fn async await null nullptr std namespace select from where".split()
)
_MATH_WORDS = frozenset(
    "sqrt log sin cos tan lim integral derivative equation polynomial matrix probability prime theorem "
    "proof prove frac cdot sum int infty pi le ge neq pmod binom dfrac tfrac mathbf vector integer".split()
)
_CONSTRAINT_WORDS = frozenset(
    "must should without ensure exactly only never always least most within limit constraint constraints "
    "require requires required guarantee".split()
)
_MULTIPART_WORDS = frozenset("then also additionally finally first second third next".split())
_B = {name: frozenset(w.encode() for w in words) for name, words in
      (("code", _CODE_WORDS), ("math", _MATH_WORDS), ("constraint", _CONSTRAINT_WORDS),
       ("multi", _MULTIPART_WORDS))}
_TIERS = ("trivial", "simple", "moderate", "complex", "expert")


def check_prompt(prompt: object, *, max_chars: int = MAX_PROMPT_CHARS, what: str = "prompt") -> str:
    """Return ``prompt`` if it is usable text; raise TypeError or ValueError saying what to fix."""
    if not isinstance(prompt, str):
        if isinstance(prompt, (bytes, bytearray, memoryview)):
            raise TypeError(f"{what} must be str, got {type(prompt).__name__}: decode it first, "
                            "e.g. data.decode('utf-8')")
        raise TypeError(f"{what} must be str, got {type(prompt).__name__}")
    if len(prompt) > max_chars:
        raise ValueError(f"{what} is too long: {len(prompt):,} characters, the limit is {max_chars:,}; "
                         "shorten or split it")
    if not prompt or prompt.isspace():
        raise ValueError(f"{what} is empty or whitespace only: pass the text to route")
    if "\x00" in prompt:
        raise ValueError(f"{what} contains NUL bytes (\\x00), which suggests binary data: pass text")
    if not prompt.isascii():
        try:
            prompt.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{what} is not valid Unicode: lone surrogate {prompt[exc.start]!r} at index "
                             f"{exc.start}; decode your input with errors='replace' or fix it") from None
    return prompt


def prompt_hash(prompt: str) -> str:
    """Return the SHA-256 hex digest of the prompt's UTF-8 bytes."""
    import hashlib  # deferred: loading OpenSSL costs milliseconds at package import

    return hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()


def _script_counts(text: str) -> Tuple[int, int, int, int]:
    """Return (ascii, two-byte, three-byte, four-byte) character counts, using C-speed codecs only."""
    n = len(text)
    if text.isascii():
        return n, 0, 0, 0
    n_bytes = len(text.encode("utf-8", "surrogatepass"))
    n_ascii = len(text.encode("ascii", "ignore"))
    n_four = (len(text.encode("utf-16-le", "surrogatepass")) - 2 * n) // 2
    rest_chars = n - n_ascii - n_four
    rest_bytes = n_bytes - n_ascii - 4 * n_four
    n_three = max(rest_bytes - 2 * rest_chars, 0)
    return n_ascii, rest_chars - n_three, n_three, n_four


def estimate_tokens(text: str) -> int:
    """Estimate a typical BPE token count: ~4 ASCII chars, ~2.5 Cyrillic/Greek/Arabic chars, ~1 CJK char per token."""
    if not text:
        return 0
    ascii_chars, two, three, four = _script_counts(text)
    # Two-byte scripts (Cyrillic, Greek, Arabic, Hebrew, accented Latin) get ~2.5 chars per token in
    # cl100k/o200k-style vocabularies; three-byte ones (CJK, Thai, Devanagari) about one; emoji ~2.
    return max(1, math.ceil(ascii_chars / 4.0 + two / 2.5 + three * 1.0 + four * 2.0))


def max_input_tokens(text: str) -> int:
    """Return an upper bound on the token count of ``text`` under any byte-level BPE tokenizer.

    Why it holds: a byte-level BPE vocabulary (GPT-2, tiktoken, Llama 3, Qwen ...) contains all 256
    single bytes and every merged token stands for one or more bytes, so encoding n UTF-8 bytes yields at
    most n tokens. SentencePiece BPE with byte fallback (Llama 2, Mistral) emits at most one token per
    byte as well, plus a dummy-prefix piece; the allowance also covers BOS/EOS.
    """
    return len(text.encode("utf-8", "surrogatepass")) + _SPECIAL_TOKEN_ALLOWANCE


def window(text: str) -> str:
    """Return the bounded part of ``text`` that structural and n-gram features read (head + tail)."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


def _guess_script(win: str) -> str:
    """Return the dominant script of ``win`` from a small sample of its non-ASCII characters."""
    if win.isascii():
        return "latin"
    counts: Dict[str, int] = {}
    letters = [c for c in win[:400] if ord(c) > 127 and c.isalpha()][:48]
    for c in letters:
        o = ord(c)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            name = "han"
        elif 0x3040 <= o <= 0x30FF:
            name = "kana"
        elif 0xAC00 <= o <= 0xD7AF:
            name = "hangul"
        elif 0x0400 <= o <= 0x04FF:
            name = "cyrillic"
        elif 0x0600 <= o <= 0x06FF:
            name = "arabic"
        elif 0x0370 <= o <= 0x03FF:
            name = "greek"
        elif 0x0900 <= o <= 0x097F:
            name = "devanagari"
        elif o < 0x0250:
            name = "latin"
        else:
            name = "other"
        counts[name] = counts.get(name, 0) + 1
    ascii_letters = sum(1 for c in win[:400] if c.isascii() and c.isalpha())
    if not counts or ascii_letters > 3 * len(letters):
        return "latin"
    best = max(sorted(counts), key=counts.__getitem__)
    if best == "han" and counts.get("kana"):
        return "kana"
    return best


_LANGUAGE_BY_SCRIPT = {"han": "zh", "kana": "ja", "hangul": "ko", "cyrillic": "ru", "arabic": "ar",
                       "greek": "el", "devanagari": "hi", "latin": "en", "other": "und"}


def _tokens_unicode(low: str) -> List[str]:
    """Split non-ASCII text: words, CJK characters and bigrams, and 5-char prefixes of long words."""
    text = low.translate(_UNICODE_SPLIT)
    runs = _CJK_RUN_RE.findall(text)
    if runs:
        text = _CJK_RUN_RE.sub(" ", text)
    words = text.split()
    # Word-initial 5-grams stand in for stems in inflected languages (Russian, German, Spanish).
    tokens = words + [w[:5] for w in words if len(w) > 6]
    if runs:
        chars = "".join(runs)[:_CJK_CAP]
        tokens += list(chars)
        for run in runs:
            tokens += map(str.__add__, run, run[1:])
            if len(tokens) > 3 * _CJK_CAP:
                break
    return tokens


def scan(text: str) -> Tuple[list, Dict[str, Any]]:
    """Return (n-gram tokens, signal dict) for ``text``; the hot path shared with the classifier.

    Tokens (bytes for ASCII text, str otherwise) are lowercase words, CJK characters and character
    bigrams, and word-initial 5-grams of long non-ASCII words, all from the bounded window.
    """
    length = len(text)
    win = text if length <= HEAD_CHARS + TAIL_CHARS else text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    low = win.lower()
    if low.isascii():
        raw = low.encode("ascii")
        tokens: list = raw.translate(_ASCII_SPLIT).split()
        words = tokens
        hits = _KW_SET_B.intersection(tokens)
        tiers_of, sets = _TIER_OF_WORD_B, _B
        phrases, pad = _PHRASES_B, b" " + b" ".join(tokens) + b" "
        script = "latin"
    else:
        raw = low.encode("utf-8", "surrogatepass")
        tokens = _tokens_unicode(low)
        words = tokens
        hits = _KW_SET.intersection(tokens)
        tiers_of = _TIER_OF_WORD
        sets = {"code": _CODE_WORDS, "math": _MATH_WORDS, "constraint": _CONSTRAINT_WORDS,
                "multi": _MULTIPART_WORDS}
        phrases, pad = _PHRASES, " " + " ".join(tokens) + " "
        script = _guess_script(win)
    matches = dict.fromkeys(_TIERS, 0)
    for word in hits:
        matches[tiers_of[word]] += 1
    for phrase, tier in phrases:
        if phrase in pad:
            matches[tier] += 1
    word_set = set(words)
    distinct = len(word_set)
    fences = raw.count(b"```")
    code = (len(raw) - len(raw.translate(None, _CODE_SYMBOLS))) // 2 + 3 * fences \
        + len(sets["code"].intersection(word_set))
    maths = len(raw) - len(raw.translate(None, _MATH_SYMBOLS)) + len(sets["math"].intersection(word_set))
    newlines = win.count("\n")
    list_items = len(_LIST_RE.findall(win)) if newlines > 1 else 0
    questions = raw.count(b"?") + (0 if script == "latin" else win.count("\uff1f"))
    constraints = len(sets["constraint"].intersection(word_set))
    multipart = list_items + len(sets["multi"].intersection(word_set)) + max(questions - 1, 0)
    sentences = len(raw) - len(raw.translate(None, b".!?")) + (0 if script == "latin" else win.count("\u3002"))
    has_code = fences > 0 or code > 3
    structural = min(
        10,
        has_code + (maths > 2) + (list_items > 1) + (constraints > 1) + (multipart > 2)
        + (sentences > 4) + (distinct > 40) + (distinct > 80) + (newlines > 10),
    )
    signals = {
        "length": length,
        "keyword_matches": matches,
        "has_code": has_code,
        "code_indicators": code,
        "structural_complexity": structural,
        "word_count": len(words),
        "distinct_words": distinct,
        "math_indicators": maths,
        "constraints": constraints,
        "question_count": questions,
        "multi_part": multipart,
        "list_items": list_items,
        "sentences": sentences,
        "lines": newlines + 1,
        "script": script,
        "language": _LANGUAGE_BY_SCRIPT.get(script, "und"),
        "windowed": length > HEAD_CHARS + TAIL_CHARS,
    }
    return tokens, signals


@dataclass(frozen=True)
class Signals:
    """Structural signals of a prompt; ``to_dict()`` gives antaris' keys plus ours."""

    length: int
    keyword_matches: Dict[str, int] = field(default_factory=dict)
    has_code: bool = False
    code_indicators: int = 0
    structural_complexity: int = 0
    word_count: int = 0
    distinct_words: int = 0
    math_indicators: int = 0
    constraints: int = 0
    question_count: int = 0
    multi_part: int = 0
    list_items: int = 0
    sentences: int = 0
    lines: int = 1
    script: str = "latin"
    language: str = "en"
    windowed: bool = False

    def to_dict(self) -> Dict[str, Any]:
        """Return the signals as a plain dict (antaris' keys first)."""
        out = dict(self.__dict__)
        out["keyword_matches"] = dict(self.keyword_matches)
        return out


def extract_signals(text: str) -> Signals:
    """Return the structural signals of ``text`` (work bounded by the head/tail window)."""
    return Signals(**scan(text)[1])
