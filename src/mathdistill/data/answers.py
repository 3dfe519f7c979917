"""Gold final-answer extraction from the reference formats of each dataset."""

from __future__ import annotations

import re

from mathdistill.grading.boxed import last_boxed

_GSM_RE = re.compile(r"####\s*(.+?)\s*$", re.DOTALL)


def gsm8k_gold(solution: str) -> str | None:
    """Text after the last '####', stripped, thousands commas removed ('1,000' -> '1000')."""
    if "####" not in solution:
        return None
    tail = solution.rsplit("####", 1)[1].strip()
    return tail.replace(",", "") or None


def math_gold(solution: str) -> str | None:
    """Content of the last \\boxed{} (nested braces, `\\boxed 2`), or None."""
    return last_boxed(solution)


def strip_calculator_annotations(solution: str) -> str:
    """Remove GSM8K calculator annotations like <<16-3-4=9>>."""
    return re.sub(r"<<[^>]*>>", "", solution)


def gsm8k_solution_to_cot(solution: str) -> str:
    """A GSM8K reference solution as a 'The answer is N.' chain of thought (for exemplars)."""
    body, _, _ = solution.rpartition("####")
    gold = gsm8k_gold(solution)
    return strip_calculator_annotations(body).strip() + f"\nThe answer is {gold}."
