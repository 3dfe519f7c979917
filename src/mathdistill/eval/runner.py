"""Generation for evaluation, cached and resumable.

Generations live in `<cache_dir>/<dataset>.<mode>.<key>.jsonl`, one `Sample` per line,
where key = hash(backend, model, prompt template + exemplars, sampling params, seed). A rerun
with the same key reads what is there and generates only the missing
(problem_id, sample_idx) rows; a different model, template or params gets a new file, so
nothing is overwritten. Rows are appended after every backend call (`JsonlAppender`:
whole lines, torn tail repaired), so kill -9 loses at most the batch in flight.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathdistill.data.jsonl import JsonlAppender, read_jsonl, write_jsonl
from mathdistill.data.prompts import Prompter
from mathdistill.records import Problem, Sample
from mathdistill.sampling.base import Backend, GenerationRequest, SamplingParams


@dataclass
class GenerationJob:
    """One (dataset, mode) pass: which problems, how to prompt, how to sample."""

    dataset: str
    mode: str  # "greedy" | "sampled"
    problems: list[Problem]
    prompter: Prompter
    params: SamplingParams
    model_id: str
    backend_name: str

    @property
    def key(self) -> str:
        blob = json.dumps({"backend": self.backend_name, "model": self.model_id, "prompt": self.prompter.describe(),
                           "params": self.params.to_dict()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def path(self, cache_dir: str | Path) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(self.dataset).stem)
        return Path(cache_dir) / f"{safe}.{self.mode}.{self.key}.jsonl"


def _load_cached(path: Path, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], Sample]:
    """Cached rows for the wanted keys. A torn final line (killed writer) is ignored."""
    if not path.exists():
        return {}
    rows: dict[tuple[str, int], Sample] = {}
    for _, d in read_jsonl(path, allow_torn_tail=True):
        s = Sample.from_dict(d)
        if s.key in wanted:
            rows[s.key] = s
    return rows


def missing_work(job: GenerationJob, cached: dict[tuple[str, int], Sample]) -> list[tuple[Problem, list[int]]]:
    """(problem, missing sample indices) for every problem not fully cached."""
    out = []
    for p in job.problems:
        idx = [i for i in range(job.params.n) if (p.id, i) not in cached]
        if idx:
            out.append((p, idx))
    return out


def run_job(job: GenerationJob, cache_dir: str | Path, backend_factory: Callable[[], Backend], *,
            batch_size: int = 16, progress: bool = True) -> list[Sample]:
    """All n samples of every problem of `job`, generating only what the cache lacks."""
    path = job.path(cache_dir)
    wanted = {(p.id, i) for p in job.problems for i in range(job.params.n)}
    cached = _load_cached(path, wanted)
    todo = missing_work(job, cached)
    if todo:
        backend = backend_factory()
        tok = backend.tokenizer()
        stop = sorted(set(job.params.stop) | set(job.prompter.stop(tok)))
        _write_meta(path, job, stop)
        bar = _progress(len(todo), f"{job.dataset} {job.mode}", progress)
        with JsonlAppender(path) as out:
            for start in range(0, len(todo), batch_size):
                chunk = todo[start:start + batch_size]
                reqs, prompts = [], []
                for p, idx in chunk:
                    params = SamplingParams(n=len(idx), temperature=job.params.temperature, top_p=job.params.top_p,
                                            max_tokens=job.params.max_tokens, stop=stop, seed=job.params.seed)
                    prompt = job.prompter.render(p, tok)
                    msgs = job.prompter.messages(p) if tok is None else None
                    reqs.append(GenerationRequest(prompt, params, messages=msgs, request_id=p.id))
                    prompts.append(prompt)
                results = backend.generate(reqs)
                if len(results) != len(reqs):
                    raise RuntimeError(f"backend returned {len(results)} results for {len(reqs)} requests")
                rows = []
                for (p, idx), prompt, comps in zip(chunk, prompts, results, strict=True):
                    for i, c in zip(idx, comps, strict=False):
                        rows.append(Sample(problem_id=p.id, sample_idx=i, prompt=prompt, response=c.text,
                                           finish_reason=c.finish_reason, num_tokens=c.num_tokens,
                                           teacher=job.model_id, temperature=job.params.temperature,
                                           top_p=job.params.top_p, max_tokens=job.params.max_tokens,
                                           seed=c.seed if getattr(c, "seed", None) is not None else job.params.seed,
                                           answer=p.answer,
                                           meta={"dataset": job.dataset, "mode": job.mode}))
                out.write_many(rows)
                for s in rows:
                    cached[s.key] = s
                bar.update(len(chunk))
        bar.close()
    missing = wanted - set(cached)
    if missing:
        raise RuntimeError(f"{len(missing)} samples still missing after generation (e.g. {min(missing)})")
    return [cached[(p.id, i)] for p in job.problems for i in range(job.params.n)]


def _write_meta(path: Path, job: GenerationJob, stop: Sequence[str]) -> None:
    """A sidecar saying what the cache file holds (for people; the key is authoritative)."""
    meta = path.with_suffix(".meta.json")
    if not meta.exists():
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"dataset": job.dataset, "mode": job.mode, "backend": job.backend_name,
                                    "model": job.model_id, "prompt": job.prompter.describe(),
                                    "params": {**job.params.to_dict(), "stop": list(stop)}}, indent=1))


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="problem", disable=not enabled)


def write_samples(path: str | Path, samples: Sequence[Sample]) -> int:
    return write_jsonl(path, samples)
