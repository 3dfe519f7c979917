"""Decimal forms of exact values: repeating notation and the float tolerance policy (docs/grading.md).

- Repeating notation is exact: `0.1\\overline{6}`, `0.\\bar{3}`, `0.\\dot{3}`, `0.\\dot{1}4285\\dot{7}` parse to Fractions.
- A decimal literal with at least MIN_SIG_DIGITS (5) significant digits equals a value that no finite
  decimal can write (1/6, 2/7, sqrt 2, pi) when it is that value rounded or truncated to the digits
  shown: `0.16667` and `0.16666` are 1/6, `0.16668` is not; shorter roundings (`0.1667`, `1.414`,
  `3.14`) are what people write when asked for an exact answer, and stay wrong. An ellipsis (`0.1666...`) marks truncated digits and needs two.
- Scientific notation states its significant digits: `2.31\\times10^{-3}` (3 or more, MIN_SIG_SCI) equals
  1/432 = 0.0023148... because that is the value rounded to the mantissa's digits; `2.3\\times10^{-3}` and
  `2.32\\times10^{-3}` do not.
- A float value (sqrt, pi, trig) is only known to ~15 digits, so digits beyond that are not held against a
  literal: `0.8660254037844386` (Python's repr of sqrt(3)/2) equals `\\frac{\\sqrt3}{2}`.
- A value that a finite decimal writes exactly (1/8, 0.3, 12) is never matched with a tolerance:
  `0.1251` != 1/8. Two decimal literals always compare exactly.
"""

from __future__ import annotations

import re
from fractions import Fraction

MIN_SIG_DIGITS = 5
MIN_SIG_ELLIPSIS = 2
MIN_SIG_SCI = 3
FLOAT_REL_EPS = Fraction(1, 10 ** 14)  # what a float evaluation of an irrational value can be trusted to

_OVERLINE_RE = re.compile(r"^([+-]?)(\d*)\.(\d*)\\overline\{(\d+)\}$")
_DOT_RE = re.compile(r"^([+-]?)(\d*)\.(\d*)\\dot\{?(\d)\}?(?:(\d*)\\dot\{?(\d)\}?)?$")
_LITERAL_RE = re.compile(r"^([+-]?)(\d+)\.(\d+)$")
_ELLIPSIS_RE = re.compile(r"^([+-]?)(\d+)\.(\d+)(?:\\[lc]?dots|\.\.\.)$")
_SCI_RE = re.compile(r"^([+-]?)(\d+)(?:\.(\d+))?(?:(?:\\times|\\cdot|\*)10\^(?:\{([+-]?\d+)\}|([+-]?\d))|[eE]([+-]?\d+))$")


def parse_repeating(s: str) -> Fraction | None:
    """Exact value of a repeating decimal written with \\overline or \\dot, else None."""
    if "\\bar" in s:
        s = s.replace("\\bar", "\\overline")
    if "\\overline" not in s and "\\dot" not in s:
        return None
    m = _OVERLINE_RE.match(s)
    if m:
        sign, whole, fixed, block = m.groups()
    else:
        m = _DOT_RE.match(s)
        if not m:
            return None
        sign, whole, fixed, first, mid, last = m.groups()
        block = first + (mid or "") + (last or "") if last else first
    v = Fraction(int(whole or "0")) + (Fraction(int(fixed), 10 ** len(fixed)) if fixed else 0)
    v += Fraction(int(block), (10 ** len(block) - 1) * 10 ** len(fixed))
    return -v if sign == "-" else v


def _sig_digits(whole: str, frac: str) -> int:
    return len((whole + frac).lstrip("0"))


def _literal(s: str) -> tuple[Fraction, int, bool] | None:
    """(value, decimals shown, truncated-only) for a decimal long enough to be an approximation."""
    if "10^" in s or "e" in s or "E" in s:
        m = _SCI_RE.match(s)
        if m is None:
            return None
        sign, whole, frac, e1, e2, e3 = m.groups()
        frac = frac or ""
        if _sig_digits(whole, frac) < MIN_SIG_SCI:
            return None
        exp = int(e1 or e2 or e3)
        if abs(exp) > 300:
            return None
        v = Fraction(f"{whole}.{frac or 0}") * Fraction(10) ** exp
        return (-v if sign == "-" else v), len(frac) - exp, False
    m = _ELLIPSIS_RE.match(s)
    if m and _sig_digits(m.group(2), m.group(3)) >= MIN_SIG_ELLIPSIS:
        ellipsis = True
    else:
        m = _LITERAL_RE.match(s)
        if not m or _sig_digits(m.group(2), m.group(3)) < MIN_SIG_DIGITS:
            return None
        ellipsis = False
    v = Fraction(f"{m.group(2)}.{m.group(3)}")
    return (-v if m.group(1) == "-" else v), len(m.group(3)), ellipsis


def _finite_decimal(v: Fraction) -> bool:
    d = v.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _matches(lit: Fraction, decimals: int, truncated_only: bool, v) -> bool:
    q = Fraction(10) ** -decimals
    slack = Fraction(0)
    if isinstance(v, Fraction):
        diff = v - lit
    else:  # float value (irrational): only ~15 significant digits of it are known
        diff = Fraction(v) - lit
        slack = abs(Fraction(v)) * FLOAT_REL_EPS
        if abs(diff) < q * Fraction(1, 10 ** 6):
            return True
    if lit != 0 and (v < 0) != (lit < 0):
        return False
    toward_zero = diff if lit >= 0 else -diff  # truncation keeps |lit| <= |v| < |lit| + q
    if -slack <= toward_zero < q + slack:
        return True
    return not truncated_only and abs(diff) <= q / 2 + slack


def approx_equal(a: str, b: str, value_of) -> bool | None:
    """Tolerance verdict for normalised `a`, `b` when exactly one is a long decimal literal; None when
    the policy does not apply. `value_of(s)` gives the exact value (Fraction) or a float, or None."""
    la, lb = _literal(a), _literal(b)
    if (la is None) == (lb is None) or "%" in a or "%" in b:
        return None
    lit, other = (la, b) if la is not None else (lb, a)
    if _LITERAL_RE.match(other) or _ELLIPSIS_RE.match(other) or _SCI_RE.match(other):
        return None  # two decimals: exact comparison decides
    v = value_of(other)
    if v is None:
        return None
    if isinstance(v, complex):
        if abs(v.imag) > 1e-12 * max(1.0, abs(v.real)):
            return False
        v = v.real
    if isinstance(v, Fraction) and _finite_decimal(v):
        return None  # written exactly by a finite decimal: no tolerance
    return _matches(*lit, v)
