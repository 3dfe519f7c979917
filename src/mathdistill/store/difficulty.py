"""DARS-Prop2Diff: how many correct samples a problem of a given difficulty gets (methods.md 1.2, 4.9).

The one rule for the sampler (which schedules by it) and curation (which caps by it), so both
give a problem the same target from the same fail rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction


def exact(f: Fraction | float) -> Fraction:
    """A fail rate as a fraction. A float is read as the nearest fraction with a denominator up to
    10^6 (the count ratio it came from), so 10 * 0.7 gives 7 and not ceil(7.000000000000001) = 8."""
    return f if isinstance(f, Fraction) else Fraction(f).limit_denominator(1_000_000)


def max_fail_rate(fail_rates: Iterable[Fraction | float]) -> Fraction:
    """The normaliser of the targets: the largest fail rate of the problems (1 when there are none)."""
    return max((exact(f) for f in fail_rates), default=Fraction(1))


def prop2diff_target(fail_rate: Fraction | float, k_max: int, max_fail: Fraction | float = 1) -> int:
    """t = max(1, ceil(k_max * f / f_max)): proportional to the fail rate f, the hardest problem
    (f = f_max, the largest fail rate among the problems) gets k_max as DART defines it, and every
    problem gets at least one, so an always-solved problem still keeps an example. When no problem
    ever fails (f_max = 0) every problem gets one. Exact on fractions (see `exact`)."""
    m = exact(max_fail)
    if m <= 0:
        return 1
    return max(1, math.ceil(k_max * exact(fail_rate) / m))
