"""Voting over equivalence classes of answers (self-consistency and ASC-weighted).

Answers are grouped with the grader's `is_equivalent`, not by raw string, so "1/2",
"0.5" and "\\frac{1}{2}" vote together. Identical strings (after stripping) are grouped
first for free; distinct strings are then compared with `equiv` against each class's
representative (the class's most frequent string), most frequent strings first.

Ties: `Vote.tied` holds every top class. Scored against a gold answer, a tie is worth
1/|tie set| if the correct class is tied (expected accuracy of a random tie-break,
TDG ASC convention); `Vote.answer` is the first tied class in class order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

Equiv = Callable[[str, str], bool]

ASC_WEIGHTS: dict[str, Callable[[float], float]] = {
    "s": lambda s: s,
    "1+s": lambda s: 1.0 + s,
    "1+2s": lambda s: 1.0 + 2.0 * s,
}


def _default_equiv(a: str, b: str) -> bool:
    from mathdistill.grading import is_equivalent

    return is_equivalent(a, b)


@dataclass
class AnswerClasses:
    """labels[i] = class of sample i (-1: no answer); reps[c] = representative string of class c."""

    labels: list[int]
    reps: list[str]

@dataclass
class Vote:
    answer: str | None  # representative of the winning class (first of the tied ones)
    tied: list[str] = field(default_factory=list)  # representatives of all top classes
    weight: float = 0.0  # total vote weight of the winner
    tallies: dict[str, float] = field(default_factory=dict)  # representative -> vote weight
    classes: AnswerClasses | None = None

    def accuracy(self, correct: Callable[[str], bool]) -> float:
        """Expected accuracy: 1/|tied| if a correct answer is among the tied classes."""
        if not self.tied:
            return 0.0
        return 1.0 / len(self.tied) if any(correct(a) for a in self.tied) else 0.0


def _key(a: str | None) -> str | None:
    if a is None:
        return None
    a = a.strip()
    return a or None


def distinct_answers(answers: Sequence[str | None]) -> list[str]:
    """Distinct (stripped) answer strings in grouping order: most frequent first, then first seen."""
    keys = [k for k in (_key(a) for a in answers) if k is not None]
    counts = Counter(keys)
    first = {k: i for i, k in reversed(list(enumerate(keys)))}
    return sorted(counts, key=lambda k: (-counts[k], first[k]))


def group_answers(answers: Sequence[str | None], equiv: Equiv | None = None) -> AnswerClasses:
    """Group answers into equivalence classes (exact-string pre-grouping, then `equiv`)."""
    eq = equiv or _default_equiv
    reps: list[str] = []
    cls_of: dict[str, int] = {}
    for s in distinct_answers(answers):
        for c, rep in enumerate(reps):
            if eq(s, rep):
                cls_of[s] = c
                break
        else:
            cls_of[s] = len(reps)
            reps.append(s)
    labels = [cls_of[k] if (k := _key(a)) is not None else -1 for a in answers]
    return AnswerClasses(labels, reps)


def weighted_vote(answers: Sequence[str | None], weights: Sequence[float], equiv: Equiv | None = None,
                  classes: AnswerClasses | None = None) -> Vote:
    """Weighted vote V(c) = sum of weights of samples in class c; argmax wins."""
    if len(weights) != len(answers):
        raise ValueError(f"{len(answers)} answers but {len(weights)} weights")
    cl = classes or group_answers(answers, equiv)
    tally = [0.0] * len(cl.reps)
    for lab, w in zip(cl.labels, weights, strict=True):
        if lab >= 0:
            tally[lab] += float(w)
    if not tally or max(tally) <= 0:
        return Vote(None, [], 0.0, dict(zip(cl.reps, tally, strict=True)), cl)
    top = max(tally)
    tied = [cl.reps[c] for c, t in enumerate(tally) if t >= top - 1e-9 * max(1.0, abs(top))]
    return Vote(tied[0], tied, top, dict(zip(cl.reps, tally, strict=True)), cl)


def majority_vote(answers: Sequence[str | None], equiv: Equiv | None = None,
                  classes: AnswerClasses | None = None) -> Vote:
    return weighted_vote(answers, [1.0] * len(answers), equiv, classes)


def asc_weights(scores: Iterable[float | None], variant: str = "s") -> list[float]:
    """Vote weights from ranker scores: w = s, 1+s or 1+2s.

    A missing score (e.g. the ranker skipped the sample) is replaced by the mean of the
    problem's other scores, or 1.0 if it has none (TDG ASC.py behaviour).
    """
    if variant not in ASC_WEIGHTS:
        raise ValueError(f"unknown ASC weight '{variant}' (known: {', '.join(ASC_WEIGHTS)})")
    sc = list(scores)
    known = [s for s in sc if s is not None]
    fill = sum(known) / len(known) if known else 1.0
    f = ASC_WEIGHTS[variant]
    return [f(fill if s is None else float(s)) for s in sc]
