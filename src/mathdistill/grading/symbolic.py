"""Symbolic equivalence with sympy via latex2sympy2_extended; imported lazily (sympy costs ~1 s).

Only reached when the string / numeric / structure paths cannot decide. Callers bound the time
(grade_many runs this in workers with a per-item timeout).
"""

from __future__ import annotations

import re
from functools import lru_cache

_MAX_LEN = 400
# exponent towers, 6+ digit exponents, huge factorials: exact sympy arithmetic on these runs in C
# (GMP) where no signal can stop it, so they are refused rather than timed out; symbolic sums,
# products, integrals and limits make simplify() run for minutes, so they are refused too
_HUGE_RE = re.compile(r"\^\s*\{[^{}]*\^|\^\s*\{?\s*-?\d{6,}|\d{5,}\s*!|\\(?:sum|prod|int|lim)(?![a-zA-Z])")
_sympy = None
_BIG_EXP_RE = re.compile(r"\^\s*\{?\s*-?\d{3,}")


def _big_nested_power(s: str) -> bool:
    """An exponent that holds a power with a 3+ digit exponent (`2^{\\frac{1}{2^{1000}}}`): sympy's exact
    arithmetic on it runs for minutes (minimal polynomials of huge degree)."""
    i = s.find("^")
    while i >= 0:
        j = i + 1
        while j < len(s) and s[j] == " ":
            j += 1
        if j < len(s) and s[j] == "{":
            depth, k = 0, j
            while k < len(s):
                depth += {"{": 1, "}": -1}.get(s[k], 0)
                if depth == 0:
                    break
                k += 1
            if _BIG_EXP_RE.search(s, j + 1, k):
                return True
        i = s.find("^", i + 1)
    return False


def _lazy():
    global _sympy
    if _sympy is None:
        import sympy

        _sympy = sympy
    return _sympy


@lru_cache(maxsize=1 << 14)
def to_sympy(s: str):
    """sympy object for a normalised LaTeX / plain-math string, or None if it does not parse."""
    if not s or len(s) > _MAX_LEN or _HUGE_RE.search(s) or (s.count("^") > 1 and _big_nested_power(s)):
        return None
    _lazy()
    from latex2sympy2_extended import latex2sympy

    try:
        expr = latex2sympy(s, normalization_config=None)
    except Exception:  # noqa: BLE001 - sympy/ANTLR raise anything
        expr = None
    if expr is None:
        try:
            from sympy.parsing.sympy_parser import (
                convert_xor,
                implicit_multiplication_application,
                parse_expr,
                standard_transformations,
            )

            if re.fullmatch(r"[\w\s+\-*/^().]+", s) and not re.search(r"__|import|lambda", s):
                expr = parse_expr(s, transformations=standard_transformations
                                  + (implicit_multiplication_application, convert_xor), evaluate=True)
        except Exception:  # noqa: BLE001 - sympy/ANTLR raise anything
            expr = None
    return expr


def _close(va, vb) -> bool:
    """Two evaluated sympy numbers agree to ~1e-9 relative; infinities only equal themselves."""
    sp = _lazy()
    if not (va.is_number and vb.is_number):
        return False
    if va.has(sp.oo, -sp.oo, sp.zoo, sp.nan) or vb.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return va == vb
    scale = sp.Max(1, sp.Abs(va), sp.Abs(vb))
    return bool(sp.Abs(va - vb) <= sp.Float("1e-9", 30) * scale)


def _numeric_close(a, b) -> bool:
    """Cheap refutation before simplify: evaluate at a few random rational points."""
    sp = _lazy()
    try:
        syms = sorted(a.free_symbols | b.free_symbols, key=str)
        if not syms:
            return _close(sp.N(a, 30), sp.N(b, 30))
        import random

        rnd = random.Random(0)
        for _ in range(3):
            sub = {x: sp.Rational(rnd.randint(2, 97), rnd.randint(3, 41)) for x in syms}
            if not _close(sp.N(a.subs(sub), 30), sp.N(b.subs(sub), 30)):
                return False
        return True
    except Exception:  # noqa: BLE001 - sympy/ANTLR raise anything
        return False


