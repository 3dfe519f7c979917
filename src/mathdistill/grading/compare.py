"""`is_equivalent`: the comparison cascade, cheapest first; sympy only at the very end.

1. normalised string equality; word answers (`Friday`, `yes`/`no` as whole words) only as words;
0. clock times with a.m./p.m. against 24-hour times (times.py); `exact \\approx decimal` is equal when
   either side is (the exact value first);
2. numeric values (exact fractions; percent convention in numeric.py), then the tolerance policy for a long
   decimal against a value no finite decimal writes (decimals.py): decisive when both sides are numbers;
3. structures (tuples / sets / lists / intervals / matrices) elementwise through this cascade, interval
   unions also as real sets;
4. equations (`x = 3` vs `3`; `2x+3y=6` vs `4x+6y=12`), times and ratios, bases (`1011_2` vs `1011`);
5. a number never equals an expression with a free variable (`2x` vs `2`);
6. fasteval.py: randomized identity test without sympy; 7. symbolic.py (sympy), imported lazily.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mathdistill.grading.deadline import GradingTimeout, time_limit
from mathdistill.grading.decimals import approx_equal
from mathdistill.grading.fasteval import evaluate, fast_equal
from mathdistill.grading.normalize import normalize
from mathdistill.grading.numeric import PERCENT_MODES, number_values, values_equal
from mathdistill.grading.structures import parse_struct, split_top, struct_equal
from mathdistill.grading.times import times_equal

_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z '\-]*$")
_BASE_RE = re.compile(r"^([0-9A-Fa-f]+)_(\d+)$")
_VAR_LHS = re.compile(r"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?'*(?:\([a-z,]*\))?$|^[a-zA-Z]{1,3}$")
_REL = re.compile(r"<|>|\\le|\\ge|\\ne")
_LETTER = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]")


DEFAULT_TIMEOUT_S = 5.0


def is_equivalent(pred: str | None, gold: str | None, *, percent: str = "either",
                  timeout_s: float | None = DEFAULT_TIMEOUT_S) -> bool:
    """True when `pred` and `gold` denote the same final answer (symmetric). `percent`: how a literal
    `%` reads, "either" (x or x/100), "number" (x) or "fraction" (x/100); see numeric.py.
    `timeout_s` bounds the comparison in this process (deadline.py, main thread): an undecided one is
    False. Use `equivalent_or_timeout` to tell the two apart."""
    return equivalent_or_timeout(pred, gold, percent=percent, timeout_s=timeout_s)[0]


def equivalent_or_timeout(pred: str | None, gold: str | None, *, percent: str = "either",
                          timeout_s: float | None = DEFAULT_TIMEOUT_S) -> tuple[bool, bool]:
    """(equivalent, timed out) for `is_equivalent`'s comparison."""
    if pred is None or gold is None:
        return False, False
    if percent not in PERCENT_MODES:
        raise ValueError(f"percent must be one of {PERCENT_MODES}, got {percent!r}")
    try:
        with time_limit(timeout_s):
            return _equiv(str(pred), str(gold), percent), False
    except GradingTimeout:
        return False, True


_NAME_RE = re.compile(r"^\s*(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\s*$")


def _approx_sides(s: str) -> list[str]:
    """`\\frac{\\sqrt{91}}{3} \\approx 3.18`: the exact value and its approximation, each a candidate."""
    parts = [p.strip() for p in s.split("\\approx")]
    return [p for p in parts if p and not _NAME_RE.match(p)] or [s]


@lru_cache(maxsize=1 << 16)
def _equiv(pred: str, gold: str, pct: str = "either") -> bool:
    if "\\approx" in pred or "\\approx" in gold:
        ps, gs = _approx_sides(pred), _approx_sides(gold)
        if len(ps) > 1 or len(gs) > 1:
            return any(_equiv(p, g, pct) for p in ps for g in gs)
    if ":" in pred and ":" in gold and (t := times_equal(pred, gold)) is not None:
        return t
    a, b = normalize(pred), normalize(gold)
    if _equiv_norm(a, b, 0, pct):
        return True
    # `81,256` is a thousands number or a list; when the other side is a list, read it as one too
    if _THOUSANDS.search(pred + " " + gold) and (", " in pred or ", " in gold):
        a2, b2 = normalize(pred.replace(",", ", ")), normalize(gold.replace(",", ", "))
        if (a2, b2) != (a, b):
            return _equiv_norm(a2, b2, 0, pct)
    return False


def _exact_value(s: str):
    """Value of a constant expression for the tolerance policy: Fraction, float/complex, or None."""
    v = number_values(s)
    if v is not None:
        return v[0]
    if re.search(r"[a-df-hj-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", s)):
        return None  # free variables
    return evaluate(s)


