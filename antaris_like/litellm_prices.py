"""Offline import of LiteLLM's model_prices_and_context_window.json into ModelInfo records.

Per-token prices become per-1M prices; tiers and a quality prior come from the output price
(``litellm_tier_range``). ``ModelRegistry.from_litellm_file`` wraps ``import_litellm_prices``.
"""

from __future__ import annotations

import datetime
import math
import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from .errors import ConfigurationError
from .registry import LONG_CONTEXT_KEY, ModelInfo, PathLike, _number, _read_json
from .tiers import Tier

__all__ = ["import_litellm_prices", "litellm_tier_range"]

# Output price bands (USD per 1M output tokens) -> (min tier, max tier, quality prior). Output price
# tracks model size and capability better than input price, which varies with caching schemes.
_LITELLM_BANDS: Tuple[Tuple[float, Tier, Tier, float], ...] = (
    (1.0, Tier.TRIVIAL, Tier.MODERATE, 0.55),   # < $1: nano / mini / flash-lite / small open models
    (5.0, Tier.SIMPLE, Tier.COMPLEX, 0.7),      # < $5: mini and flash class, mid-size open models
    (20.0, Tier.MODERATE, Tier.EXPERT, 0.82),   # < $20: frontier generalists
    (math.inf, Tier.COMPLEX, Tier.EXPERT, 0.9),  # >= $20: the largest models
)
# LiteLLM's long-context prices, e.g. input_cost_per_token_above_200k_tokens: the rate of a whole
# request whose input passes the threshold (Gemini 2.5 Pro doubles above 200K); "k" is 1,000.
# At most nine digits of thousands: a longer number is no context size (and int() of over 4,300
# digits raises); such a key is then just an unknown key, kept in extra.
_TIERED_PRICE_RE = re.compile(r"(input|output)_cost_per_token_above_(\d{1,9})k_tokens")
_LITELLM_PROVIDERS = {"gemini": "google"}  # our provider names where they differ from LiteLLM's
_LITELLM_CAPS = (
    ("supports_vision", "vision"),
    ("supports_function_calling", "tools"),
    ("supports_response_schema", "json"),
    ("supports_reasoning", "reasoning"),
)


def litellm_tier_range(input_per_1m: float, output_per_1m: float) -> Tuple[Tier, Tier, float]:
    """Return (min tier, max tier, quality prior) for a price: free -> trivial..simple, else by output-price band."""
    if input_per_1m == 0.0 and output_per_1m == 0.0:
        return Tier.TRIVIAL, Tier.SIMPLE, 0.45  # free: local or promotional, assume small
    for ceiling, low, high, quality in _LITELLM_BANDS:
        if output_per_1m < ceiling:
            return low, high, quality
    return Tier.COMPLEX, Tier.EXPERT, 0.9  # unreachable: prices are finite by the time they get here


def import_litellm_prices(
    path: PathLike,
    models: Optional[Iterable[str]] = None,
    provider: Optional[str] = None,
    *,
    include_unpriced: bool = False,
    as_of: Optional[str] = None,
) -> List[ModelInfo]:
    """Read chat models from LiteLLM's model_prices_and_context_window.json format, offline.

    Per-token prices become per-1M prices. ``sample_spec`` and non-chat modes are skipped. An entry
    without both prices is skipped unless ``include_unpriced`` (then imported with null prices); a
    model named in ``models`` that cannot be imported raises ConfigurationError saying why.
    Negative, NaN or non-numeric prices always raise. Tiers and quality come from
    ``litellm_tier_range``; "text" and "code" are assumed for every chat model. ``as_of`` defaults
    to the file's modification date (UTC).
    """
    data = _read_json(path, "LiteLLM price file")
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"LiteLLM price file {os.fspath(path)!r}: expected a JSON object of models")
    if as_of is None:
        as_of = datetime.datetime.fromtimestamp(os.stat(path).st_mtime, datetime.timezone.utc).date().isoformat()
    wanted = None if models is None else [models] if isinstance(models, str) else list(models)
    origin = f"LiteLLM {os.path.basename(os.fspath(path))}"
    result: List[ModelInfo] = []
    reasons: Dict[str, str] = {}
    for key, entry in data.items():
        if key == "sample_spec" or not isinstance(entry, Mapping):
            continue
        litellm_provider = entry.get("litellm_provider")
        short = key.split("/", 1)[1] if isinstance(litellm_provider, str) and key.startswith(litellm_provider + "/") else key
        if wanted is not None and key not in wanted and short not in wanted:
            continue
        ours = _LITELLM_PROVIDERS.get(litellm_provider, litellm_provider) if isinstance(litellm_provider, str) else None
        if provider is not None and provider not in (litellm_provider, ours):
            continue
        model, why = _litellm_model(key, short, entry, ours, include_unpriced, as_of, origin)
        if model is None:
            reasons[key] = why
            reasons.setdefault(short, why)
        else:
            result.append(model)
    if wanted is not None:
        got = {m.name for m in result} | {m.api_model for m in result if m.api_model}
        missing = [w for w in wanted if w not in got]
        if missing:
            details = "; ".join(
                f"{w!r}: {reasons.get(w) or _not_found_hint(w, data, provider)}" for w in missing
            )
            raise ConfigurationError(f"{origin}: cannot import {details}")
    return result


