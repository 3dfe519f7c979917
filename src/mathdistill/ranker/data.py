"""Ranker groups (curation's `ranker_rows`): strict reading, train/validation split, seeded draws."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mathdistill.errors import DataError


@dataclass
class RankerGroup:
    problem_id: str
    question: str
    positives: list[str]
    negatives: list[str]


def _text_list(path: Path, lineno: int, d: dict, name: str) -> list[str]:
    if name not in d or d[name] is None:
        raise DataError(path, lineno, name, "missing required field")
    v = d[name]
    if not isinstance(v, list):
        raise DataError(path, lineno, name, f"expected a list of strings, got {type(v).__name__}")
    for i, x in enumerate(v):
        if not isinstance(x, str):
            raise DataError(path, lineno, f"{name}[{i}]", f"expected a string, got {type(x).__name__}")
    return v


def read_groups(paths: Sequence[str | Path]) -> tuple[list[RankerGroup], int]:
    """All usable groups of `paths` and how many were skipped (no positive or no negative)."""
    from mathdistill.io.jsonl import read_jsonl

    groups: list[RankerGroup] = []
    skipped = 0
    for path in map(Path, paths):
        n = 0
        for lineno, d in read_jsonl(path):
            n += 1
            q = d.get("question")
            if q is None:
                raise DataError(path, lineno, "question", "missing required field")
            if not isinstance(q, str) or not q.strip():
                raise DataError(path, lineno, "question", "expected a non-empty string")
            pos = _text_list(path, lineno, d, "positives")
            neg = _text_list(path, lineno, d, "negatives")
            if not pos or not neg:
                skipped += 1  # a step needs one of each; TDG skips these too
                continue
            pid = d.get("problem_id")
            groups.append(RankerGroup(f"{path.name}:{lineno}" if pid is None else str(pid), q, pos, neg))
        if n == 0:
            raise DataError(path, None, None, "empty file: no ranker groups")
    if not groups:
        raise DataError(", ".join(map(str, paths)), None, "positives/negatives",
                        "no group has both a positive and a negative (each ranker step needs one of each)")
    return groups, skipped


def n_validation(n_groups: int, val_questions: int) -> int:
    """TDG holds out 100 of ~7.5k questions; on a small set keep at most a fifth for validation."""
    return max(0, min(val_questions, n_groups // 5))


def split_groups(groups: list[RankerGroup], val_questions: int, seed: int) -> tuple[list[RankerGroup],
                                                                                       list[RankerGroup]]:
    """Seeded shuffle, then the last questions are held out (as TDG's data_pro.py)."""
    order = list(groups)
    random.Random(seed).shuffle(order)
    k = n_validation(len(order), val_questions)
    return (order[:len(order) - k], order[len(order) - k:]) if k else (order, [])


def epoch_draws(groups: Sequence[RankerGroup], epoch: int, seed: int) -> list[tuple[RankerGroup, str, str]]:
    """This epoch's question order and its one (positive, negative) draw per question.

    A function of (seed, epoch) only, so a run resumed at an epoch boundary sees the same steps.
    """
    rng = random.Random(f"{seed}:{epoch}")
    order = list(groups)
    rng.shuffle(order)
    return [(g, rng.choice(g.positives), rng.choice(g.negatives)) for g in order]


def pairwise_accuracy(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Share of (positive, negative) pairs with s+ > s- (a tie counts as wrong)."""
    if not pos or not neg:
        raise ValueError("pairwise accuracy needs at least one positive and one negative score")
    return sum(p > n for p in pos for n in neg) / (len(pos) * len(neg))
