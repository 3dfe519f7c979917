"""Grading samples and precomputing answer equivalences, both in the grader's process pool.

Voting needs pred-vs-pred equivalence, which can hit slow sympy paths just like grading.
Rather than call `is_equivalent` unguarded in the main process, every pair of distinct
answers of a problem is checked up front through `grade_many` (per-item timeout; a pair
that times out counts as not equivalent), with `pair_equivalence` as the grading function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from mathdistill.eval.aggregate import vote_answer
from mathdistill.inference.voting import distinct_answers
from mathdistill.records import Sample


def pair_equivalence(a: str, b: str, *, finish_reason: str | None = None):
    """`grade_many` worker function: is answer `a` equivalent to answer `b`? (module-level: picklable)"""
    from mathdistill.grading import Grade, is_equivalent

    return Grade(bool(is_equivalent(a, b)), a, "equivalence")


def equivalence_table(groups: Iterable[Sequence[Sample]], *, workers: int = 2,
                      timeout_s: float = 5.0) -> Callable[[str, str], bool]:
    """An `equiv(a, b)` answering from precomputed pairs of each group's distinct answers."""
    from mathdistill.grading import grade_many

    pairs: set[tuple[str, str]] = set()
    for samples in groups:
        d = distinct_answers([vote_answer(s) for s in samples])
        # group_answers compares a later (less frequent) string against an earlier representative.
        pairs.update((d[j], d[i]) for j in range(len(d)) for i in range(j))
    ordered = sorted(pairs)
    grades = grade_many(ordered, workers=workers, timeout_s=timeout_s, fn=pair_equivalence)
    table = {p: bool(g.correct) for p, g in zip(ordered, grades, strict=True)}

    def equiv(a: str, b: str) -> bool:
        if a == b:
            return True
        if (a, b) in table:
            return table[(a, b)]
        if (b, a) in table:
            return table[(b, a)]
        from mathdistill.grading import is_equivalent  # not precomputed: only in odd call orders

        return is_equivalent(a, b)

    return equiv
