"""Prompt validation, token estimates and structural signals (any script, bounded work).

Everything here is pure and cheap: the structural scan reads a bounded head/tail window of the
prompt, so its cost does not grow with prompt length, while length signals use the whole text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import AbstractSet, Any, Callable, Dict, List, Sequence, Tuple

__all__ = [
    "MAX_PROMPT_CHARS",
    "HEAD_CHARS",
    "TAIL_CHARS",
    "Signals",
    "check_prompt",
    "context_tokens",
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
# Tokens a chat API bills around one user message, beyond its text. OpenAI: 3 per message, 1 for the
# role, 3 priming the reply (7; "hi" is billed 8 prompt_tokens); Anthropic about the same; a bare
# Llama 3 template about 10, but Llama 3.1's adds a dated "Cutting Knowledge Date" system block and
# Ollama's Qwen2.5 template its default system prompt (about 30 each with the framing). 32 covers
# these. A caller's own system prompt or earlier messages are not part of the prompt given to
# route() and are not covered.
_CHAT_FRAMING_ALLOWANCE: int = 32

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_SPLIT_RE = re.compile(f"([{_CJK}]+)")
_WINDOW = HEAD_CHARS + TAIL_CHARS
_CJK_CAP = 160  # CJK characters featurised per prompt: one character is about one token
_PUNCT = "!\"#%&'()*+,-./:;<=>?@[\\]^_`{|}~$"
_ASCII_SPLIT = bytes.maketrans(_PUNCT.encode("ascii"), b" " * len(_PUNCT))
_ASCII_SPLIT_LOWER = bytes.maketrans(_PUNCT.encode("ascii") + b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                     b" " * len(_PUNCT) + b"abcdefghijklmnopqrstuvwxyz")
_UNICODE_MARKS = "，。！？；：、（）《》「」『』“”‘’—…«»„·"
_MARK_LEAD_BYTES = bytes(sorted({m.encode("utf-8")[0] for m in _UNICODE_MARKS}))  # text without them has no marks
# UTF-8 lead bytes of U+3000..U+FFFF: text without them has no CJK characters.
_CJK_LEAD_BYTES = bytes(range(0xE3, 0xF0))
_BIGRAM_SLICES = tuple(slice(i, i + 2) for i in range(HEAD_CHARS + TAIL_CHARS + 1))
# run length -> itemgetter of its bigram slices (one C call per CJK run); longer runs use map().
_BIGRAM_GETTERS: Dict[int, Callable[[str], Tuple[str, ...]]] = {}
_BIGRAM_GETTER_MAX = 128
# A list item: a line whose first non-blank characters are a marker and then whitespace. Searched
# as "newline, marker" over "\n" + text: the literal first character lets the regex engine skip
# between newlines instead of trying every position as a MULTILINE "^" pattern does.
_LIST_RE = re.compile(r"\n[^\S\n]*(?:\d+[.)]|[-*\u2022]|[a-z][.)])(?=\s)")

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
_PHRASES: Tuple[Tuple[str, str], ...] = tuple(
    (f" {w} ", t) for t, ws in _KEYWORDS.items() for w in ws if " " in w
)
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
_TIERS = ("trivial", "simple", "moderate", "complex", "expert")


def _special_words() -> Dict[str, Tuple[int, ...]]:
    """Map every word that counts toward a signal to its category slots (see ``scan``)."""
    cats: Dict[str, List[int]] = {}
    for word, tier in _TIER_OF_WORD.items():
        cats.setdefault(word, []).append(_TIERS.index(tier))
    for slot, words in ((5, _CODE_WORDS), (6, _MATH_WORDS), (7, _CONSTRAINT_WORDS), (8, _MULTIPART_WORDS)):
        for word in words:
            cats.setdefault(word, []).append(slot)
    for phrase, _ in _PHRASES:
        cats.setdefault(phrase.split()[0], []).append(9)  # a phrase can only match if its first word is there
    return {word: tuple(slots) for word, slots in cats.items()}


# One set intersection per prompt finds every keyword, code/maths/constraint/multi-part word at once.
_SPECIAL: Dict[str, Tuple[int, ...]] = _special_words()
_SPECIAL_B: Dict[bytes, Tuple[int, ...]] = {w.encode(): s for w, s in _SPECIAL.items() if w.isascii()}
# First word of a phrase -> (phrase padded with spaces, tier slot, its other words).
_STARTS: Dict[str, Tuple[Tuple[str, int, Tuple[str, ...]], ...]] = {
    w: tuple((p, _TIERS.index(t), tuple(p.split()[1:])) for p, t in _PHRASES if p.split()[0] == w)
    for w in {p.split()[0] for p, _ in _PHRASES}
}
_STARTS_B: Dict[bytes, Tuple[Tuple[bytes, int, Tuple[bytes, ...]], ...]] = {
    w.encode(): tuple((p.encode(), k, tuple(x.encode() for x in rest)) for p, k, rest in v)
    for w, v in _STARTS.items()
}
# Byte -> class letter: c code symbols, m maths symbols, s sentence ends other than '?', q '?',
# b a backtick (no backtick, no code fence to count).
_SYMBOL_CLASSES = bytes(
    ord("c") if chr(b) in "{};" else ord("m") if chr(b) in "$^=\\+<>" else ord("s") if chr(b) in ".!"
    else ord("q") if chr(b) == "?" else ord("b") if chr(b) == "`" else 0 for b in range(256)
)
_SPECIAL_B_KEYS = frozenset(_SPECIAL_B)
_SPECIAL_KEYS = frozenset(_SPECIAL)


def check_prompt(prompt: object, *, max_chars: int = MAX_PROMPT_CHARS, what: str = "prompt") -> str:
    """Return ``prompt`` if it is usable text; raise TypeError or ValueError saying what to fix."""
    return check_prompt_utf8(prompt, max_chars=max_chars, what=what)[0]


def check_prompt_utf8(prompt: object, *, max_chars: int = MAX_PROMPT_CHARS, what: str = "prompt") -> Tuple[str, bytes]:
    """``check_prompt`` that also returns the prompt's UTF-8 bytes, encoded once (route() hashes and counts them)."""
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
    try:
        return prompt, prompt.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} is not valid Unicode: lone surrogate {prompt[exc.start]!r} at index "
                         f"{exc.start}; decode your input with errors='replace' or fix it") from None


