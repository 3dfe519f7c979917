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

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError, DataError
from mathdistill.grading.apply import grade_samples
from mathdistill.io.jsonl import JsonlAppender
from mathdistill.io.lock import output_lock
from mathdistill.io.settings import settings_of
from mathdistill.records import Problem, Sample
from mathdistill.sampling.base import (
    BACKENDS,
    Backend,
    BackendSpec,
    SamplingParams,
    backend_class,
    check_backend_options,
)
from mathdistill.sampling.config import SampleConfig
from mathdistill.sampling.generate import (
    Prompts,
    Work,
    derive_seed,
    generate_batches,
    make_prompter,
    render_prompts,
)
from mathdistill.sampling.stats import summarize, write_stats
from mathdistill.sampling.strategies import ProblemState, Strategy, make_strategy
from mathdistill.store.samples import SamplesDir, read_fail_rates

# Fields that change what a (problem_id, sample_idx) means: a resume must not mix them.
RESUME_FIELDS = ("data", "split", "template", "n_shots", "shots_from", "model", "temperature", "top_p",
                 "max_new_tokens", "seed", "num_shards", "shard_index", "reasoning", "logprobs")
RESUME_HINT = "use --overwrite or another --out"


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


def prepare_prompts(cfg: SampleConfig, problems: list[Problem], backend: Backend) -> Prompts:
    """Prompt text per problem as `backend` takes it (see `generate.render_prompts`)."""
    prompter = make_prompter(cfg.model, cfg.template, cfg.n_shots, loads_local_weights=backend.loads_local_weights,
                             source=cfg.data, split=cfg.split, data_dir=cfg.data_dir, seed=cfg.seed,
                             shots_from=cfg.shots_from)
    return render_prompts(prompter, problems, backend, reasoning=cfg.reasoning)


def backend_spec(cfg: SampleConfig) -> BackendSpec:
    """The backend sampling starts: `cfg.model` made loadable by `cfg.backend` (a trained LoRA
    folder is merged once, cached), with the backend's options."""
    return BackendSpec.prepared(cfg.backend, cfg.model, cfg.backend_kwargs())


def resume_key(cfg: SampleConfig) -> dict[str, Any]:
    return settings_of(cfg, only=RESUME_FIELDS)


def rebuild_states(sd: SamplesDir, problems: list[Problem], strategy: Strategy) -> dict[str, ProblemState]:
    states = {p.id: ProblemState(p.id) for p in problems}
    if sd.has_samples():
        for s in sd.iter_samples():
            st = states.get(s.problem_id)
            if st is not None:  # samples of problems outside this run (other --limit) stay on disk
                st.add(s.sample_idx, bool(s.correct), s.num_tokens, strategy.first_pass_n, truncated=s.truncated)
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


def write_run_json(out: Path, cfg: SampleConfig, backend: Backend, prep: Prompts, strategy: Strategy) -> None:
    from mathdistill.runinfo import run_metadata

    info = backend.describe()
    meta = run_metadata(
        config=cfg, prompt={**prep.prompt_info, "stop": prep.stop},
        sampling={"temperature": cfg.temperature, "top_p": cfg.top_p, "max_tokens": cfg.max_new_tokens,
                  "stop": prep.stop},
        seeds={"base": cfg.seed, "per_request": "blake2b(f'{seed}:{problem_id}:{first sample_idx}') % (2**31-1)",
               "mode": backend.seed_mode},
        grader=_grader_version(),
        extra={"backend": info, "strategy": strategy.describe(), "resume_key": resume_key(cfg),
               "problems": len(prep.problems)})
    if prep.reasoning.warnings:  # outputs that did not match the reasoning family (docs/longcot.md)
        meta["reasoning_warnings"] = dict(prep.reasoning.warnings)
    sd = SamplesDir(out)
    regrades = sd.read_run().get("regrades")
    if regrades:  # `grade --regrade` history survives a resumed run rewriting run.json
        meta["regrades"] = regrades
    sd.write_run(meta)


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


def out_dir(cfg: SampleConfig) -> Path:
    if not cfg.out:
        raise ConfigError("an output directory is required (--out DIR)")
    return Path(cfg.out)


