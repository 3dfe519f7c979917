"""Scheduling logic of vanilla / DARS-Uniform / DARS-Prop2Diff, without any backend."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mathdistill.sampling.strategies import ProblemState, Prop2Diff, Uniform, Vanilla
from mathdistill.store.difficulty import prop2diff_target


def _feed(s: ProblemState, outcomes: list[bool], first_pass_n: int = 0) -> None:
    for ok in outcomes:
        s.add(s.next_idx, ok, 10, first_pass_n)


def test_vanilla_schedules_k_then_stops():
    strat = Vanilla(4)
    a, b = ProblemState("a"), ProblemState("b")
    _feed(b, [True, False])  # resumed half-way
    assert strat.plan([a, b]) == [("a", 4), ("b", 2)]
    _feed(a, [False] * 4)
    _feed(b, [True] * 2)
    assert strat.plan([a, b]) == []
    assert a.stop_reason == b.stop_reason == "done"


def test_uniform_asks_exactly_what_is_missing():
    strat = Uniform(k_correct=3, max_trials=5)
    s = ProblemState("p")
    assert strat.plan([s]) == [("p", 3)]
    _feed(s, [True, False, False])
    assert strat.plan([s]) == [("p", 2)]  # min(3 - 1 correct, 5 - 3 trials)
    _feed(s, [True, False])
    assert strat.plan([s]) == []
    assert s.stop_reason == "max_trials" and s.trials == 5 and s.correct == 2


def test_uniform_stops_at_k_without_overshoot():
    strat = Uniform(k_correct=2, max_trials=100)
    s = ProblemState("p")
    rounds = []
    while plan := strat.plan([s]):
        rounds.append(plan[0][1])
        _feed(s, [True] * plan[0][1])
    assert rounds == [2] and s.correct == 2 and s.stop_reason == "k_reached"


@pytest.mark.parametrize("k_max,fail,target", [(8, 0.0, 1), (8, 1.0, 8), (8, 0.5, 4), (8, 0.1, 1),
                                               (10, 0.3, 3), (10, 0.31, 4), (4, 0.875, 4)])
def test_prop2diff_target(k_max, fail, target):
    assert prop2diff_target(fail, k_max) == target


def test_prop2diff_first_pass_then_target():
    strat = Prop2Diff(k_max=8, max_trials=20, first_pass_k=4)
    easy, hard = ProblemState("easy"), ProblemState("hard")
    assert strat.plan([easy, hard]) == [("easy", 4), ("hard", 4)]
    _feed(easy, [True] * 4, strat.first_pass_n)  # fail rate 0 -> target 1, already met
    _feed(hard, [True, False, False, False], strat.first_pass_n)  # fail rate 0.75, the hardest -> target 8
    assert strat.plan([easy, hard]) == [("hard", 7)]
    assert easy.stop_reason == "target_reached" and easy.target == 1
    assert hard.target == 8 and hard.fail_rate == pytest.approx(0.75)
    _feed(hard, [True, True, False, False, False], strat.first_pass_n)
    assert strat.plan([easy, hard]) == [("hard", 5)]  # 3 correct of 8, 9 trials
    _feed(hard, [True] * 5, strat.first_pass_n)
    assert strat.plan([easy, hard]) == [] and hard.stop_reason == "target_reached"
    # Later correct samples never change the first-pass estimate.
    assert hard.target == 8


def test_prop2diff_hardest_problem_gets_k_max():
    """DART: targets are proportional to f_i / max_j f_j. Here no problem fails always (max 1/2),
    so the hardest gets k_max = 8, not ceil(8 * 1/2) = 4, and the others scale with it."""
    strat = Prop2Diff(k_max=8, max_trials=100, first_pass_k=4,
                      fail_rates={"a": Fraction(1, 2), "b": Fraction(1, 4), "c": Fraction(0)})
    states = [ProblemState(p) for p in "abc"]
    assert strat.plan(states) == [("a", 8), ("b", 4), ("c", 1)]
    assert [s.target for s in states] == [8, 4, 1] and strat.describe()["max_fail_rate"] == 0.5


def test_prop2diff_targets_wait_for_every_estimate():
    """A known fail rate below 1 cannot be turned into a target before the other problems'
    first passes give the normaliser."""
    strat = Prop2Diff(k_max=8, max_trials=100, first_pass_k=2, fail_rates={"known": 0.5})
    known, new = ProblemState("known"), ProblemState("new")
    assert strat.plan([known, new]) == [("new", 2)] and known.target is None
    _feed(new, [True, True], strat.first_pass_n)  # fail rate 0
    assert strat.plan([known, new]) == [("known", 8)]
    assert (known.target, new.target) == (8, 1)


def test_prop2diff_with_prior_fail_rates_and_cap():
    strat = Prop2Diff(k_max=8, max_trials=6, first_pass_k=4, fail_rates={"known": 1.0})
    known, new = ProblemState("known"), ProblemState("new")
    assert strat.plan([known, new]) == [("known", 6), ("new", 4)]  # target 8 capped by max_trials
    _feed(known, [False] * 6, strat.first_pass_n)
    _feed(new, [False] * 4, strat.first_pass_n)
    assert strat.plan([known, new]) == [("new", 2)]
    assert known.stop_reason == "max_trials" and new.target == 8
