"""De-duplication of correct samples: exact / whitespace, and RFT's equation-signature rule.

RFT (methods.md 2.2) keeps, for each question, one path per *equation signature* and,
among paths sharing a signature, the one farthest (summed character Levenshtein distance)
from the other kept paths. GSM8K-style paths carry `<<expr=result>>` calculator
annotations; MATH-style LaTeX has none, so the signature of a LaTeX path is defined here as:

    the ordered list of math segments ($...$, $$...$$, \\(...\\), \\[...\\]) that contain
    "=", each normalised (whitespace, \\left/\\right, thin spaces removed; \\dfrac/\\tfrac
    -> \\frac), joined with "|".

A `$...$` that reads as prose ("costs $5 and then $8") is taken for two currency signs.
A path with `<<...>>` annotations uses those instead (RFT's exact rule); a path with no
LaTeX equation uses its plain-text arithmetic ("16 - 3 - 4 = 9", GSM8K-style answers). A
path without any equation has the empty signature, so (as in RFT) at most one such path
survives per question.

RFT's validity check evaluated each annotation's left side with Python `eval` and dropped the
path when an annotation had no "=", did not evaluate, or its result was off by 1e-3 or more;
`<<...>>` annotations are held to that rule here. Model text is never eval'ed: `safe_arith`
parses with `ast` and accepts only numbers, + - * / // % ** and parentheses, with size limits.
LaTeX and plain-text equations (no annotations) are checked leniently: only when both sides
translate to such plain arithmetic; anything else (variables, functions) is not checked.
"""

from __future__ import annotations

import ast
import itertools
import operator
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from rapidfuzz.distance import Levenshtein

T = TypeVar("T")

# ---------------------------------------------------------------- exact / whitespace


def normalize_ws(text: str) -> str:
    return " ".join(text.split())


def dedup_exact(items: Iterable[T], key: Callable[[T], tuple[str, str]]) -> tuple[list[T], int]:
    """Keep the first item for each (group, whitespace-normalised text); return (kept, n_dropped)."""
    seen: set[tuple[str, str]] = set()
    kept, dropped = [], 0
    for it in items:
        g, text = key(it)
        k = (g, normalize_ws(text))
        if k in seen:
            dropped += 1
            continue
        seen.add(k)
        kept.append(it)
    return kept, dropped


# ---------------------------------------------------------------- safe arithmetic

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNOPS = {ast.UAdd: operator.pos, ast.USub: operator.neg}
MAX_EXPR_CHARS = 200
MAX_NODES = 100
MAX_ABS = 1e15


class _Reject(Exception):
    pass


def safe_arith(expr: str) -> float | None:
    """Value of a plain arithmetic expression, or None if it is not one (or too big)."""
    # "_" would be read as a digit separator: 1111_2 (a base-2 subscript) is not 11112.
    if len(expr) > MAX_EXPR_CHARS or "_" in expr:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        return None
    try:
        v = _ev(tree.body)
    except (_Reject, ArithmeticError, ValueError):
        return None
    return float(v)


def _ev(n: ast.AST) -> float:
    if isinstance(n, ast.Constant) and type(n.value) in (int, float):
        return n.value
    if isinstance(n, ast.UnaryOp) and type(n.op) in _UNOPS:
        return _UNOPS[type(n.op)](_ev(n.operand))
    if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
        a, b = _ev(n.left), _ev(n.right)
        # Bound exponentiation before computing it: 9**9**9 must not hang the process.
        if isinstance(n.op, ast.Pow) and (abs(b) > 64 or abs(a) > 1e6):
            raise _Reject
        v = _BINOPS[type(n.op)](a, b)
        if isinstance(v, complex) or abs(v) > MAX_ABS:
            raise _Reject
        return v
    raise _Reject


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_INT_DIV = re.compile(r"\(*(\d+)\)*/\(*([1-9]\d*)\)*")


def equation_holds(eq: str, tol: float = 1e-3) -> bool | None:
    """RFT check of 'lhs=rhs': True/False when both sides are arithmetic, None when not checkable."""
    if "=" not in eq:
        return None
    lhs, rhs = eq.split("=", 1)
    a, b = safe_arith(_THOUSANDS.sub("", lhs)), safe_arith(_THOUSANDS.sub("", rhs))
    if a is None or b is None:
        return None
    if abs(a - b) < tol:
        return True
    # "100/3 = 33" is how number-theory solutions write an integer quotient (remainder
    # given in words): not an arithmetic error, so not checkable.
    m = _INT_DIV.fullmatch(_THOUSANDS.sub("", lhs).strip())
    if m and b == int(m.group(1)) // int(m.group(2)):
        return None
    return False


# ---------------------------------------------------------------- equation signatures

_CALC_RE = re.compile(r"<<([^>]*)>>")
_MATH_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.DOTALL)
_NOISE_RE = re.compile(r"\\left|\\right|\\[,;:! ]|\s+")
_FRAC_RE = re.compile(r"\\[dt]frac")


def _norm_eq(s: str) -> str:
    return _FRAC_RE.sub(r"\\frac", _NOISE_RE.sub("", s))


