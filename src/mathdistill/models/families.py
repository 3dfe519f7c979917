"""Reasoning-model families as data: how each marks its reasoning, what its chat template does, how it
is best sampled. Code never special-cases a model: it asks its family.

A family says: the tags around the reasoning (None: the model writes none), whether its chat template
pre-fills the opening tag (then an output starts inside the reasoning and shows only the closing tag),
the token that ends an assistant turn (training must end every target with it), vLLM's reasoning-parser
name (`vllm serve --reasoning-parser NAME`, and the offline parser), and the sampling its authors
recommend for long generations. `resolve_family("auto" | "none" | NAME, model, tokenizer, prompt)` picks
one: by name, else from the chat template; the rendered prompt decides `prefilled` whenever it is known.
docs/longcot.md has the table.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mathdistill.errors import ConfigError
from mathdistill.grading.reasoning import THINK_TAGS, Split, split_reasoning
from mathdistill.models.manifest import trained_on_reasoning

log = logging.getLogger(__name__)

# DeepSeek-R1's recommendation (model card): temperature 0.6, top-p 0.95, up to 32,768 generated tokens.
LONGCOT_SAMPLING: Mapping[str, Any] = MappingProxyType({"temperature": 0.6, "top_p": 0.95, "max_new_tokens": 32768})


@dataclass(frozen=True)
class Family:
    name: str
    tags: tuple[str, str] | None = None  # (opening, closing); None: no reasoning part
    prefilled: bool = False  # the chat template ends the prompt with the opening tag
    end_of_turn: str | None = None  # None: the tokenizer's eos_token
    vllm_parser: str | None = None
    sampling: Mapping[str, Any] = field(default_factory=dict)  # temperature, top_p, max_new_tokens
    trim: tuple[str, ...] = ()  # markers around either part that are neither (harmony's)
    names: tuple[str, ...] = ()  # lower-case substrings of a model name or path that select this family
    unless: tuple[str, ...] = ()  # ... unless one of these is there too
    about: str = ""

    @property
    def thinks(self) -> bool:
        return self.tags is not None

    def split(self, text: str) -> Split:
        """`grading.reasoning.split_reasoning` with this family's tags; a family that does not think
        keeps the whole text as the answer."""
        if self.tags is None:
            return Split(None, text or "", None)
        return split_reasoning(text, self.tags, self.prefilled, self.trim)

    def describe(self) -> dict[str, Any]:
        return {"family": self.name, "tags": list(self.tags) if self.tags else None, "prefilled": self.prefilled,
                "end_of_turn": self.end_of_turn, "vllm_parser": self.vllm_parser}


NONE = Family("none", about="no reasoning part: the whole output is the answer (short chain of thought)")

FAMILIES: dict[str, Family] = {f.name: f for f in (
    NONE,
    # R1-0528 and the distills' current templates end the prompt with `<think>\n`.
    Family("deepseek-r1", THINK_TAGS, prefilled=True, end_of_turn="<｜end▁of▁sentence｜>", vllm_parser="deepseek_r1",
           sampling=LONGCOT_SAMPLING, names=("deepseek-r1", "deepseek_r1", "r1-distill", "openthinker", "openr1",
                                             "open-r1"),
           about="DeepSeek-R1 and its distills (Qwen/Llama), OpenThinker, OpenR1"),
    # Hybrid Qwen3 writes `<think>` itself; the Thinking-2507 templates pre-fill it (seen in the prompt).
    Family("qwen3", THINK_TAGS, prefilled=False, end_of_turn="<|im_end|>", vllm_parser="qwen3",
           sampling={"temperature": 0.6, "top_p": 0.95, "max_new_tokens": 32768}, names=("qwen3",),
           unless=("instruct-2507", "qwen3-vl", "qwen3-coder", "embedding", "reranker"),
           about="Qwen3 in thinking mode (hybrid models, Thinking-2507)"),
    Family("qwq", THINK_TAGS, prefilled=True, end_of_turn="<|im_end|>", vllm_parser="deepseek_r1",
           sampling={"temperature": 0.6, "top_p": 0.95, "max_new_tokens": 32768}, names=("qwq",),
           about="QwQ-32B"),
    # Harmony: reasoning on the `analysis` channel, the answer on `final`. The markers are special tokens:
    # raw text keeps them only when decoded with skip_special_tokens=False (or use a server's parser).
    Family("gpt-oss", ("<|channel|>analysis<|message|>", "<|channel|>final<|message|>"), prefilled=False,
           end_of_turn="<|return|>", vllm_parser="openai_gptoss",
           sampling={"temperature": 1.0, "top_p": 1.0, "max_new_tokens": 32768},
           trim=("<|start|>assistant", "<|end|>", "<|return|>", "<|call|>"), names=("gpt-oss", "gpt_oss"),
           about="OpenAI gpt-oss (harmony channels analysis / final)"),
    # Any other model whose chat template knows `<think>` (found by `detect_family`, or named).
    Family("think", THINK_TAGS, prefilled=False, vllm_parser="deepseek_r1",
           about="any other model with <think> tags (detected from its chat template)"),
)}
CHOICES = ("auto", *FAMILIES)


def get_family(name: str) -> Family:
    fam = FAMILIES.get(name)
    if fam is None:
        raise ConfigError(f"unknown reasoning family {name!r} (known: {', '.join(CHOICES)})")
    return fam


def family_by_name(model: str) -> Family | None:
    """The family a model's name or path says, or None."""
    low = (model or "").lower()
    for fam in FAMILIES.values():
        if any(n in low for n in fam.names) and not any(u in low for u in fam.unless):
            return fam
    return None


