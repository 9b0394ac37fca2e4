"""Offline training of a router's classifier from logged JSONL rows.

Two row kinds, one JSON object per line (blank lines skipped):

* outcome rows ``{"prompt", "model", "success", "quality"}``: the outcome of ``model`` (a name in the
  router's registry, whose tier range says whether it is a top-tier model) on ``prompt``; learned as
  ``report_outcome()`` would, without a stored decision;
* labelled rows ``{"prompt", "tier"}``: antaris ``teach()`` examples.

The learned state is persisted as a classifier snapshot in the workspace (``Learner.checkpoint``).
The CLI verb is registered by ``add_train_command(subparsers)`` (called from ``cli.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Dict, Optional, TextIO, Tuple

from .errors import ConfigurationError
from .text import check_prompt
from .tiers import Tier

__all__ = ["TrainingReport", "TrainingDataError", "add_train_command", "train_from_jsonl"]


class TrainingDataError(ConfigurationError):
    """A training file row is unusable; the message names the file and line (``.path``, ``.line``).

    A ConfigurationError (so an AntarisError and a ValueError): the file is user input like a registry.
    """

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{path}, line {line}: {problem}")


@dataclass(frozen=True)
class TrainingReport:
    """What ``train_from_jsonl`` learned."""

    path: str
    outcomes: int
    labelled: int
    skipped_blank: int

    def to_dict(self) -> Dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"path": self.path, "outcomes": self.outcomes, "labelled": self.labelled,
                "skipped_blank": self.skipped_blank}


def _parse_row(path: str, number: int, line: str, known: Any) -> Tuple[str, str, Any]:
    """Return ("outcome", prompt, (model, success, quality)) or ("label", prompt, tier)."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TrainingDataError(path, number, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:  # json's decoder recurses once per nesting level
        raise TrainingDataError(path, number, "JSON nested too deeply to parse") from None
    except ValueError as exc:  # e.g. an integer literal over Python's 4,300-digit conversion limit
        raise TrainingDataError(path, number, f"not usable JSON ({exc})") from None
    if not isinstance(row, dict):
        raise TrainingDataError(path, number, f"expected a JSON object, got {type(row).__name__}")
    try:
        prompt = check_prompt(row.get("prompt"), what="'prompt'")
    except (TypeError, ValueError) as exc:
        raise TrainingDataError(path, number, str(exc)) from None
    if "tier" in row and "model" not in row:
        try:
            return "label", prompt, Tier.parse(row["tier"], what="'tier'")
        except (TypeError, ValueError) as exc:
            raise TrainingDataError(path, number, str(exc)) from None
    if "model" not in row:
        raise TrainingDataError(path, number, "needs either 'tier' (labelled row) or 'model', 'success' "
                                              "and 'quality' (outcome row)")
    model = row["model"]
    if not isinstance(model, str) or model not in known:
        raise TrainingDataError(path, number, f"unknown model {model!r}: register it in the router's registry "
                                              "(--registry FILE) or fix the name")
    success = row.get("success")
    if not isinstance(success, bool):
        raise TrainingDataError(path, number, f"'success' must be true or false, got {success!r}")
    quality = row.get("quality", 1.0 if success else 0.0)
    if isinstance(quality, bool) or not isinstance(quality, (int, float)) or not 0.0 <= quality <= 1.0:
        # (a NaN fails the range test; an int too large for a float compares exactly and fails it too)
        raise TrainingDataError(path, number, f"'quality' must be a number in [0, 1], got {quality!r:.60}")
    return "outcome", prompt, (model, success, float(quality))


def train_from_jsonl(router_or_workspace: Any, path: str, *, registry: Optional[str] = None) -> TrainingReport:
    """Fit the classifier of a router (or of the router opened on a workspace folder) from ``path``.

    The whole file is validated before anything is learned, so a bad row changes nothing and
    raises ``TrainingDataError`` naming its line. The result is checkpointed into the workspace.
    """
    from .router import Router  # deferred: router imports most of the package

    # An int would be taken by open() as a file descriptor (and closed afterwards), e.g. the router's database.
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}")
    own = not hasattr(router_or_workspace, "learner")
    router = Router(workspace=router_or_workspace, config_path=registry) if own else router_or_workspace
    try:
        known = {m.name: m for m in router.registry}
        rows = []
        blank = 0
        try:
            # utf-8-sig: a leading BOM (as the registry reader allows); surrogateescape: a bad byte is
            # reported with its line below instead of ending the loop with a bare UnicodeDecodeError.
            fh = open(path, encoding="utf-8-sig", errors="surrogateescape")
        except OSError as exc:
            raise ConfigurationError(f"cannot read training file {path}: {exc}") from exc
        with fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    blank += 1
                    continue
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise TrainingDataError(path, number, f"not UTF-8 text (bad byte at column {exc.start + 1}); "
                                                          "save the file as UTF-8") from None
                rows.append(_parse_row(path, number, line, known))
        learner = router.learner
        events = []
        outcomes = labelled = 0
        for kind, prompt, value in rows:
            if kind == "label":
                events.append(learner.teaching_row(prompt, value))
                labelled += 1
                continue
            model, success, quality = value
            info = known[model]
            events.append(learner.outcome_row(prompt, model, info.min_tier, info.max_tier, success, quality))
            outcomes += 1
        # Through the outcome log, in file order: durable in one transaction, and learned by every
        # router sharing the workspace (a snapshot written straight from here would be overwritten
        # by the next checkpoint of a router that never saw these rows).
        learner.learn_rows(events)
        learner.checkpoint()
        return TrainingReport(path=path, outcomes=outcomes, labelled=labelled, skipped_blank=blank)
    finally:
        if own:
            router.close()


def _train_command(args: argparse.Namespace, out: Optional[TextIO] = None, inp: Any = None) -> int:
    out = out if out is not None else sys.stdout
    try:
        report = train_from_jsonl(args.workspace, args.file, registry=args.registry)
    except (TrainingDataError, ConfigurationError, OSError) as exc:
        print(f"antaris-like: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict()), file=out)
    else:
        print(f"trained from {report.path}: {report.outcomes} outcome rows, {report.labelled} labelled rows "
              f"-> workspace {args.workspace}", file=out)
    return 0


# Where `train` writes when given no --workspace; `route` and `explain` read it when it exists in the
# current folder, so `train FILE.jsonl` followed by `route "..."` uses what was trained.
DEFAULT_WORKSPACE = ".antaris_like"


def add_train_command(subparsers: Any) -> None:
    """Add ``train FILE.jsonl [--workspace DIR] [--registry FILE] [--json]`` to a CLI's subparsers.

    Its handler follows cli.py's convention: ``handler(args, stdout, stdin) -> exit code``.
    """
    parser = subparsers.add_parser("train", help="fit the classifier from logged outcome or labelled JSONL rows")
    parser.add_argument("file", help="JSONL: {prompt, model, success, quality} or {prompt, tier} per line")
    parser.add_argument("--workspace", default=DEFAULT_WORKSPACE,
                        help="workspace folder to train (default %(default)s, which route and explain "
                             "then use when run from the same folder)")
    parser.add_argument("--registry", default=None, help="registry JSON naming the models of outcome rows")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=_train_command, func=_train_command)
