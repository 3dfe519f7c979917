"""Extraction rules report which rule fired; grade() marks truncation and failed extraction."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mathdistill.grading import GRADER_VERSION, Grade, extract_answer, grade
from mathdistill.grading.extract import WEAK_RULES


@pytest.mark.parametrize("text,gold,answer,rule", [
    ("so $\\boxed{\\frac{1}{2}}$.", None, "\\frac{1}{2}", "boxed"),
    ("nested \\boxed{\\frac{a}{\\sqrt{b}}} ok", None, "\\frac{a}{\\sqrt{b}}", "boxed"),
    ("brace-less \\boxed 5 done", None, "5", "boxed"),
    ("\\fbox{7}", None, "7", "boxed"),
    ("work\n#### 1,000", None, "1,000", "gsm8k"),
    ("The final answer is $x = 3$. I hope it is correct.", None, "x = 3", "answer_is"),
    ("Thus the answer is 3.5.", None, "3.5", "answer_is"),
    ("**Answer:** 17", None, "17", "answer_colon"),
    ("# Answer\n\n42", None, "42", "answer_colon"),
    ("Clearly (A) is wrong but (C) holds.", "C", "C", "choice"),
    ("Thus, $h = -\\frac{3}{2}$.", "-\\frac32", "-\\frac{3}{2}", "last_math"),
    ("so 7 apples in all", "7", "7", "last_number"),
    ("so 7 apples in all", None, "7", "last_number"),
    ("no digits at all", "\\frac{1}{2}", None, "none"),
    ("so 7 apples in all", "\\frac{1}{2}", None, "none"),
    ("", "5", None, "none"),
])
def test_rules(text, gold, answer, rule):
    ex = extract_answer(text, gold)
    assert (ex.answer, ex.rule) == (answer, rule)


def test_weak_rules_are_marked():
    assert WEAK_RULES == {"statement", "last_math", "last_number"}


def test_truncated_is_incorrect_but_keeps_pred():
    for reason in ("length", "abort"):
        g = grade("The answer is $\\boxed{5}$", "5", finish_reason=reason)
        assert g == Grade(False, "5", "boxed", "truncated")
    assert grade("The answer is $\\boxed{5}$", "5", finish_reason="stop").correct


def test_extract_failure_and_to_dict():
    g = grade("I do not know.", "\\frac{1}{2}")
    assert g.to_dict() == {"correct": False, "pred": None, "rule": "none", "error": "extract_failed"}
    assert g.extract_failed


def test_gold_may_be_a_reference_solution():
    assert grade("\\boxed{4}", "Since $2+2=4$, the answer is $\\boxed{4}$.").correct


def test_grader_version_and_lazy_sympy():
    assert GRADER_VERSION.startswith("mathdistill-grader/")
    code = ("import sys, mathdistill.grading as g; g.grade('\\\\boxed{1,000}', '1000'); "
            "g.grade('\\\\boxed{\\\\frac{1}{2}}', '0.5'); print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", "the fast path must not import sympy"
