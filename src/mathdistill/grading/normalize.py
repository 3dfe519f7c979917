"""Pure string normalisation of a final answer (no sympy).

`normalize(s)` maps surface variants of one answer to one string: math delimiters, spacing
commands, `\\dfrac`/`\\tfrac`, `\\left`/`\\right`, `\\text{}` wrappers, units, currency, degrees,
thousands separators, unicode symbols, a variable LHS (`x = 3` -> `3`). It never changes the
value: `1.000` stays `1.000` (not 1000) and bracket types of intervals are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-",
    "\u00d7": r"\times ", "\u22c5": r"\cdot ", "\u00b7": r"\cdot ", "\u00f7": r"\div ",
    "\u03c0": r"\pi ", "\u221e": r"\infty ", "\u221a": r"\sqrt ", "\u00b0": r"^\circ ",
    "\u2264": r"\le ", "\u2265": r"\ge ", "\u2260": r"\ne ", "\u222a": r"\cup ", "\u2229": r"\cap ",
    "\u2208": r"\in ", "\u00bd": "1/2", "\u00bc": "1/4", "\u00be": "3/4", "\u2153": "1/3", "\u2154": "2/3",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "\u2032": "'", "\u2019": "'",
    "\uff0c": ",", "\u3002": ".", "\u00b2": "^2", "\u00b3": "^3", "\u2026": "...", "\u27e8": "\\langle ",
    "\u27e9": "\\rangle ", "\u211d": "\\mathbb{R}", "\u20ac": " ", "\u00a3": " ", "\u00a5": " ", "\u20b9": " ",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))

# Formatting commands whose braced argument is kept.
_WRAPPERS = r"\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mathsf|mathtt|mbox|hbox|operatorname|boldsymbol|bm|emph)"
_WRAP_RE = re.compile(_WRAPPERS + r"\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_DROP_RE = re.compile(
    r"(?<!\\)\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|limits|!|,|;|:| |quad|qquad"
    r"|hspace\{[^}]*\}|vspace\{[^}]*\}|phantom\{[^}]*\})(?![a-zA-Z])"
)
_UNITS = (
    "degrees?|deg|radians?|rad|units?|sq\\.?|square|cubic|cm|mm|km|meters?|metres?|centimeters?|millimeters?"
    "|kilometers?|inch(?:es)?|in\\.|feet|foot|ft|yards?|yd|miles?|mi|mph|kg|grams?|kilograms?|pounds?|lbs?|ounces?"
    "|oz|tons?|liters?|litres?|ml|gallons?|cups?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?"
    "|a\\.?m\\.?|p\\.?m\\.?|months?|years?|dollars?|cents?|euros?|people|persons?|students?|cookies|apples|marbles|ways|points?"
    "|dots|times|percent|per\\s*cent|sq\\s*units|square\\s*units|cubic\\s*units"
)
_UNIT_TAIL_RE = re.compile(r"(?<=[\d}.)])\s*(?:" + _UNITS + r")(?:\s*\^\s*\{?[23]\}?)?\.?\s*$", re.IGNORECASE)
# one-letter units only after a plain number (`5 m`), never after algebra (`\pi r^2 h`)
_LETTER_UNIT_RE = re.compile(r"^(-?[\d.,]+)\s*(?:m|s|h|l|g)(?:\s*\^\s*\{?[23]\}?)?\.?$")
_LHS_RE = re.compile(
    r"^\s*(?:[a-zA-Z](?:_\{?\w+\}?)?'*|\\[a-zA-Z]+|[a-zA-Z]\([a-z]\)|[A-Z]{2,3}|[a-z]\s*\+\s*[a-z]"
    r"|(?:the\s+)?(?:answer|value|result|sum|product|area|perimeter|volume|total)(?:\s+is)?)\s*(?:=|:|\\approx)\s*(?=\S)", re.IGNORECASE
)
_WORD_UNITS_RE = re.compile(r"^(.*?[\d}])\s+(?:[^\W\d_]{2,}(?:[^\W\d_]|[/'])*\.?)(?:\s+[^\W\d_]{2,}(?:[^\W\d_]|[/'])*\.?)*"
                            r"(?:\s*\^\s*\{?[23]\}?)?$")
_CJK_UNIT_RE = re.compile(r"(?<=[\d}])\s*[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]{1,4}\s*$")
_ASCII_REL = {">=": "\\ge ", "<=": "\\le ", "!=": "\\ne "}
_ASCII_REL_RE = re.compile(r"(?<![\\<>=!])(?:>=|<=|!=)(?![=<>])")
_TRIG_RE = re.compile(r"\\(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])")
_TRIG_DEG_RE = re.compile(r"(\d+(?:\.\d+)?)\s*\^\s*(?:\{\s*\\circ\s*\}|\\circ)")
_FRAC_BARE_RE = re.compile(r"\\frac(\\[a-zA-Z]+|[0-9a-zA-Z])(\\[a-zA-Z]+|[0-9a-zA-Z]|\{[^{}]*\})")
# `2\pi\text{ m}`, `3\text{ km/hr}`, `9\text{ o'clock}`: words in \text{} after a value are units
_TEXT_UNIT_RE = re.compile(r"^(.*?(?:[\d})]|\\pi))\s*\\(?:text|mbox|mathrm|textrm)\{\s*[a-zA-Z][a-zA-Z/'.\s]*\}"
                           r"(?:\s*\^\s*\{?[23]\}?)?\s*\.?$")
# `60\mathrm{~km} / \mathrm{h}`, `12\mathrm{~cm}^2`: a chain of unit words in \mathrm{} after a value
_UNIT_CMD_TAIL_RE = re.compile(r"(?<=[\d})])(?:\s*(?:/|\\cdot)?\s*\\(?:mathrm|text|textrm|mbox)\{\s*[a-zA-Z][a-zA-Z/.\s]*\}"
                               r"(?:\s*\^\s*\{?[23]\}?)?)+\s*\.?$")
_REALS_RE = re.compile(r"^(?:\\mathbb\s*\{?R\}?|\\R|(?:the\s+)?(?:set\s+of\s+)?all\s+real\s+numbers)$", re.IGNORECASE)
_ANSWER_PREFIX_RE = re.compile(r"^(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*(?=\S)", re.IGNORECASE)
_SPACE_RE = re.compile(r"(\\[a-zA-Z]+)? +(?=([a-zA-Z])?)")
_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_WORDS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
          "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
          "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
          "nineteen": "19", "twenty": "20"}
BOOL_WORDS = {"yes": "yes", "true": "yes", "correct": "yes", "no": "no", "false": "no", "incorrect": "no"}


def strip_math_delims(s: str) -> str:
    s = s.strip()
    changed = True
    while changed and s:
        changed = False
        for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if len(s) >= len(a) + len(b) and s.startswith(a) and s.endswith(b):
                s, changed = s[len(a): len(s) - len(b)].strip(), True
    s = s.lstrip("$ ")
    while s.endswith("$") and not s.endswith("\\$"):
        s = s[:-1].rstrip()
    return s.strip()


def _unwrap_text(s: str) -> str:
    prev = None
    while prev != s:
        prev, s = s, _WRAP_RE.sub(lambda m: " " + m.group(1) + " ", s)
    return s


@lru_cache(maxsize=1 << 16)
def normalize(s: str) -> str:
    """Canonical string form used for the fast equality path (see module doc)."""
    s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], s).replace("~", " ")
    s = strip_math_delims(s)
    if s.startswith(("\\boxed", "\\fbox")):
        from mathdistill.grading.boxed import last_boxed

        s = strip_math_delims(last_boxed(s) or s)
    s = re.sub(r"^(-?\d+)\s+(\d+)\s*/\s*(\d+)$", r"\1\\frac{\2}{\3}", s)  # `2 1/4` is a mixed number
    s = s.replace("\n", " ").replace("\\\\$", "").replace("\\$", " ").replace("$", " ")
    s = re.sub(r"\\(?:d|t|c)frac", r"\\frac", s)
    s = re.sub(r"\\(?:dbinom|tbinom)", r"\\binom", s)
    if "slant" in s:
        s = s.replace("\\geqslant", "\\ge").replace("\\leqslant", "\\le")
    s = s.replace("{,}", "").replace("\\%", "%").replace("\\neq", "\\ne").replace("\\leq", "\\le")
    s = s.replace("\\geq", "\\ge").replace("\\lt", "<").replace("\\gt", ">").replace("\\to", "\\rightarrow")
    if "=" in s and ("<" in s or ">" in s or "!" in s):  # ASCII relations: `>=`, `=<`, `!=`
        s = _ASCII_REL_RE.sub(lambda m: _ASCII_REL[m.group(0)], s)

    s = s.replace("\\emptyset", "\\varnothing").replace("\\{", "\\lbrace ").replace("\\}", "\\rbrace ")
    s = re.sub(r"(\d)\\,(?=\d{3})", r"\1", s)  # 12\,345 is a thousands separator
    s = re.sub(r"(\d),\s*\\!\s*(?=\d{3})", r"\1,", s)  # 29,\!322 and 11,\! 111 -> 29,322 and 11,111
    s = _DROP_RE.sub(" ", s)
    s = re.sub(r"^\[\d*(?:pt|em|ex|mm)\]", "", s)
    s = re.sub(r"\\text\s+([A-Za-z])\b", r"\1", s)
    s = _TEXT_UNIT_RE.sub(r"\1", s)
    s = _UNIT_CMD_TAIL_RE.sub("", s)
    s = s.replace("\\langle", "(").replace("\\rangle", ")")  # vectors: `\langle 1,2\rangle` is the tuple
    s = _unwrap_text(s)
    s = _ANSWER_PREFIX_RE.sub("", s.strip())  # `\boxed{\text{The answer is } 9}`
    s = re.sub(r"(\d)\s*(?:\.\.\.|\\(?:c|l)?dots)\s*$", r"\1\\ldots", s)  # an ellipsis marks truncated digits
    s = re.sub(r"(\d)\s*(?:percent|per\s*cent)\b\.?$", r"\1%", s, flags=re.IGNORECASE)
    if _REALS_RE.match(s.strip()):
        s = "(-\\infty,\\infty)"
    if "circ" in s and _TRIG_RE.search(s):  # `\\sin(90^\\circ - x)`: degrees inside trig are pi/180 radians
        s = _TRIG_DEG_RE.sub(r"(\1\\pi/180)", s)
    s = re.sub(r"\^\s*(?:\{\s*\\circ\s*\}|\\circ)|\\degree|\\circ\b", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.rstrip(".;").strip()
    s = _WORD_UNITS_RE.sub(r"\1", s)  # `840 square inches`, `12 miles per hour`, `3 boxes`, `7 Äpfel`
    s = _CJK_UNIT_RE.sub("", s)  # `25 元`, `3个`
    s = re.sub(r"^\(?[A-J]\)?[.:)]?\s+(?=[-\d\\])", "", s)  # `(C) 119`, `C. 119`: keep the value
    if "\\lor" in s or "\\vee" in s:
        s = re.sub(r"\\(?:lor|vee)(?![a-zA-Z])", " or ", s)
    if re.search(r"[\d=]", s):
        s = re.sub(r"\s*,?\s+(?:or|and)\s+", ",", s)  # `x = 1 or x = 2` is a list of answers
    s = re.sub(r"\\log_\{?(\w+)\}?\s*\(?(\w+)\)?", r"\\log_{\1}(\2)", s)
    for _ in range(2):
        s = _UNIT_TAIL_RE.sub("", s).strip()
    s = _LETTER_UNIT_RE.sub(r"\1", s)
    s = re.sub(r"^(-?\d+)\s+(\d+)\s*/\s*(\d+)$", r"\1\\frac{\2}{\3}", s)  # again, once units are gone
    s = re.sub(r"^(?:about|approximately|approx\.?|roughly|\\approx)\s*", "", s, flags=re.IGNORECASE)
    m = _LHS_RE.match(s)
    if m and ":" in m.group(0):
        s = s[m.end():]
    s = re.sub(r"^[a-zA-Z]\s*\\in\s*(?=\S)", "", s)
    s = s.replace("\\approx", "=")
    spaced_commas = bool(re.search(r",\s", s))  # `81, 256` is a list; thousands separators have no space
    # drop spaces, but keep the one in `\\cos x` so the command name stays intact
    s = _SPACE_RE.sub(lambda m: (m.group(1) + " ") if m.group(1) and m.group(2) else (m.group(1) or ""), s)
    s = s.replace("\\lbrace", "\\{").replace("\\rbrace", "\\}")
    s = re.sub(r"^0(\d:\d\d)", r"\1", s)  # 04:51 -> 4:51
    s = re.sub(r"^(\d{1,2}:\d\d):00$", r"\1", s)  # 20:34:00 -> 20:34
    s = re.sub(r"_\{(\w+)\}(?![\w({])", r"_\1", s)
    s = re.sub(r"^\((\\begin\{([a-zA-Z]*)\}.*\\end\{\2\})\)$", r"\1", s)
    s = re.sub(r"\^\{(\w)\}", r"^\1", s)
    s = _FRAC_BARE_RE.sub(lambda m: "\\frac{" + m.group(1) + "}" + (
        m.group(2) if m.group(2).startswith("{") else "{" + m.group(2) + "}"), s)  # \frac12, \frac\pi 2
    s = re.sub(r"\\frac\{([^{}]+)\}(\d)", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\\frac(\d)\{", r"\\frac{\1}{", s)
    s = re.sub(r"\\sqrt(\d+|[a-z])", r"\\sqrt{\1}", s)
    s = re.sub(r"(?<![\d.])\.(\d)", r"0.\1", s)  # .5 -> 0.5
    s = re.sub(r"\{(-?\d{1,3}(?:,\d{3})+)\}", lambda m: "{" + m.group(1).replace(",", "") + "}", s)
    if _THOUSANDS_RE.match(s) and not spaced_commas:
        s = s.replace(",", "")
    low = s.lower()
    if _REALS_RE.match(s):  # `x \in \mathbb{R}` once the `x \in` is gone
        return "(-\\infty,\\infty)"
    s = re.sub(r"^<([^<>]*,[^<>]*)>$", r"(\1)", s)  # `\left< 1,2 \right>` is a vector
    if low in _WORDS:
        return _WORDS[low]
    if low in BOOL_WORDS:
        return BOOL_WORDS[low]
    return s


def unbox_letter(s: str) -> str | None:
    """`(B)`, `B`, `\\text{(B)}`, `**B**`, `B) 12` -> "B" (multiple-choice letters A-J)."""
    t = strip_math_delims(s)
    if t.startswith(("\\boxed", "\\fbox")):
        from mathdistill.grading.boxed import last_boxed

        t = last_boxed(t) or t
    t = re.sub(r"\\text\s+([A-Za-z])\b", r"\1", _unwrap_text(t))
    t = re.sub(r"\s+|\\[ ,;:!]|\*\*|__", "", strip_math_delims(t.strip()))
    m = re.match(r"^\(?([A-J])\)?(?:[.:)]|$)", t)
    return m.group(1) if m else None


_LEAD_LETTER_RE = re.compile(r"^[\s*_]*[(\[]?([A-J])[)\]]?[*_]*(?=[\s.,:;)!]|$)")
_OPTION_RE = re.compile(r"^\(([A-J])\)\s*(\S.*)$|^([A-J])[.:)]\s+(\S.*)$", re.DOTALL)


def answer_letter(s: str | None) -> str | None:
    """The choice letter an answer opens with: `C`, `(C)`, `**C**`, `D, it can't be A` -> D; else None."""
    if not s:
        return None
    lt = unbox_letter(s)
    if lt is not None:
        return lt
    m = _LEAD_LETTER_RE.match(strip_math_delims(_unwrap_text(s)))
    return m.group(1) if m else None


@lru_cache(maxsize=1 << 12)
def letter_gold(gold: str) -> tuple[str, str | None] | None:
    """A multiple-choice gold: `C`, `(C)`, `\\text{(C)}` -> ("C", None); a gold that carries the option text,
    `(D) Alina`, `D. Alina`, `\\text{(D) Alina}` -> ("D", "Alina"); anything else None."""
    t = strip_math_delims(gold)
    if t.startswith(("\\boxed", "\\fbox")):
        from mathdistill.grading.boxed import last_boxed

        t = strip_math_delims(last_boxed(t) or t)
    t = _unwrap_text(re.sub(r"\\textbf\{\s*\(?([A-J])\)?\s*\}", r"(\1)", t)).strip().strip("*").strip()
    if re.fullmatch(r"\(?([A-J])\)?[.:)]?", re.sub(r"\s+|\\[ ,;:!]", "", t)):
        return re.search(r"[A-J]", t).group(0), None
    m = _OPTION_RE.match(t)
    if m is None:
        return None
    letter, text = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    text = text.strip().rstrip(".")
    return (letter, text) if text else (letter, None)