def prepare_out_dir(cfg: SampleConfig) -> Path:
    """The output dir, created; emptied of earlier outputs first with `--overwrite`. Call it
    under the folder's `output_lock`: the emptying must not hit another writer's files."""
    out = out_dir(cfg)
    if cfg.overwrite:
        SamplesDir(out).clear()
    out.mkdir(parents=True, exist_ok=True)
    return out


def sample_settings(cfg: SampleConfig) -> dict[str, Any]:
    """What every sample line records of the settings: the resume check's evidence when run.json is lost."""
    return {"temperature": cfg.temperature, "top_p": cfg.top_p, "max_tokens": cfg.max_new_tokens,
            "teacher": cfg.teacher_name or cfg.model}


def run_sampling(cfg: SampleConfig, *, backend: Backend | None = None,
                 backend_factory: Callable[[], Backend] | None = None,
                 problems: list[Problem] | None = None) -> dict[str, Any]:
    """Run (or resume) sampling into `cfg.out`; return a summary dict.

    The backend is `backend`, else `backend_factory()` called once it is needed, else one made
    from `cfg`; only the last is closed here (the others stay their caller's). A second process
    writing the same folder is refused (`io.lock.output_lock`)."""
    if backend is None:  # refused before the folder is made
        check_backend_options(cfg.backend, cfg.backend_kwargs())
    check_logprobs(cfg, type(backend) if backend is not None else None)
    with output_lock(out_dir(cfg), "sample"):
        return _run_sampling(cfg, backend=backend, backend_factory=backend_factory, problems=problems)


def check_logprobs(cfg: SampleConfig, backend_cls: type[Backend] | None = None) -> None:
    """Refuse a `--logprobs K` the backend cannot return, before anything is written or loaded."""
    if not cfg.logprobs:
        return
    if backend_cls is None:
        if cfg.backend not in BACKENDS:
            return
        backend_cls = backend_class(cfg.backend)
    limit = backend_cls.max_logprobs(cfg.backend_kwargs())
    if limit is None or cfg.logprobs <= limit:
        return
    why = f"at most {limit} log-probs per token" if limit else "no token log-probs"
    if backend_cls.name == "vllm":
        why += " (vLLM's engine option raises it: --set backend_options.max_logprobs=K)"
    raise ConfigError(f"--logprobs {cfg.logprobs}: the {backend_cls.name} backend returns {why}")


def open_logprobs(cfg: SampleConfig, sd: SamplesDir, backend: Backend) -> Any:
    """The sidecar writer of `--logprobs K` (store.logprobs), reconciled with the samples on disk."""
    if not cfg.logprobs:
        return None
    from mathdistill.store.logprobs import LogprobsWriter, tokenizer_vocab

    keys = [s.key for s in sd.iter_samples()] if sd.has_samples() else []
    return LogprobsWriter(sd.path, cfg.logprobs, kind=backend.logprob_tokens,
                          vocab=tokenizer_vocab(backend.tokenizer()), sample_keys=keys, hint=RESUME_HINT)


def _run_sampling(cfg: SampleConfig, *, backend: Backend | None, backend_factory: Callable[[], Backend] | None,
                  problems: list[Problem] | None) -> dict[str, Any]:
    out = prepare_out_dir(cfg)
    sd = SamplesDir(out)
    sd.check_resume(resume_key(cfg), RESUME_HINT, sample=sample_settings(cfg))
    problems = load_shard(cfg) if problems is None else problems
    strategy = make_strategy(cfg, read_fail_rates(cfg.fail_rates) if cfg.fail_rates else None)

    if backend is None and sd.has_samples():
        done = rebuild_states(sd, problems, strategy)
        if not strategy.plan(list(done.values())):  # finished earlier: no need to start an engine
            ordered = [done[p.id] for p in problems]
            write_stats(sd, ordered)
            return {**summarize(ordered), "generate_seconds": 0.0, "generated_tokens": 0, "tokens_per_s": 0.0,
                    "out": str(out)}

    own_backend = backend is None and backend_factory is None
    if backend is None:
        backend = backend_factory() if backend_factory is not None else backend_spec(cfg).create()
    try:
        prep = prepare_prompts(cfg, problems, backend)
        sd.check_prompts(prep.prompts, RESUME_HINT)
        write_run_json(out, cfg, backend, prep, strategy)
        from mathdistill.config import save_resolved

        save_resolved(cfg, out)
        # The problems themselves (question, gold, subject/level) travel with the samples, so later
        # stages (curation, reports) never need the original source again.
        sd.write_problems(problems)
        from contextlib import nullcontext

        from mathdistill.grading import GradingPool

        # One pool for the whole run: workers (and their sympy import) are reused across batches.
        pool_cm = GradingPool(cfg.grading_workers, cfg.grading_timeout_s) if cfg.grading_workers > 1 else nullcontext()
        with JsonlAppender(sd.samples_file) as appender, pool_cm as pool:  # opening repairs a torn tail
            if pool is not None:
                warm_up(pool)
            states = rebuild_states(sd, problems, strategy)
            progress = Progress(len(problems), states, cfg.progress)
            lp_writer = open_logprobs(cfg, sd, backend)  # after the appender: samples.jsonl's tail is whole
            try:
                gen_s, gen_tokens = _loop(cfg, backend, prep, strategy, states, appender, pool, out, progress,
                                          lp_writer)
            finally:
                progress.close()
                if lp_writer is not None:
                    lp_writer.close()
        ordered = [states[p.id] for p in problems]
        write_stats(sd, ordered)
        write_run_json(out, cfg, backend, prep, strategy)  # again: backends learn things (e.g. server n support)
    finally:
        if own_backend:
            backend.close()
    summary = summarize(ordered)
    summary.update(generate_seconds=gen_s, generated_tokens=gen_tokens,
                   tokens_per_s=gen_tokens / gen_s if gen_s else 0.0, out=str(out))
    return summary


