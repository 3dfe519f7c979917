"""DARS selection rules on hand-made samples; expected counts worked out by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest
from curation_helpers import mk, problem

from mathdistill.curation import select
from mathdistill.curation.config import CurateConfig
from mathdistill.curation.pipeline import _group, build_positives
from mathdistill.errors import ConfigError, DataError
from mathdistill.store.difficulty import prop2diff_target


def test_prop2diff_target_by_hand():
    assert prop2diff_target(Fraction(0), 8) == 1  # max(1, 0): every problem keeps one
    assert prop2diff_target(Fraction(1), 8) == 8
    assert prop2diff_target(Fraction(3, 8), 8) == 3
    assert prop2diff_target(Fraction(1, 8), 4) == 1  # ceil(0.5)
    assert prop2diff_target(Fraction(5, 8), 4) == 3  # ceil(2.5)
    assert prop2diff_target(Fraction(7, 10), 10) == 7  # float 0.7 * 10 would ceil to 8
    assert prop2diff_target(0.7, 10) == 7


def _samples():
    # P1: 4 trials, correct idx 0, 1, 3 (f = 1/4); P2: 4/4 correct (f = 0); P3: 0/2 correct (f = 1).
    s = [
        mk("P1", 0, "a", True),
        mk("P1", 1, "b", True),
        mk("P1", 2, "x", False, pred="2"),
        mk("P1", 3, "c", True),
        mk("P2", 0, "d", True),
        mk("P2", 1, "e", True),
        mk("P2", 2, "f", True),
        mk("P2", 3, "g", True),
        mk("P3", 0, "y", False, pred="3"),
        mk("P3", 1, "z", False, pred="4"),
    ]
    return s[::-1]  # file order must not matter


def _kept(cfg: CurateConfig) -> dict[str, list[int]]:
    samples = _samples()
    probs = {p: problem(p) for p in ("P1", "P2", "P3")}
    fail = select.fail_rates_from_samples(samples)
    pos, _counts = build_positives(_group(samples), cfg, probs, fail)
    return {pid: [s.sample_idx for s in v] for pid, v in pos.items()}


def test_fail_rates_from_samples_are_exact_fractions():
    assert select.fail_rates_from_samples(_samples()) == {
        "P1": Fraction(1, 4),
        "P2": Fraction(0),
        "P3": Fraction(1),
    }


def test_select_all():
    assert _kept(CurateConfig(select="all")) == {"P1": [0, 1, 3], "P2": [0, 1, 2, 3]}


def test_select_uniform():
    assert _kept(CurateConfig(select="uniform", k_correct=2)) == {"P1": [0, 1], "P2": [0, 1]}
    assert _kept(CurateConfig(select="uniform", k_correct=1)) == {"P1": [0], "P2": [0]}


def test_select_prop2diff():
    # k=4: P1 ceil(4 * 1/4) = 1, P2 max(1, 0) = 1, P3 target 4 but nothing correct.
    assert _kept(CurateConfig(select="prop2diff", k_max=4)) == {"P1": [0], "P2": [0]}
    # k=8: P1 ceil(2) = 2, P2 1.
    assert _kept(CurateConfig(select="prop2diff", k_max=8)) == {"P1": [0, 1], "P2": [0]}
    # k=12: P1 ceil(3) = 3 = all its correct ones.
    assert _kept(CurateConfig(select="prop2diff", k_max=12)) == {"P1": [0, 1, 3], "P2": [0]}


def test_cap_counts_distinct_paths_after_dedup():
    samples = [mk("P", 0, "same", True), mk("P", 1, " same ", True), mk("P", 2, "other", True)]
    pos, counts = build_positives(
        _group(samples),
        CurateConfig(select="uniform", k_correct=2),
        {"P": problem("P")},
        select.fail_rates_from_samples(samples),
    )
    assert [s.sample_idx for s in pos["P"]] == [0, 2]
    assert counts["dup_exact"] == 1 and counts["over_cap"] == 0


def test_truncated_correct_never_positive():
    samples = [mk("P", 0, "cut \\boxed{1}", True, finish="length"), mk("P", 1, "ok", True)]
    pos, counts = build_positives(
        _group(samples), CurateConfig(), {"P": problem("P")}, select.fail_rates_from_samples(samples)
    )
    assert [s.sample_idx for s in pos["P"]] == [1]
    assert counts["correct_truncated"] == 1


def test_config_validation():
    with pytest.raises(ConfigError, match="k_correct"):
        from mathdistill.config import load_config

        load_config(CurateConfig, None, ["select=uniform"])
    with pytest.raises(ValueError, match="k_max"):
        CurateConfig(select="prop2diff")


def test_prop2diff_needs_a_fail_rate_for_every_problem():
    with pytest.raises(DataError, match="no fail rate"):
        select.targets("prop2diff", ["a", "b"], k_max=4, fail_rates={"a": Fraction(1, 2)})


def test_solve_k_max_for_a_budget_by_hand():
    # Targets are normalised by the largest fail rate, 1/2 (C): t_A = ceil(k/2), t_C = k, so
    # kept(k) = min(max(1, ceil(k/2)), 3) + min(1, 4) + min(max(1, k), 2):
    # k=1 -> 3; k=2 -> 4; k=3,4 -> 5; k>=5 -> 6 (everything keepable).
    fail = {"A": Fraction(1, 4), "B": Fraction(0), "C": Fraction(1, 2)}
    avail = {"A": 3, "B": 4, "C": 2}
    assert [select.solve_k_max(fail, avail, b) for b in (1, 3, 4, 5, 6, 100)] == [1, 1, 2, 3, 5, 5]
    # With a never-solved problem (f = 1) the normaliser is 1: t = max(1, ceil(k * f)).
    fail["D"], avail["D"] = Fraction(1), 0
    assert [select.solve_k_max(fail, avail, b) for b in (1, 3, 4, 5, 6, 100)] == [1, 1, 3, 5, 9, 9]


def test_prop2diff_hardest_problem_keeps_k_max():
    """DART: the hardest problem gets k_max, whatever its fail rate; the others in proportion."""
    fail = {"a": Fraction(1, 2), "b": Fraction(1, 4), "c": Fraction(0)}
    assert select.targets("prop2diff", fail, k_max=8, fail_rates=fail) == {"a": 8, "b": 4, "c": 1}


def test_prop2diff_with_a_budget_through_curation():
    # P1 f=1/4 has 3 correct, P2 f=0 has 4: kept(k) = min(ceil(k/4), 3) + 1; a budget of 3 needs k=5.
    cfg = CurateConfig(select="prop2diff", budget=3)
    assert _kept(cfg) == {"P1": [0, 1], "P2": [0]}
