"""`mathdistill eval`: generate (cached) -> grade -> vote -> metrics -> results.json.

Output folder:
  config.yaml         resolved EvalConfig
  generations/        cache, one JSONL per (dataset, mode, key); reruns continue from it
  samples.jsonl       every graded sample (meta: dataset, mode, question, subject, level, difficulty)
  per_problem.jsonl   per-problem counts, answer classes and metric values
  results.json        metrics per dataset (+ CIs, breakdowns), run metadata, timing
`--from-samples DIR` rebuilds the last three from DIR/samples.jsonl without a model (into another
folder: the source's config and results are its provenance).

Every sample is graded against the gold answer of the data as it is now, cached or not. Datasets
are named after their file (or source); two files sharing a basename get a short hash of their
path appended, so they are never merged (results.json `datasets` says which file is which).
The output folder is locked for the run (`io.lock.output_lock`): a second writer is refused.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mathdistill.config import save_resolved
from mathdistill.errors import ConfigError, DataError, MathdistillError
from mathdistill.eval import metrics as M
from mathdistill.eval.aggregate import MetricOptions, build_rows, dataset_metrics
from mathdistill.eval.config import EvalConfig
from mathdistill.eval.grade_step import equivalence_table
from mathdistill.eval.runner import GenerationJob, model_fingerprint, run_job
from mathdistill.grading.apply import grade_samples
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.fingerprint import text_fingerprint
from mathdistill.io.jsonl import read_jsonl, write_jsonl
from mathdistill.io.lock import LOCK_NAME, output_lock
from mathdistill.records import Problem, Sample
from mathdistill.sampling.base import (
    Backend,
    BackendSpec,
    SamplingParams,
    backend_class,
    check_backend_options,
)
from mathdistill.sampling.generate import make_prompter
from mathdistill.store.samples import CONFIG, SAMPLES

log = logging.getLogger(__name__)


def dataset_name(source: str) -> str:
    from mathdistill.data.sources import is_local_file

    return Path(source).name.split(".")[0] if is_local_file(source) else source


def dataset_names(sources: Sequence[str]) -> dict[str, dict[str, Any]]:
    """source -> {"name", "source", "file"}: the name is the file's basename (or the source's name),
    with a short hash of the file's path appended when two files share a basename. The same
    source twice is refused."""
    from mathdistill.data.sources import is_local_file

    seen: dict[str, str] = {}
    for src in sources:
        ident = str(Path(src).resolve()) if is_local_file(src) else src
        if ident in seen:
            raise ConfigError(f"data: {src} is given twice" + (f" (as {seen[ident]})" if seen[ident] != src else ""))
        seen[ident] = src
    base = {src: dataset_name(src) for src in sources}
    counts = Counter(base.values())
    out: dict[str, dict[str, Any]] = {}
    for src in sources:
        local = is_local_file(src)
        name = base[src]
        if counts[name] > 1 and local:
            name = f"{name}-{text_fingerprint(str(Path(src).resolve()), 6)}"
        out[src] = {"name": name, "source": src, "file": str(Path(src).resolve()) if local else None}
    return out


def names_of(cfg: EvalConfig) -> dict[str, str]:
    """source -> the dataset name it is reported under."""
    return {src: v["name"] for src, v in dataset_names([d.source for d in cfg.data_specs]).items()}


def difficulty(p: Problem) -> tuple[Any, str | None]:
    """MATH level when known, else the number of reasoning steps of a GSM8K-style solution."""
    if p.level is not None:
        return p.meta.get("level"), "level"
    if p.solution and "####" in p.solution:
        return sum(1 for ln in p.solution.rsplit("####", 1)[0].splitlines() if ln.strip()), "steps"
    return None, None


def _annotate(s: Sample, p: Problem) -> Sample:
    """The sample as graded now: the current gold (a cached sample keeps the gold it was made with),
    the problem's descriptors."""
    d, kind = difficulty(p)
    meta = {**s.meta, "question": p.question, "subject": p.subject, "level": p.meta.get("level"),
            "difficulty": d, "difficulty_kind": kind}
    if p.meta.get("choices"):  # a multiple-choice gold is a letter: the options say what it stands for
        meta["choices"] = p.meta["choices"]
    meta.pop("problem_fp", None)
    return dataclasses.replace(s, answer=p.answer, meta=meta)


