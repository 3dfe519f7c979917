"""Reference solutions as exemplars (the gold answer rule itself is `grading.reference_answer`)."""

from __future__ import annotations

import re

from mathdistill.grading.grader import reference_answer


def strip_calculator_annotations(solution: str) -> str:
    """Remove GSM8K calculator annotations like <<16-3-4=9>>."""
    return re.sub(r"<<[^>]*>>", "", solution)


def gsm8k_solution_to_cot(solution: str) -> str:
    """A GSM8K reference solution as a 'The answer is N.' chain of thought (for exemplars)."""
    body, _, _ = solution.rpartition("####")
    gold = reference_answer(solution)
    return strip_calculator_annotations(body).strip() + f"\nThe answer is {gold}."
