"""The model registry: what each model costs, which tiers it serves, what it can do.

A registry is a JSON document (``schema_version`` 1)::

    {"schema_version": 1,
     "models": [{"name": "gpt-4o-mini", "provider": "openai", "base_url": null,
                 "input_per_1m": 0.15, "output_per_1m": 0.6, "tiers": ["trivial", "moderate"],
                 "capabilities": ["text", "code", "vision"], "context_window": 128000,
                 "max_output_tokens": 16384, "supports_streaming": true, "quality": 0.65,
                 "as_of": "2026-11-22", "source": "..."}]}

Prices are USD per 1M tokens. ``null`` means "price unknown" (``ModelInfo.is_priced`` is
False; budgets refuse such models); a missing price key is an error. Local models cost 0.
Required per model: name, provider, input_per_1m, output_per_1m, tiers, context_window,
max_output_tokens. Optional: base_url, api_model (id sent to the provider, default name),
capabilities (["text"]), supports_streaming (true), quality (0.5), as_of (""), source ("").
Unknown keys are kept, unvalidated, and written back by ``to_dict()`` / ``save()``.

Every validation error is a ``ConfigurationError`` naming the model and the key.
Parsing is pure; only ``from_file``, ``from_litellm_file`` and ``save`` touch the disk.
"""

from __future__ import annotations

import datetime
import itertools
import json
import math
import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from .errors import ConfigurationError
from .tiers import RANK, TIER_NAMES, Tier

if TYPE_CHECKING:  # pragma: no cover - static type checkers see the real names
    from .litellm_prices import import_litellm_prices, litellm_tier_range

__all__ = [
    "SCHEMA_VERSION",
    "Capabilities",
    "ModelInfo",
    "ModelRegistry",
    "import_litellm_prices",
    "litellm_tier_range",
]

SCHEMA_VERSION = 1
PathLike = Union[str, "os.PathLike[str]"]

_REQUIRED = ("name", "provider", "input_per_1m", "output_per_1m", "tiers", "context_window",
             "max_output_tokens")
_OPTIONAL = ("base_url", "api_model", "capabilities", "supports_streaming", "quality", "as_of",
             "source")
_KNOWN = frozenset(_REQUIRED + _OPTIONAL)
_RESOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resources", "models.json")
_default_models: Optional[Tuple[ModelInfo, ...]] = None  # parsed once per process, then shared


class Capabilities(Tuple[str, ...]):
    """An ordered tuple of capability names that also equals the same names as a list (antaris)."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return repr(list(self))


def _where(name: object, key: str) -> str:
    return f"model {name!r}: {key!r}"


MAX_PRICE_PER_1M = 1e9  # USD per 1M tokens
# Extra registry key holding prices that apply once a request's input passes a threshold: an object
# {"above_tokens": N, "input_per_1m": x, "output_per_1m": y}, or a list of them (LiteLLM has several).
LONG_CONTEXT_KEY = "long_context_price"


def _long_context_tiers(name: object, value: object) -> Tuple[Tuple[int, float, float], ...]:
    """Parse ``long_context_price``; raise ConfigurationError naming the model and key."""
    if value is None:
        return ()
    entries = value if isinstance(value, (list, tuple)) else [value]
    tiers = []
    for index, entry in enumerate(entries):
        key = LONG_CONTEXT_KEY if not isinstance(value, (list, tuple)) else f"{LONG_CONTEXT_KEY}[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigurationError(
                f"{_where(name, key)} must be an object with above_tokens, input_per_1m and output_per_1m, "
                f"got {entry!r:.60}")
        above = _count(name, f"{key}.above_tokens", entry.get("above_tokens"))
        prices = []
        for price_key in ("input_per_1m", "output_per_1m"):
            price = _number(name, f"{key}.{price_key}", entry.get(price_key))
            if price is not None and price > MAX_PRICE_PER_1M:
                raise ConfigurationError(f"{_where(name, f'{key}.{price_key}')} is {price:g} USD per 1M tokens, "
                                         f"above the {MAX_PRICE_PER_1M:g} limit: check the units")
            prices.append(price)
        tiers.append((above, float(prices[0]), float(prices[1])))  # type: ignore[arg-type]
    tiers.sort()
    for (a, _, _), (b, _, _) in zip(tiers, tiers[1:]):
        if a == b:
            raise ConfigurationError(f"{_where(name, LONG_CONTEXT_KEY)} lists above_tokens {a} twice")
    return tuple(tiers)


def _number(name: object, key: str, value: object, *, allow_none: bool = False) -> Optional[float]:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = " (use null for an unknown price)" if allow_none else ""
        raise ConfigurationError(f"{_where(name, key)} must be a number{hint}, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        number = math.inf
    if not math.isfinite(number):
        raise ConfigurationError(f"{_where(name, key)} must be finite, got {value!r:.60}")
    if number < 0:
        raise ConfigurationError(f"{_where(name, key)} must be >= 0, got {value!r}")
    return number


def _count(name: object, key: str, value: object) -> int:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{_where(name, key)} must be a positive whole number, got {value!r}")
    return value


def _text(name: object, key: str, value: object, *, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{_where(name, key)} must be a non-empty string, got {value!r}")
    _check_utf8(name, key, value)
    return value.strip()


def _check_utf8(name: object, key: str, value: str) -> None:
    """Refuse lone surrogates: such a string cannot be written to JSON files or SQLite as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConfigurationError(f"{_where(name, key)} holds a lone surrogate {value[exc.start]!r} at index "
                                 f"{exc.start}, which is not valid Unicode text") from None