def _work(seed: int, problem_id: str, first: int, n: int) -> Work:
    return Work(problem_id, list(range(first, first + n)), derive_seed(seed, problem_id, first))


def _loop(cfg: SampleConfig, backend: Backend, prep: Prompts, strategy: Strategy,
          states: dict[str, ProblemState], appender: JsonlAppender, pool: Any, out: Path,
          progress: Progress, lp_writer: Any = None) -> tuple[float, int]:
    """Generate batch i+1 while batch i is graded and appended in a helper thread.

    At most one batch is in flight behind the engine, and a round ends only when all its
    batches are on disk, so the next round is planned from complete counts. Batches of one
    round touch different problems, so the helper and the main thread never share a state.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    ordered = [states[p.id] for p in prep.problems]
    teacher = cfg.teacher_name or cfg.model
    params = SamplingParams(temperature=cfg.temperature, top_p=cfg.top_p, max_tokens=cfg.max_new_tokens,
                            logprobs=cfg.logprobs)
    totals = {"s": 0.0, "tok": 0}
    token_logprobs: dict[tuple[str, int], Any] | None = {} if lp_writer is not None else None

    def finish(chunk: list[Work], samples: list[Sample], dt: float) -> None:
        grade_samples(samples, pool=pool, timeout_s=cfg.grading_timeout_s)
        if lp_writer is not None and token_logprobs is not None:  # first: a sample line implies its log-probs
            lp_writer.write_many([(smp.key, smp.response, token_logprobs.pop(smp.key)) for smp in samples])
        appender.write_many(samples)  # only graded, whole lines reach the file
        tok = 0
        for smp in samples:
            states[smp.problem_id].add(smp.sample_idx, bool(smp.correct), smp.num_tokens, strategy.first_pass_n,
                                       truncated=smp.truncated)
            tok += smp.num_tokens or 0
        for w in chunk:
            strategy.update(states[w.problem_id])
        write_stats(SamplesDir(out), ordered)
        totals["s"] += dt
        totals["tok"] += tok
        progress.add(tok, dt)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="grade") as helper:
        while plan := strategy.plan(ordered):
            # A problem's state changes only when its own batch is finished, so the whole round's
            # sample indices (and the seeds derived from them) are known up front.
            work = [_work(cfg.seed, pid, states[pid].next_idx, n) for pid, n in plan]
            pending: Future | None = None
            for chunk, samples, dt in generate_batches(backend, prep, work, params, batch=cfg.batch_requests,
                                                       teacher=teacher, token_logprobs=token_logprobs):
                if pending is not None:
                    pending.result()  # re-raises a grading/writing error here
                if pool is None:  # in-process grading needs the main thread (its timeout is SIGALRM)
                    finish(chunk, samples, dt)
                else:
                    pending = helper.submit(finish, chunk, samples, dt)
            if pending is not None:
                pending.result()
    return totals["s"], totals["tok"]
