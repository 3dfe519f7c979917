"""Structured answers on normalised strings: tuples, sets, multiple answers, intervals and unions,
inequalities, matrices / vectors.

Order rules: `\\{a,b\\}` (set) and a bare `a, b` list (MATH's "enter all solutions") are unordered;
`(a,b)` ordered pairs / open intervals and `[a,b)` intervals are ordered and bracket types must
match (`[1,2)` != `[1,2]`). A column vector equals the tuple of its entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_MATRIX_RE = re.compile(
    r"^\\begin\{([pbBvV]?matrix|array|smallmatrix)\}(?:\{[^}]*\})?((?:(?!\\begin\{).)*)\\end\{\1\}$", re.DOTALL)
_TEXT_RE = re.compile(r"^[A-Za-z][A-Za-z '\-]{3,}$")


@dataclass(frozen=True)
class Struct:
    kind: str  # "tuple" | "interval" | "set" | "list" | "union" | "matrix"
    items: tuple  # element strings, or rows (tuples of strings) for matrices, or Structs for unions
    left: str = ""
    right: str = ""


def split_top(s: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside (), [], {} (LaTeX `\\{ \\}` included)."""
    out, depth, cur, i = [], 0, [], 0
    n, k = len(s), len(sep)
    while i < n:
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if depth == 0 and s.startswith(sep, i):
            out.append("".join(cur))
            cur = []
            i += k
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _balanced(inner: str) -> bool:
    depth = 0
    for c in inner:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


_FLIP = {"<": ">", ">": "<", "\\le": "\\ge", "\\ge": "\\le"}
_REL_SPLIT_RE = re.compile(r"(<|>|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z]))")
_ONE_LETTER_RE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z](?![a-zA-Z])")
_CMD_RE = re.compile(r"\\[a-zA-Z]+")


def _letters(s: str) -> set[str]:
    return set(_ONE_LETTER_RE.findall(_CMD_RE.sub(" ", s)))


def _fmt(v) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"


def _solve_linear(expr: str, var: str, bound: str, op: str) -> tuple[str, str] | None:
    """`expr op bound` with `expr` linear in `var` (`-x`, `2x+1`) -> (`var op' value`) as (op', value);
    None when `expr` is not linear with exact rational coefficients or `bound` is not a rational number."""
    from fractions import Fraction

    from mathdistill.grading.fasteval import evaluate_at

    f0, f1, f2 = (evaluate_at(expr, {var: Fraction(k)}) for k in (0, 1, 2))
    c = evaluate_at(bound, {})
    if not all(isinstance(v, Fraction) for v in (f0, f1, f2, c)):
        return None
    a = f1 - f0
    if a == 0 or f2 - f0 != 2 * a:
        return None
    return (op if a > 0 else _FLIP[op]), _fmt((c - f0) / a)


def _inequality(s: str) -> Struct | None:
    """x<3 -> (-inf,3); 1<x\\le2 -> (1,2]; x\\ge5 -> [5,inf); `3 < x` is `x > 3`; `-x > -1` is `x < 1`;
    `3 > x > -2` is `-2 < x < 3`; `-1 \\le 2x+1 < 5` is `-1 \\le x < 2`."""
    parts = _REL_SPLIT_RE.split(s)
    exprs, ops = [p.strip() for p in parts[0::2]], parts[1::2]
    if len(ops) not in (1, 2) or not all(exprs):
        return None
    letters = [_letters(e) for e in exprs]
    allv = set().union(*letters)
    if len(allv) > 1:
        allv -= {"e", "i"}
        letters = [x - {"e", "i"} for x in letters]
    if len(allv) != 1:
        return None
    var = next(iter(allv))
    where = [k for k, x in enumerate(letters) if var in x]
    if len(where) != 1:
        return None
    k = where[0]
    if len(ops) == 1:
        expr, op, bound = (exprs[0], ops[0], exprs[1]) if k == 0 else (exprs[1], _FLIP[ops[0]], exprs[0])
        if expr != var:
            solved = _solve_linear(expr, var, bound, op)
            if solved is None:
                return None
            op, bound = solved
        if op in ("<", "\\le"):
            return Struct("interval", ("-\\infty", bound), "(", ")" if op == "<" else "]")
        return Struct("interval", (bound, "\\infty"), "(" if op == ">" else "[", ")")
    if k != 1:
        return None
    lo, op1, expr, op2, hi = exprs[0], ops[0], exprs[1], ops[1], exprs[2]
    if op1 in (">", "\\ge") and op2 in (">", "\\ge"):  # `3 > x > -2`
        lo, op1, op2, hi = hi, _FLIP[op2], _FLIP[op1], lo
    elif not (op1 in ("<", "\\le") and op2 in ("<", "\\le")):
        return None
    if expr != var:
        a = _solve_linear(expr, var, lo, _FLIP[op1])  # lo < expr  <=>  expr > lo
        b = _solve_linear(expr, var, hi, op2)
        if a is None or b is None:
            return None
        if a[0] in ("<", "\\le"):  # a negative slope turns the chain round
            (op_hi, hi), (op_lo, lo) = a, b
        else:
            (op_lo, lo), (op_hi, hi) = a, b
        op1, op2 = _FLIP[op_lo], op_hi
    return Struct("interval", (lo, hi), "(" if op1 == "<" else "[", ")" if op2 == "<" else "]")


