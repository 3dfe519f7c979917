"""Final-answer extraction from a model response; every rule reports its name.

Order (first hit wins), on the response up to any invented next "Question:" (prose.py): last
`\\boxed{}`/`\\fbox{}` ("boxed"), GSM8K `#### N` ("gsm8k"), "The (final) answer is ..." ("answer_is"),
"Answer: ..." / "# Answer" ("answer_colon"), multiple-choice letter when the gold is a letter
("choice"), a sentence-initial Yes/No when the gold is yes/no ("yes_no"); then, unless the response
stops mid-reasoning or on an announced computation (-> "none"), "<subject> is <value>" in the last
sentence ("statement"), the last math span ("last_math"), the last number of the last sentence
without asides such as ", which is 2.25 hours" ("last_number", when the gold is a plain number or
unknown), else "none". "statement", "last_math" and "last_number" are weak guesses (WEAK_RULES):
callers that label negatives should treat them like a failed extraction (methods.md 4, pitfall 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathdistill.grading.boxed import boxed_spans, last_boxed
from mathdistill.grading.normalize import BOOL_WORDS, strip_math_delims, unbox_letter
from mathdistill.grading.prose import cut_continuation, last_number_text, no_final_answer, statement, yes_no

WEAK_RULES = frozenset({"statement", "last_math", "last_number"})


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    rule: str


_GSM_RE = re.compile(r"####\s*([^\n]+)")
_ANS_IS_RE = re.compile(
    r"(?:final\s+answer|answer)\s*(?:to\s+(?:the|this)\s+(?:problem|question)\s*)?(?:is|was|would\s+be|=)\s*[:：]?\s*",
    re.IGNORECASE)
_ANS_COLON_RE = re.compile(r"(?:^|\n|\*\*|\b)(?:final\s+answer|answer)\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*", re.IGNORECASE)
_PRM_RE = re.compile(r"^#\s*Answer\s*$\n+", re.IGNORECASE | re.MULTILINE)
_NUM_RE = re.compile(r"-?\d+ \d+/\d+(?![\d/])|-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+")
_LETTER_RE = re.compile(r"(?:answer|option|choice)\s*(?:is|:)?\s*[:：]?\s*\(?\**([A-J])\b\)?", re.IGNORECASE)
_PAREN_LETTER_RE = re.compile(r"\(([A-J])\)")
_PLAIN_NUM_RE = re.compile(r"^\s*-?[\d,]*\.?\d+\s*$")
_PROSE_RE = re.compile(r"(?<![\\{a-zA-Z])[a-zA-Z]{3,}\s+[a-zA-Z]{2,}\b")  # `$` used as currency pairs up prose
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.DOTALL)


def _last_math(text: str) -> str | None:
    """Last inline/display math span of the final paragraph; for `a = b` its last side."""
    tail = text[-600:].replace("\\$", "\x00")
    m = None
    for m in _MATH_SPAN_RE.finditer(tail):
        pass
    if m is None:
        return None
    span = next(g for g in m.groups() if g is not None).strip().replace("\x00", "\\$")
    if "\\begin{align" in span or "\\end{cases}" in span or len(span) > 200 or _PROSE_RE.search(span) \
            or not re.match(r"[\w\\(\[{+\-]", span):
        return None
    from mathdistill.grading.structures import split_top

    side = split_top(span, "=")[-1].strip().rstrip(".,")
    return side or None


def _cut_sentence(s: str) -> str:
    """Text of one answer clause: up to a sentence end outside math, a newline, or end."""
    s = s.lstrip()
    if s.startswith("$"):  # $...$ or $$...$$
        dd = s.startswith("$$")
        end = s.find("$$", 2) if dd else s.find("$", 1)
        if end > 0:
            return s[: end + (2 if dd else 1)]
    if s.startswith(("\\(", "\\[")):
        end = s.find("\\)" if s[1] == "(" else "\\]")
        if end > 0:
            return s[: end + 2]
    out, depth, i = [], 0, 0
    in_math = False
    while i < len(s):
        c = s[i]
        if c == "$":
            in_math = not in_math
        elif c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif c == "\n" and depth <= 0 or c == "." and not in_math and depth <= 0 and (i + 1 == len(s) or s[i + 1] in " \n\t"):
            break
        out.append(c)
        i += 1
    return "".join(out)


_PAREN_TAIL_RE = re.compile(r"\s*\((?:or|i\.e\.?|about|approximately|roughly|that\s+is|which\s+is)\b[^()]*\)\s*$",
                            re.IGNORECASE)


def _clean(ans: str) -> str | None:
    a = _PAREN_TAIL_RE.sub("", ans.strip())  # `12 (or 1 dozen)`: the aside restates the answer
    a = re.sub(r"^\*\*|\*\*$", "", a).strip()
    b = last_boxed(a)
    if b is not None:
        return b
    a = strip_math_delims(a.rstrip(" .,;:!"))
    a = a.rstrip(" .,;:!").strip()
    return a or None


def _after_last(regex: re.Pattern, text: str) -> str | None:
    last = None
    for m in regex.finditer(text):
        last = m
    if last is None:
        return None
    return _clean(_cut_sentence(text[last.end():]))


def _letter(text: str) -> str | None:
    m = None
    for m in _LETTER_RE.finditer(text):
        pass
    if m:
        return m.group(1).upper()
    hits = _PAREN_LETTER_RE.findall(text[-300:])
    return hits[-1] if hits else None


_GAP_RE = re.compile(r"^(?:,|;|or|and|\\text\{\s*(?:or|and)\s*\}|\\(?:quad|qquad))?$")


def _final_boxes(text: str) -> str | None:
    """The last box; `x = \\boxed{5}` or `x = \\boxed{-1}` (boxes joined by or/and/commas) gives `5, -1`."""
    spans = boxed_spans(text[-3000:]) if "box" in text else []
    spans = [s for s in spans if s[2]]
    if not spans:
        return None
    parts = [spans[-1]]
    for prev in reversed(spans[:-1]):
        gap = text[-3000:][prev[1]: parts[0][0]]
        gap = re.sub(r"[$\s()]|\\[()\[\]]|(?:\\?[a-zA-Z]\w*(?:_\{?\w+\}?)?\s*=)", "", gap)
        if not _GAP_RE.match(gap) or "=" in gap:
            break
        parts.insert(0, prev)
    return ", ".join(dict.fromkeys(p[2] for p in parts))  # `\\boxed{20}, \\boxed{20}` is one answer


def _is_letter_gold(gold: str | None) -> bool:
    return gold is not None and unbox_letter(gold) is not None and len(gold.strip("$()\\{} ")) <= 12


def extract_answer(text: str, gold: str | None = None) -> Extraction:
    """Extract the final answer of `text`; `gold` (optional) enables letter / last-number rules."""
    if not text:
        return Extraction(None, "none")
    if "\n" in text:
        text = cut_continuation(text)
    letter_mode = _is_letter_gold(gold)
    box = _final_boxes(text)
    if box:
        if letter_mode and (lt := unbox_letter(box)):
            return Extraction(lt, "boxed")
        return Extraction(box, "boxed")
    m = None
    for m in _GSM_RE.finditer(text):
        pass
    if m:
        a = _clean(m.group(1))
        if a and len(a.split()) >= 3 and (nums := _NUM_RE.findall(a.rsplit("?", 1)[-1])):
            a = nums[-1]  # `#### How many clips did she sell? She sold 72 clips.`
        if a:
            return Extraction(a, "gsm8k")
    a = _after_last(_ANS_IS_RE, text)
    if a:
        if letter_mode and (lt := unbox_letter(a)):
            return Extraction(lt, "answer_is")
        return Extraction(a, "answer_is")
    m = None
    for m in _PRM_RE.finditer(text):
        pass
    if m and (a := _clean(_cut_sentence(text[m.end():]))):
        return Extraction(a, "answer_colon")
    a = _after_last(_ANS_COLON_RE, text)
    if a:
        if letter_mode and (lt := unbox_letter(a)):
            return Extraction(lt, "answer_colon")
        return Extraction(a, "answer_colon")
    if letter_mode:
        lt = _letter(text)
        if lt:
            return Extraction(lt, "choice")
        return Extraction(None, "none")
    if gold is not None and BOOL_WORDS.get(strip_math_delims(gold).strip().lower().removeprefix("\\text{")
                                            .rstrip("}").strip()) and (yn := yes_no(text)):
        return Extraction(yn, "yes_no")
    if no_final_answer(text):
        return Extraction(None, "none")
    if (a := statement(text)) is not None:
        return Extraction(a, "statement")
    if (a := _last_math(text)) is not None:
        return Extraction(a, "last_math")
    if gold is None or _PLAIN_NUM_RE.match(gold):
        nums = _NUM_RE.findall(last_number_text(text))
        if nums:
            return Extraction(re.sub(r"\s*/\s*", "/", nums[-1]).rstrip("."), "last_number")
    return Extraction(None, "none")
