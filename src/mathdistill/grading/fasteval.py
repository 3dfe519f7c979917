"""Fast randomized identity test for LaTeX expressions, without sympy.

A small recursive-descent evaluator covers the LaTeX that most answers use (numbers, letters as
variables, + - * / ^, implicit products, \\frac, \\sqrt, \\sqrt[n], \\pi, e, i, \\binom, !, trig/log).
Both sides are evaluated at the same random rational points: exact Fractions while the
arithmetic stays rational (polynomial identity testing), complex floats otherwise. Anything the
parser does not know returns None and the caller falls back to sympy.
"""

from __future__ import annotations

import cmath
import math
import re
from fractions import Fraction

_KNOWN = ("arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|cot|sec|csc|ln|log|exp|pi|alpha|beta|gamma|delta"
          "|theta|varphi|phi|lambda|mu|omega|sigma|rho|tau|psi|varepsilon|epsilon|xi|eta|zeta|nu|kappa")
_TOKEN_RE = re.compile(r"\\(?:" + _KNOWN + r")(?![a-zA-Z]*(?:matrix|ft|ght))|\\[a-zA-Z]+|\d+\.\d*|\.\d+|\d+|[a-zA-Z]|\S")
_FUNCS = {
    "\\sin": cmath.sin, "\\cos": cmath.cos, "\\tan": cmath.tan, "\\cot": lambda z: 1 / cmath.tan(z),
    "\\sec": lambda z: 1 / cmath.cos(z), "\\csc": lambda z: 1 / cmath.sin(z), "\\ln": cmath.log,
    "\\log": cmath.log, "\\exp": cmath.exp, "\\arcsin": cmath.asin, "\\arccos": cmath.acos,
    "\\arctan": cmath.atan, "\\sinh": cmath.sinh, "\\cosh": cmath.cosh, "\\tanh": cmath.tanh,
}
_VARS = list("abcdfghjklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") + [
    "\\" + g for g in ("alpha", "beta", "gamma", "delta", "theta", "phi", "varphi", "lambda", "mu", "omega",
                         "sigma", "rho", "tau", "psi", "epsilon", "varepsilon", "xi", "eta", "zeta", "nu", "kappa")]
_POINTS = [
    {c: Fraction(7 + 3 * k, 5 + (k % 7)) for k, c in enumerate(_VARS)},
    {c: Fraction(-(11 + 5 * k), 13 + (k % 5)) for k, c in enumerate(_VARS)},
]
_MAX_BITS = 4000


class _Unsupported(Exception):
    pass


def _num(v):
    if isinstance(v, Fraction):
        if v.numerator.bit_length() > _MAX_BITS or v.denominator.bit_length() > _MAX_BITS:
            raise _Unsupported("too big")
        return v
    if isinstance(v, complex | float) and not cmath.isfinite(complex(v)):
        raise _Unsupported("inf")
    return complex(v)


def _pow(b, e):
    if isinstance(b, Fraction) and isinstance(e, Fraction) and e.denominator == 1:
        if abs(e) > 512 or (b.numerator.bit_length() + b.denominator.bit_length()) * abs(e) > _MAX_BITS:
            raise _Unsupported("too big")
        if b == 0 and e < 0:
            raise _Unsupported("0^-n")
        return b ** int(e)
    b, e = complex(b), complex(e)
    if b == 0:
        raise _Unsupported("0^x")
    return _num(cmath.exp(e * cmath.log(b)))


