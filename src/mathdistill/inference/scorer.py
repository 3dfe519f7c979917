"""Sample scorers for ASC-weighted voting, and how `--ranker PATH` is resolved.

A *scorer* is any callable `(question, response) -> float in (0, 1)` (TDG's ranker
f(q, r)). Evaluation talks to a `SampleScorer`, which scores all samples of one problem
at once and may return None for a sample it cannot score (the vote then uses the mean of
the problem's other scores). Two are built in:

- `ScoresFile`: precomputed scores, JSONL lines `{problem_id, sample_idx, score}`;
- `CallableScorer`: wraps a plain `(question, response) -> float` callable.

`load_scorer(spec, loaders=...)` tries the caller's `loaders` first, then `SCORER_LOADERS` in
order; the first loader whose `matches(spec)` is true builds the scorer. Higher stages hand
their loaders in (eval passes the trained ranker's), so this module imports no stage.
Third-party packages add theirs through entry points in the group "mathdistill.scorers" (each a
zero-argument callable that calls `register_scorer_loader`), loaded on first use.
`module.path:attr` specs import a callable (or a factory returning one).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from mathdistill.errors import DataError, MathdistillError
from mathdistill.records import Problem, Sample

Scorer = Callable[[str, str], float]


@runtime_checkable
class SampleScorer(Protocol):
    name: str

    def score(self, problem: Problem, samples: Sequence[Sample]) -> list[float | None]: ...


def _check_score(v: object, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(float(v)):
        raise MathdistillError(f"{where}: score must be a number, got {v!r}")
    return float(v)


class ScoresFile:
    """Scores read from JSONL `{problem_id, sample_idx, score}` (extra fields ignored)."""

    def __init__(self, path: str | Path):
        from mathdistill.io.jsonl import read_jsonl

        self.path = Path(path)
        self.name = f"scores:{self.path}"
        self.scores: dict[tuple[str, int], float] = {}
        for lineno, d in read_jsonl(self.path):
            for f in ("problem_id", "sample_idx", "score"):
                if d.get(f) is None:
                    raise DataError(self.path, lineno, f, "missing required field")
            if isinstance(d["sample_idx"], bool) or not isinstance(d["sample_idx"], int):
                raise DataError(self.path, lineno, "sample_idx", f"expected an integer, got {d['sample_idx']!r}")
            s = d["score"]
            if isinstance(s, bool) or not isinstance(s, int | float) or math.isnan(float(s)):
                raise DataError(self.path, lineno, "score", f"expected a number, got {s!r}")
            self.scores[(str(d["problem_id"]), d["sample_idx"])] = float(s)

    def score(self, problem: Problem, samples: Sequence[Sample]) -> list[float | None]:
        return [self.scores.get((s.problem_id, s.sample_idx)) for s in samples]

    def coverage(self, samples: Sequence[Sample]) -> float:
        if not samples:
            return 0.0
        return sum((s.problem_id, s.sample_idx) in self.scores for s in samples) / len(samples)


@dataclass
class CallableScorer:
    """Adapts `f(question, response) -> float` to the SampleScorer interface."""

    fn: Scorer
    name: str = "callable"

    def score(self, problem: Problem, samples: Sequence[Sample]) -> list[float | None]:
        return [_check_score(self.fn(problem.question, s.response), self.name) for s in samples]


@dataclass(frozen=True)
class ScorerLoader:
    name: str
    matches: Callable[[str], bool]
    load: Callable[[str], SampleScorer]


def _is_scores_file(spec: str) -> bool:
    p = Path(spec)
    return p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz", ".json"))


def _is_import_path(spec: str) -> bool:
    mod, _, attr = spec.partition(":")
    return bool(attr) and not Path(spec).exists() and all(part.isidentifier() for part in mod.split("."))


def _load_import_path(spec: str) -> SampleScorer:
    mod, _, attr = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as e:
        raise MathdistillError(f"cannot import scorer '{spec}': {e}") from None
    if isinstance(obj, type):
        obj = obj()
    if isinstance(obj, SampleScorer):
        return obj
    if callable(obj):
        return CallableScorer(obj, name=spec)
    raise MathdistillError(f"'{spec}' is neither a scorer nor a callable (question, response) -> float")


SCORER_LOADERS: list[ScorerLoader] = [
    ScorerLoader("scores-file", _is_scores_file, ScoresFile),
    ScorerLoader("import", _is_import_path, _load_import_path),
]


def register_scorer_loader(loader: ScorerLoader, *, first: bool = True) -> None:
    """Add a way to turn `--ranker SPEC` into a scorer (e.g. a trained ranker directory)."""
    SCORER_LOADERS[:] = [x for x in SCORER_LOADERS if x.name != loader.name]
    SCORER_LOADERS.insert(0 if first else len(SCORER_LOADERS), loader)


_plugins_loaded = False


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group="mathdistill.scorers"):
        ep.load()()


def load_scorer(spec: str | Scorer | SampleScorer, loaders: Sequence[ScorerLoader] = ()) -> SampleScorer:
    """The scorer for `spec`; `loaders` (e.g. the trained ranker's) are tried before the built-in ones."""
    if isinstance(spec, SampleScorer):
        return spec
    if callable(spec):
        return CallableScorer(spec)
    _load_plugins()
    candidates = [*loaders, *SCORER_LOADERS]
    for loader in candidates:
        if loader.matches(spec):
            return loader.load(spec)
    known = ", ".join(x.name for x in candidates)
    if not Path(spec).exists():
        raise MathdistillError(f"--ranker {spec}: no such file or directory")
    raise MathdistillError(f"--ranker {spec}: not a scores file or a known ranker (loaders: {known})")
