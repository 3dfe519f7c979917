"""Prompt templates by name, few-shot exemplars, and rendering (chat or plain text).

A template renders a problem either as chat messages (applied through the tokenizer's
chat template, or sent as-is to a chat API) or as plain completion text for base
models. Few-shot exemplars always come from a *train* split, chosen deterministically,
and never include the problem being prompted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from mathdistill.data.answers import gsm8k_solution_to_cot
from mathdistill.errors import MathdistillError
from mathdistill.records import Problem


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    user: str  # chat user turn, with {question}
    plain: str  # plain-text prompt for models without a chat template, with {question}
    stop: tuple[str, ...] = ()  # stop strings for plain mode (chat mode stops on EOS)
    system: str | None = None
    answer_style: str = "boxed"  # how exemplar solutions are written: boxed | answer_is | raw
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "user": self.user, "plain": self.plain, "stop": list(self.stop),
                "system": self.system, "answer_style": self.answer_style}


TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in [
        PromptTemplate(
            "boxed_cot",
            user="{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}.",
            plain="Problem:\n{question}\n\nSolution:\n",
            stop=("\n\n\nProblem:", "\nProblem:"),
            description="MATH-style chain of thought ending in \\boxed{answer}",
        ),
        PromptTemplate(
            "gsm8k",
            user="{question}\nLet's think step by step. At the end, write \"The answer is N\" with N a number.",
            plain="Question: {question}\nAnswer: Let's think step by step.",
            stop=("\n\n\nQuestion:", "\nQuestion:"),
            answer_style="answer_is",
            description="GSM8K-style chain of thought ending in 'The answer is N.'",
        ),
        PromptTemplate("raw", user="{question}", plain="{question}\n", answer_style="raw",
                       description="the question alone"),
        PromptTemplate(
            "alpaca",
            user="{question}",
            plain="Below is an instruction that describes a task. Write a response that appropriately "
            "completes the request.\n\n### Instruction:\n{question}\n\n### Response:\n",
            stop=("### Instruction:", "### Response:"),
            description="Alpaca format used by DART-Math/RFT students (plain text)",
        ),
    ]
}


def get_template(name: str) -> PromptTemplate:
    if name not in TEMPLATES:
        raise MathdistillError(f"unknown prompt template '{name}' (known: {', '.join(TEMPLATES)})")
    return TEMPLATES[name]


def exemplar_solution(template: PromptTemplate, p: Problem) -> str:
    sol = p.solution or p.answer
    if template.answer_style == "answer_is":
        if p.solution and "####" in p.solution:
            return gsm8k_solution_to_cot(p.solution)
        return f"{sol.strip()}\nThe answer is {p.answer}."
    if template.answer_style == "boxed" and "\\boxed" not in sol:
        return f"{sol.strip()}\nThe final answer is $\\boxed{{{p.answer}}}$."
    return sol.strip()


def choose_exemplars(pool: list[Problem], n: int, seed: int = 0) -> list[Problem]:
    """n+1 deterministic exemplars (sorted by id, then shuffled with `seed`).

    One spare is kept so a prompted problem that happens to be an exemplar is replaced.
    """
    if n <= 0:
        return []
    if len(pool) <= n:
        raise MathdistillError(f"need more than {n} problems to draw {n} few-shot exemplars, got {len(pool)}")
    ordered = sorted(pool, key=lambda p: p.id)
    return random.Random(seed).sample(ordered, n + 1)


@dataclass
class Prompter:
    """Renders problems with a template and fixed few-shot exemplars."""

    template: PromptTemplate
    exemplars: list[Problem] = field(default_factory=list)  # n+1 candidates (see choose_exemplars)
    n_shots: int = 0
    chat: bool | None = None  # None: chat template when the tokenizer has one; False: plain text always

    def shots_for(self, p: Problem) -> list[Problem]:
        return [e for e in self.exemplars if e.id != p.id][: self.n_shots]

    def messages(self, p: Problem) -> list[dict[str, str]]:
        t = self.template
        msgs: list[dict[str, str]] = [{"role": "system", "content": t.system}] if t.system else []
        for e in self.shots_for(p):
            msgs.append({"role": "user", "content": t.user.format(question=e.question)})
            msgs.append({"role": "assistant", "content": exemplar_solution(t, e)})
        msgs.append({"role": "user", "content": t.user.format(question=p.question)})
        return msgs

    def plain_text(self, p: Problem) -> str:
        t = self.template
        parts = [t.plain.format(question=e.question) + exemplar_solution(t, e) + "\n\n\n" for e in self.shots_for(p)]
        return ("".join(parts) + t.plain.format(question=p.question)).rstrip(" ")

    def render(self, p: Problem, tokenizer: Any = None) -> str:
        """Prompt text: through the tokenizer's chat template if it has one, else plain."""
        if self.uses_chat(tokenizer):
            return tokenizer.apply_chat_template(self.messages(p), tokenize=False, add_generation_prompt=True)
        return self.plain_text(p)

    def uses_chat(self, tokenizer: Any) -> bool:
        if self.chat is False:
            return False
        return bool(tokenizer is not None and getattr(tokenizer, "chat_template", None)
                    and self.template.name != "alpaca")

    def stop(self, tokenizer: Any = None) -> list[str]:
        return [] if self.uses_chat(tokenizer) else list(self.template.stop)

    def describe(self) -> dict[str, Any]:
        """What every output records about the prompt."""
        return {
            "template": self.template.to_dict(),
            "n_shots": self.n_shots,
            "chat": self.chat,
            "exemplar_ids": [e.id for e in self.exemplars[: self.n_shots]],
            "spare_exemplar_id": self.exemplars[self.n_shots].id if len(self.exemplars) > self.n_shots else None,
        }


def make_prompter(template: str, n_shots: int = 0, *, source: str | None = None, split: str | None = None,
                  data_dir: str | None = None, seed: int = 0, shots_from: str | None = None, chat: bool | None = None) -> Prompter:
    """Build a Prompter; exemplars come from the source's train split (or `shots_from`)."""
    from mathdistill.data.sources import SOURCES, load_problems

    exemplars: list[Problem] = []
    if n_shots > 0:
        if shots_from:
            pool = load_problems(shots_from, "train", data_dir=data_dir)
        elif source in SOURCES:
            ex_source, ex_split = SOURCES[source].exemplar_source
            pool = load_problems(ex_source, ex_split, data_dir=data_dir)
        else:
            raise MathdistillError("--n-shots with a local JSONL needs --shots-from SOURCE (a train set)")
        exemplars = choose_exemplars(pool, n_shots, seed)
    return Prompter(get_template(template), exemplars, n_shots, chat)


def default_template(source: str) -> str:
    from mathdistill.data.sources import SOURCES

    return SOURCES[source].default_template if source in SOURCES else "boxed_cot"
