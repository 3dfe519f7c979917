"""Fast numeric parse of a normalised answer: ints, decimals, fractions, mixed numbers, percents,
scientific notation, simple `\\sqrt`/`\\pi` multiples. No sympy.

Percent conventions (`percent=`, docs/grading.md): "either" (default) reads a literal `%` as x/100
and also accepts the bare number (MATH writes "what percent" golds as either `50` or `50\\%`), so
`50%` == `50` and `50%` == `0.5`; "number" reads `50%` as 50 only; "fraction" as 0.5 only. Two bare
numbers are never rescaled (`50` != `0.5`), which avoids DART's false positives.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

from mathdistill.grading.decimals import parse_repeating

Num = Fraction | float | complex

_INT = r"\d+"
_DEC = r"(?:\d+\.\d*|\.\d+|\d+)"
_SIGN = r"[+-]?"
_RE_DEC = re.compile(rf"^({_SIGN}){_DEC}$")
_RE_FRAC = re.compile(rf"^({_SIGN})\\frac\{{({_SIGN}{_DEC})\}}\{{({_SIGN}{_DEC})\}}$")
_RE_SLASH = re.compile(rf"^({_SIGN})\(?({_SIGN}{_DEC})\)?/\(?({_SIGN}{_DEC})\)?$")
_RE_MIXED = re.compile(rf"^({_SIGN})({_INT})\\frac\{{({_INT})\}}\{{({_INT})\}}$")
_RE_MIXED_SLASH = re.compile(rf"^({_SIGN})({_INT})\s+({_INT})/({_INT})$")
_RE_SCI = re.compile(rf"^({_SIGN}{_DEC})(?:\\times|\\cdot|\*|x)10\^(?:\{{({_SIGN}\d+)\}}|({_SIGN}\d))$")
_RE_E = re.compile(rf"^({_SIGN}{_DEC})[eE]({_SIGN}\d+)$")
_RE_SQRT = re.compile(rf"^({_SIGN})({_DEC})?\\sqrt\{{({_DEC})\}}$")
_RE_PI = re.compile(rf"^({_SIGN})({_DEC})?\\pi$")


def _frac(s: str) -> Fraction:
    return Fraction(s)


@lru_cache(maxsize=1 << 16)
def parse_number(s: str) -> Num | None:
    """Value of a normalised numeric string, or None when it is not a plain number."""
    if not s or len(s) > 60:
        return None
    if _RE_DEC.match(s):
        return Fraction(s)
    if "\\overline" in s or "\\dot" in s or "\\bar" in s:
        return parse_repeating(s)
    m = _RE_FRAC.match(s) or _RE_SLASH.match(s)
    if m:
        den = _frac(m.group(3))
        if den == 0:
            return None
        v = _frac(m.group(2)) / den
        return -v if m.group(1) == "-" else v
    m = _RE_MIXED.match(s) or _RE_MIXED_SLASH.match(s)
    if m:
        den = int(m.group(4))
        if den == 0 or int(m.group(3)) >= den:  # 2\frac{5}{3} is not a mixed number
            return None
        v = int(m.group(2)) + Fraction(int(m.group(3)), den)
        return -v if m.group(1) == "-" else v
    m = _RE_SCI.match(s)
    if m:
        exp = int(m.group(2) or m.group(3))
        if abs(exp) > 400:
            return None
        return Fraction(m.group(1)) * Fraction(10) ** exp
    m = _RE_E.match(s)
    if m and abs(int(m.group(2))) <= 400:
        return Fraction(m.group(1)) * Fraction(10) ** int(m.group(2))
    m = _RE_SQRT.match(s)
    if m:
        coef = float(m.group(2)) if m.group(2) else 1.0
        v = coef * math.sqrt(float(m.group(3)))
        return -v if m.group(1) == "-" else v
    m = _RE_PI.match(s)
    if m:
        coef = float(m.group(2)) if m.group(2) else 1.0
        v = coef * math.pi
        return -v if m.group(1) == "-" else v
    return None


PERCENT_MODES = ("either", "number", "fraction")


def number_values(s: str, percent: str = "either") -> list[Num] | None:
    """Candidate values of `s`: [v] for a number; for `v%` [v, v/100] ("either"), [v] ("number") or
    [v/100] ("fraction"); None if not numeric."""
    pct = s.endswith("%")
    core = s[:-1] if pct else s
    v = parse_number(core)
    if v is None:
        return None
    if pct:
        frac = v / 100 if isinstance(v, Fraction) else v / 100.0
        return {"either": [v, frac], "number": [v], "fraction": [frac]}[percent]
    return [v]


def num_equal(a: Num, b: Num, rel_tol: float = 1e-9) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    fa, fb = complex(a), complex(b)
    return math.isclose(fa.real, fb.real, rel_tol=rel_tol, abs_tol=1e-12) and math.isclose(
        fa.imag, fb.imag, rel_tol=rel_tol, abs_tol=1e-12)


def values_equal(pred: list[Num], gold: list[Num]) -> bool:
    """True if any candidate of pred equals the primary value of gold or vice versa (percent rule)."""
    if len(pred) > 1 and len(gold) > 1:  # both carry % : compare as written
        return num_equal(pred[0], gold[0])
    return any(num_equal(p, gold[0]) for p in pred) or any(num_equal(pred[0], g) for g in gold)