class _Parser:
    def __init__(self, s: str, env: dict):
        self.t = _TOKEN_RE.findall(s)
        self.i = 0
        self.env = env

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, tok=None):
        cur = self.peek()
        if cur is None or (tok is not None and cur != tok):
            raise _Unsupported(f"expected {tok}")
        self.i += 1
        return cur

    def run(self):
        v = self.expr()
        if self.i != len(self.t):
            raise _Unsupported("trailing")
        return v

    def expr(self):
        v = self.term()
        while self.peek() in ("+", "-"):
            v = _num(v + self.term()) if self.take() == "+" else _num(v - self.term())
        return v

    def term(self):
        v = self.unary()
        while True:
            p = self.peek()
            if p in ("*", "\\cdot", "\\times"):
                self.take()
                v = _num(v * self.unary())
            elif p in ("/", "\\div"):
                self.take()
                d = self.unary()
                if d == 0:
                    raise _Unsupported("div0")
                v = _num(v / d)
            elif p is not None and (p[0].isalnum() or p in ("(", "{", ".") or (p[0] == "\\" and p not in (
                    "\\cdot", "\\times", "\\div"))):
                v = _num(v * self.power())
            else:
                return v

    def unary(self):
        if self.peek() == "-":
            self.take()
            return _num(-self.unary())
        if self.peek() == "+":
            self.take()
        return self.power()

    def power(self):
        b = self.atom()
        while self.peek() == "!":
            self.take()
            if not (isinstance(b, Fraction) and b.denominator == 1 and 0 <= b <= 300):
                raise _Unsupported("factorial")
            b = Fraction(math.factorial(int(b)))
        if self.peek() == "^":
            self.take()
            return _pow(b, self.exponent())
        return b

    def exponent(self):
        p = self.peek()
        if p == "{":
            return self.group()
        if p == "-":
            self.take()
            return -self.exponent()
        if p is not None and p.isdigit():
            self.take()
            return Fraction(int(p[0])) if len(p) == 1 else _pow_digits(self, p)
        return self.atom()

    def group(self, open_="{", close="}"):
        self.take(open_)
        v = self.expr()
        self.take(close)
        return v

    def atom(self):
        p = self.take()
        if p[0].isdigit() or p[0] == ".":
            return Fraction(p)
        if p == "(":
            return self.group_after("(", ")")
        if p == "{":
            return self.group_after("{", "}")
        if len(p) == 1 and p.isalpha():
            if p == "i":
                return 1j
            if p == "e":
                return complex(math.e)
            if p not in self.env:
                raise _Unsupported("var")
            return self.env[p]
        if p == "\\pi":
            return complex(math.pi)
        if p in self.env:
            return self.env[p]
        if p in ("\\frac", "\\dfrac", "\\tfrac"):
            n, d = self.group(), self.group()
            if d == 0:
                raise _Unsupported("div0")
            return _num(n / d)
        if p == "\\sqrt":
            idx = Fraction(2)
            if self.peek() == "[":
                idx = self.group("[", "]")
            arg = self.group() if self.peek() == "{" else self.atom()
            if isinstance(arg, Fraction) and arg >= 0 and idx == 2:
                r = math.isqrt(arg.numerator), math.isqrt(arg.denominator)
                if r[0] ** 2 == arg.numerator and r[1] ** 2 == arg.denominator:
                    return Fraction(r[0], r[1])
            return _pow(complex(arg), 1 / complex(idx))
        if p == "\\binom":
            n, k = self.group(), self.group()
            if not all(isinstance(x, Fraction) and x.denominator == 1 and 0 <= x <= 1000 for x in (n, k)):
                raise _Unsupported("binom")
            return Fraction(math.comb(int(n), int(k)))
        if p in _FUNCS:
            base = None
            if p == "\\log" and self.peek() == "_":
                self.take()
                base = self.group() if self.peek() == "{" else self.atom()
            power = None
            if self.peek() == "^":
                self.take()
                power = self.exponent()
            if self.peek() in ("(", "{"):
                arg = self.group_after(self.take(), ")" if self.t[self.i - 1] == "(" else "}")
            else:
                arg = self.power()
                while self.peek() is not None and (self.peek()[0].isalpha() and len(self.peek()) == 1):
                    arg = _num(arg * self.power())
            v = _num(_FUNCS[p](complex(arg)))
            if base is not None:
                v = _num(v / cmath.log(complex(base)))
            return _pow(v, power) if power is not None else v
        raise _Unsupported(p)

    def group_after(self, open_, close):
        v = self.expr()
        self.take(close)
        return v


def _pow_digits(parser: _Parser, tok: str):
    """`x^23` in LaTeX is x^2 * 3: keep the first digit, push the rest back as a token."""
    parser.t.insert(parser.i, tok[1:])
    return Fraction(int(tok[0]))


def evaluate(s: str, point: int = 0):
    """Value of expression `s` at random point `point`, or None if unsupported / undefined."""
    if not s or len(s) > 300 or "\\infty" in s:
        return None
    try:
        return _Parser(s, _POINTS[point]).run()
    except (_Unsupported, ZeroDivisionError, OverflowError, ValueError, TypeError, IndexError, RecursionError):
        return None


def evaluate_at(s: str, env: dict):
    """Value of `s` with the variables of `env` (name -> Fraction) bound; None if unsupported / undefined."""
    if not s or len(s) > 300 or "\\infty" in s:
        return None
    try:
        return _Parser(s, env).run()
    except (_Unsupported, ZeroDivisionError, OverflowError, ValueError, TypeError, IndexError, RecursionError):
        return None


def _same(a, b) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    a, b = complex(a), complex(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def fast_equal(a: str, b: str) -> bool | None:
    """True/False when both sides evaluate at every test point; None when undecided."""
    has_vars = bool(_VAR_RE.search(_CMD_RE.sub(_keep_greek, a + b)))
    for k in range(len(_POINTS) if has_vars else 1):
        va, vb = evaluate(a, k), evaluate(b, k)
        if va is None or vb is None:
            return None
        if not _same(va, vb):
            return False
    return True


_CMD_RE = re.compile(r"\\[a-zA-Z]+")
_VAR_RE = re.compile(r"[a-df-hj-zA-Z]")


def _keep_greek(m: re.Match) -> str:
    return "x" if m.group(0) in _POINTS[0] else " "
