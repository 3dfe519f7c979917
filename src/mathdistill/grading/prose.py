"""Answers stated in prose, and responses that state none (the fallback rules of extract.py).

- `cut_continuation`: a model that answers and then writes the next "Question:" (GSM8K few-shot
  run-on) is graded on its first answer, not on the invented question's.
- `cut_chat_turn`: a response that runs on into the next chat turn (`<|im_start|>user`, `<|eot_id|>`,
  `</s>`, a new "Human:" / "User:" line) ends where that turn begins.
- `no_final_answer`: a response cut mid-sentence ("... = 48. Then we need to"), ending on an operator,
  or ending on a plan ("Let's compute $x$.", "we need to evaluate $...$" with no result) gives no
  answer, so a number or expression met mid-reasoning is never taken for one.
- `yes_no`: a sentence that opens with Yes/No ("No, because ...") when the gold is yes/no.
- `statement`: "<subject> is/are/will be <value>" in the last sentence, skipping justification
  clauses (", since ...", ", because ...") and conversions (", which is 2.25 hours", "(150 minutes)").
- `last_number_text`: the sentence the last-number rule reads, with those asides removed.
Math spans are masked first, so their `.`, `,` and `=` never split sentences or clauses.
"""

from __future__ import annotations

import re

_MATH_RE = re.compile(r"\$\$.+?\$\$|(?<!\\)\$.+?(?<!\\)\$|\\\[.+?\\\]|\\\(.+?\\\)", re.DOTALL)
_SENT_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_CONT_RE = re.compile(r"\n\s*(?:Question|Problem|Q)\s*\d*\s*[:：.]", re.IGNORECASE)
_MARKER_RE = re.compile(r"####|\\boxed|answer\s+is|answer\s*:", re.IGNORECASE)
_ACTS = r"(?:find|compute|calculate|evaluate|determine|simplify|solve|add|subtract|multiply|divide|count|check|use|apply" \
        r"|substitute|consider|look|start|begin|work|figure|expand|factor|plug|write)"
_PLAN_RE = re.compile(r"\b(?:need|needs|have|has|want|wants|going|got)\s+to\b|\blet'?s\b|\blet\s+us\b|\bmust\s+"
                      + _ACTS + r"|\b(?:will|should)\s+(?:now\s+|first\s+|then\s+|next\s+)?" + _ACTS
                      + r"\b|^(?:next|now|first|then)\b,?\s+(?:we|I)\s+" + _ACTS + r"\b", re.IGNORECASE)
_OPEN_END_RE = re.compile(r"(?:[=+\-*/,:(]|\\times|\\cdot|\\div)\s*$")
_ABBREV_RE = re.compile(r"\b(?:i\.e|e\.g|a\.m|p\.m|vs|approx|etc|cf|Mr|Mrs|Ms|Dr|St)\.", re.IGNORECASE)
_ASIDE_RE = re.compile(r"^\s*(?:since|because|as|which|where|for|i\x04e\x04|e\x04g\x04|that\s+is|or|so\s+that|given"
                       r"|assuming|otherwise)(?![a-zA-Z])", re.IGNORECASE)
_PAREN_ASIDE_RE = re.compile(r"\s*\((?:or\s+|i\x04e\x04,?\s+|about\s+|that\s+is,?\s+)?[-\d.,/]+\s*[a-zA-Z%][^()]*\)")
_COPULA_RE = re.compile(r"\b(?:is|are|was|were|will\s+be|would\s+be|must\s+be|equals?|costs?|measures?|needs?|has"
                        r"|have|had|gets?|got|takes?|took|makes?|made|pays?|paid|earns?|earned|spends?|spent)\s+"
                        r"(?:equal\s+to\s+|exactly\s+|then\s+|therefore\s+)?", re.IGNORECASE)
_LEAD_RE = re.compile(r"^(?:(?:on|at|in|a|an|the|about|approximately|roughly)\s+)+", re.IGNORECASE)
_NUM = r"[-+]?(?:[$€£¥₹]|\\\$)?\s*\d[\d,]*(?:\.\d+)?(?:\s+\d+/\d+|/\d+)?\s*(?:%|°|\\%)?"
_NUM_PHRASE_RE = re.compile(rf"^{_NUM}(?:\s+[a-zA-Z']+){{0,5}}$")
_NUM_LIST_RE = re.compile(rf"^{_NUM}(?:\s*(?:,|and|or|,\s*and|,\s*or)\s*{_NUM})+$")
_LIST_ITEM_RE = re.compile(rf"^\s*(?:and\s+|or\s+)?(?:{_NUM}|\x01\d+\x02)\s*$")
_COMPARATIVE_RE = re.compile(r"\b(?:than|more|less|fewer|times|greater|smaller|larger|higher|lower|plus|minus|per)\b")
_ROOT_RE = re.compile(r"^(?:\d*\s*(?:√|\\sqrt)\s*\{?\d+\}?)(?:\s+[a-zA-Z]+){0,2}$")
_WORD_RE = re.compile(r"^[A-Za-z][a-z]{2,}$")
_STOP = frozenset({"not", "also", "then", "that", "this", "the", "these", "those", "there", "here", "done", "now",
                   "true", "false", "equal", "given", "possible", "impossible", "because", "since", "correct",
                   "answer", "solution", "result", "same", "case", "following", "above", "below", "unknown"})