def _not_equal(s: str) -> Struct | None:
    """`x \\ne 2` is `(-\\infty,2) \\cup (2,\\infty)`."""
    m = re.fullmatch(r"([a-zA-Z])\\ne(?![a-zA-Z])(.+)", s)
    if m is None or _letters(m.group(2)) - {"e", "i"}:
        return None
    v = m.group(2).strip()
    return Struct("union", (Struct("interval", ("-\\infty", v), "(", ")"), Struct("interval", (v, "\\infty"), "(", ")")))


_HAS_REL_RE = re.compile(r"<|>|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z])|\\ne(?![a-zA-Z])")


def _relations_union(items: tuple) -> Struct | None:
    """`x < -1, x > 2` (normalised `x < -1 or x > 2`) is the union of the intervals it describes."""
    if not all(_HAS_REL_RE.search(i) for i in items):
        return None
    out = []
    for i in items:
        st = _inequality(i) or _not_equal(i)
        if st is None:
            return None
        out.extend(st.items if st.kind == "union" else (st,))
    return Struct("union", tuple(out))


@lru_cache(maxsize=1 << 14)
def parse_struct(s: str) -> Struct | None:
    """Struct for a normalised answer, or None for a scalar."""
    if not s:
        return None
    m = _MATRIX_RE.match(s)
    if m:
        rows = [r for r in m.group(2).split("\\\\") if r.strip()]
        return Struct("matrix", tuple(tuple(c.strip() for c in r.split("&")) for r in rows))
    if "\\cup" in s:
        parts = split_top(s, "\\cup")
        if len(parts) > 1:
            ps = [parse_struct(p) for p in parts]
            if all(p is not None and p.kind in ("interval", "tuple", "set") for p in ps):
                return Struct("union", tuple(ps))
    if s.startswith("\\{") and s.endswith("\\}") and _balanced(s[2:-2]):
        return Struct("set", tuple(split_top(s[2:-2])))
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and _balanced(s[1:-1]):
        items = split_top(s[1:-1])
        if len(items) >= 2:
            kind = "tuple" if (s[0], s[-1]) == ("(", ")") else "interval"
            return Struct(kind, tuple(items), s[0], s[-1])
    items = split_top(s, ";") if ";" in s else [s]  # `p=5,q=2; p=7,q=2`: `;` separates the answers
    if len(items) == 1:
        items = split_top(s)
    if len(items) >= 2:
        items = tuple(i for i in items if i)
        if _HAS_REL_RE.search(s) and (u := _relations_union(items)) is not None:
            return u  # `x < -1, x > 2`
        return Struct("list", items)
    if "\\pm" in s and s.count("\\pm") == 1:
        a, b = s.split("\\pm")
        return Struct("list", (f"{a}+{b}" if a else b, f"{a}-{b}" if a else f"-{b}"))
    if "\\ne" in s and (ne := _not_equal(s)) is not None:
        return ne
    return _inequality(s) if "<" in s or ">" in s or "\\" in s else None


def _col_vector(st: Struct) -> tuple | None:
    if st.kind == "matrix" and st.items and all(len(r) == 1 for r in st.items):
        return tuple(r[0] for r in st.items)
    if st.kind == "matrix" and len(st.items) == 1:
        return st.items[0]
    return None


def _ordered(a: tuple, b: tuple, eq) -> bool:
    return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))


def _unordered(a: tuple, b: tuple, eq) -> bool:
    a, b = list(dict.fromkeys(a)), list(dict.fromkeys(b))  # duplicates merged
    if len(a) != len(b):
        return False
    used = [False] * len(b)
    for x in a:
        for j, y in enumerate(b):
            if not used[j] and eq(x, y):
                used[j] = True
                break
        else:
            return False
    return True


def struct_equal(p: Struct, g: Struct, eq) -> bool:
    """Compare two structures; `eq(str, str)` compares elements."""
    if p.kind == "matrix" or g.kind == "matrix":
        if p.kind == g.kind == "matrix":
            return len(p.items) == len(g.items) and all(_ordered(r1, r2, eq) for r1, r2 in zip(p.items, g.items))
        m, o = (p, g) if p.kind == "matrix" else (g, p)
        vec = _col_vector(m)
        return vec is not None and o.kind in ("tuple", "list") and _ordered(vec, o.items, eq)
    if p.kind == "union" or g.kind == "union":
        if p.kind != g.kind:
            return False
        return _unordered(p.items, g.items, lambda x, y: struct_equal(x, y, eq))
    if p.kind == g.kind == "list" and all(_TEXT_RE.match(x) for x in p.items + g.items):
        return _ordered(p.items, g.items, eq)  # lists of names answer "in order ..." questions
    if p.kind in ("set", "list") and g.kind in ("set", "list"):
        return _unordered(p.items, g.items, eq)
    if {p.kind, g.kind} <= {"tuple", "interval"}:
        return p.left == g.left and p.right == g.right and _ordered(p.items, g.items, eq)
    if {p.kind, g.kind} == {"tuple", "list"}:
        return _ordered(p.items, g.items, eq)
    return False