def chat_template(tokenizer: Any) -> str | None:
    t = getattr(tokenizer, "chat_template", None) if tokenizer is not None else None
    if isinstance(t, dict):  # several named templates: the default one renders chats
        t = t.get("default") or next(iter(t.values()), None)
    return t if isinstance(t, str) else None


def generation_prompt(tokenizer: Any) -> str | None:
    """A one-turn chat rendered up to the assistant's first token, or None when it cannot be."""
    try:
        out = tokenizer.apply_chat_template([{"role": "user", "content": "What is 1+1?"}], tokenize=False,
                                            add_generation_prompt=True)
    except Exception as e:  # noqa: BLE001 - a template that cannot render says nothing about prefilling
        log.debug("chat template did not render: %s", e)
        return None
    return out if isinstance(out, str) else None


def detect_family(model: str, tokenizer: Any = None) -> Family:
    """The family of `model`: by its name, else by the manifest of a folder trained here on reasoning
    traces, else by its chat template (harmony channels, `<think>`); `none` when none says it reasons."""
    fam = family_by_name(model)
    if fam is not None:
        return fam
    tmpl = chat_template(tokenizer)
    if model and trained_on_reasoning(model):  # trained here on think-tagged traces (a short-CoT base model)
        return FAMILIES["think"]
    if tmpl:
        if "<|channel|>" in tmpl and "analysis" in tmpl:
            return FAMILIES["gpt-oss"]
        if "<think>" in tmpl:
            return FAMILIES["think"]
    return NONE


def resolve_family(option: str, model: str, tokenizer: Any = None, prompt: str | None = None) -> Family:
    """The family for a run's `reasoning` option (`auto`, `none` or a family name).

    Whether the template pre-fills the opening tag is read from `prompt` (a prompt as it is sent)
    when there is one, else from `tokenizer`'s rendering, else it is the family's default (a chat
    API renders prompts on the server). A prompt that ends with the CLOSING tag is a template with
    thinking turned off (Qwen3's `enable_thinking=False`): the family is then `none`."""
    fam = detect_family(model, tokenizer) if option == "auto" else get_family(option)
    if fam.tags is None:
        return fam
    shown = prompt if prompt is not None else (generation_prompt(tokenizer) if tokenizer is not None else None)
    if shown is None:
        return fam
    end = shown.rstrip()
    if end.endswith(fam.tags[1]):
        log.info("reasoning: the prompt closes the reasoning already (thinking turned off): family none")
        return NONE
    return dataclasses.replace(fam, prefilled=end.endswith(fam.tags[0]))


def recommended_sampling(fam: Family) -> dict[str, Any]:
    """The family's recommended long-generation sampling (DeepSeek-R1's when it names none)."""
    return dict(fam.sampling or LONGCOT_SAMPLING)


def sampling_preset_names() -> list[str]:
    return ["longcot", *(name for name, f in FAMILIES.items() if f.sampling)]


def sampling_preset(name: str) -> dict[str, Any]:
    """An eval preset's values: `longcot` (DeepSeek-R1's recommendation) or a family's own, and no
    greedy pass (DeepSeek advises against greedy decoding of reasoning models: it loops)."""
    if name == "longcot":
        return {**LONGCOT_SAMPLING, "greedy": False}
    fam = get_family(name)
    if not fam.sampling:
        raise ConfigError(f"{name!r} recommends no sampling (presets: {', '.join(sampling_preset_names())})")
    return {**fam.sampling, "greedy": False}
