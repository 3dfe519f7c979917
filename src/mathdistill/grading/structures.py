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


_REV_INEQ_RE = re.compile(r"^(.+?)(<|\\le|>|\\ge)\s*([a-zA-Z])$")
_FLIP = {"<": ">", ">": "<", "\\le": "\\ge", "\\ge": "\\le"}
_INEQ_RE = re.compile(r"^(?:(.+?)(<|\\le)|)\s*([a-zA-Z])\s*(<|\\le|>|\\ge)(.+)$")


def _inequality(s: str) -> Struct | None:
    """x<3 -> (-inf,3); 1<x\\le2 -> (1,2]; x\\ge5 -> [5,inf)."""
    m = _INEQ_RE.match(s)
    if not m:
        r = _REV_INEQ_RE.match(s)  # `3 < x` is `x > 3`
        if r is None or re.search(r"<|>|\\le|\\ge", r.group(1)):
            return None
        return _inequality(f"{r.group(3)}{_FLIP[r.group(2)]}{r.group(1)}")
    lo, lop, _var, op, hi = m.groups()
    if re.search(r"<|>|\\le|\\ge", hi):
        return None
    if lo is not None:
        if op not in ("<", "\\le"):
            return None
        return Struct("interval", (lo, hi), "(" if lop == "<" else "[", ")" if op == "<" else "]")
    if op in ("<", "\\le"):
        return Struct("interval", ("-\\infty", hi), "(", ")" if op == "<" else "]")
    return Struct("interval", (hi, "\\infty"), "(" if op == ">" else "[", ")")


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
    items = split_top(s)
    if len(items) == 1:
        items = split_top(s, ";")
    if len(items) >= 2:
        return Struct("list", tuple(i for i in items if i))
    if "\\pm" in s and s.count("\\pm") == 1:
        a, b = s.split("\\pm")
        return Struct("list", (f"{a}+{b}" if a else b, f"{a}-{b}" if a else f"-{b}"))
    return _inequality(s)


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
