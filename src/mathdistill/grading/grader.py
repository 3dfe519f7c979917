"""`grade(response, gold)`: extract, then compare; one small record per sample."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from mathdistill.grading.boxed import last_boxed
from mathdistill.grading.compare import is_equivalent
from mathdistill.grading.extract import extract_answer
from mathdistill.grading.normalize import unbox_letter
from mathdistill.grading.numeric import PERCENT_MODES

# Bump on any change that can flip a verdict; it is recorded in every results file (`grader_id`).
# 1.3: decimal tolerance and repeating decimals, 12/24-hour times, prose / unfinished responses,
#      GSM8K run-ons and conversion asides, \mathbb{R}, \langle\rangle, `3 < x`, \mathrm units, percent flag.
GRADER_VERSION = "mathdistill-grader/1.3"
DEFAULT_PERCENT = "either"


def grader_id(percent: str = DEFAULT_PERCENT) -> str:
    """The version string to record: GRADER_VERSION, plus the percent convention when not the default,
    so results graded under different conventions never look alike."""
    if percent not in PERCENT_MODES:
        raise ValueError(f"percent must be one of {PERCENT_MODES}, got {percent!r}")
    return GRADER_VERSION if percent == DEFAULT_PERCENT else f"{GRADER_VERSION}+percent={percent}"

TRUNCATED_REASONS = frozenset({"length", "abort"})


@dataclass(frozen=True)
class Grade:
    correct: bool
    pred: str | None
    rule: str
    error: str | None = None  # "truncated" | "extract_failed" | "timeout" | "exception: ..." | None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def extract_failed(self) -> bool:
        return self.pred is None


def reference_answer(solution: str) -> str | None:
    """The final answer written in a reference solution, or None when it marks none.

    The one rule for every reader of gold answers (dataset loaders, imports, the grader): the last
    \\boxed{} (MATH; an empty box gives "", an erratum the caller decides on), else the text after
    the last `####` (GSM8K) with thousands commas dropped."""
    if "\\boxed" in solution or "\\fbox" in solution:
        b = last_boxed(solution)
        if b is not None:
            return b
    if "####" in solution:
        return solution.rsplit("####", 1)[1].strip().replace(",", "") or None
    return None


def gold_answer(gold: str) -> str:
    """A gold that is a whole reference solution is reduced to the answer it marks."""
    ref = reference_answer(gold)
    return gold if ref is None else ref


def grade(response: str, gold: str, *, finish_reason: str | None = None, percent: str = DEFAULT_PERCENT) -> Grade:
    """Grade one response against a gold final answer (truncated responses are never correct);
    `percent` is the convention for a literal `%` (see `is_equivalent`)."""
    gold = gold_answer(str(gold))
    ex = extract_answer(response or "", gold)
    if finish_reason in TRUNCATED_REASONS:
        return Grade(False, ex.answer, ex.rule, "truncated")
    if ex.answer is None:
        return Grade(False, None, ex.rule, "extract_failed")
    gl = unbox_letter(gold) if len(gold) <= 12 else None
    if gl is not None:  # multiple choice: letters decide (`\text{(C)}` vs `C`)
        pl = unbox_letter(ex.answer)
        if pl is not None:
            return Grade(gl == pl, ex.answer, ex.rule, None)
    try:
        ok = is_equivalent(ex.answer, gold, percent=percent)
    except RecursionError:
        return Grade(False, ex.answer, ex.rule, "exception: RecursionError")
    return Grade(bool(ok), ex.answer, ex.rule, None)
