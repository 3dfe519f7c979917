"""Training-set rows in the dataset conventions of TRL trainers.

- sft:      {"prompt": str, "completion": str}                  (SFTTrainer, prompt-completion)
- messages: {"messages": [{"role", "content"}, ...]}            (SFTTrainer, conversational)
- pairs:    {"prompt": str, "chosen": str, "rejected": str}     (DPOTrainer & co, preference)
- kto:      {"prompt": str, "completion": str, "label": bool}  (KTOTrainer, unpaired preference)
- ranker:   {"question": str, "positives": [str], "negatives": [str]}  (TDG's ASC ranker, methods.md 3.6)
- think_messages: messages rows of the positives with their working as a reasoning trace (`as_reasoning`)

Every row also carries `problem_id` (and sample indices) so a row can be traced back to
its sample; TRL ignores extra columns. Prompts are question-only (no few-shot), rendered
with one template of `mathdistill.data.prompts`, recorded in stats.json and the card. A
reasoning sample's completion is its whole trace, reasoning in think tags then the answer
(`training_text`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from itertools import islice, product
from typing import Any

from mathdistill.data.prompts import Prompter
from mathdistill.grading.reasoning import THINK_TAGS
from mathdistill.records import Problem, Sample

Grouped = dict[str, list[Sample]]


def training_text(s: Sample) -> str:
    """What the student learns to write: the response, or for a reasoning sample its whole trace,
    `<think>`, the reasoning, `</think>`, then the answer (the layout reasoning models write), never
    the answer alone."""
    if s.reasoning is None:
        return s.response
    open_tag, close_tag = THINK_TAGS
    if s.reasoning_closed is False:  # a truncated negative (--keep-truncated) stays unclosed, as written
        return f"{open_tag}\n{s.reasoning}"
    return f"{open_tag}\n{s.reasoning}\n{close_tag}\n\n{s.response}"


# The last sentence starts after a sentence end (. ! ? followed by space) or a line break that
# has text after it; "3.5" and "1,000" do not end a sentence.
_LAST_SENTENCE = re.compile(r"(?:(?<=[.!?])[ \t]+|\n+)(?=\S)")


def split_final_sentence(text: str) -> tuple[str, str]:
    """(working, final sentence) of a short chain-of-thought answer; ("", text) for one sentence."""
    body = text.strip()
    cuts = list(_LAST_SENTENCE.finditer(body))
    if not cuts:
        return "", body
    m = cuts[-1]
    return body[: m.start()].rstrip(), body[m.end():]


def as_reasoning(groups: Grouped) -> Grouped:
    """Short chain-of-thought samples laid out as a thinking model writes: the working becomes the
    reasoning (closed), the final sentence the answer. Samples that have a reasoning stay as they are."""
    out: Grouped = {}
    for pid, samples in groups.items():
        out[pid] = []
        for s in samples:
            if s.reasoning is None:
                work, final = split_final_sentence(s.response)
                s = dataclasses.replace(s, reasoning=work, response=final, reasoning_closed=True)
            out[pid].append(s)
    return out


def completion_text(prompt: str, response: str) -> str:
    """The response, minus a leading copy of the prompt's last line ("Solution:") that
    ICL teachers often repeat; prompt + completion would otherwise say it twice."""
    tail = prompt.rstrip().rsplit("\n", 1)[-1].strip()
    body = response.lstrip()
    if tail and len(tail) < 40 and body.startswith(tail):
        return body[len(tail) :].lstrip("\n")
    return response


class Renderer:
    def __init__(self, prompter: Prompter, problems: dict[str, Problem]):
        self.prompter, self.problems = prompter, problems
        self._cache: dict[str, str] = {}

    def prompt(self, pid: str) -> str:
        if pid not in self._cache:
            self._cache[pid] = self.prompter.plain_text(self.problems[pid])
        return self._cache[pid]

    def messages(self, pid: str) -> list[dict[str, str]]:
        return self.prompter.messages(self.problems[pid])

    def completion(self, s: Sample) -> str:
        return completion_text(self.prompt(s.problem_id), training_text(s))


def sft_rows(pos: Grouped, r: Renderer) -> Iterator[dict[str, Any]]:
    for pid in sorted(pos):
        for s in pos[pid]:
            yield {
                "prompt": r.prompt(pid),
                "completion": r.completion(s),
                "problem_id": pid,
                "sample_idx": s.sample_idx,
            }


def messages_rows(pos: Grouped, r: Renderer) -> Iterator[dict[str, Any]]:
    for pid in sorted(pos):
        for s in pos[pid]:
            msgs = r.messages(pid) + [{"role": "assistant", "content": training_text(s)}]
            yield {"messages": msgs, "problem_id": pid, "sample_idx": s.sample_idx}


def make_pairs(
    pos: list[Sample], neg: list[Sample], pairing: str = "zip", max_pairs: int | None = None
) -> list[tuple[Sample, Sample]]:
    """Deterministic (chosen, rejected) pairs of ONE problem's samples.

    zip: i-th correct with i-th incorrect (by sample_idx), each sample used once;
    product: every combination in (correct, incorrect) index order. Capped by max_pairs.
    """
    if not pos or not neg:
        return []
    pids = {s.problem_id for s in pos} | {s.problem_id for s in neg}
    if len(pids) != 1:
        raise ValueError(f"pairs must come from one problem, got {sorted(pids)}")
    p = sorted(pos, key=lambda s: s.sample_idx)
    n = sorted(neg, key=lambda s: s.sample_idx)
    it = zip(p, n, strict=False) if pairing == "zip" else product(p, n)
    return list(islice(it, max_pairs))


def pair_rows(
    pos: Grouped, neg: Grouped, r: Renderer, pairing: str = "zip", max_pairs: int | None = None
) -> Iterator[dict[str, Any]]:
    for pid in sorted(set(pos) & set(neg)):
        for c, j in make_pairs(pos[pid], neg[pid], pairing, max_pairs):
            yield {
                "prompt": r.prompt(pid),
                "chosen": r.completion(c),
                "rejected": r.completion(j),
                "problem_id": pid,
                "chosen_idx": c.sample_idx,
                "rejected_idx": j.sample_idx,
            }


def kto_rows(pos: Grouped, neg: Grouped, r: Renderer) -> Iterator[dict[str, Any]]:
    for pid in sorted(set(pos) | set(neg)):
        for label, group in ((True, pos.get(pid, [])), (False, neg.get(pid, []))):
            for s in group:
                yield {
                    "prompt": r.prompt(pid),
                    "completion": r.completion(s),
                    "label": label,
                    "problem_id": pid,
                    "sample_idx": s.sample_idx,
                }


def ranker_rows(pos: Grouped, neg: Grouped, problems: dict[str, Problem]) -> Iterator[dict[str, Any]]:
    """One group per problem with at least one positive and one negative (a ranker step
    needs both; TDG skips the others)."""
    for pid in sorted(set(pos) & set(neg)):
        if pos[pid] and neg[pid]:
            yield {
                "problem_id": pid,
                "question": problems[pid].question,
                "positives": [training_text(s) for s in pos[pid]],
                "negatives": [training_text(s) for s in neg[pid]],
            }
