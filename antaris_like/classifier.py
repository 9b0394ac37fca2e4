"""Tier classifier: hashed TF-IDF features, an ordinal complexity score, and bandit-feedback learning.

Design (fixed-size state, one pass per prompt):

* Features: lowercase words, CJK character uni/bigrams and 5-char word prefixes from a bounded
  head/tail window (``text.scan``), hashed with ``zlib.crc32`` into ``2**DIM_BITS`` buckets, plus a
  small dense vector of structural signals computed over the whole prompt length.
* Score: ``s = bias + sum(W[i] for i in tokens) / sqrt(n) + dense . w_d``; ``W`` folds the trained
  IDF-weighted regression weights of the base model and the learned correction into one array, so a
  prompt costs one lookup per token whatever the history.
* Tiers: the score is on the tier-rank scale; tier k is the band ``(k - 0.5, k + 0.5]`` (these fixed
  bands are the tier centroids on the complexity axis). Probabilities come from a cumulative-logit
  model with a temperature fitted on held-out data, so ``confidence`` is a calibrated probability.
* ``complexity`` maps the score monotonically into [0, 1]; tier k covers [0.2k, 0.2k + 0.2).
* Learning (bandit feedback): per hashed bucket, integer counts of failures and outcomes of cheaper
  models and of top-tier models. Each bucket's estimated *gain* of the top tier (shrunk failure rate
  of cheaper models minus shrunk failure rate of top-tier models, relative to the priors) is cached;
  a prompt's learned adjustment is ``outcome_strength`` times the mean gain over its buckets that have
  evidence. Counts are integers, so ``revert`` is exact and replay order does not matter.
* Length: the gain also grows with prompt length on some workloads (multi-step word problems) and
  not on others, so it is learned too: for cheaper and for top-tier models, a ridge regression of
  failure on the centred log length, kept as five integer sums each (fixed size, exact revert). The
  score adds ``length_strength`` times the difference of the two slopes times the prompt's centred
  log length (no intercept: the regression ranks prompts, it does not shift every tier).
* Evidence weight: both learned terms are multiplied by ``n^2 / (n^2 + evidence_half^2)``, n the
  number of outcomes learned (from the length sums). ``outcome_strength`` is large so that, once
  evidence exists, it decides the tier; after a handful of outcomes the gains and slopes are mostly
  noise, so early routing follows the base model (weight 0.14 after 40 outcomes, 0.9 after 300).
* Active learning: the gain needs top-tier outcomes too, which only arrive when prompts are sent up.
  When a prompt's buckets hold mostly cheap-model evidence (top-tier share below
  ``top_evidence_floor``) its tier is raised to ``complex`` so the next outcome fills the gap.
  Symmetrically, when learned evidence alone lifted a prompt to the top tier but that evidence is
  mostly top-tier outcomes (share above ``cheap_evidence_ceiling``), the prompt keeps the tier of its
  score without outcome evidence, so a cheaper model's outcome is observed again. Without this a
  large ``outcome_strength`` can lock every prompt onto the top tier (a top-tier success lowers that
  tier's failure rate below its prior, which raises the gain, which sends the next prompt up).
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections import Counter
from dataclasses import dataclass
from operator import mul
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ._classifier_state import OPTIONS as _OPTIONS
from ._classifier_state import SCHEMA_VERSION, read_state
from ._classifier_state import UNIT as _UNIT
from ._classifier_state import table as _table
from ._outcome_window import OutcomeWindow, row_key
from ._packing import array_from_b64, b64_array
from .classification import THRESHOLDS as _THRESHOLDS
from .classification import ClassificationResult
from .classification import complexity as _complexity
from .classification import sigmoid as _sigmoid
from .features import DENSE_NAMES as _DENSE_NAMES
from .features import DIM as _DIM
from .features import DIM_BITS, FeatureVector, decode_vector, dense_features, encode_vector, length_units
from .features import LENGTH_CENTRE as _LENGTH_CENTRE
from .features import LENGTH_UNIT as _LENGTH_UNIT
from .features import MASK as _MASK
from .outcome_model import OutcomeModel, fit_outcome_model
from .text import gather as _getter
from .text import scan
from .tiers import TIER_NAMES, Tier

__all__ = ["ClassificationResult", "FeatureVector", "LearnStep", "TierClassifier", "dense_features"]

_CACHE_LIMIT = 1 << 16
_BASE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resources", "base_model.json")
_BASE_CACHE: Dict[str, Any] = {}
_UNIT_OPTIONS = frozenset(("quality_floor", "failure_prior", "top_failure_prior", "top_evidence_floor",
                           "cheap_evidence_ceiling"))  # shares and rates; every other option is >= 0
_LENGTH_RIDGE = 1.0  # pseudo-observations added to both normal equations of each length regression

_new_result = ClassificationResult.__new__
_new_vector = tuple.__new__  # FeatureVector's generated __new__ is Python code; this is the same tuple
_set_state = object.__setattr__


@dataclass(frozen=True)
class LearnStep:
    """The exact integer change one learning call made; ``TierClassifier.revert`` subtracts it."""

    indices: Tuple[int, ...] = ()
    deltas: Tuple[int, ...] = ()
    dense_deltas: Tuple[int, ...] = ()
    bias_delta: int = 0
    fail: Tuple[int, ...] = ()
    ok: Tuple[int, ...] = ()
    top_fail: Tuple[int, ...] = ()
    top_ok: Tuple[int, ...] = ()
    length: Tuple[int, ...] = ()
    target: float = 0.0
    weight: float = 0.0

    @property
    def empty(self) -> bool:
        """True when the step changed nothing."""
        return not (any(self.deltas) or self.bias_delta or any(self.dense_deltas) or any(self.fail)
                    or any(self.ok) or any(self.top_fail) or any(self.top_ok) or any(self.length))


def _row_key(step: LearnStep) -> Optional[bytes]:
    """Return the outcome-model row of an outcome step, or None for other steps (see _outcome_window)."""
    return row_key(step.indices, step.length) if step.fail or step.top_fail else None


def _slope(n: int, sx: int, sxx: int, sy: int, sxy: int) -> float:
    """Return the ridge slope of failure on centred log length from the integer sums of one model class."""
    r = _LENGTH_RIDGE
    fn, fsx, fsy = n / 10.0 + r, sx / (10.0 * _LENGTH_UNIT), sy / 10.0
    fsxx, fsxy = sxx / (10.0 * _LENGTH_UNIT * _LENGTH_UNIT) + r, sxy / (10.0 * _LENGTH_UNIT)
    det = fsxx * fn - fsx * fsx
    return (fsxy * fn - fsx * fsy) / det if det > 0.0 else 0.0


class TierClassifier:
    """Route-time tier classifier with fixed-size state (see the module docstring)."""

    def __init__(self, *, base: Optional[Dict[str, Any]] = None, learning_rate: float = 0.6,
                 top_tier_weight: float = 1.0, quality_floor: float = 0.5, outcome_strength: float = 200.0,
                 outcome_prior: float = 8.0, failure_prior: float = 0.35, top_failure_prior: float = 0.15,
                 top_evidence_floor: float = 0.4, cheap_evidence_ceiling: float = 0.7,
                 length_strength: float = 100.0, evidence_half: float = 100.0, model_strength: float = 200.0,
                 model_window: float = 4096) -> None:
        base = base if base is not None else {}
        self.learning_rate = float(learning_rate)
        self.top_tier_weight = float(top_tier_weight)
        self.quality_floor = float(quality_floor)
        self.outcome_strength = float(outcome_strength)
        self.outcome_prior = float(outcome_prior)
        self.failure_prior = float(failure_prior)
        self.top_failure_prior = float(top_failure_prior)
        self.top_evidence_floor = float(top_evidence_floor)
        self.cheap_evidence_ceiling = float(cheap_evidence_ceiling)
        self.length_strength = float(length_strength)
        self.evidence_half = float(evidence_half)
        self.model_strength = float(model_strength)
        self.model_window = int(model_window)
        for name in _OPTIONS:
            value = getattr(self, name)
            unit = name in _UNIT_OPTIONS
            if not (math.isfinite(value) and value >= 0 and (value <= 1 or not unit)):
                raise ValueError(f"{name} must be a finite number {'in [0, 1]' if unit else '>= 0'}, got {value!r}")
        # The fitted outcome model (outcome_model.py) and the window of outcome rows it is fitted on.
        self._window = OutcomeWindow(self.model_window)
        self._model: Optional[OutcomeModel] = None
        # outcome_strength, length_strength and model_strength times the evidence weight (see _evidence_weight).
        self._strength = self.outcome_strength * self._evidence_weight(0)
        self._model_scale = self.model_strength * self._evidence_weight(0)
        self._base_bias = float(base.get("bias", 0.0))
        self._base_dense = tuple(float(x) for x in base.get("dense", [0.0] * len(_DENSE_NAMES)))
        self.temperature = float(base.get("temperature", 0.5))
        self._base_weights: Dict[int, float] = {}
        weights = base.get("weights")
        if weights:
            scale = float(weights["scale"])
            index = array_from_b64("i", weights["index"])
            value = array_from_b64("h", weights["value"])
            pos = 0
            for delta, v in zip(index, value):
                pos += delta
                self._base_weights[pos] = v * scale
        self._base_meta = {k: base[k] for k in ("trained_on", "metrics") if k in base}
        self._w: List[float] = [0.0] * _DIM
        for i, v in self._base_weights.items():
            self._w[i] = v
        self._corr: Dict[int, int] = {}
        self._dense_corr = [0] * len(_DENSE_NAMES)
        self._bias_corr = 0
        # Outcome evidence per bucket, in tenths of an observation (integers: exact revert), for models
        # below the top tier (fail/ok) and top-tier models (top_fail/top_ok).
        self._fail: Dict[int, int] = {}
        self._ok: Dict[int, int] = {}
        self._top_fail: Dict[int, int] = {}
        self._top_ok: Dict[int, int] = {}
        self._wc: List[float] = [0.0] * _DIM  # cached gain deviation of each bucket (0 without evidence)
        self._seen: List[int] = [0] * _DIM  # 1 where a bucket has outcome evidence
        self._tev: List[float] = [0.0] * _DIM  # top-tier share of the bucket's evidence, minus 0.5
        self._n_evidence = 0
        # Integer sums (n, sum x, sum x^2, sum failed, sum x * failed) of cheaper, then top-tier models,
        # in tenths of an observation and thousandths of a log length; see _slope.
        self._length_stats = [0] * 10
        self._length_coef = 0.0
        # Outcomes (tenths) learned by a version-2 snapshot, which kept no count: see from_dict.
        self._legacy_outcomes = 0
        self._idf = base.get("idf_default", 8.0)
        self._cache: Dict[Any, int] = {}
        self._refresh_dense()

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def load_base(cls, **options: Any) -> TierClassifier:
        """Return a classifier holding the shipped base model (file read once per process)."""
        data = _BASE_CACHE.get("base")
        if data is None:
            with open(_BASE_PATH, encoding="utf-8") as fh:
                data = json.load(fh)
            _BASE_CACHE["base"] = data
        return cls(base=data, **options)

    def _refresh_dense(self) -> None:
        self._bias = self._base_bias + self._bias_corr * _UNIT
        self._dense = tuple(b + c * _UNIT for b, c in zip(self._base_dense, self._dense_corr))

    # -- features -----------------------------------------------------------------------------
    def _index(self, tokens: list) -> Sequence[int]:
        """Return the hash bucket of every token (a bounded token -> bucket cache skips crc32)."""
        try:
            return _getter(tokens)(self._cache)
        except KeyError:
            pass
        cache = self._cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()  # bounded memory; refilled from the next prompts
        idx = list(map(cache.get, tokens))
        for j, tok in enumerate(tokens):
            if idx[j] is None:
                raw = tok if isinstance(tok, bytes) else tok.encode("utf-8", "surrogatepass")
                idx[j] = cache[tok] = zlib.crc32(raw) & _MASK
        # every None in idx was replaced above
        return tuple(idx)  # type: ignore[arg-type]

    def vectorize(self, text: str) -> FeatureVector:
        """Return the hashed feature vector of ``text`` (bounded work whatever its length)."""
        tokens, sig = scan(text)
        return _new_vector(FeatureVector, (self._index(tokens), dense_features(sig), sig))

    # -- scoring ------------------------------------------------------------------------------
    def score(self, vec: FeatureVector) -> float:
        """Return the raw tier-scale score (about 0 = trivial .. 4 = expert)."""
        return self._score(vec)[0]

    def _score(self, vec: FeatureVector) -> Tuple[float, float, float]:
        """Return (score, top-tier share of the prompt's outcome evidence (0.5 without), score
        without outcome evidence)."""
        idx = vec.indices
        s = self._bias
        share = 0.5
        learned = 0.0
        if idx:
            n = len(idx)
            pick = _getter(idx)  # one C call gathers every bucket's value
            s += sum(pick(self._w)) / math.sqrt(n)
            if self._n_evidence:
                seen = sum(pick(self._seen))
                if seen:
                    # Mean over buckets with evidence only: unseen words must not dilute the known ones.
                    learned = self._strength * sum(pick(self._wc)) / seen
                    share += sum(pick(self._tev)) / n
                x = 8.0 * vec.dense[0] - _LENGTH_CENTRE
                learned += self._length_coef * x
                model = self._model
                if model is not None:
                    gain = model.gain(set(idx), x)
                    learned += self._model_scale * (gain - self.failure_prior + self.top_failure_prior)
        # sum() with a start adds left to right like ``for w, x in ...: s += w * x`` (bit for bit up to
        # 3.11; 3.12+ compensates float sums, as it already does for the sparse sum above).
        s = sum(map(mul, self._dense, vec.dense), s)
        return s + learned, share, s

    def classify(self, text: str) -> ClassificationResult:
        """Classify ``text`` (already validated with ``check_prompt``)."""
        return self.classify_vector(self.vectorize(text), text)

    def classify_vector(self, vec: FeatureVector, text: Optional[str] = None) -> ClassificationResult:
        """Classify a vector from ``vectorize``/``decode_vector``; ``text`` fills in missing signals."""
        sig = vec.signals
        if sig is None:
            sig = scan(text)[1] if text else {}
        s, share, unlearned = self._score(vec)
        t = self.temperature
        rank = (s > 0.5) + (s > 1.5) + (s > 2.5) + (s > 3.5)
        scored = rank
        if rank < 3:
            if share < self.top_evidence_floor:
                rank = 3
        elif share > self.cheap_evidence_ceiling and unlearned <= 2.5:
            rank = (unlearned > 0.5) + (unlearned > 1.5)
        # confidence = P(tier = rank) of the cumulative-logit model; only its two sigmoids are needed.
        upper = 1.0 if rank == 0 else _sigmoid((s - _THRESHOLDS[rank - 1]) / t)
        lower = _sigmoid((s - _THRESHOLDS[rank]) / t) if rank < 4 else 0.0
        result = _new_result(ClassificationResult)
        _set_state(result, "__dict__", {
            "tier": TIER_NAMES[rank], "confidence": round(upper - lower, 4),
            "signals": sig, "complexity": _complexity(s), "basis": "composite", "score": s,
            "_basis_numbers": (s, t, share, scored),
        })
        return result

    # -- learning -----------------------------------------------------------------------------
    def _apply(self, vec: FeatureVector, gradient: float, weight: float, target: float) -> LearnStep:
        """Add ``gradient`` along the prompt's features (fixed-point) and return the exact step."""
        n = len(vec.indices)
        lr = self.learning_rate * weight
        per_token = lr * gradient / math.sqrt(n) if n else 0.0
        counts = Counter(vec.indices)
        indices = tuple(sorted(counts))
        deltas = tuple(int(round(per_token * counts[i] / _UNIT)) for i in indices)
        dense_deltas = tuple(int(round(0.2 * lr * gradient * x / _UNIT)) for x in vec.dense)
        bias_delta = int(round(0.1 * lr * gradient / _UNIT))
        step = LearnStep(indices=indices, deltas=deltas, dense_deltas=dense_deltas, bias_delta=bias_delta,
                         target=target, weight=weight)
        self._add(step, 1)
        return step

    def _add(self, step: LearnStep, sign: int) -> None:
        corr, w, base = self._corr, self._w, self._base_weights
        for i, d in zip(step.indices, step.deltas):
            if not d:
                continue
            c = corr.get(i, 0) + sign * d
            if c:
                corr[i] = c
            else:
                del corr[i]
            # Recomputed from the integer sum (never accumulated in floating point) so undo is exact.
            w[i] = base.get(i, 0.0) + c * _UNIT
        if step.fail or step.ok or step.top_fail or step.top_ok:
            n = len(step.indices)
            tables = (self._fail, self._ok, self._top_fail, self._top_ok)
            columns = [c if c else (0,) * n for c in (step.fail, step.ok, step.top_fail, step.top_ok)]
            for k, i in enumerate(step.indices):
                values = []
                for table, column in zip(tables, columns):
                    value = table.get(i, 0) + sign * column[k]
                    if value:
                        table[i] = value
                    else:
                        table.pop(i, None)
                    values.append(value)
                self._refresh_bucket(i, *values)
            self._n_evidence = len(self._fail) + len(self._ok) + len(self._top_fail) + len(self._top_ok)
        if step.length:
            stats = self._length_stats
            for j, d in enumerate(step.length):
                stats[j] += sign * d
            scale = self._evidence_weight(stats[0] + stats[5] + self._legacy_outcomes)
            self._strength = self.outcome_strength * scale
            self._model_scale = self.model_strength * scale
            self._length_coef = self.length_strength * scale * (_slope(*stats[:5]) - _slope(*stats[5:]))
        for j, d in enumerate(step.dense_deltas):
            self._dense_corr[j] += sign * d
        self._bias_corr += sign * step.bias_delta
        self._refresh_dense()

    def _evidence_weight(self, tenths: int) -> float:
        """Return the weight of the learned terms after ``tenths / 10`` outcomes: n^2 / (n^2 + h^2).

        The learned gains and slopes are estimated from the outcomes, the base model from a labelled
        corpus; with a handful of outcomes the estimates are mostly noise, yet ``outcome_strength``
        makes them large next to the base score. The weight is 0.14 after 40 outcomes with the
        default half point h = 100, 0.5 after 100, 0.9 after 300 and 0.99 after 1,000, so early
        routing follows the base model and learning takes over once the evidence is there.
        ``evidence_half`` 0 disables it (weight 1). A pure function of an integer count: exact revert.
        """
        h = self.evidence_half
        if h <= 0.0:
            return 1.0
        n = tenths / 10.0
        return n * n / (n * n + h * h)

    def _refresh_bucket(self, i: int, nf: int, no: int, tf: int, to: int) -> None:
        """Recompute bucket ``i``'s cached values from its integer counts (a pure function: exact undo)."""
        cheap, top = nf + no, tf + to
        if not (cheap or top):
            self._wc[i], self._seen[i], self._tev[i] = 0.0, 0, 0.0
            return
        a = 10.0 * self.outcome_prior
        pw, ps = self.failure_prior, self.top_failure_prior
        # Shrunk failure rates of cheaper and of top-tier models; their difference is the top tier's gain.
        gain = (nf + a * pw) / (cheap + a) - pw - ((tf + a * ps) / (top + a) - ps)
        self._wc[i], self._seen[i] = gain, 1
        self._tev[i] = (top + 10.0) / (cheap + top + 20.0) - 0.5

    def learn_outcome(self, vec: FeatureVector, *, routed_tier: Union[Tier, str], model_max_tier: Union[Tier, str],
                      success: bool, quality: float) -> LearnStep:
        """Learn from the outcome of the model that answered; return the step for ``revert``.

        A cheaper model failing (``success`` False or quality below the floor) counts, for every
        feature bucket of the prompt, as evidence that similar prompts need a stronger model; its
        success, that they do not. A top-tier model's outcome says nothing about cheaper ones
        directly: it updates the top tier's own failure rate, and the score moves with the
        difference (the gain of going up), never with either rate alone.
        """
        step = self.outcome_step(vec, routed_tier=routed_tier, model_max_tier=model_max_tier,
                                 success=success, quality=quality)
        self.apply(step)
        return step

    def outcome_step(self, vec: FeatureVector, *, routed_tier: Union[Tier, str],
                     model_max_tier: Union[Tier, str], success: bool, quality: float) -> LearnStep:
        """Return the step ``learn_outcome`` would take, without applying it.

        The step depends only on the vector and the outcome, never on the learned state, so every
        process replaying the same outcome log applies the same steps and converges on one model.
        """
        Tier.parse(routed_tier, "routed_tier")
        top = Tier.parse(model_max_tier, "model_max_tier")
        failed = (not success) or float(quality) < self.quality_floor
        is_top = top.rank >= len(TIER_NAMES) - 1
        units = int(round(10 * (self.top_tier_weight if is_top else 1.0)))
        if not units or not vec.indices:
            return LearnStep()
        # One observation per distinct bucket: a word repeated in a prompt is not repeated evidence.
        indices = tuple(sorted(set(vec.indices)))
        n = len(indices)
        hit, miss = (units,) * n, (0,) * n
        f, o = (hit, miss) if failed else (miss, hit)
        length: Tuple[int, ...] = ()
        if vec.dense:
            x = length_units(vec)
            y = units if failed else 0
            sums = (units, units * x, units * x * x, y, y * x)
            length = (0,) * 5 + sums if is_top else sums + (0,) * 5
        if is_top:
            return LearnStep(indices=indices, deltas=miss, top_fail=f, top_ok=o, length=length,
                             target=1.0 if failed else 0.0, weight=self.top_tier_weight)
        return LearnStep(indices=indices, deltas=miss, fail=f, ok=o, length=length,
                         target=1.0 if failed else 0.0, weight=1.0)

    def apply(self, step: LearnStep) -> None:
        """Apply a step from ``outcome_step`` (or one replayed from another process's log).

        An outcome step also joins the outcome model's window; when the window's schedule says a
        fit is due, the model is refitted here, synchronously: the fit is a pure function of the
        window's rows in order and is due at the same outcome count in every process replaying the
        same log, so processes agree on the model as they do on the counts (a fit of a full
        4,096-row window takes about half a second).
        """
        if not step.empty:
            self._add(step, 1)
            key = _row_key(step)
            if key is not None and self._window.add(key) and self.model_strength and self._window.rows:
                self._model = fit_outcome_model(self._window.decoded())

    def teach(self, text: str, tier: Union[Tier, str]) -> LearnStep:
        """Learn from a labelled example (antaris ``teach()``): move its score toward ``tier``."""
        return self.teach_vector(self.vectorize(text), tier)

    def teach_vector(self, vec: FeatureVector, tier: Union[Tier, str]) -> LearnStep:
        """``teach()`` for a prompt already vectorised (a replayed labelled example stores only its vector)."""
        rank = Tier.parse(tier).rank
        error = max(-2.0, min(2.0, rank - self.score(vec)))
        return self._apply(vec, error, 0.5, float(rank))

    def revert(self, vec: FeatureVector, step: LearnStep) -> None:
        """Undo exactly one step returned by ``learn_outcome``/``teach`` (``vec`` kept for the API).

        The outcome leaves the fitted model's window (if it is still in it) and the outcome count;
        the model itself changes at the next scheduled fit, so a revert right after the step that
        triggered a fit leaves that fit in place.
        """
        self._add(step, -1)
        key = _row_key(step)
        if key is not None:
            self._window.remove(key)

    # -- persistence --------------------------------------------------------------------------
    # Kept as static methods: the outcome log and callers of antaris's API use them on the class.
    encode_vector = staticmethod(encode_vector)
    decode_vector = staticmethod(decode_vector)

    def state_size(self) -> int:
        """Return the number of learned parameters held (at most 5 * 2**DIM_BITS + dense + bias + 10)."""
        return (len(self._corr) + len(self._fail) + len(self._ok) + len(self._top_fail) + len(self._top_ok)
                + len(self._dense_corr) + 1 + len(self._length_stats))

    def to_dict(self) -> Dict[str, Any]:
        """Return the learned state (not the base model, which ships with the package) as JSON data."""
        indices = sorted(self._corr)
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "antaris_like.TierClassifier",
            "dim_bits": DIM_BITS,
            "unit": _UNIT,
            "learning_rate": self.learning_rate,
            "top_tier_weight": self.top_tier_weight,
            "quality_floor": self.quality_floor,
            "outcome_strength": self.outcome_strength,
            "outcome_prior": self.outcome_prior,
            "failure_prior": self.failure_prior,
            "top_failure_prior": self.top_failure_prior,
            "top_evidence_floor": self.top_evidence_floor,
            "cheap_evidence_ceiling": self.cheap_evidence_ceiling,
            "length_strength": self.length_strength,
            "evidence_half": self.evidence_half,
            "length_stats": list(self._length_stats),
            "legacy_outcomes": self._legacy_outcomes,
            "model_strength": self.model_strength,
            "model_window": self.model_window,
            **self._window.to_dict(),
            "model": self._model.to_dict() if self._model is not None else None,
            **_table("top_fail", self._top_fail),
            **_table("top_ok", self._top_ok),
            **_table("fail", self._fail),
            **_table("ok", self._ok),
            "bias": self._bias_corr,
            "dense": list(self._dense_corr),
            "index": b64_array("i", indices),
            "value": b64_array("q", [self._corr[i] for i in indices]),
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> TierClassifier:
        """Rebuild a classifier (shipped base + learned state) from ``to_dict()`` output of any version.

        Raise ValueError naming what is wrong (checks and migrations: ``_classifier_state``).
        """
        defaults = cls()
        saved = read_state(data, {name: getattr(defaults, name) for name in _OPTIONS})
        try:
            clf = cls.load_base(**saved.options)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"classifier state is malformed: {exc}") from exc
        indices, values = saved.corrections
        nf, no, tf, to = saved.counts
        clf._legacy_outcomes = saved.legacy_outcomes
        clf._add(LearnStep(indices, values, saved.dense, saved.bias), 1)
        clf._add(LearnStep(saved.buckets, (0,) * len(saved.buckets), (0,) * len(saved.dense), 0, fail=nf,
                           ok=no, top_fail=tf, top_ok=to, length=saved.length_stats), 1)
        try:
            clf._window.load(data)
            model = data.get("model")
            clf._model = OutcomeModel.from_dict(model) if model is not None else None
        except (AttributeError, TypeError, ValueError, OverflowError) as exc:  # binascii.Error is a ValueError
            raise ValueError(f"classifier state is malformed: {exc}") from exc
        return clf
