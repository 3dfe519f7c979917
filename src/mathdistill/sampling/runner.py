"""The resumable sampling loop: schedule rounds, generate, grade, append, update stats.

Output directory:
  samples.jsonl  every sample, graded (the source of truth; append-only, whole lines)
  stats.jsonl    per-problem trials / correct / pass_rate / target / stop_reason (derived, rewritten)
  run.json       resolved config, prompt template, sampling params, seeds, versions

Resume: kill -9 at any point and rerun the same command. A batch is appended only after
it is graded, one whole line per sample; the strategy state is rebuilt from the samples on
disk, and sample_idx continues after the last one written per problem, so no sample is
lost or duplicated. Seeds derive from (seed, problem_id, sample_idx), so the rerun asks
for the same work it would have done.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathdistill.errors import BackendError, ConfigError, DataError
from mathdistill.grading.apply import grade_samples
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.jsonl import JsonlAppender, read_records, write_jsonl
from mathdistill.records import Problem, Sample
from mathdistill.sampling.base import Backend, GenerationRequest, SamplingParams
from mathdistill.sampling.config import SampleConfig
from mathdistill.sampling.stats import read_fail_rates, summarize, write_stats
from mathdistill.sampling.strategies import ProblemState, Strategy, make_strategy

SAMPLES, STATS, RUN, PROBLEMS = "samples.jsonl", "stats.jsonl", "run.json", "problems.jsonl"
# Fields that change what a (problem_id, sample_idx) means: a resume must not mix them.
RESUME_FIELDS = ("data", "split", "template", "n_shots", "shots_from", "model", "temperature", "top_p",
                 "max_new_tokens", "seed", "num_shards", "shard_index")


def derive_seed(base: int, problem_id: str, sample_idx: int) -> int:
    h = hashlib.blake2b(f"{base}:{problem_id}:{sample_idx}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") % (2**31 - 1)


@dataclass
class Prepared:
    problems: list[Problem]
    prompts: dict[str, str]
    messages: dict[str, list[dict[str, str]]]
    stop: list[str]
    prompt_info: dict[str, Any]


def load_shard(cfg: SampleConfig) -> list[Problem]:
    from mathdistill.data.sources import load_problems

    probs = load_problems(cfg.data, cfg.split, data_dir=cfg.data_dir, limit=cfg.limit,
                          question_field=cfg.question_field, answer_field=cfg.answer_field,
                          id_field=cfg.id_field)
    seen: set[str] = set()
    for p in probs:
        if p.id in seen:
            raise DataError(cfg.data, None, "id", f"duplicate problem id {p.id!r}: ids must be unique to resume")
        seen.add(p.id)
    return probs[cfg.shard_index::cfg.num_shards]


def prepare_prompts(cfg: SampleConfig, problems: list[Problem], tokenizer: Any,
                    chat_api: bool = False) -> Prepared:
    """Prompt text per problem; with a chat API (no local tokenizer) also the messages sent,
    and no template stop strings (the server's chat template ends turns itself)."""
    from mathdistill.data.prompts import default_template, make_prompter
    from mathdistill.training import trained_prompt

    # A model trained here is prompted as it was trained (format and template).
    trained = None if chat_api or cfg.backend in ("openai", "fake") else trained_prompt(cfg.model)
    t_template, t_chat = trained or (None, None)
    prompter = make_prompter(cfg.template or t_template or default_template(cfg.data), cfg.n_shots, source=cfg.data,
                             split=cfg.split, data_dir=cfg.data_dir, seed=cfg.seed, shots_from=cfg.shots_from,
                             chat=t_chat)
    messages = {p.id: prompter.messages(p) for p in problems} if chat_api else {}
    stop = [] if chat_api else prompter.stop(tokenizer)
    return Prepared(problems, {p.id: prompter.render(p, tokenizer) for p in problems}, messages, stop,
                    {**prompter.describe(), "chat_api": chat_api})


def _previous(run: Path) -> dict[str, Any]:
    try:
        return json.loads(run.read_text())
    except (OSError, json.JSONDecodeError):
        return {}  # none yet, or torn by kill -9


def resume_key(cfg: SampleConfig) -> dict[str, Any]:
    return {f: getattr(cfg, f) for f in RESUME_FIELDS}


def _check_resume(out: Path, cfg: SampleConfig) -> None:
    run = out / RUN
    if not (out / SAMPLES).exists() or not run.exists():
        return
    try:
        old = json.loads(run.read_text()).get("resume_key", {})
    except json.JSONDecodeError:
        return  # a run.json torn by kill -9 carries no constraint; it is rewritten below
    diffs = [f"{k}: {old[k]!r} -> {v!r}" for k, v in resume_key(cfg).items() if k in old and old[k] != v]
    if diffs:
        raise ConfigError(f"{out} holds samples from a different run ({'; '.join(diffs)}); "
                          "use --overwrite or another --out")


def clear_outputs(out: Path) -> None:
    for name in (SAMPLES, STATS, RUN, PROBLEMS, "config.yaml"):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "shards", ignore_errors=True)


