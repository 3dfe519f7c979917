"""DARS-Prop2Diff: how many correct samples a problem of a given difficulty gets (methods.md 1.2, 4.9)."""

from __future__ import annotations

import math
from fractions import Fraction


def prop2diff_target(fail_rate: Fraction | float, k_max: int) -> int:
    """t = max(1, ceil(k_max * f)): proportional to the fail rate f, and at least one, so an
    always-solved problem still keeps an example.

    Exact on fractions. A float is first read as the nearest fraction with a denominator up to
    10^6 (the count ratio it came from), so 10 * 0.7 gives 7 and not ceil(7.000000000000001) = 8.
    """
    f = fail_rate if isinstance(fail_rate, Fraction) else Fraction(fail_rate).limit_denominator(1_000_000)
    return max(1, math.ceil(k_max * f))
