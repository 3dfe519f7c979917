"""DARS selection of correct samples per problem (methods.md 1.2).

- all: keep every correct sample (VRT).
- uniform: keep at most `k` correct samples per problem (DARS-Uniform curation).
- prop2diff: keep at most t_i = max(1, ceil(k_max * f_i / max_j f_j)) per problem, f_i = fail
  rate, the maximum over the problems being selected, so the hardest gets k_max
  (`store.difficulty.prop2diff_target`, the rule the sampler schedules by).

Selection is deterministic: within a problem, samples are taken in (sample_idx) order
after the caller sorted by (problem_id, sample_idx), never in file order, or shortest first
(ties by sample_idx) for long traces: `prefer: shortest` makes uniform a shortest-k, and a
per-problem length budget (`within_budget`) keeps paths shortest first while they fit. Fail rates are
exact fractions when counted from samples, so k * f lands on integers exactly (a float
0.7 * 10 would ceil to 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

from mathdistill.errors import DataError
from mathdistill.records import Sample
from mathdistill.store.difficulty import max_fail_rate, prop2diff_target
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
    _require_rates(available, fail_rates)
    norm = max_fail_rate(fail_rates[p] for p in available)

    def kept(k: int) -> int:
        return sum(min(prop2diff_target(fail_rates[p], k, norm), n) for p, n in available.items())

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
        _require_rates(ids, fail_rates)
        norm = max_fail_rate(fail_rates[p] for p in ids)
        return {p: prop2diff_target(fail_rates[p], k_max, norm) for p in ids}
    raise ValueError(f"unknown selection rule {select!r}")


def _require_rates(ids: Iterable[str], fail_rates: dict[str, Fraction]) -> None:
    missing = [p for p in ids if p not in fail_rates]
    if missing:
        raise DataError("fail rates", None, "problem_id",
                        f"no fail rate for {len(missing)} problem(s), e.g. '{missing[0]}'")


def apply_caps(by_problem: dict[str, list[Sample]], caps: dict[str, int | None]) -> dict[str, list[Sample]]:
    """Keep the first cap[pid] samples of each (already ordered) problem list."""
    out = {}
    for pid, lst in by_problem.items():
        cap = caps.get(pid)
        out[pid] = list(lst) if cap is None else list(lst[:cap])
    return out


def sort_key(s: Sample) -> tuple:
    return (s.problem_id, s.sample_idx)


def shortest_first(samples: Iterable[Sample], length: Callable[[Sample], int]) -> list[Sample]:
    """Shortest first, ties by sample_idx: the order `prefer: shortest` caps take paths in."""
    return sorted(samples, key=lambda s: (length(s), s.sample_idx))


def within_budget(samples: Sequence[Sample], length: Callable[[Sample], int], budget: int) -> list[Sample]:
    """The longest prefix of `samples` (shortest first) whose total length fits `budget`; the first
    is kept even when it alone does not, so the budget never leaves a solved problem without a path
    (hard problems have the longest traces and need a path most)."""
    kept: list[Sample] = []
    total = 0
    for s in samples:
        total += length(s)
        if kept and total > budget:
            break
        kept.append(s)
    return kept
