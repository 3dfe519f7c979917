"""Documented policies (docs/grading.md): percent convention flag, float tolerance, clock times,
fallback extraction rules, and the grader id that records them."""

from __future__ import annotations

import pytest

from mathdistill.grading import (
    DEFAULT_PERCENT,
    GRADER_VERSION,
    PERCENT_MODES,
    extract_answer,
    grade,
    grade_many,
    grader_id,
    is_equivalent,
)
from mathdistill.grading.decimals import MIN_SIG_DIGITS, parse_repeating
from mathdistill.grading.times import parse_time


@pytest.mark.parametrize("pred,gold,either,number,fraction", [
    ("0.5", "50\\%", True, False, True),
    ("\\frac12", "50\\%", True, False, True),
    ("50", "50\\%", True, True, False),
    ("50\\%", "50\\%", True, True, True),
    ("50 percent", "50\\%", True, True, True),
    ("5\\%", "0.5\\%", False, False, False),
    ("50", "0.5", False, False, False),
    ("\\boxed{0.25}", "25\\%", True, False, True),
])
def test_percent_conventions(pred, gold, either, number, fraction):
    for mode, want in zip(PERCENT_MODES, (either, number, fraction)):
        assert is_equivalent(pred, gold, percent=mode) is want, mode
        assert is_equivalent(gold, pred, percent=mode) is want, mode
        assert grade(f"The answer is ${pred}$.", gold, percent=mode).correct is want, mode


def test_percent_flag_reaches_pool_workers():
    items = [("\\boxed{0.5}", "50\\%"), ("\\boxed{50}", "50\\%")] * 3
    for mode, want in (("either", [True, True]), ("number", [False, True]), ("fraction", [True, False])):
        assert [g.correct for g in grade_many(items, workers=2, percent=mode)] == want * 3
        assert [g.correct for g in grade_many(items, workers=1, percent=mode)] == want * 3


def test_percent_validation_and_grader_id():
    assert DEFAULT_PERCENT == "either" and grader_id() == GRADER_VERSION == "mathdistill-grader/2.0"
    assert grader_id("fraction") == "mathdistill-grader/2.0+percent=fraction"
    with pytest.raises(ValueError):
        is_equivalent("1", "1", percent="ratio")
    with pytest.raises(ValueError):
        grader_id("x")


def test_tolerance_needs_enough_digits_and_a_non_finite_decimal():
    assert MIN_SIG_DIGITS == 5
    assert is_equivalent("0.14286", "\\frac17") and is_equivalent("0.14285", "\\frac17")  # rounded / truncated
    assert not is_equivalent("0.1429", "\\frac17")  # 4 digits
    assert not is_equivalent("0.14287", "\\frac17")
    assert not is_equivalent("0.62501", "\\frac58")  # 5/8 = 0.625 exactly
    assert not is_equivalent("0.33333", "0.33334")  # two decimals: exact
    assert is_equivalent("1.7320508", "\\sqrt{3}") and not is_equivalent("1.7320508", "\\sqrt{2}")
    assert is_equivalent("-1.7320508", "-\\sqrt{3}") and not is_equivalent("1.7320508", "-\\sqrt{3}")
    assert not is_equivalent("0.70711", "\\frac{\\sqrt{2}}{2} + x")  # free variable: no value
    assert not is_equivalent("33.333\\%", "\\frac13")  # a percent is no decimal literal: no tolerance


def test_repeating_notation_is_exact():
    from fractions import Fraction

    assert parse_repeating("0.1\\overline{6}") == Fraction(1, 6)
    assert parse_repeating("1.\\overline{142857}") == Fraction(8, 7)
    assert parse_repeating("0.\\dot{1}4285\\dot{7}") == Fraction(1, 7)
    assert parse_repeating("-2.\\overline{3}") == Fraction(-7, 3)
    assert parse_repeating("0.\\overline{x}") is None
    assert is_equivalent("0.\\overline{142857}", "\\frac17") and not is_equivalent("0.\\overline{142857}", "0.1428")


def test_clock_times():
    assert parse_time("3:30 \\text{ p.m.}") == (15 * 3600 + 1800, True, 3)
    assert parse_time("4\\!:\\!51\\!:\\!06 \\text{ p.m.}")[0] == 16 * 3600 + 51 * 60 + 6
    assert parse_time("13:30 p.m.") is None and parse_time("25:00") is None and parse_time("1:2") is None
    assert is_equivalent("12:00 p.m.", "12:00") and is_equivalent("12:00 a.m.", "0:00")
    assert not is_equivalent("12:00 a.m.", "12:00 p.m.")
    assert is_equivalent("10:12", "10:12 \\text{ a.m.}") and not is_equivalent("10:12", "5:6")


@pytest.mark.parametrize("text,gold,answer,rule", [
    ("First, $12 \\times 4 = 48$. Then we need to", "48", None, "none"),
    ("We will now compute $2^{10}$.", "1024", None, "none"),
    ("We will now compute $2^{10} = 1024$.", "1024", "1024", "last_math"),
    ("The area of the square is $6^2 = 36$.", "36", "36", "statement"),
    ("The total is 1,250 dollars.", "1250", "1,250 dollars", "statement"),
    ("She has 3 apples, so she has 7 fruits", "7", "7 fruits", "statement"),
    ("No, since 9 is odd.", "\\text{No}", "No", "yes_no"),
    ("No matter how we arrange them, we get 12 ways.", "yes", "12 ways", "statement"),  # "No" opens no answer
    ("Sold 5 bags.\n#### 5\n\nQuestion: how many now?\nAnswer: 9\n#### 9", None, "5", "gsm8k"),
    ("Question: How many?\nWe count 3 + 4 = 7.\n#### 7", None, "7", "gsm8k"),
    ("It takes 90 minutes, which is 1.5 hours.", "90", "90 minutes", "statement"),
    ("Altogether 90 minutes, which is 1.5 hours.", "90", "90", "last_number"),
    ("Altogether 90 minutes (1.5 hours).", "90", "90", "last_number"),
    ("So 2 1/2 cups are left over in the end.", "3", "2 1/2", "last_number"),  # one mixed number
])
def test_fallback_rules(text, gold, answer, rule):
    ex = extract_answer(text, gold)
    assert (ex.answer, ex.rule) == (answer, rule)


def test_gsm8k_gold_is_the_text_after_hashes():
    assert grade("The answer is 18.", "She makes 9 * 2 = <<9*2=18>>18 dollars.\n#### 18").correct