def rebuild_states(path: Path, problems: list[Problem], strategy: Strategy) -> dict[str, ProblemState]:
    states = {p.id: ProblemState(p.id) for p in problems}
    if path.exists():
        for s in read_records(path, Sample, allow_torn_tail=True):
            st = states.get(s.problem_id)
            if st is not None:  # samples of problems outside this run (other --limit) stay on disk
                st.add(s.sample_idx, bool(s.correct), s.num_tokens, strategy.first_pass_n)
    for st in states.values():
        strategy.update(st)
    return states


def warm_up(pool: Any, tries: int = 3) -> None:
    """Start the grading workers from the main thread, before the helper thread exists, and let
    their start-up (imports, sympy) happen outside real items' timeouts."""
    for _ in range(tries):
        killed = pool.killed
        pool.map([("\\boxed{1}", "1", None)] * pool.workers, chunksize=1)
        if pool.killed == killed:
            return


def _grader_version() -> str | None:
    try:
        import mathdistill.grading as g
    except ImportError:
        return None
    return getattr(g, "GRADER_VERSION", None) or getattr(g, "__version__", None) or "mathdistill.grading"


def write_run_json(out: Path, cfg: SampleConfig, backend: Backend, prep: Prepared, strategy: Strategy) -> None:
    from mathdistill.runinfo import run_metadata

    info = backend.describe() if hasattr(backend, "describe") else {"name": backend.name, "model": backend.model}
    meta = run_metadata(
        config=cfg, prompt={**prep.prompt_info, "stop": prep.stop},
        sampling={"temperature": cfg.temperature, "top_p": cfg.top_p, "max_tokens": cfg.max_new_tokens,
                  "stop": prep.stop},
        seeds={"base": cfg.seed, "per_request": "blake2b(f'{seed}:{problem_id}:{first sample_idx}') % (2**31-1)",
               "mode": getattr(backend, "seed_mode", "request")},
        grader=_grader_version(),
        extra={"backend": info, "strategy": strategy.describe(), "resume_key": resume_key(cfg),
               "problems": len(prep.problems)})
    regrades = _previous(out / RUN).get("regrades")
    if regrades:  # `grade --regrade` history survives a resumed run rewriting run.json
        meta["regrades"] = regrades
    write_json_atomic(out / RUN, meta, indent=2)