def _tier(name: object, key: str, value: object) -> Tier:
    try:
        return Tier.parse(value, what=f"{_where(name, key)}")  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(str(exc)) from exc


@dataclass(frozen=True)
class ModelInfo:
    """One model: price, tier range, capabilities, limits; validated on construction."""

    name: str
    provider: str
    base_url: Optional[str] = None
    input_per_1m: Optional[float] = None
    output_per_1m: Optional[float] = None
    min_tier: Tier = Tier.TRIVIAL
    max_tier: Tier = Tier.EXPERT
    capabilities: Tuple[str, ...] = ("text",)
    context_window: int = 8192
    max_output_tokens: int = 4096
    supports_streaming: bool = True
    quality: float = 0.5
    as_of: str = ""
    source: str = ""
    api_model: Optional[str] = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Parsed from extra["long_context_price"] (which stays there as written, for to_dict()).
    _long_context: Tuple[Tuple[int, float, float], ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise ConfigurationError(
                f"model {name!r}: 'name' must be a non-empty string without surrounding spaces"
            )
        _check_utf8(name, "name", name)
        put = object.__setattr__  # frozen: normalise once, here, then never again
        put(self, "provider", _text(name, "provider", self.provider).lower())  # type: ignore[union-attr]
        base_url = _text(name, "base_url", self.base_url, optional=True)
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"{_where(name, 'base_url')} must start with http:// or https://")
        put(self, "base_url", base_url)
        put(self, "api_model", _text(name, "api_model", self.api_model, optional=True))
        for key in ("input_per_1m", "output_per_1m"):
            price = _number(name, key, getattr(self, key), allow_none=True)
            if price is not None and price > MAX_PRICE_PER_1M:
                # Far past any real price; and near float's limit a request's cost overflows to inf.
                raise ConfigurationError(f"{_where(name, key)} is {price:g} USD per 1M tokens, above the "
                                         f"{MAX_PRICE_PER_1M:g} limit ($1,000 a token): check the units")
            put(self, key, price)
        low, high = _tier(name, "min_tier", self.min_tier), _tier(name, "max_tier", self.max_tier)
        if low > high:
            raise ConfigurationError(
                f"{_where(name, 'tiers')}: min tier {low.value!r} is above max tier {high.value!r}"
            )
        put(self, "min_tier", low)
        put(self, "max_tier", high)
        put(self, "capabilities", _capabilities(name, self.capabilities))
        put(self, "context_window", _count(name, "context_window", self.context_window))
        put(self, "max_output_tokens", _count(name, "max_output_tokens", self.max_output_tokens))
        if not isinstance(self.supports_streaming, bool):
            raise ConfigurationError(
                f"{_where(name, 'supports_streaming')} must be true or false, got {self.supports_streaming!r}"
            )
        quality = _number(name, "quality", self.quality)
        if quality is None or quality > 1.0:
            raise ConfigurationError(f"{_where(name, 'quality')} must be within [0, 1], got {self.quality!r}")
        put(self, "quality", quality)
        for key in ("as_of", "source"):
            if not isinstance(getattr(self, key), str):
                raise ConfigurationError(f"{_where(name, key)} must be a string, got {getattr(self, key)!r}")
            _check_utf8(name, key, getattr(self, key))
        if self.as_of:
            try:
                # Exactly YYYY-MM-DD: Python 3.11's fromisoformat also takes 20261122 and 2026-W47-1,
                # which 3.9 refuses, so a registry valid on one version would be refused on another.
                if len(self.as_of) != 10 or self.as_of[4] != "-" or self.as_of[7] != "-" \
                        or not self.as_of.replace("-", "").isdigit() or not self.as_of.isascii():
                    raise ValueError(self.as_of)
                datetime.date.fromisoformat(self.as_of)
            except ValueError:
                raise ConfigurationError(
                    f"{_where(name, 'as_of')} must be a date YYYY-MM-DD, got {self.as_of!r}"
                ) from None
        if not isinstance(self.extra, Mapping):
            raise ConfigurationError(f"{_where(name, 'extra')} must be a mapping")
        bad, why = _unwritable_path(self.extra)
        if bad:
            raise ConfigurationError(f"{_where(name, _printable(bad))} {why}")
        put(self, "extra", MappingProxyType(dict(self.extra)))
        put(self, "_long_context", _long_context_tiers(name, self.extra.get(LONG_CONTEXT_KEY)))

    # antaris-router compatible view -------------------------------------------------------------
    @property
    def cost_per_1k_input(self) -> Optional[float]:
        """USD per 1,000 input tokens; None when the price is unknown."""
        return None if self.input_per_1m is None else self.input_per_1m / 1000.0

    @property
    def cost_per_1k_output(self) -> Optional[float]:
        """USD per 1,000 output tokens; None when the price is unknown."""
        return None if self.output_per_1m is None else self.output_per_1m / 1000.0

    @property
    def max_tokens(self) -> int:
        """The context window in tokens (antaris' name for it)."""
        return self.context_window

    @property
    def tier_range(self) -> Tuple[Tier, Tier]:
        """(min_tier, max_tier); each equals its string value."""
        return (self.min_tier, self.max_tier)

    @property
    def is_priced(self) -> bool:
        """True when both prices are known (they are finite and >= 0 by construction)."""
        return self.input_per_1m is not None and self.output_per_1m is not None

    @property
    def is_local(self) -> bool:
        """True for a model that costs nothing per token (e.g. served by Ollama)."""
        return self.input_per_1m == 0.0 and self.output_per_1m == 0.0

    @property
    def request_model(self) -> str:
        """The model id to send to the provider."""
        return self.api_model or self.name

    @property
    def long_context_prices(self) -> Tuple[Tuple[int, float, float], ...]:
        """(above_tokens, input_per_1m, output_per_1m) of each long-context price, lowest threshold first."""
        return self._long_context

    def prices_for(self, input_tokens: int) -> Tuple[Optional[float], Optional[float]]:
        """Return the (input, output) USD per 1M that a request with ``input_tokens`` in is billed at.

        A long-context price (Gemini 2.5 Pro above 200K tokens, LiteLLM's ``*_above_200k_tokens``)
        applies to the whole request, input and output, once its input passes the threshold.
        """
        price_in, price_out = self.input_per_1m, self.output_per_1m
        for above, tier_in, tier_out in self._long_context:
            if input_tokens > above:
                price_in, price_out = tier_in, tier_out
        return price_in, price_out

    def calculate_cost(self, input_tokens: int, output_tokens: int) -> float:
        """Return the USD cost of ``input_tokens`` in and ``output_tokens`` out (long-context prices included)."""
        if type(input_tokens) is not int or type(output_tokens) is not int or input_tokens < 0 or output_tokens < 0:
            for what, value in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{what} must be an int, got {type(value).__name__}")
                if value < 0:
                    raise ValueError(f"{what} must be >= 0, got {value}")
        if self.input_per_1m is None or self.output_per_1m is None:
            raise ConfigurationError(
                f"model {self.name!r} has no known price (null in the registry): set input_per_1m and "
                "output_per_1m, or check is_priced before asking for a cost"
            )
        price_in, price_out = self.input_per_1m, self.output_per_1m
        for above, tier_in, tier_out in self._long_context:  # ascending: the highest passed applies
            if input_tokens > above:
                price_in, price_out = tier_in, tier_out
        try:
            cost = (input_tokens * price_in + output_tokens * price_out) / 1_000_000
            if cost < math.inf:
                return cost
            raise OverflowError  # a float product past float's range is inf, not an error: make it one
        except OverflowError:
            raise ValueError(f"token counts too large to price: input_tokens={input_tokens!r:.40}, "
                             f"output_tokens={output_tokens!r:.40}") from None

    def has_capability(self, capability: str) -> bool:
        """Return True if the model lists ``capability`` (case-insensitive)."""
        return isinstance(capability, str) and capability.strip().lower() in self.capabilities

    def covers(self, tier: Union[Tier, str]) -> bool:
        """Return True if ``tier`` lies within this model's tier range."""
        wanted = RANK[tier if type(tier) is Tier else Tier.parse(tier)]
        return RANK[self.min_tier] <= wanted <= RANK[self.max_tier]

    def to_dict(self) -> Dict[str, Any]:
        """Return the model as a registry JSON object (unknown keys included)."""
        data: Dict[str, Any] = {"name": self.name, "provider": self.provider}
        if self.base_url is not None:
            data["base_url"] = self.base_url
        if self.api_model is not None:
            data["api_model"] = self.api_model
        data.update(
            input_per_1m=self.input_per_1m,
            output_per_1m=self.output_per_1m,
            tiers=[self.min_tier.value, self.max_tier.value],
            capabilities=list(self.capabilities),
            context_window=self.context_window,
            max_output_tokens=self.max_output_tokens,
            supports_streaming=self.supports_streaming,
            quality=self.quality,
            as_of=self.as_of,
            source=self.source,
        )
        for key, value in self.extra.items():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelInfo:
        """Build a model from a registry JSON object; raise ConfigurationError naming model and key."""
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"a model entry must be a JSON object, got {type(data).__name__}")
        name = data.get("name", "<unnamed>")
        missing = [key for key in _REQUIRED if key not in data]
        if missing:
            raise ConfigurationError(
                f"model {name!r}: missing required key(s) {', '.join(repr(k) for k in missing)}"
            )
        tiers = data["tiers"]
        if not isinstance(tiers, (list, tuple)) or len(tiers) != 2:
            raise ConfigurationError(
                f"{_where(name, 'tiers')} must be [min, max] with tiers from {', '.join(TIER_NAMES)}, "
                f"got {tiers!r}"
            )
        low, high = _tier(name, "tiers", tiers[0]), _tier(name, "tiers", tiers[1])
        return cls(
            name=data["name"],
            provider=data["provider"],
            base_url=data.get("base_url"),
            api_model=data.get("api_model"),
            input_per_1m=data["input_per_1m"],
            output_per_1m=data["output_per_1m"],
            min_tier=low,
            max_tier=high,
            capabilities=data.get("capabilities", ("text",)),
            context_window=data["context_window"],
            max_output_tokens=data["max_output_tokens"],
            supports_streaming=data.get("supports_streaming", True),
            quality=data.get("quality", 0.5),
            as_of=data.get("as_of", ""),
            source=data.get("source", ""),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )


def _capabilities(name: str, value: object) -> Capabilities:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigurationError(f"{_where(name, 'capabilities')} must be a list of strings, got {value!r}")
    seen: List[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConfigurationError(
                f"{_where(name, 'capabilities')} entries must be non-empty strings, got {item!r}"
            )
        _check_utf8(name, "capabilities", item)
        cap = item.strip().lower()
        if cap not in seen:
            seen.append(cap)
    return Capabilities(seen)


# Integers beyond float range in unknown keys: JSON has no limit, but Python refuses to write one
# of over 4,300 digits, and nothing sensible is that large.
_MAX_EXTRA_INT = 10 ** 308


def _unwritable_path(value: object, path: str = "") -> Tuple[str, str]:
    """Return (key path, why) of the first value inside ``value`` that the registry file could not hold.

    ("", "") when every value can be written back: no NaN or Infinity (JSON does not allow them), no
    lone surrogate in a string or a key (not UTF-8), no integer beyond float range.
    """
    where = path or "<value>"
    if isinstance(value, float) and not math.isfinite(value):
        return where, "holds NaN or Infinity, which JSON does not allow"
    if isinstance(value, int) and not isinstance(value, bool) and not -_MAX_EXTRA_INT <= value <= _MAX_EXTRA_INT:
        return where, "holds an integer beyond float range"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where, "holds a lone surrogate (not UTF-8 text)"
    if isinstance(value, Mapping):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                try:
                    key.encode("utf-8")
                except UnicodeEncodeError:
                    return inner, "is a key holding a lone surrogate (not UTF-8 text)"
            found = _unwritable_path(item, inner)
            if found[0]:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _unwritable_path(item, f"{path}[{index}]")
            if found[0]:
                return found
    return "", ""


def _printable(path: str) -> str:
    """A key path safe to put in a message (a lone surrogate as its escape)."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")


def _pairs_no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    data: Dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            owner = dict(pairs).get("name", "<unnamed>")
            raise ConfigurationError(f"{_where(owner, key)} appears twice in the same JSON object")
        data[key] = value
    return data


def _read_json(path: PathLike, what: str) -> Any:
    """Read a UTF-8 JSON file, turning every failure into a ConfigurationError that says what to fix."""
    shown = os.fspath(path)
    try:
        with open(shown, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise ConfigurationError(f"{what} not found: {shown!r} (check the path)") from None
    except IsADirectoryError:
        raise ConfigurationError(f"{what} {shown!r} is a directory, expected a JSON file") from None
    except OSError as exc:
        raise ConfigurationError(f"{what} {shown!r} cannot be read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{what} {shown!r} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8 JSON"
        ) from None
    if not text.strip():
        raise ConfigurationError(f"{what} {shown!r} is empty; expected a JSON object")
    try:
        return json.loads(text, object_pairs_hook=_pairs_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{what} {shown!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:  # json's decoder recurses once per nesting level
        raise ConfigurationError(f"{what} {shown!r} is not usable JSON: nested too deeply to parse") from None
    except ValueError as exc:  # e.g. an integer literal over Python's 4,300-digit conversion limit
        raise ConfigurationError(f"{what} {shown!r} is not usable JSON: {exc}") from None


# One sequence for every registry, so a version number never names two states (of one registry or two).
_versions = itertools.count(1)


class ModelRegistry:
    """An ordered set of ModelInfo keyed by name; iterable, sized, supports ``in``."""

    def __init__(self, models: Iterable[ModelInfo] = (), *, metadata: Optional[Mapping[str, Any]] = None):
        self._models: Dict[str, ModelInfo] = {}
        self._version = next(_versions)
        self.metadata: Dict[str, Any] = dict(metadata or {})  # unknown top-level keys, kept for save()
        for model in models:
            self.add(model)

    # construction ----------------------------------------------------------------------------------
    @classmethod
    def default(cls) -> ModelRegistry:
        """Return a fresh registry holding the shipped default models (resources/models.json)."""
        global _default_models
        if _default_models is None:
            _default_models = tuple(cls.from_file(_RESOURCE))
        return cls(_default_models)

    @classmethod
    def from_file(cls, path: PathLike) -> ModelRegistry:
        """Load and validate a registry JSON file."""
        return cls.from_dict(_read_json(path, "registry file"), origin=os.fspath(path))

    @classmethod
    def from_dict(cls, data: Any, *, origin: str = "registry") -> ModelRegistry:
        """Validate a parsed registry document; raise ConfigurationError naming model and key."""
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                f"{origin}: expected a JSON object with 'schema_version' and 'models', "
                f"got {type(data).__name__}"
            )
        if not data:
            raise ConfigurationError(f"{origin}: the registry object is empty; expected 'schema_version' and 'models'")
        version = data.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ConfigurationError(f"{origin}: 'schema_version' must be the integer {SCHEMA_VERSION}, got {version!r}")
        if version > SCHEMA_VERSION:
            raise ConfigurationError(
                f"{origin}: schema_version {version} was written by a newer antaris_like; this version "
                f"reads schema_version {SCHEMA_VERSION}: upgrade antaris_like or export an older format"
            )
        if version != SCHEMA_VERSION:
            raise ConfigurationError(f"{origin}: unknown schema_version {version}; expected {SCHEMA_VERSION}")
        models = data.get("models")
        if not isinstance(models, list):
            raise ConfigurationError(f"{origin}: 'models' must be a list of model objects, got {models!r:.60}")
        registry = cls(metadata={k: v for k, v in data.items() if k not in ("schema_version", "models")})
        for index, entry in enumerate(models):
            if not isinstance(entry, Mapping):
                raise ConfigurationError(f"{origin}: models[{index}] must be a JSON object, got {entry!r:.60}")
            model = ModelInfo.from_dict(entry)
            if model.name in registry:
                raise ConfigurationError(f"{_where(model.name, 'name')} is listed twice in {origin}")
            registry.add(model)
        bad, why = _unwritable_path(registry.metadata)
        if bad:
            raise ConfigurationError(f"{origin}: {_printable(bad)!r} {why}")
        return registry

    @classmethod
    def from_litellm_file(
        cls,
        path: PathLike,
        models: Optional[Iterable[str]] = None,
        provider: Optional[str] = None,
        **options: Any,
    ) -> ModelRegistry:
        """Import chat models from a LiteLLM model_prices_and_context_window.json (offline)."""
        from .litellm_prices import import_litellm_prices  # here: litellm_prices imports this module

        return cls(import_litellm_prices(path, models=models, provider=provider, **options))

    # mutation --------------------------------------------------------------------------------------
    def add(self, model: ModelInfo, replace: bool = False) -> None:
        """Add ``model``; a second model with the same name needs ``replace=True``."""
        if not isinstance(model, ModelInfo):
            raise TypeError(f"add() expects a ModelInfo, got {type(model).__name__}")
        if model.name in self._models and not replace:
            raise ConfigurationError(
                f"{_where(model.name, 'name')} is already registered; pass replace=True to overwrite it"
            )
        self._models[model.name] = model
        self._version = next(_versions)

    def remove(self, name: str) -> ModelInfo:
        """Remove and return the model called ``name``."""
        model = self.get(name)
        del self._models[model.name]
        self._version = next(_versions)
        return model

    @property
    def version(self) -> int:
        """A number that changes with every add() or remove(), unique across registries.

        Routers key their cached selections on it, so a change made to the registry directly
        (not through register_model()) is seen by the next route().
        """
        return self._version

    # lookup ----------------------------------------------------------------------------------------
    def get(self, name: str) -> ModelInfo:
        """Return the model called ``name``; ConfigurationError (with close matches) if unknown."""
        if not isinstance(name, str):
            raise TypeError(f"model name must be a str, got {type(name).__name__}")
        model = self._models.get(name)
        if model is not None:
            return model
        import difflib  # error path only: keep it out of import time

        close = difflib.get_close_matches(name, list(self._models), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigurationError(f"unknown model {name!r} ({len(self._models)} registered){hint}")

    def find(self, name: str) -> Optional[ModelInfo]:
        """Return the model called ``name`` or None."""
        return self._models.get(name) if isinstance(name, str) else None

    def names(self) -> List[str]:
        """Return the model names in registration order."""
        return list(self._models)

    def providers(self) -> List[str]:
        """Return the distinct providers, sorted."""
        return sorted({m.provider for m in self._models.values()})

    def eligible(
        self, tier: Union[Tier, str], capability: Union[None, str, Iterable[str]] = None
    ) -> List[ModelInfo]:
        """Return models covering ``tier`` (and having every ``capability``), cheapest first.

        Order: blended price (input + output per 1M), then higher quality, then name; unpriced
        models last. Never registration order.
        """
        wanted = Tier.parse(tier)
        caps = [capability] if isinstance(capability, str) else list(capability or ())
        found = [
            m for m in self._models.values()
            if m.covers(wanted) and all(m.has_capability(c) for c in caps)
        ]
        return sorted(found, key=_price_order)

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(list(self._models.values()))

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, ModelInfo):
            return self._models.get(item.name) == item
        return isinstance(item, str) and item in self._models

    def __repr__(self) -> str:
        return f"ModelRegistry({len(self._models)} models: {', '.join(list(self._models)[:5])}{', ...' if len(self) > 5 else ''})"

    # persistence -----------------------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """Return the registry as a JSON-ready document."""
        data: Dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        for key, value in self.metadata.items():
            data.setdefault(key, value)
        data["models"] = [m.to_dict() for m in self._models.values()]
        return data

    def save(self, path: PathLike) -> None:
        """Write the registry atomically: temp file in the same folder, flush, fsync, os.replace."""
        # Serialise first: a value JSON cannot hold fails here, before any file exists.
        payload = (json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        import tempfile  # pulls in shutil and random: only pay for it when saving

        target = os.path.abspath(os.fspath(path))
        folder = os.path.dirname(target)
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                mode = os.stat(target).st_mode & 0o777
            except FileNotFoundError:
                mode = 0o644  # mkstemp's 0600 would surprise whoever reads the registry next
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    """Make the rename durable where the platform allows it (best effort: not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _price_order(model: ModelInfo) -> Tuple[int, float, float, str]:
    if model.input_per_1m is None or model.output_per_1m is None:
        return (1, 0.0, -model.quality, model.name)
    return (0, model.input_per_1m + model.output_per_1m, -model.quality, model.name)


_LITELLM_EXPORTS = frozenset(("import_litellm_prices", "litellm_tier_range"))


def __getattr__(name: str) -> Any:
    # Re-exported on first use (PEP 562): litellm_prices imports this module, so no top-level import.
    if name in _LITELLM_EXPORTS:
        from . import litellm_prices

        value = getattr(litellm_prices, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | _LITELLM_EXPORTS)