@dataclasses.dataclass
class EvalDataset:
    """One dataset as it will be run: its problems, prompter and decoding modes."""

    name: str
    problems: list[Problem]
    prompter: Any
    modes: list[tuple[str, SamplingParams]]


@dataclasses.dataclass
class EvalInputs:
    """What an eval reads before it writes anything: the resolved model and every dataset."""

    spec: BackendSpec
    weights: str
    names: dict[str, dict[str, Any]]
    datasets: list[EvalDataset]


def prepare(cfg: EvalConfig) -> EvalInputs:
    """Everything an eval can be refused for (backend options, the dataset list, the model, each
    dataset's problems and prompt template), done before its folder is made or a model loaded."""
    from mathdistill.data.sources import load_problems
    from mathdistill.models.cache import cache_dir

    check_before_work(cfg)
    spec = backend_spec(cfg)
    local = backend_class(cfg.backend).loads_local_weights
    names = dataset_names([d.source for d in cfg.data_specs])
    for v in names.values():
        if v["name"] != dataset_name(v["source"]):
            log.warning("data: more than one dataset is named '%s'; %s is reported as '%s'",
                        dataset_name(v["source"]), v["source"], v["name"])
    # Retrained weights at the same path are other weights: their generations are keyed apart.
    weights = model_fingerprint(spec.model, cache_dir() / "digests.json")
    datasets = []
    for ds in cfg.data_specs:
        source = ds.source
        problems = load_problems(source, cfg.split, data_dir=cfg.data_dir, limit=cfg.limit,
                                 seed=cfg.seed)  # the seed orders multiple-choice options
        prompter = make_prompter(cfg.model, cfg.template, cfg.n_shots, loads_local_weights=local, source=source,
                                 split=cfg.split, data_dir=cfg.data_dir, seed=cfg.seed, shots_from=cfg.shots_from)
        modes = [("greedy", SamplingParams(n=1, temperature=0.0, top_p=1.0, max_tokens=cfg.max_new_tokens,
                                           seed=cfg.seed))] if cfg.greedy else []
        modes.append(("sampled", SamplingParams(n=cfg.n_for(ds), temperature=cfg.temperature,
                                                top_p=cfg.top_p, max_tokens=cfg.max_new_tokens, seed=cfg.seed)))
        datasets.append(EvalDataset(names[source]["name"], problems, prompter, modes))
    return EvalInputs(spec, weights, names, datasets)


def generate(cfg: EvalConfig, backend_factory: Callable[[], Backend] | None = None,
             progress: bool = True, inputs: EvalInputs | None = None) -> tuple[list[Sample], dict[str, Any],
                                                                             dict[str, float]]:
    """Generate (or reuse) greedy and sampled completions for every dataset.

    A `backend_factory` stays its caller's to close; a backend made here is closed here."""
    inputs = inputs or prepare(cfg)
    spec, weights = inputs.spec, inputs.weights
    holder: dict[str, Backend] = {}

    timing: dict[str, float] = {}

    def factory() -> Backend:
        # Created on first need only: a fully cached rerun never loads the model.
        if "b" not in holder:
            t = time.perf_counter()
            holder["b"] = backend_factory() if backend_factory is not None else spec.create()
            timing["backend_start_s"] = round(time.perf_counter() - t, 3)
        return holder["b"]

    cache = Path(cfg.out) / "generations"
    samples: list[Sample] = []
    prompts: dict[str, Any] = {}
    try:
        for ds in inputs.datasets:
            name = ds.name
            prompts[name] = ds.prompter.describe()
            by_id = {p.id: p for p in ds.problems}
            for mode, params in ds.modes:
                job = GenerationJob(name, mode, ds.problems, ds.prompter, params, spec.model, cfg.backend, weights,
                                    reasoning=cfg.reasoning)
                t0 = time.perf_counter()
                got = run_job(job, cache, factory, batch_size=cfg.batch_size, progress=progress)
                timing[f"generate/{name}/{mode}"] = round(time.perf_counter() - t0, 3)
                timing[f"generated/{name}/{mode}"] = job.generated  # new completions (not from the cache)
                samples.extend(_annotate(s, by_id[s.problem_id]) for s in got)
        # Engine, version, batch size, seed mode change greedy outputs, so they are recorded;
        # None when everything came from the generations cache.
        backend_info = holder["b"].describe() if "b" in holder else None
    finally:
        if "b" in holder and backend_factory is None:
            holder["b"].close()
    meta = {"prompt": prompts, "model_resolved": spec.model, "model_fingerprint": weights, "backend": backend_info,
            "datasets": {v["name"]: {k: v[k] for k in ("source", "file")} for v in inputs.names.values()}}
    return samples, meta, timing


