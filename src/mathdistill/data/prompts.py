"""Prompt templates by name, few-shot exemplars, and rendering (chat or plain text).

A template renders a problem either as chat messages (applied through the tokenizer's
chat template, or sent as-is to a chat API) or as plain completion text for base
models. Few-shot exemplars always come from a *train* split, chosen deterministically,
and never include the problem being prompted.

How a prompt is turned into text is one of RENDERINGS, and the same functions render it for
training, sampling and eval, so a model is prompted byte for byte as it was trained
(methods.md 4.11): `chat` (the tokenizer's chat template over the messages), `plain` (the
template's plain text), `joined` (the messages' contents joined, for chat rows trained on a
tokenizer without a chat template) and `auto` (chat when the tokenizer has a chat template and
the template allows one, else plain). A trained folder records the rendering it was trained with.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from mathdistill.data.answers import gsm8k_solution_to_cot
from mathdistill.errors import MathdistillError
from mathdistill.grading.reasoning import THINK_TAGS
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
    # False: the paper's exact text, never wrapped in a chat template (alpaca, rft, deepseekmath).
    chat: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "user": self.user, "plain": self.plain, "stop": list(self.stop),
                "system": self.system, "answer_style": self.answer_style, "chat": self.chat}


RENDERINGS = ("auto", "chat", "plain", "joined")


def join_turns(messages: list[dict[str, str]]) -> str:
    """The `joined` rendering: chat rows as text for a tokenizer without a chat template."""
    return "\n\n".join(m["content"] for m in messages) + "\n"


def render_turns(messages: list[dict[str, str]], tokenizer: Any, rendering: str) -> str:
    """Messages as prompt text under `rendering` (chat or joined)."""
    if rendering == "chat":
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise MathdistillError("rendering 'chat' needs a tokenizer with a chat template")
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if rendering == "joined":
        return join_turns(messages)
    raise MathdistillError(f"messages render as 'chat' or 'joined', not '{rendering}'")


def continuation(prompt: str, completion: str, open_tag: str = THINK_TAGS[0]) -> str:
    """`completion` as the text that follows `prompt`. A chat template that pre-fills the reasoning's
    opening tag (DeepSeek-R1's distills, QwQ) ends the prompt with it, and the model, at sampling and
    eval time, continues inside the reasoning; a training row that writes the tag again (curation
    writes `<think>` + reasoning + `</think>` + answer) is cut to the same continuation, or the student
    would learn to open its reasoning twice."""
    body = prompt.rstrip()
    if not body.endswith(open_tag) or not completion.lstrip().startswith(open_tag):
        return completion
    rest = completion.lstrip()[len(open_tag):]
    written = prompt[len(body):]  # what the template put after the tag ("\n"): not written again
    return rest[len(written):] if rest.startswith(written) else rest.lstrip()


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
            description="Alpaca format of DART-Math's students (plain text; methods.md 1.3)",
            chat=False,
        ),
        PromptTemplate(
            "rft",
            user="{question}",
            # RFT's train.py: the response follows "### Response:" directly (methods.md 2.3).
            plain="Below is an instruction that describes a task. Write a response that appropriately "
            "completes the request.\n\n### Instruction:\n{question}\n\n### Response:",
            stop=("### Instruction:",),
            answer_style="raw",
            description="Alpaca without input, as RFT (gsm8k-ScRel) trains and tests (plain text)",
            chat=False,
        ),
        PromptTemplate(
            "deepseekmath",
            user="{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}.",
            plain="User: {question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."
            "\n\nAssistant:",
            stop=("User:", "Assistant:"),
            description="DART-Math's synthesis prompt for DeepSeekMath-7B-RL (plain text; methods.md 1.3)",
            chat=False,
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
    rendering: str = "auto"  # one of RENDERINGS (a trained folder's manifest says which)

    def __post_init__(self) -> None:
        if self.rendering not in RENDERINGS:
            raise MathdistillError(f"unknown prompt rendering '{self.rendering}' (known: {', '.join(RENDERINGS)})")

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
        """Prompt text under this prompter's rendering (auto: the chat template if the tokenizer has one)."""
        how = self.resolved(tokenizer)
        if how == "plain":
            return self.plain_text(p)
        return render_turns(self.messages(p), tokenizer, how)

    def resolved(self, tokenizer: Any) -> str:
        """The rendering used with `tokenizer`: chat, plain or joined."""
        if self.rendering != "auto":
            return self.rendering
        has_chat = bool(tokenizer is not None and getattr(tokenizer, "chat_template", None))
        return "chat" if has_chat and self.template.chat else "plain"

    def uses_chat(self, tokenizer: Any) -> bool:
        return self.resolved(tokenizer) == "chat"

    def stop(self, tokenizer: Any = None) -> list[str]:
        return [] if self.uses_chat(tokenizer) else list(self.template.stop)

    def question_of(self, prompt: str) -> str | None:
        """The question a plain prompt of this template (no few-shot) was rendered from, else None."""
        return _unformat(self.template.plain, prompt, strip=True)

    def question_of_turn(self, user: str) -> str | None:
        """The question a chat user turn of this template was rendered from, else None."""
        return _unformat(self.template.user, user, strip=False)

    def describe(self) -> dict[str, Any]:
        """What every output records about the prompt."""
        return {
            "template": self.template.to_dict(),
            "n_shots": self.n_shots,
            "rendering": self.rendering,
            "exemplar_ids": [e.id for e in self.exemplars[: self.n_shots]],
            "spare_exemplar_id": self.exemplars[self.n_shots].id if len(self.exemplars) > self.n_shots else None,
        }


def make_prompter(template: str, n_shots: int = 0, *, source: str | None = None, split: str | None = None,
                  data_dir: str | None = None, seed: int = 0, shots_from: str | None = None,
                  rendering: str = "auto") -> Prompter:
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
    return Prompter(get_template(template), exemplars, n_shots, rendering)


def default_template(source: str) -> str:
    from mathdistill.data.sources import SOURCES

    return SOURCES[source].default_template if source in SOURCES else "boxed_cot"


def _unformat(fmt: str, text: str, *, strip: bool) -> str | None:
    """Inverse of fmt.format(question=q) for a format with one {question}; None when text does not match."""
    head, sep, tail = fmt.partition("{question}")
    if not sep:
        return None
    head, tail = head.replace("{{", "{").replace("}}", "}"), tail.replace("{{", "{").replace("}}", "}")
    if strip:  # plain_text right-strips spaces
        tail = tail.rstrip(" ")
    if len(text) < len(head) + len(tail) or not text.startswith(head) or not text.endswith(tail):
        return None
    return text[len(head):len(text) - len(tail)]
