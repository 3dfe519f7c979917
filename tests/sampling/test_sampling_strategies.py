"""Scheduling logic of vanilla / DARS-Uniform / DARS-Prop2Diff, without any backend."""

from __future__ import annotations

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
    _feed(hard, [True, False, False, False], strat.first_pass_n)  # fail rate 0.75 -> target 6
    assert strat.plan([easy, hard]) == [("hard", 5)]
    assert easy.stop_reason == "target_reached" and easy.target == 1
    assert hard.target == 6 and hard.fail_rate == pytest.approx(0.75)
    _feed(hard, [True, True, False, False, False], strat.first_pass_n)
    assert strat.plan([easy, hard]) == [("hard", 3)]  # 3 correct of 6, 11 trials
    _feed(hard, [True] * 3, strat.first_pass_n)
    assert strat.plan([easy, hard]) == [] and hard.stop_reason == "target_reached"
    # Later correct samples never change the first-pass estimate.
    assert hard.target == 6


def test_prop2diff_with_prior_fail_rates_and_cap():
    strat = Prop2Diff(k_max=8, max_trials=6, first_pass_k=4, fail_rates={"known": 1.0})
    known, new = ProblemState("known"), ProblemState("new")
    assert strat.plan([known, new]) == [("known", 6), ("new", 4)]  # target 8 capped by max_trials
    _feed(known, [False] * 6, strat.first_pass_n)
    _feed(new, [False] * 4, strat.first_pass_n)
    assert strat.plan([known, new]) == [("new", 2)]
    assert known.stop_reason == "max_trials" and new.target == 8