class Progress:
    """tqdm bar: problems done, samples, acceptance rate, tokens/s."""

    def __init__(self, total: int, states: dict[str, ProblemState], enabled: bool):
        from tqdm.auto import tqdm

        self.states = states
        self.bar = tqdm(total=total, desc="sampling", unit="prob", disable=not enabled, dynamic_ncols=True)
        self.tokens, self.gen_s = 0, 0.0
        self.refresh()

    def add(self, tokens: int, seconds: float) -> None:
        self.tokens += tokens
        self.gen_s += seconds
        self.refresh()

    def refresh(self) -> None:
        done = sum(1 for s in self.states.values() if s.stop_reason is not None)
        n = sum(s.trials for s in self.states.values())
        c = sum(s.correct for s in self.states.values())
        self.bar.n = done
        self.bar.set_postfix(samples=n, acc=f"{c / n:.2f}" if n else "-",
                             tok_s=f"{self.tokens / self.gen_s:.0f}" if self.gen_s else "-", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def prepare_out_dir(cfg: SampleConfig) -> Path:
    """The output dir, created; emptied of earlier outputs first with `--overwrite`."""
    if not cfg.out:
        raise ConfigError("an output directory is required (--out DIR)")
    out = Path(cfg.out)
    if cfg.overwrite:
        clear_outputs(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_sampling(cfg: SampleConfig, *, backend: Backend | None = None,
                 problems: list[Problem] | None = None) -> dict[str, Any]:
    """Run (or resume) sampling into `cfg.out`; return a summary dict."""
    out = prepare_out_dir(cfg)
    _check_resume(out, cfg)
    problems = load_shard(cfg) if problems is None else problems
    strategy = make_strategy(cfg, read_fail_rates(cfg.fail_rates) if cfg.fail_rates else None)

    if backend is None and (out / SAMPLES).exists():
        done = rebuild_states(out / SAMPLES, problems, strategy)
        if not strategy.plan(list(done.values())):  # finished earlier: no need to start an engine
            ordered = [done[p.id] for p in problems]
            write_stats(out / STATS, ordered)
            return {**summarize(ordered), "generate_seconds": 0.0, "generated_tokens": 0, "tokens_per_s": 0.0,
                    "out": str(out)}

    own_backend = backend is None
    if backend is None:
        from mathdistill.eval.model_prep import prepare_model
        from mathdistill.sampling.base import get_backend

        model = prepare_model(cfg.model, cfg.backend)  # a trained LoRA dir is merged once (cached)
        backend = get_backend(cfg.backend, model, **cfg.backend_kwargs())
    try:
        prep = prepare_prompts(cfg, problems, backend.tokenizer(), getattr(backend, "chat_api", False))
        write_run_json(out, cfg, backend, prep, strategy)
        from mathdistill.config import save_resolved

        save_resolved(cfg, out)
        # The problems themselves (question, gold, subject/level) travel with the samples, so later
        # stages (curation, reports) never need the original source again.
        write_jsonl(out / PROBLEMS, problems)
        from contextlib import nullcontext

        from mathdistill.grading import GradingPool

        # One pool for the whole run: workers (and their sympy import) are reused across batches.
        pool_cm = GradingPool(cfg.grading_workers, cfg.grading_timeout_s) if cfg.grading_workers > 1 else nullcontext()
        with JsonlAppender(out / SAMPLES) as appender, pool_cm as pool:  # opening repairs a torn tail
            if pool is not None:
                warm_up(pool)
            states = rebuild_states(out / SAMPLES, problems, strategy)
            progress = Progress(len(problems), states, cfg.progress)
            try:
                gen_s, gen_tokens = _loop(cfg, backend, prep, strategy, states, appender, pool, out, progress)
            finally:
                progress.close()
        ordered = [states[p.id] for p in problems]
        write_stats(out / STATS, ordered)
        write_run_json(out, cfg, backend, prep, strategy)  # again: backends learn things (e.g. server n support)
    finally:
        if own_backend:
            backend.close()
    summary = summarize(ordered)
    summary.update(generate_seconds=gen_s, generated_tokens=gen_tokens,
                   tokens_per_s=gen_tokens / gen_s if gen_s else 0.0, out=str(out))
    return summary


def _loop(cfg: SampleConfig, backend: Backend, prep: Prepared, strategy: Strategy,
          states: dict[str, ProblemState], appender: JsonlAppender, pool: Any, out: Path,
          progress: Progress) -> tuple[float, int]:
    """Generate batch i+1 while batch i is graded and appended in a helper thread.

    At most one batch is in flight behind the engine, and a round ends only when all its
    batches are on disk, so the next round is planned from complete counts. Batches of one
    round touch different problems, so the helper and the main thread never share a state.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    gold = {p.id: p.answer for p in prep.problems}
    ordered = [states[p.id] for p in prep.problems]
    teacher = cfg.teacher_name or cfg.model
    totals = {"s": 0.0, "tok": 0}

    def finish(reqs: list[GenerationRequest], firsts: list[int], chunk: list[tuple[str, int]],
               results: list, dt: float) -> None:
        samples = []
        for req, first, (pid, _), comps in zip(reqs, firsts, chunk, results, strict=True):
            if len(comps) != req.params.n:
                raise BackendError(f"{backend.name} returned {len(comps)} completions for {req.request_id}, "
                                   f"expected {req.params.n}")
            for j, c in enumerate(comps):
                seed = c.seed if getattr(c, "seed", None) is not None else req.params.seed
                samples.append(Sample(
                    problem_id=pid, sample_idx=first + j, prompt=req.prompt, response=c.text,
                    finish_reason=c.finish_reason, num_tokens=c.num_tokens, teacher=teacher,
                    temperature=cfg.temperature, top_p=cfg.top_p, max_tokens=cfg.max_new_tokens,
                    seed=seed, answer=gold[pid]))
        grade_samples(samples, pool=pool, timeout_s=cfg.grading_timeout_s)
        appender.write_many(samples)  # only graded, whole lines reach the file
        tok = 0
        for smp in samples:
            states[smp.problem_id].add(smp.sample_idx, bool(smp.correct), smp.num_tokens, strategy.first_pass_n)
            tok += smp.num_tokens or 0
        for pid, _ in chunk:
            strategy.update(states[pid])
        write_stats(out / STATS, ordered)
        totals["s"] += dt
        totals["tok"] += tok
        progress.add(tok, dt)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="grade") as helper:
        while plan := strategy.plan(ordered):
            pending: Future | None = None
            for i in range(0, len(plan), cfg.batch_requests):
                chunk = plan[i:i + cfg.batch_requests]
                firsts = [states[pid].next_idx for pid, _ in chunk]
                reqs = [GenerationRequest(prep.prompts[pid], SamplingParams(
                            n=n, temperature=cfg.temperature, top_p=cfg.top_p, max_tokens=cfg.max_new_tokens,
                            stop=list(prep.stop), seed=derive_seed(cfg.seed, pid, first)),
                            prep.messages.get(pid), f"{pid}#{first}")
                        for (pid, n), first in zip(chunk, firsts, strict=True)]
                t0 = time.perf_counter()
                results = backend.generate(reqs)
                dt = time.perf_counter() - t0
                if pending is not None:
                    pending.result()  # re-raises a grading/writing error here
                if pool is None:  # in-process grading needs the main thread (its timeout is SIGALRM)
                    finish(reqs, firsts, chunk, results, dt)
                else:
                    pending = helper.submit(finish, reqs, firsts, chunk, results, dt)
            if pending is not None:
                pending.result()
    return totals["s"], totals["tok"]
