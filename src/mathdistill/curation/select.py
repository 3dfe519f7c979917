"""DARS selection of correct samples per problem (methods.md 1.2).

- all: keep every correct sample (VRT).
- uniform: keep at most `k` correct samples per problem (DARS-Uniform curation).
- prop2diff: keep at most t_i = max(1, ceil(k_max * f_i)) per problem, f_i = fail rate
  (`store.difficulty.prop2diff_target`, the rule the sampler schedules by).

Selection is deterministic: within a problem, samples are taken in (sample_idx) order
after the caller sorted by (problem_id, sample_idx), never in file order. Fail rates are
exact fractions when counted from samples, so k * f lands on integers exactly (a float
0.7 * 10 would ceil to 8).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from mathdistill.errors import DataError
from mathdistill.records import Sample
from mathdistill.store.difficulty import prop2diff_target
from mathdistill.store.samples import count_verdicts, fail_rate


def fail_rates_from_samples(samples: Iterable[Sample]) -> dict[str, Fraction]:
    """f_i = 1 - correct/trials over every graded sample of the problem (DART counts all trials)."""
    counts = count_verdicts((s.problem_id, s.correct) for s in samples)
    return {pid: fail_rate(c.trials, c.correct) for pid, c in counts.items()}


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
