"""Final-answer extraction from a model response; every rule reports its name.

`mode` says what the text is: "response" (a model output), "answer" (an already extracted answer: the
whole text is the answer, rule "whole"), or "auto" (default: a response, but a short text that is
only an answer, `\\frac{1}{2}`, `E`, `10\\%`, `\\$23{,}000`, `28 percent`, is taken whole, rule "whole").

The response is first cut at the next chat turn (`<|im_start|>`, `<|eot_id|>`, ... `prose.cut_chat_turn`)
and at an invented next "Question:" (prose.py); a reasoning model's answer is read after its last
`</think>`, and a `<think>` that never closes gives no answer. A last `\\boxed{` that never closes gives
no answer either (a failed extraction, never a fallback to the last number).

Order (first hit wins): last `\\boxed{}`/`\\fbox{}` ("boxed"; boxes joined by or/and/commas are one
answer, and against a gold with several answers every distinct box counts), unless a later
"the final answer is <value>" overrides it ("answer_is"); GSM8K `#### N` ("gsm8k"); "The (final) answer
is ..." ("answer_is") and "Answer: ..." / "# Answer" ("answer_colon"), also in other languages (`答案`,
`Réponse`, `Antwort`, `Respuesta`, `Ответ` ...), where a sentence after the marker gives its stated value;
the whole text when it is only an answer ("whole", modes auto/answer); a multiple-choice letter when
the gold is a letter or the choices are known ("choice"); a sentence-initial Yes/No when the gold is
yes/no ("yes_no"); then, unless the response stops mid-reasoning or on an announced computation
(-> "none"), "<subject> is <value>" in the last sentence ("statement"), the last math span
("last_math"), the last number of the last sentence without asides ("last_number", when the gold is a
plain number or unknown), else "none". "statement", "last_math" and "last_number" are weak guesses
(WEAK_RULES): callers that label negatives should treat them like a failed extraction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathdistill.grading.boxed import boxed_spans, final_box_parts, final_boxes, last_boxed, unclosed_last_box
from mathdistill.grading.normalize import BOOL_WORDS, answer_letter, letter_gold, normalize, strip_math_delims
from mathdistill.grading.prose import (
    cut_chat_turn,
    cut_continuation,
    last_number_text,
    no_final_answer,
    statement,
    yes_no,
)
from mathdistill.grading.reasoning import split_reasoning
from mathdistill.grading.structures import parse_struct, split_top

WEAK_RULES = frozenset({"statement", "last_math", "last_number"})
MODES = ("auto", "response", "answer")


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    rule: str


_GSM_RE = re.compile(r"####\s*([^\n]+)")
_ANS_IS_RE = re.compile(
    r"(?:(?:final\s+answer|answer)\s*(?:to\s+(?:the|this)\s+(?:problem|question)\s*)?(?:is|was|would\s+be|=)"
    r"|(?<![^\W\d_])(?:r[ée]ponse(?:\s+finale)?\s+est|antwort\s+(?:ist|lautet)|respuesta(?:\s+final)?\s+es"
    r"|risposta(?:\s+finale)?\s+[èe]|resposta(?:\s+final)?\s+[ée]|ответ\s+(?:равен|будет|[-—]))"
    r"|(?:最终)?答案\s*(?:是|为|為|应为|應為))\s*[:：]?\s*",
    re.IGNORECASE)
_ANS_COLON_RE = re.compile(
    r"(?:(?:^|\n|\*\*|\b)(?:final\s+answer|answer)|(?<![^\W\d_])(?:r[ée]ponse(?:\s+finale)?|(?:endg[üu]ltige\s+)?antwort"
    r"|respuesta(?:\s+final)?|risposta(?:\s+finale)?|resposta(?:\s+final)?|ответ)|(?:最终)?答案|答え|정답)"
    r"\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*", re.IGNORECASE)
_PRM_RE = re.compile(r"^#\s*Answer\s*$\n+", re.IGNORECASE | re.MULTILINE)
_NUM_RE = re.compile(r"-?\d+ \d+/\d+(?![\d/])|-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+")
_LETTER_RE = re.compile(r"(?:answer|option|choice)\s*(?:is|:)?\s*[:：]?\s*\(?\**([A-J])\b\)?", re.IGNORECASE)
_PAREN_LETTER_RE = re.compile(r"\(([A-J])\)")
_LEAD_LETTER_RE = re.compile(r"^[\s*_]*(?:\\text(?:bf)?\{)?[(\[]?([A-J])[)\]]?\}?[*_]*\s*(?:[.:)]|$)")
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
    side = split_top(span, "=")[-1].strip().rstrip(".,")
    return side or None


def _cut_sentence(s: str) -> str:
    """Text of one answer clause: up to a sentence end outside math, a newline, or end."""
    s = s.lstrip()
    if s.startswith("$"):  # $...$ or $$...$$
        dd = s.startswith("$$")
        end = s.find("$$", 2) if dd else s.find("$", 1)
        while not dd and end > 0 and s[end - 1] == "\\":  # `$\$200$`: an escaped dollar closes nothing
            end = s.find("$", end + 1)
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
        elif c == "\n" and depth <= 0 or c == "。" and depth <= 0 or c == "." and not in_math and depth <= 0 and (
                i + 1 == len(s) or s[i + 1] in " \n\t"):
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
    ell = re.search(r"\d(?:\.{2,}|\\[lc]?dots)[\s.,;:!。]*$", a)  # `0.7168...` keeps its ellipsis
    a = strip_math_delims(a.rstrip(" .,;:!。"))
    a = a.rstrip(" .,;:!").strip()
    if ell and not a.endswith(("dots", "...")):
        a += "..."
    return a or None


def _after_last(regex: re.Pattern, text: str, start: int = 0) -> str | None:
    last = None
    for m in regex.finditer(text, start):
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


# --- a text that is only an answer ------------------------------------------------------------------------
_MD_WRAP_RE = re.compile(r"^(\*\*|__)(.+)\1$", re.DOTALL)
_CMD_ARG_RE = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|operatorname)\s*\{[^{}]*\}")
_CMD_RE = re.compile(r"\\[a-zA-Z]+")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_FUNCTION_WORDS = frozenset({  # words of a sentence, never of a bare answer
    "is", "are", "was", "were", "be", "been", "am", "so", "we", "you", "thus", "hence", "therefore",
    "answer", "because", "since", "it", "its", "this", "that", "then", "let", "the", "of", "to", "for",
    "with", "from", "by", "as", "in", "on", "at", "an", "if", "not", "can", "will", "would", "should",
    "must", "has", "have", "had", "get", "got", "do", "does", "did", "which", "what", "when", "where",
    "there", "here", "our", "my", "your", "their", "final", "result", "solution", "step", "first", "next"})
_PRONOUN_RE = re.compile(r"(?<![\w\\])(?:I|a|I'm|I've|don't|can't|cannot)(?![\w'])")
_VALUE_START_RE = re.compile(r"^[-+−]?(?:[\d.(\[{\\$€£¥]|[a-zA-Z](?![a-zA-Z]))")


def bare_answer(text: str) -> str | None:
    """The text itself when it is only an answer (no prose, one line), cleaned; else None.

    Pure math (`x^2+2x+1`, `\\frac{1}{2}`, `E`, `x = 5`, `2, 3`), a value with up to three unit words
    (`28 percent`, `5 apples`) or up to three words without a value (`Friday`, `all real numbers`)."""
    t = text.strip()
    if not t or len(t) > 160 or "\n" in t:
        return None
    while (m := _MD_WRAP_RE.match(t)) is not None:
        t = m.group(2).strip()
    t = strip_math_delims(t.rstrip(" .。")).rstrip(" .")
    if not t or t.endswith((":", "=", "?", ",")):
        return None
    core = _CMD_RE.sub(" ", _CMD_ARG_RE.sub(" ", t))
    words = [w.lower() for w in _WORD_RE.findall(core)]
    if words and (any(w in _FUNCTION_WORDS for w in words) or len(words) > 3):
        return None
    if words and re.search(r"\d", t) and not _VALUE_START_RE.match(t):
        return None  # `Natalia sold 72 clips`: a sentence, not a value with units
    if re.search(r"[.!?](?:\s|$)", core) and words:
        return None  # `A. Because ...`: more than one sentence
    if words and _PRONOUN_RE.search(core):
        return None  # `I give up`, `a lot`: prose
    if words and re.search(r"[^\W\d_]{2,}[^=]*=", core):
        return None  # `7 apples, since 3 + 4 = 7`: a reason with an equation
    return t


def _whole(text: str) -> str | None:
    """An already extracted answer: its box if it has one, without math delimiters and markdown."""
    t = text.strip()
    while (m := _MD_WRAP_RE.match(t)) is not None:
        t = m.group(2).strip()
    if "box" in t and (b := final_boxes(t)):
        return b
    t = strip_math_delims(t.rstrip(" .。")).rstrip(" .")
    return t or None


# --- gold-dependent helpers -------------------------------------------------------------------------------
def answer_count(gold: str | None) -> int:
    """How many answers a gold lists (`1, 5`, `\\{-1, 1\\}`, `\\pm 2`), 1 for anything else."""
    if not gold or ("," not in gold and "\\pm" not in gold and ";" not in gold and " or " not in gold
                    and "and" not in gold):
        return 1
    st = parse_struct(normalize(gold))
    if st is None or st.kind not in ("list", "set"):
        return 1
    return len({normalize(x) for x in st.items})  # `75^\\circ, 75^\\circ` is one value


def distinct_answers(parts: list[str]) -> list[str]:
    """Boxes that write one value twice (`\\boxed{20:34}` or `\\boxed{8:34 p.m.}`, `\\boxed{28}` or
    `\\boxed{28_9}`) are one answer: of equivalent parts the last is kept."""
    if len(parts) < 2:
        return parts
    from mathdistill.grading.compare import is_equivalent

    out: list[str] = []
    for p in reversed(parts):
        if not any(is_equivalent(p, q) for q in out):
            out.insert(0, p)
    return out


def _box_answer(text: str, gold: str | None) -> tuple[str, int] | None:
    """(answer of the last boxes, end of the last box in `text`) or None."""
    off = max(0, len(text) - 3000)
    tail = text[off:]
    spans = [s for s in boxed_spans(tail) if s[2]]
    if not spans:
        return None
    parts = distinct_answers(final_box_parts(tail, spans))
    want = answer_count(gold)
    if want >= 2 and len(spans) > len(parts) and answer_count(", ".join(parts)) < want:
        # a gold with several answers: every distinct box of the response counts (`\\boxed{(2,2)}` ...
        # `\\boxed{(6,2)}`); an extra or a missing one makes the answer wrong
        parts = distinct_answers(list(dict.fromkeys(s[2] for s in spans)))
    return ", ".join(parts), off + spans[-1][1]


_FINAL_RE = re.compile(r"final\s+answer|r[ée]ponse\s+finale|endg[üu]ltige\s+antwort|respuesta\s+final|risposta\s+finale"
                       r"|resposta\s+final|最终答案", re.IGNORECASE)


def _later_marker(text: str, start: int) -> tuple[str, str] | None:
    """A "the final answer is <value>" written after the last box: the response's last word on it.
    (Only an explicit *final* answer: "\\boxed{X}. The answer is X" restatements keep the box.)"""
    tail = text[start:]
    if len(tail) < 12 or _FINAL_RE.search(tail) is None:
        return None
    for rx, rule in ((_ANS_IS_RE, "answer_is"), (_ANS_COLON_RE, "answer_colon")):
        m = None
        for m in rx.finditer(tail):
            pass
        if m is None or not _FINAL_RE.search(tail, max(0, m.start() - 25), m.end()):
            continue
        a = _clean(_cut_sentence(tail[m.end():]))
        if a and re.search(r"[\d\\]", a) and bare_answer(a):
            return a, rule
    return None


_CONNECTOR_RE = re.compile(r"\s*(?:and|or|und|oder|et|ou|y|o|e|и|или)\b", re.IGNORECASE)


def _drop_reason(a: str) -> str:
    """`7, because 3 + 4 = 7`, `7 Äpfel, denn ...`, `15; comprobamos ...`: the value before a clause that
    gives reasons (a `,` / `;` outside brackets and math followed by a word) is the answer."""
    depth, in_math = 0, False
    for i, c in enumerate(a):
        if c == "$":
            in_math = not in_math
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c in ",;" and depth == 0 and not in_math:
            rest = a[i + 1:]
            if re.match(r"\s*[^\W\d_]{3,}", rest) and not _CONNECTOR_RE.match(rest):
                head = a[:i].strip()
                return head if head and bare_answer(head) is not None else a
    return a


def _marker_value(a: str) -> str:
    """A marker followed by a sentence (`Final Answer: The volume of the box is 120`) gives its value."""
    if bare_answer(a) is None and ("," in a or ";" in a):
        a = _drop_reason(a)
    if bare_answer(a) is None and re.search(r"[^\W\d_]{3,}\s+[^\W\d_]{2,}", a):
        v = statement(a)
        if v is not None:
            return v
    return a


def _lettered(a: str, letter_mode: bool) -> str:
    if letter_mode and (lt := answer_letter(a)):
        return lt
    return a


def _option_named(text: str, choices: dict) -> str | None:
    """The letter of the one option whose (worded) text the last sentence names: "..., Alina is the oldest"."""
    last = [x for x in re.split(r"(?<=[.!?])\s+|\n+", text[-600:].strip()) if x.strip()]
    if not last:
        return None
    hits = [k for k, t in choices.items() if t and re.search(r"[^\W\d_]{2,}", t)
            and re.search(r"(?<!\w)" + re.escape(t) + r"(?!\w)", last[-1], re.IGNORECASE)]
    return hits[0] if len(hits) == 1 else None


def extract_answer(text: str, gold: str | None = None, *, mode: str = "auto",
                   choices: dict | None = None) -> Extraction:
    """Extract the final answer of `text`; `gold` (optional) enables the letter / last-number / several-box
    rules; `mode` is "auto", "response" or "answer" (see module doc); `choices` (letter -> option text)
    lets a letter answer be read when the gold is an option text."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not text:
        return Extraction(None, "none")
    if mode == "answer":
        return Extraction(_whole(text), "whole") if _whole(text) else Extraction(None, "none")
    text = cut_chat_turn(text)
    if "think>" in text:
        # Never graded from inside the thinking: an unclosed trace, or nothing after it, has no answer.
        part = split_reasoning(text)
        if part.closed is False or not part.answer:
            return Extraction(None, "none")
        text = part.answer
    if "\n" in text:
        text = cut_continuation(text)
    lg = letter_gold(gold) if gold is not None else None
    letter_mode = lg is not None or bool(choices)
    if "box" in text:
        if unclosed_last_box(text):
            return Extraction(None, "none")  # the final box never closes: a failed answer
        found = _box_answer(text, gold)
        if found:
            box, end = found
            later = _later_marker(text, end)
            if later:
                return Extraction(_lettered(later[0], letter_mode), later[1])
            return Extraction(_lettered(box, letter_mode), "boxed")
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
        return Extraction(_lettered(_marker_value(a), letter_mode), "answer_is")
    m = None
    for m in _PRM_RE.finditer(text):
        pass
    if m and (a := _clean(_cut_sentence(text[m.end():]))):
        return Extraction(a, "answer_colon")
    a = _after_last(_ANS_COLON_RE, text)
    if a:
        return Extraction(_lettered(_marker_value(a), letter_mode), "answer_colon")
    if mode == "auto" and (a := bare_answer(text)) is not None:
        return Extraction(_lettered(a, letter_mode), "whole")
    if letter_mode:
        m = _LEAD_LETTER_RE.match(text)  # `A. Because ...`, `**C**`, `(B) since ...`
        lt = m.group(1) if m else _letter(text) or (choices and _option_named(text, choices))
        if lt:
            return Extraction(lt, "choice")
        if lg is not None and lg[1] is None and not choices:
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