def utf8_digest(raw: bytes) -> str:
    """Return the SHA-256 hex digest of UTF-8 bytes (``prompt_hash`` of the text they encode)."""
    import hashlib  # deferred: loading OpenSSL costs milliseconds at package import

    return hashlib.sha256(raw).hexdigest()


def prompt_hash(prompt: str) -> str:
    """Return the SHA-256 hex digest of the prompt's UTF-8 bytes."""
    return utf8_digest(prompt.encode("utf-8", "surrogatepass"))


def estimate_tokens(text: str) -> int:
    """Estimate a typical BPE token count: ~4 ASCII chars, ~2.5 Cyrillic/Greek/Arabic chars, ~1 CJK char per token."""
    return estimate_tokens_utf8(text, text.encode("utf-8", "surrogatepass"))


def estimate_tokens_utf8(text: str, raw: bytes) -> int:
    """``estimate_tokens(text)`` given ``raw``, the UTF-8 bytes of ``text``."""
    if not text:
        return 0
    n = len(text)
    if n == len(raw):
        return (n + 3) // 4  # ceil(n / 4) for ASCII text, n >= 1
    # One lead byte per non-ASCII character: one C pass keeps just those, and the byte count splits
    # them by length (extra bytes = 1 per two-byte, 2 per three-byte, 3 per four-byte character).
    leads = raw.translate(None, _NOT_LEAD_BYTES)
    four = len(leads.translate(None, _LEAD23_BYTES))
    three = len(raw) - n - len(leads) - 2 * four
    two = len(leads) - three - four
    # Two-byte scripts (Cyrillic, Greek, Arabic, Hebrew, accented Latin) get ~2.5 chars per token in
    # cl100k/o200k-style vocabularies; three-byte ones (CJK, Thai, Devanagari) about one; emoji ~2.
    return max(1, math.ceil((n - len(leads)) / 4.0 + two / 2.5 + three * 1.0 + four * 2.0))


