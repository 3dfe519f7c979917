"""DARS selection of correct samples per problem (methods.md 1.2).

- all: keep every correct sample (VRT).
- uniform: keep at most `k` correct samples per problem (DARS-Uniform curation).
- prop2diff: keep at most t_i = max(1, ceil(k_max * f_i)) per problem, f_i = fail rate.

Selection is deterministic: within a problem, samples are taken in (sample_idx) order
after the caller sorted by (problem_id, sample_idx), never in file order. Fail rates are
exact fractions when counted from samples, so k * f lands on integers exactly (a float
0.7 * 10 would ceil to 8).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

from mathdistill.errors import DataError
from mathdistill.io.jsonl import read_jsonl
from mathdistill.records import Sample


def fail_rates_from_samples(samples: Iterable[Sample]) -> dict[str, Fraction]:
    """f_i = 1 - correct/trials over every graded sample of the problem (DART counts all trials)."""
    trials: dict[str, int] = defaultdict(int)
    correct: dict[str, int] = defaultdict(int)
    for s in samples:
        trials[s.problem_id] += 1
        correct[s.problem_id] += bool(s.correct)
    return {pid: Fraction(n - correct[pid], n) for pid, n in trials.items()}


def fail_rates_from_file(path: str | Path) -> dict[str, Fraction]:
    """Read pass rates from a stats.jsonl (problem_id, trials, correct, pass_rate) or a DART
    query-info file (query_id, tot_n_samples, tot_n_corrects, pass_rate)."""
    out: dict[str, Fraction] = {}
    for lineno, d in read_jsonl(path):
        pid = d.get("problem_id", d.get("query_id"))
        if pid is None:
            raise DataError(path, lineno, "problem_id", "missing (also no 'query_id')")
        n = d.get("trials", d.get("tot_n_samples"))
        c = d.get("correct", d.get("tot_n_corrects"))
        if isinstance(n, int) and isinstance(c, int) and not isinstance(c, bool) and n > 0:
            if not 0 <= c <= n:
                raise DataError(path, lineno, "correct", f"{c} correct out of {n} trials")
            out[str(pid)] = Fraction(n - c, n)
            continue
        pr = d.get("pass_rate")
        if not isinstance(pr, int | float) or isinstance(pr, bool) or not 0 <= pr <= 1:
            raise DataError(path, lineno, "pass_rate", f"expected a number in [0, 1], got {pr!r}")
        out[str(pid)] = 1 - Fraction(pr).limit_denominator(1_000_000)
    return out


def prop2diff_target(fail_rate: Fraction | float, k_max: int) -> int:
    f = fail_rate if isinstance(fail_rate, Fraction) else Fraction(fail_rate).limit_denominator(1_000_000)
    return max(1, math.ceil(k_max * f))


def solve_k_max(
    fail_rates: dict[str, Fraction], available: dict[str, int], budget: int, k_hi: int = 1 << 20
) -> int:
    """Smallest k_max whose Prop2Diff selection, sum_i min(t_i, available_i), reaches `budget`
    (methods.md 4.9). An unreachable budget gives the smallest k keeping everything keepable.

    The kept total is non-decreasing in k, so a binary search finds it.
    """

    def kept(k: int) -> int:
        return sum(min(prop2diff_target(fail_rates[p], k), n) for p, n in available.items())

    budget = min(budget, kept(k_hi))
    lo, hi = 1, k_hi
    while lo < hi:  # invariant: the answer is in [lo, hi]
        mid = (lo + hi) // 2
        if kept(mid) >= budget:
            hi = mid
        else:
            lo = mid + 1
    return lo


def targets(
    select: str,
    problem_ids: Iterable[str],
    *,
    k_correct: int | None = None,
    k_max: int | None = None,
    fail_rates: dict[str, Fraction] | None = None,
) -> dict[str, int | None]:
    """Per-problem cap on correct samples; None means no cap."""
    ids = list(problem_ids)
    if select == "all":
        return {p: None for p in ids}
    if select == "uniform":
        assert k_correct is not None
        return {p: k_correct for p in ids}
    if select == "prop2diff":
        assert k_max is not None and fail_rates is not None
        missing = [p for p in ids if p not in fail_rates]
        if missing:
            raise DataError(
                "fail rates",
                None,
                "problem_id",
                f"no fail rate for {len(missing)} problem(s), e.g. '{missing[0]}'",
            )
        return {p: prop2diff_target(fail_rates[p], k_max) for p in ids}
    raise ValueError(f"unknown selection rule {select!r}")


def apply_caps(by_problem: dict[str, list[Sample]], caps: dict[str, int | None]) -> dict[str, list[Sample]]:
    """Keep the first cap[pid] samples of each (already ordered) problem list."""
    out = {}
    for pid, lst in by_problem.items():
        cap = caps.get(pid)
        out[pid] = list(lst) if cap is None else list(lst[:cap])
    return out


def sort_key(s: Sample) -> tuple:
    return (s.problem_id, s.sample_idx)
