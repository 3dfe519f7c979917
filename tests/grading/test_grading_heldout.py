"""The held-out cases (cases_heldout.py): every one passes, and each kind has positives and near-misses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mathdistill.grading import grade, is_equivalent

_spec = importlib.util.spec_from_file_location("grading_cases_heldout", Path(__file__).with_name("cases_heldout.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
CASES = _mod.CASES


def test_every_kind_has_positives_and_near_misses():
    cats = {c["category"] for c in CASES}
    assert len(cats) >= 6
    for cat in cats:
        exp = [c["expected"] for c in CASES if c["category"] == cat]
        assert sum(exp) >= 3 and len(exp) - sum(exp) >= 3, cat


@pytest.mark.parametrize("case", CASES, ids=[f"{c['category']}-{i}" for i, c in enumerate(CASES)])
def test_heldout_case(case):
    if case["kind"] == "pred":
        assert is_equivalent(case["text"], case["gold"]) is case["expected"], case["note"]
        assert is_equivalent(case["gold"], case["text"]) is case["expected"], "symmetric"
    else:
        assert grade(case["text"], case["gold"]).correct is case["expected"], case["note"]