def max_input_tokens(text: str) -> int:
    """Return an upper bound on the input tokens of a chat request whose one user message is ``text``.

    Why it holds: a byte-level BPE vocabulary (GPT-2, tiktoken, Llama 3, Qwen ...) contains all 256
    single bytes and every merged token stands for one or more bytes, so encoding n UTF-8 bytes yields at
    most n tokens. SentencePiece BPE with byte fallback (Llama 2, Mistral) emits at most one token per
    byte as well, plus a dummy-prefix piece; an allowance of 4 covers that and BOS/EOS, and one of 32
    the chat framing providers bill around the message (see ``_CHAT_FRAMING_ALLOWANCE``).
    """
    return max_input_tokens_utf8(text.encode("utf-8", "surrogatepass"))


def max_input_tokens_utf8(raw: bytes) -> int:
    """``max_input_tokens`` of the text whose UTF-8 bytes are ``raw``."""
    return len(raw) + _SPECIAL_TOKEN_ALLOWANCE + _CHAT_FRAMING_ALLOWANCE


def context_tokens(text: str) -> int:
    """Return a conservative token count of ``text`` for context-window checks (not for pricing).

    ``estimate_tokens`` is a typical count, which inputs such as long digit runs beat by far, and
    ``max_input_tokens`` (one token per byte) is a true bound but about 4x typical English, which
    would refuse ordinary long prompts a model takes. This sits between, per character class:

    - ASCII letters: 1 token per 2.5 letters (English averages 4-5 letters per token in
      cl100k/o200k/Llama 3 and identifiers about 3), and at least 1 per letter run;
    - ASCII digits: 1 each (Llama 2, Mistral, Qwen and Gemma/Gemini split numbers into single
      digits; cl100k/o200k/Llama 3 into groups of at most 3);
    - ASCII punctuation and newlines: 1 each; other whitespace 1 per 4 (spaces join the next word);
    - non-ASCII: 1 per two-byte character (Cyrillic, Greek, Arabic: ~2.5 per token typically),
      2 per three-byte character (CJK: about 1 typically, rare characters split into bytes),
      4 per four-byte character (emoji: the byte bound);

    plus the special-token and chat-framing allowances, and never above ``max_input_tokens``. It is a heuristic,
    not a proof: text built to defeat it (single letters between spaces aside, which the run count
    covers) can exceed it, but the usual failure, a numeric table or a dump routed to a model whose
    window it overflows, is caught.
    """
    return context_tokens_utf8(text.encode("utf-8", "surrogatepass"))


def context_tokens_utf8(raw: bytes) -> int:
    """``context_tokens`` of the text whose UTF-8 bytes are ``raw``."""
    classes = raw.translate(_CONTEXT_CLASSES)
    count = classes.count
    letters = count(b"a")
    # A letter run starts after any other class (the first run of the text adds one).
    runs = count(b"wa") + count(b"na") + count(b"pa") + count(b"da") + 1 if letters else 0
    bound = (max(math.ceil(letters / 2.5), runs) + count(b"d") + count(b"p") + count(b"n")
             + math.ceil(count(b"w") / 4))
    if not raw.isascii():
        bound += count(b"2") + 2 * count(b"3") + 4 * count(b"4")
    return min(bound + _SPECIAL_TOKEN_ALLOWANCE + _CHAT_FRAMING_ALLOWANCE, max_input_tokens_utf8(raw))


