"""antaris-router's remaining public names, built on this package's own pieces.

``SemanticClassifier`` and ``TaskClassifier`` wrap the TierClassifier,
``TFIDFVectorizer`` exposes the hashed feature space, and ``Config`` /
``QualityDecision`` are the plain records antaris exports.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from .classifier import ClassificationResult, TierClassifier
from .learning import SNAPSHOT_FILE, SNAPSHOT_SCHEMA_VERSION
from .sla import SLAConfig
from .text import check_prompt
from .tiers import Tier
from .workspace import Workspace

logger = logging.getLogger(__name__)

__all__ = ["Config", "QualityDecision", "SemanticClassifier", "SemanticResult", "TFIDFVectorizer", "TaskClassifier"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class SemanticResult(ClassificationResult):
    """What SemanticClassifier.classify() returns (a ClassificationResult)."""


def _semantic(result: ClassificationResult) -> SemanticResult:
    return SemanticResult(**{name: getattr(result, name) for name in result.__dataclass_fields__})


class TaskClassifier:
    """The shipped base classifier, without learning: structural signals plus hashed TF-IDF weights."""

    def __init__(self) -> None:
        self.tier_classifier = TierClassifier.load_base()

    def classify(self, prompt: str) -> ClassificationResult:
        """Return the tier, confidence, complexity and signals of ``prompt``."""
        return self.tier_classifier.classify(check_prompt(prompt))


class SemanticClassifier:
    """A learning classifier persisted in ``workspace`` (inject it with ``Router(classifier=...)``).

    A Router given this classifier and no workspace of its own uses this one,
    so outcomes reported to that router are durable here and teach this model.
    """

    def __init__(self, workspace: PathLike) -> None:
        if not isinstance(workspace, (str, os.PathLike)):
            raise TypeError("SemanticClassifier needs a workspace folder path")
        self.workspace = Workspace(workspace)
        data = self.workspace.read_json(SNAPSHOT_FILE, schema_version=SNAPSHOT_SCHEMA_VERSION, default=None)
        learned: Optional[TierClassifier] = None
        applied = 0
        if data is not None and isinstance(data.get("classifier"), dict):
            try:
                learned = TierClassifier.from_dict(data["classifier"])
                applied = max(int(data.get("applied_seq", 0)), 0)
            except (TypeError, ValueError, OverflowError) as exc:  # moved aside, never overwritten by save()
                learned, applied = None, 0
                moved = self.workspace.move_aside(SNAPSHOT_FILE)
                logger.warning("classifier snapshot %s is unusable (%s); moved to %s, starting from the base model",
                               SNAPSHOT_FILE, exc, moved)
        self._applied_seq = applied
        self.tier_classifier = learned or TierClassifier.load_base()

    def classify(self, prompt: str) -> SemanticResult:
        """Return the tier, calibrated confidence and complexity of ``prompt``."""
        return _semantic(self.tier_classifier.classify(check_prompt(prompt)))

    def teach(self, prompt: str, tier: str) -> None:
        """Learn that ``prompt`` belongs to ``tier``, and persist the model."""
        self.tier_classifier.teach(check_prompt(prompt), Tier.parse(tier))
        self.save()

    def save(self) -> None:
        """Write the learned model to the workspace atomically."""
        self.workspace.write_json(SNAPSHOT_FILE, {
            "schema_version": SNAPSHOT_SCHEMA_VERSION,
            "applied_seq": self._applied_seq,
            "classifier": self.tier_classifier.to_dict(),
        })


class TFIDFVectorizer:
    """TF-IDF over the classifier's hashed feature space (fixed size, stable across processes).

    ``fit`` counts document frequencies per hashed bucket; ``transform`` returns
    a sparse L2-normalised {bucket: weight} dict with sublinear term frequency.
    """

    def __init__(self) -> None:
        self._classifier = TierClassifier.load_base()
        self._df: Counter = Counter()
        self.n_documents = 0

    def fit(self, documents: Iterable[str]) -> TFIDFVectorizer:
        """Count in how many documents each feature bucket occurs."""
        for doc in documents:
            self._df.update(set(self._classifier.vectorize(check_prompt(doc)).indices))
            self.n_documents += 1
        return self

    def transform(self, document: str) -> Dict[int, float]:
        """Return the TF-IDF vector of ``document`` as {bucket: weight}, L2-normalised."""
        counts = Counter(self._classifier.vectorize(check_prompt(document)).indices)
        n = self.n_documents
        weights = {
            i: (1.0 + math.log(c)) * (math.log((1 + n) / (1 + self._df.get(i, 0))) + 1.0)
            for i, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {i: w / norm for i, w in weights.items()}

    def fit_transform(self, documents: Sequence[str]) -> List[Dict[int, float]]:
        """Fit on ``documents`` and return their vectors."""
        self.fit(documents)
        return [self.transform(d) for d in documents]

    @staticmethod
    def similarity(a: Dict[int, float], b: Dict[int, float]) -> float:
        """Cosine similarity of two vectors from ``transform``."""
        if len(a) > len(b):
            a, b = b, a
        return sum(w * b.get(i, 0.0) for i, w in a.items())


@dataclass(frozen=True)
class QualityDecision:
    """One outcome as reported: which decision, which model, how it went."""

    prompt_hash: str
    model: str
    tier: str
    quality_score: float
    success: bool
    timestamp: float = field(default_factory=time.time)

    def to_dict(self) -> Dict[str, Any]:
        """Return the record as a dict."""
        return asdict(self)


@dataclass(frozen=True)
class Config:
    """Router settings as one record: ``Router(**config.router_options())``."""

    config_path: Optional[str] = None
    enable_cost_tracking: bool = True
    low_confidence_threshold: float = 0.0
    escalation_model: Optional[str] = None
    escalation_strategy: str = "always"
    sla: Optional[SLAConfig] = None
    fallback_chain: Sequence[str] = ()
    workspace: Optional[str] = None
    exploration_rate: float = 0.0

    def router_options(self) -> Dict[str, Any]:
        """Return the keyword arguments for ``Router``."""
        options = {k: getattr(self, k) for k in self.__dataclass_fields__}
        options["fallback_chain"] = list(self.fallback_chain)
        return options
