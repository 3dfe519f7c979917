"""Every labelled case in cases.py must pass (the table is the grader's accuracy spec)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mathdistill.grading import grade, is_equivalent

_spec = importlib.util.spec_from_file_location("grading_cases", Path(__file__).with_name("cases.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
CASES = _mod.CASES


def _verdict(case: dict) -> bool:
    if case["kind"] == "pred":
        return is_equivalent(case["text"], case["gold"])
    return grade(case["text"], case["gold"]).correct


def test_table_is_big_and_balanced():
    assert len(CASES) >= 400
    cats = {c["category"] for c in CASES}
    for cat in cats:
        exp = [c["expected"] for c in CASES if c["category"] == cat]
        if cat != "truncation_extraction_failure":
            assert any(exp) and not all(exp), f"{cat} needs positives and negatives"


@pytest.mark.parametrize("case", CASES, ids=[f"{c['category']}-{i}" for i, c in enumerate(CASES)])
def test_case(case):
    assert _verdict(case) is case["expected"], case["note"]


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "pred"][::3],
                         ids=lambda c: c["text"][:30])
def test_pred_vs_gold_is_symmetric(case):
    """Voting compares pred with pred: swapping the sides must not change the verdict."""
    assert is_equivalent(case["gold"], case["text"]) is case["expected"]
