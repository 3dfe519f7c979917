"""Generation shared by sampling and eval: prompts, requests, completions -> Samples.

Sampling (`sampling.runner`: a strategy's rounds into a samples folder) and eval
(`eval.runner`: k = n per problem into a cache file) differ in what they ask for and where
the samples go. How a model is prompted, how the backend is asked and how its answers are
recorded is decided here, once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mathdistill.data.prompts import Prompter
from mathdistill.errors import BackendError
from mathdistill.records import Problem, Sample
from mathdistill.sampling.base import Backend, Completion, GenerationRequest, SamplingParams

log = logging.getLogger(__name__)


def make_prompter(model: str, template: str | None, n_shots: int, *, loads_local_weights: bool, source: str,
                  split: str | None, data_dir: str | None, seed: int, shots_from: str | None) -> Prompter:
    """The prompter for `model` on `source`: the template asked for, else the one a model trained
    here was trained with (format too), else the source's default. Only a backend that loads the
    weights can be running a trained folder, so only then is its manifest read."""
    from mathdistill.data.prompts import default_template
    from mathdistill.data.prompts import make_prompter as build
    from mathdistill.models.manifest import trained_prompt

    trained = trained_prompt(model) if loads_local_weights else None
    t_template, t_rendering = trained or (None, "auto")
    return build(template or t_template or default_template(source), n_shots, source=source, split=split,
                 data_dir=data_dir, seed=seed, shots_from=shots_from, rendering=t_rendering)


@dataclass
class Reasoning:
    """How this run's completions are cut into reasoning and answer: the model's family
    (`models.families`), a token counter for the reasoning part when the backend has a tokenizer,
    and counts of outputs that did not match the family (logged, and kept for run.json)."""

    family: Any  # models.families.Family
    count_tokens: Callable[[str], int] | None = None
    warnings: Counter = dataclasses.field(default_factory=Counter)

    def fields(self, c: Completion) -> tuple[str | None, str, bool | None, int | None]:
        """(reasoning, answer, closed, reasoning tokens) of one completion: as the backend split it
        (a server's `reasoning_content`, vLLM's parser), else by the family's splitter."""
        if c.split:
            reasoning, answer, closed, tokens = c.reasoning, c.text, c.reasoning_closed, c.reasoning_tokens
        else:
            reasoning, answer, closed = self.family.split(c.text)
            tokens = None
            if reasoning is None and self.family.thinks:
                # The family thinks but the output shows no tag: recorded as no reasoning, counted.
                self.warnings["no_reasoning_tags"] += 1
        if closed is False:
            if c.finish_reason == "stop":  # it ended its turn mid-thought, or the family pre-fills wrongly
                self.warnings["unclosed_at_stop"] += 1
            tokens = tokens if tokens is not None else c.num_tokens  # everything generated was reasoning
        elif reasoning is not None and tokens is None and self.count_tokens is not None:
            tokens = self.count_tokens(reasoning)
        return reasoning, answer, closed, tokens


def no_reasoning() -> Reasoning:
    from mathdistill.models.families import NONE

    return Reasoning(NONE)


def resolve_reasoning(option: str, backend: Backend, tok: Any, prompt: str | None) -> Reasoning:
    """The run's `Reasoning` for its `reasoning` option (auto | none | a family), told to the backend."""
    from mathdistill.models.families import resolve_family

    # getattr: anything with `tokenizer()` and `chat_api` renders prompts (tests pass tokenizer holders)
    family = resolve_family(option, getattr(backend, "model", ""), tok, None if backend.chat_api else prompt)
    if hasattr(backend, "use_reasoning"):
        backend.use_reasoning(family)
    counter = None
    if family.thinks and tok is not None and hasattr(tok, "encode"):
        def counter(text: str) -> int:
            return len(tok.encode(text, add_special_tokens=False))
    return Reasoning(family, counter)


@dataclass
class Prompts:
    """What is sent for each problem: the prompt text and, to a chat API, the messages instead."""

    problems: list[Problem]
    prompts: dict[str, str]
    messages: dict[str, list[dict[str, str]]]
    stop: list[str]
    prompt_info: dict[str, Any]
    reasoning: Reasoning = dataclasses.field(default_factory=no_reasoning)


def render_prompts(prompter: Prompter, problems: Sequence[Problem], backend: Backend,
                   reasoning: str = "auto") -> Prompts:
    """Prompts as `backend` takes them: rendered with its tokenizer's chat template; for a chat API
    also the messages, and no template stop strings (the server's chat template ends turns itself).
    `reasoning` (auto | none | a family of `models.families`) says how outputs are split."""
    tok = backend.tokenizer()
    chat_api = backend.chat_api
    rendered = {p.id: prompter.render(p, tok) for p in problems}
    split = resolve_reasoning(reasoning, backend, tok, next(iter(rendered.values()), None))
    info = {**prompter.describe(), "chat_api": chat_api}
    if split.family.thinks:  # recorded only for reasoning models: short-CoT runs record what they did
        info["reasoning"] = split.family.describe()
    return Prompts(list(problems), rendered, {p.id: prompter.messages(p) for p in problems} if chat_api else {},
                   [] if chat_api else prompter.stop(tok), info, split)


