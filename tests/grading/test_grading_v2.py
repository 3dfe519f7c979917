"""Grading 2.0 (issue 18): the cases_v2.py table, answer modes, known choices, the in-process time bound,
golds with several boxes, and an unclosed box (issue 23)."""

from __future__ import annotations

import importlib.util
import signal
import time
from pathlib import Path

import pytest

from mathdistill.grading import (
    GRADER_VERSION,
    Grade,
    extract_answer,
    grade,
    grade_many,
    grader_id,
    is_equivalent,
)
from mathdistill.grading.grader import reference_answer

_spec = importlib.util.spec_from_file_location("grading_cases_v2", Path(__file__).with_name("cases_v2.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
CASES = _mod.CASES


def test_every_category_has_positives_and_near_misses():
    cats = {c["category"] for c in CASES}
    assert len(cats) >= 12
    for cat in cats:
        exp = [c["expected"] for c in CASES if c["category"] == cat]
        assert sum(exp) >= 2 and len(exp) - sum(exp) >= 2, cat


@pytest.mark.parametrize("case", CASES, ids=[f"{c['category']}-{i}" for i, c in enumerate(CASES)])
def test_v2_case(case):
    t0 = time.monotonic()
    if case["kind"] == "pred":
        assert is_equivalent(case["text"], case["gold"]) is case["expected"], case["note"]
        assert is_equivalent(case["gold"], case["text"]) is case["expected"], "symmetric"
    else:
        assert grade(case["text"], case["gold"], choices=case["choices"]).correct is case["expected"], case["note"]
    assert time.monotonic() - t0 < 3, "pathological inputs must be refused, not computed"


@pytest.mark.parametrize("text,gold,auto,response,answer", [
    ("\\frac{1}{2}", "0.5", True, False, True),  # a bare answer: whole in auto and answer modes
    ("x^2+2x+1", "(x+1)^2", True, False, True),
    ("Natalia sold 72 clips.", "72", True, True, False),  # a sentence is no extracted answer
    ("The answer is $\\boxed{4}$.", "4", True, True, True),  # an answer field may still hold a box
])
def test_modes(text, gold, auto, response, answer):
    for mode, want in (("auto", auto), ("response", response), ("answer", answer)):
        assert grade(text, gold, mode=mode).correct is want, mode
    assert extract_answer("\\frac{1}{2}", mode="answer").rule == "whole"
    with pytest.raises(ValueError):
        extract_answer("1", mode="bare")


def test_mode_is_recorded_and_reaches_pool_workers():
    assert grader_id(mode="answer") == f"{GRADER_VERSION}+mode=answer"
    assert grader_id("number", "response") == f"{GRADER_VERSION}+percent=number+mode=response"
    with pytest.raises(ValueError):
        grader_id(mode="bare")
    items = [("\\frac{1}{2}", "0.5"), ("Natalia sold 72 clips.", "72")] * 3
    for workers in (1, 2):
        assert [g.correct for g in grade_many(items, workers=workers, mode="answer")] == [True, False] * 3
        assert [g.correct for g in grade_many(items, workers=workers, mode="response")] == [False, True] * 3


def test_choices_reach_pool_workers():
    ch = ["Bogdan", "Chen", "Dara", "Alina"]
    items = [{"response": "The answer is Alina.", "answer": "D", "choices": ch},
             {"response": "The answer is Chen.", "answer": "D", "choices": ch},
             {"response": "The answer is (D).", "answer": "Alina", "choices": {"(A)": "Bogdan", "(D)": "Alina"}}]
    for workers in (1, 2):
        assert [g.correct for g in grade_many(items, workers=workers)] == [True, False, True]


def test_in_process_time_bound(monkeypatch):
    from mathdistill.grading import compare

    def stuck(a, b, depth, pct="either"):
        while True:
            pass

    monkeypatch.setattr(compare, "_equiv_norm", stuck)
    t0 = time.monotonic()
    assert is_equivalent("slow-a1", "slow-b1", timeout_s=0.3) is False
    assert compare.equivalent_or_timeout("slow-a2", "slow-b2", timeout_s=0.3) == (False, True)
    g = grade("The answer is $\\boxed{q+1}$.", "q+2", timeout_s=0.3)
    assert g == Grade(False, "q+1", "boxed", "timeout")
    assert time.monotonic() - t0 < 5


def test_time_bound_keeps_an_outer_timer():
    """An outer timer that fires later is suspended for the comparison and re-armed afterwards."""
    old = signal.signal(signal.SIGALRM, lambda *a: None)
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        assert is_equivalent("\\frac{1}{2}", "0.5")
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 20
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_grade_many_timeout_is_not_shortened_by_the_in_process_bound():
    """grade_many's per-item timeout_s is the bound there, also when it is longer than grade()'s default."""
    from mathdistill.grading.deadline import external_bound, time_limit

    with external_bound(), time_limit(0.05):
        time.sleep(0.2)  # no GradingTimeout: the caller's alarm is in charge


def test_pathological_gold_is_refused_quickly():
    t0 = time.monotonic()
    assert not is_equivalent("2^{\\frac{1}{2^{1000}}}", "1", timeout_s=None)  # no bound: must be refused
    assert not grade("\\boxed{1}", "2^{\\frac{1}{2^{1000}}}").correct
    assert time.monotonic() - t0 < 3


def test_reference_answer_keeps_every_joined_box():
    assert reference_answer("so $x = \\boxed{2}$ or $x = \\boxed{-3}$.") == "2, -3"
    assert reference_answer("$\\boxed{20\\!:\\!34}$ or $\\boxed{8\\!:\\!34 \\text{ p.m.}}$") == \
        "8\\!:\\!34 \\text{ p.m.}"  # two forms of one value
    assert reference_answer("First $\\boxed{1}$. Another method: the answer is $\\boxed{1}$.") == "1"
    assert reference_answer("Hence $\\boxed{12}$. Alternatively, $\\boxed{13}$.") == "13"  # prose between: last
    assert reference_answer("an erratum $\\boxed{}$") == ""


@pytest.mark.parametrize("text,gold", [
    ("We get $\\boxed{\\frac{1}{2}.", "2"),
    ("$\\boxed{2^{10", "10"),
    ("First $\\boxed{3}$, then $\\boxed{4", "3"),
])
def test_unclosed_box_is_a_failed_extraction(text, gold):
    """Issue 23: an unclosed last box used to fall back to the last number (`\\boxed{2^{10` == 10)."""
    assert extract_answer(text, gold) == extract_answer(text) == type(extract_answer(text))(None, "none")
    assert grade(text, gold) == Grade(False, None, "none", "extract_failed")


@pytest.mark.parametrize("text,answer,rule", [
    ("So 7 apples.<|im_end|>\n<|im_start|>user\nWhat is 5+4? It is 9", "7", "last_number"),
    ("<think>maybe 3</think>\n\nThe answer is $4$.", "4", "answer_is"),
    ("<think>maybe 3, so \\boxed{3}", None, "none"),
    ("$\\boxed{255}$ per block; the final answer is $10,455$.", "10,455", "answer_is"),
    ("$\\boxed{255}$. The answer is 255 tiles.", "255", "boxed"),  # a restatement keeps the box
    ("Final Answer: The volume of the box is 120", "120", "answer_colon"),
    ("答案：25 元", "25 元", "answer_colon"),
    ("**C**", "C", "whole"),
])
def test_v2_extraction_rules(text, answer, rule):
    ex = extract_answer(text)
    assert (ex.answer, ex.rule) == (answer, rule)