_PROSE_RE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}\s+[a-zA-Z]{2,}(?![a-zA-Z])")
_TEXT_RE = re.compile(r"\\(?:text|mbox|mathrm)\{[^{}]*\}")
# Plain-text arithmetic ("16 - 3 - 4 = 9"), for paths that write no LaTeX (GSM8K-style).
_NUM = r"\(*\d+(?:\.\d+)?\)*"
_OP = r"[ \t]*(?:\*\*|[-+*/×÷^])[ \t]*"
_PLAIN_RE = re.compile(
    rf"(?<![\w.^=*/+\-×÷)]){_NUM}(?:{_OP}{_NUM})+[ \t]*=[ \t]*-?{_NUM}(?:{_OP}{_NUM})*(?!\.?\d|[\w^(]|[ \t]*[-+*/×÷^])"
)


def _math_segments(text: str) -> list[str]:
    """Raw equation strings of a path: calculator annotations, else LaTeX math segments with
    "=" (a `$...$` that reads as prose is two currency signs, not maths), else plain arithmetic."""
    calc = _CALC_RE.findall(text)
    if calc:
        return calc
    out = []
    for m in _MATH_RE.finditer(text):
        seg = next(g for g in m.groups() if g is not None)
        if "=" in seg and not _PROSE_RE.search(_TEXT_RE.sub("", seg)):
            out.append(seg)
    if out:
        return out
    plain = _THOUSANDS.sub("", text.replace("$", ""))
    return [m.group(0) for m in _PLAIN_RE.finditer(plain)]


def equations(text: str) -> list[str]:
    """The equations that make up a path's signature (see module docstring)."""
    return [_norm_eq(seg).replace("×", "*").replace("÷", "/") for seg in _math_segments(text)]


def signature(text: str) -> str:
    return "|".join(equations(text))


_LATEX_ARITH = [
    (re.compile(r"\\frac\{([^{}]+)\}\{([^{}]+)\}"), r"((\1)/(\2))"),
    (re.compile(r"\\(?:times|cdot)"), "*"),
    (re.compile(r"\\div"), "/"),
    (re.compile(r"\^\{([^{}]+)\}"), r"**(\1)"),
    (re.compile(r"\^"), "**"),
    (re.compile(r"[{}]"), lambda m: "(" if m.group(0) == "{" else ")"),
]


def latex_to_arith(s: str) -> str:
    for rx, rep in _LATEX_ARITH:
        s = rx.sub(rep, s)
    return s


# Separators between several equations in one math segment ("a=1, b=2", "\\quad", aligned rows).
_SPLIT_RE = re.compile(r",\s+|;|\\q?quad|\\\\|\\(?:text|mbox)\{\s*(?:and|or)\s*\}")


def calc_annotation_holds(ann: str, tol: float = 1e-3) -> bool:
    """RFT's check of one `<<lhs=result>>` body: it has "=", the left side evaluates (restricted
    arithmetic, thousands commas allowed) and the right side is a number within `tol` of it."""
    if "=" not in ann:
        return False
    lhs, rhs = ann.split("=", 1)
    a = safe_arith(_THOUSANDS.sub("", lhs))
    try:
        b = float(_THOUSANDS.sub("", rhs))
    except ValueError:
        return False
    return a is not None and abs(a - b) < tol


def _checkable(text: str) -> list[str]:
    out = []
    for seg in _math_segments(text):
        parts = _SPLIT_RE.split(seg.replace("×", "\\times").replace("÷", "\\div"))
        out += [latex_to_arith(_norm_eq(part.replace("&", ""))) for part in parts if "=" in part]
    return out


def path_is_valid(text: str) -> bool:
    """RFT's filter. A path with `<<...>>` annotations is valid iff every one holds
    (`calc_annotation_holds`, RFT's strict rule); otherwise it is invalid iff some checkable
    equation is arithmetically wrong, chains 'a=b=c' checked link by link.
    """
    calc = _CALC_RE.findall(text)
    if calc:
        return all(calc_annotation_holds(c.replace(" ", "")) for c in calc)
    for eq in _checkable(text):
        parts = eq.split("=")
        for lhs, rhs in itertools.pairwise(parts):
            if equation_holds(f"{lhs}={rhs}") is False:
                return False
    return True


# ---------------------------------------------------------------- RFT farthest selection


def rft_select(
    paths: Sequence[T], text: Callable[[T], str], *, check_equations: bool = True
) -> tuple[list[T], dict]:
    """RFT's greedy selection over one question's correct paths, in the given order.

    Returns (kept paths, counters {"invalid": n, "same_signature": n, "replaced": n}).
    """
    kept: list[T] = []
    keys: list[str] = []
    counts = {"invalid": 0, "same_signature": 0, "replaced": 0}
    for q in paths:
        tq = text(q)
        if check_equations and not path_is_valid(tq):
            counts["invalid"] += 1
            continue
        sig = signature(tq)
        if sig not in keys:
            kept.append(q)
            keys.append(sig)
            continue
        counts["same_signature"] += 1
        j = keys.index(sig)
        tp = text(kept[j])
        others = [text(r) for i, r in enumerate(kept) if i != j]
        score_p = sum(Levenshtein.distance(tp, r) for r in others)
        score_q = sum(Levenshtein.distance(tq, r) for r in others)
        if score_q > score_p:
            kept[j] = q
            counts["replaced"] += 1
    return kept, counts
