"""pass@k / maj@k / weighted vote@k against brute-force enumeration; CIs."""

from __future__ import annotations

import math
import random
from collections import Counter
from itertools import combinations

import pytest

from mathdistill.eval import metrics as M


def brute_pass(correct: list[bool], k: int) -> float:
    subs = list(combinations(range(len(correct)), k))
    return sum(any(correct[i] for i in s) for s in subs) / len(subs)


def brute_vote(labels: list[int], good: set[int], k: int, weights: list[float] | None = None) -> float:
    """Plain Python: tally each k-subset, ties scored 1/|tie set|."""
    w = weights or [1.0] * len(labels)
    subs = list(combinations(range(len(labels)), k))
    total = 0.0
    for s in subs:
        tally: Counter = Counter()
        for i in s:
            if labels[i] >= 0:
                tally[labels[i]] += w[i]
        if not tally or max(tally.values()) <= 0:
            continue
        top = max(tally.values())
        tied = [c for c, v in tally.items() if abs(v - top) < 1e-9]
        total += sum(c in good for c in tied) / len(tied)
    return total / len(subs)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_pass_at_k_matches_enumeration(n):
    for c in range(n + 1):
        correct = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            assert M.pass_at_k(n, c, k) == pytest.approx(brute_pass(correct, k), abs=1e-12)
            assert M.pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k), abs=1e-12)


def test_pass_at_k_stable_for_large_n():
    # Exact binomials overflow floats here; the product form does not.
    v = M.pass_at_k(2000, 3, 1000)
    assert v == pytest.approx(1 - math.comb(1997, 1000) / math.comb(2000, 1000), rel=1e-9)
    assert M.pass_at_k(2000, 0, 1000) == 0.0
    assert M.pass_at_k(2000, 1500, 1000) == 1.0


def test_pass_at_k_rejects_bad_args():
    with pytest.raises(ValueError):
        M.pass_at_k(4, 5, 1)
    with pytest.raises(ValueError):
        M.pass_at_k(4, 2, 5)


def test_k_values():
    assert M.k_values(1) == [1]
    assert M.k_values(8) == [1, 2, 4, 8]
    assert M.k_values(6) == [1, 2, 4, 6]


def test_vote_at_k_matches_enumeration_random_cases():
    rng = random.Random(0)
    for _ in range(60):
        n = rng.randint(1, 8)
        m = rng.randint(1, 4)
        labels = [rng.randint(-1, m - 1) for _ in range(n)]
        good = {rng.randint(0, m - 1)}
        for k in range(1, n + 1):
            assert M.vote_at_k(labels, good, k) == pytest.approx(brute_vote(labels, good, k), abs=1e-12)


def test_weighted_vote_at_k_matches_enumeration():
    rng = random.Random(1)
    for _ in range(40):
        n = rng.randint(2, 7)
        labels = [rng.randint(-1, 2) for _ in range(n)]
        w = [rng.choice([0.1, 0.5, 0.9, 1.3]) for _ in range(n)]
        for k in range(1, n + 1):
            got = M.vote_at_k(labels, [1], k, w)
            assert got == pytest.approx(brute_vote(labels, {1}, k, w), abs=1e-12)


def test_vote_at_k_hand_cases():
    # 3 of 4 say class 0 (correct): maj@4 = 1; maj@1 = P(draw a class-0 sample) = 3/4.
    assert M.vote_at_k([0, 0, 0, 1], 0, 4) == 1.0
    assert M.vote_at_k([0, 0, 0, 1], 0, 1) == 0.75
    # 2-2 tie with the correct class in it: 1/2.
    assert M.vote_at_k([0, 0, 1, 1], 0, 4) == 0.5
    # nobody answered / gold never produced
    assert M.vote_at_k([-1, -1], 0, 2) == 0.0
    assert M.vote_at_k([1, 1], 0, 2) == 0.0
    assert M.vote_at_k([0, 1], None, 2) == 0.0


def test_vote_at_k_monte_carlo_close_to_exact():
    rng = random.Random(2)
    labels = [rng.randint(0, 3) for _ in range(16)]
    exact = M.vote_at_k(labels, 0, 8)
    mc = M.vote_at_k(labels, 0, 8, max_subsets=100, mc_samples=4000)
    assert not M.subsets_exact(16, 8, 100)
    assert mc == pytest.approx(exact, abs=0.03)
    assert mc == M.vote_at_k(labels, 0, 8, max_subsets=100, mc_samples=4000)  # fixed seed: reproducible


def test_confidence_intervals():
    lo, hi = M.wilson_ci(8, 10)
    assert 0.44 < lo < 0.5 and 0.94 < hi < 0.98  # textbook Wilson values for 8/10
    assert M.wilson_ci(0, 5)[0] == 0.0 and M.wilson_ci(5, 5)[1] == pytest.approx(1.0)
    s = M.summarize([0.0, 0.5, 1.0, 1.0])
    assert s["value"] == 0.625 and s["n"] == 4
    assert s["ci"][0] <= 0.625 <= s["ci"][1]
    assert M.summarize([]) == {"value": None, "ci": None, "n": 0}


def test_shipped_eval_configs_load():
    from pathlib import Path

    from mathdistill.config import load_config
    from mathdistill.eval.config import EvalConfig

    files = sorted((Path(__file__).resolve().parents[2] / "configs").glob("eval_*.yaml"))
    assert files
    for f in files:
        cfg = load_config(EvalConfig, f)
        assert cfg.n >= 1 and cfg.data


def test_monte_carlo_subsets_are_drawn_per_problem():
    """Large-n maj@k: each problem gets its own random subsets, so Monte Carlo errors average out over a
    dataset instead of all problems sharing one subset matrix (and one error)."""
    from mathdistill.eval.aggregate import MetricOptions, build_rows
    from mathdistill.records import Sample

    answers = ["1", "1", "1", "2", "2", "2", "2", "3", "1", "2", "3", "1"]  # gold "1": 5 of 12
    samples = [Sample(problem_id=f"p{j}", sample_idx=i, prompt="q", response=a, answer="1", pred=a,
                      correct=a == "1", meta={"mode": "sampled", "dataset": "d"})
               for j in range(60) for i, a in enumerate(answers)]
    opts = MetricOptions(max_subsets=100, mc_samples=100)  # C(12, 8) = 495 > 100: Monte Carlo
    rows = build_rows(samples, lambda a, b: a == b, None, opts)
    vals = [r["metrics"]["maj@8"] for r in rows]
    assert len(set(vals)) > 10, "problems must not share one subset matrix"
    exact = build_rows(samples[:12], lambda a, b: a == b, None, MetricOptions())[0]["metrics"]["maj@8"]
    assert sum(vals) / len(vals) == pytest.approx(exact, abs=0.02)  # 60 x 100 draws: the errors average out
    assert [r["metrics"]["maj@8"] for r in build_rows(samples, lambda a, b: a == b, None, opts)] == vals
    assert M.problem_seed(0, "p1") != M.problem_seed(0, "p2") and M.problem_seed(0, "p1") == M.problem_seed(0, "p1")
