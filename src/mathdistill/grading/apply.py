"""The one grade-and-write-back step: every stage that grades records goes through here.

`grade_items` picks the way to grade a batch (an open pool reused across batches, a fresh pool,
or this process under the per-item alarm); `grade_samples` writes the verdicts into `Sample`
records; `write_grade` into a plain JSONL row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mathdistill.grading.grader import DEFAULT_PERCENT, Grade
from mathdistill.grading.pool import GradingPool, grade_many
from mathdistill.records import Sample

Item = tuple[str, str, str | None]  # (response, gold, finish_reason)


def grade_items(items: Sequence[Item], *, pool: GradingPool | None = None, workers: int = 1,
                timeout_s: float = 5.0, percent: str = DEFAULT_PERCENT, chunksize: int = 16) -> list[Grade]:
    if pool is not None:
        return pool.map(items, chunksize)
    return grade_many(items, workers=workers, timeout_s=timeout_s, percent=percent)


def grade_samples(samples: Sequence[Sample], **kw: Any) -> list[Grade]:
    """Fill pred / correct / rule / error of every sample in place; `kw` as for `grade_items`."""
    grades = grade_items([(s.response, s.answer or "", s.finish_reason) for s in samples], **kw)
    for s, g in zip(samples, grades, strict=True):
        s.pred, s.correct, s.rule, s.error = g.pred, bool(g.correct), g.rule, g.error
    return grades


def write_grade(row: dict[str, Any], g: Grade) -> None:
    row.update(pred=g.pred, correct=bool(g.correct), rule=g.rule, error=g.error)