def backend_spec(cfg: EvalConfig) -> BackendSpec:
    """The backend an eval starts: `cfg.model` made loadable by `cfg.backend`, with its options."""
    return BackendSpec.prepared(cfg.backend, cfg.model, cfg.engine_kwargs())


def _sampling_block(cfg: EvalConfig) -> dict[str, Any]:
    n_by = {names_of(cfg)[d.source]: cfg.n_for(d) for d in cfg.data_specs}
    return {"n": cfg.n, "n_per_dataset": n_by, "temperature": cfg.temperature, "top_p": cfg.top_p,
            "max_tokens": cfg.max_new_tokens,
            "greedy_pass": cfg.greedy, "backend": cfg.backend, "batch_size": cfg.batch_size,
            "backend_kwargs": cfg.engine_kwargs()}


def compute(cfg: EvalConfig, samples: list[Sample], gen_meta: dict[str, Any], timing: dict[str, float],
            out_dir: Path) -> dict[str, Any]:
    """Metrics from graded samples; writes per_problem.jsonl and results.json into out_dir."""
    from mathdistill.grading import GRADER_VERSION
    from mathdistill.runinfo import run_metadata

    t0 = time.perf_counter()
    opts = MetricOptions(cfg.max_subsets, cfg.mc_samples, cfg.n_boot, cfg.seed, cfg.asc_variants)
    scorer = None
    if cfg.voting == "asc":
        from mathdistill.inference.scorer import load_scorer
        from mathdistill.ranker import SCORER_LOADER as RANKER_LOADER

        scorer = load_scorer(cfg.ranker, loaders=[RANKER_LOADER])  # type: ignore[arg-type]
    by_ds: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_ds[str(s.meta.get("dataset"))].append(s)
    results: dict[str, Any] = {}
    all_rows = []
    for name, ss in by_ds.items():
        groups: dict[str, list[Sample]] = defaultdict(list)
        for s in ss:
            if s.meta.get("mode") != "greedy":
                groups[s.problem_id].append(s)
        for g in groups.values():
            g.sort(key=lambda s: s.sample_idx)
        equiv = equivalence_table(groups.values(), workers=cfg.grade_workers, timeout_s=cfg.grade_timeout)
        scores = None
        if scorer is not None:
            scores = {pid: scorer.score(_problem_of(g[0]), g) for pid, g in groups.items()}
            known = sum(x is not None for v in scores.values() for x in v)
            total = sum(len(v) for v in scores.values())
            if total and known == 0:
                raise MathdistillError(f"--ranker {cfg.ranker}: no score for any sample of '{name}' "
                                       "(check problem_id/sample_idx)")
        rows = build_rows(ss, equiv, scores, opts)
        results[name] = dataset_metrics(rows, opts)
        if name.startswith("rg:"):
            results[name]["verifier_agreement"] = _rg_agreement(name, ss)
        if scores is not None:
            total = sum(len(v) for v in scores.values())
            results[name]["ranker_coverage"] = sum(x is not None for v in scores.values() for x in v) / max(1, total)
        all_rows.extend(rows)
    timing["metrics_s"] = round(time.perf_counter() - t0, 3)
    write_jsonl(out_dir / "per_problem.jsonl", all_rows)
    doc = {
        "metrics": results,
        "summary": summary_table(results),
        "metric_definitions": {**M.DEFINITIONS, "max_subsets": cfg.max_subsets, "mc_samples": cfg.mc_samples,
                               "n_boot": cfg.n_boot},
        "voting": {"method": cfg.voting, "ranker": cfg.ranker, "asc_weight": cfg.asc_weight,
                   "asc_variants": cfg.asc_variants, "equivalence": "grading.is_equivalent over extracted answers",
                   "ties": "1/|tie set| expected accuracy", "truncated_samples_vote": False},
        "model": cfg.model,
        "model_resolved": gen_meta.get("model_resolved"),
        "model_fingerprint": gen_meta.get("model_fingerprint"),
        "datasets": gen_meta.get("datasets"),
        "grader_version": GRADER_VERSION,
        "run_metadata": run_metadata(config=cfg, prompt=gen_meta.get("prompt"), sampling=_sampling_block(cfg),
                                     seeds={"seed": cfg.seed, "bootstrap_seed": cfg.seed, "subset_seed": cfg.seed},
                                     grader=GRADER_VERSION, extra={"source_run": gen_meta.get("source_run"),
                                                                         "backend": gen_meta.get("backend")}),
        "timing": timing,
        "files": {"samples": SAMPLES, "per_problem": "per_problem.jsonl", "config": "config.yaml"},
    }
    write_json_atomic(out_dir / "results.json", doc)
    return doc


