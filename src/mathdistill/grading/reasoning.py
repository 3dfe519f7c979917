"""Reasoning traces: the one rule that cuts a model's output into its reasoning and its answer.

Reasoning models (DeepSeek-R1 and its distills, Qwen3 thinking, QwQ, gpt-oss) write a trace between
tags, `<think> ... </think>`, then the answer. Everything downstream (grading, voting, curation,
training) must know which part is which, so there is one splitter, `split_reasoning`, and every
other place (backends without a server-side parser, the completion -> Sample step, grading of
files that were never split) calls it. docs/longcot.md lists the outcomes; in short:

=========================================  =======================  =========  ========
output                                     reasoning                answer     closed
=========================================  =======================  =========  ========
no tag at all (template does not pre-fill)  None                     the text   None
no tag at all, template pre-fills `<think>` the text                 ""         False
`<think>R</think>A`                        R                        A          True
`R</think>A` (no opening tag)              R                        A          True
`<think>R` (never closed)                  R                        ""         False
`<think>R1</think>X<think>R2</think>A`     R1</think>X<think>R2     A          True
`<think>R1</think>X<think>R2` (reopened)   R1</think>X<think>R2     ""         False
`<think>R</think>` (empty answer)          R                        ""         True
=========================================  =======================  =========  ========

The answer is what follows the LAST closing tag: an answer cannot sit inside a reasoning block, and a
model that thinks twice answers after its second thought. A closing tag without an opening one is the
normal case of a template that pre-fills `<think>` in the prompt, and is read the same way whether or
not the template was known to pre-fill. A reasoning that never closed (`closed=False`) has no answer:
it is `truncated` (the token budget ran out, or the model stopped mid-thought) and is never graded
from inside the thinking. A closed reasoning followed by nothing is an answer-less response: graded
as a failed extraction, not as truncated. Text before the first opening tag stays in the reasoning
(it is not the answer), the tag itself then kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

THINK_TAGS = ("<think>", "</think>")
# What a grader is told about an answer-less unclosed reasoning: it grades it as it grades a response
# cut by the token budget (error "truncated", never correct).
TRUNCATED_FINISH = "length"


class Split(NamedTuple):
    reasoning: str | None  # None: the output has no reasoning part
    answer: str  # the part after the reasoning ("" when there is none)
    closed: bool | None  # None: no reasoning; False: it never ended (truncated)


def _trim(text: str, trim: Sequence[str]) -> str:
    text = text.strip()
    changed = True
    while changed and trim:
        changed = False
        for t in trim:
            if t and text.startswith(t):
                text, changed = text[len(t):].strip(), True
            if t and text.endswith(t):
                text, changed = text[:-len(t)].strip(), True
    return text


def split_reasoning(text: str, tags: Sequence[str] = THINK_TAGS, prefilled: bool = False,
                    trim: Sequence[str] = ()) -> Split:
    """(reasoning, answer, closed) of `text` (see the module doc for every case).

    `tags`: the (opening, closing) markers; `prefilled`: the chat template ended the prompt with the
    opening tag, so the output starts inside the reasoning; `trim`: markers removed from both ends of
    each part (harmony's `<|end|>`, `<|start|>assistant`, `<|return|>`). Both parts are stripped."""
    open_tag, close_tag = tags
    text = text or ""
    last_close = text.rfind(close_tag)
    last_open = text.rfind(open_tag)
    if last_close < 0 and last_open < 0:
        if prefilled:
            return Split(_trim(text, trim), "", False)
        return Split(None, _trim(text, trim), None)
    if last_open > last_close:  # an opening tag after the last closing one (or no closing tag): still thinking
        return Split(_trim(_drop_open(text, open_tag), trim), "", False)
    return Split(_trim(_drop_open(text[:last_close], open_tag), trim),
                 _trim(text[last_close + len(close_tag):], trim), True)


def _drop_open(reasoning: str, open_tag: str) -> str:
    body = reasoning.lstrip()
    return body[len(open_tag):] if body.startswith(open_tag) else reasoning


def grading_input(response: str, finish_reason: str | None, reasoning_closed: bool | None = None,
                  ) -> tuple[str, str | None]:
    """What the grader reads of one response: (text, finish_reason).

    `reasoning_closed` is the record's: True -> `response` is already the answer part; False -> the
    reasoning never ended, graded as truncated with no text (never from inside the thinking); None ->
    the record was never split (a file from elsewhere, an older run): its response is split here with
    the `<think>` tags, so a raw trace is graded on its answer part too."""
    if reasoning_closed is False:
        return "", TRUNCATED_FINISH
    if reasoning_closed is True:
        return response or "", finish_reason
    s = split_reasoning(response or "")
    if s.closed is None:
        return response or "", finish_reason
    return (s.answer, finish_reason) if s.closed else ("", TRUNCATED_FINISH)
