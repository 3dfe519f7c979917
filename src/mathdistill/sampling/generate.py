"""Generation shared by sampling and eval: prompts, requests, completions -> Samples.

Sampling (`sampling.runner`: a strategy's rounds into a samples folder) and eval
(`eval.runner`: k = n per problem into a cache file) differ in what they ask for and where
the samples go. How a model is prompted, how the backend is asked and how its answers are
recorded is decided here, once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mathdistill.data.prompts import Prompter
from mathdistill.errors import BackendError
from mathdistill.records import Problem, Sample
from mathdistill.sampling.base import Backend, Completion, GenerationRequest, SamplingParams


def make_prompter(model: str, template: str | None, n_shots: int, *, loads_local_weights: bool, source: str,
                  split: str | None, data_dir: str | None, seed: int, shots_from: str | None) -> Prompter:
    """The prompter for `model` on `source`: the template asked for, else the one a model trained
    here was trained with (format too), else the source's default. Only a backend that loads the
    weights can be running a trained folder, so only then is its manifest read."""
    from mathdistill.data.prompts import default_template
    from mathdistill.data.prompts import make_prompter as build
    from mathdistill.models.manifest import trained_prompt

    trained = trained_prompt(model) if loads_local_weights else None
    t_template, t_chat = trained or (None, None)
    return build(template or t_template or default_template(source), n_shots, source=source, split=split,
                 data_dir=data_dir, seed=seed, shots_from=shots_from, chat=t_chat)


@dataclass
class Prompts:
    """What is sent for each problem: the prompt text and, to a chat API, the messages instead."""

    problems: list[Problem]
    prompts: dict[str, str]
    messages: dict[str, list[dict[str, str]]]
    stop: list[str]
    prompt_info: dict[str, Any]


def render_prompts(prompter: Prompter, problems: Sequence[Problem], backend: Backend) -> Prompts:
    """Prompts as `backend` takes them: rendered with its tokenizer's chat template; for a chat API
    also the messages, and no template stop strings (the server's chat template ends turns itself)."""
    tok = backend.tokenizer()
    chat_api = backend.chat_api
    return Prompts(list(problems), {p.id: prompter.render(p, tok) for p in problems},
                   {p.id: prompter.messages(p) for p in problems} if chat_api else {},
                   [] if chat_api else prompter.stop(tok), {**prompter.describe(), "chat_api": chat_api})


@dataclass
class Work:
    """Completions wanted for one problem: their sample indices, and the seed of their request."""

    problem_id: str
    indices: list[int]
    seed: int | None


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
    for w, req, comps in zip(work, reqs, results, strict=True):
        p = req.params
        for i, c in zip(w.indices, comps, strict=True):
            out.append(Sample(
                problem_id=w.problem_id, sample_idx=i, prompt=req.prompt, response=c.text,
                finish_reason=c.finish_reason, num_tokens=c.num_tokens, teacher=teacher,
                temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
                seed=c.seed if c.seed is not None else p.seed, answer=gold[w.problem_id],
                meta=dict(meta or {})))
    return out


def generate_batches(backend: Backend, prompts: Prompts, work: Sequence[Work], params: SamplingParams, *,
                     batch: int, teacher: str, meta: dict[str, Any] | None = None,
                     ) -> Iterator[tuple[list[Work], list[Sample], float]]:
    """(work items, their samples, generate seconds) for each batch of `batch` requests, in order.

    The caller handles batch i (grading, writing) before asking for batch i+1, or in a helper
    thread while the next one is generated."""
    for start in range(0, len(work), batch):
        chunk = list(work[start:start + batch])
        reqs = build_requests(prompts, chunk, params)
        t0 = time.perf_counter()
        results = backend.generate(reqs)
        dt = time.perf_counter() - t0
        check_counts(backend, reqs, results)
        yield chunk, to_samples(prompts, chunk, reqs, results, teacher=teacher, meta=meta), dt