def _equiv_norm(a: str, b: str, depth: int, pct: str = "either") -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    wa, wb = _is_text(a), _is_text(b)
    if wa or wb or a in ("yes", "no") or b in ("yes", "no"):
        return a.lower() == b.lower()  # words are compared as words, never as products of letters
    va, vb = number_values(a, pct), number_values(b, pct)
    if va is not None and vb is not None and values_equal(va, vb):
        return True
    if (va is None or vb is None or "." in a + b) and (tol := approx_equal(a, b, _exact_value)) is not None:
        return tol
    if va is not None and vb is not None:
        return False
    sa, sb = parse_struct(a), parse_struct(b)
    if sa is not None and sb is not None:
        if struct_equal(sa, sb, lambda x, y: depth < 4 and _equiv_norm(normalize(x), normalize(y), depth + 1, pct)):
            return True
        if "union" in (sa.kind, sb.kind) and {sa.kind, sb.kind} <= {"interval", "union", "tuple"}:
            from mathdistill.grading.symbolic import sets_equal  # [a,b] \cup [b,c] == [a,c]

            return sets_equal(sa, sb)
        return False
    ea, eb = _eq_sides(a), _eq_sides(b)
    if ea or eb:
        return _equations(a, b, ea, eb, depth, pct)
    if sa is not None or sb is not None:
        # `\{1\}` or a one-element list equals its element; otherwise a structure never equals a scalar
        one, other = (sa, b) if sa is not None else (sb, a)
        if one.kind in ("set", "list") and len({normalize(x) for x in one.items}) == 1:  # `-1,-1` is -1
            return _equiv_norm(normalize(one.items[0]), other, depth + 1, pct)
        return False
    if ":" in a or ":" in b:  # times compare as strings; a ratio `1:2` also equals its quotient
        ra, rb = _ratio(a), _ratio(b)
        if not (ra or rb) or _TIME_RE.match(a) or _TIME_RE.match(b):
            return (ra or a) == (rb or b)
        return _equiv_norm(ra or a, rb or b, depth + 1, pct)
    ma, mb = _BASE_RE.match(a), _BASE_RE.match(b)
    if ma or mb:
        da = ma.group(1) if ma else a
        db = mb.group(1) if mb else b
        if ma and mb and ma.group(2) != mb.group(2):
            return False
        return da.lower() == db.lower()
    if va is not None or vb is not None:
        # one side numeric: sympy only if the other side looks like an evaluable expression
        other = b if va is not None else a
        if not re.search(r"\\(?:frac|sqrt|pi|cdot|times|div|log|ln|sin|cos|tan|cot|sec|csc|binom|exp)|[*/^+\-!]"
                         r"|\d\(|^[ei]$", other):
            return False
        if re.search(r"[a-df-hj-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", other)):
            return False  # free variable (`2x` vs `2`); e and i are constants
    fast = fast_equal(a, b)
    if fast is not None:
        return fast
    from mathdistill.grading.symbolic import symbolic_equal

    return symbolic_equal(a, b)


_THOUSANDS = re.compile(r"\d,\d{3}(?!\d)")
_TIME_RE = re.compile(r"^\d{1,2}:\d\d(?::\d\d)?$")


def _ratio(s: str) -> str | None:
    parts = s.split(":")
    if len(parts) == 2 and all(number_values(p) for p in parts) and not _TIME_RE.match(s):
        return f"\\frac{{{parts[0]}}}{{{parts[1]}}}"
    return None


def _is_text(s: str) -> bool:
    """A word answer (`Friday`, `neither`, `north`): 4+ letters, no LaTeX."""
    return len(s) >= 4 and bool(_WORD_RE.match(s)) and not re.fullmatch(r"[a-zA-Z]{1,3}", s)


def _eq_sides(s: str) -> list[str] | None:
    """Sides of an equation `l = r` (or a chain), None for anything else."""
    if "=" not in s or _REL.search(s):
        return None
    if len(split_top(s, ",")) > 1:
        return None  # `x=1,x=5` is a list of equations, not the chain `x = 1,x = 5`
    parts = split_top(s, "=")
    return parts if len(parts) >= 2 and all(parts) else None


def _strippable(sides: list[str]) -> bool:
    """`x = 3`, `f(x) = ...`, `a+2d = 3`: the LHS only names what the RHS gives."""
    lhs, rhs = sides[-2], sides[-1]
    if rhs.strip() == "0" and _LETTER.search(lhs) and not _VAR_LHS.match(lhs):
        return False  # `a + 3z = 0` is an equation (a plane, a curve), never the value 0
    rhs = re.sub(r"\\(?:begin|end)\{\w+\}|\\[a-zA-Z]+", "", rhs)
    return bool(_VAR_LHS.match(lhs)) or len(sides) > 2 or not _LETTER.search(rhs)


def _equations(a: str, b: str, ea: list[str] | None, eb: list[str] | None, depth: int, pct: str) -> bool:
    if ea and eb:
        if len(ea) == len(eb) == 2 and _VAR_LHS.match(ea[0]) and ea[0] == eb[0]:
            return _equiv_norm(ea[1], eb[1], depth + 1, pct)
        if len(ea) == len(eb) == 2:
            from mathdistill.grading.symbolic import equations_equal

            return equations_equal(ea, eb)
        return _equiv_norm(ea[-1], eb[-1], depth + 1, pct)
    sides, other = (ea, b) if ea else (eb, a)
    if not _strippable(sides):
        return False
    return _equiv_norm(sides[-1], other, depth + 1, pct)