_MATHS_ONLY_RE = re.compile(r"^\x01\d+\x02(?:\s*(?:,|and|or|,\s*and)\s*\x01\d+\x02)*$")
_YES_NO_RE = re.compile(r"^[\s*\"'(]*(yes|no)\b\**(?:\s*[,.!:;\-—\x04]|\s*$)", re.IGNORECASE)


def _mask(text: str) -> tuple[str, list[str]]:
    spans: list[str] = []

    def keep(m: re.Match) -> str:
        spans.append(m.group(0))
        return f"\x01{len(spans) - 1}\x02"

    masked = _MATH_RE.sub(keep, text.replace("\\$", "\x03"))
    return _ABBREV_RE.sub(lambda m: m.group(0).replace(".", "\x04"), masked), spans  # `i.e. 5` ends no sentence


def _unmask(s: str, spans: list[str]) -> str:
    s = re.sub(r"\x01(\d+)\x02", lambda m: spans[int(m.group(1))], s)
    return s.replace("\x03", "\\$").replace("\x04", ".")


def _sentences(masked: str) -> list[str]:
    return [s.strip() for s in _SENT_SPLIT_RE.split(masked) if s.strip()]


_CHAT_TURN_RE = re.compile(r"<\|(?:im_start|im_end|eot_id|endoftext|end_of_text|end|user|assistant|system"
                           r"|start_header_id|eom_id)\|>|</s>|<end_of_turn>|<start_of_turn>|\n\s*(?:Human|User|USER)\s*:")


def cut_chat_turn(text: str) -> str:
    """Text up to the first chat-template token or new user turn (a run-on into the next turn)."""
    if "<" not in text and ":" not in text:
        return text
    m = _CHAT_TURN_RE.search(text)
    return text[: m.start()] if m else text


def cut_continuation(text: str) -> str:
    """Text up to a new "Question:" written after the response's first final-answer marker."""
    m = _MARKER_RE.search(text)
    if m is None:
        return text
    c = _CONT_RE.search(text, m.end())
    return text[: c.start()] if c else text


def no_final_answer(text: str) -> bool:
    """True for a response that stops mid-reasoning or ends on a plan it has not carried out."""
    masked, spans = _mask(text[-1500:])
    sents = _sentences(masked)
    if not sents:
        return False
    last = sents[-1]
    if _OPEN_END_RE.search(last):
        return True
    has_result = "=" in _unmask(last, spans) or "\\approx" in last or re.search(r"\bas\s+\x01", last)
    if _PLAN_RE.search(last) and not has_result:
        return True
    # cut off: the unfinished last clause holds no value
    return last[-1].isalpha() and not re.search(r"[\d\x01]", re.split(r"[,;:](?=\s|$)", last)[-1])


def yes_no(text: str) -> str | None:
    """The last sentence-initial Yes / No ("No, because ...", "Yes. Since ...")."""
    masked, _ = _mask(text[-2000:])
    for s in reversed(_sentences(masked)):
        m = _YES_NO_RE.match(s)
        if m:
            return m.group(1).capitalize()
    return None


def _main_clauses(sentence: str) -> list[str]:
    """Clauses of a masked sentence without justifications, conversions and parentheticals."""
    s = _PAREN_ASIDE_RE.sub("", sentence)
    out = []
    for c in re.split(r"[,;](?=\s|$)", s):
        if _ASIDE_RE.match(c):
            break  # everything after "since ..." / ", which is ..." explains or converts
        if out and _LIST_ITEM_RE.match(c):
            out[-1] += "," + c  # `1, 2, and 5` is one list, not three clauses
        else:
            out.append(c)
    return out


def statement(text: str) -> str | None:
    """Value of "<subject> is <value>" in the last sentence, or None."""
    masked, spans = _mask(text[-1500:])
    sents = _sentences(masked)
    if not sents:
        return None
    clauses = _main_clauses(sents[-1].rstrip(".!"))
    for clause in clauses[-1:]:  # only the last main clause states the result
        cop = None
        for cop in _COPULA_RE.finditer(clause):
            pass
        if cop is None:
            return None
        value = _LEAD_RE.sub("", clause[cop.end():].strip()).strip()
        if not value or value.split()[0].lower() in ("not", "no", "never"):
            return None
        if _MATHS_ONLY_RE.match(value):
            parts = [_unmask(x, spans) for x in re.findall(r"\x01\d+\x02", value)]
            if len(parts) == 1:
                from mathdistill.grading.normalize import strip_math_delims
                from mathdistill.grading.structures import split_top

                side = split_top(strip_math_delims(parts[0]), "=")[-1].strip()
                return side or None
            return ", ".join(parts)
        raw = _unmask(value, spans)
        if _NUM_LIST_RE.match(raw):
            parts = re.split(r"\s*(?:,\s*and|,\s*or|,(?!\d{3}(?!\d))|and|or)\s*", raw)
            if len(parts) > 1:
                return ", ".join(parts)
            return raw  # `1,000`: a thousands group is one number
        if (_NUM_PHRASE_RE.match(raw) and not _COMPARATIVE_RE.search(raw)) or _ROOT_RE.match(raw) or (_WORD_RE.match(raw) and raw.lower() not in _STOP):
            return raw
        return None
    return None


def last_number_text(text: str) -> str:
    """The last sentence holding a digit, without trailing asides (or the whole text if none)."""
    masked, spans = _mask(text[-1500:])
    for s in reversed(_sentences(masked)):
        if re.search(r"\d", _unmask(s, spans)):
            main = _unmask(",".join(_main_clauses(s)), spans)
            return main if re.search(r"\d", main) else _unmask(s, spans)
    return text
