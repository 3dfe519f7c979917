"""`grade(response, gold)`: extract, then compare; one small record per sample."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from mathdistill.grading.boxed import boxed_spans, final_box_parts
from mathdistill.grading.compare import DEFAULT_TIMEOUT_S, equivalent_or_timeout
from mathdistill.grading.deadline import GradingTimeout, time_limit
from mathdistill.grading.extract import MODES, distinct_answers, extract_answer
from mathdistill.grading.normalize import answer_letter, letter_gold
from mathdistill.grading.numeric import PERCENT_MODES

# Bump on any change that can flip a verdict; it is recorded in every results file (`grader_id`).
# 1.3: decimal tolerance and repeating decimals, 12/24-hour times, prose / unfinished responses,
#      GSM8K run-ons and conversion asides, \mathbb{R}, \langle\rangle, `3 < x`, \mathrm units, percent flag.
# 2.0: answer modes (a bare answer is taken whole), choice letters (option text, known choices), relations
#      (ASCII, linear, chains, `or`, `\ne`), several boxes, `;` lists, digit grouping, equation golds,
#      chat-turn / `</think>` / unclosed-box / later-marker extraction, other-language markers, float and
#      scientific tolerance, degrees in trig, `\approx`, time bound in process (docs/grading.md).
GRADER_VERSION = "mathdistill-grader/2.0"
DEFAULT_PERCENT = "either"
DEFAULT_MODE = "auto"


def grader_id(percent: str = DEFAULT_PERCENT, mode: str = DEFAULT_MODE) -> str:
    """The version string to record: GRADER_VERSION, plus the percent convention and the answer mode when
    not the default, so results graded under different conventions never look alike."""
    if percent not in PERCENT_MODES:
        raise ValueError(f"percent must be one of {PERCENT_MODES}, got {percent!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    out = GRADER_VERSION if percent == DEFAULT_PERCENT else f"{GRADER_VERSION}+percent={percent}"
    return out if mode == DEFAULT_MODE else f"{out}+mode={mode}"

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
    \\boxed{} (MATH; an empty box gives "", an erratum the caller decides on; boxes joined only by
    "and" / "or" / commas, `x = \\boxed{2}` or `x = \\boxed{3}`, are one answer `2, 3`, and two forms
    of one value, `\\boxed{20:34}` or `\\boxed{8:34 p.m.}`, are that value), else the text
    after the last `####` (GSM8K) with thousands commas dropped."""
    if "\\boxed" in solution or "\\fbox" in solution:
        spans = boxed_spans(solution)
        if spans:
            if not spans[-1][2]:
                return ""
            return ", ".join(distinct_answers(final_box_parts(solution, spans)))
    if "####" in solution:
        return solution.rsplit("####", 1)[1].strip().replace(",", "") or None
    return None


def gold_answer(gold: str) -> str:
    """A gold that is a whole reference solution is reduced to the answer it marks."""
    ref = reference_answer(gold)
    return gold if ref is None else ref


def choice_map(choices) -> dict[str, str] | None:
    """Known options as letter -> text: a list (A, B, C, ... in order) or a mapping (`"(B)"` or `"b"` keys)."""
    if not choices:
        return None
    if isinstance(choices, dict):
        items = [(str(k).strip("() .:").upper(), v) for k, v in choices.items()]
    else:
        items = list(zip("ABCDEFGHIJ", choices))
    import re

    return {k: re.sub(r"^\s*\(?[A-J]\)?[.:)]\s+", "", str(v)).strip() for k, v in items if k}


def _compare(pred: str, gold: str, lg, ch: dict | None, percent: str, timeout_s) -> tuple[bool, bool]:
    """(correct, timed out): letters decide when both sides have one; an option text stands for its letter."""
    if lg is not None or ch:
        pl = answer_letter(pred) if len(pred) <= 200 else None
        if lg is not None:
            letter, text = lg
            if pl is not None:
                return pl == letter, False
            targets = [t for t in (text, (ch or {}).get(letter)) if t]
            for t in targets:
                ok, to = equivalent_or_timeout(pred, t, percent=percent, timeout_s=timeout_s)
                if ok or to:
                    return ok, to
            if targets:
                return False, False
        elif pl is not None and pl in ch:
            return equivalent_or_timeout(ch[pl], gold, percent=percent, timeout_s=timeout_s)
    return equivalent_or_timeout(pred, gold, percent=percent, timeout_s=timeout_s)


def grade(response: str, gold: str, *, finish_reason: str | None = None, percent: str = DEFAULT_PERCENT,
          mode: str = DEFAULT_MODE, choices=None, timeout_s: float | None = DEFAULT_TIMEOUT_S) -> Grade:
    """Grade one response against a gold final answer (truncated responses are never correct).

    `percent`: the convention for a literal `%` (see `is_equivalent`); `mode`: "auto" (a response, or a
    text that is only an answer), "response" or "answer" (the text is an extracted answer); `choices`:
    the options of a multiple-choice question (list in A, B, ... order, or letter -> text), so that an
    option text answers for its letter and a letter for its text; `timeout_s`: wall-clock bound in this
    process (main thread; grade_many's pool applies its own)."""
    gold = gold_answer(str(gold))
    ch = choice_map(choices)
    try:
        with time_limit(timeout_s):
            ex = extract_answer(response or "", gold, mode=mode, choices=ch)
    except GradingTimeout:
        return Grade(False, None, "none", "timeout")
    if finish_reason in TRUNCATED_REASONS:
        return Grade(False, ex.answer, ex.rule, "truncated")
    if ex.answer is None:
        return Grade(False, None, ex.rule, "extract_failed")
    lg = letter_gold(gold) if len(gold) <= 300 else None
    try:
        ok, timed_out = _compare(ex.answer, gold, lg, ch, percent, timeout_s)
    except RecursionError:
        return Grade(False, ex.answer, ex.rule, "exception: RecursionError")
    return Grade(bool(ok), ex.answer, ex.rule, "timeout" if timed_out else None)