def _rg_agreement(source: str, samples: list[Sample]) -> dict[str, Any] | None:
    """How often our grader agrees with reasoning-gym's own scorer on these samples (None without the
    package: a run recomputed elsewhere still gets its metrics)."""
    from mathdistill.data.reasoning_gym import agreement
    from mathdistill.errors import MissingDependency

    try:
        return agreement((source, s.problem_id, s.pred, bool(s.correct)) for s in samples
                         if s.meta.get("mode") != "greedy" and not s.truncated)
    except MissingDependency as e:
        log.warning("%s: verifier agreement skipped (%s)", source, e)
        return None


def _problem_of(s: Sample) -> Problem:
    return Problem(id=s.problem_id, question=s.meta.get("question") or s.prompt, answer=s.answer or "",
                   source=str(s.meta.get("dataset") or ""), meta={"subject": s.meta.get("subject"),
                                                                  "level": s.meta.get("level")})


def summary_table(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """dataset -> {metric: value} for the headline metrics (greedy, mean@n, maj@n, pass@n, ...)."""
    out = {}
    for name, m in results.items():
        row: dict[str, float | None] = {}
        for k, v in m.items():
            if isinstance(v, dict) and "value" in v:
                row[k] = v["value"]
        row["extraction_failure_rate"] = m.get("extraction_failure_rate")
        out[name] = row
    return out


def check_before_work(cfg: EvalConfig) -> None:
    """What can be refused before a folder is made or a model loaded: the backend's options and
    the dataset list."""
    check_backend_options(cfg.backend, cfg.engine_kwargs())
    dataset_names([d.source for d in cfg.data_specs])


def plan(cfg: EvalConfig) -> dict[str, Any]:
    """What an eval would run, without loading data or a model: each dataset with its source, samples
    per problem and where its problems come from, and the sampling settings shared by all."""
    from mathdistill.data.sources import SOURCES, is_local_file, resolve_data_dir

    check_before_work(cfg)
    names = names_of(cfg)
    data_dir = resolve_data_dir(cfg.data_dir)
    rows = []
    for d in cfg.data_specs:
        b = None if is_local_file(d.source) else SOURCES.get(d.source)
        if b is None:
            where = d.source
        elif b.generate is not None:
            where = "generated"
        elif data_dir is not None:
            where = str(data_dir / b.files.get(cfg.split, "?"))
        else:
            where = f"hub:{b.hub_description()}"
        rows.append({"dataset": names[d.source], "source": d.source, "n": cfg.n_for(d), "from": where,
                     "answer_type": b.answer_type if b else None, "limit": cfg.limit,
                     "usual_max_new_tokens": b.max_new_tokens if b else None})
    return {"suite": cfg.suite, "split": cfg.split, "datasets": rows, "sampling": _sampling_block(cfg),
            "model": cfg.model, "out": cfg.out}


def run_eval(cfg: EvalConfig, backend_factory: Callable[[], Backend] | None = None,
             progress: bool = True) -> dict[str, Any]:
    inputs = prepare(cfg)  # a refused eval writes nothing
    out = Path(cfg.out)
    fresh = not out.exists()
    with output_lock(out, "eval"):
        try:
            return _run_eval(cfg, inputs, out, backend_factory, progress)
        except MathdistillError:
            # A model that would not start (a missing package, a server not up): the folder holds
            # only config.yaml, which would look like a started run; the lock removes the empty folder.
            if fresh and {p.name for p in out.iterdir()} <= {CONFIG, LOCK_NAME}:
                (out / CONFIG).unlink(missing_ok=True)
            raise


def _run_eval(cfg: EvalConfig, inputs: EvalInputs, out: Path, backend_factory: Callable[[], Backend] | None,
              progress: bool) -> dict[str, Any]:
    save_resolved(cfg, out)
    t0 = time.perf_counter()
    samples, meta, timing = generate(cfg, backend_factory, progress, inputs)
    timing["generation_s"] = round(time.perf_counter() - t0, 3)
    t1 = time.perf_counter()
    grade_samples(samples, workers=cfg.grade_workers, timeout_s=cfg.grade_timeout)
    timing["grading_s"] = round(time.perf_counter() - t1, 3)
    write_jsonl(out / SAMPLES, samples)
    doc = compute(cfg, samples, meta, timing, out)
    timing["total_s"] = round(time.perf_counter() - t0, 3)
    doc["timing"] = timing
    write_json_atomic(out / "results.json", doc)
    if any(t != "none" for t in cfg.report_to):
        from mathdistill.eval.trackers import report

        doc["trackers"] = report(cfg, doc, out)
        write_json_atomic(out / "results.json", doc)
    return doc


def read_eval_samples(path: Path) -> list[Sample]:
    """The samples of an eval's samples.jsonl, each (dataset, mode, problem_id, sample_idx) once.

    A line repeated verbatim (a file concatenated with itself, a copy appended twice) is dropped
    with a warning, since it would count twice; two different samples under one key are refused,
    naming both lines: which one is right cannot be told."""
    from mathdistill.records import RecordFieldError

    seen: dict[tuple[str, str, str, int], tuple[int, dict[str, Any]]] = {}
    samples: list[Sample] = []
    repeated = 0
    for lineno, d in read_jsonl(path):
        try:
            s = Sample.from_dict(d)
        except RecordFieldError as e:
            raise DataError(path, lineno, e.field, str(e)) from None
        key = (str(s.meta.get("dataset")), str(s.meta.get("mode")), s.problem_id, s.sample_idx)
        if key in seen:
            first, row = seen[key]
            if row == d:
                repeated += 1
                continue
            raise DataError(path, lineno, "sample_idx", f"sample {s.problem_id!r}#{s.sample_idx} "
                            f"(dataset {key[0]}, {key[1]}) is also at line {first} with other content; "
                            "keep one of them")
        seen[key] = (lineno, d)
        samples.append(s)
    if repeated:
        log.warning("%s: %d repeated sample lines ignored (each (problem_id, sample_idx) counts once)", path,
                    repeated)
    return samples


def run_from_samples(src: str | Path, cfg: EvalConfig, regrade: bool | None = None) -> dict[str, Any]:
    """Recompute every metric from SRC/samples.jsonl (no model); regrade if the grader changed.

    The output folder must not be SRC's: its config.yaml and results.json say how the samples were
    made, and would be replaced by this run's."""
    src = Path(src)
    path = src / SAMPLES if src.is_dir() else src
    out = Path(cfg.out)
    if out.resolve() == path.parent.resolve():
        raise MathdistillError(f"--out {out} is the folder of the samples it would recompute; its config.yaml and "
                               "results.json record how they were made: use another --out")
    samples = read_eval_samples(path)
    if not samples:
        raise MathdistillError(f"{path}: no samples")
    with output_lock(out, "eval --from-samples"):
        return _from_samples(path, samples, cfg, out, regrade)


def _from_samples(path: Path, samples: list[Sample], cfg: EvalConfig, out: Path,
                  regrade: bool | None) -> dict[str, Any]:
    from mathdistill.grading import GRADER_VERSION

    old = json.loads((path.parent / "results.json").read_text()) if (path.parent / "results.json").exists() else {}
    save_resolved(cfg, out)
    timing: dict[str, float] = {}
    if regrade is None:
        regrade = old.get("grader_version") != GRADER_VERSION or any(s.correct is None for s in samples)
    if regrade:
        t = time.perf_counter()
        grade_samples(samples, workers=cfg.grade_workers, timeout_s=cfg.grade_timeout)
        timing["grading_s"] = round(time.perf_counter() - t, 3)
    write_jsonl(out / SAMPLES, samples)  # as counted: repeated lines dropped, regraded if so
    gen_meta = {"prompt": (old.get("run_metadata") or {}).get("prompt"), "model_resolved": old.get("model_resolved"),
                "model_fingerprint": old.get("model_fingerprint"), "datasets": old.get("datasets"),
                "source_run": str(path.parent.resolve())}
    return compute(cfg, samples, gen_meta, timing, out)