@dataclass
class Work:
    """Completions wanted for one problem: their sample indices, and the seed of their request."""

    problem_id: str
    indices: list[int]
    seed: int | None


def derive_seed(base: int, problem_id: str, sample_idx: int) -> int:
    """The seed of the request whose first completion is (problem_id, sample_idx)."""
    h = hashlib.blake2b(f"{base}:{problem_id}:{sample_idx}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") % (2**31 - 1)


def seeded_work(seed: int, problem_id: str, indices: Sequence[int]) -> list[Work]:
    """Work for `indices`, one item per run of consecutive indices, each seeded by its first index:
    a rerun asking only for the missing samples 2, 3 does not repeat the seed samples 0, 1 had."""
    out: list[Work] = []
    for i in sorted(indices):
        if out and out[-1].indices[-1] == i - 1:
            out[-1].indices.append(i)
        else:
            out.append(Work(problem_id, [i], derive_seed(seed, problem_id, i)))
    return out


def build_requests(prompts: Prompts, work: Sequence[Work], params: SamplingParams) -> list[GenerationRequest]:
    """One request per work item; `params` gives everything but n, stop and seed."""
    return [GenerationRequest(prompts.prompts[w.problem_id],
                              dataclasses.replace(params, n=len(w.indices), stop=list(prompts.stop), seed=w.seed),
                              prompts.messages.get(w.problem_id), f"{w.problem_id}#{w.indices[0]}")
            for w in work]


def check_counts(backend: Backend, reqs: Sequence[GenerationRequest], results: Sequence[list[Completion]]) -> None:
    if len(results) != len(reqs):
        raise BackendError(f"{backend.name} returned {len(results)} results for {len(reqs)} requests")
    for req, comps in zip(reqs, results, strict=True):
        if len(comps) != req.params.n:
            raise BackendError(f"{backend.name} returned {len(comps)} completions for {req.request_id}, "
                               f"expected {req.params.n}")


def to_samples(prompts: Prompts, work: Sequence[Work], reqs: Sequence[GenerationRequest],
               results: Sequence[list[Completion]], *, teacher: str,
               meta: dict[str, Any] | None = None) -> list[Sample]:
    """One Sample per completion, in request order; its seed is the one that drove it."""
    gold = {p.id: p.answer for p in prompts.problems}
    out = []
    before = sum(prompts.reasoning.warnings.values())
    for w, req, comps in zip(work, reqs, results, strict=True):
        p = req.params
        for i, c in zip(w.indices, comps, strict=True):
            reasoning, response, closed, r_tokens = prompts.reasoning.fields(c)
            out.append(Sample(
                problem_id=w.problem_id, sample_idx=i, prompt=req.prompt, response=response,
                finish_reason=c.finish_reason, num_tokens=c.num_tokens, teacher=teacher,
                temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
                seed=c.seed if c.seed is not None else p.seed, answer=gold[w.problem_id],
                meta=dict(meta or {}), reasoning=reasoning, reasoning_closed=closed, reasoning_tokens=r_tokens))
    if sum(prompts.reasoning.warnings.values()) > before:
        log.warning("reasoning family %s: outputs that do not match it so far: %s (docs/longcot.md)",
                    prompts.reasoning.family.name, dict(prompts.reasoning.warnings))
    return out


def generate_batches(backend: Backend, prompts: Prompts, work: Sequence[Work], params: SamplingParams, *,
                     batch: int, teacher: str, meta: dict[str, Any] | None = None,
                     token_logprobs: dict[tuple[str, int], Any] | None = None,
                     ) -> Iterator[tuple[list[Work], list[Sample], float]]:
    """(work items, their samples, generate seconds) for each batch of `batch` requests, in order.

    The caller handles batch i (grading, writing) before asking for batch i+1, or in a helper
    thread while the next one is generated. With `params.logprobs`, each sample's token log-probs
    (store.logprobs.TokenLogprobs) are put in `token_logprobs` under the sample's key, for the caller
    to store beside the sample."""
    for start in range(0, len(work), batch):
        chunk = list(work[start:start + batch])
        reqs = build_requests(prompts, chunk, params)
        t0 = time.perf_counter()
        results = backend.generate(reqs)
        dt = time.perf_counter() - t0
        check_counts(backend, reqs, results)
        samples = to_samples(prompts, chunk, reqs, results, teacher=teacher, meta=meta)
        if params.logprobs and token_logprobs is not None:
            for smp, c in zip(samples, (c for comps in results for c in comps), strict=True):
                if c.logprobs is None:
                    raise BackendError(f"{backend.name} returned no token log-probs for {smp.problem_id}#"
                                       f"{smp.sample_idx} although --logprobs {params.logprobs} asked for them")
                token_logprobs[smp.key] = c.logprobs
        yield chunk, samples, dt
