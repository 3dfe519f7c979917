"""The one grade-and-write-back step: every stage that grades records goes through here.

`grade_items` picks the way to grade a batch (an open pool reused across batches, a fresh pool,
or this process under the per-item alarm); `grade_samples` writes the verdicts into `Sample`
records; `write_grade` into a plain JSONL row. Every item is built by `sample_item` / `row_item`,
which hand the grader only the part of a response after its reasoning (`grading.reasoning`): an
unclosed reasoning is graded as truncated, never from inside the thinking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mathdistill.grading.grader import DEFAULT_MODE, DEFAULT_PERCENT, Grade
from mathdistill.grading.pool import GradingPool, grade_many
from mathdistill.grading.reasoning import grading_input
from mathdistill.records import Sample

# (response, gold, finish_reason), or a dict with those keys plus `choices` (multiple choice)
Item = tuple[str, str, str | None] | dict[str, Any]


def grade_items(items: Sequence[Item], *, pool: GradingPool | None = None, workers: int = 1,
                timeout_s: float = 5.0, percent: str = DEFAULT_PERCENT, mode: str = DEFAULT_MODE,
                chunksize: int = 16) -> list[Grade]:
    """Through `pool` when one is open (its percent and mode were fixed when it started), else a
    fresh pool of `workers`, else this process under the per-item alarm."""
    if pool is not None:
        return pool.map(items, chunksize)
    return grade_many(items, workers=workers, timeout_s=timeout_s, percent=percent, mode=mode)


def sample_item(s: Sample) -> Item:
    """What the grader reads of a sample: its answer part (see `reasoning.grading_input`)."""
    text, finish = grading_input(s.response, s.finish_reason, s.reasoning_closed)
    choices = s.meta.get("choices")
    if choices:  # an option's text answers for its letter (GPQA-style sets record their choices)
        return {"response": text, "answer": s.answer or "", "finish_reason": finish, "choices": choices}
    return (text, s.answer or "", finish)


def row_item(row: dict[str, Any], gold: str, *, response_field: str = "response",
             finish_field: str = "finish_reason") -> Item:
    """`sample_item` for a plain JSONL row (`mathdistill grade`, `--regrade`): a row that records
    `reasoning_closed` was split when it was made, any other is split here."""
    closed = row.get("reasoning_closed")
    text, finish = grading_input(row[response_field], row.get(finish_field),
                                 closed if isinstance(closed, bool) else None)
    return (text, gold, finish)


def grade_samples(samples: Sequence[Sample], **kw: Any) -> list[Grade]:
    """Fill pred / correct / rule / error of every sample in place; `kw` as for `grade_items`."""
    grades = grade_items([sample_item(s) for s in samples], **kw)
    for s, g in zip(samples, grades, strict=True):
        s.pred, s.correct, s.rule, s.error = g.pred, bool(g.correct), g.rule, g.error
    return grades


def write_grade(row: dict[str, Any], g: Grade) -> None:
    row.update(pred=g.pred, correct=bool(g.correct), rule=g.rule, error=g.error)