def sympy_equal(a, b) -> bool:
    sp = _lazy()
    if a is None or b is None:
        return False
    try:
        if a == b:
            return True
        if isinstance(a, sp.Equality) and isinstance(b, sp.Equality):
            return sympy_equal(a.lhs - a.rhs, b.lhs - b.rhs) or sympy_equal(a.lhs - a.rhs, b.rhs - b.lhs) or (
                _ratio_const(a.lhs - a.rhs, b.lhs - b.rhs))
        if isinstance(a, (sp.Equality, sp.logic.boolalg.Boolean)) or isinstance(b, (sp.Equality,
                                                                                      sp.logic.boolalg.Boolean)):
            return False
        if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
            if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
                return False
            return all(sympy_equal(x, y) for x, y in zip(a, b))
        if not (isinstance(a, sp.Expr) and isinstance(b, sp.Expr)):
            return False
        if not _numeric_close(a, b):
            return False
        if not (a.free_symbols or b.free_symbols):
            d = a - b  # exact where sympy can: 2^2008 vs 2^2008-2 differ although they agree to 30 digits
            if d.is_Rational or d.is_zero is not None:
                return bool(d.is_zero)
            return _close(sp.N(d, 60), sp.Integer(0))
        d = sp.simplify(a - b)
        return d == 0 or (not d.free_symbols and _close(sp.N(d, 30), sp.Integer(0)))
    except Exception:  # noqa: BLE001 - sympy/ANTLR raise anything
        return False


def _ratio_const(d1, d2) -> bool:
    sp = _lazy()
    try:
        r = sp.simplify(d1 / d2)
        return bool(r.free_symbols == set() and r != 0 and r.is_finite)
    except Exception:  # noqa: BLE001 - sympy/ANTLR raise anything
        return False


def symbolic_equal(pred: str, gold: str) -> bool:
    """True when both strings parse and their sympy objects are equal."""
    return sympy_equal(to_sympy(pred), to_sympy(gold))


def equations_equal(ea: list[str], eb: list[str]) -> bool:
    """`l1 = r1` vs `l2 = r2`: same equation up to a non-zero constant factor (or swapped sides)."""
    sides = [to_sympy(x) for x in (*ea, *eb)]
    if any(x is None for x in sides):
        return False
    sp = _lazy()
    try:
        d1, d2 = sp.sympify(sides[0] - sides[1]), sp.sympify(sides[2] - sides[3])
    except Exception:  # noqa: BLE001 - sympy/ANTLR raise anything
        return False
    if not (d1.free_symbols or d2.free_symbols):
        # Arithmetic like `900 / 2 = 400`: no unknowns, so "same up to a factor" is meaningless
        # (any two non-zero constants are proportional); the stated results must agree.
        return sympy_equal(sides[1], sides[3])
    return sympy_equal(d1, d2) or sympy_equal(d1, -d2) or _ratio_const(d1, d2)


def _as_set(st):
    sp = _lazy()
    if st.kind == "union":
        parts = [_as_set(x) for x in st.items]
        return None if any(p is None for p in parts) else sp.Union(*parts)
    if st.kind in ("interval", "tuple") and len(st.items) == 2:
        lo, hi = (to_sympy(x) for x in st.items)
        if lo is None or hi is None or not (lo.is_real or lo.is_infinite) or not (hi.is_real or hi.is_infinite):
            return None
        if not bool(lo < hi):  # `(8,-3)` is an ordered pair, not an empty interval
            return None
        return sp.Interval(lo, hi, left_open=st.left == "(", right_open=st.right == ")")
    return None


def sets_equal(sa, sb) -> bool:
    """Intervals / unions as real sets: `(-oo,-1] U [-1,3] U (3,oo)` equals `(-oo,oo)`."""
    try:
        a, b = _as_set(sa), _as_set(sb)
        return a is not None and b is not None and bool(a == b)
    except Exception:  # noqa: BLE001 - sympy/ANTLR raise anything
        return False