def _not_found_hint(name: str, data: Mapping[str, Any], provider: Optional[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, [k for k in data if k != "sample_spec"], n=3, cutoff=0.6)
    where = f" for provider {provider!r}" if provider else ""
    return f"not in the file{where}" + (f" (close: {', '.join(close)})" if close else "")


def _litellm_model(
    key: str, short: str, entry: Mapping[str, Any], provider: Optional[str],
    include_unpriced: bool, as_of: str, origin: str,
) -> Tuple[Optional[ModelInfo], str]:
    if entry.get("mode") != "chat":
        return None, f"mode is {entry.get('mode')!r}, only 'chat' models are imported"
    if not provider:
        return None, "no 'litellm_provider'"
    prices = {}
    for ours, theirs in (("input_per_1m", "input_cost_per_token"), ("output_per_1m", "output_cost_per_token")):
        raw = entry.get(theirs)
        per_token = _number(key, theirs, raw, allow_none=True)
        prices[ours] = None if per_token is None else round(per_token * 1_000_000, 9)
    priced = prices["input_per_1m"] is not None and prices["output_per_1m"] is not None
    if not priced and not include_unpriced:
        return None, "no input/output price in the file (pass include_unpriced=True to import it unpriced)"
    context = entry.get("max_input_tokens", entry.get("max_tokens"))
    if isinstance(context, bool) or not isinstance(context, int) or context <= 0:
        return None, f"no usable context size (max_input_tokens/max_tokens is {context!r})"
    output = entry.get("max_output_tokens", entry.get("max_tokens"))
    if isinstance(output, bool) or not isinstance(output, int) or output <= 0:
        output = context
    caps = ["text", "code"] + [cap for flag, cap in _LITELLM_CAPS if entry.get(flag) is True]
    if priced:
        low, high, quality = litellm_tier_range(prices["input_per_1m"], prices["output_per_1m"])  # type: ignore[arg-type]
    else:
        low, high, quality = Tier.TRIVIAL, Tier.EXPERT, 0.5
    source = origin + (f" (from {entry['source']})" if isinstance(entry.get("source"), str) else "")
    extra = {}
    if priced:
        tiers = _tiered_prices(key, entry, prices["input_per_1m"], prices["output_per_1m"])  # type: ignore[arg-type]
        if tiers:
            extra[LONG_CONTEXT_KEY] = tiers[0] if len(tiers) == 1 else tiers
    model = ModelInfo(
        name=key, provider=provider, api_model=short if short != key else None,
        input_per_1m=prices["input_per_1m"], output_per_1m=prices["output_per_1m"],
        min_tier=low, max_tier=high, capabilities=tuple(caps), context_window=context,
        max_output_tokens=output, supports_streaming=entry.get("supports_native_streaming") is not False,
        quality=quality, as_of=as_of, source=source, extra=extra,
    )
    return model, ""


def _tiered_prices(key: str, entry: Mapping[str, Any], input_per_1m: float,
                   output_per_1m: float) -> List[Dict[str, Any]]:
    """Return the entry's long-context prices in the registry's form, lowest threshold first.

    A threshold with only one side priced keeps the base price for the other side.
    """
    found: Dict[int, Dict[str, float]] = {}
    for name, raw in entry.items():
        match = _TIERED_PRICE_RE.fullmatch(name) if isinstance(name, str) else None
        if match is None:
            continue
        per_token = _number(key, name, raw, allow_none=True)
        if per_token is not None:
            side = "input_per_1m" if match.group(1) == "input" else "output_per_1m"
            found.setdefault(int(match.group(2)) * 1000, {})[side] = round(per_token * 1_000_000, 9)
    return [
        {"above_tokens": above, "input_per_1m": sides.get("input_per_1m", input_per_1m),
         "output_per_1m": sides.get("output_per_1m", output_per_1m)}
        for above, sides in sorted(found.items())
    ]