def window(text: str) -> str:
    """Return the bounded part of ``text`` that structural and n-gram features read (head + tail)."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


_ASCII_BYTES = bytes(range(128))
# Byte -> class for context_tokens: a ASCII letter, d digit, p punctuation, n newline, w other ASCII
# (spaces, tabs, controls), 2/3/4 the lead byte of a two/three/four-byte character, c a continuation.
_CONTEXT_CLASSES = bytes(
    ord("a") if chr(b).isalpha() and b < 128 else ord("d") if 48 <= b <= 57
    else ord("p") if 33 <= b <= 126 else ord("n") if b == 10 else ord("w") if b < 128
    else ord("c") if b < 0xC0 else ord("2") if b < 0xE0 else ord("3") if b < 0xF0 else ord("4")
    for b in range(256)
)
_NOT_ASCII_LETTERS = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))
# Everything but UTF-8 lead bytes of multi-byte sequences; lead bytes of two- and three-byte ones.
_NOT_LEAD_BYTES = bytes(range(0xC0))
_LEAD23_BYTES = bytes(range(0xC0, 0xF0))
# Code point ranges of the named scripts of _script_of (non-ASCII part of latin); "other" has none.
_SCRIPT_RANGES = {name: f"[{ranges}]+" for name, ranges in (
    ("han", "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"), ("kana", "\u3040-\u30ff"), ("hangul", "\uac00-\ud7af"),
    ("cyrillic", "\u0400-\u04ff"), ("arabic", "\u0600-\u06ff"), ("greek", "\u0370-\u03ff"),
    ("devanagari", "\u0900-\u097f"), ("latin", "\u0080-\u024f"))}
_COMMON_MARKS = "，。、？！：；"  # not letters: removing them leaves the letter sample unchanged
_SCRIPT_RES: Dict[str, Any] = {}
_SCRIPT_OF: Dict[str, str] = {}  # letter -> script name; bounded below (letters repeat a lot)


def _script_of(c: str) -> str:
    """Return the script name of one non-ASCII letter."""
    o = ord(c)
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
        return "han"
    if 0x3040 <= o <= 0x30FF:
        return "kana"
    if 0xAC00 <= o <= 0xD7AF:
        return "hangul"
    if 0x0400 <= o <= 0x04FF:
        return "cyrillic"
    if 0x0600 <= o <= 0x06FF:
        return "arabic"
    if 0x0370 <= o <= 0x03FF:
        return "greek"
    if 0x0900 <= o <= 0x097F:
        return "devanagari"
    if o < 0x0250:
        return "latin"
    return "other"


def _guess_script(win: str) -> str:
    """Return the dominant script of ``win`` from a small sample of its non-ASCII letters."""
    if win.isascii():
        return "latin"
    head = win[:400].encode("utf-8", "surrogatepass")
    ascii_letters = len(head.translate(None, _NOT_ASCII_LETTERS))
    # At most 48 letters are sampled below, and no more than the non-ASCII characters (one UTF-8 lead
    # byte each): when ASCII letters outnumber three times that bound, the answer is latin already.
    if ascii_letters > 3 * min(48, len(head.translate(None, _NOT_LEAD_BYTES))):
        return "latin"
    # The first 48 non-ASCII letters. Dropping ASCII bytes leaves whole UTF-8 sequences (C speed);
    # filter/islice then stop after about 48 characters however long the text is.
    non_ascii = head.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    letters = non_ascii[:48]
    if not letters.isalpha():  # usually they all are letters: then no per-character loop at all
        for mark in _COMMON_MARKS:  # CJK text: drop its commonest punctuation in C passes first
            if mark in non_ascii:
                non_ascii = non_ascii.replace(mark, "")
        letters = non_ascii[:48]
        if not letters.isalpha():
            letters = "".join(islice(filter(str.isalpha, non_ascii), 48))
        if not letters:
            return "latin"
    if ascii_letters > 3 * len(letters):
        return "latin"
    first = _SCRIPT_OF.get(letters[0]) or _script_of(letters[0])
    whole = _SCRIPT_RES.get(first)
    if whole is None and first in _SCRIPT_RANGES:
        whole = _SCRIPT_RES[first] = re.compile(_SCRIPT_RANGES[first])  # compiled on first use: import stays cheap
    if whole is not None and whole.fullmatch(letters):
        return first  # every letter is in the first letter's script (the usual case): no counting
    get = _SCRIPT_OF.get
    names = list(map(get, letters))
    if None in names:
        if len(_SCRIPT_OF) > 8192:
            _SCRIPT_OF.clear()  # bounded memory
        for j, c in enumerate(letters):
            if names[j] is None:
                names[j] = _SCRIPT_OF[c] = _script_of(c)
    counts = {name: names.count(name) for name in set(names) if name is not None}  # all set by now
    best = max(sorted(counts), key=counts.__getitem__)
    if best == "han" and "kana" in counts:
        return "kana"
    return best


_LANGUAGE_BY_SCRIPT = {"han": "zh", "kana": "ja", "hangul": "ko", "cyrillic": "ru", "arabic": "ar",
                       "greek": "el", "devanagari": "hi", "latin": "en", "other": "und"}


def gather(keys: Sequence[Any]) -> Callable[[Any], Tuple[Any, ...]]:
    """Return f(m) = tuple(m[k] for k in keys), in C (itemgetter returns a bare item for one key)."""
    if len(keys) > 1:
        return itemgetter(*keys)
    if keys:
        key = keys[0]
        return lambda m: (m[key],)
    return lambda m: ()


_STEMS: Dict[str, str] = {}  # word -> its first 5 characters when longer than 6, else "" (bounded below)
_STEM_CACHE_LIMIT = 1 << 16


def _stems(words: List[str]) -> List[str]:
    """Return ``[w[:5] for w in words if len(w) > 6]``, from a word cache when every word is in it."""
    try:
        return list(filter(None, gather(words)(_STEMS)))
    except KeyError:
        stems = [w[:5] for w in words if len(w) > 6]
        if len(_STEMS) > _STEM_CACHE_LIMIT:
            _STEMS.clear()  # bounded memory; refilled from the next prompts
        for w in words:
            _STEMS[w] = w[:5] if len(w) > 6 else ""
        return stems


def _tokens_unicode(low: str, raw: bytes) -> Tuple[List[str], List[str]]:
    """Split non-ASCII text into (tokens, words): words, CJK characters and bigrams, 5-char prefixes.

    Words are runs of characters that are neither whitespace, punctuation nor CJK; ``raw`` is the
    UTF-8 form of ``low``.
    """
    if raw.translate(None, _CJK_LEAD_BYTES) == raw:
        runs: List[str] = []
    else:
        # One regex pass yields the CJK runs and, between them, the text the words come from.
        parts = _CJK_SPLIT_RE.split(low)
        runs = parts[1::2]
        raw = " ".join(parts[0::2]).encode("utf-8", "surrogatepass")
    # Punctuation becomes space: ASCII marks in C on the UTF-8 bytes, the few others by str.replace.
    text = raw.translate(_ASCII_SPLIT).decode("utf-8", "surrogatepass")
    if len(raw.translate(None, _MARK_LEAD_BYTES)) != len(raw):
        for mark in _UNICODE_MARKS:
            if mark in text:
                text = text.replace(mark, " ")
    words = text.split()
    # Word-initial 5-grams stand in for stems in inflected languages (Russian, German, Spanish).
    tokens = words + _stems(words)
    if runs:
        chars = "".join(runs)[:_CJK_CAP]
        tokens += chars
        cap = 3 * _CJK_CAP
        for run in runs:
            n = len(run)
            if n == 2:
                tokens.append(run)
            elif 2 < n <= _BIGRAM_GETTER_MAX:
                getter = _BIGRAM_GETTERS.get(n)
                if getter is None:
                    getter = _BIGRAM_GETTERS[n] = itemgetter(*_BIGRAM_SLICES[:n - 1])  # made on first use
                tokens += getter(run)
            elif n > _BIGRAM_GETTER_MAX:
                tokens += map(run.__getitem__, _BIGRAM_SLICES[:n - 1])
            if len(tokens) > cap:
                break
    return tokens, words


def scan(text: str) -> Tuple[list, Dict[str, Any]]:
    """Return (n-gram tokens, signal dict) for ``text``; the hot path shared with the classifier.

    Tokens (bytes for ASCII text, str otherwise) are lowercase words, CJK characters and character
    bigrams, and word-initial 5-grams of long non-ASCII words, all from the bounded window.
    """
    length = len(text)
    windowed = length > _WINDOW
    win = text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:] if windowed else text
    ascii_text = win.isascii()
    low = win if ascii_text else win.lower()
    # Tokens and signal tables are bytes for ASCII text (the fast path), str otherwise.
    found: AbstractSet[Any]
    cats: Any
    starts: Any
    sep: Any
    if ascii_text or low.isascii():
        # One translate lowercases and turns punctuation into spaces; the symbol counts below do not
        # depend on case, so ``raw`` may keep it.
        raw = low.encode("ascii")
        tokens: list = raw.translate(_ASCII_SPLIT_LOWER).split()
        words: list = tokens
        word_set = set(tokens)
        found = _SPECIAL_B_KEYS.intersection(word_set)
        cats, starts, sep = _SPECIAL_B, _STARTS_B, b" "
        script = "latin"
    else:
        raw = low.encode("utf-8", "surrogatepass")
        tokens, words = _tokens_unicode(low, raw)
        word_set = set(tokens)
        found = _SPECIAL_KEYS.intersection(word_set)
        cats, starts, sep = _SPECIAL, _STARTS, " "
        script = _guess_script(win)
    # Signal words by slot: tiers 0-4, code, maths, constraints, multi-part, first words of phrases.
    c = [0] * 10
    for word in found:
        for k in cats[word]:
            c[k] += 1
    if c[9]:
        # Only phrases whose first word occurs can match; they are ASCII word pairs, so only
        # consecutive words can form one (5-char prefixes and CJK tokens never complete a pair).
        pad = None
        for word in starts.keys() & found:
            for phrase, tier, rest in starts[word]:
                if word_set.issuperset(rest):  # else it cannot occur: no need to join the words
                    if pad is None:
                        pad = sep + sep.join(words) + sep
                    if phrase in pad:
                        c[tier] += 1
    # One C pass maps each symbol byte to its class letter; the counts are then memchr-speed.
    classes = raw.translate(_SYMBOL_CLASSES).translate(None, b"\0")  # only the classed symbols: short
    questions = classes.count(b"q")
    sentences = classes.count(b"s") + questions
    if script != "latin":
        questions += win.count("\uff1f")
        sentences += win.count("\u3002")
    distinct = len(word_set)
    fences = raw.count(b"```") if b"b" in classes else 0
    code = classes.count(b"c") // 2 + 3 * fences + c[5]
    maths = classes.count(b"m") + c[6]
    newlines = win.count("\n")
    list_items = len(_LIST_RE.findall("\n" + win)) if newlines > 1 else 0
    constraints = c[7]
    multipart = list_items + c[8] + (questions - 1 if questions > 1 else 0)
    has_code = fences > 0 or code > 3
    structural = (has_code + (maths > 2) + (list_items > 1) + (constraints > 1) + (multipart > 2)
                  + (sentences > 4) + (distinct > 40) + (distinct > 80) + (newlines > 10))
    signals = {
        "length": length,
        "keyword_matches": {"trivial": c[0], "simple": c[1], "moderate": c[2], "complex": c[3], "expert": c[4]},
        "has_code": has_code,
        "code_indicators": code,
        "structural_complexity": structural,
        "word_count": len(tokens),
        "distinct_words": distinct,
        "math_indicators": maths,
        "constraints": constraints,
        "question_count": questions,
        "multi_part": multipart,
        "list_items": list_items,
        "sentences": sentences,
        "lines": newlines + 1,
        "script": script,
        "language": _LANGUAGE_BY_SCRIPT[script],
        "windowed": windowed,
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
